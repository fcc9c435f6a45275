//! Money leaving the network and agents' earnings: merchants' bank accounts,
//! payouts and the batches the operator sends to the bank, scheduled
//! payouts, and the commissions the operator pays agents.

use quipu_domain::Timestamp;
use quipu_domain::identity::MerchantId;
use quipu_domain::ledger::{AccountId, TransferCode};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::settlement::{CommissionOperation, CommissionRate, PayoutBatchId, PayoutId, PayoutStatus};
use quipu_domain::state::Transition;
use uuid::Uuid;

use crate::StoreResult;

/// A merchant's bank account, where its payouts go. The full number is kept
/// for the bank file and never leaves the service layer unmasked otherwise.
#[derive(Clone, PartialEq, Eq)]
pub struct BankAccountRecord {
    pub id: Uuid,
    pub merchant_id: MerchantId,
    pub bank_name: String,
    pub account_number: String,
    /// The name the bank pays: the account holder.
    pub holder_name: String,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for BankAccountRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BankAccountRecord").field("id", &self.id).finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRecord {
    pub id: PayoutId,
    pub merchant_id: MerchantId,
    pub bank_account_id: Uuid,
    pub currency: CurrencyCode,
    pub amount: Amount,
    pub status: PayoutStatus,
    /// Requested by the schedule, not by a person.
    pub scheduled: bool,
    pub batch_id: Option<PayoutBatchId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutBatchRecord {
    pub id: PayoutBatchId,
    pub created_by: Uuid,
    pub created_at: Timestamp,
    pub paid_at: Option<Timestamp>,
}

/// A merchant's standing order: pay out the whole available balance once a day when it is above `threshold`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledPayoutRecord {
    pub merchant_id: MerchantId,
    pub currency: CurrencyCode,
    pub bank_account_id: Uuid,
    pub threshold: Amount,
    /// The last day (days since the Unix epoch, UTC) the schedule ran; -1 before the first.
    pub last_day: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommissionRecord {
    pub operation: CommissionOperation,
    pub currency: CurrencyCode,
    pub rate: CommissionRate,
    pub updated_by: Uuid,
    pub updated_at: Timestamp,
}

/// An agent's commissions in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarningsTotal {
    pub count: u64,
    pub total: Amount,
}

#[async_trait::async_trait]
pub trait SettlementStore: Send + Sync {
    /// Adds a bank account unless the merchant has `max` already; `false` then.
    async fn insert_bank_account(&self, account: &BankAccountRecord, max: u32) -> StoreResult<bool>;

    /// A merchant's bank accounts, at most 20.
    async fn bank_accounts(&self, merchant: MerchantId) -> StoreResult<Vec<BankAccountRecord>>;

    async fn bank_account(&self, id: Uuid) -> StoreResult<Option<BankAccountRecord>>;

    /// Writes a payout unless one with its id exists; returns the stored one either way.
    async fn insert_payout(&self, payout: &PayoutRecord) -> StoreResult<PayoutRecord>;

    async fn payout(&self, id: PayoutId) -> StoreResult<Option<PayoutRecord>>;

    /// A merchant's payouts, newest first.
    async fn merchant_payouts(&self, merchant: MerchantId, limit: u32) -> StoreResult<Vec<PayoutRecord>>;

    /// Payouts in a state, oldest first.
    async fn payouts_with_status(&self, status: PayoutStatus, limit: u32) -> StoreResult<Vec<PayoutRecord>>;

    /// Moves a payout as `transition` (which only the domain's table builds) says, by
    /// compare-and-set; `false` if it was no longer in the transition's `from`.
    async fn set_payout_status(
        &self,
        id: PayoutId,
        transition: Transition<PayoutStatus>,
        now: Timestamp,
    ) -> StoreResult<bool>;

    /// Makes a batch of the oldest pending payouts (at most `max`), in one transaction. Creating a
    /// batch whose id exists adds nothing: its payouts are returned as they are.
    async fn create_payout_batch(&self, batch: &PayoutBatchRecord, max: u32) -> StoreResult<Vec<PayoutRecord>>;

    async fn payout_batch(&self, id: PayoutBatchId) -> StoreResult<Option<PayoutBatchRecord>>;

    async fn batch_payouts(&self, id: PayoutBatchId) -> StoreResult<Vec<PayoutRecord>>;

    /// Marks a batch paid (the first time only).
    async fn set_batch_paid(&self, id: PayoutBatchId, now: Timestamp) -> StoreResult<()>;

    /// Sets or replaces a merchant's scheduled payout in a currency.
    async fn set_scheduled_payout(&self, schedule: &ScheduledPayoutRecord) -> StoreResult<()>;

    /// Removes it; `false` if there was none.
    async fn delete_scheduled_payout(&self, merchant: MerchantId, currency: CurrencyCode) -> StoreResult<bool>;

    async fn scheduled_payouts_of(&self, merchant: MerchantId) -> StoreResult<Vec<ScheduledPayoutRecord>>;

    /// Schedules that have not run on `day` yet, at most `limit`.
    async fn scheduled_payouts_due(&self, day: i64, limit: u32) -> StoreResult<Vec<ScheduledPayoutRecord>>;

    /// Records that a schedule ran on `day`.
    async fn scheduled_payout_ran(&self, merchant: MerchantId, currency: CurrencyCode, day: i64) -> StoreResult<()>;

    /// Sets (or replaces) the commission for an operation in a currency.
    async fn set_commission(&self, commission: &CommissionRecord) -> StoreResult<()>;

    async fn commission(
        &self,
        operation: CommissionOperation,
        currency: CurrencyCode,
    ) -> StoreResult<Option<CommissionRecord>>;

    async fn commissions(&self) -> StoreResult<Vec<CommissionRecord>>;

    /// How many transfers coded `commission` credited an account, and their sum.
    async fn commission_earnings(&self, account: AccountId) -> StoreResult<EarningsTotal>;

    /// How many transfers coded `commission` credited an account at or after `since`, and their sum.
    async fn commission_earnings_since(&self, account: AccountId, since: Timestamp) -> StoreResult<EarningsTotal>;

    /// Whether a transfer coded `code` moved money from `debit` to `credit` at or after `since`.
    async fn moved_since(
        &self,
        code: TransferCode,
        (debit, credit): (AccountId, AccountId),
        since: Timestamp,
    ) -> StoreResult<bool>;
}
