//! Pharmacies on both databases: an owner adds a pharmacist (only a pharmacy may); an order with
//! flagged medicines waits for the pharmacist, who approves or refuses each with a note. Approved,
//! it goes to the shop and completes; every line refused, it is rejected and its hold given back;
//! mixed, the refused line comes to nothing. A customer's prescription photo is seen by them and
//! by that pharmacy's staff only, never cached, each staff read in the customer's access log, and
//! deleted by housekeeping once its order has been over long enough. Hostile input moves nothing.

#![allow(clippy::cast_possible_truncation)]

use std::io::Cursor;

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Person, Shop, TestApp, on_each_backend, shop};

struct Pharmacies {
    pharmacy: Shop,
    pharmacist: String,
    other_pharmacist: String,
    grocery: Shop,
    /// Flagged medicines of the pharmacy, and one that needs no check.
    painkiller: String,
    antibiotic: String,
    bandages: String,
    /// A grocery's product.
    rice: String,
    customer: Person,
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.request(Method::PUT, path, Some(token), None, Some(body)).await
}

async fn seller(app: &TestApp, operator: &str, shop: &Shop, kind: &str) {
    let (status, body) =
        put(app, &format!("/operator/merchants/{}/seller", shop.id), operator, json!({"kind": kind})).await;
    assert_eq!(status, 200, "{body}");
    let hours = json!(vec!["00:00-24:00"; 7]);
    let storefront =
        json!({"address": "Mapo-gu", "hours": hours, "accepting": true, "preparation_minutes": 15, "pickup": true});
    let (status, body) = put(app, "/merchant/storefront", &shop.owner, storefront).await;
    assert_eq!(status, 200, "{body}");
}

async fn product(app: &TestApp, shop: &Shop, name: &str, price: &str, flagged: bool) -> String {
    let body = json!({"name_en": name, "category": "medicine", "price": price, "unit": "each", "stock": 10,
        "needs_pharmacist": flagged});
    let (status, product) = app.post("/merchant/products", Some(&shop.owner), body).await;
    assert_eq!(status, 201, "{product}");
    product["id"].as_str().unwrap().to_owned()
}

async fn add_pharmacist(app: &TestApp, owner: &str, phone: &str) -> (u16, Value) {
    app.post(
        "/merchant/pharmacists",
        Some(owner),
        json!({"phone": phone, "full_name": "Pharmacist", "password": "pharmacist-password"}),
    )
    .await
}

async fn pharmacies(app: &TestApp) -> Pharmacies {
    let operator = app.operator().await;
    let pharmacy = shop(app, &operator, "Mapo Pharmacy", 41, 100).await;
    let other = shop(app, &operator, "Other Pharmacy", 42, 100).await;
    let grocery = shop(app, &operator, "Mapo Mart", 43, 100).await;
    seller(app, &operator, &pharmacy, "pharmacy").await;
    seller(app, &operator, &other, "pharmacy").await;
    seller(app, &operator, &grocery, "grocery").await;
    let (status, body) = add_pharmacist(app, &pharmacy.owner, "+15550720041").await;
    assert_eq!((status, body["role"].as_str()), (201, Some("pharmacist")), "{body}");
    let pharmacist = app.login("+15550720041", "pharmacist-password").await;
    let (status, body) = add_pharmacist(app, &other.owner, "+15550720042").await;
    assert_eq!(status, 201, "{body}");
    let other_pharmacist = app.login("+15550720042", "pharmacist-password").await;
    let painkiller = product(app, &pharmacy, "Strong painkiller", "12.00", true).await;
    let antibiotic = product(app, &pharmacy, "Antibiotic", "8.00", true).await;
    let bandages = product(app, &pharmacy, "Bandages", "3.00", false).await;
    let rice = product(app, &grocery, "Rice", "5.00", false).await;
    let agent = app.agent(&operator, "+15550720001", "1000.00").await;
    let customer = app.customer("+15550720002").await;
    app.cash_in(&agent, &customer.phone, "100.00").await;
    Pharmacies { pharmacy, pharmacist, other_pharmacist, grocery, painkiller, antibiotic, bandages, rice, customer }
}

/// Checks out the customer's cart of `products` (one each) from `seller`, paid from the wallet.
async fn order(app: &TestApp, who: &Person, seller: &str, products: &[&str], key: &str) -> Value {
    for product in products {
        let (status, cart) =
            app.post("/me/cart/lines", Some(&who.token), json!({"product_id": product, "quantity": 1})).await;
        assert_eq!(status, 200, "{cart}");
    }
    let body = json!({"payment": {"method": "wallet", "pin": "1234"}, "fulfilments": [{"seller_id": seller, "kind": "pickup"}]});
    let (status, orders) = app.post_key("/me/checkout", &who.token, key, body).await;
    assert_eq!(status, 201, "{orders}");
    orders[0].clone()
}

