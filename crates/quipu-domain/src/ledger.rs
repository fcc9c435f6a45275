//! The double-entry ledger rules.
//!
//! Storage loads a [`LedgerView`] (the accounts, transfers and holds a batch
//! touches), [`plan_batch`] decides every command in order without I/O, and
//! storage writes the resulting [`BatchPlan`] in one transaction. Because the
//! rules live here, SQLite and PostgreSQL cannot disagree about them.
//!
//! The model follows TigerBeetle: accounts carry posted and pending debits
//! and credits; a transfer moves one amount from a debit account to a credit
//! account of the same currency; two-phase transfers reserve first and post
//! or void later; a chain of linked transfers commits or fails as one.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::money::{Amount, CurrencyCode};
use crate::time::Timestamp;

/// Longest business reference stored on a transfer, in bytes.
pub const MAX_REFERENCE_LEN: usize = 128;
/// Longest a hold may reserve funds: 30 days. A limit on everything.
pub const MAX_PENDING_TIMEOUT_SECONDS: u32 = 30 * 24 * 3600;
/// Most transfers in one linked chain.
pub const MAX_CHAIN_LEN: usize = 16;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub ::uuid::Uuid);

        impl ::std::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// An account's id, a UUIDv7 minted by the server.
    AccountId
);
id_type!(
    /// A transfer's id: 128 bits chosen by the caller, and the ledger's idempotency key.
    TransferId
);

impl TransferId {
    /// What a person at a counter keeps: the id's last eight hex digits, in two groups of four
    /// ("3F9A-21C0"). The full id, on the receipt, ends with them, so the receipt is found by them.
    pub fn short_reference(&self) -> String {
        let hex = self.0.simple().to_string().to_ascii_uppercase();
        let tail = hex.get(24..).unwrap_or_default();
        format!("{}-{}", tail.get(..4).unwrap_or_default(), tail.get(4..).unwrap_or_default())
    }
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use {id_type, string_enum};

string_enum!(
    /// What an account is for. Drives default flags and who may see it.
    AccountKind {
        CustomerWallet => "customer_wallet",
        Merchant => "merchant",
        AgentFloat => "agent_float",
        Card => "card",
        FeeIncome => "fee_income",
        Issuance => "issuance",
        Settlement => "settlement",
    }
);

string_enum!(
    /// Why money moved. Stable strings: they appear in the API and statements.
    TransferCode {
        Issuance => "issuance",
        Redemption => "redemption",
        CashIn => "cash_in",
        CashOut => "cash_out",
        P2p => "p2p",
        Payment => "payment",
        Refund => "refund",
        Fee => "fee",
        Adjustment => "adjustment",
        Expiry => "expiry",
        CardReplacement => "card_replacement",
        Payout => "payout",
        Commission => "commission",
        Delivery => "delivery",
        Tip => "tip",
    }
);

string_enum!(
    /// The shape of a stored transfer.
    TransferKind {
        Posted => "posted",
        Pending => "pending",
        PostPending => "post_pending",
        VoidPending => "void_pending",
    }
);

string_enum!(
    /// Where a hold (an open pending transfer) stands.
    HoldState {
        Open => "open",
        Posted => "posted",
        Voided => "voided",
        Expired => "expired",
    }
);

impl AccountKind {
    /// The flags an account of this kind starts with.
    ///
    /// Wallets, cards, floats and merchant accounts hold real customer money
    /// and must never go negative. Issuance is the mirror image of all
    /// e-money in circulation: it may only be credited (redeemed) up to what
    /// it was debited (issued), so nobody can redeem money never issued.
    pub fn default_flags(self) -> AccountFlags {
        match self {
            AccountKind::CustomerWallet
            | AccountKind::Merchant
            | AccountKind::AgentFloat
            | AccountKind::Card
            | AccountKind::FeeIncome => AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS,
            AccountKind::Issuance => AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS,
            AccountKind::Settlement => AccountFlags::NONE,
        }
    }
}

/// Account flags, a small bit set stored as an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountFlags(u32);

impl AccountFlags {
    pub const NONE: AccountFlags = AccountFlags(0);
    pub const DEBITS_MUST_NOT_EXCEED_CREDITS: AccountFlags = AccountFlags(1);
    pub const CREDITS_MUST_NOT_EXCEED_DEBITS: AccountFlags = AccountFlags(1 << 1);
    pub const FROZEN: AccountFlags = AccountFlags(1 << 2);
    pub const CLOSED: AccountFlags = AccountFlags(1 << 3);
    const KNOWN: u32 = 0b1111;

    pub fn contains(self, other: AccountFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn with(self, other: AccountFlags) -> AccountFlags {
        AccountFlags(self.0 | other.0)
    }

    pub fn without(self, other: AccountFlags) -> AccountFlags {
        AccountFlags(self.0 & !other.0)
    }

    /// The flags as stored.
    pub const fn bits(self) -> u32 {
        self.0
    }

    pub fn from_bits(bits: i64) -> Option<AccountFlags> {
        u32::try_from(bits).ok().filter(|b| b & !Self::KNOWN == 0).map(AccountFlags)
    }

    pub fn names(self) -> Vec<&'static str> {
        [
            (Self::DEBITS_MUST_NOT_EXCEED_CREDITS, "debits_must_not_exceed_credits"),
            (Self::CREDITS_MUST_NOT_EXCEED_DEBITS, "credits_must_not_exceed_debits"),
            (Self::FROZEN, "frozen"),
            (Self::CLOSED, "closed"),
        ]
        .into_iter()
        .filter(|(flag, _)| self.contains(*flag))
        .map(|(_, name)| name)
        .collect()
    }
}

/// The four balances of an account, in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Balances {
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
}

