//! What Quipu's HTTP faces share (the JSON API, and the web pages built on
//! it), so neither copies the other: who is calling ([`extract::Caller`]),
//! problem documents ([`problem`]), idempotent requests ([`idempotency`]),
//! the durability barrier ([`durable_answers`]), the per-address rate limit
//! ([`rate_limit`]), request metrics, the limits every request lives under
//! ([`common_layers`]), and what each router's requests may send and wait
//! for ([`Policy`]).

pub mod extract;
pub mod idempotency;
pub mod problem;
pub mod rate_limit;
pub mod session;
pub mod streams;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use quipu_core::Services;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body of a JSON object or a form: every such Quipu request is small.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Largest request body of an upload (images, CSV files), where a router says it takes uploads.
pub const MAX_UPLOAD_BYTES: usize = 8 * 1024 * 1024;
/// Longest a request may take before the client gets 408 and should retry with the same key.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The body limit of the route a request is on, for extractors that read the body themselves
/// (`extract::ApiJson`); absent, [`MAX_BODY_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit(pub usize);

/// What only the HTTP layer tunes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// Logins and registrations (and card balance checks) per client address per minute; 0 turns the limit off.
    pub auth_requests_per_minute: u32,
    /// Take the client address from the last `X-Forwarded-For` entry (only behind a proxy you run).
    pub trust_forwarded_for: bool,
    /// The site is reached over HTTPS through a proxy that terminates TLS: cookies are marked `Secure`
    /// (when Quipu terminates TLS itself it knows, and marks them anyway).
    pub secure_cookies: bool,
    /// Live event streams one process serves at once; each holds a connection open.
    pub max_event_streams: u32,
    /// Live event streams one merchant (or person) may hold at once, so one cannot lock the others out.
    pub max_event_streams_per_owner: u32,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            auth_requests_per_minute: 30,
            trust_forwarded_for: false,
            secure_cookies: false,
            max_event_streams: 1000,
            max_event_streams_per_owner: 50,
        }
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
    pub streams: Arc<streams::StreamQuota>,
}

impl Http {
    pub fn new(services: Arc<Services>, settings: HttpSettings) -> Self {
        let streams = streams::StreamQuota::new(settings.max_event_streams, settings.max_event_streams_per_owner);
        Self { services, settings, in_flight: Arc::default(), rate_limiter: Arc::default(), streams: Arc::new(streams) }
    }
}

/// What a router's requests may send and what their answers wait for, chosen where a context
/// declares its routes: the body limit, the durability barrier ([`durable_answers`]), and the
/// per-address rate limit of the routes anyone may call unsigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Largest request body; a larger one is refused with 413 before its handler runs.
    pub max_body_bytes: usize,
    /// A write (any method but GET, HEAD and OPTIONS) is answered only once it is durable.
    pub durable: bool,
    /// Requests are counted per client address ([`rate_limit::limit_by_address`]).
    pub limited_by_address: bool,
}

impl Policy {
    /// A small JSON body or form that may write: answered once durable. Anything that writes a row
    /// or counts a guessed secret (a PIN, a password, a card number) lives under this one.
    pub const fn writes() -> Self {
        Self { max_body_bytes: MAX_BODY_BYTES, durable: true, limited_by_address: false }
    }

    /// A small body that writes nothing (a preview, a lookup read back before a PIN): answered at
    /// once, without waiting for the next durability barrier.
    pub const fn writes_nothing() -> Self {
        Self { durable: false, ..Self::writes() }
    }

    /// An upload (multipart images, CSV files): up to [`MAX_UPLOAD_BYTES`], answered once durable.
    pub const fn uploads() -> Self {
        Self { max_body_bytes: MAX_UPLOAD_BYTES, ..Self::writes() }
    }

    /// The same, counted per client address: the routes anyone may call unsigned.
    /// The same, taking bodies of up to `max_body_bytes` (a catalog's product with its options).
    pub const fn with_max_body(self, max_body_bytes: usize) -> Self {
        Self { max_body_bytes, ..self }
    }