/// The position of the order's line of `product`.
fn position(order: &Value, product: &str) -> u64 {
    let lines = order["lines"].as_array().unwrap();
    lines.iter().find(|line| line["product_id"] == product).unwrap()["position"].as_u64().unwrap()
}

fn line_of<'a>(order: &'a Value, product: &str) -> &'a Value {
    order["lines"].as_array().unwrap().iter().find(|line| line["product_id"] == product).unwrap()
}

async fn check(app: &TestApp, token: &str, id: &str, lines: Value) -> (u16, Value) {
    app.post(&format!("/merchant/orders/{id}/check"), Some(token), json!({"lines": lines})).await
}

/// Available balance, in minor units.
async fn available(app: &TestApp, who: &Person) -> i64 {
    let (status, body) = app.get(&format!("/accounts/{}", who.account), &who.token).await;
    assert_eq!(status, 200, "{body}");
    body["available"]["minor_units"].as_i64().unwrap()
}

#[tokio::test]
async fn only_a_pharmacy_has_pharmacists_and_approved_medicines_go_on_to_the_shop() {
    on_each_backend(async |app| {
        let p = pharmacies(app).await;

        // Only a pharmacy's owner adds pharmacists; the list shows them.
        let (status, refused) = add_pharmacist(app, &p.grocery.owner, "+15550720043").await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("not_a_pharmacy")), "{refused}");
        let (status, refused) = add_pharmacist(app, &p.pharmacy.cashier, "+15550720044").await;
        assert_eq!(status, 403, "{refused}");
        let (status, listed) = app.get("/merchant/pharmacists", &p.pharmacy.owner).await;
        assert_eq!((status, listed.as_array().map(Vec::len)), (200, Some(1)), "{listed}");

        let placed = order(app, &p.customer, &p.pharmacy.id, &[&p.painkiller, &p.bandages], "approve").await;
        let id = placed["id"].as_str().unwrap();
        assert_eq!(placed["status"].as_str(), Some("awaiting_pharmacist"), "{placed}");
        assert_eq!(line_of(&placed, &p.painkiller)["check"].as_str(), Some("waiting"));
        assert_eq!(line_of(&placed, &p.bandages)["check"].as_str(), Some("not_needed"));

        // The shop cannot accept before the check; nobody but the pharmacy's pharmacist checks.
        let (status, early) = app
            .post(&format!("/merchant/orders/{id}/accept"), Some(&p.pharmacy.owner), json!({"ready_minutes": 10}))
            .await;
        assert_eq!((status, early["code"].as_str()), (409, Some("pharmacist_check_pending")), "{early}");
        let approve = json!([{"position": position(&placed, &p.painkiller), "decision": "approve"}]);
        let (status, refused) = check(app, &p.pharmacy.cashier, id, approve.clone()).await;
        assert_eq!((status, refused["code"].as_str()), (403, Some("pharmacist_only")), "{refused}");
        let (status, refused) = check(app, &p.other_pharmacist, id, approve.clone()).await;
        assert_eq!(status, 404, "another pharmacy's pharmacist: {refused}");
        let (status, refused) = check(app, &p.customer.token, id, approve.clone()).await;
        assert_eq!(status, 403, "{refused}");

        // The queue holds the order, with the check offered to the pharmacist only.
        let (status, queue) = app.get("/merchant/orders?state=awaiting_pharmacist", &p.pharmacist).await;
        assert_eq!(status, 200, "{queue}");
        let queued = queue.as_array().unwrap();
        assert_eq!((queued.len(), queued[0]["id"].as_str()), (1, Some(id)), "{queue}");
        assert!(queued[0]["next_actions"].as_array().unwrap().contains(&json!("check_lines")), "{queue}");
        let (_, other_queue) = app.get("/merchant/orders?state=awaiting_pharmacist", &p.other_pharmacist).await;
        assert_eq!(other_queue, json!([]));
        let (_, owners_view) = app.get(&format!("/merchant/orders/{id}"), &p.pharmacy.owner).await;
        assert!(!owners_view["next_actions"].as_array().unwrap().contains(&json!("check_lines")), "{owners_view}");

        // Approved: back to the shop, which accepts, and hands it over for the whole amount.
        let placed_events = "SELECT COUNT(*) FROM merchant_events WHERE kind = 'order.placed'";
        assert_eq!(app.storage.count(placed_events).await, 0, "nothing for the shop before the check");
        let (status, checked) = check(app, &p.pharmacist, id, approve).await;
        assert_eq!((status, checked["status"].as_str()), (200, Some("placed")), "{checked}");
        assert_eq!(app.storage.count(placed_events).await, 1, "the shop hears of it once, checked");
        let (status, again) = check(app, &p.pharmacist, id, json!([{"position": 0, "decision": "approve"}])).await;
        assert_eq!((status, again["code"].as_str()), (409, Some("order_not_awaiting_check")), "{again}");
        let shop_path = |step: &str| format!("/merchant/orders/{id}/{step}");
        let (status, accepted) =
            app.post(&shop_path("accept"), Some(&p.pharmacy.owner), json!({"ready_minutes": 10})).await;
        assert_eq!((status, accepted["status"].as_str()), (200, Some("accepted")), "{accepted}");
        app.post(&shop_path("ready"), Some(&p.pharmacy.cashier), json!({})).await;
        let code = crate::harness::market::code_of(app, &p.customer, id).await;
        let (status, done) = app.post(&shop_path("hand-over"), Some(&p.pharmacist), json!({"code": code})).await;
        assert_eq!(
            (status, done["status"].as_str(), done["captured"]["amount"].as_str()),
            (200, Some("completed"), Some("15.00")),
            "{done}"
        );
        assert_eq!(available(app, &p.customer).await, 10_000 - 1_500);

        // The customer reads who checked what.
        let (_, mine) = app.get(&format!("/me/orders/{id}"), &p.customer.token).await;
        assert_eq!(line_of(&mine, &p.painkiller)["check"].as_str(), Some("approved"), "{mine}");
        let checks: Vec<_> =
            mine["history"].as_array().unwrap().iter().filter(|change| change["kind"] == "line_checked").collect();
        assert_eq!((checks.len(), checks[0]["actor"].as_str()), (1, Some("pharmacist")), "{mine}");

        // A removed pharmacist signs in no more; removing one twice, or a cashier as one, finds nobody.
        let pharmacist_id = listed[0]["user"]["id"].as_str().unwrap();
        let removal = |who: &str| format!("/merchant/pharmacists/{who}");
        let (status, _) =
            app.request(Method::DELETE, &removal(pharmacist_id), Some(&p.pharmacy.owner), None, None).await;
        assert_eq!(status, 204);
        let (status, _) = app.get("/merchant/orders", &p.pharmacist).await;
        assert_eq!(status, 401);
        let (status, _) =
            app.request(Method::DELETE, &removal(pharmacist_id), Some(&p.pharmacy.owner), None, None).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn refused_medicines_come_to_nothing_and_an_order_with_nothing_left_is_rejected_with_its_hold_back() {
    on_each_backend(async |app| {
        let p = pharmacies(app).await;
        let placed = order(app, &p.customer, &p.pharmacy.id, &[&p.painkiller, &p.antibiotic], "refuse").await;
        let id = placed["id"].as_str().unwrap();
        assert_eq!(available(app, &p.customer).await, 10_000 - 2_000);
        let (painkiller, antibiotic) = (position(&placed, &p.painkiller), position(&placed, &p.antibiotic));

        // Bad checks move nothing: a refusal without a note, a line left out, one decided twice,
        // one not flagged, a note too long.
        for (lines, code) in [
            (json!([{"position": painkiller, "decision": "refuse"}, {"position": antibiotic, "decision": "approve"}]), "check_note_required"),
            (json!([{"position": painkiller, "decision": "approve"}]), "check_lines_invalid"),
            (json!([{"position": painkiller, "decision": "approve"}, {"position": painkiller, "decision": "approve"}, {"position": antibiotic, "decision": "approve"}]), "check_lines_invalid"),
            (json!([{"position": 7, "decision": "approve"}, {"position": painkiller, "decision": "approve"}, {"position": antibiotic, "decision": "approve"}]), "check_lines_invalid"),
            (json!([{"position": painkiller, "decision": "refuse", "note": "x".repeat(201)}, {"position": antibiotic, "decision": "approve"}]), "check_note_invalid"),
        ] {
            let (status, refused) = check(app, &p.pharmacist, id, lines).await;
            assert_eq!((status, refused["code"].as_str()), (422, Some(code)), "{refused}");
        }
        let (status, malformed) = check(app, &p.pharmacist, id, json!([{"position": painkiller, "decision": "maybe"}])).await;
        assert_eq!(status, 400, "{malformed}");
        let (_, unchanged) = app.get(&format!("/me/orders/{id}"), &p.customer.token).await;
        assert_eq!(unchanged["status"].as_str(), Some("awaiting_pharmacist"), "{unchanged}");

        // Everything refused: rejected, the hold voided, the stock back.
        let refuse_all = json!([
            {"position": painkiller, "decision": "refuse", "note": "needs a doctor's prescription"},
            {"position": antibiotic, "decision": "refuse", "note": "not with the painkiller"},
        ]);
        let (status, rejected) = check(app, &p.pharmacist, id, refuse_all).await;
        assert_eq!((status, rejected["status"].as_str()), (200, Some("rejected")), "{rejected}");
        assert!(rejected["reason"].as_str().unwrap().contains("needs a doctor's prescription"), "{rejected}");
        assert_eq!(available(app, &p.customer).await, 10_000);
        let (_, mine) = app.get(&format!("/me/orders/{id}"), &p.customer.token).await;
        let line = line_of(&mine, &p.antibiotic);
        assert_eq!((line["check"].as_str(), line["check_note"].as_str()), (Some("refused"), Some("not with the painkiller")), "{mine}");
        let (_, product) = app.get(&format!("/market/products/{}", p.painkiller), &p.customer.token).await;
        assert_eq!(product["stock"].as_u64(), Some(10), "{product}");

        // Mixed: the refused medicine comes to nothing, the rest is supplied and captured.
        let placed = order(app, &p.customer, &p.pharmacy.id, &[&p.painkiller, &p.antibiotic, &p.bandages], "mixed").await;
        let id = placed["id"].as_str().unwrap();
        let lines = json!([
            {"position": position(&placed, &p.painkiller), "decision": "approve", "note": "one a day"},
            {"position": position(&placed, &p.antibiotic), "decision": "refuse", "note": "needs a prescription"},
        ]);
        let (status, checked) = check(app, &p.pharmacist, id, lines).await;
        assert_eq!((status, checked["status"].as_str()), (200, Some("placed")), "{checked}");
        assert_eq!(line_of(&checked, &p.antibiotic)["final_total"]["amount"].as_str(), Some("0.00"), "{checked}");
        assert_eq!(line_of(&checked, &p.painkiller)["check_note"].as_str(), Some("one a day"), "{checked}");
        let code = crate::harness::market::code_of(app, &p.customer, id).await;
        for step in ["accept", "ready", "hand-over"] {
            let body = if step == "hand-over" { json!({"code": code}) } else { json!({"ready_minutes": 5}) };
            let (status, moved) = app.post(&format!("/merchant/orders/{id}/{step}"), Some(&p.pharmacy.owner), body).await;
            assert_eq!(status, 200, "{step}: {moved}");
        }
        let (_, done) = app.get(&format!("/me/orders/{id}"), &p.customer.token).await;
        assert_eq!((done["status"].as_str(), done["captured"]["amount"].as_str()), (Some("completed"), Some("15.00")), "{done}");
        assert_eq!(available(app, &p.customer).await, 10_000 - 1_500);
    })
    .await;
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = DynamicImage::ImageRgb8(ImageBuffer::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    }));
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).unwrap();
    bytes
}