impl Balances {
    /// Credits minus debits, posted only: what a wallet owner "has".
    pub fn credit_balance(&self) -> Option<i64> {
        self.credits_posted.checked_sub(self.debits_posted)
    }

    /// Credit balance less what holds reserve: what a wallet owner may spend now.
    pub fn available(&self) -> Option<i64> {
        self.credit_balance()?.checked_sub(self.debits_pending)
    }

    /// The first flag this balance violates, if any.
    pub fn violation(&self, flags: AccountFlags) -> Option<TransferError> {
        if flags.contains(AccountFlags::DEBITS_MUST_NOT_EXCEED_CREDITS) {
            // Two i64s cannot overflow an i128.
            let debits = i128::from(self.debits_posted).saturating_add(i128::from(self.debits_pending));
            if debits > i128::from(self.credits_posted) {
                return Some(TransferError::InsufficientFunds);
            }
        }
        if flags.contains(AccountFlags::CREDITS_MUST_NOT_EXCEED_DEBITS) {
            let credits = i128::from(self.credits_posted).saturating_add(i128::from(self.credits_pending));
            if credits > i128::from(self.debits_posted) {
                return Some(TransferError::ExceedsDebits);
            }
        }
        None
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub currency: CurrencyCode,
    pub kind: AccountKind,
    pub flags: AccountFlags,
    pub balances: Balances,
    pub created_at: Timestamp,
}

/// What a command asks the ledger to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferOp {
    /// Move money now.
    Posted { debit: AccountId, credit: AccountId, amount: Amount, currency: CurrencyCode },
    /// Reserve money; post or void it later. Without a timeout it waits until told.
    Pending {
        debit: AccountId,
        credit: AccountId,
        amount: Amount,
        currency: CurrencyCode,
        timeout_seconds: Option<u32>,
    },
    /// Settle a hold, in full (`None`) or for less.
    Post { pending_id: TransferId, amount: Option<Amount> },
    /// Release a hold.
    Void { pending_id: TransferId },
    /// Release a hold whose deadline has passed; issued by the expiry sweeper.
    Expire { pending_id: TransferId },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferCommand {
    pub id: TransferId,
    pub op: TransferOp,
    pub code: TransferCode,
    pub reference: String,
    /// The most the credit account may hold once this moves (a wallet's or card's tier cap), or
    /// none. Checked in the plan, after the debit side's funds, so it holds however many credits
    /// arrive at once, and a refusal says nothing the debit side could not already know. Not a
    /// field of the transfer: a replay is the stored transfer, whatever the cap is now.
    pub credit_cap: Option<Amount>,
}

/// A chain of transfers that commits or fails as one. A lone transfer is a chain of one.
pub type Chain = Vec<TransferCommand>;

/// A transfer as written: immutable once committed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: TransferId,
    pub debit_account_id: AccountId,
    pub credit_account_id: AccountId,
    pub amount: Amount,
    pub currency: CurrencyCode,
    pub code: TransferCode,
    pub reference: String,
    pub kind: TransferKind,
    /// For post/void: the hold it settles.
    pub pending_id: Option<TransferId>,
    /// For pending: when the hold lapses, if ever.
    pub expires_at: Option<Timestamp>,
    /// Assigned by the ledger, strictly increasing across the whole ledger.
    pub timestamp: Timestamp,
}

/// An open or settled reservation, kept beside the immutable transfers so
/// expiry and posting find it by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub pending_id: TransferId,
    pub debit_account_id: AccountId,
    pub credit_account_id: AccountId,
    pub amount: Amount,
    pub currency: CurrencyCode,
    pub expires_at: Option<Timestamp>,
    pub state: HoldState,
}

/// Why the ledger refused a transfer. `code()` strings are API-stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    #[error("the amount must be greater than zero")]
    AmountNotPositive,
    #[error("the debit and credit accounts are the same")]
    SameAccount,
    #[error("the debit account does not exist")]
    DebitAccountNotFound,
    #[error("the credit account does not exist")]
    CreditAccountNotFound,
    #[error("the transfer's currency differs from an account's currency")]
    CurrencyMismatch,
    #[error("the account is frozen")]
    AccountFrozen,
    #[error("the account is closed")]
    AccountClosed,
    #[error("insufficient funds")]
    InsufficientFunds,
    #[error("the credit would exceed the account's debits")]
    ExceedsDebits,
    #[error("the recipient cannot receive this amount now")]
    BalanceLimit,
    #[error("a balance would overflow")]
    Overflow,
    #[error("the reference is longer than 128 bytes")]
    ReferenceTooLong,
    #[error("the hold timeout is longer than 30 days")]
    TimeoutTooLong,
    #[error("the pending transfer does not exist")]
    PendingNotFound,
    #[error("the pending transfer was already posted")]
    PendingAlreadyPosted,
    #[error("the pending transfer was already voided")]
    PendingAlreadyVoided,
    #[error("the pending transfer has expired")]
    PendingExpired,
    #[error("the pending transfer has not expired yet")]
    PendingNotExpired,
    #[error("the amount exceeds the pending amount")]
    ExceedsPendingAmount,
    #[error("a transfer with this id exists with different fields")]
    IdempotencyConflict,
    #[error("another transfer in the linked chain failed")]
    LinkedTransferFailed,
    #[error("a chain must hold between 1 and 16 transfers")]
    ChainLength,
}

