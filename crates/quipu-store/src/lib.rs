//! The one storage trait. `quipu-store-sqlite` and `quipu-store-postgres`
//! implement it; everything above (services, HTTP) sees only `dyn Store`.
//!
//! Implementations own SQL, transactions, locking and durability. They must
//! not decide business rules: the ledger batch is planned by
//! [`quipu_domain::ledger::plan_batch`], and a backend only loads what it
//! needs, calls the planner, and writes the plan in the same transaction.

use std::path::Path;

use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::ledger::{
    Account, AccountFlags, AccountId, AccountKind, Chain, ChainResult, Transfer, TransferCode, TransferId,
};
use quipu_domain::money::CurrencyCode;
use quipu_domain::verify::LedgerFacts;
use uuid::Uuid;

pub mod batch;
pub mod cards;
pub mod events;
pub mod payments;
pub mod rows;
pub mod sql;

/// For [`payment_store_methods!`], so backends need not name async-trait themselves.
pub use async_trait::async_trait;

/// Most rows one history page may return.
pub const MAX_PAGE: u32 = 500;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint refused the write (duplicate phone number, api key prefix, …).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The operation does not exist on this backend (e.g. SQLite file backup on PostgreSQL).
    #[error("unsupported on this backend: {0}")]
    Unsupported(&'static str),
    /// A stored value failed to parse back into a domain type: the database was edited by hand or is corrupt.
    #[error("corrupt row in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    #[error("database error while {context}: {source}")]
    Database {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Who an account belongs to; one account per (owner, kind, currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountOwner {
    User(UserId),
    Merchant(MerchantId),
    /// A prepaid card's own stored value: the card is the owner, whoever holds it.
    Card(Uuid),
    /// The operator's own books: issuance, fee income, settlement.
    System,
}

impl AccountOwner {
    pub fn kind_str(self) -> &'static str {
        match self {
            AccountOwner::User(_) => "user",
            AccountOwner::Merchant(_) => "merchant",
            AccountOwner::Card(_) => "card",
            AccountOwner::System => "system",
        }
    }

    pub fn id(self) -> Uuid {
        match self {
            AccountOwner::User(id) => id.0,
            AccountOwner::Merchant(id) => id.0,
            AccountOwner::Card(id) => id,
            AccountOwner::System => Uuid::nil(),
        }
    }

    pub fn from_parts(kind: &str, id: Uuid) -> Option<Self> {
        match kind {
            "user" => Some(AccountOwner::User(UserId(id))),
            "merchant" => Some(AccountOwner::Merchant(MerchantId(id))),
            "card" => Some(AccountOwner::Card(id)),
            "system" => Some(AccountOwner::System),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedAccount {
    pub account: Account,
    pub owner: AccountOwner,
}

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
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord").field("id", &self.id).field("role", &self.role).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantRecord {
    pub id: MerchantId,
    pub name: String,
    pub created_at: Timestamp,
    /// The operator's fee on each payment, in basis points.
    pub fee_bps: u32,
    /// Whether the merchant's cashiers may refund, or only the owner (and API keys).
    pub cashiers_may_refund: bool,
    /// Where the merchant trades, as its QR shows it (at most 15 characters; empty until set).
    pub city: String,
    /// ISO 18245 merchant category code, four digits (5999: miscellaneous retail).
    pub category_code: String,
}

/// A login session. Only the SHA-256 of the token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: Vec<u8>,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A merchant API key: the prefix is public, only the secret's SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub merchant_id: MerchantId,
    pub prefix: String,
    pub secret_hash: Vec<u8>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
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

/// The first response to an idempotent request, replayed on retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Whose key space this is: the user or merchant making the request.
    pub scope: Uuid,
    pub key: String,
    /// SHA-256 of method, path and body: the same key with another request is refused.
    pub request_hash: Vec<u8>,
    pub status: u16,
    pub body: Vec<u8>,
    pub created_at: Timestamp,
}

/// Everything created together when someone joins: users, maybe a merchant, their accounts.
#[derive(Debug, Clone, Default)]
pub struct Enrollment {
    pub merchant: Option<MerchantRecord>,
    pub users: Vec<UserRecord>,
    pub accounts: Vec<OwnedAccount>,
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

/// How a claimed check of a secret ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckOutcome {
    Right,
    Wrong {
        max_attempts: u32,
        lock_until: Timestamp,
    },
    /// The check could not run to the end; nothing is counted.
    Abandoned,
}

/// After a check: how many wrong attempts count since the last right one, and the lock if there is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureState {
    pub failed_attempts: u32,
    pub locked_until: Option<Timestamp>,
}

/// A page of an account's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    pub account: AccountId,
    /// Only transfers strictly older than this ledger timestamp (the cursor).
    pub before: Option<Timestamp>,
    /// Inclusive lower bound.
    pub from: Option<Timestamp>,
    /// Exclusive upper bound.
    pub to: Option<Timestamp>,
    /// Empty means every code.
    pub codes: Vec<TransferCode>,
    /// At most [`MAX_PAGE`].
    pub limit: u32,
}

/// `Store` methods whose SQL and Rust are the same on both backends: the
/// claimed check of a secret and the purge of stale rows. A supertrait of
/// [`Store`]; both backends implement it by expanding [`shared_store_methods!`].
#[async_trait]
pub trait SharedStore: Send + Sync {
    /// Claims the one check of a user's or card's secret until `claim_until`
    /// (see [`sql::claim_check`]); returns the wrong attempts counted so far.
    /// `None`: locked, or another check holds the claim; do not verify.
    async fn claim_secret_check(
        &self,
        owner: Uuid,
        kind: SecretKind,
        now: Timestamp,
        claim_until: Timestamp,
    ) -> StoreResult<Option<u32>>;

    /// Ends a claimed check: `Right` clears the count, `Wrong` counts one and
    /// locks until `lock_until` at `max_attempts` (and returns the new state),
    /// `Abandoned` only releases the claim.
    async fn finish_secret_check(
        &self,
        owner: Uuid,
        kind: SecretKind,
        outcome: CheckOutcome,
    ) -> StoreResult<FailureState>;

    /// Deletes up to `limit` idempotency records created before
    /// `idempotency_before` and up to `limit` sessions expired before
    /// `sessions_before`; returns how many rows went.
    async fn purge_stale(
        &self,
        idempotency_before: Timestamp,
        sessions_before: Timestamp,
        limit: u32,
    ) -> StoreResult<u64>;
}

#[async_trait]
pub trait Store:
    payments::PaymentStore + events::EventStore + cards::CardStore + SharedStore + Send + Sync + 'static
{
    /// "sqlite" or "postgres", for logs and `/readyz`.
    fn backend_name(&self) -> &'static str;

    /// Cheap round-trip to the database, for readiness.
    async fn ping(&self) -> StoreResult<()>;

    // ---- ledger -----------------------------------------------------------

    /// Plans and commits a batch of chains in ONE transaction, durably, then
    /// answers each chain. Loads with [`quipu_domain::ledger::BatchKeys`],
    /// locks accounts in ascending id order, plans with
    /// [`quipu_domain::ledger::plan_batch`], writes the plan.
    /// An `Err` means nothing of the batch was written. Like [`Store::sync`],
    /// a committed batch also makes durable every write committed before it.
    async fn commit_batch(&self, chains: &[Chain], now: Timestamp) -> StoreResult<Vec<ChainResult>>;

    /// Makes every write committed before this call durable.
    ///
    /// Only ledger batches wait for the disk when they commit; every other
    /// write commits without (SQLite `synchronous=NORMAL`, PostgreSQL
    /// `synchronous_commit=off`). That is safe because both logs are
    /// sequential: a durable commit flushes every commit before it, and a
    /// crash loses at most a suffix of undurable commits, never one from the
    /// middle. So a write is acknowledged only after a durable commit that
    /// began after it (the ledger writer's barrier), and what a crash loses
    /// is a state the system already recovers from: a payment still
    /// `processing` is finished by housekeeping, a lost idempotency record
    /// is rebuilt by the retry.
    ///
    /// It is an empty ledger batch: every batch changes the clock row, so
    /// even one that moves nothing writes to the log and waits for the disk.
    async fn sync(&self) -> StoreResult<()> {
        // An empty batch plans nothing, so its clock is never read.
        self.commit_batch(&[], Timestamp(0)).await.map(|_| ())
    }

    async fn account(&self, id: AccountId) -> StoreResult<Option<OwnedAccount>>;

    /// An owner's accounts, at most 100.
    async fn accounts_of(&self, owner: AccountOwner) -> StoreResult<Vec<Account>>;

    /// Returns the owner's account of this kind and currency, creating `template` if there is none.
    async fn ensure_account(&self, template: &OwnedAccount) -> StoreResult<Account>;

    /// Sets and clears flags (freeze, close) under the row lock; balances untouched.
    async fn update_account_flags(
        &self,
        id: AccountId,
        set: AccountFlags,
        clear: AccountFlags,
    ) -> StoreResult<Option<Account>>;

    async fn transfer(&self, id: TransferId) -> StoreResult<Option<Transfer>>;

    async fn history(&self, query: &HistoryQuery) -> StoreResult<Vec<Transfer>>;

    /// Ids of open holds whose deadline is at or before `now`, oldest first.
    async fn expired_holds(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TransferId>>;

    /// Independent derivations for `quipu ledger verify`.
    async fn ledger_facts(&self) -> StoreResult<LedgerFacts>;

    /// The system account of a kind in a currency, if it exists.
    async fn system_account(&self, kind: AccountKind, currency: CurrencyCode) -> StoreResult<Option<Account>>;

    // ---- identity ---------------------------------------------------------

    /// Writes users, merchant and accounts in one transaction; a duplicate phone is `Conflict`.
    async fn enroll(&self, enrollment: &Enrollment) -> StoreResult<()>;

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>>;

    async fn user_by_phone(&self, phone: &str) -> StoreResult<Option<UserRecord>>;

    /// Staff of a merchant, at most 200.
    async fn merchant_staff(&self, merchant: MerchantId) -> StoreResult<Vec<UserRecord>>;

    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()>;

    async fn session(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>>;

    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()>;

    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<MerchantRecord>>;

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()>;

    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>>;

    /// Revokes a merchant's own live key; `false` if there was none to revoke.
    async fn revoke_api_key(&self, id: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool>;

    /// Adds a funding source unless the user has `max` already; `false` then.
    async fn insert_funding_source(&self, source: &FundingSourceRecord, max: u32) -> StoreResult<bool>;

    /// A user's funding sources, at most 20.
    async fn funding_sources(&self, user: UserId) -> StoreResult<Vec<FundingSourceRecord>>;

    // ---- idempotency ------------------------------------------------------

    async fn idempotency_record(&self, scope: Uuid, key: &str) -> StoreResult<Option<IdempotencyRecord>>;

    /// Stores the record unless one exists for (scope, key); returns whichever is stored.
    async fn save_idempotency_record(&self, record: &IdempotencyRecord) -> StoreResult<IdempotencyRecord>;

    // ---- operations -------------------------------------------------------

    /// A consistent online copy of the database at `destination` (which must not exist).
    async fn backup(&self, destination: &Path) -> StoreResult<()>;
}

/// Implements [`SharedStore`] for a backend: `shared_store_methods!(SqliteStore, writer)`.
#[macro_export]
macro_rules! shared_store_methods {
    ($store:ty, $writer:ident) => {
        #[$crate::async_trait]
        impl $crate::SharedStore for $store {
            async fn claim_secret_check(
                &self,
                owner: uuid::Uuid,
                kind: $crate::SecretKind,
                now: quipu_domain::Timestamp,
                claim_until: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<Option<u32>> {
                let count: Option<i64> = sqlx::query_scalar(&$crate::sql::claim_check(kind))
                    .bind(owner)
                    .bind(now.0)
                    .bind(claim_until.0)
                    .fetch_optional(&self.$writer)
                    .await
                    .map_err($crate::db_error("claiming a secret check"))?;
                Ok(count.map(|n| u32::try_from(n).unwrap_or(u32::MAX)))
            }

            async fn finish_secret_check(
                &self,
                owner: uuid::Uuid,
                kind: $crate::SecretKind,
                outcome: $crate::CheckOutcome,
            ) -> $crate::StoreResult<$crate::FailureState> {
                let $crate::CheckOutcome::Wrong { max_attempts, lock_until } = outcome else {
                    let statement = if outcome == $crate::CheckOutcome::Right {
                        $crate::sql::record_right(kind)
                    } else {
                        $crate::sql::release_check(kind)
                    };
                    sqlx::query(&statement)
                        .bind(owner)
                        .execute(&self.$writer)
                        .await
                        .map_err($crate::db_error("finishing a secret check"))?;
                    return Ok($crate::FailureState { failed_attempts: 0, locked_until: None });
                };
                let (attempts, locked_until): (i64, Option<i64>) = sqlx::query_as(&$crate::sql::record_wrong(kind))
                    .bind(owner)
                    .bind(i64::from(max_attempts))
                    .bind(lock_until.0)
                    .fetch_one(&self.$writer)
                    .await
                    .map_err($crate::db_error("counting a wrong secret"))?;
                Ok($crate::FailureState {
                    failed_attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    locked_until: locked_until.map(quipu_domain::Timestamp),
                })
            }

            async fn purge_stale(
                &self,
                idempotency_before: quipu_domain::Timestamp,
                sessions_before: quipu_domain::Timestamp,
                limit: u32,
            ) -> $crate::StoreResult<u64> {
                let mut purged = 0;
                for (statement, cutoff) in [
                    ($crate::sql::PURGE_IDEMPOTENCY, idempotency_before),
                    ($crate::sql::PURGE_SESSIONS, sessions_before),
                ] {
                    purged += sqlx::query(statement)
                        .bind(cutoff.0)
                        .bind(i64::from(limit))
                        .execute(&self.$writer)
                        .await
                        .map_err($crate::db_error("purging stale rows"))?
                        .rows_affected();
                }
                Ok(purged)
            }
        }
    };
}

/// Wraps a driver error with what we were doing.
pub fn db_error<E: std::error::Error + Send + Sync + 'static>(context: &'static str) -> impl FnOnce(E) -> StoreError {
    move |source| StoreError::Database { context, source: Box::new(source) }
}

/// Builds a `Corrupt` error.
pub fn corrupt(table: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt { table, detail: detail.into() }
}

/// Folds the three aggregate queries of a verification into `facts`.
pub fn assemble_facts(
    facts: &mut LedgerFacts,
    posted: Vec<rows::SumsRow>,
    pending: Vec<rows::SumsRow>,
    holds: Vec<rows::SumsRow>,
) {
    for row in posted {
        let entry = facts.from_transfers.entry(AccountId(row.account_id)).or_default();
        entry.debits_posted = row.debits;
        entry.credits_posted = row.credits;
    }
    for row in pending {
        let entry = facts.from_transfers.entry(AccountId(row.account_id)).or_default();
        entry.debits_pending = row.debits;
        entry.credits_pending = row.credits;
    }
    for row in holds {
        facts.open_holds.insert(AccountId(row.account_id), (row.debits, row.credits));
    }
}
