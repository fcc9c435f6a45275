//! People and their credentials: users, sessions, API keys, funding
//! sources, the claimed checks of their secrets, and customer tiers.

use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::limits::CustomerTier;
use uuid::Uuid;

use crate::StoreResult;
use crate::ledger::OwnedAccount;
use crate::merchants::MerchantRecord;

#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: UserId,
    pub role: Role,
    /// E.164, unique across the network; the login name.
    pub phone: String,
    pub full_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Argon2id PHC string; customers and agents have one.
    pub pin_hash: Option<String>,
    /// For merchant owners and cashiers.
    pub merchant_id: Option<MerchantId>,
    pub pin_failed_attempts: u32,
    pub pin_locked_until: Option<Timestamp>,
    pub login_failed_attempts: u32,
    pub login_locked_until: Option<Timestamp>,
    pub created_at: Timestamp,
    /// When a merchant's owner removed this cashier: they sign in no more.
    pub removed_at: Option<Timestamp>,
    /// A cashier's own refund permission; `None` follows the merchant's refund policy.
    pub may_refund: Option<bool>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord").field("id", &self.id).field("role", &self.role).finish_non_exhaustive()
    }
}

/// A login session. Only the SHA-256 of the token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: Vec<u8>,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Opened with a password set from a reset code this staff member issued: every request it
    /// makes lands in the person's access log.
    pub watched_by: Option<UserId>,
}

/// A merchant API key: the prefix is public, only the secret's SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub merchant_id: MerchantId,
    pub prefix: String,
    pub secret_hash: Vec<u8>,
    /// What the owner calls it ("till server"); may be empty.
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// When a request last authenticated with it, to the minute (see `touch_api_key`).
    pub last_used_at: Option<Timestamp>,
}

/// A customer's funding source. The full number is kept for payouts and
/// never leaves the service layer unmasked.
#[derive(Clone, PartialEq, Eq)]
pub struct FundingSourceRecord {
    pub id: Uuid,
    pub user_id: UserId,
    pub bank_name: String,
    pub account_number: String,
    pub created_at: Timestamp,
}

/// Masked, as everywhere else the number is shown.
impl std::fmt::Debug for FundingSourceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FundingSourceRecord")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("bank_name", &self.bank_name)
            .field("account_number", &quipu_domain::identity::mask_tail(&self.account_number, 4))
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// Everything created together when someone joins: users, maybe a merchant, their accounts, and
/// the bank account a customer signing up tops up from.
#[derive(Debug, Clone, Default)]
pub struct Enrollment {
    pub merchant: Option<MerchantRecord>,
    pub users: Vec<UserRecord>,
    pub accounts: Vec<OwnedAccount>,
    pub funding_sources: Vec<FundingSourceRecord>,
}

/// Which failure counter a wrong secret bumps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A user's payment PIN.
    Pin,
    /// A user's login password.
    Password,
    /// A prepaid card's PIN: counted on the card, whoever is holding it.
    CardPin,
}

impl SecretKind {
    /// How the kind is stored beside each guessing source's count.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Pin => "pin",
            SecretKind::Password => "password",
            SecretKind::CardPin => "card_pin",
        }
    }
}

/// A limit on wrong guesses: at `max_attempts`, locked until `lock_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuessLimit {
    pub max_attempts: u32,
    pub lock_until: Timestamp,
}

/// How a claimed check of a secret ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    /// The source knew the secret: its count goes, and it is trusted until the time given.
    Right { trusted_until: Timestamp },
    /// Counted against the guessing source (with its limit) and against the owner in all (with a higher one).
    Wrong { per_source: GuessLimit, total: GuessLimit },
    /// The check could not run to the end; nothing is counted.
    Abandoned,
}

/// How many wrong attempts count since the last right one, and the lock if there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureState {
    pub failed_attempts: u32,
    pub locked_until: Option<Timestamp>,
}

/// A secret's wrong attempts as a check sees them: from every source together, and from this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempts {
    pub total: FailureState,
    pub source: FailureState,
    /// This source got the secret right before, and its trust has not lapsed: one of the owner's
    /// own channels, which the lock for all sources together does not hold.
    pub source_trusted: bool,
}

/// Wrong guesses at one owner's secret from one source (an agent, a shop, an address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceAttempts {
    pub kind: SecretKind,
    /// `user:<id>`, `merchant:<id>`, `key:<id>` or `address:<ip>`.
    pub source: String,
    pub state: FailureState,
    pub last_failed_at: Timestamp,
}

#[async_trait::async_trait]
pub trait IdentityStore: Send + Sync {
    /// Writes users, merchant and accounts in one transaction; a duplicate phone is `Conflict`.
    async fn enroll(&self, enrollment: &Enrollment) -> StoreResult<()>;

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>>;

