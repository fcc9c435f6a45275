//! [`EventStore`] for every backend: merchant events and the webhook
//! outbox. An event is written in the transaction of the change it reports
//! ([`insert_event`]); on PostgreSQL the writer first takes the dialect's
//! ordering lock, so events commit in `seq` order.

use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_store::events::{
    AttemptRecord, CustomerEventRecord, DueDelivery, EndpointEvent, EventRecord, EventStore, MAX_DELIVERY_PAGE,
    MAX_EVENT_PAGE, WebhookDeliveryOutcome, WebhookDeliveryRecord, WebhookEndpointRecord,
};
use quipu_store::{StoreResult, async_trait, db_error};
use uuid::Uuid;

use crate::driver::{Scalar, Statement, execute, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_EVENT = "INSERT INTO merchant_events (id, merchant_id, till, kind, body, created_at) VALUES ($1, $2, $3, $4, $5, $6)";
        /// Fans an event out to every live endpoint of its merchant that subscribed to its kind.
        FAN_OUT_EVENT = "INSERT INTO webhook_deliveries (endpoint_id, event_id, merchant_id, status, attempts, next_attempt_at, lease_until, created_at, delivered_at) SELECT id, $1, merchant_id, 'pending', 0, $2, NULL, $2, NULL FROM webhook_endpoints WHERE merchant_id = $3 AND disabled_at IS NULL AND (events = '*' OR (' ' || events || ' ') LIKE ('% ' || $4 || ' %'))";
        /// $3 is the till, or '' for every till. A webhook's test event is for its endpoint, not the tills.
        SELECT_EVENTS_AFTER = "SELECT seq, id, merchant_id, till, kind, body, created_at FROM merchant_events WHERE merchant_id = $1 AND seq > $2 AND ($3 = '' OR till = $3) AND kind <> 'webhook.test' ORDER BY seq LIMIT $4";
        /// A test event's one delivery, to a live endpoint of the event's merchant.
        QUEUE_ENDPOINT_DELIVERY = "INSERT INTO webhook_deliveries (endpoint_id, event_id, merchant_id, status, attempts, next_attempt_at, lease_until, created_at, delivered_at) SELECT id, $2, merchant_id, 'pending', 0, $3, NULL, $3, NULL FROM webhook_endpoints WHERE id = $1 AND merchant_id = $4 AND disabled_at IS NULL";
        INSERT_CUSTOMER_EVENT = "INSERT INTO customer_events (id, customer_id, kind, body, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING";
        SELECT_CUSTOMER_EVENTS_AFTER = "SELECT seq, id, customer_id, kind, body, created_at FROM customer_events WHERE customer_id = $1 AND seq > $2 ORDER BY seq LIMIT $3";
        SELECT_LAST_CUSTOMER_EVENT_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM customer_events WHERE customer_id = $1";
        SELECT_LAST_EVENT_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM merchant_events WHERE merchant_id = $1";

        /// A merchant's events of one kind since a time. $1 merchant, $2 kind, $3 since.
        COUNT_RECENT_EVENTS = "SELECT COUNT(*) FROM merchant_events WHERE merchant_id = $1 AND kind = $2 AND created_at >= $3";
        COUNT_LIVE_ENDPOINTS = "SELECT COUNT(*) FROM webhook_endpoints WHERE merchant_id = $1 AND disabled_at IS NULL";
        INSERT_ENDPOINT = "INSERT INTO webhook_endpoints (id, merchant_id, url, secret, events, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)";
        SELECT_ENDPOINTS = "SELECT id, merchant_id, url, secret, events, created_at, disabled_at FROM webhook_endpoints WHERE merchant_id = $1 ORDER BY created_at LIMIT 100";
        SELECT_ENDPOINT = "SELECT id, merchant_id, url, secret, events, created_at, disabled_at FROM webhook_endpoints WHERE id = $1 AND merchant_id = $2";
        DISABLE_ENDPOINT = "UPDATE webhook_endpoints SET disabled_at = $3 WHERE id = $1 AND merchant_id = $2 AND disabled_at IS NULL";
        /// A disabled endpoint's waiting deliveries will never be sent.
        ABANDON_ENDPOINT_DELIVERIES = "UPDATE webhook_deliveries SET status = 'failed' WHERE endpoint_id = $1 AND status = 'pending'";
        SELECT_DUE_DELIVERIES = "SELECT d.endpoint_id, d.event_id, e.kind, w.url, w.secret, e.body, d.attempts FROM webhook_deliveries d JOIN merchant_events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.lease_until IS NULL OR d.lease_until <= $1) ORDER BY d.next_attempt_at LIMIT $2";
        /// A compare-and-set: only one sender, in any process, wins a delivery's lease.
        LEASE_DELIVERY = "UPDATE webhook_deliveries SET lease_until = $3 WHERE endpoint_id = $1 AND event_id = $2 AND status = 'pending' AND attempts = $4 AND (lease_until IS NULL OR lease_until <= $5)";
        INSERT_ATTEMPT = "INSERT INTO webhook_attempts (endpoint_id, event_id, attempt, at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING";
        FINISH_ATTEMPT = "UPDATE webhook_deliveries SET status = $3, attempts = $4, next_attempt_at = $5, lease_until = NULL, delivered_at = $6 WHERE endpoint_id = $1 AND event_id = $2";
        SELECT_DELIVERIES = "SELECT d.endpoint_id, d.event_id, e.kind, d.status, d.attempts, d.next_attempt_at, d.created_at, d.delivered_at FROM webhook_deliveries d JOIN merchant_events e ON e.id = d.event_id WHERE d.endpoint_id = $1 AND d.merchant_id = $2 AND d.created_at < $3 ORDER BY d.created_at DESC LIMIT $4";
        SELECT_DELIVERY = "SELECT d.endpoint_id, d.event_id, e.kind, d.status, d.attempts, d.next_attempt_at, d.created_at, d.delivered_at FROM webhook_deliveries d JOIN merchant_events e ON e.id = d.event_id WHERE d.endpoint_id = $1 AND d.event_id = $2 AND d.merchant_id = $3";
        SELECT_ATTEMPTS = "SELECT attempt, at, status_code, error, duration_ms FROM webhook_attempts WHERE endpoint_id = $1 AND event_id = $2 ORDER BY attempt LIMIT 100";
        /// Sends a delivery again from now, whatever became of it (only if its endpoint is live).
        REDELIVER = "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $4, lease_until = NULL WHERE endpoint_id = $1 AND event_id = $2 AND merchant_id = $3 AND EXISTS (SELECT 1 FROM webhook_endpoints w WHERE w.id = $1 AND w.disabled_at IS NULL)";
    }
}

