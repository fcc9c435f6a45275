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

const JS: &str = "text/javascript; charset=utf-8";

const ASSETS: [Asset; 19] = [
    Asset { name: "quipu.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("../assets/quipu.css") },
    ICON,
    Asset { name: "wallet-pay.js", content_type: JS, bytes: include_bytes!("../assets/wallet-pay.js") },
    Asset { name: "scan.js", content_type: JS, bytes: include_bytes!("../assets/scan.js") },
    Asset { name: "signed-out.js", content_type: JS, bytes: include_bytes!("../assets/signed-out.js") },
    Asset { name: "paycode.js", content_type: JS, bytes: include_bytes!("../assets/paycode.js") },
    Asset { name: "qr.js", content_type: JS, bytes: include_bytes!("../assets/qr.js") },
    Asset { name: "code128.js", content_type: JS, bytes: include_bytes!("../assets/code128.js") },
    Asset { name: "till-live.js", content_type: JS, bytes: include_bytes!("../assets/till-live.js") },
    Asset { name: "order-live.js", content_type: JS, bytes: include_bytes!("../assets/order-live.js") },
    Asset { name: "board-live.js", content_type: JS, bytes: include_bytes!("../assets/board-live.js") },
    Asset { name: "courier-job.js", content_type: JS, bytes: include_bytes!("../assets/courier-job.js") },
    Asset { name: "courier-home.js", content_type: JS, bytes: include_bytes!("../assets/courier-home.js") },
    Asset { name: "market.js", content_type: JS, bytes: include_bytes!("../assets/market.js") },
    Asset { name: "keypad.js", content_type: JS, bytes: include_bytes!("../assets/keypad.js") },
    // Vendored, pinned and checked by scripts/vendor-web-assets (see assets/vendor/README.md).
    Asset {
        name: "qrcodegen.js",
        content_type: JS,
        bytes: include_bytes!("../assets/vendor/nayuki-qr-code-generator-1.8.0.min.js"),
    },
    Asset {
        name: "qr-scanner.js",
        content_type: JS,
        bytes: include_bytes!("../assets/vendor/qr-scanner-1.4.2.min.js"),
    },
    Asset { name: "htmx.js", content_type: JS, bytes: include_bytes!("../assets/vendor/htmx-2.0.11.min.js") },
    WORKER,
];

/// The app's icon: the wallet's manifest names it, and `/favicon.ico` answers with it.
const ICON: Asset =
    Asset { name: "icon.svg", content_type: "image/svg+xml", bytes: include_bytes!("../assets/icon.svg") };

/// qr-scanner imports its worker by a path relative to itself, which no hash can be part of: it is
/// also served at that plain path (`/assets/qr-scanner-worker.min.js`), cached for a day.
const WORKER: Asset = Asset {
    name: "qr-scanner-worker.min.js",
    content_type: JS,
    bytes: include_bytes!("../assets/vendor/qr-scanner-worker-1.4.2.min.js"),
};

/// The wallet's service worker, after the version and asset list the server writes above it.
pub const SERVICE_WORKER: &str = include_str!("../assets/sw.js");
/// The market's service worker, which keeps the market pages last seen (see `market::service_worker`).
pub const MARKET_SERVICE_WORKER: &str = include_str!("../assets/market-sw.js");

/// A version of all the assets together: it changes when any of them does.
pub fn version() -> String {
    let mut hash = Sha256::new();
    for (url, _) in urls() {
        hash.update(url.as_bytes());
    }
    hex::encode(hash.finalize()).get(..16).unwrap_or_default().to_owned()
}

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
    let (asset, caching) = if file == WORKER.name {
        (&WORKER, "public, max-age=86400")
    } else {
        match urls().iter().find(|(url, _)| *url == wanted).and_then(|(_, index)| ASSETS.get(*index)) {
            Some(asset) => (asset, "public, max-age=31536000, immutable"),
            None => return ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such file").into_response(),
        }
    };
    respond(asset, caching)
}

/// `GET /favicon.ico`: the app's icon, where browsers look for one when a page names none (an SVG:
/// browsers go by its type, not the name). Its URL has no hash, so it is cached for a day.
pub async fn favicon() -> Response {
    respond(&ICON, "public, max-age=86400")
}

fn respond(asset: &Asset, caching: &'static str) -> Response {
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    response
}

/// A service worker's script: its cache's name (`<prefix>-<version>`) and the assets it keeps (by
/// name) written above `body`. Never kept by the browser's HTTP cache, so a new release is picked
/// up on the next visit; it may fetch from here and nothing else.
pub fn service_worker(prefix: &str, shell: &[&str], body: &str) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let list = shell.iter().map(|name| format!("'{}'", url(name))).collect::<Vec<_>>().join(", ");
    let script = format!("const VERSION = '{prefix}-{}';\nconst SHELL = [{list}];\n{body}", version());
    let mut response = script.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; connect-src 'self'"));
    response
}
