//! Identity and access: who is calling, and what they may see and do.
//!
//! Authorization is decided here, next to the data, not in the HTTP layer:
//! every service call takes a [`Principal`] and checks it before touching
//! anything. Someone else's resource answers exactly like a missing one.

use quipu_domain::Timestamp;
use quipu_domain::identity::{BankAccountNumber, DisplayName, MerchantId, Password, PhoneNumber, Pin, Role, UserId};
use quipu_domain::ledger::{AccountFlags, AccountKind};
use quipu_store::{
    AccountOwner, ApiKeyRecord, CheckOutcome, Enrollment, FundingSourceRecord, MerchantRecord, OwnedAccount,
    SecretKind, SessionRecord, UserRecord,
};
use uuid::Uuid;

use crate::error::{CoreError, CoreResult, ErrorKind};
use crate::merchant_qr::DEFAULT_CATEGORY_CODE;
use crate::secrets::{constant_time_eq, random_hex, sha256};
use crate::views::{
    AccountView, AgentView, ApiKeyView, FundingSourceView, MerchantView, ProfileView, SessionView, UserView, rfc3339,
};
use crate::{Services, new_account};

const SESSION_PREFIX: &str = "qps_";
const API_KEY_PREFIX: &str = "qpk_";
/// How long one check of a secret may hold its claim; longer than a hashing slot wait plus a hash.
const CHECK_CLAIM_SECONDS: i64 = 30;
/// Most funding sources a customer may register.
const MAX_FUNDING_SOURCES: u32 = 10;

/// A fresh session for `user`: the bearer token, shown once to its owner, and
/// the record to store, which holds only the token's SHA-256.
pub fn new_session(user: UserId, now: Timestamp, ttl_seconds: i64) -> (String, SessionRecord) {
    let token = format!("{SESSION_PREFIX}{}", random_hex(32));
    let session = SessionRecord {
        token_hash: sha256(token.as_bytes()),
        user_id: user,
        created_at: now,
        expires_at: now.plus_seconds(ttl_seconds),
    };
    (token, session)
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User {
        id: UserId,
        role: Role,
        merchant_id: Option<MerchantId>,
    },
    /// A merchant's server calling with an API key.
    MerchantKey {
        merchant_id: MerchantId,
        key_id: Uuid,
    },
}

impl Principal {
    /// Whose idempotency-key space a request falls in.
    pub fn scope(&self) -> Uuid {
        match self {
            Principal::User { id, .. } => id.0,
            Principal::MerchantKey { key_id, .. } => *key_id,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Principal::User { role, .. } => Some(*role),
            Principal::MerchantKey { .. } => None,
        }
    }

    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Principal::User { id, .. } => Some(*id),
            Principal::MerchantKey { .. } => None,
        }
    }

    /// The merchant whose staff or key this is.
    pub fn merchant(&self) -> Option<MerchantId> {
        match self {
            Principal::User { role: Role::MerchantOwner | Role::Cashier, merchant_id, .. } => *merchant_id,
            Principal::MerchantKey { merchant_id, .. } => Some(*merchant_id),
            Principal::User { .. } => None,
        }
    }

    pub fn require(&self, role: Role) -> CoreResult<UserId> {
        match self {
            Principal::User { id, role: actual, .. } if *actual == role => Ok(*id),
            _ => Err(CoreError::forbidden()),
        }
    }

    /// Whether this caller may see an account's balance and history.
    ///
    /// People see their own accounts; merchant staff and keys their
    /// merchant's; operators and auditors the network's own books and agent
    /// floats, never a customer's wallet (a person's history is theirs).
    pub fn can_view(&self, account: &OwnedAccount) -> bool {
        match (self, account.owner) {
            (Principal::User { id, .. }, AccountOwner::User(owner)) if *id == owner => true,
            (_, AccountOwner::Merchant(owner)) if self.merchant() == Some(owner) => true,
            (Principal::User { role: Role::Operator | Role::Auditor, .. }, _) => {
                account.owner == AccountOwner::System
                    || matches!(account.account.kind, AccountKind::AgentFloat | AccountKind::Merchant)
            }
            _ => false,
        }
    }
}

fn locked(code: &'static str, until: Timestamp) -> CoreError {
    CoreError::new(ErrorKind::Locked, code, format!("too many wrong attempts; locked until {}", rfc3339(until)))
}

