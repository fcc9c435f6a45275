//! Storage for in-store payments: enrolled devices, payments, refunds.
//!
//! The SQL is the same on both backends, so the method bodies are too:
//! [`payment_store_methods!`] writes them once, and each backend expands it
//! inside its `impl Store`, naming the pool it writes with and the pool it
//! reads with. Only sqlx's concrete database type differs, and the compiler
//! infers it from the pool.

use quipu_domain::Timestamp;
use quipu_domain::card::CardNumber;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::limits::CustomerTier;
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::payment::{DeviceStatus, PaymentMethod, PaymentStatus, RefundStatus};
use uuid::Uuid;

use crate::events::EventRecord;
use crate::{StoreResult, corrupt};

/// Most payments one page lists.
pub const MAX_PAYMENT_PAGE: u32 = 200;
/// Most refunds one payment may have; partial refunds beyond it are refused.
pub const MAX_REFUNDS_PER_PAYMENT: u32 = 100;

/// A customer's enrolled device. The secret is what the device derives its
/// payment codes from; the server needs it in the clear to check them (as
/// with TOTP), so it never leaves the service layer after enrolment.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    pub id: Uuid,
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
    pub id: Uuid,
    pub merchant_id: MerchantId,
    /// The paying customer: the wallet's owner, or a linked card's holder. An unlinked card pays for no one.
    pub customer_id: Option<UserId>,
    pub method: PaymentMethod,
    /// For payment-code payments: the code's device, step and slot; each pays at most once.
    pub device_id: Option<Uuid>,
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
    pub request_id: Option<Uuid>,
    /// For a card payment: the card that paid, and its number (read with the payment, never written by it).
    pub card_id: Option<Uuid>,
    pub card_number: Option<CardNumber>,
}

/// A merchant's request for one payment, shown as a dynamic QR: amount and
/// reference fixed, paid at most once, before it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequestRecord {
    pub id: Uuid,
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
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: Amount,
    /// How much of the payment had been refunded before this one: it fixes the fee share given back.
    pub refunded_before: Amount,
    pub status: RefundStatus,
    pub reason: String,
    pub created_by: Uuid,
    pub created_at: Timestamp,
}

/// A merchant's completed payments in one currency over a period (refunded ones included).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentTotalsRow {
    pub currency: String,
    pub count: i64,
    pub gross: i64,
    pub fees: i64,
}

/// A completed refund with what its fee share is computed from.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SummaryRefundRow {
    pub currency: String,
    pub amount: i64,
    pub refunded_before: i64,
    pub paid: i64,
    pub fee: i64,
}

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

