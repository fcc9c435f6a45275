//! Merchant events: what a till hears live (Server-Sent Events) and what
//! webhooks deliver. An event is written in the same transaction as the
//! change it reports, so an acknowledged payment always has its event.
//!
//! A live stream reads the store, not process memory, so a till connected
//! to one Quipu process hears payments taken by another; events written by
//! this process wake its streams at once, others are seen within
//! `Settings::event_poll_interval`.

use quipu_domain::Timestamp;
use quipu_domain::identity::MerchantId;
use quipu_domain::payment::PaymentStatus;
use quipu_store::events::{EventRecord, MAX_EVENT_PAGE};
use quipu_store::payments::PaymentRecord;
use serde::Serialize;
use uuid::Uuid;

use crate::Services;
use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::views::rfc3339;

/// Every event kind a merchant may subscribe to.
pub const EVENT_KINDS: [&str; 4] =
    ["payment.awaiting_approval", "payment.completed", "payment.failed", "refund.completed"];

/// The JSON every event is delivered as, over SSE and webhooks alike.
#[derive(Serialize)]
struct EventBody<'a, T: Serialize> {
    id: Uuid,
    #[serde(rename = "type")]
    kind: &'a str,
    created_at: String,
    data: T,
}

/// A new event about `data`, for the merchant and till it concerns.
pub(crate) fn new_event(
    kind: &str,
    merchant: MerchantId,
    till: &str,
    data: impl Serialize,
    now: Timestamp,
) -> CoreResult<EventRecord> {
    let id = Uuid::now_v7();
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
    })
}

/// The event kind a payment reaching `status` raises, if any.
pub(crate) fn payment_event_kind(status: PaymentStatus) -> Option<&'static str> {
    match status {
        PaymentStatus::AwaitingApproval => Some("payment.awaiting_approval"),
        PaymentStatus::Completed => Some("payment.completed"),
        PaymentStatus::Failed => Some("payment.failed"),
        PaymentStatus::Processing | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded => None,
    }
}

/// The event for a payment that has just moved to its current status.
pub(crate) fn payment_event(
    payment: &PaymentRecord,
    merchant_name: &str,
    now: Timestamp,
) -> CoreResult<Option<EventRecord>> {
    let Some(kind) = payment_event_kind(payment.status) else {
        return Ok(None);
    };
    let view = crate::payments::payment_view(payment, merchant_name);
    new_event(kind, payment.merchant_id, &payment.till, view, now).map(Some)
}

/// Where a till's live stream starts and what it may see.
#[derive(Debug, Clone)]
pub struct EventCursor {
    pub merchant: MerchantId,
    pub till: String,
    /// The seq of the last event the till has seen.
    pub after: i64,
}

impl Services {
    /// Opens a till's event stream: from `after` (the `Last-Event-ID` a
    /// reconnecting till sends), or from now.
    pub async fn open_event_stream(
        &self,
        principal: &Principal,
        after: Option<i64>,
        till: Option<&str>,
    ) -> CoreResult<EventCursor> {
        let merchant = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let till = crate::merchant_qr::till_label(till)?;
        let after = match after {
            Some(seq) if seq >= 0 => seq,
            Some(_) => return Err(CoreError::invalid("invalid_event_id", "an event id is a non-negative number")),
            None => self.store.last_event_seq(merchant).await?,
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
        let events = self.store.events_after(cursor.merchant, cursor.after, &cursor.till, MAX_EVENT_PAGE).await?;
        if let Some(last) = events.last() {
            self.ledger.durable().await?;
            cursor.after = last.seq;
        }
        Ok(events)
    }

    /// Waits until this process writes an event or the poll interval passes.
    pub async fn wait_for_events(&self) {
        let _ = tokio::time::timeout(self.settings.event_poll_interval, self.events_written.notified()).await;
    }
}
