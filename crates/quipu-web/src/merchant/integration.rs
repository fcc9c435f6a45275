//! The shop owner's integrations: API keys for the shop's own servers
//! (created, shown once on the answer to the form, listed, revoked) and
//! webhook endpoints (added, their signing secret shown once, listed with
//! their deliveries and every attempt, a delivery sent again, a test event
//! sent, deleted). Each is the API's own service call.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::events::requests::CreateWebhookRequest;
use quipu_api::events::views::{WebhookCreatedView, WebhookDeliveryPage, WebhookView};
use quipu_api::identity::requests::CreateApiKeyRequest;
use quipu_api::identity::views::{ApiKeyInfoView, ApiKeyView};
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::{Posted, Typed};
use crate::merchant::query_string;
use crate::page::{self, Chrome, Done, Notice, failed};
use quipu_domain::identity::Role;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/merchant/api-keys", get(api_keys).post(create_api_key))
        .route("/merchant/api-keys/{id}/revoke", post(revoke_api_key))
        .route("/merchant/webhooks", get(webhooks).post(create_webhook))
        .route("/merchant/webhooks/{id}", get(deliveries))
        .route("/merchant/webhooks/{id}/delete", post(delete_webhook))
        .route("/merchant/webhooks/{id}/test", post(test_webhook))
        .route("/merchant/webhooks/{id}/deliveries/{event_id}/redeliver", post(redeliver))
}

#[derive(Template)]
#[template(path = "merchant/api-keys.html")]
struct ApiKeysPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    keys: Vec<ApiKeyInfoView>,
}

/// `GET /merchant/api-keys`: the shop's keys (name, prefix, created, last used), never their secrets.
async fn api_keys(State(state): State<WebState>, who: SignedIn, Query(done): Query<Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    show_api_keys(&state, &who, done.notice(who.chrome().t, &["key-revoked"]), Typed::default(), StatusCode::OK).await
}

async fn show_api_keys(state: &WebState, who: &SignedIn, notice: Notice, typed: Typed, status: StatusCode) -> Response {
    match state.http.services.identity.api_keys(&who.principal).await {
        Ok(list) => {
            let keys = list.iter().map(ApiKeyInfoView::from).collect();
            page::html(&ApiKeysPage { c: who.chrome(), notice, typed, keys }, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

#[derive(Template)]
#[template(path = "merchant/api-key.html")]
struct NewKeyPage {
    c: Chrome,
    key: ApiKeyView,
}

/// `POST /merchant/api-keys`: the API's new key, shown on this answer once (never in a URL, never again).
async fn create_api_key(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: CreateApiKeyRequest = posted.request()?;
        let name = body.name()?;
        Ok::<_, ApiError>(state.http.services.identity.create_api_key(&who.principal, name.as_ref()).await?)
    };
    match attempt.await {
        Ok(key) => {
            page::html(&NewKeyPage { c: who.chrome(), key: ApiKeyView::from(&key) }, StatusCode::CREATED, who.reader())
        }
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_api_keys(&state, &who, notice, posted.typed(), error.status).await
        }
    }
}

/// `POST /merchant/api-keys/{id}/revoke`: the API's revocation; requests with the key fail from now on.
async fn revoke_api_key(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    _checked: Posted,
) -> Response {
    let attempt = async { Ok::<_, ApiError>(state.http.services.identity.revoke_api_key(&who.principal, id).await?) };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/api-keys?done=key-revoked"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_api_keys(&state, &who, notice, Typed::default(), error.status).await
        }
    }
}

#[derive(Template)]
#[template(path = "merchant/webhooks.html")]
struct WebhooksPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
    endpoints: Vec<WebhookView>,
    /// The event types an endpoint may choose, and whether the form shows each chosen.
    kinds: Vec<(&'static str, bool)>,
}

/// `GET /merchant/webhooks`: the shop's endpoints, and a form to add one.
async fn webhooks(State(state): State<WebState>, who: SignedIn, Query(done): Query<Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    show_webhooks(&state, &who, done.notice(who.chrome().t, &["webhook-deleted"]), Typed::default(), StatusCode::OK)
        .await
}

async fn show_webhooks(state: &WebState, who: &SignedIn, notice: Notice, typed: Typed, status: StatusCode) -> Response {
    show_webhooks_choosing(state, who, notice, typed, None, status).await
}

