//! Product images over HTTP on both databases: an owner uploads a photo (PNG, JPEG) and gets a
//! thumbnail and a detail size, small JPEGs anyone fetches at content-hashed URLs cached for a
//! year; the same photo is stored once however often it is shown; hostile uploads (malformed, not
//! an image, a GIF or an SVG, a decompression bomb, too many bytes) are refused with a problem
//! document and change nothing; only the product's own shop, and only its owner, changes its images.

#![allow(clippy::cast_possible_truncation)]

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Shop, TestApp, on_each_backend, shop};
use quipu_testkit::multipart::one_file;

const THUMBNAIL_BUDGET: usize = 15 * 1024;
const DETAIL_BUDGET: usize = 80 * 1024;

/// A photo-like picture: gradients, a disc, and sensor-like noise.
fn photo(width: u32, height: u32, seed: u32) -> DynamicImage {
    // Odd, so never the xorshift's stuck zero, and different for every seed.
    let mut state = 0x9E37_79B9u32.wrapping_add(seed.wrapping_mul(2));
    DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 17) as i32 - 8;
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let disc = ((fx - 0.5).powi(2) + (fy - 0.45).powi(2)).sqrt() < 0.25;
        let base = if disc {
            [200.0 - 80.0 * fy, 60.0 + 60.0 * fx, 40.0]
        } else {
            [90.0 + 120.0 * fx, 140.0 + 60.0 * fy, 180.0 - 90.0 * fx]
        };
        let channel = |value: f32| (value as i32 + noise).clamp(0, 255) as u8;
        Rgb([channel(base[0]), channel(base[1]), channel(base[2])])
    }))
}

fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), format).unwrap();
    bytes
}

/// A valid PNG header claiming `width` × `height`, with a few bytes of pixel data: a
/// decompression bomb's shape, without its payload.
pub(crate) fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    fn crc(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &byte in bytes {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (*b"IHDR", [width.to_be_bytes().as_slice(), &height.to_be_bytes(), &[8, 2, 0, 0, 0]].concat()),
        (*b"IDAT", vec![0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]),
        (*b"IEND", vec![]),
    ] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let body = [kind.as_slice(), &data].concat();
        png.extend_from_slice(&body);
        png.extend_from_slice(&crc(&body).to_be_bytes());
    }
    png
}

async fn send_upload(
    app: &TestApp,
    token: Option<&str>,
    product: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    // A fresh client: the server closes a connection whose body it refused to read whole.
    let mut request = reqwest::Client::new()
        .post(format!("{}/merchant/products/{product}/images", app.api))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    if status >= 400 {
        let kind = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(kind, "application/problem+json", "{status}");
    }
    (status, response.json().await.unwrap())
}

/// An upload too large for the server, written as a client on a slow line would: the answer is
/// read while the body is still being sent, and the server closing the connection under the
/// unread rest is expected (a client that only reads after writing everything may never see it).
async fn oversized_upload(
    app: &TestApp,
    token: &str,
    product: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.api.trim_start_matches("http://").split('/').next().unwrap().to_owned();
    let stream = tokio::net::TcpStream::connect(&host).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /api/v1/merchant/products/{product}/images HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let sending = tokio::spawn(async move {
        // Refused part-way, the rest meets a closed connection: that is the point.
        let _ = writer.write_all(head.as_bytes()).await;
        let _ = writer.write_all(&body).await;
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), reader.read_to_end(&mut answer)).await;
    sending.abort();
    read.expect("the server answers and closes").unwrap();
    let text = String::from_utf8(answer).unwrap();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    (status, serde_json::from_str(body).unwrap())
}

async fn upload(app: &TestApp, token: &str, product: &str, filename: &str, bytes: &[u8]) -> (u16, Value) {
    let (content_type, body) = one_file("file", filename, "image/jpeg", bytes);
    send_upload(app, Some(token), product, &content_type, body).await
}

