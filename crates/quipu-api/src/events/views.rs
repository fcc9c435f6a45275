//! The JSON answers of this context, described for the OpenAPI document.

use quipu_core::events::{Webhook, WebhookCreated, WebhookDelivery, WebhookDeliveryPage as Deliveries};
use quipu_core::kernel::text::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: uuid::Uuid,
    pub url: String,
    /// Event types it receives; `*` for all.
    pub events: Vec<String>,
    pub created_at: String,
    pub disabled_at: Option<String>,
}

/// A new webhook endpoint and its signing secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookCreatedView {
    pub endpoint: WebhookView,
    /// Keys the HMAC-SHA256 in each delivery's `Quipu-Signature` header (see README).
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt: u32,
    pub at: String,
    /// The endpoint's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// Why the attempt failed; empty when it succeeded.
    pub error: String,
    pub duration_ms: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookDeliveryView {
    pub event_id: uuid::Uuid,
    pub event_type: String,
    /// pending, delivered or failed (attempts exhausted, or the endpoint was deleted).
    pub status: String,
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookDeliveryPage {
    pub deliveries: Vec<WebhookDeliveryView>,
    pub next_cursor: Option<String>,
}

impl From<&Webhook> for WebhookView {
    fn from(endpoint: &Webhook) -> Self {
        Self {
            id: endpoint.id,
            url: endpoint.url.clone(),
            events: endpoint.events.clone(),
            created_at: rfc3339(endpoint.created_at),
            disabled_at: endpoint.disabled_at.map(rfc3339),
        }
    }
}

impl From<&WebhookCreated> for WebhookCreatedView {
    fn from(created: &WebhookCreated) -> Self {
        Self { endpoint: WebhookView::from(&created.endpoint), secret: created.secret.clone() }
    }
}

impl From<&WebhookDelivery> for WebhookDeliveryView {
    fn from(delivery: &WebhookDelivery) -> Self {
        let record = &delivery.record;
        Self {
            event_id: record.event_id,
            event_type: record.event_kind.clone(),
            status: record.status.clone(),
            next_attempt_at: (record.status == "pending").then(|| rfc3339(record.next_attempt_at)),
            delivered_at: record.delivered_at.map(rfc3339),
            attempts: delivery
                .attempts
                .iter()
                .map(|a| AttemptView {
                    attempt: a.attempt,
                    at: rfc3339(a.at),
                    status_code: a.status_code,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

impl From<&Deliveries> for WebhookDeliveryPage {
    fn from(page: &Deliveries) -> Self {
        Self {
            deliveries: page.deliveries.iter().map(WebhookDeliveryView::from).collect(),
            next_cursor: page.next_cursor.clone(),
        }
    }
}