impl TransferError {
    pub fn code(self) -> &'static str {
        match self {
            TransferError::AmountNotPositive => "amount_not_positive",
            TransferError::SameAccount => "same_account",
            TransferError::DebitAccountNotFound => "debit_account_not_found",
            TransferError::CreditAccountNotFound => "credit_account_not_found",
            TransferError::CurrencyMismatch => "currency_mismatch",
            TransferError::AccountFrozen => "account_frozen",
            TransferError::AccountClosed => "account_closed",
            TransferError::InsufficientFunds => "insufficient_funds",
            TransferError::ExceedsDebits => "exceeds_debits",
            TransferError::BalanceLimit => "balance_limit",
            TransferError::Overflow => "overflow",
            TransferError::ReferenceTooLong => "reference_too_long",
            TransferError::TimeoutTooLong => "timeout_too_long",
            TransferError::PendingNotFound => "pending_not_found",
            TransferError::PendingAlreadyPosted => "pending_already_posted",
            TransferError::PendingAlreadyVoided => "pending_already_voided",
            TransferError::PendingExpired => "pending_expired",
            TransferError::PendingNotExpired => "pending_not_expired",
            TransferError::ExceedsPendingAmount => "exceeds_pending_amount",
            TransferError::IdempotencyConflict => "idempotency_conflict",
            TransferError::LinkedTransferFailed => "linked_transfer_failed",
            TransferError::ChainLength => "chain_length",
        }
    }
}

/// One committed transfer of a chain; `replayed` when the id already existed
/// with identical fields and nothing moved this time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferOutcome {
    pub transfer: Transfer,
    pub replayed: bool,
}

/// A refused chain: which transfer failed and why. Nothing of the chain was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainRejection {
    pub index: usize,
    pub error: TransferError,
}

pub type ChainResult = Result<Vec<TransferOutcome>, ChainRejection>;

/// What storage must load before planning a batch.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchKeys {
    /// Ids of the commands themselves: one already stored is replayed or refused (idempotency).
    pub transfer_ids: BTreeSet<TransferId>,
    /// Holds the commands settle (post, void, expire).
    pub pending_ids: BTreeSet<TransferId>,
    /// Accounts named directly by commands. Accounts of referenced holds come
    /// from the loaded holds; see [`LedgerView::account_ids_to_lock`].
    pub account_ids: BTreeSet<AccountId>,
}

impl BatchKeys {
    pub fn of(chains: &[Chain]) -> Self {
        let mut keys = BatchKeys::default();
        for command in chains.iter().flatten() {
            keys.transfer_ids.insert(command.id);
            match &command.op {
                TransferOp::Posted { debit, credit, .. } | TransferOp::Pending { debit, credit, .. } => {
                    keys.account_ids.insert(*debit);
                    keys.account_ids.insert(*credit);
                }
                TransferOp::Post { pending_id, .. }
                | TransferOp::Void { pending_id }
                | TransferOp::Expire { pending_id } => {
                    keys.pending_ids.insert(*pending_id);
                }
            }
        }
        keys
    }
}

/// The slice of ledger state a batch needs, loaded (and locked) by storage.
#[derive(Debug, Default, Clone)]
pub struct LedgerView {
    pub accounts: HashMap<AccountId, Account>,
    /// Stored transfers among the batch's command ids. Storage may leave this
    /// empty on a first attempt if it then refuses to write a command id that
    /// turns out to be stored, and plans again with them loaded.
    pub transfers: HashMap<TransferId, Transfer>,
    /// Stored holds among the batch's pending ids.
    pub holds: HashMap<TransferId, Hold>,
    /// The newest timestamp in the ledger; new ones are strictly greater.
    pub last_timestamp: Timestamp,
}

impl LedgerView {
    /// Every account the batch may touch, in the one fixed order all writers
    /// lock rows in (ascending id), so concurrent writers never deadlock.
    pub fn account_ids_to_lock(keys: &BatchKeys, holds: &HashMap<TransferId, Hold>) -> Vec<AccountId> {
        let mut ids = keys.account_ids.clone();
        for hold in holds.values() {
            ids.insert(hold.debit_account_id);
            ids.insert(hold.credit_account_id);
        }
        ids.into_iter().collect()
    }
}

/// Everything storage must write for a batch, and each chain's answer.
#[derive(Debug, Default, Clone)]
pub struct BatchPlan {
    pub results: Vec<ChainResult>,
    /// New transfers in timestamp order.
    pub new_transfers: Vec<Transfer>,
    /// Holds created or whose state changed (write as upserts).
    pub holds: Vec<Hold>,
    /// Final state of every account whose balances changed.
    pub accounts: Vec<Account>,
    pub last_timestamp: Timestamp,
}

/// Decides a batch of chains in order against `view`, without I/O.
pub fn plan_batch(view: LedgerView, chains: &[Chain], now: Timestamp) -> BatchPlan {
    // Debug builds (every test) keep what the plan started from, to check what it promises.
    #[cfg(debug_assertions)]
    let before = (view.accounts.clone(), view.last_timestamp);
    let mut planner =
        Planner { view, now, new_transfers: Vec::new(), dirty_accounts: BTreeSet::new(), dirty_holds: BTreeSet::new() };
    let results = chains.iter().map(|chain| planner.apply_chain(chain)).collect();
    let Planner { view, new_transfers, dirty_accounts, dirty_holds, .. } = planner;
    let plan = BatchPlan {
        results,
        new_transfers,
        holds: dirty_holds.iter().filter_map(|id| view.holds.get(id).cloned()).collect(),
        accounts: dirty_accounts.iter().filter_map(|id| view.accounts.get(id).cloned()).collect(),
        last_timestamp: view.last_timestamp,
    };
    #[cfg(debug_assertions)]
    {
        let (accounts, last_timestamp) = before;
        debug_assert_eq!(plan_broken(&accounts, last_timestamp, chains, &plan), None, "plan_batch postcondition");
    }
    plan
}