    pub const fn limited_by_address(self) -> Self {
        Self { limited_by_address: true, ..self }
    }

    /// Applies the policy to a router's routes only (not its fallbacks), so routers of different
    /// policies merge into one. The body limit is outermost, as it was when one policy held for all.
    pub fn route_layer<S: Clone + Send + Sync + 'static>(self, mut router: Router<S>, http: &Http) -> Router<S> {
        if self.limited_by_address {
            router = router.route_layer(middleware::from_fn_with_state(http.clone(), rate_limit::limit_by_address));
        }
        if self.durable {
            router = router.route_layer(middleware::from_fn_with_state(http.clone(), durable_answers));
        }
        router.route_layer(axum::Extension(BodyLimit(self.max_body_bytes))).route_layer(self.body_limit())
    }

    /// Applies the policy to every request a router gets, its fallbacks' too (a face with one policy).
    pub fn layer<S: Clone + Send + Sync + 'static>(self, mut router: Router<S>, http: &Http) -> Router<S> {
        if self.limited_by_address {
            router = router.layer(middleware::from_fn_with_state(http.clone(), rate_limit::limit_by_address));
        }
        if self.durable {
            router = router.layer(middleware::from_fn_with_state(http.clone(), durable_answers));
        }
        router.layer(axum::Extension(BodyLimit(self.max_body_bytes))).layer(self.body_limit())
    }

    /// The body limit alone: what a handler's body extractor (JSON, form, bytes) reads at most.
    pub fn body_limit(self) -> DefaultBodyLimit {
        DefaultBodyLimit::max(self.max_body_bytes)
    }
}

/// The layers every request passes, whatever its router's [`Policy`]: the time limit, hardening
/// headers, request metrics, and tracing that never logs headers or bodies (tokens, PINs).
pub fn common_layers<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .layer(middleware::from_fn(record_request))
        .layer(TraceLayer::new_for_http())
        // Hardening headers, outermost so every answer has them (a timeout's too). Nothing is cached
        // unless its handler says so (answers carry tokens, card numbers and statements; a static asset
        // sets its own `Cache-Control`); no answer is framed or type-sniffed, and no page leaks its URL
        // (which may hold an id) to another site. A page that loads something sets its own, strict, policy.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        ))
}

/// For a server that terminates TLS itself: every answer tells the browser to come back over HTTPS
/// only, for a year (`Strict-Transport-Security`), so a later visit typed as `http://` never goes out
/// in the clear. Not sent over plain http, where browsers ignore it and a proxy in front decides.
pub fn strict_transport<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(SetResponseHeaderLayer::overriding(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    ))
}

/// The policy of an answer that sets none: it loads nothing, runs nothing, and is never framed.
pub const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

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

#[cfg(test)]
mod tests {
    use axum::body::{Body, Bytes};
    use axum::routing::post;
    use tower::ServiceExt;

    use super::*;

    /// What a route under `policy` answers to a body of `bytes`, read whole by its handler.
    async fn status(policy: Policy, bytes: usize) -> StatusCode {
        let router: Router = Router::new()
            .route("/", post(|body: Bytes| async move { body.len().to_string() }))
            .route_layer(policy.body_limit());
        let request = Request::post("/").body(Body::from(vec![b'x'; bytes])).unwrap();
        router.oneshot(request).await.unwrap().status()
    }

    /// An image or a CSV file is refused where a small JSON body is expected, and taken where a
    /// router says it takes uploads, up to their own limit.
    #[tokio::test]
    async fn an_upload_passes_where_uploads_are_taken_and_nowhere_else() {
        let image = 2 * 1024 * 1024;
        assert_eq!(status(Policy::writes(), image).await, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(status(Policy::writes_nothing(), image).await, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(status(Policy::uploads(), image).await, StatusCode::OK);
        assert_eq!(status(Policy::uploads(), MAX_UPLOAD_BYTES + 1).await, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(status(Policy::writes(), MAX_BODY_BYTES).await, StatusCode::OK);
    }
}
