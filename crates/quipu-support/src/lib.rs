//! Support: what operators and auditors do about a person, and what the
//! person sees of it. Staff find people and see their standing (role, tier,
//! frozen, locked, who guessed) but not their money; to read someone's
//! history they ask for a time-limited, read-only grant with a reason. Every
//! action they take about someone is written, with its reason, to an access
//! log the person reads from their own account.

use std::sync::Arc;

use quipu_domain::identity::{Password, PhoneNumber, Pin, Role, UserId};
use quipu_domain::ledger::{Account, AccountFlags, AccountId};
use quipu_domain::limits::CustomerTier;
use quipu_domain::text::StatedReason;
use quipu_kernel::paging::{cursor_before, next_cursor, page_limit};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, GuessSource, Kernel, Principal};
use quipu_store::support::{
    AccessEntryRecord, AccessGrantRecord, AttentionCounts, LowFloatRecord, MAX_ACCESS_LOG_PAGE, MAX_LOW_FLOATS,
    MAX_SEARCH_PAGE, PeopleQuery, PersonRecord, ResetCodeRecord,
};
use quipu_store::{AccountOwner, SecretKind, SourceAttempts, UserRecord};
use quipu_wallet::{HistoryFilter, HistoryPage, Wallet};

/// Shortest and longest search text: one character finds half the network, and a search is not an essay.
const MIN_SEARCH_CHARS: usize = 2;
const MAX_SEARCH_CHARS: usize = 100;
/// How long a grant lasts unless asked otherwise, and at most.
pub const DEFAULT_GRANT_HOURS: u32 = 24;
pub const MAX_GRANT_HOURS: u32 = 72;

/// Digits in a reset code: 10^10 codes, five tries each, and the code lapses in half an hour.
const RESET_CODE_DIGITS: usize = 10;
const RESET_CODE_SECONDS: i64 = 30 * 60;
/// How long an operator's reset request waits for a second operator.
const RESET_REQUEST_SECONDS: i64 = 24 * 3600;
/// Wrong tries a reset code survives.
const RESET_CODE_ATTEMPTS: u32 = 5;

pub use quipu_store::support::ResetRequestRecord as ResetRequest;

/// A reset code as issued: shown once, to be handed to the person.
#[derive(Debug, Clone)]
pub struct IssuedResetCode {
    pub user_id: UserId,
    pub code: String,
    pub expires_at: quipu_domain::Timestamp,
}

/// One page of a person's access log, newest first.
#[derive(Debug, Clone)]
pub struct AccessLogPage {
    pub entries: Vec<AccessEntryRecord>,
    pub next_cursor: Option<String>,
}

/// How long a given-up webhook delivery keeps its endpoint on the operator's home.
const FAILING_WEBHOOK_SECONDS: i64 = 24 * 3600;

/// What may need the operator now: counts, and the agents whose float is running low.
#[derive(Debug, Clone, Default)]
pub struct Attention {
    pub counts: AttentionCounts,
    pub low_floats: Vec<LowFloatRecord>,
}

impl Attention {
    /// Whether nothing needs anyone.
    pub fn is_calm(&self) -> bool {
        self.counts == AttentionCounts::default() && self.low_floats.is_empty()
    }
}

/// A page of people found.
#[derive(Debug, Clone)]
pub struct PeoplePage {
    pub people: Vec<PersonRecord>,
    pub next_cursor: Option<String>,
}

/// A person's standing, as staff see it: no balance, no payment.
#[derive(Debug, Clone)]
pub struct PersonSummary {
    pub person: PersonRecord,
    /// For customers.
    pub tier: Option<CustomerTier>,
    /// Their accounts, without balances.
    pub accounts: Vec<Account>,
    /// Who has been guessing their PIN or password (and their cards' PINs are the cards' own).
    pub guesses: Vec<SourceAttempts>,
}

/// Which secret an operator unlocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockedSecret {
    Pin,
    Password,
}

#[derive(Clone)]
pub struct Support {
    kernel: Arc<Kernel>,
    wallet: Wallet,
}

impl Support {
    pub fn new(kernel: Arc<Kernel>, wallet: Wallet) -> Self {
        Self { kernel, wallet }
    }

