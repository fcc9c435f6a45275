//! What staff did about a person, kept where the person can read it: the
//! access log. Every staff action that touches someone (a card replaced
//! without its PIN, a lock lifted, a history read under a grant) writes one
//! entry, in the same transaction as the action.

use quipu_domain::Timestamp;
use quipu_domain::identity::{Role, UserId};
use quipu_domain::money::CurrencyCode;
use uuid::Uuid;

use crate::StoreResult;

/// Most entries one page of a person's access log shows.
pub const MAX_ACCESS_LOG_PAGE: u32 = 100;

/// One staff action about a person (or an unlinked card: then the card is the subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntryRecord {
    pub id: Uuid,
    /// The person (user id) or, for a card nobody is linked to, the card.
    pub subject: Uuid,
    pub actor: UserId,
    pub actor_role: Role,
    /// What was done, a stable word: `card_replacement_approved`, `pin_unlocked`, `history_read`, …
    pub action: String,
    /// Why, as the staff member stated it.
    pub reason: String,
    /// What exactly: which card, which page of history.
    pub detail: String,
    pub at: Timestamp,
}

/// Most people one page of a search shows.
pub const MAX_SEARCH_PAGE: u32 = 50;

/// What an operator searches people by, already checked and escaped for `LIKE` (escape `\\`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeopleQuery {
    /// An exact user id, if the text was one.
    pub id: Option<UserId>,
    /// A `LIKE` pattern on the phone number (a prefix), or `None` if the text cannot be one.
    pub phone_prefix: Option<String>,
    /// A `LIKE` pattern on the lower-cased name or business name (a substring).
    pub name_pattern: String,
    /// Only people in this role.
    pub role: Option<Role>,
}

/// A person found by a search: their user record and, for merchant staff, the business's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub user: crate::UserRecord,
    pub merchant_name: Option<String>,
}

/// Leave for one staff member to read one person's history for a while, for a stated reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrantRecord {
    pub id: Uuid,
    pub subject: UserId,
    pub grantee: UserId,
    pub reason: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A one-time code to set a new password, stored as its Argon2id hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetCodeRecord {
    pub user_id: UserId,
    pub code_hash: String,
    pub issued_by: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub failed_attempts: u32,
    /// Why it was issued: the watch on the password it sets carries it.
    pub reason: String,
}

/// An operator's request to reset someone's password, waiting for a second operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetRequestRecord {
    pub user_id: UserId,
    pub requested_by: UserId,
    pub reason: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A password set from a reset code: whoever issued the code could know it, so the sessions it
/// opens are watched, each request written to the person's access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResetWatchRecord {
    pub user_id: UserId,
    pub issued_by: UserId,
    pub reason: String,
    pub since: Timestamp,
}

/// Most agents the operator's home lists as low on float.
pub const MAX_LOW_FLOATS: u32 = 20;

/// What the operator's home counts: what may need a person now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttentionCounts {
    /// Payouts asked for and not yet in a batch for the bank.
    pub pending_payouts: i64,
    pub frozen_accounts: i64,
    /// Live endpoints with a delivery retrying now, or given up on since the given time.
    pub failing_webhooks: i64,
    /// People whose PIN or sign-in is locked for everyone now.
    pub locked_people: i64,
}

/// An agent whose float's available balance is below the network's mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowFloatRecord {
    pub agent: UserId,
    pub full_name: String,
    pub phone: String,
    pub currency: CurrencyCode,
    /// In minor units.
    pub available: i64,
}

#[async_trait::async_trait]
pub trait SupportStore: Send + Sync {
    /// The counts on the operator's home: `frozen` is the ledger's frozen flag.
    async fn attention_counts(
        &self,
        now: Timestamp,
        failing_since: Timestamp,
        frozen: i64,
    ) -> StoreResult<AttentionCounts>;
    /// Agents whose float in `currency` has less than `below` (minor units) available, lowest first.
    async fn agents_low_on_float(
        &self,
        currency: CurrencyCode,
        below: i64,
        limit: u32,
    ) -> StoreResult<Vec<LowFloatRecord>>;
    async fn insert_access_entry(&self, entry: &AccessEntryRecord) -> StoreResult<()>;
    /// A subject's entries before `before`, newest first, at most `limit`.
    async fn access_entries(&self, subject: Uuid, before: Timestamp, limit: u32)
    -> StoreResult<Vec<AccessEntryRecord>>;
    /// People matching `query` created before `before`, newest first, at most `limit`.
    async fn search_people(&self, query: &PeopleQuery, before: Timestamp, limit: u32)
    -> StoreResult<Vec<PersonRecord>>;
    /// Stores a grant and its access-log entry together.
    async fn insert_access_grant(&self, grant: &AccessGrantRecord, log: &AccessEntryRecord) -> StoreResult<()>;
    /// The newest grant for `grantee` to read `subject` still live at `now`.
    async fn live_access_grant(
        &self,
        subject: UserId,
        grantee: UserId,
        now: Timestamp,
    ) -> StoreResult<Option<AccessGrantRecord>>;
    /// Stores a person's reset code (replacing any earlier one) and its access-log entry together.
    async fn insert_reset_code(&self, code: &ResetCodeRecord, log: &AccessEntryRecord) -> StoreResult<()>;
    async fn reset_code(&self, user: UserId) -> StoreResult<Option<ResetCodeRecord>>;
    /// Takes one of the code's tries before it is checked, so parallel guesses each spend one;
    /// `false` if the code is gone, replaced, or out of tries.
    async fn take_reset_try(&self, code: &ResetCodeRecord, max_attempts: u32) -> StoreResult<bool>;
    /// Forgets the code once its tries are spent.
    async fn drop_spent_reset_code(&self, user: UserId, max_attempts: u32) -> StoreResult<()>;
    /// In one transaction: spends the code (only if it is still the one checked), sets the new
    /// password hash, lifts the login lock and its counts, ends every session, and watches the
    /// sessions the new password opens. `false` if the code was spent or replaced meanwhile.
    async fn reset_password(&self, code: &ResetCodeRecord, password_hash: &str) -> StoreResult<bool>;
    /// Stores an operator's reset request (replacing any earlier one) and its access-log entry together.
    async fn insert_reset_request(&self, request: &ResetRequestRecord, log: &AccessEntryRecord) -> StoreResult<()>;
    async fn reset_request(&self, user: UserId) -> StoreResult<Option<ResetRequestRecord>>;
    /// In one transaction: takes exactly `request` (so two approvals issue one code), stores the
    /// code and the approver's access-log entry. `false` if the request was taken or replaced.
    async fn approve_reset_request(
        &self,
        request: &ResetRequestRecord,
        code: &ResetCodeRecord,
        log: &AccessEntryRecord,
    ) -> StoreResult<bool>;
    /// The watch on a person's password, if it was set from a reset code and not changed since.
    async fn reset_watch(&self, user: UserId) -> StoreResult<Option<ResetWatchRecord>>;
}
