//! In-store payments: customers' devices and their one-time payment codes,
//! one charge for every way of paying (a payment code at a till, a merchant
//! QR, a prepaid card), approval with PIN above a threshold, refunds,
//! receipts and a merchant's day.
//!
//! A payment is a record plus linked ledger transfers whose ids derive from
//! the payment's id: payer → merchant for the amount, merchant → fee income
//! for the fee. The record is written first (status `processing`), then the
//! transfers, then the status; a retry with the same idempotency key resumes
//! wherever a crash left it, because every step is idempotent.

mod charge;
mod devices;
mod receipts;
mod refunds;
mod search;
mod staff_day;

use std::sync::Arc;

use quipu_domain::identity::{DisplayName, MerchantId, Role};
use quipu_domain::money::CurrencyCode;
use quipu_domain::payment::{PaymentId, PaymentStatus};
use quipu_kernel::paging::{cursor_before, next_cursor, page_limit};
use quipu_kernel::{CoreError, CoreResult, Kernel, Principal};
use quipu_store::MerchantRecord;
use quipu_store::events::EventRecord;
use quipu_store::payments::{MAX_PAYMENT_PAGE, PaymentRecord, RefundRecord};
use serde_json::value::RawValue;

pub use crate::charge::{Charge, Payer, request_used};
pub use crate::devices::{Device, DeviceAction, EnrolledDevice, parse_label};
pub use crate::receipts::{MerchantSummary, PaymentReceipt, SummaryLine};
pub use crate::search::PaymentSearch;
pub use crate::staff_day::{MethodTakings, StaffDay, Taker, TakerDay, TakerLine};

/// A payment and the name of the merchant it was made at.
#[derive(Debug, Clone)]
pub struct Payment {
    pub record: PaymentRecord,
    pub merchant_name: String,
}

/// A refund and the currency of its payment.
#[derive(Debug, Clone)]
pub struct Refund {
    pub record: RefundRecord,
    pub currency: CurrencyCode,
}

#[derive(Debug, Clone)]
pub struct PaymentPage {
    pub payments: Vec<Payment>,
    pub next_cursor: Option<String>,
}

/// What a payment's and a refund's events carry: the payment (or refund) as
/// the API shows it. The HTTP layer owns that format, so it supplies this.
pub trait PaymentDocuments: Send + Sync + 'static {
    fn payment(&self, payment: &Payment) -> serde_json::Result<Box<RawValue>>;
    fn refund(&self, refund: &Refund) -> serde_json::Result<Box<RawValue>>;
}

#[derive(Clone)]
pub struct Payments {
    kernel: Arc<Kernel>,
    documents: Arc<dyn PaymentDocuments>,
}

impl Payments {
    pub fn new(kernel: Arc<Kernel>, documents: Arc<dyn PaymentDocuments>) -> Self {
        Self { kernel, documents }
    }

    /// A payment, as its customer or its merchant sees it.
    pub async fn payment(&self, principal: &Principal, id: PaymentId) -> CoreResult<Payment> {
        let payment = self.visible_payment(principal, id).await?;
        let payment = self.lapse_if_expired(payment).await?;
        self.with_merchant_name(payment).await
    }

    /// A merchant's payments that `search` lets through, newest first; `cursor` continues a previous page.
    pub async fn merchant_payments(
        &self,
        principal: &Principal,
        search: &PaymentSearch<'_>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> CoreResult<PaymentPage> {
        let merchant = principal.require_merchant()?;
        let limit = page_limit(limit, 50, MAX_PAYMENT_PAGE)?;
        let filter = search.filter(&self.kernel, merchant).await?;
        let records = self.kernel.store.merchant_payments(merchant, &filter, cursor_before(cursor)?, limit).await?;
        let next_cursor = next_cursor(&records, limit, |p| p.created_at);
        let name = self.merchant_name(merchant).await?;
        let payments = records.into_iter().map(|record| Payment { record, merchant_name: name.clone() }).collect();
        Ok(PaymentPage { payments, next_cursor })
    }

