//! Extractors that parse the edges of a request into checked values, and
//! reject with problem+json instead of axum's plain-text defaults.

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use quipu_core::{GuessSource, Principal};
use serde::de::DeserializeOwned;

use crate::Http;
use crate::problem::ApiError;
use crate::session;

/// JSON body extractor whose rejections are problem documents.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let limit = parts.extensions.get::<crate::BodyLimit>().map_or(crate::MAX_BODY_BYTES, |limit| limit.0);
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is larger than {limit} bytes"),
            )
        })?;
        let request = Request::from_parts(parts, axum::body::Body::from(bytes.clone()));
        let axum::Json(value) = axum::Json::<T>::from_request(request, state).await?;
        // Every body is a JSON object; serde would also read a struct from an array of its fields.
        if bytes.iter().find(|byte| !byte.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "invalid_body",
                "the body is a JSON object",
            ));
        }
        Ok(Self(value))
    }
}

/// The authenticated caller, from `Authorization: Bearer <session token or API key>`.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S> FromRequestParts<S> for Caller
where
    Http: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let http = Http::from_ref(state);
        let token = match bearer(parts) {
            Some(token) => token,
            None => session_cookie(parts)?.ok_or_else(|| {
                ApiError::new(
                    axum::http::StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "send Authorization: Bearer <token or API key>",
                )
            })?,
        };
        // The path as the client sent it: a nested router sees its own part of it.
        let path = parts.extensions.get::<axum::extract::OriginalUri>().map_or(parts.uri.path(), |uri| uri.0.path());
        let what = format!("{} {path}", parts.method);
        Ok(Self(http.services.kernel.authenticate(token, &what).await?))
    }
}

/// A page's own script calls the API with the browser's session cookie. The browser sends a cookie
/// whoever made the page, so a request that may change something must also carry the session's
/// CSRF token in `X-CSRF-Token`, which only our pages know.
fn session_cookie(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(token) = session::cookie(&parts.headers, session::SESSION_COOKIE) else {
        return Ok(None);
    };
    let safe = matches!(parts.method, Method::GET | Method::HEAD);
    let offered = parts.headers.get(session::CSRF_HEADER).and_then(|value| value.to_str().ok());
    if safe || offered.is_some_and(|offered| session::csrf_matches(token, offered)) {
        return Ok(Some(token));
    }
    Err(ApiError::new(
        axum::http::StatusCode::FORBIDDEN,
        "csrf_token_invalid",
        "a request signed in by cookie must carry the page's X-CSRF-Token",
    ))
}

/// The bearer credential of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The `Idempotency-Key` header: required on every request that moves money.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub String);

/// Longest key accepted; UUIDs and ULIDs fit with room to spare.
const MAX_KEY_LEN: usize = 64;

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let invalid = |detail: &str| {
            ApiError::new(axum::http::StatusCode::BAD_REQUEST, "idempotency_key_required", detail.to_owned())
        };
        let mut values = parts.headers.get_all("idempotency-key").iter();
        let value = values.next().ok_or_else(|| {
            invalid("send an Idempotency-Key header (e.g. a UUID) with every request that moves money")
        })?;
        // Two keys make the request ambiguous: a proxy and a client could each retry under a different one.
        if values.next().is_some() {
            return Err(invalid("send exactly one Idempotency-Key header"));
        }
        let key = value.to_str().map_err(|_| invalid("the Idempotency-Key must be ASCII"))?;
        let valid = !key.is_empty()
            && key.len() <= MAX_KEY_LEN
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        if valid {
            Ok(Self(key.to_owned()))
        } else {
            Err(invalid("the Idempotency-Key is 1 to 64 characters of letters, digits, '-', '_', '.', ':'"))
        }
    }
}

/// Who is guessing, for a request nobody signed: its client address (see
/// [`crate::rate_limit::client_address`]), so wrong secrets count against it.
#[derive(Debug, Clone)]
pub struct AddressSource(pub GuessSource);

impl<S> FromRequestParts<S> for AddressSource
where
    Http: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let trust_forwarded_for = Http::from_ref(state).settings.trust_forwarded_for;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
        let address = crate::rate_limit::client_address(peer, &parts.headers, trust_forwarded_for);
        // An IPv6 host holds a whole /64: its guesses count together, as its requests do.
        Ok(Self(GuessSource::address(address.map(crate::rate_limit::client_key))))
    }
}

/// Path parameters whose rejections are problem documents.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}

/// Query strings whose rejections are problem documents.
#[derive(Debug, Clone, Default)]
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Query(value) = axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Self(value))
    }
}