    async fn user_by_phone(&self, phone: &str) -> StoreResult<Option<UserRecord>>;

    /// Staff of a merchant, at most 200.
    async fn merchant_staff(&self, merchant: MerchantId) -> StoreResult<Vec<UserRecord>>;

    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;

    async fn session(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>>;

    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()>;

    /// Ends every session of a user but the one whose token hashes to `keep` (all of them if `None`);
    /// returns how many ended.
    async fn delete_user_sessions(&self, user: UserId, keep: Option<&[u8]>) -> StoreResult<u64>;

    /// Replaces a user's password (an Argon2id PHC string); the person chose it, so a watch from a
    /// reset ends.
    async fn set_password_hash(&self, user: UserId, hash: &str) -> StoreResult<()>;

    /// Removes one of a merchant's staff in `role` (a cashier, a pharmacist: they keep their row,
    /// sign in no more) and ends their sessions, in one transaction; `false` if no such live
    /// member of that merchant's staff in that role.
    async fn remove_staff(&self, user: UserId, merchant: MerchantId, role: Role, now: Timestamp) -> StoreResult<bool>;

    /// Sets a live cashier's own refund permission (`None`: the merchant's policy); `false` if no such cashier.
    async fn set_cashier_may_refund(
        &self,
        cashier: UserId,
        merchant: MerchantId,
        may_refund: Option<bool>,
    ) -> StoreResult<bool>;

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()>;

    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>>;

    /// A merchant's API keys, live and revoked, newest first, at most 200.
    async fn api_keys(&self, merchant: MerchantId) -> StoreResult<Vec<ApiKeyRecord>>;

    /// Records that a key was used at `now`. Callers write it at most once a minute per key.
    async fn touch_api_key(&self, id: Uuid, now: Timestamp) -> StoreResult<()>;

    /// Revokes a merchant's own live key; `false` if there was none to revoke.
    async fn revoke_api_key(&self, id: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool>;

    /// Adds a funding source unless the user has `max` already; `false` then.
    async fn insert_funding_source(&self, source: &FundingSourceRecord, max: u32) -> StoreResult<bool>;

    /// A user's funding sources, at most 20.
    async fn funding_sources(&self, user: UserId) -> StoreResult<Vec<FundingSourceRecord>>;

    /// Deletes one of a user's own funding sources; `false` if it is not theirs (or gone).
    async fn delete_funding_source(&self, id: Uuid, user: UserId) -> StoreResult<bool>;

    /// Claims the one check of a user's or card's secret until `claim_until`:
    /// one check at a time, so a burst of parallel guesses is counted exactly
    /// like guesses one after another. Locks that have run out are lifted;
    /// returns the attempts counted so far, in all and from `source` (whose
    /// locks the caller judges). `None`: another check holds the claim.
    async fn claim_secret_check(
        &self,
        owner: Uuid,
        kind: SecretKind,
        source: &str,
        now: Timestamp,
        claim_until: Timestamp,
    ) -> StoreResult<Option<Attempts>>;

    /// Ends a claimed check: `Right` clears the owner's count and the
    /// source's, `Wrong` counts one against each and locks each at its limit
    /// (and returns the new counts), `Abandoned` only releases the claim.
    async fn finish_secret_check(
        &self,
        owner: Uuid,
        kind: SecretKind,
        source: &str,
        outcome: CheckOutcome,
        now: Timestamp,
    ) -> StoreResult<Attempts>;

    /// Until when `source` is locked out of an owner's secret, if it is now.
    async fn source_lock(
        &self,
        owner: Uuid,
        kind: SecretKind,
        source: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>>;

    /// Who has been guessing an owner's secrets (newest first, at most 50): what the operator sees of a lock.
    async fn secret_attempts(&self, owner: Uuid) -> StoreResult<Vec<SourceAttempts>>;

    /// Lifts every lock and count on an owner's secret of `kind` (the operator's unlock).
    async fn clear_secret_attempts(&self, owner: Uuid, kind: SecretKind) -> StoreResult<()>;

    /// Sets a user's payment PIN, if their current one is still `current` (`None`: they have none
    /// yet); `false` if it changed meanwhile or there is no such user.
    async fn set_pin(&self, user: UserId, pin_hash: &str, current: Option<&str>) -> StoreResult<bool>;

    /// A customer's tier, if the operator set one.
    async fn customer_tier(&self, customer: UserId) -> StoreResult<Option<CustomerTier>>;

    async fn set_customer_tier(
        &self,
        customer: UserId,
        tier: CustomerTier,
        by: Uuid,
        now: Timestamp,
    ) -> StoreResult<()>;
}
