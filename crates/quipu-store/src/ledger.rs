//! The ledger's storage: accounts, transfers, holds, and the facts
//! `quipu ledger verify` checks.

use quipu_domain::Timestamp;
use quipu_domain::card::CardId;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::ledger::{
    Account, AccountFlags, AccountId, AccountKind, Chain, ChainResult, Transfer, TransferCode, TransferId,
};
use quipu_domain::money::CurrencyCode;
use quipu_domain::verify::LedgerFacts;
use uuid::Uuid;

use crate::StoreResult;

/// Most rows one history page may return.
pub const MAX_PAGE: u32 = 500;

/// Who an account belongs to; one account per (owner, kind, currency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountOwner {
    User(UserId),
    Merchant(MerchantId),
    /// A prepaid card's own stored value: the card is the owner, whoever holds it.
    Card(CardId),
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
            AccountOwner::Card(id) => id.0,
            AccountOwner::System => Uuid::nil(),
        }
    }

    pub fn from_parts(kind: &str, id: Uuid) -> Option<Self> {
        match kind {
            "user" => Some(AccountOwner::User(UserId(id))),
            "merchant" => Some(AccountOwner::Merchant(MerchantId(id))),
            "card" => Some(AccountOwner::Card(CardId(id))),
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

impl OwnedAccount {
    /// A new account, empty, with its kind's default flags.
    pub fn new(id: AccountId, owner: AccountOwner, kind: AccountKind, currency: CurrencyCode, now: Timestamp) -> Self {
        Self {
            account: Account {
                id,
                currency,
                kind,
                flags: kind.default_flags(),
                balances: Default::default(),
                created_at: now,
            },
            owner,
        }
    }
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

#[async_trait::async_trait]
pub trait LedgerStore: Send + Sync {
    /// Plans and commits a batch of chains in ONE transaction, durably, then
    /// answers each chain. Loads with [`quipu_domain::ledger::BatchKeys`],
    /// locks accounts in ascending id order, plans with
    /// [`quipu_domain::ledger::plan_batch`], writes the plan.
    /// An `Err` means nothing of the batch was written. Like [`LedgerStore::sync`],
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

    /// An account's balances as they stood just before ledger time `at`:
    /// every transfer older than `at`, and the holds still open then.
    async fn balances_before(&self, account: AccountId, at: Timestamp) -> StoreResult<quipu_domain::ledger::Balances>;

    /// The transfer that posted or voided a hold, if any has.
    async fn settlement_of(&self, pending: TransferId) -> StoreResult<Option<Transfer>>;

    /// Ids of open holds whose deadline is at or before `now`, oldest first.
    async fn expired_holds(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TransferId>>;

    /// Independent derivations for `quipu ledger verify`, from one snapshot.
    async fn ledger_facts(&self) -> StoreResult<LedgerFacts>;

    /// The system account of a kind in a currency, if it exists.
    async fn system_account(&self, kind: AccountKind, currency: CurrencyCode) -> StoreResult<Option<Account>>;
}
