//! [`PaymentStore`] for every backend: devices, payments, payment requests,
//! refunds, and the sums limits and summaries need.
//!
//! The rules stay in the domain: which states a payment may be refunded in,
//! how much is left, what a refund moves the payment to
//! ([`quipu_domain::payment::claim_refund`]) and which device state is final
//! ([`DeviceStatus::FINAL`]). The SQL loads, compares and sets, with the
//! states bound as parameters.

use quipu_domain::Timestamp;
use quipu_domain::card::CardId;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::payment::{
    self as rules, DeviceId, DeviceStatus, PaymentId, PaymentMethod, PaymentRequestId, PaymentStatus, RefundStatus,
    RefundTarget,
};
use quipu_domain::state::Transition;
use quipu_store::events::EventRecord;
use quipu_store::payments::{
    DeviceRecord, MAX_PAYMENT_PAGE, PaymentFilter, PaymentInsert, PaymentRecord, PaymentRequestRecord, PaymentStore,
    PaymentTotals, RefundClaim, RefundRecord, StaffRefunds, StaffTakings, SummaryRefund,
};
use quipu_store::{StoreError, StoreResult, async_trait, db_error};

use crate::driver::{Scalar, Statement, execute, execute_unique, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, Dialect, SqlStore};

/// A payment's columns, and its card's number (for the masked form views show).
macro_rules! payment_columns {
    () => {
        "id, merchant_id, customer_id, method, device_id, code_step, code_slot, amount, fee, currency, refunded, status, failure_code, reference, created_by, created_at, expires_at, updated_at, till, request_id, card_id, (SELECT number FROM cards WHERE cards.id = payments.card_id) AS card_number"
    };
}

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_DEVICE = "INSERT INTO devices (id, user_id, device_ref, label, secret, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        SELECT_DEVICE_BY_REF = "SELECT id, user_id, device_ref, label, secret, status, created_at, updated_at FROM devices WHERE device_ref = $1";
        SELECT_DEVICES_OF = "SELECT id, user_id, device_ref, label, secret, status, created_at, updated_at FROM devices WHERE user_id = $1 ORDER BY created_at LIMIT 100";
        /// A device in its final state ($5) never moves again.
        UPDATE_DEVICE_STATUS = "UPDATE devices SET status = $3, updated_at = $4 WHERE id = $1 AND user_id = $2 AND status <> $5";
        /// Devices not in their final state ($2).
        COUNT_LIVE_DEVICES = "SELECT COUNT(*) FROM devices WHERE user_id = $1 AND status <> $2";

        INSERT_PAYMENT = "INSERT INTO payments (id, merchant_id, customer_id, method, device_id, code_step, code_slot, amount, fee, currency, refunded, status, failure_code, reference, created_by, created_at, expires_at, updated_at, till, request_id, card_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) ON CONFLICT DO NOTHING";
        SELECT_PAYMENT = concat!("SELECT ", payment_columns!(), " FROM payments WHERE id = $1");
        /// $2 a status, or '' for all.
        SELECT_CUSTOMER_PAYMENTS = concat!("SELECT ", payment_columns!(), " FROM payments WHERE customer_id = $1 AND ($2 = '' OR status = $2) AND created_at < $3 ORDER BY created_at DESC LIMIT $4");
        /// $2 before, $3 from, $4 status or NULL, $5 till or NULL, $6 and $7 the amounts, $8 limit.
        SELECT_MERCHANT_PAYMENTS = concat!("SELECT ", payment_columns!(), " FROM payments WHERE merchant_id = $1 AND created_at < $2 AND created_at >= $3 AND (CAST($4 AS TEXT) IS NULL OR status = $4) AND (CAST($5 AS TEXT) IS NULL OR till = $5) AND amount >= $6 AND amount <= $7 ORDER BY created_at DESC LIMIT $8");
        // The selections below that a partial index serves name their states in the text: a
        // partial index matches only a literal (PostgreSQL's generic plans cannot use it for a
        // bound state).
        /// The payment of a request that has not failed: at most one, by the partial unique index.
        SELECT_REQUEST_PAYMENT = concat!("SELECT ", payment_columns!(), " FROM payments WHERE request_id = $1 AND status <> 'failed'");
        SELECT_STUCK_PAYMENTS = concat!("SELECT ", payment_columns!(), " FROM payments WHERE status = 'processing' AND updated_at < $1 ORDER BY updated_at LIMIT $2");
        SELECT_LAPSED_APPROVALS = concat!("SELECT ", payment_columns!(), " FROM payments WHERE status = 'awaiting_approval' AND expires_at <= $1 ORDER BY expires_at LIMIT $2");
        /// A compare-and-set: a payment moves only from the state the caller saw.
        UPDATE_PAYMENT_STATUS = "UPDATE payments SET status = $3, failure_code = $4, updated_at = $5 WHERE id = $1 AND status = $2";

        INSERT_REFUND = "INSERT INTO refunds (id, payment_id, amount, refunded_before, status, reason, created_by, created_at) VALUES ($1, $2, $3, 0, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
        SELECT_REFUND = "SELECT id, payment_id, amount, refunded_before, status, reason, created_by, created_at FROM refunds WHERE id = $1";
        SELECT_REFUNDS_OF = "SELECT id, payment_id, amount, refunded_before, status, reason, created_by, created_at FROM refunds WHERE payment_id = $1 ORDER BY created_at LIMIT 100";
        SELECT_STUCK_REFUNDS = "SELECT id, payment_id, amount, refunded_before, status, reason, created_by, created_at FROM refunds WHERE status = 'pending' AND created_at < $1 ORDER BY created_at LIMIT $2";
        COUNT_REFUNDS_OF = "SELECT COUNT(*) FROM refunds WHERE payment_id = $1";
        /// What a refund moves the payment to, as the domain decided, if it is still as it was read
        /// ($4 status, $5 refunded): a compare-and-set.
        SET_REFUNDED = "UPDATE payments SET status = $2, refunded = $3, updated_at = $6 WHERE id = $1 AND status = $4 AND refunded = $5";
        SET_REFUNDED_BEFORE = "UPDATE refunds SET refunded_before = $2 WHERE id = $1";
        /// A compare-and-set from $3 (pending).
        FINISH_REFUND = "UPDATE refunds SET status = $2 WHERE id = $1 AND status = $3";

        INSERT_PAYMENT_REQUEST = "INSERT INTO payment_requests (id, merchant_id, till, amount, currency, reference, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
        SELECT_PAYMENT_REQUEST = "SELECT id, merchant_id, till, amount, currency, reference, created_by, created_at, expires_at FROM payment_requests WHERE id = $1";

        /// What a payer (a customer, a card, or a linked card's customer) has paid since $4,
        /// failed payments ($5) aside.
        PAYER_SPENT_SINCE = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM payments WHERE (customer_id = $1 OR card_id = $2) AND currency = $3 AND created_at >= $4 AND status <> $5";
        /// A merchant's payments in [$2, $3) whose money reached it ($4, $5, $6), per currency.
        MERCHANT_PAYMENT_TOTALS = "SELECT currency, CAST(COUNT(*) AS BIGINT) AS count, CAST(SUM(amount) AS BIGINT) AS gross, CAST(SUM(fee) AS BIGINT) AS fees FROM payments WHERE merchant_id = $1 AND created_at >= $2 AND created_at < $3 AND status IN ($4, $5, $6) GROUP BY currency ORDER BY currency";
        /// A merchant's refunds in state $4 (completed) made in [$2, $3).
        MERCHANT_REFUNDS_BETWEEN = "SELECT p.currency AS currency, r.amount AS amount, r.refunded_before AS refunded_before, p.amount AS paid, p.fee AS fee FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.merchant_id = $1 AND r.status = $4 AND r.created_at >= $2 AND r.created_at < $3 LIMIT $5";
        /// A merchant's payments in [$2, $3) whose money reached it ($5, $6, $7), per taker, method
        /// and currency: a merchant QR's ($4) taker is whoever asked for its payment request (none for
        /// a printed QR), as its payment's `created_by` is the paying customer.
        STAFF_TAKINGS = "SELECT CASE WHEN p.method = $4 THEN r.created_by ELSE p.created_by END AS taken_by, p.method AS method, p.currency AS currency, CAST(COUNT(*) AS BIGINT) AS count, CAST(SUM(p.amount) AS BIGINT) AS gross FROM payments p LEFT JOIN payment_requests r ON r.id = p.request_id WHERE p.merchant_id = $1 AND p.created_at >= $2 AND p.created_at < $3 AND p.status IN ($5, $6, $7) GROUP BY 1, 2, 3 ORDER BY 2, 3 LIMIT $8";
        /// A merchant's refunds in state $4 (completed) made in [$2, $3), per giver and currency.
        STAFF_REFUNDS = "SELECT r.created_by AS given_by, p.currency AS currency, CAST(COUNT(*) AS BIGINT) AS count, CAST(SUM(r.amount) AS BIGINT) AS amount FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.merchant_id = $1 AND r.status = $4 AND r.created_at >= $2 AND r.created_at < $3 GROUP BY 1, 2 ORDER BY 2 LIMIT $5";
    }
}

