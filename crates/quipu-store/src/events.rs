//! Storage for merchant events and the webhook outbox.
//!
//! An event is written in the same transaction as the change it reports
//! (see `set_payment_status` and `finish_refund`), together with one pending
//! delivery per subscribed webhook endpoint: an acknowledged change always
//! has its event, and its deliveries survive restarts. On PostgreSQL the
//! writer first takes a transaction-level advisory lock, so events commit in
//! `seq` order and a till resuming "after seq N" never skips one committed
//! late.

use quipu_domain::Timestamp;
use quipu_domain::identity::MerchantId;
use uuid::Uuid;

use crate::StoreResult;

/// Most events one read returns.
pub const MAX_EVENT_PAGE: u32 = 100;
/// Most deliveries one page lists.
pub const MAX_DELIVERY_PAGE: u32 = 100;

/// Something a merchant may hear about: `body` is the JSON delivered, as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// Store-assigned order within the whole network; 0 until stored.
    pub seq: i64,
    pub id: Uuid,
    pub merchant_id: MerchantId,
    pub till: String,
    pub kind: String,
    pub body: String,
    pub created_at: Timestamp,
}

/// A merchant's webhook endpoint. The secret signs deliveries, so it is kept in the clear.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpointRecord {
    pub id: Uuid,
    pub merchant_id: MerchantId,
    pub url: String,
    pub secret: Vec<u8>,
    /// Event kinds it receives; `["*"]` for all.
    pub events: Vec<String>,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
}

impl std::fmt::Debug for WebhookEndpointRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpointRecord").field("id", &self.id).field("url", &self.url).finish_non_exhaustive()
    }
}

/// pending (waiting for its next attempt), delivered, or failed (attempts exhausted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_kind: String,
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    pub created_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
}

/// A delivery a sender has leased, with what it needs to send it.
#[derive(Clone)]
pub struct DueDelivery {
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub event_kind: String,
    pub url: String,
    pub secret: Vec<u8>,
    pub body: String,
    pub attempts: u32,
}

/// One try at sending a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    pub attempt: u32,
    pub at: Timestamp,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// Why it failed; empty on success.
    pub error: String,
    pub duration_ms: u32,
}

/// Where a delivery goes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    Delivered,
    RetryAt(Timestamp),
    GaveUp,
}

#[derive(Debug, sqlx::FromRow)]
pub struct EventRow {
    pub seq: i64,
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub till: String,
    pub kind: String,
    pub body: String,
    pub created_at: i64,
}

