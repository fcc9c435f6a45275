//! RFC 9457 problem details: every error leaves as `application/problem+json`
//! with a stable machine-readable `code`.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quipu_core::{CoreError, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:quipu:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `insufficient_funds`, `pin_locked`, `limit_exceeded`.
    pub code: String,
    /// With `wrong_pin` and `wrong_password`: the wrong guesses left before the secret locks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// With a request refused whole for what is wrong with its parts (a CSV file's lines, a bulk
    /// change's items): each part's error, the first 100.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemItem>,
    /// How many more such errors there are beyond `errors`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more_errors: Option<u64>,
}

/// What is wrong with one part of a request refused whole.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemItem {
    /// A CSV file's line, as a spreadsheet numbers it (the header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 7)]
    pub line: Option<u64>,
    /// An item's place in the request's list, from 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<u64>,
    /// The column (of a file) or field (of an item) at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "price")]
    pub field: Option<String>,
    #[schema(example = "price_invalid")]
    pub code: String,
    #[schema(example = "a price is a positive amount such as 2900 or 2.90")]
    pub detail: String,
}

/// A problem document refusing a request for what is wrong with its parts: `errors` lists them
/// (the first ones), `more_errors` counts the rest.
pub fn problem_with_items(
    status: StatusCode,
    code: &'static str,
    detail: impl Into<String>,
    errors: Vec<ProblemItem>,
    more_errors: u64,
) -> Response {
    let problem = Problem {
        problem_type: format!("urn:quipu:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.into(),
        code: code.to_owned(),
        attempts_left: None,
        errors,
        more_errors: (more_errors > 0).then_some(more_errors),
    };
    problem_response(status, problem)
}

fn problem_response(status: StatusCode, problem: Problem) -> Response {
    let mut response = (status, Json(problem)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// See [`Problem::attempts_left`].
    pub attempts_left: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), attempts_left: None }
    }
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Rejected => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::Locked => StatusCode::LOCKED,
        ErrorKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        Self { attempts_left: error.attempts_left, ..Self::new(status_of(error.kind), error.code, error.detail) }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonSyntaxError(_) => {
                Self::new(StatusCode::BAD_REQUEST, "malformed_json", "the body is not valid JSON")
            }
            JsonRejection::JsonDataError(error) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_body", error.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as application/json",
            ),
            JsonRejection::BytesRejection(_) => Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the body is larger than this endpoint takes",
            ),
            other => Self::new(StatusCode::BAD_REQUEST, "invalid_body", other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_path", rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            problem_type: format!("urn:quipu:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
            attempts_left: self.attempts_left,
            errors: Vec::new(),
            more_errors: None,
        };
        problem_response(self.status, problem)
    }
}

/// Turns axum's own plain-text errors (unknown route, wrong method) into problems.
pub async fn fallback() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}