pub(crate) fn generated_statements(dialect: &Dialect) -> Vec<(String, String)> {
    vec![("payments::SELECT_PAYMENT (locked)".into(), dialect.locked(sql::SELECT_PAYMENT).into_owned())]
}

use crate::Conn;

fn payment_insert(p: &PaymentRecord) -> Statement<'_> {
    Statement::new(sql::INSERT_PAYMENT)
        .bind(p.id)
        .bind(p.merchant_id)
        .bind(p.customer_id)
        .bind(p.method.as_str())
        .bind(p.device_id)
        .bind(p.code_step)
        .bind(p.code_slot)
        .bind(p.amount)
        .bind(p.fee)
        .bind(&p.currency)
        .bind(p.refunded)
        .bind(p.status.as_str())
        .bind(p.failure_code.as_deref())
        .bind(&p.reference)
        .bind(p.created_by)
        .bind(p.created_at)
        .bind(p.expires_at)
        .bind(p.updated_at)
        .bind(&p.till)
        .bind(p.request_id)
        .bind(p.card_id)
}

/// Loads a payment for a change in this transaction (locked on PostgreSQL).
async fn payment_for_update<B: Backend>(conn: &mut Conn<B>, id: PaymentId) -> StoreResult<Option<PaymentRecord>> {
    let statement = Statement::new(B::DIALECT.locked(sql::SELECT_PAYMENT)).bind(id);
    fetch_optional::<B::Db, _>(conn, "loading a payment", statement).await
}