/// Which of `plan_batch`'s promises `plan` breaks, if any: one result per
/// chain and one outcome per command of an accepted chain; in each currency
/// the balances' debits moved exactly as much as their credits (posted and
/// pending apart); no account the batch changed broke its balance flags
/// unless it already had; new timestamps strictly increase past the view's
/// last, which the plan carries forward. Checked after every plan in debug
/// builds (TigerBeetle's style: state what must hold, and check it).
pub fn plan_broken(
    before: &HashMap<AccountId, Account>,
    last_timestamp: Timestamp,
    chains: &[Chain],
    plan: &BatchPlan,
) -> Option<&'static str> {
    if plan.results.len() != chains.len() {
        return Some("one result per chain");
    }
    let accepted_outcomes_match = plan.results.iter().zip(chains).all(|(result, chain)| match result {
        Ok(outcomes) => outcomes.len() == chain.len(),
        Err(rejection) => rejection.index < chain.len().max(1),
    });
    if !accepted_outcomes_match {
        return Some("one outcome per command of an accepted chain");
    }
    let mut moved: HashMap<CurrencyCode, [i128; 4]> = HashMap::new();
    for after in &plan.accounts {
        let Some(was) = before.get(&after.id) else {
            return Some("a changed account the view did not hold");
        };
        let sums = moved.entry(after.currency).or_default();
        // Differences and sums of i64s, far inside i128.
        let delta = |after: i64, was: i64| i128::from(after).saturating_sub(i128::from(was));
        let deltas = [
            delta(after.balances.debits_posted, was.balances.debits_posted),
            delta(after.balances.credits_posted, was.balances.credits_posted),
            delta(after.balances.debits_pending, was.balances.debits_pending),
            delta(after.balances.credits_pending, was.balances.credits_pending),
        ];
        for (sum, delta) in sums.iter_mut().zip(deltas) {
            *sum = sum.saturating_add(delta);
        }
        if was.balances.violation(was.flags).is_none() && after.balances.violation(after.flags).is_some() {
            return Some("an account broke its balance flags");
        }
    }
    if moved.values().any(|[debits_posted, credits_posted, debits_pending, credits_pending]| {
        debits_posted != credits_posted || debits_pending != credits_pending
    }) {
        return Some("debits equal credits in each currency");
    }
    let mut previous = last_timestamp;
    for transfer in &plan.new_transfers {
        if transfer.timestamp <= previous {
            return Some("timestamps strictly increase");
        }
        previous = transfer.timestamp;
    }
    if plan.last_timestamp != previous {
        return Some("the plan carries the last timestamp forward");
    }
    None
}

struct Planner {
    view: LedgerView,
    now: Timestamp,
    new_transfers: Vec<Transfer>,
    dirty_accounts: BTreeSet<AccountId>,
    dirty_holds: BTreeSet<TransferId>,
}

/// Enough to undo a chain that failed half-way. It records only what the
/// chain changed, so taking one costs nothing however large the batch is.
struct Checkpoint {
    accounts: HashMap<AccountId, Account>,
    holds: HashMap<TransferId, Option<Hold>>,
    new_transfers_len: usize,
    last_timestamp: Timestamp,
    /// Accounts and holds this chain made dirty for the first time in the batch.
    newly_dirty_accounts: Vec<AccountId>,
    newly_dirty_holds: Vec<TransferId>,
}

impl Planner {
    fn apply_chain(&mut self, chain: &Chain) -> ChainResult {
        if chain.is_empty() || chain.len() > MAX_CHAIN_LEN {
            return Err(ChainRejection { index: 0, error: TransferError::ChainLength });
        }
        let mut checkpoint = Checkpoint {
            accounts: HashMap::new(),
            holds: HashMap::new(),
            new_transfers_len: self.new_transfers.len(),
            last_timestamp: self.view.last_timestamp,
            newly_dirty_accounts: Vec::new(),
            newly_dirty_holds: Vec::new(),
        };
        let mut outcomes = Vec::with_capacity(chain.len());
        for (index, command) in chain.iter().enumerate() {
            match self.apply_one(command, &mut checkpoint) {
                Ok(outcome) => outcomes.push(outcome),
                Err(error) => {
                    self.rollback(checkpoint);
                    return Err(ChainRejection { index, error });
                }
            }
        }
        Ok(outcomes)
    }

    fn rollback(&mut self, checkpoint: Checkpoint) {
        for (id, account) in checkpoint.accounts {
            self.view.accounts.insert(id, account);
        }
        for (id, hold) in checkpoint.holds {
            match hold {
                Some(hold) => self.view.holds.insert(id, hold),
                None => self.view.holds.remove(&id),
            };
        }
        for transfer in self.new_transfers.drain(checkpoint.new_transfers_len..) {
            self.view.transfers.remove(&transfer.id);
        }
        self.view.last_timestamp = checkpoint.last_timestamp;
        for id in checkpoint.newly_dirty_accounts {
            self.dirty_accounts.remove(&id);
        }
        for id in checkpoint.newly_dirty_holds {
            self.dirty_holds.remove(&id);
        }
    }

