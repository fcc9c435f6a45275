//! The JSON answers of this context, described for the OpenAPI document.

use quipu_core::kernel::text::rfc3339;
use quipu_domain::money::{Amount, CurrencyCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::*;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankAccountView {
    pub id: uuid::Uuid,
    pub bank_name: String,
    pub holder_name: String,
    /// Always masked, e.g. "••••7890".
    pub account_number: String,
    pub created_at: String,
}

impl From<&quipu_core::settlement::BankAccount> for BankAccountView {
    fn from(account: &quipu_core::settlement::BankAccount) -> Self {
        Self {
            id: account.id,
            bank_name: account.bank_name.clone(),
            holder_name: account.holder_name.clone(),
            account_number: account.account_number.clone(),
            created_at: rfc3339(account.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutView {
    pub id: uuid::Uuid,
    pub merchant_id: uuid::Uuid,
    pub amount: MoneyView,
    /// pending (money held), batched (sent to the bank), paid, rejected (money released) or failed.
    pub status: String,
    /// Requested by the merchant's schedule, not by a person.
    pub scheduled: bool,
    pub bank_account: Option<BankAccountView>,
    pub batch_id: Option<uuid::Uuid>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&quipu_core::settlement::Payout> for PayoutView {
    fn from(payout: &quipu_core::settlement::Payout) -> Self {
        let record = &payout.record;
        Self {
            id: record.id.0,
            merchant_id: record.merchant_id.0,
            amount: MoneyView::new(record.amount, record.currency),
            status: record.status.as_str().to_owned(),
            scheduled: record.scheduled,
            bank_account: payout.bank_account.as_ref().map(BankAccountView::from),
            batch_id: record.batch_id.map(|b| b.0),
            created_at: rfc3339(record.created_at),
            updated_at: rfc3339(record.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutBatchView {
    pub id: uuid::Uuid,
    pub created_at: String,
    /// When the operator marked it paid.
    pub paid_at: Option<String>,
    /// Payouts in the batch per currency (rejected ones left out).
    pub totals: Vec<MoneyView>,
    pub payouts: Vec<PayoutView>,
    /// In the answer to marking the batch paid: the payouts the ledger would not pay yet (a frozen
    /// merchant account, say). They stay `batched`, their money held, until the batch is marked paid
    /// again or they are rejected; the batch has no `paid_at` while any waits. Empty elsewhere.
    pub waiting: Vec<WaitingPayoutView>,
}

/// A payout that marking its batch paid left waiting, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitingPayoutView {
    pub payout_id: uuid::Uuid,
    /// The ledger's reason, as a problem code: e.g. `account_frozen`.
    pub code: String,
    pub detail: String,
}

impl From<&quipu_core::settlement::Batch> for PayoutBatchView {
    fn from(batch: &quipu_core::settlement::Batch) -> Self {
        let mut totals: Vec<(CurrencyCode, Amount)> = Vec::new();
        for payout in batch
            .payouts
            .iter()
            .map(|p| &p.record)
            .filter(|p| p.status != quipu_domain::settlement::PayoutStatus::Rejected)
        {
            match totals.iter_mut().find(|(currency, _)| *currency == payout.currency) {
                Some((_, sum)) => *sum = sum.checked_add(payout.amount).unwrap_or(*sum),
                None => totals.push((payout.currency, payout.amount)),
            }
        }
        Self {
            id: batch.record.id.0,
            created_at: rfc3339(batch.record.created_at),
            paid_at: batch.record.paid_at.map(rfc3339),
            totals: totals.into_iter().map(|(currency, amount)| MoneyView::new(amount, currency)).collect(),
            payouts: batch.payouts.iter().map(PayoutView::from).collect(),
            waiting: batch
                .waiting
                .iter()
                .map(|waiting| WaitingPayoutView {
                    payout_id: waiting.payout.0,
                    code: waiting.code.to_owned(),
                    detail: waiting.detail.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutScheduleView {
    pub currency: String,
    pub bank_account_id: uuid::Uuid,
    /// Paid out once a day when the available balance is above this.
    pub threshold: MoneyView,
}

impl From<&quipu_store::settlement::ScheduledPayoutRecord> for PayoutScheduleView {
    fn from(schedule: &quipu_store::settlement::ScheduledPayoutRecord) -> Self {
        Self {
            currency: schedule.currency.to_string(),
            bank_account_id: schedule.bank_account_id,
            threshold: MoneyView::new(schedule.threshold, schedule.currency),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommissionView {
    /// cash_in, cash_out or card_issue.
    pub operation: String,
    pub currency: String,
    /// A fixed amount per operation, if the rate is one.
    pub fixed: Option<MoneyView>,
    /// Basis points of the operation's amount, if the rate is that.
    pub bps: Option<u32>,
    pub updated_at: String,
}

impl From<&quipu_store::settlement::CommissionRecord> for CommissionView {
    fn from(commission: &quipu_store::settlement::CommissionRecord) -> Self {
        use quipu_domain::settlement::CommissionRate;
        let (fixed, bps) = match commission.rate {
            CommissionRate::Fixed(amount) => (Some(MoneyView::new(amount, commission.currency)), None),
            CommissionRate::Bps(bps) => (None, Some(bps)),
        };
        Self {
            operation: commission.operation.as_str().to_owned(),
            currency: commission.currency.to_string(),
            fixed,
            bps,
            updated_at: rfc3339(commission.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EarningsTotalView {
    pub commissions: u64,
    pub earned: MoneyView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EarningsView {
    /// Everything earned, per currency.
    pub totals: Vec<EarningsTotalView>,
    /// The latest commissions (default currency), newest first.
    pub recent: Vec<TransferView>,
}

impl From<&quipu_core::wallet::Earnings> for EarningsView {
    fn from(earnings: &quipu_core::wallet::Earnings) -> Self {
        Self {
            totals: earnings
                .totals
                .iter()
                .map(|(currency, total)| EarningsTotalView {
                    commissions: total.count,
                    earned: MoneyView::new(total.total, currency.code),
                })
                .collect(),
            recent: earnings.recent.iter().map(TransferView::from).collect(),
        }
    }
}
