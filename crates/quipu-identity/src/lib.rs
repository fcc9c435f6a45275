//! People and their credentials: customers sign up; operators onboard
//! agents and merchants, freeze accounts and set customers' tiers; merchant
//! owners add cashiers and API keys; customers record funding sources.
//! Signing in, sessions and secret checks are the kernel's (`access`).

use std::sync::Arc;

use quipu_domain::Timestamp;
use quipu_domain::identity::{
    BankAccountNumber, DisplayName, MerchantId, Password, PhoneNumber, Pin, Role, SecretText, UserId,
};
use quipu_domain::ledger::{Account, AccountFlags, AccountId, AccountKind};
use quipu_domain::limits::CustomerTier;
use quipu_domain::merchant::DEFAULT_CATEGORY_CODE;
use quipu_kernel::access::{API_KEY_PREFIX, Credentials, Session, User};
use quipu_kernel::limits::LimitsNow;
use quipu_kernel::secrets::sha256;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, GuessSource, Kernel, Principal};
use quipu_store::{
    AccountOwner, ApiKeyRecord, Enrollment, FundingSourceRecord, MerchantRecord, OwnedAccount, StoreError, UserRecord,
};
use uuid::Uuid;

/// Most funding sources a customer may register.
const MAX_FUNDING_SOURCES: u32 = 10;

/// A customer signing up: a login and the payment PIN.
#[derive(Debug, Clone)]
pub struct Registration {
    pub login: NewLogin,
    pub pin: Pin,
}

/// The bank account a customer tops up from, as they gave it (each part already checked).
#[derive(Debug, Clone)]
pub struct NewFundingSource {
    pub bank_name: DisplayName,
    pub account_number: BankAccountNumber,
}

/// Someone with a login and no payment PIN: operators, auditors, cashiers, merchant owners.
#[derive(Debug, Clone)]
pub struct NewLogin {
    pub phone: PhoneNumber,
    pub full_name: DisplayName,
    pub password: Password,
}

/// An agent or a courier: a login and the PIN that confirms the money they move.
#[derive(Debug, Clone)]
pub struct NewWorker {
    pub login: NewLogin,
    pub pin: Pin,
}

/// A merchant and its owner's login.
#[derive(Debug, Clone)]
pub struct NewMerchant {
    pub name: DisplayName,
    pub owner: NewLogin,
}

/// A user and their accounts; a customer's also their tier and limits.
#[derive(Debug, Clone)]
pub struct Profile {
    pub user: User,
    pub accounts: Vec<Account>,
    pub limits: Option<CustomerLimits>,
}

/// A customer's tier and, per currency of their wallets, its limits and what is left today.
#[derive(Debug, Clone)]
pub struct CustomerLimits {
    pub tier: CustomerTier,
    pub currencies: Vec<LimitsNow>,
}

/// A merchant's cashier as its owner sees them.
#[derive(Debug, Clone)]
pub struct Cashier {
    pub user: User,
    /// Whether they may refund now: their own permission, or else the merchant's policy.
    pub may_refund: bool,
    /// Their own permission, if the owner set one; `None` follows the merchant's policy.
    pub own_may_refund: Option<bool>,
    pub created_at: Timestamp,
}