    fn apply_one(
        &mut self,
        command: &TransferCommand,
        checkpoint: &mut Checkpoint,
    ) -> Result<TransferOutcome, TransferError> {
        if command.reference.len() > MAX_REFERENCE_LEN {
            return Err(TransferError::ReferenceTooLong);
        }
        if let Some(existing) = self.view.transfers.get(&command.id) {
            return if same_fields(command, existing) {
                Ok(TransferOutcome { transfer: existing.clone(), replayed: true })
            } else {
                Err(TransferError::IdempotencyConflict)
            };
        }
        let transfer = match &command.op {
            TransferOp::Posted { debit, credit, amount, currency } => {
                self.move_funds(command, checkpoint, (*debit, *credit, *amount, *currency), None)?
            }
            TransferOp::Pending { debit, credit, amount, currency, timeout_seconds } => {
                if timeout_seconds.is_some_and(|t| t > MAX_PENDING_TIMEOUT_SECONDS) {
                    return Err(TransferError::TimeoutTooLong);
                }
                self.move_funds(command, checkpoint, (*debit, *credit, *amount, *currency), Some(*timeout_seconds))?
            }
            TransferOp::Post { pending_id, amount } => {
                self.settle(command, checkpoint, *pending_id, Settle::Post(*amount))?
            }
            TransferOp::Void { pending_id } => self.settle(command, checkpoint, *pending_id, Settle::Void)?,
            TransferOp::Expire { pending_id } => self.settle(command, checkpoint, *pending_id, Settle::Expire)?,
        };
        self.view.transfers.insert(transfer.id, transfer.clone());
        self.new_transfers.push(transfer.clone());
        Ok(TransferOutcome { transfer, replayed: false })
    }

    /// A posted or pending transfer between two accounts.
    fn move_funds(
        &mut self,
        command: &TransferCommand,
        checkpoint: &mut Checkpoint,
        (debit_id, credit_id, amount, currency): (AccountId, AccountId, Amount, CurrencyCode),
        pending_timeout: Option<Option<u32>>,
    ) -> Result<Transfer, TransferError> {
        if amount.minor() <= 0 {
            return Err(TransferError::AmountNotPositive);
        }
        if debit_id == credit_id {
            return Err(TransferError::SameAccount);
        }
        let mut debit = self.view.accounts.get(&debit_id).cloned().ok_or(TransferError::DebitAccountNotFound)?;
        let mut credit = self.view.accounts.get(&credit_id).cloned().ok_or(TransferError::CreditAccountNotFound)?;
        for account in [&debit, &credit] {
            if account.currency != currency {
                return Err(TransferError::CurrencyMismatch);
            }
            if account.flags.contains(AccountFlags::CLOSED) {
                return Err(TransferError::AccountClosed);
            }
            if account.flags.contains(AccountFlags::FROZEN) {
                return Err(TransferError::AccountFrozen);
            }
        }
        let is_pending = pending_timeout.is_some();
        if is_pending {
            debit.balances.debits_pending = add(debit.balances.debits_pending, amount.minor())?;
            credit.balances.credits_pending = add(credit.balances.credits_pending, amount.minor())?;
        } else {
            debit.balances.debits_posted = add(debit.balances.debits_posted, amount.minor())?;
            credit.balances.credits_posted = add(credit.balances.credits_posted, amount.minor())?;
        }
        check_flags(&debit, &credit)?;
        if let Some(cap) = command.credit_cap {
            check_cap(&credit, cap)?;
        }
        let timestamp = self.next_timestamp();
        let expires_at = pending_timeout.flatten().map(|seconds| timestamp.plus_seconds(i64::from(seconds)));
        let transfer = Transfer {
            id: command.id,
            debit_account_id: debit_id,
            credit_account_id: credit_id,
            amount,
            currency,
            code: command.code,
            reference: command.reference.clone(),
            kind: if is_pending { TransferKind::Pending } else { TransferKind::Posted },
            pending_id: None,
            expires_at,
            timestamp,
        };
        if is_pending {
            self.put_hold(
                checkpoint,
                Hold {
                    pending_id: command.id,
                    debit_account_id: debit_id,
                    credit_account_id: credit_id,
                    amount,
                    currency,
                    expires_at,
                    state: HoldState::Open,
                },
            );
        }
        self.put_account(checkpoint, debit);
        self.put_account(checkpoint, credit);
        Ok(transfer)
    }

    /// Posting, voiding or expiring a hold.
    fn settle(
        &mut self,
        command: &TransferCommand,
        checkpoint: &mut Checkpoint,
        pending_id: TransferId,
        how: Settle,
    ) -> Result<Transfer, TransferError> {
        let hold = self.view.holds.get(&pending_id).cloned().ok_or(TransferError::PendingNotFound)?;
        match hold.state {
            HoldState::Open => {}
            HoldState::Posted => return Err(TransferError::PendingAlreadyPosted),
            HoldState::Voided | HoldState::Expired => return Err(TransferError::PendingAlreadyVoided),
        }
        let expired = hold.expires_at.is_some_and(|deadline| deadline <= self.now);
        let (posted_amount, state) = match how {
            Settle::Post(_) if expired => return Err(TransferError::PendingExpired),
            Settle::Post(amount) => {
                let amount = amount.unwrap_or(hold.amount);
                if amount.minor() <= 0 {
                    return Err(TransferError::AmountNotPositive);
                }
                if amount > hold.amount {
                    return Err(TransferError::ExceedsPendingAmount);
                }
                (amount, HoldState::Posted)
            }
            Settle::Void => (Amount::ZERO, HoldState::Voided),
            Settle::Expire if !expired => return Err(TransferError::PendingNotExpired),
            Settle::Expire => (Amount::ZERO, HoldState::Expired),
        };
        let mut debit =
            self.view.accounts.get(&hold.debit_account_id).cloned().ok_or(TransferError::DebitAccountNotFound)?;
        let mut credit =
            self.view.accounts.get(&hold.credit_account_id).cloned().ok_or(TransferError::CreditAccountNotFound)?;
        if state == HoldState::Posted {
            // Releasing a reservation is always allowed; moving money is not, out of a frozen or closed account.
            for account in [&debit, &credit] {
                if account.flags.contains(AccountFlags::CLOSED) {
                    return Err(TransferError::AccountClosed);
                }
                if account.flags.contains(AccountFlags::FROZEN) {
                    return Err(TransferError::AccountFrozen);
                }
            }
        }
        debit.balances.debits_pending = sub(debit.balances.debits_pending, hold.amount.minor())?;
        credit.balances.credits_pending = sub(credit.balances.credits_pending, hold.amount.minor())?;
        debit.balances.debits_posted = add(debit.balances.debits_posted, posted_amount.minor())?;
        credit.balances.credits_posted = add(credit.balances.credits_posted, posted_amount.minor())?;
        if state == HoldState::Posted {
            check_flags(&debit, &credit)?;
        }
        let timestamp = self.next_timestamp();
        let transfer = Transfer {
            id: command.id,
            debit_account_id: hold.debit_account_id,
            credit_account_id: hold.credit_account_id,
            amount: if state == HoldState::Posted { posted_amount } else { hold.amount },
            currency: hold.currency,
            code: command.code,
            reference: command.reference.clone(),
            kind: if state == HoldState::Posted { TransferKind::PostPending } else { TransferKind::VoidPending },
            pending_id: Some(pending_id),
            expires_at: None,
            timestamp,
        };
        self.put_hold(checkpoint, Hold { state, ..hold });
        self.put_account(checkpoint, debit);
        self.put_account(checkpoint, credit);
        Ok(transfer)
    }