/// Writes an event and its webhook deliveries inside the caller's transaction.
pub(crate) async fn insert_event<B: Backend>(conn: &mut crate::Conn<B>, event: &EventRecord) -> StoreResult<()> {
    if let Some(lock) = B::DIALECT.order_events {
        execute::<B::Db>(conn, "ordering events", Statement::new(lock)).await?;
    }
    let insert = Statement::new(sql::INSERT_EVENT)
        .bind(event.id)
        .bind(event.merchant_id)
        .bind(&event.till)
        .bind(&event.kind)
        .bind(&event.body)
        .bind(event.created_at);
    execute::<B::Db>(conn, "inserting an event", insert).await?;
    let fan_out = Statement::new(sql::FAN_OUT_EVENT)
        .bind(event.id)
        .bind(event.created_at)
        .bind(event.merchant_id)
        .bind(&event.kind);
    execute::<B::Db>(conn, "queueing webhook deliveries", fan_out).await?;
    if let Some(customer) = event.customer_id {
        let record = CustomerEventRecord {
            seq: 0,
            id: event.id,
            customer_id: customer,
            kind: event.kind.clone(),
            body: event.body.clone(),
            created_at: event.created_at,
        };
        insert_customer_event::<B>(conn, &record).await?;
    }
    Ok(())
}

/// Writes a customer's event inside the caller's transaction (after the ordering lock, if any).
pub(crate) async fn insert_customer_event<B: Backend>(
    conn: &mut crate::Conn<B>,
    event: &CustomerEventRecord,
) -> StoreResult<u64> {
    let insert = Statement::new(sql::INSERT_CUSTOMER_EVENT)
        .bind(event.id)
        .bind(event.customer_id)
        .bind(&event.kind)
        .bind(&event.body)
        .bind(event.created_at);
    execute::<B::Db>(conn, "inserting a customer event", insert).await
}

fn delivery_key(delivery: &DueDelivery) -> (Uuid, Uuid) {
    (delivery.endpoint_id, delivery.event_id)
}