impl Services {
    fn user_record(
        &self,
        role: Role,
        phone: PhoneNumber,
        name: DisplayName,
        password_hash: String,
        pin_hash: Option<String>,
    ) -> UserRecord {
        UserRecord {
            id: UserId(Uuid::now_v7()),
            role,
            phone: phone.as_str().to_owned(),
            full_name: name.as_str().to_owned(),
            password_hash,
            pin_hash,
            merchant_id: None,
            pin_failed_attempts: 0,
            pin_locked_until: None,
            login_failed_attempts: 0,
            login_locked_until: None,
            created_at: self.now(),
        }
    }

    async fn new_user(
        &self,
        role: Role,
        phone: &str,
        name: &str,
        password: &str,
        pin: Option<&str>,
    ) -> CoreResult<UserRecord> {
        let phone = PhoneNumber::parse(phone)?;
        let name = DisplayName::parse(name)?;
        let password = Password::parse(password)?;
        let pin = pin.map(Pin::parse).transpose()?;
        if self.store.user_by_phone(phone.as_str()).await?.is_some() {
            return Err(duplicate_phone());
        }
        let password_hash = self.hasher.hash(password.expose()).await?;
        let pin_hash = match pin {
            Some(pin) => Some(self.hasher.hash(pin.expose()).await?),
            None => None,
        };
        Ok(self.user_record(role, phone, name, password_hash, pin_hash))
    }

    async fn enroll(&self, enrollment: Enrollment) -> CoreResult<()> {
        self.store.enroll(&enrollment).await.map_err(|error| match error {
            quipu_store::StoreError::Conflict(_) => duplicate_phone(),
            other => CoreError::from(other),
        })
    }

    fn accounts_for(&self, owner: AccountOwner, kind: AccountKind, all_currencies: bool) -> Vec<OwnedAccount> {
        let now = self.now();
        if all_currencies {
            self.settings.currencies.iter().map(|c| new_account(owner, kind, c.code, now)).collect()
        } else {
            vec![new_account(owner, kind, self.settings.currencies.default_currency().code, now)]
        }
    }

    /// A customer signs up: a user with a password and payment PIN, and a wallet in the default currency.
    pub async fn register_customer(
        &self,
        phone: &str,
        full_name: &str,
        password: &str,
        pin: &str,
    ) -> CoreResult<ProfileView> {
        let user = self.new_user(Role::Customer, phone, full_name, password, Some(pin)).await?;
        let accounts = self.accounts_for(AccountOwner::User(user.id), AccountKind::CustomerWallet, false);
        let view = profile(&user, &accounts);
        self.enroll(Enrollment { merchant: None, users: vec![user], accounts }).await?;
        Ok(view)
    }

    /// Operators and auditors are created from the command line by whoever runs the server.
    pub async fn create_staff(&self, role: Role, phone: &str, full_name: &str, password: &str) -> CoreResult<UserView> {
        if !matches!(role, Role::Operator | Role::Auditor) {
            return Err(CoreError::invalid("invalid_role", "only operators and auditors are created this way"));
        }
        let user = self.new_user(role, phone, full_name, password, None).await?;
        let view = UserView::from(&user);
        self.enroll(Enrollment { users: vec![user], ..Enrollment::default() }).await?;
        Ok(view)
    }

    /// An operator signs up an agent, with a float account in every enabled currency.
    pub async fn create_agent(
        &self,
        principal: &Principal,
        phone: &str,
        full_name: &str,
        password: &str,
        pin: &str,
    ) -> CoreResult<AgentView> {
        principal.require(Role::Operator)?;
        let user = self.new_user(Role::Agent, phone, full_name, password, Some(pin)).await?;
        let accounts = self.accounts_for(AccountOwner::User(user.id), AccountKind::AgentFloat, true);
        let view = AgentView {
            user: UserView::from(&user),
            accounts: accounts.iter().map(|a| AccountView::from(&a.account)).collect(),
        };
        self.enroll(Enrollment { merchant: None, users: vec![user], accounts }).await?;
        Ok(view)
    }

