//! Events: live streams for merchants and people, and merchants' webhooks.

pub mod requests;
pub mod views;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use quipu_core::Services;
use quipu_core::events::{CustomerCursor, EventCursor};
use quipu_core::store::events::{CustomerEventRecord, EventRecord};
use quipu_domain::payment::TillLabel;
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use quipu_http::problem::{ApiError, Problem};
use quipu_http::streams::StreamPermit;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::watch;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::AppState;
use crate::common::ApiResult;
use crate::common::requests::PageParams;
use crate::routes::Routes;

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(my_events))
        .routes(routes!(events))
        .routes(routes!(webhooks, create_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(deliveries))
        .routes(routes!(test_webhook))
        .routes(routes!(redeliver))
}

/// Live events for a merchant's tills: `payment.completed`, `payment.failed`,
/// `payment.awaiting_approval`, `refund.completed`. Each SSE message's `id`
/// is the event's sequence number; a till that reconnects sends it back as
/// `Last-Event-ID` and receives what it missed.
#[utoipa::path(get, path = "/api/v1/merchant/events", tag = "merchant integration", security(("bearer" = [])),
    params(EventStreamParams, ("Last-Event-ID" = Option<String>, Header, description = "The last event id seen, to resume")),
    responses((status = 200, content_type = "text/event-stream", description = "An endless stream of events"),
        (status = 403, body = Problem), (status = 429, body = Problem), (status = 503, body = Problem)))]
pub async fn events(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<EventStreamParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let after = resume_after(&headers, params.after)?;
    let till = TillLabel::parse(params.till.as_deref()).map_err(quipu_core::CoreError::from)?;
    let cursor = state.services.events.open_stream(&caller, after, till).await?;
    let owner = caller.require_merchant()?;
    let permit = state.http.streams.open(owner.0)?;
    Ok(LiveStream::open(&state, cursor, permit).into_sse())
}

/// Where a reconnecting stream resumes: `Last-Event-ID`, or `?after=`.
fn resume_after(headers: &HeaderMap, after: Option<String>) -> ApiResult<Option<i64>> {
    let resume = headers.get("last-event-id").and_then(|v| v.to_str().ok()).map(str::to_owned).or(after);
    match resume {
        Some(text) => Ok(Some(text.trim().parse::<i64>().map_err(|_| {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_event_id", "Last-Event-ID is an event's number")
        })?)),
        None => Ok(None),
    }
}

/// A customer's own live events: `payment.awaiting_approval` (a payment waits for your PIN),
/// `payment.completed`, `payment.failed`, `refund.completed`, `money.received`, their orders'
/// `order.*`, and `market.back_in_stock` (a product they wait for is back). Each message's
/// `id` is the event's number; an app that reconnects sends it back as `Last-Event-ID` and
/// receives what it missed.
#[utoipa::path(get, path = "/api/v1/me/events", tag = "payments", security(("bearer" = [])),
    params(CustomerEventParams, ("Last-Event-ID" = Option<String>, Header, description = "The last event id seen, to resume")),
    responses((status = 200, content_type = "text/event-stream", description = "An endless stream of events"),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 429, body = Problem),
        (status = 503, body = Problem)))]
pub async fn my_events(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<CustomerEventParams>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let after = resume_after(&headers, params.after)?;
    let cursor = state.services.events.open_customer_stream(&caller, after).await?;
    let permit = state.http.streams.open(cursor.customer.0)?;
    Ok(LiveStream::open(&state, cursor, permit).into_sse())
}

/// What a live stream reads: a till's events, or a customer's, after its cursor.
trait StreamCursor: Send + 'static {
    type Record: Send;
    /// The next events after the cursor, which moves past them.
    fn fetch<'a>(
        &'a mut self,
        services: &'a Services,
    ) -> impl Future<Output = quipu_core::CoreResult<Vec<Self::Record>>> + Send + 'a;
    /// The record as an SSE message: its number as the id, its kind as the event, its body as the data.
    fn message(record: Self::Record) -> Event;
}

impl StreamCursor for EventCursor {
    type Record = EventRecord;

    fn fetch<'a>(
        &'a mut self,
        services: &'a Services,
    ) -> impl Future<Output = quipu_core::CoreResult<Vec<EventRecord>>> + Send + 'a {
        services.events.next_events(self)
    }

    fn message(record: EventRecord) -> Event {
        Event::default().id(record.seq.to_string()).event(record.kind).data(record.body)
    }
}

impl StreamCursor for CustomerCursor {
    type Record = CustomerEventRecord;

    fn fetch<'a>(
        &'a mut self,
        services: &'a Services,
    ) -> impl Future<Output = quipu_core::CoreResult<Vec<CustomerEventRecord>>> + Send + 'a {
        services.events.next_customer_events(self)
    }

    fn message(record: CustomerEventRecord) -> Event {
        Event::default().id(record.seq.to_string()).event(record.kind).data(record.body)
    }
}

