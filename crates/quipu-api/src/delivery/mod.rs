//! Delivery: the operator signs couriers up; a courier goes online, reads offers, claims a job and
//! steps it to the door; the shop and the operator read jobs and assign them. Thin over
//! `quipu_core::delivery`.

pub mod requests;
pub mod views;

use axum::extract::State;
use axum::response::IntoResponse;
use quipu_core::identity::NewWorker;
use quipu_domain::delivery::JobId;
use quipu_domain::identity::UserId;
use quipu_domain::market::checkout::OrderId;
use quipu_http::Policy;
use quipu_http::extract::{ApiJson, ApiPath, ApiQuery, Caller};
use quipu_http::problem::Problem;
use utoipa_axum::routes;

use self::requests::*;
use self::views::*;
use crate::AppState;
use crate::common::{ApiResult, created};
use crate::identity::requests::CreateAgentRequest;
use crate::identity::views::AgentView;
use crate::routes::Routes;

/// This context's routes, each declared once: served, and documented, from here.
pub fn routes() -> Routes {
    Routes::under(Policy::writes())
        .routes(routes!(onboard_courier, couriers))
        .routes(routes!(courier_me))
        .routes(routes!(set_courier_status))
        .routes(routes!(offers))
        .routes(routes!(my_jobs))
        .routes(routes!(job))
        .routes(routes!(claim_job))
        .routes(routes!(step_job))
        .routes(routes!(assign_job))
        .routes(routes!(order_job))
        .routes(routes!(report_positions))
        .routes(routes!(my_order_delivery))
        .routes(routes!(shop_order_tracking))
        .routes(routes!(deliver_job))
        .routes(routes!(confirm_return))
        .routes(routes!(live_jobs))
        .routes(routes!(cancel_job))
        .routes(routes!(tip_courier))
        .routes(routes!(courier_position))
}

type JobAnswer = ApiResult<axum::Json<JobView>>;

fn answer(job: &quipu_core::delivery::Job) -> JobAnswer {
    Ok(axum::Json(JobView::from(job)))
}

/// The operator signs up a courier: a login, a PIN, a wallet in every currency (earnings land
/// there), and how they work.
#[utoipa::path(post, path = "/api/v1/operator/couriers", tag = "delivery", security(("bearer" = [])),
    request_body = CreateCourierRequest,
    responses((status = 201, body = NewCourierView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "No such area or shop", body = Problem), (status = 409, body = Problem)))]
pub async fn onboard_courier(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CreateCourierRequest>,
) -> ApiResult<impl IntoResponse> {
    let input = body.input()?;
    let login =
        CreateAgentRequest { phone: body.phone, full_name: body.full_name, password: body.password, pin: body.pin };
    let worker = NewWorker::try_from(&login)?;
    let (profile, courier) = state.services.onboard_courier(&caller, &worker, &input).await?;
    Ok(created(NewCourierView { login: AgentView::from(&profile), courier: CourierView::from(&courier) }))
}

/// The operator's couriers, newest first.
#[utoipa::path(get, path = "/api/v1/operator/couriers", tag = "delivery", security(("bearer" = [])),
    responses((status = 200, body = [CourierView]), (status = 403, body = Problem)))]
