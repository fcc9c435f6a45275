//! The request bodies and query parameters of this context, and how each becomes domain values.

use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerEventParams {
    /// Resume after this event id, for clients that cannot send `Last-Event-ID`.
    #[param(example = "42")]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventStreamParams {
    /// Only this till's events (its label); all of the merchant's if absent.
    #[param(
        example = "till-1",
        pattern = "^(?:[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,14}[A-Za-z0-9_-])?)?$",
        max_length = 16
    )]
    pub till: Option<String>,
    /// Resume after this event id, for clients that cannot send `Last-Event-ID`.
    #[param(example = "42")]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// An https URL on the public internet, at most 500 characters.
    #[schema(example = "https://example.com/hooks/quipu")]
    pub url: String,
    /// Event types to receive: payment.awaiting_approval, payment.completed, payment.failed,
    /// refund.completed; absent or `["*"]` for all.
    #[schema(example = json!(["payment.completed"]))]
    pub events: Option<Vec<String>>,
}