async fn upload(app: &TestApp, token: &str, order: &str, bytes: &[u8], content_type: Option<&str>) -> (u16, Value) {
    let (multipart, body) = quipu_testkit::multipart::one_file("file", "rx.png", "image/png", bytes);
    let content_type = content_type.map_or(multipart, str::to_owned);
    let response = reqwest::Client::new()
        .put(format!("{}/me/orders/{order}/prescription", app.api))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// A GET of a prescription: status, Cache-Control, and the bytes.
async fn photo(app: &TestApp, token: &str, path: &str) -> (u16, Option<String>, Vec<u8>) {
    let response = app.client.get(format!("{}{path}", app.api)).bearer_auth(token).send().await.unwrap();
    let status = response.status().as_u16();
    let cache = response.headers().get("cache-control").map(|value| value.to_str().unwrap().to_owned());
    (status, cache, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_prescription_is_seen_by_the_customer_and_the_pharmacy_only_logged_and_deleted_in_time() {
    on_each_backend(async |app| {
        let p = pharmacies(app).await;
        let placed = order(app, &p.customer, &p.pharmacy.id, &[&p.painkiller], "rx").await;
        let id = placed["id"].as_str().unwrap();
        assert!(placed["prescription_uploaded_at"].is_null(), "{placed}");

        // Hostile or unwanted uploads are refused and store nothing.
        let bomb = crate::market_images::png_claiming(60_000, 60_000);
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
        for (bytes, code) in [
            (bomb.as_slice(), "image_too_large"),
            (svg.as_slice(), "image_format_unsupported"),
            (b"".as_slice(), "image_invalid"),
        ] {
            let (status, refused) = upload(app, &p.customer.token, id, bytes, None).await;
            assert_eq!((status, refused["code"].as_str()), (422, Some(code)), "{refused}");
        }
        let (status, refused) = upload(app, &p.customer.token, id, &png(40, 40), Some("image/png")).await;
        assert_eq!(status, 415, "{refused}");
        let stranger = app.customer("+15550720003").await;
        let (status, refused) = upload(app, &stranger.token, id, &png(40, 40), None).await;
        assert_eq!(status, 404, "another customer's order: {refused}");
        assert_eq!(app.storage.count("SELECT COUNT(*) FROM order_prescriptions").await, 0);
        let grocery_order = order(app, &p.customer, &p.grocery.id, &[&p.rice], "rice").await;
        let (status, refused) =
            upload(app, &p.customer.token, grocery_order["id"].as_str().unwrap(), &png(40, 40), None).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("not_a_pharmacy_order")), "{refused}");

        // The customer attaches a photo: kept as a JPEG made from its pixels, at most 1600 a side.
        let (status, attached) = upload(app, &p.customer.token, id, &png(2400, 1200), None).await;
        assert_eq!(status, 200, "{attached}");
        assert!(attached["prescription_uploaded_at"].is_string(), "{attached}");
        let mine = format!("/me/orders/{id}/prescription");
        let (status, cache, bytes) = photo(app, &p.customer.token, &mine).await;
        assert_eq!((status, cache.as_deref()), (200, Some("private, no-store")));
        let stored = image::load_from_memory_with_format(&bytes, ImageFormat::Jpeg).unwrap();
        assert_eq!((stored.width(), stored.height()), (1600, 800));

        // The pharmacy's staff read it, each read logged for the customer; nobody else finds it.
        let shops = format!("/merchant/orders/{id}/prescription");
        for token in [&p.pharmacist, &p.pharmacy.cashier] {
            let (status, cache, read) = photo(app, token, &shops).await;
            assert_eq!((status, cache.as_deref(), read.len()), (200, Some("private, no-store"), bytes.len()));
        }
        for token in [&p.other_pharmacist, &p.grocery.owner] {
            assert_eq!(photo(app, token, &shops).await.0, 404);
        }
        assert_eq!(photo(app, &stranger.token, &mine).await.0, 404);
        assert_eq!(photo(app, &p.customer.token, &shops).await.0, 404, "the customer reads theirs at /me");
        let (status, log) = app.get("/me/access-log", &p.customer.token).await;
        assert_eq!(status, 200, "{log}");
        let reads: Vec<_> =
            log["entries"].as_array().unwrap().iter().filter(|entry| entry["action"] == "prescription_read").collect();
        let roles: Vec<_> = reads.iter().map(|entry| entry["actor_role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["cashier", "pharmacist"], "newest first: {log}");
        assert!(reads.iter().all(
            |entry| entry["detail"].as_str().unwrap().contains(id) && !entry["reason"].as_str().unwrap().is_empty()
        ));

        // Kept while the order is open and for the retention after it ends, then deleted.
        let approve = json!([{"position": position(&placed, &p.painkiller), "decision": "approve"}]);
        check(app, &p.pharmacist, id, approve).await;
        let (status, rejected) = app
            .post(&format!("/merchant/orders/{id}/reject"), Some(&p.pharmacist), json!({"reason": "closing early"}))
            .await;
        assert_eq!((status, rejected["status"].as_str()), (200, Some("rejected")), "{rejected}");
        let (status, refused) = upload(app, &p.customer.token, id, &png(40, 40), None).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("order_ended")), "{refused}");
        let days = i64::from(quipu_core::market::MarketSettings::default().prescription_retention_days);
        app.clock.advance_seconds((days - 1) * 24 * 3600);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        assert_eq!(app.storage.count("SELECT COUNT(*) FROM order_prescriptions").await, 1);
        app.clock.advance_seconds(24 * 3600 + 1);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        assert_eq!(app.storage.count("SELECT COUNT(*) FROM order_prescriptions").await, 0);
    })
    .await;
}