#[derive(Debug, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub device_ref: i64,
    pub label: String,
    pub secret: Vec<u8>,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl DeviceRow {
    pub fn into_record(self) -> StoreResult<DeviceRecord> {
        Ok(DeviceRecord {
            id: self.id,
            user_id: UserId(self.user_id),
            device_ref: u32::try_from(self.device_ref)
                .map_err(|_| corrupt("devices", format!("device_ref {}", self.device_ref)))?,
            label: self.label,
            secret: self.secret,
            status: DeviceStatus::parse(&self.status)
                .ok_or_else(|| corrupt("devices", format!("status {:?}", self.status)))?,
            created_at: Timestamp(self.created_at),
            updated_at: Timestamp(self.updated_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub customer_id: Option<Uuid>,
    pub method: String,
    pub device_id: Option<Uuid>,
    pub code_step: Option<i64>,
    pub code_slot: Option<i64>,
    pub amount: i64,
    pub fee: i64,
    pub currency: String,
    pub refunded: i64,
    pub status: String,
    pub failure_code: Option<String>,
    pub reference: String,
    pub created_by: Uuid,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub updated_at: i64,
    pub till: String,
    pub request_id: Option<Uuid>,
    pub card_id: Option<Uuid>,
    pub card_number: Option<String>,
}

impl PaymentRow {
    pub fn into_record(self) -> StoreResult<PaymentRecord> {
        Ok(PaymentRecord {
            id: self.id,
            merchant_id: MerchantId(self.merchant_id),
            customer_id: self.customer_id.map(UserId),
            method: PaymentMethod::parse(&self.method)
                .ok_or_else(|| corrupt("payments", format!("method {:?}", self.method)))?,
            device_id: self.device_id,
            code_step: self.code_step,
            code_slot: self.code_slot,
            amount: Amount(self.amount),
            fee: Amount(self.fee),
            currency: CurrencyCode::parse(&self.currency)
                .map_err(|_| corrupt("payments", format!("currency {:?}", self.currency)))?,
            refunded: Amount(self.refunded),
            status: PaymentStatus::parse(&self.status)
                .ok_or_else(|| corrupt("payments", format!("status {:?}", self.status)))?,
            failure_code: self.failure_code,
            reference: self.reference,
            created_by: self.created_by,
            created_at: Timestamp(self.created_at),
            expires_at: self.expires_at.map(Timestamp),
            updated_at: Timestamp(self.updated_at),
            till: self.till,
            request_id: self.request_id,
            card_id: self.card_id,
            card_number: self
                .card_number
                .map(|n| CardNumber::parse(&n).map_err(|_| corrupt("cards", format!("number of payment {}", self.id))))
                .transpose()?,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct PaymentRequestRow {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub till: String,
    pub amount: i64,
    pub currency: String,
    pub reference: String,
    pub created_by: Uuid,
    pub created_at: i64,
    pub expires_at: i64,
}

impl PaymentRequestRow {
    pub fn into_record(self) -> StoreResult<PaymentRequestRecord> {
        Ok(PaymentRequestRecord {
            id: self.id,
            merchant_id: MerchantId(self.merchant_id),
            till: self.till,
            amount: Amount(self.amount),
            currency: CurrencyCode::parse(&self.currency)
                .map_err(|_| corrupt("payment_requests", format!("currency {:?}", self.currency)))?,
            reference: self.reference,
            created_by: self.created_by,
            created_at: Timestamp(self.created_at),
            expires_at: Timestamp(self.expires_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct RefundRow {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub refunded_before: i64,
    pub status: String,
    pub reason: String,
    pub created_by: Uuid,
    pub created_at: i64,
}

impl RefundRow {
    pub fn into_record(self) -> StoreResult<RefundRecord> {
        Ok(RefundRecord {
            id: self.id,
            payment_id: self.payment_id,
            amount: Amount(self.amount),
            refunded_before: Amount(self.refunded_before),
            status: RefundStatus::parse(&self.status)
                .ok_or_else(|| corrupt("refunds", format!("status {:?}", self.status)))?,
            reason: self.reason,
            created_by: self.created_by,
            created_at: Timestamp(self.created_at),
        })
    }
}

pub mod sql {
    /// A payment's columns, and its card's number (for the masked form views show).
    macro_rules! payment_columns {
        () => {
            "id, merchant_id, customer_id, method, device_id, code_step, code_slot, amount, fee, currency, refunded, status, failure_code, reference, created_by, created_at, expires_at, updated_at, till, request_id, card_id, (SELECT number FROM cards WHERE cards.id = payments.card_id) AS card_number"
        };
    }

    pub const INSERT_DEVICE: &str = "INSERT INTO devices (id, user_id, device_ref, label, secret, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    pub const SELECT_DEVICE_BY_REF: &str = "SELECT id, user_id, device_ref, label, secret, status, created_at, updated_at FROM devices WHERE device_ref = $1";
    pub const SELECT_DEVICES_OF: &str = "SELECT id, user_id, device_ref, label, secret, status, created_at, updated_at FROM devices WHERE user_id = $1 ORDER BY created_at LIMIT 100";
    /// Revoked is final: a revoked device never comes back.
    pub const UPDATE_DEVICE_STATUS: &str =
        "UPDATE devices SET status = $3, updated_at = $4 WHERE id = $1 AND user_id = $2 AND status <> 'revoked'";
    pub const COUNT_LIVE_DEVICES: &str = "SELECT COUNT(*) FROM devices WHERE user_id = $1 AND status <> 'revoked'";

    pub const INSERT_PAYMENT: &str = "INSERT INTO payments (id, merchant_id, customer_id, method, device_id, code_step, code_slot, amount, fee, currency, refunded, status, failure_code, reference, created_by, created_at, expires_at, updated_at, till, request_id, card_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) ON CONFLICT DO NOTHING";
    pub const SELECT_PAYMENT: &str = concat!("SELECT ", payment_columns!(), " FROM payments WHERE id = $1");
    pub const SELECT_MERCHANT_PAYMENTS: &str = concat!(
        "SELECT ",
        payment_columns!(),
        " FROM payments WHERE merchant_id = $1 AND created_at < $2 ORDER BY created_at DESC LIMIT $3"
    );
    /// The payment of a request that has not failed: at most one, by the partial unique index.
    pub const SELECT_REQUEST_PAYMENT: &str =
        concat!("SELECT ", payment_columns!(), " FROM payments WHERE request_id = $1 AND status <> 'failed'");
    pub const SELECT_STUCK_PAYMENTS: &str = concat!(
        "SELECT ",
        payment_columns!(),
        " FROM payments WHERE status = 'processing' AND updated_at < $1 ORDER BY updated_at LIMIT $2"
    );
    pub const SELECT_LAPSED_APPROVALS: &str = concat!(
        "SELECT ",
        payment_columns!(),
        " FROM payments WHERE status = 'awaiting_approval' AND expires_at <= $1 ORDER BY expires_at LIMIT $2"
    );
    /// A compare-and-set: a payment moves only from the state the caller saw.
    pub const UPDATE_PAYMENT_STATUS: &str =
        "UPDATE payments SET status = $3, failure_code = $4, updated_at = $5 WHERE id = $1 AND status = $2";

    pub const INSERT_REFUND: &str = "INSERT INTO refunds (id, payment_id, amount, refunded_before, status, reason, created_by, created_at) VALUES ($1, $2, $3, 0, 'pending', $4, $5, $6) ON CONFLICT DO NOTHING";
    pub const SELECT_REFUND: &str = "SELECT id, payment_id, amount, refunded_before, status, reason, created_by, created_at FROM refunds WHERE id = $1";
    pub const SELECT_REFUNDS_OF: &str = "SELECT id, payment_id, amount, refunded_before, status, reason, created_by, created_at FROM refunds WHERE payment_id = $1 ORDER BY created_at LIMIT 100";
    pub const SELECT_STUCK_REFUNDS: &str = "SELECT id, payment_id, amount, refunded_before, status, reason, created_by, created_at FROM refunds WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2";
    pub const COUNT_REFUNDS_OF: &str = "SELECT COUNT(*) FROM refunds WHERE payment_id = $1";
    /// Claims a refund against what is left; the row lock (PostgreSQL) or the
    /// single writer (SQLite) makes concurrent claims see each other.
    pub const CLAIM_REFUND_AMOUNT: &str = "UPDATE payments SET refunded = refunded + $2, status = CASE WHEN refunded + $2 = amount THEN 'refunded' ELSE 'partially_refunded' END, updated_at = $3 WHERE id = $1 AND status IN ('completed', 'partially_refunded') AND refunded + $2 <= amount RETURNING refunded - $2";
    pub const SET_REFUNDED_BEFORE: &str = "UPDATE refunds SET refunded_before = $2 WHERE id = $1";
    pub const FINISH_REFUND: &str = "UPDATE refunds SET status = $2 WHERE id = $1 AND status = 'pending'";
    /// A refund whose transfers the ledger refused gives its claim back.
    pub const RELEASE_REFUND_AMOUNT: &str = "UPDATE payments SET refunded = refunded - $2, status = CASE WHEN refunded - $2 = 0 THEN 'completed' ELSE 'partially_refunded' END, updated_at = $3 WHERE id = $1";

    pub const INSERT_PAYMENT_REQUEST: &str = "INSERT INTO payment_requests (id, merchant_id, till, amount, currency, reference, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
    pub const SELECT_PAYMENT_REQUEST: &str = "SELECT id, merchant_id, till, amount, currency, reference, created_by, created_at, expires_at FROM payment_requests WHERE id = $1";

    pub const SELECT_CUSTOMER_TIER: &str = "SELECT tier FROM customer_tiers WHERE user_id = $1";
    pub const UPSERT_CUSTOMER_TIER: &str = "INSERT INTO customer_tiers (user_id, tier, updated_by, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET tier = excluded.tier, updated_by = excluded.updated_by, updated_at = excluded.updated_at";
    /// What a payer (a customer, a card, or a linked card's customer) has paid since $4, failed payments aside.
    pub const PAYER_SPENT_SINCE: &str = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments WHERE (customer_id = $1 OR card_id = $2) AND currency = $3 AND created_at >= $4 AND status <> 'failed'";
    pub const MERCHANT_PAYMENT_TOTALS: &str = "SELECT currency, CAST(COUNT(*) AS BIGINT) AS count, CAST(SUM(amount) AS BIGINT) AS gross, CAST(SUM(fee) AS BIGINT) AS fees FROM payments WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3 AND status IN ('completed', 'partially_refunded', 'refunded') GROUP BY currency ORDER BY currency";
    pub const MERCHANT_REFUNDS_BETWEEN: &str = "SELECT p.currency AS currency, r.amount AS amount, r.refunded_before AS refunded_before, p.amount AS paid, p.fee AS fee FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.merchant_id = $1 AND r.status = 'completed' AND r.created_at >= $2 AND r.created_at < $3 LIMIT $4";

    pub const UPDATE_MERCHANT_PROFILE: &str = "UPDATE merchants SET city = $2, category_code = $3 WHERE id = $1";
    pub const UPDATE_MERCHANT_TERMS: &str = "UPDATE merchants SET fee_bps = COALESCE($2, fee_bps), cashiers_may_refund = COALESCE($3, cashiers_may_refund) WHERE id = $1";
}

/// Payment storage. A supertrait of [`crate::Store`]; both backends implement
/// it by expanding [`payment_store_methods!`].
#[async_trait::async_trait]
pub trait PaymentStore: Send + Sync {
    /// Inserts a device unless its owner already has `max_live` devices that are not revoked (then `false`).
    /// A device reference in use is `StoreError::Conflict`: the caller draws another.
    async fn insert_device(&self, device: &DeviceRecord, max_live: u32) -> StoreResult<bool>;
    async fn device_by_ref(&self, device_ref: u32) -> StoreResult<Option<DeviceRecord>>;
    async fn devices_of(&self, user: UserId) -> StoreResult<Vec<DeviceRecord>>;
    /// Pauses, resumes or revokes one of the user's devices; `false` if it is not theirs or already revoked.
    async fn set_device_status(
        &self,
        id: Uuid,
        user: UserId,
        status: DeviceStatus,
        now: Timestamp,
    ) -> StoreResult<bool>;
    async fn insert_payment(&self, payment: &PaymentRecord) -> StoreResult<PaymentInsert>;
    async fn payment(&self, id: Uuid) -> StoreResult<Option<PaymentRecord>>;
    /// Moves a payment from `from` to `to`, writing `event` in the same
    /// transaction if it moved; `false` if it was no longer in `from`.
    async fn set_payment_status(
        &self,
        id: Uuid,
        from: PaymentStatus,
        to: PaymentStatus,
        failure_code: Option<&str>,
        now: Timestamp,
        event: Option<&EventRecord>,
    ) -> StoreResult<bool>;
    /// A merchant's payments created before `before`, newest first, at most [`MAX_PAYMENT_PAGE`].
    async fn merchant_payments(
        &self,
        merchant: MerchantId,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PaymentRecord>>;
    /// Records a pending refund and claims its amount against the payment, in one transaction.
    async fn claim_refund(&self, refund: &RefundRecord, now: Timestamp) -> StoreResult<RefundClaim>;
    /// Marks a pending refund completed (writing `event` with it), or failed (giving its claim back).
    async fn finish_refund(
        &self,
        refund: &RefundRecord,
        succeeded: bool,
        now: Timestamp,
        event: Option<&EventRecord>,
    ) -> StoreResult<()>;
    async fn refunds_of(&self, payment: Uuid) -> StoreResult<Vec<RefundRecord>>;
    /// Stores a payment request; if one with its id exists (a retry), returns that one instead.
    async fn insert_payment_request(&self, request: &PaymentRequestRecord) -> StoreResult<PaymentRequestRecord>;
    async fn payment_request(&self, id: Uuid) -> StoreResult<Option<PaymentRequestRecord>>;
    /// The payment that paid (or is paying) a request: any of its payments that has not failed.
    async fn request_payment(&self, request: Uuid) -> StoreResult<Option<PaymentRecord>>;
    /// Sets the city and category code a merchant's QR shows; `false` if there is no such merchant.
    async fn set_merchant_profile(&self, merchant: MerchantId, city: &str, category_code: &str) -> StoreResult<bool>;
    /// Sets a merchant's fee rate and whether cashiers may refund; `None` leaves a term as it is.
    async fn set_merchant_terms(
        &self,
        merchant: MerchantId,
        fee_bps: Option<u32>,
        cashiers_may_refund: Option<bool>,
    ) -> StoreResult<bool>;
    /// Payments still `processing` (their request was cut off) last touched before `before`, oldest first.
    async fn stuck_payments(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<PaymentRecord>>;
    /// Payments awaiting approval whose deadline is at or before `now`, oldest first.
    async fn lapsed_approvals(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<PaymentRecord>>;
    /// Refunds still `pending` created before `before`, oldest first.
    async fn stuck_refunds(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<RefundRecord>>;
    /// A customer's tier, if the operator set one.
    async fn customer_tier(&self, customer: UserId) -> StoreResult<Option<CustomerTier>>;
    async fn set_customer_tier(
        &self,
        customer: UserId,
        tier: CustomerTier,
        by: Uuid,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// What a payer paid in `currency` since `since`: a customer's payments (wallet and linked cards) or a card's.
    async fn payer_spent_since(
        &self,
        customer: Option<UserId>,
        card: Option<Uuid>,
        currency: CurrencyCode,
        since: Timestamp,
    ) -> StoreResult<Amount>;
    /// A merchant's completed payments created in [`from`, `to`), per currency.
    async fn merchant_payment_totals(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<PaymentTotalsRow>>;
    /// A merchant's completed refunds made in [`from`, `to`), at most `limit`.
    async fn merchant_refunds_between(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<SummaryRefundRow>>;
}

/// Implements [`PaymentStore`] for a backend: `payment_store_methods!(SqliteStore, writer, reader)`
/// names the type, the pool it writes with and the pool it reads with. The
/// backend's `db_error` and `conflict_on_unique` map sqlx errors, and the
/// `insert_event_in` that [`crate::event_store_methods!`] defines writes events.
#[macro_export]
macro_rules! payment_store_methods {
    ($store:ty, $writer:ident, $reader:ident) => {
        #[$crate::async_trait]
        impl $crate::payments::PaymentStore for $store {
            async fn insert_device(
                &self,
                device: &$crate::payments::DeviceRecord,
                max_live: u32,
            ) -> $crate::StoreResult<bool> {
                use $crate::payments::sql;
                let mut tx = self.$writer.begin().await.map_err(db_error("starting a transaction"))?;
                let live: i64 = sqlx::query_scalar(sql::COUNT_LIVE_DEVICES)
                    .bind(device.user_id.0)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error("counting devices"))?;
                if live >= i64::from(max_live) {
                    return Ok(false);
                }
                sqlx::query(sql::INSERT_DEVICE)
                    .bind(device.id)
                    .bind(device.user_id.0)
                    .bind(i64::from(device.device_ref))
                    .bind(&device.label)
                    .bind(&device.secret)
                    .bind(device.status.as_str())
                    .bind(device.created_at.0)
                    .bind(device.updated_at.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(conflict_on_unique("enrolling a device", "device reference in use"))?;
                tx.commit().await.map_err(db_error("committing a device"))?;
                Ok(true)
            }

            async fn device_by_ref(
                &self,
                device_ref: u32,
            ) -> $crate::StoreResult<Option<$crate::payments::DeviceRecord>> {
                let row: Option<$crate::payments::DeviceRow> =
                    sqlx::query_as($crate::payments::sql::SELECT_DEVICE_BY_REF)
                        .bind(i64::from(device_ref))
                        .fetch_optional(&self.$reader)
                        .await
                        .map_err(db_error("loading a device"))?;
                row.map($crate::payments::DeviceRow::into_record).transpose()
            }

            async fn devices_of(
                &self,
                user: quipu_domain::identity::UserId,
            ) -> $crate::StoreResult<Vec<$crate::payments::DeviceRecord>> {
                let rows: Vec<$crate::payments::DeviceRow> = sqlx::query_as($crate::payments::sql::SELECT_DEVICES_OF)
                    .bind(user.0)
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("listing devices"))?;
                rows.into_iter().map($crate::payments::DeviceRow::into_record).collect()
            }

            async fn set_device_status(
                &self,
                id: uuid::Uuid,
                user: quipu_domain::identity::UserId,
                status: quipu_domain::payment::DeviceStatus,
                now: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<bool> {
                let done = sqlx::query($crate::payments::sql::UPDATE_DEVICE_STATUS)
                    .bind(id)
                    .bind(user.0)
                    .bind(status.as_str())
                    .bind(now.0)
                    .execute(&self.$writer)
                    .await
                    .map_err(db_error("updating a device"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_payment(
                &self,
                p: &$crate::payments::PaymentRecord,
            ) -> $crate::StoreResult<$crate::payments::PaymentInsert> {
                use $crate::payments::{PaymentInsert, PaymentRow, sql};
                let mut conn = self.$writer.acquire().await.map_err(db_error("acquiring the writer"))?;
                let inserted = sqlx::query(sql::INSERT_PAYMENT)
                    .bind(p.id)
                    .bind(p.merchant_id.0)
                    .bind(p.customer_id.map(|c| c.0))
                    .bind(p.method.as_str())
                    .bind(p.device_id)
                    .bind(p.code_step)
                    .bind(p.code_slot)
                    .bind(p.amount.0)
                    .bind(p.fee.0)
                    .bind(p.currency.as_str())
                    .bind(p.refunded.0)
                    .bind(p.status.as_str())
                    .bind(p.failure_code.as_deref())
                    .bind(&p.reference)
                    .bind(p.created_by)
                    .bind(p.created_at.0)
                    .bind(p.expires_at.map(|t| t.0))
                    .bind(p.updated_at.0)
                    .bind(&p.till)
                    .bind(p.request_id)
                    .bind(p.card_id)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error("inserting a payment"))?;
                if inserted.rows_affected() == 1 {
                    return Ok(PaymentInsert::Inserted);
                }
                let existing: Option<PaymentRow> = sqlx::query_as(sql::SELECT_PAYMENT)
                    .bind(p.id)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(db_error("loading a payment"))?;
                match existing {
                    Some(row) => Ok(PaymentInsert::Exists(Box::new(row.into_record()?))),
                    None => Ok(PaymentInsert::Taken),
                }
            }

            async fn payment(&self, id: uuid::Uuid) -> $crate::StoreResult<Option<$crate::payments::PaymentRecord>> {
                let row: Option<$crate::payments::PaymentRow> = sqlx::query_as($crate::payments::sql::SELECT_PAYMENT)
                    .bind(id)
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(db_error("loading a payment"))?;
                row.map($crate::payments::PaymentRow::into_record).transpose()
            }

            async fn set_payment_status(
                &self,
                id: uuid::Uuid,
                from: quipu_domain::payment::PaymentStatus,
                to: quipu_domain::payment::PaymentStatus,
                failure_code: Option<&str>,
                now: quipu_domain::Timestamp,
                event: Option<&$crate::events::EventRecord>,
            ) -> $crate::StoreResult<bool> {
                let mut tx = self.$writer.begin().await.map_err(db_error("starting a transaction"))?;
                let done = sqlx::query($crate::payments::sql::UPDATE_PAYMENT_STATUS)
                    .bind(id)
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .bind(failure_code)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("updating a payment"))?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                if let Some(event) = event {
                    insert_event_in(&mut tx, event).await?;
                }
                tx.commit().await.map_err(db_error("committing a payment"))?;
                Ok(true)
            }

            async fn merchant_payments(
                &self,
                merchant: quipu_domain::identity::MerchantId,
                before: quipu_domain::Timestamp,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::payments::PaymentRecord>> {
                let rows: Vec<$crate::payments::PaymentRow> =
                    sqlx::query_as($crate::payments::sql::SELECT_MERCHANT_PAYMENTS)
                        .bind(merchant.0)
                        .bind(before.0)
                        .bind(i64::from(limit.min($crate::payments::MAX_PAYMENT_PAGE)))
                        .fetch_all(&self.$reader)
                        .await
                        .map_err(db_error("listing payments"))?;
                rows.into_iter().map($crate::payments::PaymentRow::into_record).collect()
            }

            async fn claim_refund(
                &self,
                refund: &$crate::payments::RefundRecord,
                now: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<$crate::payments::RefundClaim> {
                use $crate::payments::{PaymentRow, RefundClaim, RefundRow, sql};
                let mut tx = self.$writer.begin().await.map_err(db_error("starting a transaction"))?;
                let inserted = sqlx::query(sql::INSERT_REFUND)
                    .bind(refund.id)
                    .bind(refund.payment_id)
                    .bind(refund.amount.0)
                    .bind(&refund.reason)
                    .bind(refund.created_by)
                    .bind(refund.created_at.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("inserting a refund"))?;
                if inserted.rows_affected() == 0 {
                    let row: RefundRow = sqlx::query_as(sql::SELECT_REFUND)
                        .bind(refund.id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_error("loading a refund"))?;
                    return Ok(RefundClaim::Exists(row.into_record()?));
                }
                let refunds: i64 = sqlx::query_scalar(sql::COUNT_REFUNDS_OF)
                    .bind(refund.payment_id)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error("counting refunds"))?;
                let before: Option<i64> = if refunds > i64::from($crate::payments::MAX_REFUNDS_PER_PAYMENT) {
                    None
                } else {
                    sqlx::query_scalar(sql::CLAIM_REFUND_AMOUNT)
                        .bind(refund.payment_id)
                        .bind(refund.amount.0)
                        .bind(now.0)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error("claiming a refund"))?
                };
                let Some(before) = before else {
                    let payment: Option<PaymentRow> = sqlx::query_as(sql::SELECT_PAYMENT)
                        .bind(refund.payment_id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_error("loading a payment"))?;
                    drop(tx);
                    return Ok(match payment.map(PaymentRow::into_record).transpose()? {
                        None => RefundClaim::PaymentNotFound,
                        Some(p)
                            if p.status.is_refundable()
                                && refunds <= i64::from($crate::payments::MAX_REFUNDS_PER_PAYMENT) =>
                        {
                            RefundClaim::Exceeds {
                                refundable: quipu_domain::money::Amount(p.amount.0.saturating_sub(p.refunded.0)),
                            }
                        }
                        Some(p) => RefundClaim::NotRefundable(p.status),
                    });
                };
                sqlx::query(sql::SET_REFUNDED_BEFORE)
                    .bind(refund.id)
                    .bind(before)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("recording a refund"))?;
                tx.commit().await.map_err(db_error("committing a refund"))?;
                Ok(RefundClaim::Claimed($crate::payments::RefundRecord {
                    refunded_before: quipu_domain::money::Amount(before),
                    ..refund.clone()
                }))
            }

            async fn finish_refund(
                &self,
                refund: &$crate::payments::RefundRecord,
                succeeded: bool,
                now: quipu_domain::Timestamp,
                event: Option<&$crate::events::EventRecord>,
            ) -> $crate::StoreResult<()> {
                use quipu_domain::payment::RefundStatus;
                use $crate::payments::sql;
                let mut tx = self.$writer.begin().await.map_err(db_error("starting a transaction"))?;
                let status = if succeeded { RefundStatus::Completed } else { RefundStatus::Failed };
                let finished = sqlx::query(sql::FINISH_REFUND)
                    .bind(refund.id)
                    .bind(status.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("finishing a refund"))?;
                if finished.rows_affected() == 1 && !succeeded {
                    sqlx::query(sql::RELEASE_REFUND_AMOUNT)
                        .bind(refund.payment_id)
                        .bind(refund.amount.0)
                        .bind(now.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_error("releasing a refund claim"))?;
                }
                if let (1, true, Some(event)) = (finished.rows_affected(), succeeded, event) {
                    insert_event_in(&mut tx, event).await?;
                }
                tx.commit().await.map_err(db_error("committing a refund"))?;
                Ok(())
            }

            async fn refunds_of(
                &self,
                payment: uuid::Uuid,
            ) -> $crate::StoreResult<Vec<$crate::payments::RefundRecord>> {
                let rows: Vec<$crate::payments::RefundRow> = sqlx::query_as($crate::payments::sql::SELECT_REFUNDS_OF)
                    .bind(payment)
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("listing refunds"))?;
                rows.into_iter().map($crate::payments::RefundRow::into_record).collect()
            }

            async fn insert_payment_request(
                &self,
                r: &$crate::payments::PaymentRequestRecord,
            ) -> $crate::StoreResult<$crate::payments::PaymentRequestRecord> {
                use $crate::payments::{PaymentRequestRow, sql};
                let mut conn = self.$writer.acquire().await.map_err(db_error("acquiring the writer"))?;
                sqlx::query(sql::INSERT_PAYMENT_REQUEST)
                    .bind(r.id)
                    .bind(r.merchant_id.0)
                    .bind(&r.till)
                    .bind(r.amount.0)
                    .bind(r.currency.as_str())
                    .bind(&r.reference)
                    .bind(r.created_by)
                    .bind(r.created_at.0)
                    .bind(r.expires_at.0)
                    .execute(&mut *conn)
                    .await
                    .map_err(db_error("inserting a payment request"))?;
                let row: PaymentRequestRow = sqlx::query_as(sql::SELECT_PAYMENT_REQUEST)
                    .bind(r.id)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db_error("loading a payment request"))?;
                row.into_record()
            }

            async fn payment_request(
                &self,
                id: uuid::Uuid,
            ) -> $crate::StoreResult<Option<$crate::payments::PaymentRequestRecord>> {
                let row: Option<$crate::payments::PaymentRequestRow> =
                    sqlx::query_as($crate::payments::sql::SELECT_PAYMENT_REQUEST)
                        .bind(id)
                        .fetch_optional(&self.$reader)
                        .await
                        .map_err(db_error("loading a payment request"))?;
                row.map($crate::payments::PaymentRequestRow::into_record).transpose()
            }

            async fn request_payment(
                &self,
                request: uuid::Uuid,
            ) -> $crate::StoreResult<Option<$crate::payments::PaymentRecord>> {
                let row: Option<$crate::payments::PaymentRow> =
                    sqlx::query_as($crate::payments::sql::SELECT_REQUEST_PAYMENT)
                        .bind(request)
                        .fetch_optional(&self.$reader)
                        .await
                        .map_err(db_error("loading a request's payment"))?;
                row.map($crate::payments::PaymentRow::into_record).transpose()
            }

            async fn set_merchant_profile(
                &self,
                merchant: quipu_domain::identity::MerchantId,
                city: &str,
                category_code: &str,
            ) -> $crate::StoreResult<bool> {
                let done = sqlx::query($crate::payments::sql::UPDATE_MERCHANT_PROFILE)
                    .bind(merchant.0)
                    .bind(city)
                    .bind(category_code)
                    .execute(&self.$writer)
                    .await
                    .map_err(db_error("updating a merchant profile"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_merchant_terms(
                &self,
                merchant: quipu_domain::identity::MerchantId,
                fee_bps: Option<u32>,
                cashiers_may_refund: Option<bool>,
            ) -> $crate::StoreResult<bool> {
                let done = sqlx::query($crate::payments::sql::UPDATE_MERCHANT_TERMS)
                    .bind(merchant.0)
                    .bind(fee_bps.map(i64::from))
                    .bind(cashiers_may_refund.map(i64::from))
                    .execute(&self.$writer)
                    .await
                    .map_err(db_error("updating merchant terms"))?;
                Ok(done.rows_affected() == 1)
            }
            async fn stuck_payments(
                &self,
                before: quipu_domain::Timestamp,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::payments::PaymentRecord>> {
                let rows: Vec<$crate::payments::PaymentRow> =
                    sqlx::query_as($crate::payments::sql::SELECT_STUCK_PAYMENTS)
                        .bind(before.0)
                        .bind(i64::from(limit))
                        .fetch_all(&self.$reader)
                        .await
                        .map_err(db_error("listing unfinished payments"))?;
                rows.into_iter().map($crate::payments::PaymentRow::into_record).collect()
            }

            async fn lapsed_approvals(
                &self,
                now: quipu_domain::Timestamp,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::payments::PaymentRecord>> {
                let rows: Vec<$crate::payments::PaymentRow> =
                    sqlx::query_as($crate::payments::sql::SELECT_LAPSED_APPROVALS)
                        .bind(now.0)
                        .bind(i64::from(limit))
                        .fetch_all(&self.$reader)
                        .await
                        .map_err(db_error("listing lapsed approvals"))?;
                rows.into_iter().map($crate::payments::PaymentRow::into_record).collect()
            }

            async fn stuck_refunds(
                &self,
                before: quipu_domain::Timestamp,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::payments::RefundRecord>> {
                let rows: Vec<$crate::payments::RefundRow> =
                    sqlx::query_as($crate::payments::sql::SELECT_STUCK_REFUNDS)
                        .bind(before.0)
                        .bind(i64::from(limit))
                        .fetch_all(&self.$reader)
                        .await
                        .map_err(db_error("listing unfinished refunds"))?;
                rows.into_iter().map($crate::payments::RefundRow::into_record).collect()
            }

            async fn customer_tier(
                &self,
                customer: quipu_domain::identity::UserId,
            ) -> $crate::StoreResult<Option<quipu_domain::limits::CustomerTier>> {
                let tier: Option<String> = sqlx::query_scalar($crate::payments::sql::SELECT_CUSTOMER_TIER)
                    .bind(customer.0)
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(db_error("loading a customer tier"))?;
                tier.map(|t| {
                    quipu_domain::limits::CustomerTier::parse(&t)
                        .ok_or_else(|| $crate::corrupt("customer_tiers", format!("tier {t:?}")))
                })
                .transpose()
            }

            async fn set_customer_tier(
                &self,
                customer: quipu_domain::identity::UserId,
                tier: quipu_domain::limits::CustomerTier,
                by: uuid::Uuid,
                now: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<()> {
                sqlx::query($crate::payments::sql::UPSERT_CUSTOMER_TIER)
                    .bind(customer.0)
                    .bind(tier.as_str())
                    .bind(by)
                    .bind(now.0)
                    .execute(&self.$writer)
                    .await
                    .map_err(db_error("setting a customer tier"))?;
                Ok(())
            }

            async fn payer_spent_since(
                &self,
                customer: Option<quipu_domain::identity::UserId>,
                card: Option<uuid::Uuid>,
                currency: quipu_domain::money::CurrencyCode,
                since: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<quipu_domain::money::Amount> {
                let spent: i64 = sqlx::query_scalar($crate::payments::sql::PAYER_SPENT_SINCE)
                    .bind(customer.map(|c| c.0))
                    .bind(card)
                    .bind(currency.as_str())
                    .bind(since.0)
                    .fetch_one(&self.$reader)
                    .await
                    .map_err(db_error("adding up a payer's payments"))?;
                Ok(quipu_domain::money::Amount(spent))
            }

            async fn merchant_payment_totals(
                &self,
                merchant: quipu_domain::identity::MerchantId,
                from: quipu_domain::Timestamp,
                to: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<Vec<$crate::payments::PaymentTotalsRow>> {
                sqlx::query_as($crate::payments::sql::MERCHANT_PAYMENT_TOTALS)
                    .bind(merchant.0)
                    .bind(from.0)
                    .bind(to.0)
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("adding up a merchant's payments"))
            }

            async fn merchant_refunds_between(
                &self,
                merchant: quipu_domain::identity::MerchantId,
                from: quipu_domain::Timestamp,
                to: quipu_domain::Timestamp,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::payments::SummaryRefundRow>> {
                sqlx::query_as($crate::payments::sql::MERCHANT_REFUNDS_BETWEEN)
                    .bind(merchant.0)
                    .bind(from.0)
                    .bind(to.0)
                    .bind(i64::from(limit))
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("listing a merchant's refunds"))
            }
        }
    };
}