    fn next_timestamp(&mut self) -> Timestamp {
        let timestamp = self.now.max(self.view.last_timestamp.next());
        self.view.last_timestamp = timestamp;
        timestamp
    }

    fn put_account(&mut self, checkpoint: &mut Checkpoint, account: Account) {
        let id = account.id;
        if let Some(previous) = self.view.accounts.insert(id, account) {
            checkpoint.accounts.entry(id).or_insert(previous);
        }
        if self.dirty_accounts.insert(id) {
            checkpoint.newly_dirty_accounts.push(id);
        }
    }

    fn put_hold(&mut self, checkpoint: &mut Checkpoint, hold: Hold) {
        let id = hold.pending_id;
        let previous = self.view.holds.insert(id, hold);
        checkpoint.holds.entry(id).or_insert(previous);
        if self.dirty_holds.insert(id) {
            checkpoint.newly_dirty_holds.push(id);
        }
    }
}

enum Settle {
    Post(Option<Amount>),
    Void,
    Expire,
}

fn add(a: i64, b: i64) -> Result<i64, TransferError> {
    a.checked_add(b).ok_or(TransferError::Overflow)
}

fn sub(a: i64, b: i64) -> Result<i64, TransferError> {
    a.checked_sub(b).ok_or(TransferError::Overflow)
}