#[async_trait]
impl<B: Backend> EventStore for SqlStore<B> {
    async fn events_after(
        &self,
        merchant: MerchantId,
        after: i64,
        till: &str,
        limit: u32,
    ) -> StoreResult<Vec<EventRecord>> {
        let statement = Statement::new(sql::SELECT_EVENTS_AFTER)
            .bind(merchant)
            .bind(after)
            .bind(till)
            .bind(limit.min(MAX_EVENT_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "reading events", statement).await
    }

    async fn last_event_seq(&self, merchant: MerchantId) -> StoreResult<i64> {
        let statement = Statement::new(sql::SELECT_LAST_EVENT_SEQ).bind(merchant);
        let mut conn = self.reader().await?;
        let Scalar(seq) = fetch_one::<B::Db, Scalar<i64>>(&mut conn, "reading the last event", statement).await?;
        Ok(seq)
    }

    async fn customer_events_after(
        &self,
        customer: UserId,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<CustomerEventRecord>> {
        let statement = Statement::new(sql::SELECT_CUSTOMER_EVENTS_AFTER)
            .bind(customer)
            .bind(after)
            .bind(limit.min(MAX_EVENT_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "reading a customer's events", statement).await
    }

    async fn last_customer_event_seq(&self, customer: UserId) -> StoreResult<i64> {
        let statement = Statement::new(sql::SELECT_LAST_CUSTOMER_EVENT_SEQ).bind(customer);
        let mut conn = self.reader().await?;
        let Scalar(seq) =
            fetch_one::<B::Db, Scalar<i64>>(&mut conn, "reading a customer's last event", statement).await?;
        Ok(seq)
    }

    async fn insert_customer_event(&self, event: &CustomerEventRecord) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if let Some(lock) = B::DIALECT.order_events {
            execute::<B::Db>(&mut tx, "ordering events", Statement::new(lock)).await?;
        }
        let inserted = insert_customer_event::<B>(&mut tx, event).await?;
        tx.commit().await.map_err(db_error("committing a customer event"))?;
        Ok(inserted == 1)
    }

    async fn insert_endpoint_event(
        &self,
        event: &EventRecord,
        endpoint: Uuid,
        (since, max): (Timestamp, u32),
    ) -> StoreResult<EndpointEvent> {
        let mut tx = self.begin().await?;
        // The ordering lock (or SQLite's one writer) also makes the count and the insert one step.
        if let Some(lock) = B::DIALECT.order_events {
            execute::<B::Db>(&mut tx, "ordering events", Statement::new(lock)).await?;
        }
        let count = Statement::new(sql::COUNT_RECENT_EVENTS).bind(event.merchant_id).bind(&event.kind).bind(since);
        let Scalar(recent): Scalar<i64> = fetch_one::<B::Db, _>(&mut tx, "counting recent events", count).await?;
        if recent >= i64::from(max) {
            return Ok(EndpointEvent::OverQuota);
        }
        let insert = Statement::new(sql::INSERT_EVENT)
            .bind(event.id)
            .bind(event.merchant_id)
            .bind(&event.till)
            .bind(&event.kind)
            .bind(&event.body)
            .bind(event.created_at);
        execute::<B::Db>(&mut tx, "inserting a test event", insert).await?;
        let queue = Statement::new(sql::QUEUE_ENDPOINT_DELIVERY)
            .bind(endpoint)
            .bind(event.id)
            .bind(event.created_at)
            .bind(event.merchant_id);
        if execute::<B::Db>(&mut tx, "queueing a test delivery", queue).await? != 1 {
            return Ok(EndpointEvent::NoEndpoint);
        }
        tx.commit().await.map_err(db_error("committing a test event"))?;
        Ok(EndpointEvent::Queued)
    }

    async fn insert_webhook_endpoint(&self, endpoint: &WebhookEndpointRecord, max_live: u32) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let count = Statement::new(sql::COUNT_LIVE_ENDPOINTS).bind(endpoint.merchant_id);
        let Scalar(live): Scalar<i64> = fetch_one::<B::Db, _>(&mut tx, "counting webhook endpoints", count).await?;
        if live >= i64::from(max_live) {
            return Ok(false);
        }
        let events = endpoint.events.join(" ");
        let insert = Statement::new(sql::INSERT_ENDPOINT)
            .bind(endpoint.id)
            .bind(endpoint.merchant_id)
            .bind(&endpoint.url)
            .bind(&endpoint.secret)
            .bind(&events)
            .bind(endpoint.created_at);
        execute::<B::Db>(&mut tx, "inserting a webhook endpoint", insert).await?;
        tx.commit().await.map_err(db_error("committing a webhook endpoint"))?;
        Ok(true)
    }

    async fn webhook_endpoints(&self, merchant: MerchantId) -> StoreResult<Vec<WebhookEndpointRecord>> {
        let statement = Statement::new(sql::SELECT_ENDPOINTS).bind(merchant);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing webhook endpoints", statement).await
    }

    async fn webhook_endpoint(&self, id: Uuid, merchant: MerchantId) -> StoreResult<Option<WebhookEndpointRecord>> {
        let statement = Statement::new(sql::SELECT_ENDPOINT).bind(id).bind(merchant);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "reading a webhook endpoint", statement).await
    }