/// What a GET of an image URL answers: status, the headers that matter, the bytes.
struct Fetched {
    status: u16,
    content_type: Option<String>,
    cache_control: Option<String>,
    nosniff: Option<String>,
    etag: Option<String>,
    bytes: Vec<u8>,
}

async fn fetch(app: &TestApp, url: &str, if_none_match: Option<&str>) -> Fetched {
    let mut request = app.client.get(format!("{}{url}", app.base()));
    if let Some(tag) = if_none_match {
        request = request.header("if-none-match", tag);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| response.headers().get(name).map(|value| value.to_str().unwrap().to_owned());
    Fetched {
        status: response.status().as_u16(),
        content_type: header("content-type"),
        cache_control: header("cache-control"),
        nosniff: header("x-content-type-options"),
        etag: header("etag"),
        bytes: response.bytes().await.unwrap().to_vec(),
    }
}

/// How many image files the database holds, read behind the store's back.
async fn stored_files(app: &TestApp) -> i64 {
    app.storage.count("SELECT COUNT(*) FROM image_files").await
}

/// A shop enabled as a seller, with `names.len()` products; answers the shop and the products' ids.
async fn seller(app: &TestApp, operator: &str, name: &str, suffix: u32, names: &[&str]) -> (Shop, Vec<String>) {
    let mart = shop(app, operator, name, suffix, 150).await;
    let path = format!("/operator/merchants/{}/seller", mart.id);
    let (status, body) = app.request(Method::PUT, &path, Some(operator), None, Some(json!({"kind": "grocery"}))).await;
    assert_eq!(status, 200, "{body}");
    let mut ids = Vec::new();
    for name in names {
        let product = json!({"name_en": name, "category": "food", "price": "2.50", "unit": "each"});
        let (status, body) = app.post("/merchant/products", Some(&mart.owner), product).await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    (mart, ids)
}

/// Checks a served size: JPEG, cached for a year, never sniffed, tagged by its hash, within its
/// budget and its box, and without EXIF. Answers its bytes' length.
async fn check_served(app: &TestApp, size: &Value, side: u32, budget: usize) -> usize {
    let url = size["url"].as_str().unwrap();
    let hash = url.rsplit('/').next().unwrap();
    let served = fetch(app, url, None).await;
    assert_eq!(served.status, 200, "{url}");
    assert_eq!(served.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(served.cache_control.as_deref(), Some("public, max-age=31536000, immutable"));
    assert_eq!(served.nosniff.as_deref(), Some("nosniff"));
    assert_eq!(served.etag, Some(format!("\"{hash}\"")));
    assert!(served.bytes.len() <= budget, "{} bytes over {budget}", served.bytes.len());
    use sha2::Digest;
    assert_eq!(hex_of(&sha2::Sha256::digest(&served.bytes)), hash, "the URL names the bytes");
    assert!(!served.bytes.windows(6).any(|window| window == b"Exif\0\0"), "no EXIF survives");
    let decoded = image::load_from_memory_with_format(&served.bytes, ImageFormat::Jpeg).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (size["width"].as_u64().unwrap() as u32, size["height"].as_u64().unwrap() as u32)
    );
    assert!(decoded.width().max(decoded.height()) <= side);
    // A browser that holds it asks again with its tag, and is told it still holds it.
    let again = fetch(app, url, served.etag.as_deref()).await;
    assert_eq!((again.status, again.bytes.len()), (304, 0));
    assert_eq!(again.cache_control.as_deref(), Some("public, max-age=31536000, immutable"));
    served.bytes.len()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_shows_photos_and_anyone_fetches_their_two_sizes() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let (mart, products) = seller(app, &operator, "Photo Mart", 31, &["Milk", "Bread"]).await;
        let (milk, bread) = (&products[0], &products[1]);

        // A PNG (a screenshot, a cut-out) and a 12-megapixel phone photo (JPEG).
        let png = encoded(&photo(1600, 1200, 7), ImageFormat::Png);
        let jpeg = encoded(&photo(4000, 3000, 11), ImageFormat::Jpeg);
        let started = Instant::now();
        let (status, shown) = upload(app, &mart.owner, milk, "milk.png", &png).await;
        assert_eq!(status, 201, "{shown}");
        let png_took = started.elapsed();
        let started = Instant::now();
        let (status, shown) = upload(app, &mart.owner, milk, "IMG_0001.JPG", &jpeg).await;
        assert_eq!(status, 201, "{shown}");
        let jpeg_took = started.elapsed();
        let images = shown["images"].as_array().unwrap().clone();
        assert_eq!(images.len(), 2, "{shown}");
        for (image, (width, height)) in images.iter().zip([(1600, 1200), (4000, 3000)]) {
            let detail = (800, 800 * height / width);
            let thumbnail = (200, 200 * height / width);
            assert_eq!((image["detail"]["width"].as_u64(), image["detail"]["height"].as_u64()), (Some(detail.0), Some(detail.1)));
            assert_eq!(
                (image["thumbnail"]["width"].as_u64(), image["thumbnail"]["height"].as_u64()),
                (Some(thumbnail.0), Some(thumbnail.1))
            );
            assert_eq!(image["detail"]["url"], json!(format!("/api/v1/market/images/{}", image["id"].as_str().unwrap())));
        }
        let mut sizes = Vec::new();
        for image in &images {
            let thumbnail = check_served(app, &image["thumbnail"], 200, THUMBNAIL_BUDGET).await;
            let detail = check_served(app, &image["detail"], 800, DETAIL_BUDGET).await;
            sizes.push((thumbnail, detail));
        }
        eprintln!(
            "{:?}: PNG {} bytes (1600x1200) -> thumbnail {} / detail {} bytes in {png_took:?}; \
             JPEG {} bytes (4000x3000) -> thumbnail {} / detail {} bytes in {jpeg_took:?} (debug build)",
            app.storage.backend,
            png.len(),
            sizes[0].0,
            sizes[0].1,
            jpeg.len(),
            sizes[1].0,
            sizes[1].1
        );
        assert_eq!(stored_files(app).await, 4);

        // The same photo again changes nothing; on another product it is shown, and stored once.
        let (status, again) = upload(app, &mart.owner, milk, "milk-again.png", &png).await;
        assert_eq!((status, again["images"].as_array().unwrap().len()), (200, 2), "{again}");
        let (status, on_bread) = upload(app, &mart.owner, bread, "bread.png", &png).await;
        assert_eq!(status, 201, "{on_bread}");
        assert_eq!(on_bread["images"][0]["id"], images[0]["id"]);
        assert_eq!(stored_files(app).await, 4, "identical uploads are stored once");

        // Anyone sees them with the product; a change to the product keeps them.
        let (status, public) = app.request(Method::GET, &format!("/market/products/{milk}"), None, None, None).await;
        assert_eq!((status, &public["images"]), (200, &json!(images)));
        let (status, listed) = app.request(Method::GET, &format!("/market/sellers/{}/products", mart.id), None, None, None).await;
        let shown: Vec<(&str, usize)> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|product| (product["name_en"].as_str().unwrap(), product["images"].as_array().unwrap().len()))
            .collect();
        assert_eq!((status, shown), (200, vec![("Milk", 2), ("Bread", 1)]), "{listed}");
        let change = json!({"name_en": "Milk 1L", "category": "food", "price": "2.70", "unit": "each", "version": public["version"]});
        let (status, changed) = app.request(Method::PUT, &format!("/merchant/products/{milk}"), Some(&mart.owner), None, Some(change)).await;
        assert_eq!((status, &changed["images"]), (200, &json!(images)), "{changed}");

        // Removing an image from one product leaves its files for the other; from the last, they go.
        let first = images[0]["id"].as_str().unwrap();
        let (status, left) = app.request(Method::DELETE, &format!("/merchant/products/{milk}/images/{first}"), Some(&mart.owner), None, None).await;
        assert_eq!((status, &left["images"]), (200, &json!([images[1]])), "{left}");
        assert_eq!(fetch(app, images[0]["detail"]["url"].as_str().unwrap(), None).await.status, 200);
        let (status, _) = app.request(Method::DELETE, &format!("/merchant/products/{milk}/images/{first}"), Some(&mart.owner), None, None).await;
        assert_eq!(status, 404, "removed already");
        let (status, left) = app.request(Method::DELETE, &format!("/merchant/products/{bread}/images/{first}"), Some(&mart.owner), None, None).await;
        assert_eq!((status, left["images"].as_array().map(Vec::len)), (200, Some(0)));
        assert_eq!(fetch(app, images[0]["detail"]["url"].as_str().unwrap(), None).await.status, 404);
        assert_eq!(fetch(app, images[0]["thumbnail"]["url"].as_str().unwrap(), None).await.status, 404);
        assert_eq!(stored_files(app).await, 2);
        let (status, body) = app.request(Method::GET, "/market/images/NOT-A-HASH", None, None, None).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_path")));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_or_unwanted_uploads_are_refused_and_change_nothing() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let (mart, products) = seller(app, &operator, "Careful Mart", 32, &["Rice"]).await;
        let rice = &products[0];
        let (other, other_products) = seller(app, &operator, "Other Mart", 33, &["Eggs"]).await;
        let small = encoded(&photo(320, 240, 5), ImageFormat::Png);

        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>"#;
        let mut gif = encoded(&photo(16, 16, 3), ImageFormat::Png);
        gif.splice(0..8, *b"GIF89a\x10\0");
        let mut malformed = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
        malformed.extend(std::iter::repeat_n(0x5A, 4000));
        let bomb = png_claiming(60_000, 60_000);
        assert!(bomb.len() < 100, "a bomb is small: {}", bomb.len());
        let wide = png_claiming(8001, 1);
        for (name, bytes, code) in [
            ("broken.jpg", malformed.as_slice(), "image_invalid"),
            ("notes.jpg", b"These are my notes, not a photo.".as_slice(), "image_format_unsupported"),
            ("animated.gif", gif.as_slice(), "image_format_unsupported"),
            ("logo.svg", svg.as_slice(), "image_format_unsupported"),
            ("empty.png", b"".as_slice(), "image_invalid"),
            ("bomb.png", bomb.as_slice(), "image_too_large"),
            ("wide.png", wide.as_slice(), "image_too_large"),
        ] {
            let started = Instant::now();
            let (status, refused) = upload(app, &mart.owner, rice, name, bytes).await;
            assert_eq!((status, refused["code"].as_str()), (422, Some(code)), "{name}: {refused}");
            assert!(started.elapsed() < Duration::from_secs(5), "{name} took {:?}", started.elapsed());
        }

        // Too many bytes: refused as a problem before it is read whole.
        let huge = vec![0x42; 10 * 1024 * 1024];
        let (content_type, body) = one_file("file", "huge.jpg", "image/jpeg", &huge);
        let (status, refused) = oversized_upload(app, &mart.owner, rice, &content_type, body).await;
        assert_eq!((status, refused["code"].as_str()), (413, Some("body_too_large")), "{refused}");

        // Malformed requests: no file, another field, not multipart at all.
        let (content_type, body) = one_file("photo", "x.png", "image/png", &small);
        let (status, refused) = send_upload(app, Some(&mart.owner), rice, &content_type, body).await;
        assert_eq!((status, refused["code"].as_str()), (400, Some("invalid_body")), "{refused}");
        let (status, refused) =
            send_upload(app, Some(&mart.owner), rice, "multipart/form-data; boundary=b", b"--b--\r\n".to_vec()).await;
        assert_eq!((status, refused["code"].as_str()), (400, Some("invalid_body")), "{refused}");
        let (status, refused) = send_upload(app, Some(&mart.owner), rice, "application/json", b"{}".to_vec()).await;
        assert_eq!((status, refused["code"].as_str()), (415, Some("unsupported_media_type")), "{refused}");

        // Only the product's own shop, and only its owner.
        let (status, _) = upload(app, &other.owner, rice, "x.png", &small).await;
        assert_eq!(status, 404, "another shop's product is not found");
        let (status, _) = upload(app, &mart.owner, &other_products[0], "x.png", &small).await;
        assert_eq!(status, 404);
        let (status, _) = upload(app, &mart.cashier, rice, "x.png", &small).await;
        assert_eq!(status, 403, "a cashier does not change the catalog");
        let customer = app.customer("+15550320001").await;
        let (status, _) = upload(app, &customer.token, rice, "x.png", &small).await;
        assert_eq!(status, 403);
        let (content_type, body) = one_file("file", "x.png", "image/png", &small);
        let (status, _) = send_upload(app, None, rice, &content_type, body).await;
        assert_eq!(status, 401);
        let (status, product) = app.request(Method::GET, &format!("/market/products/{rice}"), None, None, None).await;
        assert_eq!((status, &product["images"]), (200, &json!([])), "nothing was shown");
        assert_eq!(stored_files(app).await, 0, "nothing was stored");

        // Six images at most, even when the last two arrive at once; a seventh is refused before it
        // is decoded.
        for seed in 0..5 {
            let (status, body) =
                upload(app, &mart.owner, rice, "p.png", &encoded(&photo(96, 64, seed), ImageFormat::Png)).await;
            assert_eq!(status, 201, "{body}");
        }
        let (sixth, rival) =
            (encoded(&photo(96, 64, 5), ImageFormat::Png), encoded(&photo(96, 64, 6), ImageFormat::Png));
        let (first, second) = tokio::join!(
            upload(app, &mart.owner, rice, "a.png", &sixth),
            upload(app, &mart.owner, rice, "b.png", &rival)
        );
        let mut answers = [(first.0, first.1["code"].clone()), (second.0, second.1["code"].clone())];
        answers.sort_by_key(|answer| answer.0);
        assert_eq!(answers[0], (201, Value::Null), "{answers:?}");
        assert!([(409, json!("images_changed")), (422, json!("too_many_images"))].contains(&answers[1]), "{answers:?}");
        let (status, refused) =
            upload(app, &mart.owner, rice, "p.png", &encoded(&photo(96, 64, 99), ImageFormat::Png)).await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("too_many_images")), "{refused}");
        let (status, product) = app.request(Method::GET, &format!("/market/products/{rice}"), None, None, None).await;
        let images = product["images"].as_array().unwrap();
        assert_eq!((status, images.len()), (200, 6));
        // A small image is not enlarged: one file serves both sizes.
        assert_eq!(images[0]["thumbnail"]["url"], images[0]["detail"]["url"]);
        assert_eq!(stored_files(app).await, 6);

        // Removing: the owner of this product only.
        let id = images[0]["id"].as_str().unwrap();
        let path = format!("/merchant/products/{rice}/images/{id}");
        for token in [&mart.cashier, &customer.token] {
            let (status, _) = app.request(Method::DELETE, &path, Some(token), None, None).await;
            assert_eq!(status, 403);
        }
        let (status, _) = app.request(Method::DELETE, &path, Some(&other.owner), None, None).await;
        assert_eq!(status, 404);
        let (status, body) = app
            .request(Method::DELETE, &format!("/merchant/products/{rice}/images/xyz"), Some(&mart.owner), None, None)
            .await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_path")));
        let (status, left) = app.request(Method::DELETE, &path, Some(&mart.owner), None, None).await;
        assert_eq!((status, left["images"].as_array().map(Vec::len)), (200, Some(5)));
    })
    .await;
}
