//! Storage for in-store payments: enrolled devices, payments, payment
//! requests (dynamic QRs), refunds, and the sums limits and summaries need.

use quipu_domain::Timestamp;
use quipu_domain::card::CardId;
use quipu_domain::card::CardNumber;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::payment::{
    DeviceId, DeviceStatus, PaymentId, PaymentMethod, PaymentRequestId, PaymentStatus, RefundId, RefundStatus,
};
use quipu_domain::state::Transition;
use uuid::Uuid;

use crate::StoreResult;
use crate::events::EventRecord;

/// Which of a merchant's payments a list shows; each part left `None` lets every payment through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    pub status: Option<PaymentStatus>,
    /// A till's label as stored; `Some("")` is the payments taken at no named till.
    pub till: Option<String>,
    /// Amounts from and to these, in minor units, both included.
    pub min_amount: Option<Amount>,
    pub max_amount: Option<Amount>,
    /// Created at or after this instant.
    pub from: Option<Timestamp>,
    /// Created before this instant.
    pub to: Option<Timestamp>,
}

/// Most payments one page lists.
pub const MAX_PAYMENT_PAGE: u32 = 200;

/// A customer's enrolled device. The secret is what the device derives its
/// payment codes from; the server needs it in the clear to check them (as
/// with TOTP), so it never leaves the service layer after enrolment.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: DeviceId,
    pub user_id: UserId,
    pub device_ref: u32,
    pub label: String,
    pub secret: Vec<u8>,
    pub status: DeviceStatus,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl std::fmt::Debug for DeviceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRecord").field("id", &self.id).field("status", &self.status).finish_non_exhaustive()
    }
}

/// One payment at a merchant. Its ledger transfers have ids derived from
/// the payment id, so the payment and its money can always be matched up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub merchant_id: MerchantId,
    /// The paying customer: the wallet's owner, or a linked card's holder. An unlinked card pays for no one.
    pub customer_id: Option<UserId>,
    pub method: PaymentMethod,
    /// For payment-code payments: the code's device, step and slot; each pays at most once.
    pub device_id: Option<DeviceId>,
    pub code_step: Option<i64>,
    pub code_slot: Option<i64>,
    pub amount: Amount,
    pub fee: Amount,
    pub currency: CurrencyCode,
    pub refunded: Amount,
    pub status: PaymentStatus,
    pub failure_code: Option<String>,
    pub reference: String,
    /// The merchant staff member or API key that took the payment.
    pub created_by: Uuid,
    pub created_at: Timestamp,
    /// For payments awaiting approval: when the request lapses.
    pub expires_at: Option<Timestamp>,
    pub updated_at: Timestamp,
    /// The till the payment was taken at, if the merchant names its tills.
    pub till: String,
    /// For a dynamic merchant QR: the payment request it paid.
    pub request_id: Option<PaymentRequestId>,
    /// For a card payment: the card that paid, and its number (read with the payment, never written by it).
    pub card_id: Option<CardId>,
    pub card_number: Option<CardNumber>,
}

/// A merchant's request for one payment, shown as a dynamic QR: amount and
/// reference fixed, paid at most once, before it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequestRecord {
    pub id: PaymentRequestId,
    pub merchant_id: MerchantId,
    pub till: String,
    pub amount: Amount,
    pub currency: CurrencyCode,
    pub reference: String,
    pub created_by: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// A refund, claimed against its payment before its transfers commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: RefundId,
    pub payment_id: PaymentId,
    pub amount: Amount,
    /// How much of the payment had been refunded before this one: it fixes the fee share given back.
    pub refunded_before: Amount,
    pub status: RefundStatus,
    pub reason: String,
    pub created_by: Uuid,
    pub created_at: Timestamp,
}

/// A merchant's completed payments in one currency over a period (refunded ones included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentTotals {
    pub currency: CurrencyCode,
    pub count: u64,
    pub gross: Amount,
    pub fees: Amount,
}

/// A completed refund with what its fee share is computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryRefund {
    pub currency: CurrencyCode,
    pub amount: Amount,
    pub refunded_before: Amount,
    /// The refunded payment's amount and fee.
    pub paid: Amount,
    pub fee: Amount,
}

/// What one person (or API key) took in one currency by one method over a period: whoever made the
/// charge, or the payment request a merchant QR paid; `None` for a shop's printed QR, which no one
/// at the till asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffTakings {
    pub taken_by: Option<Uuid>,
    pub method: PaymentMethod,
    pub currency: CurrencyCode,
    pub count: u64,
    pub gross: Amount,
}

/// What one person (or API key) gave back in one currency over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRefunds {
    pub given_by: Uuid,
    pub currency: CurrencyCode,
    pub count: u64,
    pub amount: Amount,
}

/// Most lines (person × method × currency) one staff report reads; more is refused, not cut.
pub const MAX_STAFF_LINES: u32 = 1_000;

/// Most refunds one merchant summary adds up; a busier day is refused rather than miscounted.
pub const MAX_SUMMARY_REFUNDS: u32 = 10_000;