    /// An operator signs up a merchant: the business, its owner's login, and its accounts.
    pub async fn create_merchant(
        &self,
        principal: &Principal,
        name: &str,
        owner_phone: &str,
        owner_name: &str,
        owner_password: &str,
    ) -> CoreResult<MerchantView> {
        principal.require(Role::Operator)?;
        let business = DisplayName::parse(name)?;
        let merchant = MerchantRecord {
            id: MerchantId(Uuid::now_v7()),
            name: business.as_str().to_owned(),
            created_at: self.now(),
            fee_bps: 0,
            cashiers_may_refund: false,
            city: String::new(),
            category_code: DEFAULT_CATEGORY_CODE.to_owned(),
        };
        let mut owner = self.new_user(Role::MerchantOwner, owner_phone, owner_name, owner_password, None).await?;
        owner.merchant_id = Some(merchant.id);
        let accounts = self.accounts_for(AccountOwner::Merchant(merchant.id), AccountKind::Merchant, true);
        let view = MerchantView {
            id: merchant.id.0,
            name: merchant.name.clone(),
            owner: UserView::from(&owner),
            accounts: accounts.iter().map(|a| AccountView::from(&a.account)).collect(),
        };
        self.enroll(Enrollment { merchant: Some(merchant), users: vec![owner], accounts }).await?;
        Ok(view)
    }

