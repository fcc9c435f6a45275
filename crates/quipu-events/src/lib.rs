//! Merchant events: what a till hears live (Server-Sent Events) and what
//! webhooks deliver. An event is written in the same transaction as the
//! change it reports, so an acknowledged payment always has its event.
//!
//! A live stream reads the store, not process memory, so a till connected
//! to one Quipu process hears payments taken by another; events written by
//! this process wake its streams at once, others are seen within
//! `Settings::event_poll_interval`.
//!
//! Depends on the kernel alone: the contexts that raise events (payments)
//! build them with [`new_event`] and hand them to the store with the change.

pub mod webhooks;

use std::sync::Arc;

use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::payment::TillLabel;
use quipu_kernel::text::rfc3339;
use quipu_kernel::{CoreError, CoreResult, Kernel, Principal};
use quipu_store::events::{CustomerEventRecord, EventRecord, MAX_EVENT_PAGE};
use serde::Serialize;
use serde_json::value::RawValue;
use uuid::Uuid;

pub use crate::webhooks::{Webhook, WebhookCreated, WebhookDelivery, WebhookDeliveryPage};

/// What a customer hears on their own stream: their payments' events (as the merchant's, with the
/// same ids) and money they received.
pub const CUSTOMER_EVENT_KINDS: [&str; 5] =
    ["payment.awaiting_approval", "payment.completed", "payment.failed", "refund.completed", "money.received"];

/// The event a webhook test sends: to one endpoint, never to tills.
pub const TEST_EVENT_KIND: &str = "webhook.test";

/// Every event kind a merchant may subscribe to: payments, and each step of a delivery (and a
/// delivery nobody claimed in time).
pub const EVENT_KINDS: [&str; 14] = [
    "payment.awaiting_approval",
    "payment.completed",
    "payment.failed",
    "refund.completed",
    "delivery.offered",
    "delivery.claimed",
    "delivery.at_pickup",
    "delivery.picked_up",
    "delivery.at_drop_off",
    "delivery.delivered",
    "delivery.returning",
    "delivery.returned",
    "delivery.cancelled",
    "delivery.unclaimed",
];

/// The JSON every event is delivered as, over SSE and webhooks alike.
#[derive(Serialize)]
struct EventBody<'a> {
    id: Uuid,
    #[serde(rename = "type")]
    kind: &'a str,
    created_at: String,
    data: &'a RawValue,
}

/// A new event about `data`, for the merchant and till it concerns.
pub fn new_event(
    kernel: &Kernel,
    kind: &str,
    merchant: MerchantId,
    till: &str,
    data: &RawValue,
    now: Timestamp,
) -> CoreResult<EventRecord> {
    let id = kernel.new_id();
    let body = serde_json::to_string(&EventBody { id, kind, created_at: rfc3339(now), data })
        .map_err(|error| CoreError::invalid("unserialisable_event", error.to_string()))?;
    Ok(EventRecord {
        seq: 0,
        id,
        merchant_id: merchant,
        till: till.to_owned(),
        kind: kind.to_owned(),
        body,
        created_at: now,
        customer_id: None,
    })
}

/// A new event for a customer alone (money they received), with a caller-chosen `id` derived
/// from what raised it, so a retry writes it once.
pub fn new_customer_event(
    id: Uuid,
    kind: &str,
    customer: UserId,
    data: &RawValue,
    now: Timestamp,
) -> CoreResult<CustomerEventRecord> {
    let body = serde_json::to_string(&EventBody { id, kind, created_at: rfc3339(now), data })
        .map_err(|error| CoreError::invalid("unserialisable_event", error.to_string()))?;
    Ok(CustomerEventRecord { seq: 0, id, customer_id: customer, kind: kind.to_owned(), body, created_at: now })
}

/// Where a customer's live stream starts.
#[derive(Debug, Clone)]
pub struct CustomerCursor {
    pub customer: UserId,
    /// The seq of the last event the customer has seen.
    pub after: i64,
}

/// Where a till's live stream starts and what it may see.
#[derive(Debug, Clone)]
pub struct EventCursor {
    pub merchant: MerchantId,
    pub till: TillLabel,
    /// The seq of the last event the till has seen.
    pub after: i64,
}

/// Live streams and webhooks for merchants.
#[derive(Clone)]
pub struct Events {
    kernel: Arc<Kernel>,
}

impl Events {
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }

    /// Opens a till's event stream: from `after` (the `Last-Event-ID` a
    /// reconnecting till sends), or from now.
    pub async fn open_stream(
        &self,
        principal: &Principal,
        after: Option<i64>,
        till: TillLabel,
    ) -> CoreResult<EventCursor> {
        let merchant = principal.require_merchant()?;
        let after = match after {
            Some(seq) if seq >= 0 => seq,
            Some(_) => return Err(CoreError::invalid("invalid_event_id", "an event id is a non-negative number")),
            None => self.kernel.store.last_event_seq(merchant).await?,
        };
        Ok(EventCursor { merchant, till, after })
    }

    /// The next events for a stream, oldest first; advances the cursor.
    ///
    /// Events commit without waiting for the disk (see `LedgerStore::sync`), so a
    /// stream may read one that is not yet durable; it waits for the
    /// durability barrier before handing any out, so a till never hears of a
    /// payment a crash could take back.
    pub async fn next_events(&self, cursor: &mut EventCursor) -> CoreResult<Vec<EventRecord>> {
        let store = &self.kernel.store;
        let events = store.events_after(cursor.merchant, cursor.after, cursor.till.as_str(), MAX_EVENT_PAGE).await?;
        if let Some(last) = events.last() {
            self.kernel.ledger.durable().await?;
            cursor.after = last.seq;
        }
        Ok(events)
    }

    /// Opens a customer's own event stream: from `after` (a reconnecting app's `Last-Event-ID`), or from now.
    pub async fn open_customer_stream(&self, principal: &Principal, after: Option<i64>) -> CoreResult<CustomerCursor> {
        let customer = principal.require(Role::Customer)?;
        let after = match after {
            Some(seq) if seq >= 0 => seq,
            Some(_) => return Err(CoreError::invalid("invalid_event_id", "an event id is a non-negative number")),
            None => self.kernel.store.last_customer_event_seq(customer).await?,
        };
        Ok(CustomerCursor { customer, after })
    }

    /// The next events for a customer's stream, oldest first, once durable; advances the cursor.
    pub async fn next_customer_events(&self, cursor: &mut CustomerCursor) -> CoreResult<Vec<CustomerEventRecord>> {
        let events = self.kernel.store.customer_events_after(cursor.customer, cursor.after, MAX_EVENT_PAGE).await?;
        if let Some(last) = events.last() {
            self.kernel.ledger.durable().await?;
            cursor.after = last.seq;
        }
        Ok(events)
    }

    /// Waits until this process writes an event or the poll interval passes.
    pub async fn wait_for_events(&self) {
        self.kernel.wait_for_events(self.kernel.settings.event_poll_interval).await;
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.kernel.now()
    }
}