impl EventRow {
    pub fn into_record(self) -> EventRecord {
        EventRecord {
            seq: self.seq,
            id: self.id,
            merchant_id: MerchantId(self.merchant_id),
            till: self.till,
            kind: self.kind,
            body: self.body,
            created_at: Timestamp(self.created_at),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub url: String,
    pub secret: Vec<u8>,
    pub events: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

impl EndpointRow {
    pub fn into_record(self) -> WebhookEndpointRecord {
        WebhookEndpointRecord {
            id: self.id,
            merchant_id: MerchantId(self.merchant_id),
            url: self.url,
            secret: self.secret,
            events: self.events.split(' ').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
            created_at: Timestamp(self.created_at),
            disabled_at: self.disabled_at.map(Timestamp),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct DeliveryRow {
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

impl DeliveryRow {
    pub fn into_record(self) -> DeliveryRecord {
        DeliveryRecord {
            endpoint_id: self.endpoint_id,
            event_id: self.event_id,
            event_kind: self.kind,
            status: self.status,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
            next_attempt_at: Timestamp(self.next_attempt_at),
            created_at: Timestamp(self.created_at),
            delivered_at: self.delivered_at.map(Timestamp),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct DueRow {
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub kind: String,
    pub url: String,
    pub secret: Vec<u8>,
    pub body: String,
    pub attempts: i64,
}

impl DueRow {
    pub fn into_due(self) -> DueDelivery {
        DueDelivery {
            endpoint_id: self.endpoint_id,
            event_id: self.event_id,
            event_kind: self.kind,
            url: self.url,
            secret: self.secret,
            body: self.body,
            attempts: u32::try_from(self.attempts).unwrap_or(u32::MAX),
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct AttemptRow {
    pub attempt: i64,
    pub at: i64,
    pub status_code: Option<i64>,
    pub error: String,
    pub duration_ms: i64,
}

impl AttemptRow {
    pub fn into_record(self) -> AttemptRecord {
        AttemptRecord {
            attempt: u32::try_from(self.attempt).unwrap_or(u32::MAX),
            at: Timestamp(self.at),
            status_code: self.status_code.and_then(|code| u16::try_from(code).ok()),
            error: self.error,
            duration_ms: u32::try_from(self.duration_ms).unwrap_or(u32::MAX),
        }
    }
}

pub mod sql {
    pub const INSERT_EVENT: &str =
        "INSERT INTO merchant_events (id, merchant_id, till, kind, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
    /// Fans an event out to every live endpoint of its merchant that subscribed to its kind.
    pub const FAN_OUT_EVENT: &str = "INSERT INTO webhook_deliveries (endpoint_id, event_id, merchant_id, status, attempts, next_attempt_at, lease_until, created_at, delivered_at) SELECT id, $1, merchant_id, 'pending', 0, $2, NULL, $2, NULL FROM webhook_endpoints WHERE merchant_id = $3 AND disabled_at IS NULL AND (events = '*' OR (' ' || events || ' ') LIKE ('% ' || $4 || ' %'))";
    /// $3 is the till, or '' for every till.
    pub const SELECT_EVENTS_AFTER: &str = "SELECT seq, id, merchant_id, till, kind, body, created_at FROM merchant_events WHERE merchant_id = $1 AND seq > $2 AND ($3 = '' OR till = $3) ORDER BY seq LIMIT $4";
    pub const SELECT_LAST_EVENT_SEQ: &str = "SELECT COALESCE(MAX(seq), 0) FROM merchant_events WHERE merchant_id = $1";

    pub const COUNT_LIVE_ENDPOINTS: &str =
        "SELECT COUNT(*) FROM webhook_endpoints WHERE merchant_id = $1 AND disabled_at IS NULL";
    pub const INSERT_ENDPOINT: &str = "INSERT INTO webhook_endpoints (id, merchant_id, url, secret, events, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)";
    pub const SELECT_ENDPOINTS: &str = "SELECT id, merchant_id, url, secret, events, created_at, disabled_at FROM webhook_endpoints WHERE merchant_id = $1 ORDER BY created_at LIMIT 100";
    pub const DISABLE_ENDPOINT: &str =
        "UPDATE webhook_endpoints SET disabled_at = $3 WHERE id = $1 AND merchant_id = $2 AND disabled_at IS NULL";
    /// A disabled endpoint's waiting deliveries will never be sent.
    pub const ABANDON_ENDPOINT_DELIVERIES: &str =
        "UPDATE webhook_deliveries SET status = 'failed' WHERE endpoint_id = $1 AND status = 'pending'";

    pub const SELECT_DUE_DELIVERIES: &str = "SELECT d.endpoint_id, d.event_id, e.kind, w.url, w.secret, e.body, d.attempts FROM webhook_deliveries d JOIN merchant_events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1) ORDER BY d.next_attempt_at LIMIT $2";
    /// A compare-and-set: only one sender, in any process, wins a delivery's lease.
    pub const LEASE_DELIVERY: &str = "UPDATE webhook_deliveries SET lease_until = $3 WHERE endpoint_id = $1 AND event_id = $2 AND status = 'pending' AND attempts = $4 AND (lease_until IS NULL OR lease_until <= $5)";
    pub const INSERT_ATTEMPT: &str = "INSERT INTO webhook_attempts (endpoint_id, event_id, attempt, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
    pub const FINISH_ATTEMPT: &str = "UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, lease_until = NULL, delivered_at = $6 WHERE endpoint_id = $1 AND event_id = $2";
    pub const SELECT_DELIVERIES: &str = "SELECT d.endpoint_id, d.event_id, e.kind, d.status, d.attempts, d.next_attempt_at, d.created_at, d.delivered_at FROM webhook_deliveries d JOIN merchant_events e ON e.id = d.event_id WHERE d.endpoint_id = $1 AND d.merchant_id = $2 AND d.created_at < $3 ORDER BY d.created_at DESC LIMIT $4";
    pub const SELECT_DELIVERY: &str = "SELECT d.endpoint_id, d.event_id, e.kind, d.status, d.attempts, d.next_attempt_at, d.created_at, d.delivered_at FROM webhook_deliveries d JOIN merchant_events e ON e.id = d.event_id WHERE d.endpoint_id = $1 AND d.event_id = $2 AND d.merchant_id = $3";
    pub const SELECT_ATTEMPTS: &str = "SELECT attempt, at, status_code, error, duration_ms FROM webhook_attempts WHERE endpoint_id = $1 AND event_id = $2 ORDER BY attempt LIMIT 100";
    /// Sends a delivery again from now, whatever became of it (only if its endpoint is live).
    pub const REDELIVER: &str = "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $4, lease_until = NULL WHERE endpoint_id = $1 AND event_id = $2 AND merchant_id = $3 AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = $1 AND w.disabled_at IS NULL)";
}

/// Event and webhook storage. A supertrait of [`crate::Store`]; both backends
/// implement it by expanding [`event_store_methods!`].
#[async_trait::async_trait]
pub trait EventStore: Send + Sync {
    /// A merchant's events after `after` (by seq), for one till or all (`""`), oldest first.
    async fn events_after(
        &self,
        merchant: MerchantId,
        after: i64,
        till: &str,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>>;
    /// The seq of the merchant's newest event, or 0.
    async fn last_event_seq(&self, merchant: MerchantId) -> StoreResult<i64>;
    /// Adds an endpoint unless the merchant already has `max_live` (then `false`).
    async fn insert_webhook_endpoint(&self, endpoint: &WebhookEndpointRecord, max_live: u32) -> StoreResult<bool>;
    async fn webhook_endpoints(&self, merchant: MerchantId) -> StoreResult<Vec<WebhookEndpointRecord>>;
    /// Disables an endpoint for good and abandons its waiting deliveries; `false` if not the merchant's or already off.
    async fn disable_webhook_endpoint(&self, id: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool>;
    /// Deliveries due at `now`, not leased by a live sender.
    async fn due_deliveries(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<DueDelivery>>;
    /// Takes a delivery's lease until `until`; `false` if another sender has it or it moved on.
    async fn lease_delivery(&self, delivery: &DueDelivery, now: Timestamp, until: Timestamp) -> StoreResult<bool>;
    /// Records an attempt and moves the delivery on, in one transaction.
    async fn record_attempt(
        &self,
        delivery: &DueDelivery,
        attempt: &AttemptRecord,
        outcome: DeliveryOutcome,
    ) -> StoreResult<()>;
    /// An endpoint's deliveries created before `before`, newest first.
    async fn deliveries(
        &self,
        endpoint: Uuid,
        merchant: MerchantId,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<DeliveryRecord>>;
    async fn delivery(&self, endpoint: Uuid, event: Uuid, merchant: MerchantId) -> StoreResult<Option<DeliveryRecord>>;
    async fn delivery_attempts(&self, endpoint: Uuid, event: Uuid) -> StoreResult<Vec<AttemptRecord>>;
    /// Queues a delivery to be sent again now; `false` if it is not the merchant's or its endpoint is disabled.
    async fn redeliver(&self, endpoint: Uuid, event: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool>;
}

/// Implements [`EventStore`] for a backend, and defines `insert_event_in`,
/// which the payment methods call inside their transactions:
/// `event_store_methods!(SqliteStore, writer, reader, sqlx::SqliteConnection, "SELECT 1")`.
/// The last argument is the statement that orders event writers (see the module docs).
#[macro_export]
macro_rules! event_store_methods {
    ($store:ty, $writer:ident, $reader:ident, $conn:ty, $order_lock:expr) => {
        /// Writes an event and its webhook deliveries on `conn`, inside the caller's transaction.
        async fn insert_event_in(conn: &mut $conn, event: &$crate::events::EventRecord) -> $crate::StoreResult<()> {
            use $crate::events::sql;
            sqlx::query($order_lock).execute(&mut *conn).await.map_err(db_error("ordering events"))?;
            sqlx::query(sql::INSERT_EVENT)
                .bind(event.id)
                .bind(event.merchant_id.0)
                .bind(&event.till)
                .bind(&event.kind)
                .bind(&event.body)
                .bind(event.created_at.0)
                .execute(&mut *conn)
                .await
                .map_err(db_error("inserting an event"))?;
            sqlx::query(sql::FAN_OUT_EVENT)
                .bind(event.id)
                .bind(event.created_at.0)
                .bind(event.merchant_id.0)
                .bind(&event.kind)
                .execute(&mut *conn)
                .await
                .map_err(db_error("queueing webhook deliveries"))?;
            Ok(())
        }

        #[$crate::async_trait]
        impl $crate::events::EventStore for $store {
            async fn events_after(
                &self,
                merchant: quipu_domain::identity::MerchantId,
                after: i64,
                till: &str,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::events::EventRecord>> {
                let rows: Vec<$crate::events::EventRow> = sqlx::query_as($crate::events::sql::SELECT_EVENTS_AFTER)
                    .bind(merchant.0)
                    .bind(after)
                    .bind(till)
                    .bind(i64::from(limit.min($crate::events::MAX_EVENT_PAGE)))
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("reading events"))?;
                Ok(rows.into_iter().map($crate::events::EventRow::into_record).collect())
            }

            async fn last_event_seq(&self, merchant: quipu_domain::identity::MerchantId) -> $crate::StoreResult<i64> {
                sqlx::query_scalar($crate::events::sql::SELECT_LAST_EVENT_SEQ)
                    .bind(merchant.0)
                    .fetch_one(&self.$reader)
                    .await
                    .map_err(db_error("reading the last event"))
            }

            async fn insert_webhook_endpoint(
                &self,
                endpoint: &$crate::events::WebhookEndpointRecord,
                max_live: u32,
            ) -> $crate::StoreResult<bool> {
                use $crate::events::sql;
                let mut tx = self.$writer.begin().await.map_err(db_error("starting a transaction"))?;
                let live: i64 = sqlx::query_scalar(sql::COUNT_LIVE_ENDPOINTS)
                    .bind(endpoint.merchant_id.0)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_error("counting webhook endpoints"))?;
                if live >= i64::from(max_live) {
                    return Ok(false);
                }
                sqlx::query(sql::INSERT_ENDPOINT)
                    .bind(endpoint.id)
                    .bind(endpoint.merchant_id.0)
                    .bind(&endpoint.url)
                    .bind(&endpoint.secret)
                    .bind(endpoint.events.join(" "))
                    .bind(endpoint.created_at.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("inserting a webhook endpoint"))?;
                tx.commit().await.map_err(db_error("committing a webhook endpoint"))?;
                Ok(true)
            }

            async fn webhook_endpoints(
                &self,
                merchant: quipu_domain::identity::MerchantId,
            ) -> $crate::StoreResult<Vec<$crate::events::WebhookEndpointRecord>> {
                let rows: Vec<$crate::events::EndpointRow> = sqlx::query_as($crate::events::sql::SELECT_ENDPOINTS)
                    .bind(merchant.0)
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("listing webhook endpoints"))?;
                Ok(rows.into_iter().map($crate::events::EndpointRow::into_record).collect())
            }

            async fn disable_webhook_endpoint(
                &self,
                id: uuid::Uuid,
                merchant: quipu_domain::identity::MerchantId,
                now: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<bool> {
                use $crate::events::sql;
                let mut tx = self.$writer.begin().await.map_err(db_error("starting a transaction"))?;
                let done = sqlx::query(sql::DISABLE_ENDPOINT)
                    .bind(id)
                    .bind(merchant.0)
                    .bind(now.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("disabling a webhook endpoint"))?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                sqlx::query(sql::ABANDON_ENDPOINT_DELIVERIES)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("abandoning deliveries"))?;
                tx.commit().await.map_err(db_error("committing a webhook endpoint"))?;
                Ok(true)
            }

            async fn due_deliveries(
                &self,
                now: quipu_domain::Timestamp,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::events::DueDelivery>> {
                let rows: Vec<$crate::events::DueRow> = sqlx::query_as($crate::events::sql::SELECT_DUE_DELIVERIES)
                    .bind(now.0)
                    .bind(i64::from(limit.min($crate::events::MAX_DELIVERY_PAGE)))
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("reading due deliveries"))?;
                Ok(rows.into_iter().map($crate::events::DueRow::into_due).collect())
            }

            async fn lease_delivery(
                &self,
                delivery: &$crate::events::DueDelivery,
                now: quipu_domain::Timestamp,
                until: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<bool> {
                let done = sqlx::query($crate::events::sql::LEASE_DELIVERY)
                    .bind(delivery.endpoint_id)
                    .bind(delivery.event_id)
                    .bind(until.0)
                    .bind(i64::from(delivery.attempts))
                    .bind(now.0)
                    .execute(&self.$writer)
                    .await
                    .map_err(db_error("leasing a delivery"))?;
                Ok(done.rows_affected() == 1)
            }

            async fn record_attempt(
                &self,
                delivery: &$crate::events::DueDelivery,
                attempt: &$crate::events::AttemptRecord,
                outcome: $crate::events::DeliveryOutcome,
            ) -> $crate::StoreResult<()> {
                use $crate::events::{DeliveryOutcome, sql};
                let (status, next, delivered_at) = match outcome {
                    DeliveryOutcome::Delivered => ("delivered", attempt.at.0, Some(attempt.at.0)),
                    DeliveryOutcome::RetryAt(at) => ("pending", at.0, None),
                    DeliveryOutcome::GaveUp => ("failed", attempt.at.0, None),
                };
                let mut tx = self.$writer.begin().await.map_err(db_error("starting a transaction"))?;
                sqlx::query(sql::INSERT_ATTEMPT)
                    .bind(delivery.endpoint_id)
                    .bind(delivery.event_id)
                    .bind(i64::from(attempt.attempt))
                    .bind(attempt.at.0)
                    .bind(attempt.status_code.map(i64::from))
                    .bind(&attempt.error)
                    .bind(i64::from(attempt.duration_ms))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("recording an attempt"))?;
                sqlx::query(sql::FINISH_ATTEMPT)
                    .bind(delivery.endpoint_id)
                    .bind(delivery.event_id)
                    .bind(status)
                    .bind(i64::from(attempt.attempt))
                    .bind(next)
                    .bind(delivered_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_error("updating a delivery"))?;
                tx.commit().await.map_err(db_error("committing an attempt"))
            }

            async fn deliveries(
                &self,
                endpoint: uuid::Uuid,
                merchant: quipu_domain::identity::MerchantId,
                before: quipu_domain::Timestamp,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::events::DeliveryRecord>> {
                let rows: Vec<$crate::events::DeliveryRow> = sqlx::query_as($crate::events::sql::SELECT_DELIVERIES)
                    .bind(endpoint)
                    .bind(merchant.0)
                    .bind(before.0)
                    .bind(i64::from(limit.min($crate::events::MAX_DELIVERY_PAGE)))
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("listing deliveries"))?;
                Ok(rows.into_iter().map($crate::events::DeliveryRow::into_record).collect())
            }

            async fn delivery(
                &self,
                endpoint: uuid::Uuid,
                event: uuid::Uuid,
                merchant: quipu_domain::identity::MerchantId,
            ) -> $crate::StoreResult<Option<$crate::events::DeliveryRecord>> {
                let row: Option<$crate::events::DeliveryRow> = sqlx::query_as($crate::events::sql::SELECT_DELIVERY)
                    .bind(endpoint)
                    .bind(event)
                    .bind(merchant.0)
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(db_error("loading a delivery"))?;
                Ok(row.map($crate::events::DeliveryRow::into_record))
            }

            async fn delivery_attempts(
                &self,
                endpoint: uuid::Uuid,
                event: uuid::Uuid,
            ) -> $crate::StoreResult<Vec<$crate::events::AttemptRecord>> {
                let rows: Vec<$crate::events::AttemptRow> = sqlx::query_as($crate::events::sql::SELECT_ATTEMPTS)
                    .bind(endpoint)
                    .bind(event)
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(db_error("listing attempts"))?;
                Ok(rows.into_iter().map($crate::events::AttemptRow::into_record).collect())
            }

            async fn redeliver(
                &self,
                endpoint: uuid::Uuid,
                event: uuid::Uuid,
                merchant: quipu_domain::identity::MerchantId,
                now: quipu_domain::Timestamp,
            ) -> $crate::StoreResult<bool> {
                let done = sqlx::query($crate::events::sql::REDELIVER)
                    .bind(endpoint)
                    .bind(event)
                    .bind(merchant.0)
                    .bind(now.0)
                    .execute(&self.$writer)
                    .await
                    .map_err(db_error("queueing a redelivery"))?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