pub async fn couriers(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<CourierView>>> {
    let couriers = state.services.delivery.couriers(&caller, 100, 0).await?;
    Ok(axum::Json(couriers.iter().map(CourierView::from).collect()))
}

/// The calling courier: how they work, and whether they are online.
#[utoipa::path(get, path = "/api/v1/courier/me", tag = "delivery", security(("bearer" = [])),
    responses((status = 200, body = CourierView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn courier_me(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<CourierView>> {
    Ok(axum::Json(CourierView::from(&state.services.delivery.me(&caller).await?)))
}

/// The calling courier goes online (sees and claims offers) or offline.
#[utoipa::path(put, path = "/api/v1/courier/status", tag = "delivery", security(("bearer" = [])),
    request_body = CourierStatusRequest,
    responses((status = 200, body = CourierView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn set_courier_status(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<CourierStatusRequest>,
) -> ApiResult<axum::Json<CourierView>> {
    Ok(axum::Json(CourierView::from(&state.services.delivery.set_online(&caller, body.online).await?)))
}

/// The jobs offered to the calling courier now, nearest shop first; none while offline.
#[utoipa::path(get, path = "/api/v1/courier/offers", tag = "delivery", security(("bearer" = [])),
    responses((status = 200, body = [JobOfferView]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn offers(State(state): State<AppState>, Caller(caller): Caller) -> ApiResult<axum::Json<Vec<JobOfferView>>> {
    let offers = state.services.delivery.offers(&caller).await?;
    Ok(axum::Json(offers.iter().map(JobOfferView::from).collect()))
}

/// The calling courier's jobs, newest first (`active=true`: only those under way).
#[utoipa::path(get, path = "/api/v1/courier/jobs", tag = "delivery", security(("bearer" = [])),
    params(CourierJobsQuery),
    responses((status = 200, body = [JobView]), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn my_jobs(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(query): ApiQuery<CourierJobsQuery>,
) -> ApiResult<axum::Json<Vec<JobView>>> {
    let jobs = state.services.delivery.my_jobs(&caller, query.active, 50).await?;
    Ok(axum::Json(jobs.iter().map(JobView::from).collect()))
}

/// One job, for its courier, its shop or the operator.
#[utoipa::path(get, path = "/api/v1/jobs/{id}", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = JobView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn job(State(state): State<AppState>, Caller(caller): Caller, ApiPath(id): ApiPath<uuid::Uuid>) -> JobAnswer {
    answer(&state.services.delivery.job(&caller, JobId(id)).await?)
}

/// The calling courier claims an offered job: of couriers claiming at once, one wins and the
/// others are told it is taken.
#[utoipa::path(post, path = "/api/v1/courier/jobs/{id}/claim", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = JobView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "Another courier claimed it first", body = Problem), (status = 422, body = Problem)))]
pub async fn claim_job(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> JobAnswer {
    answer(&state.services.delivery.claim(&caller, JobId(id)).await?)
}

/// The calling courier's step on their job: at_pickup, picked_up (once the shop marked the order
/// ready), at_drop_off, returning (with a reason), or offered (dropping it before pickup).
#[utoipa::path(post, path = "/api/v1/courier/jobs/{id}/step", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = JobStepRequest,
    responses((status = 200, body = JobView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn step_job(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<JobStepRequest>,
) -> JobAnswer {
    let to = body.status()?;
    answer(&state.services.delivery.courier_step(&caller, JobId(id), to, body.reason).await?)
}

/// The shop or the operator gives a job to a courier (an offered one, or one not yet picked up).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/assign", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = AssignJobRequest,
    responses((status = 200, body = JobView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_job(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<AssignJobRequest>,
) -> JobAnswer {
    answer(&state.services.delivery.assign(&caller, JobId(id), UserId(body.courier_id)).await?)
}

/// The delivery job of one of the shop's orders (there is one once a delivery order is accepted).
#[utoipa::path(get, path = "/api/v1/merchant/orders/{id}/delivery", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = JobView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn order_job(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> JobAnswer {
    answer(&state.services.delivery.job(&caller, JobId::of_order(OrderId(id))).await?)
}

/// The calling courier's phone sends positions it took on their job (batched when signal
/// returns). A bad one refuses the batch; ones older than the last kept are skipped.
#[utoipa::path(post, path = "/api/v1/courier/jobs/{id}/positions", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = PositionsRequest,
    responses((status = 200, body = PositionsTakenView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn report_positions(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<PositionsRequest>,
) -> ApiResult<axum::Json<PositionsTakenView>> {
    let fixes = body.fixes()?;
    let taken = state.services.delivery.report_positions(&caller, JobId(id), &fixes).await?;
    Ok(axum::Json(PositionsTakenView::from(&taken)))
}

/// The delivery of the caller's order: its step and, while the courier is on the way, how far
/// they are and about when they arrive.
#[utoipa::path(get, path = "/api/v1/me/orders/{id}/delivery", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = TrackingView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn my_order_delivery(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<TrackingView>> {
    Ok(axum::Json(TrackingView::from(&state.services.delivery.tracking(&caller, OrderId(id)).await?)))
}

/// How far the courier coming for one of the shop's orders is (and, after pickup, from the door).
#[utoipa::path(get, path = "/api/v1/merchant/orders/{id}/tracking", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = TrackingView), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn shop_order_tracking(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> ApiResult<axum::Json<TrackingView>> {
    Ok(axum::Json(TrackingView::from(&state.services.delivery.tracking(&caller, OrderId(id)).await?)))
}

/// The calling courier hands the goods over with the customer's four-digit code: the order is
/// completed, its hold captured, and the courier paid (the delivery fee and any tip) in the same
/// linked ledger chain. Wrong codes are counted: five lock the code for 15 minutes (423). With
/// `typed_at`, a code taken at the door without signal is checked now and nothing is paid before.
#[utoipa::path(post, path = "/api/v1/courier/jobs/{id}/deliver", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = DeliverRequest,
    responses((status = 200, body = JobView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 423, body = Problem)))]
pub async fn deliver_job(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<DeliverRequest>,
) -> JobAnswer {
    let typed_at = body.typed_at()?;
    answer(&state.services.delivery.deliver(&caller, JobId(id), &body.code, typed_at).await?)
}

/// The shop (or the operator) has the goods a courier brought back: the courier is paid for the
/// ride, and the order ends by the shop's policy for returned goods (`refund`: the customer's
/// money goes back; `charge`: a meal is paid for as delivered).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/confirm-return", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = JobView), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn confirm_return(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
) -> JobAnswer {
    answer(&state.services.delivery.confirm_return(&caller, JobId(id)).await?)
}

/// The operator's live board: every job under way, oldest first, with its age.
#[utoipa::path(get, path = "/api/v1/operator/jobs", tag = "delivery", security(("bearer" = [])),
    responses((status = 200, body = [LiveJobView]), (status = 403, body = Problem)))]
pub async fn live_jobs(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> ApiResult<axum::Json<Vec<LiveJobView>>> {
    let jobs = state.services.delivery.live_jobs(&caller).await?;
    let now = state.services.kernel.now();
    Ok(axum::Json(jobs.iter().map(|job| LiveJobView::new(job, now)).collect()))
}

/// The operator cancels a delivery nobody has picked up yet, saying why: its order is cancelled
/// and the customer's money goes back.
#[utoipa::path(post, path = "/api/v1/operator/jobs/{id}/cancel", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = CancelJobRequest,
    responses((status = 200, body = JobView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel_job(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<CancelJobRequest>,
) -> JobAnswer {
    answer(&state.services.delivery.cancel_by_operator(&caller, JobId(id), &body.reason).await?)
}

/// The customer adds a tip for the courier bringing their order (once, after pickup), with their
/// PIN: held from their wallet, paid to the courier at hand-over, given back if the goods return.
#[utoipa::path(post, path = "/api/v1/me/orders/{id}/tip", tag = "delivery", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = TipRequest,
    responses((status = 200, body = TipView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 423, body = Problem)))]
pub async fn tip_courier(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    ApiJson(body): ApiJson<TipRequest>,
) -> ApiResult<axum::Json<TipView>> {
    let amount = body.amount(state.services.kernel.settings.currencies.default_currency())?;
    let pin = body.pin()?;
    let job = state.services.delivery.add_tip(&caller, OrderId(id), amount, &pin).await?;
    Ok(axum::Json(TipView { order_id: id, tip: crate::common::views::MoneyView::new(job.tip, job.currency) }))
}

/// Where the calling courier is while online between jobs (dispatch measures offers from it):
/// one fix, checked like a job's.
#[utoipa::path(put, path = "/api/v1/courier/position", tag = "delivery", security(("bearer" = [])),
    request_body = PositionRequest,
    responses((status = 204), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn courier_position(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiJson(body): ApiJson<PositionRequest>,
) -> ApiResult<axum::http::StatusCode> {
    state.services.delivery.report_position(&caller, body.fix()?).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
