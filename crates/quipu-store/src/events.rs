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
use quipu_domain::identity::{MerchantId, UserId};
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
    /// The customer who hears it too (a payment's payer): written to their own events in the
    /// same transaction. Not stored with the merchant's event.
    pub customer_id: Option<UserId>,
}

/// Something a customer hears on their own live stream: a payment of theirs awaiting approval,
/// completed, failed or refunded, or money received. `body` is the JSON sent, as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerEventRecord {
    /// Store-assigned order within the whole network; 0 until stored.
    pub seq: i64,
    pub id: Uuid,
    pub customer_id: UserId,
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
pub struct WebhookDeliveryRecord {
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
pub enum WebhookDeliveryOutcome {
    Delivered,
    RetryAt(Timestamp),
    GaveUp,
}

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
    /// A customer's events after `after` (by seq), oldest first.
    async fn customer_events_after(
        &self,
        customer: UserId,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<CustomerEventRecord>>;
    /// The seq of the customer's newest event, or 0.
    async fn last_customer_event_seq(&self, customer: UserId) -> StoreResult<i64>;
    /// Writes a customer's event unless one with its id exists (a retry of what raised it): `false` then.
    async fn insert_customer_event(&self, event: &CustomerEventRecord) -> StoreResult<bool>;
    /// Writes a merchant's event and one delivery of it to `endpoint` alone (a test of that
    /// endpoint), unless the endpoint is not the merchant's and live, or the merchant already
    /// wrote `quota.1` events of the event's kind since `quota.0`; then nothing is written.
    async fn insert_endpoint_event(
        &self,
        event: &EventRecord,
        endpoint: Uuid,
        quota: (Timestamp, u32),
    ) -> StoreResult<EndpointEvent>;
    /// Adds an endpoint unless the merchant already has `max_live` (then `false`).
    async fn insert_webhook_endpoint(&self, endpoint: &WebhookEndpointRecord, max_live: u32) -> StoreResult<bool>;
    async fn webhook_endpoints(&self, merchant: MerchantId) -> StoreResult<Vec<WebhookEndpointRecord>>;
    /// One of the merchant's endpoints, live or disabled; `None` if it is not theirs.
    async fn webhook_endpoint(&self, id: Uuid, merchant: MerchantId) -> StoreResult<Option<WebhookEndpointRecord>>;
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
        outcome: WebhookDeliveryOutcome,
    ) -> StoreResult<()>;
    /// An endpoint's deliveries created before `before`, newest first.
    async fn deliveries(
        &self,
        endpoint: Uuid,
        merchant: MerchantId,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDeliveryRecord>>;
    async fn delivery(
        &self,
        endpoint: Uuid,
        event: Uuid,
        merchant: MerchantId,
    ) -> StoreResult<Option<WebhookDeliveryRecord>>;
    async fn delivery_attempts(&self, endpoint: Uuid, event: Uuid) -> StoreResult<Vec<AttemptRecord>>;
    /// Queues a delivery to be sent again now; `false` if it is not the merchant's or its endpoint is disabled.
    async fn redeliver(&self, endpoint: Uuid, event: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool>;
}

/// What became of a test event for one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointEvent {
    Queued,
    /// The endpoint is not the merchant's, or not live.
    NoEndpoint,
    /// The merchant sent its quota of such events lately.
    OverQuota,
}
