//! Static files, compiled into the binary and served at content-hashed
//! URLs: a file's URL changes when its bytes do, so browsers may keep it for
//! a year and never ask again (a cheap phone on 2G pays for each request).

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use quipu_http::problem::ApiError;
use sha2::{Digest, Sha256};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: [Asset; 1] = [Asset {
    name: "quipu.css",
    content_type: "text/css; charset=utf-8",
    bytes: include_bytes!("../assets/quipu.css"),
}];

/// Each asset's URL, `/assets/<stem>.<hash>.<ext>`, computed once.
fn urls() -> &'static [(String, usize)] {
    static URLS: OnceLock<Vec<(String, usize)>> = OnceLock::new();
    URLS.get_or_init(|| {
        ASSETS
            .iter()
            .enumerate()
            .map(|(index, asset)| {
                let hash = hex::encode(Sha256::digest(asset.bytes));
                let short = hash.get(..16).unwrap_or(&hash);
                let (stem, ext) = asset.name.rsplit_once('.').unwrap_or((asset.name, ""));
                (format!("/assets/{stem}.{short}.{ext}"), index)
            })
            .collect()
    })
}

/// The content-hashed URL of an embedded asset, for templates.
pub fn url(name: &str) -> String {
    urls()
        .iter()
        .find(|(_, index)| ASSETS.get(*index).is_some_and(|asset| asset.name == name))
        .map(|(url, _)| url.clone())
        .unwrap_or_default()
}

/// `GET /assets/{file}`: the file, if the URL names it with its current hash.
pub async fn serve(Path(file): Path<String>) -> Response {
    let wanted = format!("/assets/{file}");
    let Some(asset) = urls().iter().find(|(url, _)| *url == wanted).and_then(|(_, index)| ASSETS.get(*index)) else {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such file").into_response();
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    response
}