/// One till's or customer's stream; it ends when the server shuts down or
/// the store fails (the client reconnects with `Last-Event-ID` and loses nothing).
struct LiveStream<C: StreamCursor> {
    services: Arc<Services>,
    cursor: C,
    pending: VecDeque<C::Record>,
    closing: watch::Receiver<bool>,
    _permit: StreamPermit,
}

impl<C: StreamCursor> LiveStream<C> {
    fn open(state: &AppState, cursor: C, permit: StreamPermit) -> Self {
        Self {
            services: state.services.clone(),
            cursor,
            pending: VecDeque::new(),
            closing: state.closing.subscribe(),
            _permit: permit,
        }
    }

    fn into_sse(self) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        Sse::new(futures_util::stream::unfold(self, Self::next)).keep_alive(KeepAlive::default())
    }

    async fn next(mut self) -> Option<(Result<Event, Infallible>, Self)> {
        loop {
            if *self.closing.borrow() {
                return None;
            }
            if let Some(record) = self.pending.pop_front() {
                return Some((Ok(C::message(record)), self));
            }
            match self.cursor.fetch(&self.services).await {
                Ok(records) if !records.is_empty() => self.pending.extend(records),
                Ok(_) => {
                    tokio::select! {
                        () = self.services.events.wait_for_events() => {}
                        _ = self.closing.changed() => return None,
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "a live event stream ended");
                    return None;
                }
            }
        }
    }
}

/// Subscribe an HTTPS endpoint to events. The signing secret in the answer is shown once.
#[utoipa::path(post, path = "/api/v1/merchant/webhooks", tag = "merchant integration", security(("bearer" = [])),
    request_body = CreateWebhookRequest,
    responses((status = 201, body = WebhookCreatedView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_webhook(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateWebhookRequest>,
) -> ApiResult<(StatusCode, axum::Json<WebhookCreatedView>)> {
    let events = body.events.unwrap_or_default();
    let created = state.services.events.create_webhook(&caller, &body.url, &events).await?;
    Ok((StatusCode::CREATED, axum::Json(WebhookCreatedView::from(&created))))
}

/// The merchant's webhook endpoints.
#[utoipa::path(get, path = "/api/v1/merchant/webhooks", tag = "merchant integration", security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookView>), (status = 403, body = Problem)))]
pub async fn webhooks(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<WebhookView>>> {
    Ok(axum::Json(state.services.events.webhooks(&caller).await?.iter().map(WebhookView::from).collect()))
}

/// Stop sending to an endpoint, for good.
#[utoipa::path(delete, path = "/api/v1/merchant/webhooks/{id}", tag = "merchant integration", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<StatusCode> {
    state.services.events.delete_webhook(&caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's deliveries, newest first, with every attempt.
#[utoipa::path(get, path = "/api/v1/merchant/webhooks/{id}/deliveries", tag = "merchant integration", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), PageParams), responses((status = 200, body = WebhookDeliveryPage), (status = 403, body = Problem)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiQuery(params): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<WebhookDeliveryPage>> {
    let page = state.services.events.deliveries(&caller, id, params.cursor.as_deref(), params.limit).await?;
    Ok(axum::Json(WebhookDeliveryPage::from(&page)))
}

/// Send a `webhook.test` event to this endpoint alone, through the outbox like any delivery (signed,
/// retried, listed among its deliveries); tills do not hear it.
#[utoipa::path(post, path = "/api/v1/merchant/webhooks/{id}/test", tag = "merchant integration",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path)),
    responses((status = 201, body = WebhookDeliveryView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 429, description = "The merchant sent its 20 test events of the hour", body = Problem)))]
pub async fn test_webhook(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<(StatusCode, axum::Json<WebhookDeliveryView>)> {
    let delivery = state.services.events.test_webhook(&caller, id).await?;
    Ok((StatusCode::CREATED, axum::Json(WebhookDeliveryView::from(&delivery))))
}

/// Send one delivery again, now.
#[utoipa::path(post, path = "/api/v1/merchant/webhooks/{id}/deliveries/{event_id}/redeliver", tag = "merchant integration",
    security(("bearer" = [])), params(("id" = uuid::Uuid, Path), ("event_id" = uuid::Uuid, Path)),
    responses((status = 200, body = WebhookDeliveryView), (status = 404, body = Problem)))]
pub async fn redeliver(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath((id, event_id)): ApiPath<(uuid::Uuid, uuid::Uuid)>,
) -> ApiResult<axum::Json<WebhookDeliveryView>> {
    Ok(axum::Json(WebhookDeliveryView::from(&state.services.events.redeliver(&caller, id, event_id).await?)))
}