    /// A merchant owner adds a cashier to their own merchant.
    pub async fn add_cashier(
        &self,
        principal: &Principal,
        phone: &str,
        full_name: &str,
        password: &str,
    ) -> CoreResult<UserView> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let mut cashier = self.new_user(Role::Cashier, phone, full_name, password, None).await?;
        cashier.merchant_id = Some(merchant_id);
        let view = UserView::from(&cashier);
        self.enroll(Enrollment { users: vec![cashier], ..Enrollment::default() }).await?;
        Ok(view)
    }

    pub async fn merchant_view(&self, principal: &Principal) -> CoreResult<MerchantView> {
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let merchant = self.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let staff = self.store.merchant_staff(merchant_id).await?;
        let owner = staff
            .iter()
            .find(|u| u.role == Role::MerchantOwner)
            .ok_or_else(|| CoreError::not_found("merchant owner"))?;
        let accounts = self.store.accounts_of(AccountOwner::Merchant(merchant_id)).await?;
        Ok(MerchantView {
            id: merchant.id.0,
            name: merchant.name,
            owner: UserView::from(owner),
            accounts: accounts.iter().map(AccountView::from).collect(),
        })
    }

    /// A merchant owner mints an API key: `qpk_<prefix>.<secret>`, shown once.
    pub async fn create_api_key(&self, principal: &Principal) -> CoreResult<ApiKeyView> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let prefix = format!("{API_KEY_PREFIX}{}", random_hex(6));
        let secret = random_hex(24);
        let record = ApiKeyRecord {
            id: Uuid::now_v7(),
            merchant_id,
            prefix: prefix.clone(),
            secret_hash: sha256(secret.as_bytes()),
            created_at: self.now(),
            revoked_at: None,
        };
        self.store.insert_api_key(&record).await?;
        Ok(ApiKeyView { id: record.id, key: format!("{prefix}.{secret}"), prefix })
    }

    /// A merchant owner revokes one of the merchant's API keys; it stops working at once.
    pub async fn revoke_api_key(&self, principal: &Principal, key_id: Uuid) -> CoreResult<()> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        if self.store.revoke_api_key(key_id, merchant_id, self.now()).await? {
            tracing::info!(key = %key_id, merchant = %merchant_id, "api key revoked");
            Ok(())
        } else {
            Err(CoreError::not_found("api key"))
        }
    }

    /// Logs in with phone and password; repeated failures lock the login for a while.
    pub async fn login(&self, phone: &str, password: &str) -> CoreResult<SessionView> {
        let bad_credentials = || CoreError::unauthenticated("invalid_credentials", "wrong phone number or password");
        let phone = PhoneNumber::parse(phone).map_err(|_| bad_credentials())?;
        let Some(user) = self.store.user_by_phone(phone.as_str()).await? else {
            // Same work as for a real user, so timing does not reveal which phones exist.
            self.hasher.verify(password, None).await?;
            return Err(bad_credentials());
        };
        match self.check_secret(user.id.0, SecretKind::Password, password, &user.password_hash).await? {
            SecretCheck::Correct => {}
            SecretCheck::Wrong { .. } => return Err(bad_credentials()),
            SecretCheck::Locked(until) => return Err(locked("login_locked", until)),
            SecretCheck::Busy => return Err(busy()),
        }
        let (token, session) = new_session(user.id, self.now(), self.settings.session_ttl_seconds);
        self.store.insert_session(&session).await?;
        Ok(SessionView { token, expires_at: rfc3339(session.expires_at), user: UserView::from(&user) })
    }

    pub async fn logout(&self, token: &str) -> CoreResult<()> {
        Ok(self.store.delete_session(&sha256(token.as_bytes())).await?)
    }

    /// Resolves a bearer token (session) or API key to a principal.
    pub async fn authenticate(&self, credential: &str) -> CoreResult<Principal> {
        if credential.starts_with(API_KEY_PREFIX) {
            return self.authenticate_api_key(credential).await;
        }
        let invalid = || CoreError::unauthenticated("invalid_token", "the token is not valid; log in again");
        if !credential.starts_with(SESSION_PREFIX) || credential.len() > 100 {
            return Err(invalid());
        }
        let hash = sha256(credential.as_bytes());
        let session = self.store.session(&hash).await?.ok_or_else(invalid)?;
        if session.expires_at <= self.now() {
            self.store.delete_session(&hash).await?;
            return Err(CoreError::unauthenticated("session_expired", "the session has expired; log in again"));
        }
        let user = self.store.user(session.user_id).await?.ok_or_else(invalid)?;
        Ok(Principal::User { id: user.id, role: user.role, merchant_id: user.merchant_id })
    }

    async fn authenticate_api_key(&self, key: &str) -> CoreResult<Principal> {
        let invalid = || CoreError::unauthenticated("invalid_api_key", "the API key is not valid");
        let (prefix, secret) = key.split_once('.').ok_or_else(invalid)?;
        if prefix.len() > 40 || secret.len() > 100 {
            return Err(invalid());
        }
        let record = self.store.api_key_by_prefix(prefix).await?.ok_or_else(invalid)?;
        if record.revoked_at.is_some() || !constant_time_eq(&sha256(secret.as_bytes()), &record.secret_hash) {
            return Err(invalid());
        }
        Ok(Principal::MerchantKey { merchant_id: record.merchant_id, key_id: record.id })
    }

    /// Checks a user's payment PIN, counting wrong tries and locking after too many.
    pub async fn check_pin(&self, user: &UserRecord, pin: &str) -> CoreResult<()> {
        let pin = Pin::parse(pin)?;
        let Some(hash) = user.pin_hash.as_deref() else {
            return Err(CoreError::new(ErrorKind::Rejected, "pin_not_set", "this user has no payment PIN"));
        };
        pin_outcome(self.check_secret(user.id.0, SecretKind::Pin, pin.expose(), hash).await?)
    }

    /// Verifies a password or PIN under its attempt limit.
    ///
    /// One check per owner (user or card) and secret at a time: the check is
    /// claimed in the database before Argon2 runs (the claim lapses by itself
    /// after `CHECK_CLAIM_SECONDS` if a process dies), so parallel guesses are
    /// counted exactly like guesses one after another. The check runs in its
    /// own task: a client that hangs up cannot leave it half-counted.
    pub(crate) async fn check_secret(
        &self,
        owner: Uuid,
        kind: SecretKind,
        secret: &str,
        hash: &str,
    ) -> CoreResult<SecretCheck> {
        let now = self.now();
        let (max_attempts, lock_seconds) = match kind {
            SecretKind::Pin => (self.settings.pin_max_attempts, self.settings.pin_lock_seconds),
            SecretKind::Password => (self.settings.login_max_attempts, self.settings.login_lock_seconds),
            SecretKind::CardPin => (self.settings.pin_max_attempts, self.settings.card_pin_lock_seconds),
        };
        let claim_until = now.plus_seconds(CHECK_CLAIM_SECONDS);
        if self.store.claim_secret_check(owner, kind, now, claim_until).await?.is_none() {
            let until = match kind {
                SecretKind::Pin => self.store.user(UserId(owner)).await?.and_then(|u| u.pin_locked_until),
                SecretKind::Password => self.store.user(UserId(owner)).await?.and_then(|u| u.login_locked_until),
                SecretKind::CardPin => self.store.card(owner).await?.and_then(|c| c.pin_locked_until),
            };
            return Ok(match until.filter(|until| *until > now) {
                Some(until) => SecretCheck::Locked(until),
                None => SecretCheck::Busy,
            });
        }
        let (store, hasher) = (self.store.clone(), self.hasher.clone());
        let (secret, hash) = (secret.to_owned(), hash.to_owned());
        let lock_until = now.plus_seconds(lock_seconds);
        let check = tokio::spawn(async move {
            let outcome = match hasher.verify(&secret, Some(&hash)).await {
                Ok(true) => CheckOutcome::Right,
                Ok(false) => CheckOutcome::Wrong { max_attempts, lock_until },
                Err(error) => {
                    store.finish_secret_check(owner, kind, CheckOutcome::Abandoned).await?;
                    return Err(error);
                }
            };
            let state = store.finish_secret_check(owner, kind, outcome).await?;
            Ok(match (outcome, state.locked_until) {
                (CheckOutcome::Right, _) => SecretCheck::Correct,
                (_, Some(until)) => SecretCheck::Locked(until),
                _ => SecretCheck::Wrong { attempts_left: max_attempts.saturating_sub(state.failed_attempts) },
            })
        });
        check.await.map_err(|_| CoreError::new(ErrorKind::Unavailable, "internal_error", "the secret check failed"))?
    }

    pub async fn current_user(&self, principal: &Principal) -> CoreResult<UserRecord> {
        let id = principal.user_id().ok_or_else(CoreError::forbidden)?;
        self.store.user(id).await?.ok_or_else(|| CoreError::not_found("user"))
    }

    pub async fn profile(&self, principal: &Principal) -> CoreResult<ProfileView> {
        let user = self.current_user(principal).await?;
        let accounts = self.store.accounts_of(AccountOwner::User(user.id)).await?;
        Ok(ProfileView { user: UserView::from(&user), accounts: accounts.iter().map(AccountView::from).collect() })
    }

    /// A customer records a bank account as a funding source; it is shown masked from then on.
    pub async fn add_funding_source(
        &self,
        principal: &Principal,
        bank_name: &str,
        account_number: &str,
    ) -> CoreResult<FundingSourceView> {
        let user_id = principal.require(Role::Customer)?;
        let bank = DisplayName::parse(bank_name)?;
        let number = BankAccountNumber::parse(account_number)?;
        let record = FundingSourceRecord {
            id: Uuid::now_v7(),
            user_id,
            bank_name: bank.as_str().to_owned(),
            account_number: number.expose().to_owned(),
            created_at: self.now(),
        };
        if !self.store.insert_funding_source(&record, MAX_FUNDING_SOURCES).await? {
            return Err(CoreError::new(ErrorKind::Rejected, "limit_exceeded", "at most 10 funding sources"));
        }
        Ok(FundingSourceView::from(&record))
    }

    pub async fn funding_sources(&self, principal: &Principal) -> CoreResult<Vec<FundingSourceView>> {
        let user_id = principal.require(Role::Customer)?;
        let sources = self.store.funding_sources(user_id).await?;
        Ok(sources.iter().map(FundingSourceView::from).collect())
    }

    /// An operator freezes or unfreezes an account; a frozen account moves no money.
    pub async fn set_frozen(
        &self,
        principal: &Principal,
        account_id: uuid::Uuid,
        frozen: bool,
    ) -> CoreResult<AccountView> {
        principal.require(Role::Operator)?;
        let id = quipu_domain::ledger::AccountId(account_id);
        let (set, clear) = if frozen {
            (AccountFlags::FROZEN, AccountFlags::NONE)
        } else {
            (AccountFlags::NONE, AccountFlags::FROZEN)
        };
        let account =
            self.store.update_account_flags(id, set, clear).await?.ok_or_else(|| CoreError::not_found("account"))?;
        tracing::info!(account = %account.id, frozen, "account flags changed by operator");
        Ok(AccountView::from(&account))
    }
}