/// The page, with the event types ticked on a refused form still ticked (all of them on a fresh form).
async fn show_webhooks_choosing(
    state: &WebState,
    who: &SignedIn,
    notice: Notice,
    typed: Typed,
    chosen: Option<&[String]>,
    status: StatusCode,
) -> Response {
    match state.http.services.events.webhooks(&who.principal).await {
        Ok(list) => {
            let endpoints = list.iter().map(WebhookView::from).collect();
            let kinds = quipu_core::events::EVENT_KINDS
                .iter()
                .map(|kind| (*kind, chosen.is_none_or(|chosen| chosen.iter().any(|c| c == kind))))
                .collect();
            page::html(&WebhooksPage { c: who.chrome(), notice, typed, endpoints, kinds }, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

#[derive(Template)]
#[template(path = "merchant/webhook.html")]
struct NewWebhookPage {
    c: Chrome,
    created: WebhookCreatedView,
}

/// `POST /merchant/webhooks`: the API's new endpoint, for the event types ticked (at least one); its
/// signing secret is shown on this answer once.
async fn create_webhook(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let events = posted.all("events");
    let attempt = async {
        let body: CreateWebhookRequest = posted.only(&["url"]).request()?;
        if events.is_empty() {
            let detail = "choose at least one event type";
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_event_types", detail));
        }
        Ok(state.http.services.events.create_webhook(&who.principal, &body.url, &events).await?)
    };
    match attempt.await {
        Ok(created) => {
            let page = NewWebhookPage { c: who.chrome(), created: WebhookCreatedView::from(&created) };
            page::html(&page, StatusCode::CREATED, who.reader())
        }
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_webhooks_choosing(&state, &who, notice, posted.typed(), Some(&events), error.status).await
        }
    }
}

/// `POST /merchant/webhooks/{id}/delete`: the API's deletion; nothing is sent to it again.
async fn delete_webhook(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    _checked: Posted,
) -> Response {
    let attempt = async { Ok::<_, ApiError>(state.http.services.events.delete_webhook(&who.principal, id).await?) };
    match attempt.await {
        Ok(()) => page::see_other("/merchant/webhooks?done=webhook-deleted"),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_webhooks(&state, &who, notice, Typed::default(), error.status).await
        }
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct DeliveriesQuery {
    cursor: Option<String>,
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "merchant/deliveries.html")]
struct DeliveriesPage {
    c: Chrome,
    notice: Notice,
    endpoint: WebhookView,
    page: WebhookDeliveryPage,
    older: String,
}

/// `GET /merchant/webhooks/{id}`: one endpoint's deliveries, newest first, each with every attempt.
async fn deliveries(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    Query(query): Query<DeliveriesQuery>,
) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::MerchantOwner]) {
        return refused;
    }
    let notice = Done { done: query.done.clone() }.notice(who.chrome().t, &["test-sent", "redelivered"]);
    show_deliveries(&state, &who, id, query.cursor.as_deref(), notice, StatusCode::OK).await
}

async fn show_deliveries(
    state: &WebState,
    who: &SignedIn,
    id: uuid::Uuid,
    cursor: Option<&str>,
    notice: Notice,
    status: StatusCode,
) -> Response {
    let events = &state.http.services.events;
    let loaded = async {
        let endpoints = events.webhooks(&who.principal).await?;
        let endpoint = endpoints
            .iter()
            .find(|endpoint| endpoint.id == id)
            .map(WebhookView::from)
            .ok_or_else(|| quipu_core::CoreError::not_found("webhook endpoint"))?;
        let page = events.deliveries(&who.principal, id, cursor, None).await?;
        Ok::<_, quipu_core::CoreError>((endpoint, WebhookDeliveryPage::from(&page)))
    };
    match loaded.await {
        Ok((endpoint, page)) => {
            let older = page
                .next_cursor
                .as_deref()
                .map(|cursor| format!("/merchant/webhooks/{id}?{}", query_string(&[("cursor", cursor)])))
                .unwrap_or_default();
            page::html(&DeliveriesPage { c: who.chrome(), notice, endpoint, page, older }, status, who.reader())
        }
        Err(error) => failed(who, &ApiError::from(error)),
    }
}

/// `POST /merchant/webhooks/{id}/test`: the API's `webhook.test` event, to this endpoint alone.
async fn test_webhook(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    _checked: Posted,
) -> Response {
    let attempt = async {
        state.http.services.events.test_webhook(&who.principal, id).await?;
        Ok::<_, ApiError>(())
    };
    after_delivery(&state, &who, id, "test-sent", attempt.await).await
}

/// `POST /merchant/webhooks/{id}/deliveries/{event_id}/redeliver`: the API's redelivery, now.
async fn redeliver(
    State(state): State<WebState>,
    who: SignedIn,
    Path((id, event_id)): Path<(uuid::Uuid, uuid::Uuid)>,
    _checked: Posted,
) -> Response {
    let attempt = async {
        state.http.services.events.redeliver(&who.principal, id, event_id).await?;
        Ok::<_, ApiError>(())
    };
    after_delivery(&state, &who, id, "redelivered", attempt.await).await
}

async fn after_delivery(
    state: &WebState,
    who: &SignedIn,
    id: uuid::Uuid,
    done: &str,
    outcome: Result<(), ApiError>,
) -> Response {
    match outcome {
        Ok(()) => page::see_other(&format!("/merchant/webhooks/{id}?done={done}")),
        Err(error) => {
            let notice = Notice::refused(who.chrome().t, &error);
            show_deliveries(state, who, id, None, notice, error.status).await
        }
    }
}