fn check_flags(debit: &Account, credit: &Account) -> Result<(), TransferError> {
    match debit.balances.violation(debit.flags).or_else(|| credit.balances.violation(credit.flags)) {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Refuses a credit that takes an account above `cap`, counting what holds are bringing in.
fn check_cap(credit: &Account, cap: Amount) -> Result<(), TransferError> {
    let b = &credit.balances;
    // Three i64s cannot overflow an i128; saturating says so to the lint.
    let held = i128::from(b.credits_posted).saturating_add(i128::from(b.credits_pending));
    let held = held.saturating_sub(i128::from(b.debits_posted));
    if held > i128::from(cap.minor()) { Err(TransferError::BalanceLimit) } else { Ok(()) }
}

/// Whether a retried command asks for exactly what was stored.
fn same_fields(command: &TransferCommand, stored: &Transfer) -> bool {
    if command.code != stored.code || command.reference != stored.reference {
        return false;
    }
    match &command.op {
        TransferOp::Posted { debit, credit, amount, currency } => {
            stored.kind == TransferKind::Posted
                && stored.debit_account_id == *debit
                && stored.credit_account_id == *credit
                && stored.amount == *amount
                && stored.currency == *currency
        }
        TransferOp::Pending { debit, credit, amount, currency, timeout_seconds } => {
            let expected_expiry = timeout_seconds.map(|seconds| stored.timestamp.plus_seconds(i64::from(seconds)));
            stored.kind == TransferKind::Pending
                && stored.debit_account_id == *debit
                && stored.credit_account_id == *credit
                && stored.amount == *amount
                && stored.currency == *currency
                && stored.expires_at == expected_expiry
        }
        TransferOp::Post { pending_id, amount } => {
            stored.kind == TransferKind::PostPending
                && stored.pending_id == Some(*pending_id)
                && amount.is_none_or(|amount| amount == stored.amount)
        }
        TransferOp::Void { pending_id } | TransferOp::Expire { pending_id } => {
            stored.kind == TransferKind::VoidPending && stored.pending_id == Some(*pending_id)
        }
    }
}

/// A deterministic id from a namespace and parts (UUIDv8, RFC 9562): used
/// where a retry must name the same ledger transfer (an idempotency key, a
/// payment's legs), and where verification must find it again.
pub fn derived_id(namespace: &str, parts: &[&[u8]]) -> uuid::Uuid {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(namespace.as_bytes());
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0u8; 16]));
    uuid::Uuid::new_v8(bytes)
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_short_reference_is_the_ids_last_eight_hex_digits() {
        let id = TransferId(Uuid::from_u128(0x0193_a4b0_7c1e_7000_8000_0000_3f9a_21c0));
        assert_eq!(id.short_reference(), "3F9A-21C0");
        assert!(id.to_string().to_ascii_uppercase().replace('-', "").ends_with("3F9A21C0"));
    }

    const USD: CurrencyCode = match CurrencyCode::parse_const(*b"USD") {
        Some(code) => code,
        None => panic!("USD is a currency code"),
    };

    fn account(n: u128, kind: AccountKind) -> Account {
        Account {
            id: AccountId(Uuid::from_u128(n)),
            currency: USD,
            kind,
            flags: kind.default_flags(),
            balances: Balances::default(),
            created_at: Timestamp(0),
        }
    }

    /// Issuance (1), two wallets (2, 3).
    fn view() -> LedgerView {
        let mut view = LedgerView::default();
        for account in [
            account(1, AccountKind::Issuance),
            account(2, AccountKind::CustomerWallet),
            account(3, AccountKind::CustomerWallet),
        ] {
            view.accounts.insert(account.id, account);
        }
        view
    }

    fn id(n: u128) -> AccountId {
        AccountId(Uuid::from_u128(n))
    }

    fn command(n: u128, op: TransferOp) -> TransferCommand {
        TransferCommand {
            id: TransferId(Uuid::from_u128(1000 + n)),
            op,
            code: TransferCode::P2p,
            reference: String::new(),
            credit_cap: None,
        }
    }

    fn posted(n: u128, debit: u128, credit: u128, amount: i64) -> TransferCommand {
        command(
            n,
            TransferOp::Posted {
                debit: id(debit),
                credit: id(credit),
                amount: Amount::from_minor(amount),
                currency: USD,
            },
        )
    }

    fn balances(plan: &BatchPlan, account: u128) -> Balances {
        plan.accounts.iter().find(|a| a.id == id(account)).map(|a| a.balances).unwrap_or_default()
    }

    #[test]
    fn one_failing_chain_never_fails_its_batch_mates() {
        let chains = vec![vec![posted(1, 1, 2, 100)], vec![posted(2, 2, 3, 500)], vec![posted(3, 2, 3, 40)]];
        let plan = plan_batch(view(), &chains, Timestamp(10));
        assert!(plan.results[0].is_ok());
        assert_eq!(plan.results[1], Err(ChainRejection { index: 0, error: TransferError::InsufficientFunds }));
        assert!(plan.results[2].is_ok());
        assert_eq!(balances(&plan, 2).credit_balance(), Some(60));
        assert_eq!(plan.new_transfers.len(), 2);
    }

    #[test]
    fn a_linked_chain_commits_or_fails_as_one() {
        let chain = vec![posted(1, 1, 2, 100), posted(2, 2, 3, 30), posted(3, 2, 3, 500)];
        let plan = plan_batch(view(), &[chain], Timestamp(10));
        assert_eq!(plan.results[0], Err(ChainRejection { index: 2, error: TransferError::InsufficientFunds }));
        assert!(plan.new_transfers.is_empty() && plan.accounts.is_empty() && plan.holds.is_empty());
        assert_eq!(plan.last_timestamp, Timestamp(0), "a rolled-back chain consumes no timestamps");
    }

    /// The postcondition check is itself checked: a plan it passes, then the
    /// same plan broken in each way it promises to catch.
    #[test]
    fn broken_plans_are_caught() {
        let view = view();
        let before = view.accounts.clone();
        let chains = vec![vec![posted(1, 1, 2, 100), posted(2, 2, 3, 40)], vec![posted(3, 2, 3, 500)]];
        let plan = plan_batch(view, &chains, Timestamp(10));
        assert_eq!(plan_broken(&before, Timestamp(0), &chains, &plan), None);
        let broken = |change: &dyn Fn(&mut BatchPlan)| {
            let mut broken = plan.clone();
            change(&mut broken);
            plan_broken(&before, Timestamp(0), &chains, &broken)
        };
        assert_eq!(broken(&|p| drop(p.results.pop())), Some("one result per chain"));
        assert_eq!(
            broken(&|p| if let Some(Ok(outcomes)) = p.results.first_mut() {
                outcomes.pop();
            }),
            Some("one outcome per command of an accepted chain")
        );
        assert_eq!(
            broken(&|p| p.accounts.iter_mut().for_each(|a| if a.id == id(3) {
                a.balances.credits_posted += 1;
            })),
            Some("debits equal credits in each currency")
        );
        assert_eq!(
            broken(&|p| p.accounts.iter_mut().for_each(|a| match a.id {
                wallet if wallet == id(2) => a.balances.debits_posted += 100,
                wallet if wallet == id(3) => a.balances.credits_posted += 100,
                _ => {}
            })),
            Some("an account broke its balance flags")
        );
        assert_eq!(broken(&|p| p.new_transfers.reverse()), Some("timestamps strictly increase"));
        assert_eq!(broken(&|p| p.last_timestamp = Timestamp(1)), Some("the plan carries the last timestamp forward"));
        assert_eq!(
            broken(&|p| p.accounts.push(account(9, AccountKind::Settlement))),
            Some("a changed account the view did not hold")
        );
    }

    #[test]
    fn timestamps_strictly_increase_even_when_the_clock_does_not() {
        let mut view = view();
        view.last_timestamp = Timestamp(50);
        let chains = vec![vec![posted(1, 1, 2, 1)], vec![posted(2, 1, 2, 1)]];
        let plan = plan_batch(view, &chains, Timestamp(10));
        let stamps: Vec<_> = plan.new_transfers.iter().map(|t| t.timestamp.0).collect();
        assert_eq!(stamps, vec![51, 52]);
    }

    #[test]
    fn holds_reserve_then_post_for_less_or_void() {
        let hold = command(
            1,
            TransferOp::Pending {
                debit: id(1),
                credit: id(2),
                amount: Amount::from_minor(100),
                currency: USD,
                timeout_seconds: Some(60),
            },
        );
        let pending_id = hold.id;
        let post = command(2, TransferOp::Post { pending_id, amount: Some(Amount::from_minor(70)) });
        let plan = plan_batch(view(), &[vec![hold.clone()], vec![post]], Timestamp(10));
        assert!(plan.results.iter().all(Result::is_ok), "{:?}", plan.results);
        assert_eq!(balances(&plan, 2), Balances { credits_posted: 70, ..Balances::default() });
        assert_eq!(plan.holds[0].state, HoldState::Posted);

        let void = command(3, TransferOp::Void { pending_id });
        let early_expiry = command(4, TransferOp::Expire { pending_id });
        let plan = plan_batch(
            view(),
            &[vec![hold.clone()], vec![early_expiry], vec![void.clone()], vec![void]],
            Timestamp(10),
        );
        assert_eq!(plan.results[1], Err(ChainRejection { index: 0, error: TransferError::PendingNotExpired }));
        assert!(plan.results[2].is_ok());
        assert_eq!(plan.results[3].as_ref().map(|o| o[0].replayed), Ok(true), "the same void again is a replay");
        assert_eq!(balances(&plan, 2), Balances::default());
    }

    #[test]
    fn expired_holds_cannot_be_posted() {
        let hold = command(
            1,
            TransferOp::Pending {
                debit: id(1),
                credit: id(2),
                amount: Amount::from_minor(5),
                currency: USD,
                timeout_seconds: Some(1),
            },
        );
        let first = plan_batch(view(), &[vec![hold.clone()]], Timestamp(10));
        let mut later = view();
        later.holds = first.holds.iter().map(|h| (h.pending_id, h.clone())).collect();
        later.accounts = first.accounts.iter().map(|a| (a.id, a.clone())).collect();
        later.last_timestamp = first.last_timestamp;
        let post = command(2, TransferOp::Post { pending_id: hold.id, amount: None });
        let plan = plan_batch(later, &[vec![post]], Timestamp(10 + 2 * Timestamp::MICROS_PER_SECOND));
        assert_eq!(plan.results[0], Err(ChainRejection { index: 0, error: TransferError::PendingExpired }));
    }

    #[test]
    fn replays_return_the_original_and_conflicts_are_refused() {
        let first = plan_batch(view(), &[vec![posted(1, 1, 2, 100)]], Timestamp(10));
        let mut again = view();
        again.transfers = first.new_transfers.iter().map(|t| (t.id, t.clone())).collect();
        let plan = plan_batch(again, &[vec![posted(1, 1, 2, 100)], vec![posted(1, 1, 2, 101)]], Timestamp(20));
        let replay = plan.results[0].as_ref().map(|o| (o[0].replayed, o[0].transfer.timestamp));
        assert_eq!(replay, Ok((true, Timestamp(10))));
        assert_eq!(plan.results[1], Err(ChainRejection { index: 0, error: TransferError::IdempotencyConflict }));
        assert!(plan.new_transfers.is_empty());
    }

    #[test]
    fn a_credit_cap_is_checked_after_the_debit_sides_funds() {
        let capped = |n: u128, debit: u128, credit: u128, amount: i64, cap: i64| TransferCommand {
            credit_cap: Some(Amount::from_minor(cap)),
            ..posted(n, debit, credit, amount)
        };
        let plan = plan_batch(
            view(),
            &[vec![capped(1, 1, 2, 60, 100)], vec![capped(2, 1, 2, 50, 100)], vec![capped(3, 1, 2, 40, 100)]],
            Timestamp(1),
        );
        assert!(plan.results[0].is_ok());
        assert_eq!(plan.results[1].as_ref().map_err(|r| r.error), Err(TransferError::BalanceLimit));
        assert!(plan.results[2].is_ok(), "exactly at the cap");
        assert_eq!(balances(&plan, 2).credits_posted, 100);
        // Funds first: a sender without the money learns nothing of the recipient's room.
        let plan = plan_batch(view(), &[vec![capped(4, 2, 1, 10, 0)]], Timestamp(1));
        assert_eq!(plan.results[0].as_ref().map_err(|r| r.error), Err(TransferError::InsufficientFunds));
    }

    #[test]
    fn issuance_cannot_be_credited_beyond_what_was_issued() {
        let plan = plan_batch(
            view(),
            &[vec![posted(1, 1, 2, 100)], vec![posted(2, 2, 1, 100)], vec![posted(3, 3, 1, 1)]],
            Timestamp(1),
        );
        assert!(plan.results[0].is_ok() && plan.results[1].is_ok());
        assert_eq!(plan.results[2], Err(ChainRejection { index: 0, error: TransferError::InsufficientFunds }));
        let frozen = {
            let mut view = view();
            if let Some(a) = view.accounts.get_mut(&id(2)) {
                a.flags = a.flags.with(AccountFlags::FROZEN);
            }
            view
        };
        let plan = plan_batch(
            frozen,
            &[vec![posted(4, 1, 2, 1)], vec![posted(5, 1, 1, 1)], vec![posted(6, 1, 9, 1)]],
            Timestamp(1),
        );
        let errors: Vec<_> = plan.results.iter().map(|r| r.as_ref().err().map(|e| e.error)).collect();
        assert_eq!(
            errors,
            vec![
                Some(TransferError::AccountFrozen),
                Some(TransferError::SameAccount),
                Some(TransferError::CreditAccountNotFound)
            ]
        );
    }
}