    async fn disable_webhook_endpoint(&self, id: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let disable = Statement::new(sql::DISABLE_ENDPOINT).bind(id).bind(merchant).bind(now);
        if execute::<B::Db>(&mut tx, "disabling a webhook endpoint", disable).await? != 1 {
            return Ok(false);
        }
        let abandon = Statement::new(sql::ABANDON_ENDPOINT_DELIVERIES).bind(id);
        execute::<B::Db>(&mut tx, "abandoning deliveries", abandon).await?;
        tx.commit().await.map_err(db_error("committing a webhook endpoint"))?;
        Ok(true)
    }

    async fn due_deliveries(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<DueDelivery>> {
        let statement = Statement::new(sql::SELECT_DUE_DELIVERIES).bind(now).bind(limit.min(MAX_DELIVERY_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "reading due deliveries", statement).await
    }

    async fn lease_delivery(&self, delivery: &DueDelivery, now: Timestamp, until: Timestamp) -> StoreResult<bool> {
        let (endpoint, event) = delivery_key(delivery);
        let statement = Statement::new(sql::LEASE_DELIVERY)
            .bind(endpoint)
            .bind(event)
            .bind(until)
            .bind(delivery.attempts)
            .bind(now);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "leasing a delivery", statement).await? == 1)
    }

    async fn record_attempt(
        &self,
        delivery: &DueDelivery,
        attempt: &AttemptRecord,
        outcome: WebhookDeliveryOutcome,
    ) -> StoreResult<()> {
        let (status, next, delivered_at) = match outcome {
            WebhookDeliveryOutcome::Delivered => ("delivered", attempt.at, Some(attempt.at)),
            WebhookDeliveryOutcome::RetryAt(at) => ("pending", at, None),
            WebhookDeliveryOutcome::GaveUp => ("failed", attempt.at, None),
        };
        let (endpoint, event) = delivery_key(delivery);
        let mut tx = self.begin().await?;
        let insert = Statement::new(sql::INSERT_ATTEMPT)
            .bind(endpoint)
            .bind(event)
            .bind(attempt.attempt)
            .bind(attempt.at)
            .bind(attempt.status_code.map(u32::from))
            .bind(&attempt.error)
            .bind(attempt.duration_ms);
        execute::<B::Db>(&mut tx, "recording an attempt", insert).await?;
        let finish = Statement::new(sql::FINISH_ATTEMPT)
            .bind(endpoint)
            .bind(event)
            .bind(status)
            .bind(attempt.attempt)
            .bind(next)
            .bind(delivered_at);
        execute::<B::Db>(&mut tx, "updating a delivery", finish).await?;
        tx.commit().await.map_err(db_error("committing an attempt"))
    }

    async fn deliveries(
        &self,
        endpoint: Uuid,
        merchant: MerchantId,
        before: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<WebhookDeliveryRecord>> {
        let statement = Statement::new(sql::SELECT_DELIVERIES)
            .bind(endpoint)
            .bind(merchant)
            .bind(before)
            .bind(limit.min(MAX_DELIVERY_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing deliveries", statement).await
    }

    async fn delivery(
        &self,
        endpoint: Uuid,
        event: Uuid,
        merchant: MerchantId,
    ) -> StoreResult<Option<WebhookDeliveryRecord>> {
        let statement = Statement::new(sql::SELECT_DELIVERY).bind(endpoint).bind(event).bind(merchant);
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a delivery", statement).await
    }

    async fn delivery_attempts(&self, endpoint: Uuid, event: Uuid) -> StoreResult<Vec<AttemptRecord>> {
        let statement = Statement::new(sql::SELECT_ATTEMPTS).bind(endpoint).bind(event);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "listing attempts", statement).await
    }

    async fn redeliver(&self, endpoint: Uuid, event: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool> {
        let statement = Statement::new(sql::REDELIVER).bind(endpoint).bind(event).bind(merchant).bind(now);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "queueing a redelivery", statement).await? == 1)
    }
}