    /// A customer's own payments, newest first, those awaiting their approval among them (or only
    /// them: `status`); `cursor` continues a previous page.
    pub async fn customer_payments(
        &self,
        principal: &Principal,
        status: Option<PaymentStatus>,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> CoreResult<PaymentPage> {
        let customer = principal.require(Role::Customer)?;
        let limit = page_limit(limit, 50, MAX_PAYMENT_PAGE)?;
        let records = self.kernel.store.customer_payments(customer, status, cursor_before(cursor)?, limit).await?;
        let next_cursor = next_cursor(&records, limit, |p| p.created_at);
        let mut names: Vec<(MerchantId, String)> = Vec::new();
        let mut payments = Vec::with_capacity(records.len());
        for record in records {
            let name = match names.iter().find(|(id, _)| *id == record.merchant_id) {
                Some((_, name)) => name.clone(),
                None => {
                    let name = self.merchant_name(record.merchant_id).await?;
                    names.push((record.merchant_id, name.clone()));
                    name
                }
            };
            payments.push(Payment { record, merchant_name: name });
        }
        Ok(PaymentPage { payments, next_cursor })
    }

    /// Sets a merchant's fee rate (operators only); returns the merchant's settings as they now are.
    pub async fn set_merchant_fee(
        &self,
        principal: &Principal,
        merchant: MerchantId,
        fee_bps: u32,
    ) -> CoreResult<MerchantRecord> {
        principal.require(Role::Operator)?;
        if fee_bps > quipu_domain::payment::MAX_FEE_BPS {
            return Err(CoreError::invalid("invalid_fee", "a fee is at most 1000 basis points (10%)"));
        }
        if !self.kernel.store.set_merchant_terms(merchant, Some(fee_bps), None).await? {
            return Err(CoreError::not_found("merchant"));
        }
        self.merchant_record(merchant).await
    }

    /// The merchant's owner lets cashiers refund, or stops them; returns the merchant's settings as they now are.
    pub async fn set_cashier_refunds(&self, principal: &Principal, allowed: bool) -> CoreResult<MerchantRecord> {
        principal.require(Role::MerchantOwner)?;
        let merchant = principal.require_merchant()?;
        self.kernel.store.set_merchant_terms(merchant, None, Some(allowed)).await?;
        self.merchant_record(merchant).await
    }

    async fn merchant_record(&self, merchant: MerchantId) -> CoreResult<MerchantRecord> {
        self.kernel.store.merchant(merchant).await?.ok_or_else(|| CoreError::not_found("merchant"))
    }

    /// A payment its customer or its merchant may see; anyone else's looks missing.
    pub(crate) async fn visible_payment(&self, principal: &Principal, id: PaymentId) -> CoreResult<PaymentRecord> {
        let payment = self.kernel.store.payment(id).await?.ok_or_else(|| CoreError::not_found("payment"))?;
        let is_customer = principal.role() == Some(Role::Customer) && principal.user_id() == payment.customer_id;
        let is_merchant = principal.merchant() == Some(payment.merchant_id);
        if is_customer || is_merchant { Ok(payment) } else { Err(CoreError::not_found("payment")) }
    }

    pub(crate) async fn with_merchant_name(&self, record: PaymentRecord) -> CoreResult<Payment> {
        let merchant_name = self.merchant_name(record.merchant_id).await?;
        Ok(Payment { record, merchant_name })
    }

    async fn merchant_name(&self, merchant: MerchantId) -> CoreResult<String> {
        Ok(self.kernel.store.merchant(merchant).await?.map(|m| m.name).unwrap_or_default())
    }

    /// The event a payment that has just moved to its current status raises, if any.
    fn payment_event(&self, payment: &Payment) -> CoreResult<Option<EventRecord>> {
        let kind = match payment.record.status {
            PaymentStatus::AwaitingApproval => "payment.awaiting_approval",
            PaymentStatus::Completed => "payment.completed",
            PaymentStatus::Failed => "payment.failed",
            PaymentStatus::Processing | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => return Ok(None),
        };
        let record = &payment.record;
        let data = self.documents.payment(payment).map_err(unserialisable)?;
        let mut event =
            quipu_events::new_event(&self.kernel, kind, record.merchant_id, &record.till, &data, record.updated_at)?;
        // The payer hears it on their own stream too, in the same transaction.
        event.customer_id = record.customer_id;
        Ok(Some(event))
    }
}

/// An event's document that would not serialise: reported, never sent half-made.
pub(crate) fn unserialisable(error: serde_json::Error) -> CoreError {
    CoreError::invalid("unserialisable_event", error.to_string())
}

/// A refund's reason as typed: none, or at most 100 printable characters.
pub fn parse_reason(text: Option<&str>) -> CoreResult<Option<DisplayName>> {
    text.map(str::trim)
        .filter(|r| !r.is_empty())
        .map(|r| {
            DisplayName::parse(r)
                .map_err(|_| CoreError::invalid("invalid_reason", "a reason is at most 100 printable characters"))
        })
        .transpose()
}