/// What inserting a payment found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentInsert {
    Inserted,
    /// A payment with this id exists: the same request, retried.
    Exists(Box<PaymentRecord>),
    /// Another payment already used this payment code, or paid this payment request.
    Taken,
}

/// What claiming a refund found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundClaim {
    Claimed(RefundRecord),
    /// A refund with this id exists: the same request, retried.
    Exists(RefundRecord),
    /// More than is left to refund; `refundable` is what is left.
    Exceeds {
        refundable: Amount,
    },
    /// The payment is not in a state that can be refunded, or has too many refunds.
    NotRefundable(PaymentStatus),
    PaymentNotFound,
}

#[async_trait::async_trait]
pub trait PaymentStore: Send + Sync {
    /// Inserts a device unless its owner already has `max_live` devices that are not revoked (then `false`).
    /// A device reference in use is `StoreError::Conflict`: the caller draws another.
    async fn insert_device(&self, device: &DeviceRecord, max_live: u32) -> StoreResult<bool>;
    async fn device_by_ref(&self, device_ref: u32) -> StoreResult<Option<DeviceRecord>>;
    async fn devices_of(&self, user: UserId) -> StoreResult<Vec<DeviceRecord>>;
    /// Pauses, resumes or revokes one of the user's devices; `false` if it is not theirs or in its
    /// final state ([`DeviceStatus::FINAL`]).
    async fn set_device_status(
        &self,
        id: DeviceId,
        user: UserId,
        status: DeviceStatus,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn insert_payment(&self, payment: &PaymentRecord) -> StoreResult<PaymentInsert>;
    async fn payment(&self, id: PaymentId) -> StoreResult<Option<PaymentRecord>>;
    /// Moves a payment as `transition` (which only the domain's table builds) says, writing `event`
    /// in the same transaction if it moved; `false` if it was no longer in the transition's `from`.
    async fn set_payment_status(
        &self,
        id: PaymentId,
        transition: Transition<PaymentStatus>,
        failure_code: Option<&str>,
        now: Timestamp,
        event: Option<&EventRecord>,
    ) -> StoreResult<bool>;
    /// A merchant's payments created before `before` that `filter` lets through, newest first, at
    /// most [`MAX_PAYMENT_PAGE`].
    async fn merchant_payments(
        &self,
        merchant: MerchantId,
        filter: &PaymentFilter,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PaymentRecord>>;
    /// A customer's payments (wallet and linked cards) created before `before`, newest first, at
    /// most [`MAX_PAYMENT_PAGE`]; only those in `status` if given.
    async fn customer_payments(
        &self,
        customer: UserId,
        status: Option<PaymentStatus>,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PaymentRecord>>;
    /// Records a pending refund and claims its amount against the payment, in one transaction, as
    /// [`quipu_domain::payment::claim_refund`] decides.
    async fn claim_refund(&self, refund: &RefundRecord, now: Timestamp) -> StoreResult<RefundClaim>;
    /// Marks a pending refund completed (writing `event` with it), or failed (giving its claim back,
    /// as [`quipu_domain::payment::release_refund`] decides).
    async fn finish_refund(
        &self,
        refund: &RefundRecord,
        succeeded: bool,
        now: Timestamp,
        event: Option<&EventRecord>,
    ) -> StoreResult<()>;
    async fn refunds_of(&self, payment: PaymentId) -> StoreResult<Vec<RefundRecord>>;
    /// Stores a payment request; if one with its id exists (a retry), returns that one instead.
    async fn insert_payment_request(&self, request: &PaymentRequestRecord) -> StoreResult<PaymentRequestRecord>;
    async fn payment_request(&self, id: PaymentRequestId) -> StoreResult<Option<PaymentRequestRecord>>;
    /// The payment that paid (or is paying) a request: any of its payments that has not failed.
    async fn request_payment(&self, request: PaymentRequestId) -> StoreResult<Option<PaymentRecord>>;
    /// Payments still `processing` (their request was cut off) last touched before `before`, oldest first.
    async fn stuck_payments(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<PaymentRecord>>;
    /// Payments awaiting approval whose deadline is at or before `now`, oldest first.
    async fn lapsed_approvals(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<PaymentRecord>>;
    /// Refunds still `pending` created before `before`, oldest first.
    async fn stuck_refunds(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<RefundRecord>>;
    /// What a payer paid in `currency` since `since`: a customer's payments (wallet and linked cards) or a card's.
    async fn payer_spent_since(
        &self,
        customer: Option<UserId>,
        card: Option<CardId>,
        currency: CurrencyCode,
        since: Timestamp,
    ) -> StoreResult<Amount>;
    /// A merchant's completed payments created in [`from`, `to`), per currency.
    async fn merchant_payment_totals(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<PaymentTotals>>;
    /// A merchant's completed refunds made in [`from`, `to`), at most `limit`.
    async fn merchant_refunds_between(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<SummaryRefund>>;
    /// A merchant's completed payments created in [`from`, `to`), per taker, method and currency;
    /// at most `limit` lines.
    async fn staff_takings(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<StaffTakings>>;
    /// A merchant's completed refunds made in [`from`, `to`), per giver and currency; at most
    /// `limit` lines.
    async fn staff_refunds(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<StaffRefunds>>;
}
