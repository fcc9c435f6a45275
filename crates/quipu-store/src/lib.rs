//! What Quipu stores, and the storage interface: one trait per context
//! (ledger, identity, merchants, payments, cards, events, operations, support,
//! settlement, zones, market, delivery), which
//! [`Store`] bundles for the services, who hold an `Arc<dyn Store>`.
//! A new context adds its records and trait here and joins the bundle; the
//! context itself is handed only its own trait (the market gets `Arc<dyn MarketStore>`).
//!
//! Storage returns records (plain domain values), never driver rows, and
//! this crate knows no database driver: `quipu-store-sql` implements every
//! trait once, in SQL, for both backends.
//!
//! Implementations own SQL, transactions, locking and durability. They must
//! not decide business rules: those are pure functions in `quipu-domain`
//! (the ledger batch is planned by [`quipu_domain::ledger::plan_batch`], a
//! refund claimed by [`quipu_domain::payment::claim_refund`]); storage loads
//! what a rule needs, calls it, and writes what it decided in the same
//! transaction.

pub mod batch;
pub mod cards;
pub mod delivery;
pub mod events;
pub mod habits;
pub mod identity;
pub mod ledger;
pub mod market;
pub mod merchants;
pub mod operations;
pub mod orders;
pub mod payments;
pub mod settlement;
pub mod support;
pub mod zones;

pub use crate::cards::CardStore;
pub use crate::delivery::DeliveryStore;
pub use crate::events::EventStore;
pub use crate::habits::HabitStore;
pub use crate::identity::{
    ApiKeyRecord, Attempts, CheckOutcome, Enrollment, FailureState, FundingSourceRecord, GuessLimit, IdentityStore,
    SecretKind, SessionRecord, SourceAttempts, UserRecord,
};
pub use crate::ledger::{AccountOwner, HistoryQuery, LedgerStore, MAX_PAGE, OwnedAccount};
pub use crate::market::MarketStore;
pub use crate::merchants::{MerchantRecord, MerchantStore};
pub use crate::operations::{IdempotencyRecord, OperationsStore};
pub use crate::orders::OrderStore;
pub use crate::payments::PaymentStore;
pub use crate::settlement::SettlementStore;
pub use crate::support::{AccessEntryRecord, SupportStore};
pub use crate::zones::{ZoneChoice, ZoneStore};

/// For implementations of the context traits, so they need not name async-trait themselves.
pub use async_trait::async_trait;

/// Every storage context: what the services are given.
pub trait Store:
    LedgerStore
    + IdentityStore
    + MerchantStore
    + MarketStore
    + OrderStore
    + HabitStore
    + DeliveryStore
    + PaymentStore
    + CardStore
    + EventStore
    + OperationsStore
    + SupportStore
    + SettlementStore
    + ZoneStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: LedgerStore
        + IdentityStore
        + MerchantStore
        + MarketStore
        + OrderStore
        + HabitStore
        + DeliveryStore
        + PaymentStore
        + CardStore
        + EventStore
        + OperationsStore
        + SupportStore
        + SettlementStore
        + ZoneStore
        + Send
        + Sync
        + 'static
{
}

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

/// Wraps a driver error with what we were doing.
pub fn db_error<E: std::error::Error + Send + Sync + 'static>(context: &'static str) -> impl FnOnce(E) -> StoreError {
    move |source| StoreError::Database { context, source: Box::new(source) }
}

/// Builds a `Corrupt` error.
pub fn corrupt(table: &'static str, detail: impl Into<String>) -> StoreError {
    StoreError::Corrupt { table, detail: detail.into() }
}