/// Sets a payment's refund state if it is still as `payment` was read.
async fn set_refunded<B: Backend>(
    conn: &mut Conn<B>,
    payment: &PaymentRecord,
    (transition, refunded): (Transition<PaymentStatus>, Amount),
    now: Timestamp,
) -> StoreResult<()> {
    debug_assert!(
        transition.is_allowed() && transition.from() == payment.status,
        "a refund's move the table does not allow from {:?}: {transition:?}",
        payment.status
    );
    let statement = Statement::new(sql::SET_REFUNDED)
        .bind(payment.id)
        .bind(transition.to().as_str())
        .bind(refunded)
        .bind(payment.status.as_str())
        .bind(payment.refunded)
        .bind(now);
    match execute::<B::Db>(conn, "claiming a refund", statement).await? {
        1 => Ok(()),
        // The payment was read locked (PostgreSQL) or by the only writer (SQLite): nothing can
        // have moved it since. If something did, nothing of this refund is written.
        _ => Err(StoreError::Conflict("the payment changed during its refund")),
    }
}

#[async_trait]
impl<B: Backend> PaymentStore for SqlStore<B> {
    async fn insert_device(&self, device: &DeviceRecord, max_live: u32) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let count = Statement::new(sql::COUNT_LIVE_DEVICES).bind(device.user_id).bind(DeviceStatus::FINAL.as_str());
        let Scalar(live): Scalar<i64> = fetch_one::<B::Db, _>(&mut tx, "counting devices", count).await?;
        if live >= i64::from(max_live) {
            return Ok(false);
        }
        let insert = Statement::new(sql::INSERT_DEVICE)
            .bind(device.id)
            .bind(device.user_id)
            .bind(device.device_ref)
            .bind(&device.label)
            .bind(&device.secret)
            .bind(device.status.as_str())
            .bind(device.created_at)
            .bind(device.updated_at);
        execute_unique::<B::Db>(&mut tx, "enrolling a device", "device reference in use", insert).await?;
        tx.commit().await.map_err(db_error("committing a device"))?;
        Ok(true)
    }

    async fn device_by_ref(&self, device_ref: u32) -> StoreResult<Option<DeviceRecord>> {
        let statement = Statement::new(sql::SELECT_DEVICE_BY_REF).bind(device_ref);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a device", statement).await
    }

    async fn devices_of(&self, user: UserId) -> StoreResult<Vec<DeviceRecord>> {
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing devices", Statement::new(sql::SELECT_DEVICES_OF).bind(user)).await
    }

    async fn set_device_status(
        &self,
        id: DeviceId,
        user: UserId,
        status: DeviceStatus,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let statement = Statement::new(sql::UPDATE_DEVICE_STATUS)
            .bind(id)
            .bind(user)
            .bind(status.as_str())
            .bind(now)
            .bind(DeviceStatus::FINAL.as_str());
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "updating a device", statement).await? == 1)
    }

    async fn insert_payment(&self, payment: &PaymentRecord) -> StoreResult<PaymentInsert> {
        let mut conn = self.writer().await?;
        if execute::<B::Db>(&mut conn, "inserting a payment", payment_insert(payment)).await? == 1 {
            return Ok(PaymentInsert::Inserted);
        }
        let select = Statement::new(sql::SELECT_PAYMENT).bind(payment.id);
        match fetch_optional::<B::Db, PaymentRecord>(&mut conn, "loading a payment", select).await? {
            Some(existing) => Ok(PaymentInsert::Exists(Box::new(existing))),
            None => Ok(PaymentInsert::Taken),
        }
    }

    async fn payment(&self, id: PaymentId) -> StoreResult<Option<PaymentRecord>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a payment", Statement::new(sql::SELECT_PAYMENT).bind(id)).await
    }

    async fn set_payment_status(
        &self,
        id: PaymentId,
        transition: Transition<PaymentStatus>,
        failure_code: Option<&str>,
        now: Timestamp,
        event: Option<&EventRecord>,
    ) -> StoreResult<bool> {
        debug_assert!(transition.is_allowed(), "a payment's move the table does not allow: {transition:?}");
        let mut tx = self.begin().await?;
        let statement = Statement::new(sql::UPDATE_PAYMENT_STATUS)
            .bind(id)
            .bind(transition.from().as_str())
            .bind(transition.to().as_str())
            .bind(failure_code)
            .bind(now);
        if execute::<B::Db>(&mut tx, "updating a payment", statement).await? != 1 {
            return Ok(false);
        }
        if let Some(event) = event {
            crate::events::insert_event::<B>(&mut tx, event).await?;
        }
        tx.commit().await.map_err(db_error("committing a payment"))?;
        Ok(true)
    }

    async fn merchant_payments(
        &self,
        merchant: MerchantId,
        filter: &PaymentFilter,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PaymentRecord>> {
        let before = filter.to.map_or(before, |to| before.min(to));
        let statement = Statement::new(sql::SELECT_MERCHANT_PAYMENTS)
            .bind(merchant)
            .bind(before)
            .bind(filter.from.unwrap_or(Timestamp(i64::MIN)))
            .bind(filter.status.map(PaymentStatus::as_str))
            .bind(filter.till.as_deref())
            .bind(filter.min_amount.map_or(0, Amount::minor))
            .bind(filter.max_amount.map_or(i64::MAX, Amount::minor))
            .bind(limit.min(MAX_PAYMENT_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing payments", statement).await
    }

    async fn customer_payments(
        &self,
        customer: UserId,
        status: Option<PaymentStatus>,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<PaymentRecord>> {
        let statement = Statement::new(sql::SELECT_CUSTOMER_PAYMENTS)
            .bind(customer)
            .bind(status.map(|s| s.as_str()).unwrap_or(""))
            .bind(before)
            .bind(limit.min(MAX_PAYMENT_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing a customer's payments", statement).await
    }

    async fn claim_refund(&self, refund: &RefundRecord, now: Timestamp) -> StoreResult<RefundClaim> {
        let mut tx = self.begin().await?;
        let insert = Statement::new(sql::INSERT_REFUND)
            .bind(refund.id)
            .bind(refund.payment_id)
            .bind(refund.amount)
            .bind(RefundStatus::Pending.as_str())
            .bind(&refund.reason)
            .bind(refund.created_by)
            .bind(refund.created_at);
        if execute::<B::Db>(&mut tx, "inserting a refund", insert).await? == 0 {
            let select = Statement::new(sql::SELECT_REFUND).bind(refund.id);
            return Ok(RefundClaim::Exists(fetch_one::<B::Db, _>(&mut tx, "loading a refund", select).await?));
        }
        let count = Statement::new(sql::COUNT_REFUNDS_OF).bind(refund.payment_id);
        let Scalar(refunds): Scalar<i64> = fetch_one::<B::Db, _>(&mut tx, "counting refunds", count).await?;
        let Some(payment) = payment_for_update::<B>(&mut tx, refund.payment_id).await? else {
            return Ok(RefundClaim::PaymentNotFound);
        };
        let target = RefundTarget {
            status: payment.status,
            amount: payment.amount,
            refunded: payment.refunded,
            refunds: u32::try_from(refunds).unwrap_or(u32::MAX),
        };
        // A refused claim returns with the transaction unfinished: dropping it rolls the refund back.
        let claimed = match rules::claim_refund(target, refund.amount) {
            Ok(claimed) => claimed,
            Err(rules::RefundRefused::NotRefundable(status)) => return Ok(RefundClaim::NotRefundable(status)),
            Err(rules::RefundRefused::Exceeds { refundable }) => return Ok(RefundClaim::Exceeds { refundable }),
        };
        set_refunded::<B>(&mut tx, &payment, (claimed.transition, claimed.refunded), now).await?;
        let before = Statement::new(sql::SET_REFUNDED_BEFORE).bind(refund.id).bind(claimed.refunded_before);
        execute::<B::Db>(&mut tx, "recording a refund", before).await?;
        tx.commit().await.map_err(db_error("committing a refund"))?;
        Ok(RefundClaim::Claimed(RefundRecord { refunded_before: claimed.refunded_before, ..refund.clone() }))
    }

    async fn finish_refund(
        &self,
        refund: &RefundRecord,
        succeeded: bool,
        now: Timestamp,
        event: Option<&EventRecord>,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let status = if succeeded { RefundStatus::Completed } else { RefundStatus::Failed };
        let finish = Statement::new(sql::FINISH_REFUND)
            .bind(refund.id)
            .bind(status.as_str())
            .bind(RefundStatus::Pending.as_str());
        if execute::<B::Db>(&mut tx, "finishing a refund", finish).await? != 1 {
            // Finished before (a retry, housekeeping): nothing more to do.
            return Ok(());
        }
        if succeeded {
            if let Some(event) = event {
                crate::events::insert_event::<B>(&mut tx, event).await?;
            }
        } else if let Some(payment) = payment_for_update::<B>(&mut tx, refund.payment_id).await? {
            let released = rules::release_refund(payment.status, payment.refunded, refund.amount)
                .ok_or(StoreError::Conflict("a refund's payment is in no state a claim leads to"))?;
            set_refunded::<B>(&mut tx, &payment, released, now).await?;
        }
        tx.commit().await.map_err(db_error("committing a refund"))
    }

    async fn refunds_of(&self, payment: PaymentId) -> StoreResult<Vec<RefundRecord>> {
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing refunds", Statement::new(sql::SELECT_REFUNDS_OF).bind(payment)).await
    }

    async fn insert_payment_request(&self, r: &PaymentRequestRecord) -> StoreResult<PaymentRequestRecord> {
        let insert = Statement::new(sql::INSERT_PAYMENT_REQUEST)
            .bind(r.id)
            .bind(r.merchant_id)
            .bind(&r.till)
            .bind(r.amount)
            .bind(&r.currency)
            .bind(&r.reference)
            .bind(r.created_by)
            .bind(r.created_at)
            .bind(r.expires_at);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "inserting a payment request", insert).await?;
        let select = Statement::new(sql::SELECT_PAYMENT_REQUEST).bind(r.id);
        fetch_one::<B::Db, _>(&mut conn, "loading a payment request", select).await
    }

    async fn payment_request(&self, id: PaymentRequestId) -> StoreResult<Option<PaymentRequestRecord>> {
        let statement = Statement::new(sql::SELECT_PAYMENT_REQUEST).bind(id);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a payment request", statement).await
    }

    async fn request_payment(&self, request: PaymentRequestId) -> StoreResult<Option<PaymentRecord>> {
        let statement = Statement::new(sql::SELECT_REQUEST_PAYMENT).bind(request);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a request's payment", statement).await
    }

    async fn stuck_payments(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<PaymentRecord>> {
        let statement = Statement::new(sql::SELECT_STUCK_PAYMENTS).bind(before).bind(limit);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing unfinished payments", statement).await
    }

    async fn lapsed_approvals(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<PaymentRecord>> {
        let statement = Statement::new(sql::SELECT_LAPSED_APPROVALS).bind(now).bind(limit);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing lapsed approvals", statement).await
    }

    async fn stuck_refunds(&self, before: Timestamp, limit: u32) -> StoreResult<Vec<RefundRecord>> {
        let statement = Statement::new(sql::SELECT_STUCK_REFUNDS).bind(before).bind(limit);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing unfinished refunds", statement).await
    }

    async fn payer_spent_since(
        &self,
        customer: Option<UserId>,
        card: Option<CardId>,
        currency: CurrencyCode,
        since: Timestamp,
    ) -> StoreResult<Amount> {
        let statement = Statement::new(sql::PAYER_SPENT_SINCE)
            .bind(customer)
            .bind(card)
            .bind(&currency)
            .bind(since)
            .bind(PaymentStatus::Failed.as_str());
        let mut conn = self.reader().await?;
        let Scalar(spent): Scalar<i64> =
            fetch_one::<B::Db, _>(&mut conn, "adding up a payer's payments", statement).await?;
        Ok(Amount::from_minor(spent))
    }

    async fn merchant_payment_totals(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<PaymentTotals>> {
        let [completed, partly_refunded, refunded] = PaymentStatus::SETTLED.map(PaymentStatus::as_str);
        let statement = Statement::new(sql::MERCHANT_PAYMENT_TOTALS)
            .bind(merchant)
            .bind(from)
            .bind(to)
            .bind(completed)
            .bind(partly_refunded)
            .bind(refunded);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "adding up a merchant's payments", statement).await
    }

    async fn merchant_refunds_between(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<SummaryRefund>> {
        let statement = Statement::new(sql::MERCHANT_REFUNDS_BETWEEN)
            .bind(merchant)
            .bind(from)
            .bind(to)
            .bind(RefundStatus::Completed.as_str())
            .bind(limit);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing a merchant's refunds", statement).await
    }

    async fn staff_takings(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<StaffTakings>> {
        let [completed, partly_refunded, refunded] = PaymentStatus::SETTLED.map(PaymentStatus::as_str);
        let statement = Statement::new(sql::STAFF_TAKINGS)
            .bind(merchant)
            .bind(from)
            .bind(to)
            .bind(PaymentMethod::MerchantQr.as_str())
            .bind(completed)
            .bind(partly_refunded)
            .bind(refunded)
            .bind(limit);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "adding up a merchant's takings per person", statement).await
    }

    async fn staff_refunds(
        &self,
        merchant: MerchantId,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<StaffRefunds>> {
        let statement = Statement::new(sql::STAFF_REFUNDS)
            .bind(merchant)
            .bind(from)
            .bind(to)
            .bind(RefundStatus::Completed.as_str())
            .bind(limit);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "adding up a merchant's refunds per person", statement).await
    }
}
