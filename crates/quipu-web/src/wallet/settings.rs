//! The wallet's own settings: the phones that may pay (pause, resume,
//! revoke), the prepaid cards linked to the person (balance, block,
//! unblock with the card's PIN), the language, the PIN and the password.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use quipu_api::cards::requests::UnblockCardRequest;
use quipu_api::cards::views::CardView;
use quipu_api::identity::requests::{ChangePasswordRequest, ChangePinRequest};
use quipu_api::payments::views::DeviceView;
use quipu_core::payments::DeviceAction;
use quipu_domain::card::CardId;
use quipu_domain::identity::{Pin, Role};
use quipu_domain::payment::DeviceId;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::auth::SignedIn;
use crate::form::Posted;
use crate::page::{self, Chrome, Notice};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/wallet/settings", get(settings))
        .route("/wallet/devices/{id}/{action}", post(change_device))
        .route("/wallet/cards/{id}/block", post(block_card))
        .route("/wallet/cards/{id}/unblock", post(unblock_card))
        .route("/wallet/pin", post(change_pin))
        .route("/wallet/password", post(change_password))
}

#[derive(Template)]
#[template(path = "wallet/settings.html")]
struct SettingsPage {
    c: Chrome,
    notice: Notice,
    devices: Vec<DeviceView>,
    cards: Vec<CardView>,
}

/// `GET /wallet/settings`.
async fn settings(State(state): State<WebState>, who: SignedIn, Query(done): Query<page::Done>) -> Response {
    if let Some(refused) = who.refused_unless(&[Role::Customer]) {
        return refused;
    }
    let notice = done.notice(who.chrome().t, &["device", "card", "pin", "password", "time-zone"]);
    show(&state, &who, notice, StatusCode::OK).await
}

pub(crate) async fn show(state: &WebState, who: &SignedIn, notice: Notice, status: StatusCode) -> Response {
    let services = &state.http.services;
    let loaded = async {
        let devices = services.payments.devices(&who.principal).await?;
        let cards = services.cards.my_cards(&who.principal).await?;
        Ok::<_, quipu_core::CoreError>((
            devices.iter().map(DeviceView::from).collect(),
            cards.iter().map(CardView::from).collect(),
        ))
    };
    match loaded.await {
        Ok((devices, cards)) => {
            page::html(&SettingsPage { c: who.chrome(), notice, devices, cards }, status, who.reader())
        }
        Err(error) => crate::page::failed(who, &ApiError::from(error)),
    }
}

/// After a settings form: the page again, with what happened or why not.
async fn after(state: &WebState, who: &SignedIn, outcome: Result<&str, ApiError>) -> Response {
    match outcome {
        Ok(done) => page::see_other(&format!("/wallet/settings?done={done}")),
        Err(error) => show(state, who, Notice::refused(who.chrome().t, &error), error.status).await,
    }
}

/// `POST /wallet/devices/{id}/{pause|resume|revoke}`.
async fn change_device(
    State(state): State<WebState>,
    who: SignedIn,
    Path((id, action)): Path<(uuid::Uuid, String)>,
    _checked: Posted,
) -> Response {
    let attempt = async {
        let action = match action.as_str() {
            "pause" => DeviceAction::Pause,
            "resume" => DeviceAction::Resume,
            "revoke" => DeviceAction::Revoke,
            _ => return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such action")),
        };
        state.http.services.payments.change_device(&who.principal, DeviceId(id), action).await?;
        Ok("device")
    };
    after(&state, &who, attempt.await).await
}

/// `POST /wallet/cards/{id}/block`: a lost card stops paying at once.
async fn block_card(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    _checked: Posted,
) -> Response {
    let attempt = async {
        state.http.services.cards.block_my_card(&who.principal, CardId(id)).await?;
        Ok("card")
    };
    after(&state, &who, attempt.await).await
}

/// `POST /wallet/cards/{id}/unblock`: with the card's PIN.
async fn unblock_card(
    State(state): State<WebState>,
    who: SignedIn,
    Path(id): Path<uuid::Uuid>,
    posted: Posted,
) -> Response {
    let attempt = async {
        let body: UnblockCardRequest = posted.request()?;
        let pin = Pin::try_from(&body)?;
        state.http.services.cards.unblock_my_card(&who.principal, CardId(id), &pin).await?;
        Ok("card")
    };
    after(&state, &who, attempt.await).await
}

/// `POST /wallet/pin`: a new PIN, proving the current one.
async fn change_pin(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: ChangePinRequest = posted.request()?;
        let (new, old) = <(_, _)>::try_from(&body)?;
        state.http.services.identity.set_pin(&who.principal, &new, old.as_ref()).await?;
        Ok("pin")
    };
    after(&state, &who, attempt.await).await
}

/// `POST /wallet/password`: a new password, proving the current one; the person's other sessions end.
async fn change_password(State(state): State<WebState>, who: SignedIn, posted: Posted) -> Response {
    let attempt = async {
        let body: ChangePasswordRequest = posted.request()?;
        let new = body.new_password()?;
        let identity = &state.http.services.identity;
        identity.change_password(&who.principal, &body.old_password, &new, Some(who.token())).await?;
        Ok("password")
    };
    after(&state, &who, attempt.await).await
}
