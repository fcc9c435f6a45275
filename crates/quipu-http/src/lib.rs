//! What Quipu's HTTP faces share, so the web pages are a sibling of the
//! JSON API, not a copy of it: who is calling ([`extract::Caller`]),
//! problem documents ([`problem`]), idempotent requests ([`idempotency`]),
//! the durability barrier ([`durable_answers`]), the per-address rate limit
//! ([`rate_limit`]), request metrics, and the limits every request lives
//! under ([`common_layers`]).

pub mod extract;
pub mod idempotency;
pub mod problem;
pub mod rate_limit;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use quipu_core::Services;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body: every Quipu request is a small JSON object or form.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest a request may take before the client gets 408 and should retry with the same key.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What only the HTTP layer tunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// Logins and registrations (and card balance checks) per client address per minute; 0 turns the limit off.
    pub auth_requests_per_minute: u32,
    /// Take the client address from the last `X-Forwarded-For` entry (only behind a proxy you run).
    pub trust_forwarded_for: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self { auth_requests_per_minute: 30, trust_forwarded_for: false }
    }
}

/// The state every HTTP face needs; a face's own state holds one and hands
/// it out with `FromRef`.
#[derive(Clone)]
pub struct Http {
    pub services: Arc<Services>,
    pub settings: HttpSettings,
    /// Requests currently running, by (caller, Idempotency-Key).
    pub in_flight: Arc<idempotency::InFlight>,
    pub rate_limiter: Arc<rate_limit::RateLimiter>,
}

impl Http {
    pub fn new(services: Arc<Services>, settings: HttpSettings) -> Self {
        Self { services, settings, in_flight: Arc::default(), rate_limiter: Arc::default() }
    }
}

/// The layers every request passes: the durability barrier, the body limit,
/// the time limit, request metrics, and tracing that never logs headers or
/// bodies (tokens, PINs).
pub fn common_layers<S: Clone + Send + Sync + 'static>(router: Router<S>, http: Http) -> Router<S> {
    router
        .layer(middleware::from_fn_with_state(http, durable_answers))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn(record_request))
        .layer(TraceLayer::new_for_http())
}

/// Answers a request that may have written only once what it wrote is
/// durable: writes commit without waiting for the disk, and the ledger
/// writer's barrier makes them durable together with the next batch (see
/// `LedgerStore::sync`), so a request costs no fsync of its own. Reads (GET,
/// HEAD) write nothing and are answered at once.
pub async fn durable_answers(State(http): State<Http>, request: Request, next: Next) -> Response {
    let writes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(request).await;
    if !writes {
        return response;
    }
    match http.services.kernel.ledger.durable().await {
        Ok(()) => response,
        Err(error) => problem::ApiError::from(error).into_response(),
    }
}

/// Counts requests and their latency per route template (never per raw path,
/// which would put ids into metric labels).
async fn record_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("quipu_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("quipu_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
