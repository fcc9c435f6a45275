//! Product images over HTTP. The owner uploads a photo as `multipart/form-data` (one field,
//! `file`, up to 8 MiB, under `Policy::uploads()`) and removes one; anyone fetches either size at
//! its content-hashed URL, cacheable for a year since the URL names the file's exact bytes. The
//! upload itself is never stored, so never served.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quipu_core::market::images::is_sha256_hex;
use quipu_domain::market::ProductId;
use quipu_http::MAX_UPLOAD_BYTES;
use quipu_http::extract::{ApiPath, Caller};
use quipu_http::problem::{ApiError, Problem};
use utoipa::ToSchema;

use super::views::ProductView;
use crate::AppState;
use crate::common::ApiResult;

/// Where a stored image file is served; its SHA-256 follows.
pub const IMAGE_PATH: &str = "/api/v1/market/images/";

/// A year, and never revalidated: what a URL answers never changes.
const IMMUTABLE: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// The upload's one field. Its name and declared type are not believed: the bytes say what it is.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImageUpload {
    /// A photo: JPEG, PNG or WebP, up to 8 MiB, 8000 pixels a side and 25 megapixels.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

fn multipart_error(error: &MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        let mib = MAX_UPLOAD_BYTES / (1024 * 1024);
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", format!("an upload is at most {mib} MiB"))
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("the upload cannot be read: {}", error.body_text()),
        )
    }
}

/// The bytes of the upload's one field, `file`; any other field, or a second file, is malformed.
pub(crate) async fn file(mut multipart: Multipart) -> ApiResult<Vec<u8>> {
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(|error| multipart_error(&error))? {
        if field.name() != Some("file") || file.is_some() {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", "an upload has one field, `file`"));
        }
        file = Some(Vec::from(field.bytes().await.map_err(|error| multipart_error(&error))?));
    }
    file.ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", "send the image in a field named `file`"))
}

/// The owner shows a photo on a product, after its other images (at most six): it is made into a
/// 200-pixel thumbnail and an 800-pixel detail size, JPEGs of at most 15 KB and 80 KB with nothing
/// of the upload's metadata (its orientation applied first), and the upload is thrown away. The
/// same photo again changes nothing (200).
#[utoipa::path(post, path = "/api/v1/merchant/products/{id}/images", tag = "market", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses((status = 201, description = "Shown on the product, after its other images", body = ProductView),
        (status = 200, description = "The product shows this image already", body = ProductView),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, description = "The product's images changed meanwhile", body = Problem),
        (status = 413, description = "The upload is larger than 8 MiB", body = Problem),
        (status = 415, description = "The body is not multipart/form-data", body = Problem),
        (status = 422, description = "Not a JPEG, PNG or WebP (`image_format_unsupported`); larger than 8000 pixels a side or 25 megapixels, by its header, before anything is decoded (`image_too_large`); unreadable (`image_invalid`); or the product shows six images already (`too_many_images`)", body = Problem),
        (status = 503, description = "Images are being processed, or the database is unavailable; retry", body = Problem)))]
pub async fn add_product_image(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath(id): ApiPath<uuid::Uuid>,
    upload: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let upload = upload.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the image as multipart/form-data, in a field named `file`",
        )
    })?;
    let market = &state.services.market;
    // Nothing is read for a product the caller may not change.
    market.own_product(&caller, ProductId(id)).await?;
    let (product, added) = market.add_product_image(&caller, ProductId(id), file(upload).await?).await?;
    let status = if added { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(ProductView::from(&product))).into_response())
}

/// The owner stops showing an image on a product; its files go when no product shows them.
#[utoipa::path(delete, path = "/api/v1/merchant/products/{id}/images/{image}", tag = "market", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path),
        ("image" = String, Path, description = "The image's id, from the product's `images`", pattern = "^[0-9a-f]{64}$",
            example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")),
    responses((status = 200, description = "The product, without the image", body = ProductView),
        (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_product_image(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiPath((id, image)): ApiPath<(uuid::Uuid, String)>,
) -> ApiResult<axum::Json<ProductView>> {
    if !is_sha256_hex(&image) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", "an image's id is 64 lowercase hex digits"));
    }
    let product = state.services.market.remove_product_image(&caller, ProductId(id), &image).await?;
    Ok(axum::Json(ProductView::from(&product)))
}

/// Whether an `If-None-Match` header names `etag` (or is `*`).
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split(',').map(str::trim).any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag))
}

/// A product image file, by the hash a product's view gives; no sign-in. Its URL names its exact
/// bytes, so it may be kept for a year without asking again (a request with `If-None-Match` of
/// its ETag is answered 304). Images of hidden products are served too: their URLs cannot be
/// guessed, and are given only to those who may see the product.
#[utoipa::path(get, path = "/api/v1/market/images/{sha256}", tag = "market",
    params(("sha256" = String, Path, description = "The file's SHA-256", pattern = "^[0-9a-f]{64}$",
        example = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")),
    responses((status = 200, description = "The JPEG", content_type = "image/jpeg",
            headers(("Cache-Control" = String, description = "public, max-age=31536000, immutable"),
                ("ETag" = String, description = "The SHA-256, quoted"))),
        (status = 304, description = "Not modified: the If-None-Match sent names this file",
            headers(("Cache-Control" = String), ("ETag" = String))),
        (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn image_file(
    State(state): State<AppState>,
    ApiPath(sha256): ApiPath<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !is_sha256_hex(&sha256) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_path",
            "an image's hash is 64 lowercase hex digits",
        ));
    }
    let etag = format!("\"{sha256}\"");
    let cached = |status: StatusCode| -> ApiResult<Response> {
        let mut response = status.into_response();
        let etag = HeaderValue::from_str(&etag)
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", "not a hash"))?;
        response.headers_mut().insert(header::ETAG, etag);
        response.headers_mut().insert(header::CACHE_CONTROL, IMMUTABLE);
        Ok(response)
    };
    // The hash names the bytes: whoever holds the tag holds the file, and nothing is read.
    if matches(&headers, &etag) {
        return cached(StatusCode::NOT_MODIFIED);
    }
    let file = state.services.market.image_file(&sha256).await?;
    let content_type =
        HeaderValue::from_str(&file.content_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut response = cached(StatusCode::OK)?;
    response.headers_mut().insert(header::CONTENT_TYPE, content_type);
    *response.body_mut() = axum::body::Body::from(file.bytes);
    Ok(response)
}
