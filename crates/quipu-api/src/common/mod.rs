//! What every context's handlers share: the result type, the 201 answer, and the views and
//! request parts more than one context uses (money, accounts, transfers, PINs, pages).

pub mod requests;
pub mod views;

use axum::http::StatusCode;
use quipu_http::problem::ApiError;

pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn created<T: serde::Serialize>(value: T) -> (StatusCode, axum::Json<T>) {
    (StatusCode::CREATED, axum::Json(value))
}