/// An API key as its merchant sees it: never the secret.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: Uuid,
    pub prefix: String,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl From<&ApiKeyRecord> for ApiKey {
    fn from(key: &ApiKeyRecord) -> Self {
        Self {
            id: key.id,
            prefix: key.prefix.clone(),
            name: key.name.clone(),
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Merchant {
    pub id: MerchantId,
    pub name: String,
    pub owner: User,
    pub accounts: Vec<Account>,
}

/// A new API key: the whole key is shown this once; only its hash is kept.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: Uuid,
    /// The public part, shown in lists and logs.
    pub prefix: String,
    pub name: String,
    pub key: String,
}

/// A funding source as its owner sees it: the account number masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingSource {
    pub id: Uuid,
    pub bank_name: String,
    /// e.g. "••••7890".
    pub account_number: String,
    pub created_at: Timestamp,
}

impl From<&FundingSourceRecord> for FundingSource {
    fn from(source: &FundingSourceRecord) -> Self {
        Self {
            id: source.id,
            bank_name: source.bank_name.clone(),
            account_number: quipu_domain::identity::mask_tail(&source.account_number, 4),
            created_at: source.created_at,
        }
    }
}

#[derive(Clone)]
pub struct Identity {
    kernel: Arc<Kernel>,
}

impl Identity {
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }

    /// A customer signs up: a user with a password and payment PIN, and a wallet in the default currency.
    pub async fn register_customer(&self, registration: &Registration) -> CoreResult<Profile> {
        let user = self.new_user(Role::Customer, &registration.login, Some(&registration.pin)).await?;
        let accounts = self.accounts_for(AccountOwner::User(user.id), AccountKind::CustomerWallet, false);
        let profile = profile(&user, &accounts);
        self.enroll(Enrollment { users: vec![user], accounts, ..Enrollment::default() }).await?;
        Ok(profile)
    }

    /// A customer signs up on a page in one go: the user, their wallet and, if they gave one, the
    /// bank account they top up from, all checked before anything is written and then written
    /// together, or nothing is; then they are signed in. (The API keeps registering and adding a
    /// funding source apart.)
    pub async fn sign_up_customer(
        &self,
        registration: &Registration,
        funding: Option<&NewFundingSource>,
        source: &GuessSource,
    ) -> CoreResult<Session> {
        let user = self.new_user(Role::Customer, &registration.login, Some(&registration.pin)).await?;
        let accounts = self.accounts_for(AccountOwner::User(user.id), AccountKind::CustomerWallet, false);
        let funding_sources = funding
            .map(|given| self.funding_record(user.id, &given.bank_name, &given.account_number))
            .into_iter()
            .collect();
        self.enroll(Enrollment { merchant: None, users: vec![user], accounts, funding_sources }).await?;
        let login = &registration.login;
        let credentials =
            Credentials { phone: login.phone.clone(), password: SecretText::new(login.password.expose()) };
        self.kernel.login(&credentials, source).await
    }

    /// Operators and auditors are created from the command line by whoever runs the server.
    pub async fn create_staff(&self, role: Role, login: &NewLogin) -> CoreResult<User> {
        if !matches!(role, Role::Operator | Role::Auditor) {
            return Err(CoreError::invalid("invalid_role", "only operators and auditors are created this way"));
        }
        let user = self.new_user(role, login, None).await?;
        let created = User::from(&user);
        self.enroll(Enrollment { users: vec![user], ..Enrollment::default() }).await?;
        Ok(created)
    }

    /// An operator signs up an agent, with a float account in every enabled currency.
    pub async fn create_agent(&self, principal: &Principal, agent: &NewWorker) -> CoreResult<Profile> {
        principal.require(Role::Operator)?;
        let user = self.new_user(Role::Agent, &agent.login, Some(&agent.pin)).await?;
        let accounts = self.accounts_for(AccountOwner::User(user.id), AccountKind::AgentFloat, true);
        let profile = profile(&user, &accounts);
        self.enroll(Enrollment { users: vec![user], accounts, ..Enrollment::default() }).await?;
        Ok(profile)
    }

    /// An operator signs up a courier: a user with a wallet in every enabled currency, where their
    /// earnings land (they cash out at agents like anyone). How they work (vehicle, area, shop) is
    /// the delivery context's: `quipu_core::Services::onboard_courier` writes it next.
    pub async fn create_courier(&self, principal: &Principal, courier: &NewWorker) -> CoreResult<Profile> {
        principal.require(Role::Operator)?;
        let user = self.new_user(Role::Courier, &courier.login, Some(&courier.pin)).await?;
        let accounts = self.accounts_for(AccountOwner::User(user.id), AccountKind::CustomerWallet, true);
        let profile = profile(&user, &accounts);
        self.enroll(Enrollment { users: vec![user], accounts, ..Enrollment::default() }).await?;
        Ok(profile)
    }

    /// An operator signs up a merchant: the business, its owner's login, and its accounts.
    pub async fn create_merchant(&self, principal: &Principal, merchant: &NewMerchant) -> CoreResult<Merchant> {
        principal.require(Role::Operator)?;
        let record = MerchantRecord {
            id: MerchantId(self.kernel.new_id()),
            name: merchant.name.as_str().to_owned(),
            created_at: self.kernel.now(),
            fee_bps: 0,
            cashiers_may_refund: false,
            city: String::new(),
            category_code: DEFAULT_CATEGORY_CODE.to_owned(),
        };
        let mut owner = self.new_user(Role::MerchantOwner, &merchant.owner, None).await?;
        owner.merchant_id = Some(record.id);
        let accounts = self.accounts_for(AccountOwner::Merchant(record.id), AccountKind::Merchant, true);
        let created = Merchant {
            id: record.id,
            name: record.name.clone(),
            owner: User::from(&owner),
            accounts: accounts.iter().map(|a| a.account.clone()).collect(),
        };
        self.enroll(Enrollment { merchant: Some(record), users: vec![owner], accounts, ..Enrollment::default() })
            .await?;
        Ok(created)
    }

    /// A merchant owner adds a cashier to their own merchant.
    pub async fn add_cashier(&self, principal: &Principal, cashier: &NewLogin) -> CoreResult<User> {
        self.add_staff(principal, Role::Cashier, cashier).await
    }

    /// A merchant owner adds a member of staff in `role` (a cashier or a pharmacist) to their own
    /// merchant. Whether the merchant may have pharmacists (a pharmacy) is the market's to say:
    /// `quipu_core::Services::add_pharmacist` asks it first.
    pub async fn add_staff(&self, principal: &Principal, role: Role, login: &NewLogin) -> CoreResult<User> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.require_merchant()?;
        if !matches!(role, Role::Cashier | Role::Pharmacist) {
            return Err(CoreError::forbidden());
        }
        let mut user = self.new_user(role, login, None).await?;
        user.merchant_id = Some(merchant_id);
        let created = User::from(&user);
        self.enroll(Enrollment { users: vec![user], ..Enrollment::default() }).await?;
        Ok(created)
    }

    /// A merchant owner lists the merchant's pharmacists (removed ones are gone from the list),
    /// with when each was added.
    pub async fn pharmacists(&self, principal: &Principal) -> CoreResult<Vec<(User, Timestamp)>> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.require_merchant()?;
        let staff = self.kernel.store.merchant_staff(merchant_id).await?;
        Ok(staff
            .iter()
            .filter(|u| u.role == Role::Pharmacist && u.removed_at.is_none())
            .map(|u| (User::from(u), u.created_at))
            .collect())
    }

    /// The caller's merchant: name, owner and accounts.
    pub async fn merchant(&self, principal: &Principal) -> CoreResult<Merchant> {
        let merchant_id = principal.require_merchant()?;
        let store = &self.kernel.store;
        let merchant = store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let staff = store.merchant_staff(merchant_id).await?;
        let owner = staff
            .iter()
            .find(|u| u.role == Role::MerchantOwner)
            .ok_or_else(|| CoreError::not_found("merchant owner"))?;
        let accounts = store.accounts_of(AccountOwner::Merchant(merchant_id)).await?;
        Ok(Merchant { id: merchant.id, name: merchant.name, owner: User::from(owner), accounts })
    }

    /// A merchant owner mints an API key: `qpk_<prefix>.<secret>`, shown once, with an optional name.
    pub async fn create_api_key(&self, principal: &Principal, name: Option<&DisplayName>) -> CoreResult<NewApiKey> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.require_merchant()?;
        let random = self.kernel.random.as_ref();
        let prefix = format!("{API_KEY_PREFIX}{}", quipu_kernel::random::hex(random, 6));
        let secret = quipu_kernel::random::hex(random, 24);
        let record = ApiKeyRecord {
            id: self.kernel.new_id(),
            merchant_id,
            prefix: prefix.clone(),
            secret_hash: sha256(secret.as_bytes()),
            name: name.map(|n| n.as_str().to_owned()).unwrap_or_default(),
            created_at: self.kernel.now(),
            revoked_at: None,
            last_used_at: None,
        };
        self.kernel.store.insert_api_key(&record).await?;
        Ok(NewApiKey { id: record.id, key: format!("{prefix}.{secret}"), prefix, name: record.name })
    }

    /// A merchant owner lists the merchant's API keys, live and revoked, newest first: prefix,
    /// name, when made, when last used (to the minute).
    pub async fn api_keys(&self, principal: &Principal) -> CoreResult<Vec<ApiKey>> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.require_merchant()?;
        Ok(self.kernel.store.api_keys(merchant_id).await?.iter().map(ApiKey::from).collect())
    }

    /// A merchant owner lists the merchant's cashiers (removed ones are gone from the list).
    pub async fn cashiers(&self, principal: &Principal) -> CoreResult<Vec<Cashier>> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.require_merchant()?;
        let store = &self.kernel.store;
        let merchant = store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let staff = store.merchant_staff(merchant_id).await?;
        Ok(staff
            .iter()
            .filter(|u| u.role == Role::Cashier && u.removed_at.is_none())
            .map(|u| cashier(u, merchant.cashiers_may_refund))
            .collect())
    }

    /// A merchant owner removes a cashier: their sessions end at once and they sign in no more.
    /// Another merchant's cashier is not found.
    pub async fn remove_cashier(&self, principal: &Principal, cashier: UserId) -> CoreResult<()> {
        self.remove_staff(principal, Role::Cashier, cashier).await
    }

    /// A merchant owner removes a member of staff in `role`: their sessions end at once and they
    /// sign in no more. Another merchant's, or one in another role, is not found.
    pub async fn remove_staff(&self, principal: &Principal, role: Role, user: UserId) -> CoreResult<()> {
        let owner = principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.require_merchant()?;
        if !self.kernel.store.remove_staff(user, merchant_id, role, self.kernel.now()).await? {
            return Err(CoreError::not_found(role.as_str()));
        }
        tracing::info!(%user, role = role.as_str(), merchant = %merchant_id, by = %owner, "staff removed");
        Ok(())
    }

    /// A merchant owner sets whether one cashier may refund (`None`: the merchant's refund policy).
    pub async fn set_cashier_permissions(
        &self,
        principal: &Principal,
        cashier_id: UserId,
        may_refund: Option<bool>,
    ) -> CoreResult<Cashier> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.require_merchant()?;
        let store = &self.kernel.store;
        if !store.set_cashier_may_refund(cashier_id, merchant_id, may_refund).await? {
            return Err(CoreError::not_found("cashier"));
        }
        let merchant = store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let user = store.user(cashier_id).await?.ok_or_else(|| CoreError::not_found("cashier"))?;
        Ok(cashier(&user, merchant.cashiers_may_refund))
    }

    /// Changes the caller's password, given the current one. Wrong ones count toward the login's
    /// lock. Every other session of theirs ends (`current_token`, the session making the change,
    /// stays): whoever learnt the old password is signed out.
    pub async fn change_password(
        &self,
        principal: &Principal,
        old: &SecretText,
        new: &Password,
        current_token: Option<&str>,
    ) -> CoreResult<Profile> {
        let user = self.kernel.current_user(principal).await?;
        self.kernel.check_password(&user, old.expose(), &GuessSource::own(principal)).await?;
        let hash = self.kernel.hash_secret(new.expose()).await?;
        self.kernel.store.set_password_hash(user.id, &hash).await?;
        let ended = self.kernel.end_sessions(user.id, current_token).await?;
        tracing::info!(user = %user.id, other_sessions_ended = ended, "password changed");
        self.profile(principal).await
    }

    /// A customer removes one of their funding sources; anyone else's is not found.
    pub async fn remove_funding_source(&self, principal: &Principal, id: Uuid) -> CoreResult<()> {
        let user_id = principal.require(Role::Customer)?;
        if !self.kernel.store.delete_funding_source(id, user_id).await? {
            return Err(CoreError::not_found("funding source"));
        }
        Ok(())
    }

    /// A merchant owner revokes one of the merchant's API keys; it stops working at once.
    pub async fn revoke_api_key(&self, principal: &Principal, key_id: Uuid) -> CoreResult<()> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.require_merchant()?;
        if self.kernel.store.revoke_api_key(key_id, merchant_id, self.kernel.now()).await? {
            tracing::info!(key = %key_id, merchant = %merchant_id, "api key revoked");
            Ok(())
        } else {
            Err(CoreError::not_found("api key"))
        }
    }

    /// The caller and their accounts; a customer's tier and limits, with what is left today.
    pub async fn profile(&self, principal: &Principal) -> CoreResult<Profile> {
        let user = self.kernel.current_user(principal).await?;
        let accounts = self.kernel.store.accounts_of(AccountOwner::User(user.id)).await?;
        let limits = if user.role == Role::Customer {
            let mut currencies = Vec::new();
            for account in &accounts {
                let currency = self.kernel.settings.currencies.get(account.currency.as_str())?;
                if !currencies.contains(&currency) {
                    currencies.push(currency);
                }
            }
            let (tier, currencies) = self.kernel.limits_now(user.id, &currencies).await?;
            Some(CustomerLimits { tier, currencies })
        } else {
            None
        };
        Ok(Profile { user: User::from(&user), accounts, limits })
    }

    /// Sets the caller's payment PIN. A merchant's owner has none until they set one here (it
    /// confirms cashing out the merchant's money at an agent); changing a PIN needs the current one.
    pub async fn set_pin(&self, principal: &Principal, pin: &Pin, current: Option<&Pin>) -> CoreResult<()> {
        principal.require_any(&[Role::Customer, Role::Agent, Role::MerchantOwner])?;
        let user = self.kernel.current_user(principal).await?;
        match (&user.pin_hash, current) {
            (None, _) => {}
            (Some(_), Some(current)) => {
                self.kernel.check_pin(&user, current, &quipu_kernel::GuessSource::own(principal)).await?
            }
            (Some(_), None) => {
                return Err(CoreError::new(
                    ErrorKind::Forbidden,
                    "old_pin_required",
                    "a PIN is set already; send old_pin to change it",
                ));
            }
        }
        let hash = self.kernel.hash_secret(pin.expose()).await?;
        if !self.kernel.store.set_pin(user.id, &hash, user.pin_hash.as_deref()).await? {
            return Err(CoreError::new(ErrorKind::Conflict, "pin_changed", "the PIN changed meanwhile; try again"));
        }
        tracing::info!(user = %user.id, first = user.pin_hash.is_none(), "payment PIN set");
        Ok(())
    }

    /// A customer records a bank account as a funding source; it is shown masked from then on.
    pub async fn add_funding_source(
        &self,
        principal: &Principal,
        bank_name: &DisplayName,
        account_number: &BankAccountNumber,
    ) -> CoreResult<FundingSource> {
        let user_id = principal.require(Role::Customer)?;
        let record = self.funding_record(user_id, bank_name, account_number);
        if !self.kernel.store.insert_funding_source(&record, MAX_FUNDING_SOURCES).await? {
            return Err(CoreError::new(ErrorKind::Rejected, "limit_exceeded", "at most 10 funding sources"));
        }
        Ok(FundingSource::from(&record))
    }

    pub async fn funding_sources(&self, principal: &Principal) -> CoreResult<Vec<FundingSource>> {
        let user_id = principal.require(Role::Customer)?;
        let sources = self.kernel.store.funding_sources(user_id).await?;
        Ok(sources.iter().map(FundingSource::from).collect())
    }

    /// An operator freezes or unfreezes an account; a frozen account moves no money.
    pub async fn set_frozen(&self, principal: &Principal, id: AccountId, frozen: bool) -> CoreResult<Account> {
        principal.require(Role::Operator)?;
        let (set, clear) = if frozen {
            (AccountFlags::FROZEN, AccountFlags::NONE)
        } else {
            (AccountFlags::NONE, AccountFlags::FROZEN)
        };
        let account = self
            .kernel
            .store
            .update_account_flags(id, set, clear)
            .await?
            .ok_or_else(|| CoreError::not_found("account"))?;
        tracing::info!(account = %account.id, frozen, "account flags changed by operator");
        Ok(account)
    }

    /// The operator moves a customer to a tier (after checking their identity documents, say).
    pub async fn set_customer_tier(
        &self,
        principal: &Principal,
        customer: UserId,
        tier: CustomerTier,
    ) -> CoreResult<()> {
        let operator = principal.require(Role::Operator)?;
        match self.kernel.store.user(customer).await? {
            Some(user) if user.role == Role::Customer => {}
            _ => return Err(CoreError::not_found("customer")),
        }
        self.kernel.store.set_customer_tier(customer, tier, operator.0, self.kernel.now()).await?;
        tracing::info!(%customer, tier = tier.as_str(), by = %operator, "customer tier changed");
        Ok(())
    }

    async fn new_user(&self, role: Role, login: &NewLogin, pin: Option<&Pin>) -> CoreResult<UserRecord> {
        if self.kernel.store.user_by_phone(login.phone.as_str()).await?.is_some() {
            return Err(duplicate_phone());
        }
        let password_hash = self.kernel.hash_secret(login.password.expose()).await?;
        let pin_hash = match pin {
            Some(pin) => Some(self.kernel.hash_secret(pin.expose()).await?),
            None => None,
        };
        Ok(UserRecord {
            id: UserId(self.kernel.new_id()),
            role,
            phone: login.phone.as_str().to_owned(),
            full_name: login.full_name.as_str().to_owned(),
            password_hash,
            pin_hash,
            merchant_id: None,
            pin_failed_attempts: 0,
            pin_locked_until: None,
            login_failed_attempts: 0,
            login_locked_until: None,
            created_at: self.kernel.now(),
            removed_at: None,
            may_refund: None,
        })
    }

    fn funding_record(
        &self,
        user_id: UserId,
        bank_name: &DisplayName,
        account_number: &BankAccountNumber,
    ) -> FundingSourceRecord {
        FundingSourceRecord {
            id: self.kernel.new_id(),
            user_id,
            bank_name: bank_name.as_str().to_owned(),
            account_number: account_number.expose().to_owned(),
            created_at: self.kernel.now(),
        }
    }

    async fn enroll(&self, enrollment: Enrollment) -> CoreResult<()> {
        self.kernel.store.enroll(&enrollment).await.map_err(|error| match error {
            StoreError::Conflict(_) => duplicate_phone(),
            other => CoreError::from(other),
        })
    }

    fn accounts_for(&self, owner: AccountOwner, kind: AccountKind, all_currencies: bool) -> Vec<OwnedAccount> {
        let currencies = &self.kernel.settings.currencies;
        if all_currencies {
            currencies.iter().map(|c| self.kernel.new_account(owner, kind, c.code)).collect()
        } else {
            vec![self.kernel.new_account(owner, kind, currencies.default_currency().code)]
        }
    }
}

fn duplicate_phone() -> CoreError {
    CoreError::new(ErrorKind::Conflict, "phone_taken", "this phone number is already registered")
}

fn profile(user: &UserRecord, accounts: &[OwnedAccount]) -> Profile {
    Profile { user: User::from(user), accounts: accounts.iter().map(|a| a.account.clone()).collect(), limits: None }
}

fn cashier(user: &UserRecord, merchant_policy: bool) -> Cashier {
    Cashier {
        user: User::from(user),
        may_refund: user.may_refund.unwrap_or(merchant_policy),
        own_may_refund: user.may_refund,
        created_at: user.created_at,
    }
}