    /// What staff did about the caller: who, when, why, and what.
    pub async fn my_access_log(
        &self,
        principal: &Principal,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> CoreResult<AccessLogPage> {
        let me = principal.user_id().ok_or_else(CoreError::forbidden)?;
        let limit = page_limit(limit, 50, MAX_ACCESS_LOG_PAGE)?;
        let entries = self.kernel.store.access_entries(me.0, cursor_before(cursor)?, limit).await?;
        let next_cursor = next_cursor(&entries, limit, |entry| entry.at);
        Ok(AccessLogPage { entries, next_cursor })
    }

    /// Operators and auditors find people by phone (a prefix), name or
    /// business name (a part), or id; newest first.
    /// What needs the operator now: payouts waiting, frozen accounts, webhooks failing, people locked
    /// out, agents low on float. Counts and names only: no one's money but the floats' own.
    pub async fn attention(&self, principal: &Principal) -> CoreResult<Attention> {
        principal.require_any(&[Role::Operator, Role::Auditor])?;
        let now = self.kernel.now();
        let since = now.plus_seconds(-FAILING_WEBHOOK_SECONDS);
        let store = &self.kernel.store;
        let counts = store.attention_counts(now, since, i64::from(AccountFlags::FROZEN.bits())).await?;
        let mut low_floats = Vec::new();
        for currency in self.kernel.settings.currencies.iter() {
            let mark = self.kernel.settings.attention.low_float(*currency);
            low_floats.extend(store.agents_low_on_float(currency.code, mark.minor(), MAX_LOW_FLOATS).await?);
        }
        Ok(Attention { counts, low_floats })
    }

    pub async fn search(
        &self,
        principal: &Principal,
        text: &str,
        role: Option<Role>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> CoreResult<PeoplePage> {
        principal.require_any(&[Role::Operator, Role::Auditor])?;
        let mut query = people_query(text)?;
        query.role = role;
        let limit = page_limit(limit, 20, MAX_SEARCH_PAGE)?;
        let people = self.kernel.store.search_people(&query, cursor_before(cursor)?, limit).await?;
        let next_cursor = next_cursor(&people, limit, |person| person.user.created_at);
        Ok(PeoplePage { people, next_cursor })
    }

    /// A person's standing: role, tier, accounts (frozen or not), locks and who caused them.
    pub async fn summary(&self, principal: &Principal, id: UserId) -> CoreResult<PersonSummary> {
        principal.require_any(&[Role::Operator, Role::Auditor])?;
        let user = self.person(id).await?;
        let merchant_name = match user.merchant_id {
            Some(merchant) => self.kernel.store.merchant(merchant).await?.map(|m| m.name),
            None => None,
        };
        let tier = match user.role {
            Role::Customer => Some(self.kernel.tier_of(Some(user.id)).await?),
            _ => None,
        };
        let accounts = self.kernel.store.accounts_of(owner_of(&user)).await?;
        let guesses = self.kernel.guesses_at(user.id.0).await?;
        Ok(PersonSummary { person: PersonRecord { user, merchant_name }, tier, accounts, guesses })
    }

    /// An operator lifts a locked PIN or login (the person proved who they
    /// are at the desk), with a reason the person reads.
    pub async fn unlock(
        &self,
        principal: &Principal,
        id: UserId,
        secret: LockedSecret,
        reason: &StatedReason,
    ) -> CoreResult<PersonSummary> {
        principal.require(Role::Operator)?;
        let user = self.person(id).await?;
        let (kind, action, detail) = match secret {
            LockedSecret::Pin => {
                (SecretKind::Pin, "pin_unlocked", "your PIN was unlocked and its wrong tries forgotten")
            }
            LockedSecret::Password => {
                (SecretKind::Password, "login_unlocked", "your login was unlocked and its wrong tries forgotten")
            }
        };
        // Logged first: an unlock the person cannot see never happens.
        self.log(principal, user.id, action, reason, detail.to_owned()).await?;
        self.kernel.store.clear_secret_attempts(user.id.0, kind).await?;
        tracing::info!(person = %user.id.0, action, "lock lifted by operator");
        self.summary(principal, id).await
    }

    /// An operator freezes (or unfreezes) everything a person holds: their
    /// own accounts, and a merchant owner's business accounts.
    pub async fn set_person_frozen(
        &self,
        principal: &Principal,
        id: UserId,
        frozen: bool,
        reason: &StatedReason,
    ) -> CoreResult<PersonSummary> {
        principal.require(Role::Operator)?;
        let user = self.person(id).await?;
        let mut accounts = self.kernel.store.accounts_of(owner_of(&user)).await?;
        // The cards linked to them too: a frozen person pays with none of them.
        for card in self.kernel.store.cards_of(user.id).await? {
            accounts.extend(self.kernel.store.accounts_of(AccountOwner::Card(card.id)).await?);
        }
        let (action, detail) =
            if frozen { ("frozen", "your accounts were frozen") } else { ("unfrozen", "your accounts were unfrozen") };
        self.log(principal, user.id, action, reason, format!("{detail} ({} accounts)", accounts.len())).await?;
        let (set, clear) = if frozen {
            (AccountFlags::FROZEN, AccountFlags::NONE)
        } else {
            (AccountFlags::NONE, AccountFlags::FROZEN)
        };
        for account in &accounts {
            self.kernel.store.update_account_flags(account.id, set, clear).await?;
        }
        tracing::info!(person = %user.id.0, frozen, "person's accounts frozen or unfrozen by operator");
        self.summary(principal, id).await
    }

    /// An operator or auditor asks for read-only access to a person's
    /// history, for a stated reason, for `hours` (24 unless said, at most 72).
    pub async fn grant_access(
        &self,
        principal: &Principal,
        subject: UserId,
        reason: &StatedReason,
        hours: Option<u32>,
    ) -> CoreResult<AccessGrantRecord> {
        let grantee = principal.require_any(&[Role::Operator, Role::Auditor])?;
        let hours = hours.unwrap_or(DEFAULT_GRANT_HOURS);
        if !(1..=MAX_GRANT_HOURS).contains(&hours) {
            return Err(CoreError::invalid(
                "invalid_hours",
                format!("a grant lasts 1 to {MAX_GRANT_HOURS} hours; ask again when it ends"),
            ));
        }
        let user = self.person(subject).await?;
        if user.id == grantee {
            return Err(CoreError::invalid("own_account", "you read your own history from your own account"));
        }
        let now = self.kernel.now();
        let grant = AccessGrantRecord {
            id: self.kernel.new_id(),
            subject: user.id,
            grantee,
            reason: reason.as_str().to_owned(),
            created_at: now,
            expires_at: now.plus_seconds(i64::from(hours).saturating_mul(3600)),
        };
        let detail = format!("read-only access to your history for {hours} hours");
        let log = self.kernel.access_entry(principal, user.id.0, "access_granted", reason, detail)?;
        self.kernel.store.insert_access_grant(&grant, &log).await?;
        tracing::info!(person = %user.id.0, grant = %grant.id, "access grant opened");
        Ok(grant)
    }

    /// Reads a page of a person's history under the caller's live grant;
    /// the read is logged, with what was read, before anything is returned.
    /// `account` defaults to the person's first account.
    pub async fn read_history(
        &self,
        principal: &Principal,
        subject: UserId,
        account: Option<AccountId>,
        filter: &HistoryFilter,
    ) -> CoreResult<HistoryPage> {
        let read = self.kernel.granted_read(principal, subject).await?;
        // A person's own accounts (a business's books are the operator's to see already), checked
        // before the read is logged: nothing else is read.
        let accounts = self.kernel.store.accounts_of(AccountOwner::User(subject)).await?;
        let account = accounts
            .iter()
            .map(|a| a.id)
            .find(|id| account.is_none_or(|wanted| wanted == *id))
            .ok_or_else(|| CoreError::not_found("account"))?;
        let page = match filter.before {
            Some(before) => format!("entries before {}", quipu_kernel::text::rfc3339(before)),
            None => "the newest entries".to_owned(),
        };
        let reason = StatedReason::parse(read.reason())?;
        let detail = format!("history of account {}: {page} (grant {})", account.0, read.grant_id());
        self.log(principal, subject, "history_read", &reason, detail).await?;
        self.wallet.history_granted(&read, account, filter).await
    }

    /// A one-time code to set a new password, for a customer at an agent's counter who proves it
    /// is them with their payment PIN (an agent sees the code, so without the PIN an agent could
    /// take over any customer's account). The person reads who issued it and why.
    pub async fn issue_reset_code(
        &self,
        principal: &Principal,
        id: UserId,
        reason: &StatedReason,
        holder_pin: &Pin,
    ) -> CoreResult<IssuedResetCode> {
        principal.require(Role::Agent)?;
        let user = self.person(id).await?;
        if user.role != Role::Customer {
            return Err(CoreError::forbidden());
        }
        self.kernel.check_pin(&user, holder_pin, &GuessSource::of(principal)).await?;
        let (code, record) = self.new_reset_code(principal, &user, reason).await?;
        let detail = "a one-time code to set a new password, valid for 30 minutes".to_owned();
        let log = self.kernel.access_entry(principal, user.id.0, "reset_code_issued", reason, detail)?;
        self.kernel.store.insert_reset_code(&record, &log).await?;
        tracing::info!(person = %user.id.0, "password reset code issued at an agent");
        Ok(IssuedResetCode { user_id: user.id, code, expires_at: record.expires_at })
    }

    /// An operator asks to reset someone's password (anyone but staff). No code yet: a second
    /// operator approves it and alone sees the code, to hand it to the person, so no one member
    /// of staff can take over an account. The person reads who asked and why.
    pub async fn request_reset(
        &self,
        principal: &Principal,
        id: UserId,
        reason: &StatedReason,
    ) -> CoreResult<ResetRequest> {
        let operator = principal.require(Role::Operator)?;
        let user = self.resettable_by_staff(id, operator).await?;
        let now = self.kernel.now();
        let request = ResetRequest {
            user_id: user.id,
            requested_by: operator,
            reason: reason.as_str().to_owned(),
            created_at: now,
            expires_at: now.plus_seconds(RESET_REQUEST_SECONDS),
        };
        let detail = "asked for a one-time code to set a new password; a second operator must approve it".to_owned();
        let log = self.kernel.access_entry(principal, user.id.0, "reset_requested", reason, detail)?;
        self.kernel.store.insert_reset_request(&request, &log).await?;
        tracing::info!(person = %user.id.0, "password reset requested");
        Ok(request)
    }

    /// A second operator approves a reset another operator asked for: the code is made now and
    /// shown to the approver only.
    pub async fn approve_reset(
        &self,
        principal: &Principal,
        id: UserId,
        reason: &StatedReason,
    ) -> CoreResult<IssuedResetCode> {
        let operator = principal.require(Role::Operator)?;
        let user = self.resettable_by_staff(id, operator).await?;
        let no_request = || {
            CoreError::new(ErrorKind::NotFound, "reset_request_not_found", "no reset of this person waits for approval")
        };
        let request = self.kernel.store.reset_request(user.id).await?;
        let request = request.filter(|r| r.expires_at > self.kernel.now()).ok_or_else(no_request)?;
        if request.requested_by == operator {
            return Err(CoreError::new(
                ErrorKind::Forbidden,
                "second_operator_required",
                "another operator must approve a reset you asked for",
            ));
        }
        let (code, record) = self.new_reset_code(principal, &user, reason).await?;
        let detail = format!(
            "a one-time code to set a new password, valid for 30 minutes, asked for by operator {} ({})",
            request.requested_by.0, request.reason
        );
        let log = self.kernel.access_entry(principal, user.id.0, "reset_code_issued", reason, detail)?;
        if !self.kernel.store.approve_reset_request(&request, &record, &log).await? {
            return Err(no_request());
        }
        tracing::info!(person = %user.id.0, "password reset approved");
        Ok(IssuedResetCode { user_id: user.id, code, expires_at: record.expires_at })
    }

    /// Someone staff may reset: not staff themselves, and not the operator asking.
    async fn resettable_by_staff(&self, id: UserId, operator: UserId) -> CoreResult<UserRecord> {
        let user = self.person(id).await?;
        if matches!(user.role, Role::Operator | Role::Auditor) || user.id == operator {
            return Err(CoreError::forbidden());
        }
        Ok(user)
    }

    /// A fresh code and the record that keeps its hash.
    async fn new_reset_code(
        &self,
        principal: &Principal,
        user: &UserRecord,
        reason: &StatedReason,
    ) -> CoreResult<(String, ResetCodeRecord)> {
        let issuer = principal.user_id().ok_or_else(CoreError::forbidden)?;
        let random = self.kernel.random.as_ref();
        let code: String = (0..RESET_CODE_DIGITS)
            .map(|_| char::from_digit(quipu_kernel::random::in_range(random, 0..=9), 10).unwrap_or('0'))
            .collect();
        let now = self.kernel.now();
        let record = ResetCodeRecord {
            user_id: user.id,
            code_hash: self.kernel.hash_secret(&code).await?,
            issued_by: issuer,
            created_at: now,
            expires_at: now.plus_seconds(RESET_CODE_SECONDS),
            failed_attempts: 0,
            reason: reason.as_str().to_owned(),
        };
        Ok((code, record))
    }

    /// The person sets a new password with the code they were handed. Every
    /// other session ends and a login lock lifts. A wrong, spent or expired
    /// code, or a phone nobody has, all answer the same, after the same work.
    pub async fn reset_password(&self, phone: &PhoneNumber, code: &str, password: &Password) -> CoreResult<UserRecord> {
        let invalid = || {
            CoreError::new(
                ErrorKind::Forbidden,
                "reset_code_invalid",
                "the code is wrong, spent or expired; ask an agent or the operator for a new one",
            )
        };
        let store = &self.kernel.store;
        let user = store.user_by_phone(phone.as_str()).await?;
        let record = match &user {
            Some(user) => store.reset_code(user.id).await?.filter(|r| r.expires_at > self.kernel.now()),
            None => None,
        };
        // A try is spent before the code is checked: parallel guesses get no more than five.
        let record = match record {
            Some(record) if store.take_reset_try(&record, RESET_CODE_ATTEMPTS).await? => Some(record),
            _ => None,
        };
        let matches = self.kernel.verify_secret(code, record.as_ref().map(|r| r.code_hash.as_str())).await?;
        let (Some(user), Some(record)) = (user, record) else { return Err(invalid()) };
        if !matches {
            store.drop_spent_reset_code(user.id, RESET_CODE_ATTEMPTS).await?;
            return Err(invalid());
        }
        let hash = self.kernel.hash_secret(password.expose()).await?;
        if !store.reset_password(&record, &hash).await? {
            return Err(invalid());
        }
        tracing::info!(person = %user.id.0, "password reset with a code");
        Ok(user)
    }

    async fn person(&self, id: UserId) -> CoreResult<UserRecord> {
        self.kernel.store.user(id).await?.ok_or_else(|| CoreError::not_found("person"))
    }

    async fn log(
        &self,
        principal: &Principal,
        subject: UserId,
        action: &str,
        reason: &StatedReason,
        detail: String,
    ) -> CoreResult<()> {
        let entry = self.kernel.access_entry(principal, subject.0, action, reason, detail)?;
        Ok(self.kernel.store.insert_access_entry(&entry).await?)
    }
}

/// Whose accounts a person holds: a merchant owner's are the business's.
fn owner_of(user: &UserRecord) -> AccountOwner {
    match (user.role, user.merchant_id) {
        (Role::MerchantOwner, Some(merchant)) => AccountOwner::Merchant(merchant),
        _ => AccountOwner::User(user.id),
    }
}

/// Turns search text into a query: an id, a phone prefix, a name part.
/// Wildcards are searched for literally; text of only punctuation finds nothing useful and is refused.
pub fn people_query(text: &str) -> CoreResult<PeopleQuery> {
    let text = text.trim();
    let length = text.chars().count();
    let meaningful = text.chars().filter(|c| c.is_alphanumeric()).count();
    if !(MIN_SEARCH_CHARS..=MAX_SEARCH_CHARS).contains(&length)
        || meaningful < MIN_SEARCH_CHARS
        || !quipu_domain::text::is_display_safe(text)
    {
        return Err(CoreError::new(
            ErrorKind::Invalid,
            "invalid_search",
            format!(
                "search with {MIN_SEARCH_CHARS} to {MAX_SEARCH_CHARS} characters, at least {MIN_SEARCH_CHARS} of them letters or digits: a phone number, a name or an id"
            ),
        ));
    }
    let id = uuid::Uuid::parse_str(text).ok().map(UserId);
    let digits = text.strip_prefix('+').unwrap_or(text);
    let phone_prefix = digits.chars().all(|c| c.is_ascii_digit()).then(|| format!("+{}%", escape_like(digits)));
    Ok(PeopleQuery { id, phone_prefix, name_pattern: format!("%{}%", escape_like(&text.to_lowercase())), role: None })
}

/// Makes `%`, `_` and the escape itself literal in a `LIKE … ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_becomes_an_id_a_phone_prefix_or_a_name_part() {
        assert_eq!(people_query(" +1555 ").unwrap().phone_prefix.as_deref(), Some("+1555%"), "trimmed");
        assert_eq!(people_query("1 555").unwrap().phone_prefix, None, "a space is no phone number");
        let query = people_query("+15550").unwrap();
        assert_eq!(query.phone_prefix.as_deref(), Some("+15550%"));
        let query = people_query("Amina").unwrap();
        assert_eq!((query.phone_prefix, query.name_pattern.as_str()), (None, "%amina%"));
        let query = people_query("0190a1b2-0000-7000-8000-000000000000").unwrap();
        assert!(query.id.is_some());
        assert_eq!(people_query("50%_off").unwrap().name_pattern, "%50\\%\\_off%");
    }

    #[test]
    fn empty_huge_or_wildcard_only_searches_are_refused() {
        for text in ["", " ", "a", "%%", "**", "__", "%_%_", &"x".repeat(101), "Amina\u{202E}"] {
            assert_eq!(people_query(text).unwrap_err().code, "invalid_search", "{text:?}");
        }
    }
}