/// A PIN check's outcome as the caller sees it: wrong tries say how many are left.
pub(crate) fn pin_outcome(check: SecretCheck) -> CoreResult<()> {
    match check {
        SecretCheck::Correct => Ok(()),
        SecretCheck::Locked(until) => Err(locked("pin_locked", until)),
        SecretCheck::Busy => Err(busy()),
        SecretCheck::Wrong { attempts_left } => Err(CoreError::new(
            ErrorKind::Forbidden,
            "wrong_pin",
            format!("wrong PIN; {attempts_left} attempts left before it locks"),
        )),
    }
}

/// The outcome of checking a secret under its attempt limit.
pub(crate) enum SecretCheck {
    Correct,
    Wrong {
        attempts_left: u32,
    },
    Locked(Timestamp),
    /// Another check of the same secret is running right now.
    Busy,
}

fn busy() -> CoreError {
    CoreError::new(ErrorKind::Throttled, "check_in_progress", "another attempt is being checked; retry in a moment")
}

fn duplicate_phone() -> CoreError {
    CoreError::new(ErrorKind::Conflict, "phone_taken", "this phone number is already registered")
}

fn profile(user: &UserRecord, accounts: &[OwnedAccount]) -> ProfileView {
    ProfileView {
        user: UserView::from(user),
        accounts: accounts.iter().map(|a| AccountView::from(&a.account)).collect(),
    }
}
