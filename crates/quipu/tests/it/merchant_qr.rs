//! Merchant-presented QR over real HTTP, on every backend: a static QR the
//! customer types an amount into, a dynamic QR per sale paid once, and the
//! hostile payloads a camera can read.

// Amounts in minor units are written units_cents: 192_50 is 192.50.
#![allow(clippy::inconsistent_digit_grouping)]

use quipu_codes::mpm::{self, DataObject, Payload, Value as Mpm};
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, on_each_backend};
use crate::harness::{enroll, merchant_balance, shop};

const PIX: &str = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
const PROMPTPAY: &str = "00020101021129370016A000000677010111011300668012345675802TH530376463046197";

async fn set_profile(app: &TestApp, token: &str, city: &str, category: &str) -> (u16, Value) {
    app.request(
        Method::PUT,
        "/merchant/profile",
        Some(token),
        None,
        Some(json!({"city": city, "category_code": category})),
    )
    .await
}

async fn pay(app: &TestApp, token: &str, key: &str, body: Value) -> (u16, Value) {
    app.post_key("/me/payments", token, key, body).await
}

async fn scan(app: &TestApp, token: &str, payload: &str) -> (u16, Value) {
    app.post("/me/scan", Some(token), json!({ "payload": payload })).await
}

/// The text of `id` inside template `template` of a decoded payload.
fn nested(payload: &Payload, template: &str, id: &str) -> Option<String> {
    payload.nested_text(template, id).map(str::to_owned)
}

/// Rewrites one root object of a payload and signs it with a fresh CRC, as a forger would.
fn forged(payload: &str, id: &str, value: &str) -> String {
    let mut tree = mpm::decode(payload).unwrap();
    tree.objects.retain(|o| o.id != "63");
    for object in &mut tree.objects {
        if object.id == id {
            object.value = Mpm::Text(value.to_owned());
        }
    }
    mpm::encode(&tree).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_and_dynamic_merchant_qrs_are_paid_with_the_pin() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550090001", "500.00").await;
        let amina = app.customer("+15550090002").await;
        let bob = app.customer("+15550090003").await;
        app.cash_in(&agent, &amina.phone, "200.00").await;
        app.cash_in(&agent, &bob.phone, "10.00").await;
        let shop = shop(app, &operator, "Panadería Sol", 21, 100).await;

        // A QR names the merchant's city: the owner sets it first; a cashier cannot.
        let (status, body) = app.get("/merchant/qr", &shop.cashier).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("merchant_city_missing")), "{body}");
        let (status, body) = set_profile(app, &shop.cashier, "Cusco", "5462").await;
        assert_eq!(status, 403, "{body}");
        let (status, body) = set_profile(app, &shop.owner, "Cusco", "54x2").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_category_code")), "{body}");
        let (status, body) = set_profile(app, &shop.owner, "Cusco", "5462").await;
        assert_eq!((status, &body["city"], &body["category_code"]), (200, &json!("Cusco"), &json!("5462")), "{body}");

        // The static QR: EMV MPM with Quipu's template, the name folded to ASCII, the till.
        let (status, qr) = app.get("/merchant/qr?till=Till%201", &shop.cashier).await;
        assert_eq!(status, 200, "{qr}");
        let payload = qr["payload"].as_str().unwrap().to_owned();
        let tree = mpm::decode(&payload).unwrap();
        assert_eq!(mpm::encode(&tree).unwrap(), payload, "round-trips byte for byte");
        assert_eq!(tree.text("01"), Some("11"));
        assert_eq!(nested(&tree, "26", "00").as_deref(), Some("org.quipu"));
        assert_eq!(nested(&tree, "26", "01"), Some(shop.id.replace('-', "")));
        assert_eq!(nested(&tree, "26", "02").as_deref(), Some("Till 1"));
        assert_eq!(nested(&tree, "62", "07").as_deref(), Some("Till 1"));
        assert_eq!(
            [tree.text("52"), tree.text("53"), tree.text("58"), tree.text("59"), tree.text("60")],
            [Some("5462"), Some("840"), Some("ZZ"), Some("Panaderia Sol"), Some("Cusco")]
        );
        assert_eq!(tree.text("54"), None, "the customer types the amount");
        let image = app.client.get(format!("{}/merchant/qr?format=png", app.api)).bearer_auth(&shop.cashier);
        let image = image.send().await.unwrap();
        assert_eq!(image.headers()["content-type"], "image/png");
        assert!(image.bytes().await.unwrap().starts_with(b"\x89PNG"));

        // The customer scans it and sees the registered name, then pays with the PIN.
        let (status, seen) = scan(app, &amina.token, &payload).await;
        assert_eq!(status, 200, "{seen}");
        assert_eq!(seen["kind"], "static");
        assert_eq!(seen["merchant_name"], "Panadería Sol");
        assert_eq!(seen["city"], "Cusco");
        assert_eq!(seen["till"], "Till 1");
        assert_eq!(seen["amount"], Value::Null);
        assert_eq!(seen["max_amount"]["amount"], "100.00");
        let (status, wrong) =
            pay(app, &amina.token, "bread", json!({"payload": payload, "amount": "7.50", "pin": "0000"})).await;
        assert_eq!((status, wrong["code"].as_str()), (403, Some("wrong_pin")), "{wrong}");
        let (status, body) = pay(app, &amina.token, "bread-0", json!({"payload": payload, "pin": "1234"})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("amount_required")), "{body}");
        let (status, body) =
            pay(app, &amina.token, "bread-1", json!({"payload": payload, "amount": "150.00", "pin": "1234"})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("static_qr_limit")), "{body}");
        assert!(body["detail"].as_str().unwrap().contains("100.00 USD"), "the error names the limit: {body}");
        assert_eq!(app.balance(&amina).await, 200_00, "nothing moved");
        let (status, paid) =
            pay(app, &amina.token, "bread", json!({"payload": payload, "amount": "7.50", "pin": "1234"})).await;
        assert_eq!(status, 201, "{paid}");
        assert_eq!(
            [&paid["status"], &paid["method"], &paid["till"], &paid["fee"]["amount"]],
            ["completed", "merchant_qr", "Till 1", "0.07"]
        );
        let (status, again) =
            pay(app, &amina.token, "bread", json!({"payload": payload, "amount": "7.50", "pin": "1234"})).await;
        assert_eq!((status, &again), (201, &paid), "a retry replays the payment");
        assert_eq!(app.balance(&amina).await, 192_50);
        assert_eq!(merchant_balance(app, &shop.owner).await, 7_43);

        // A dynamic QR for one sale: amount and reference inside.
        let sale = json!({"amount": "12.40", "reference": "Order 55", "till": "Till 1"});
        let (status, request) =
            app.post_key("/merchant/payment-requests", &shop.cashier, "order-55", sale.clone()).await;
        assert_eq!(status, 201, "{request}");
        assert_eq!(request["status"], "open");
        let (status, replay) = app.post_key("/merchant/payment-requests", &shop.cashier, "order-55", sale).await;
        assert_eq!((status, &replay), (201, &request));
        let request_id = request["id"].as_str().unwrap().to_owned();
        let sale_qr = request["payload"].as_str().unwrap().to_owned();
        let tree = mpm::decode(&sale_qr).unwrap();
        assert_eq!([tree.text("01"), tree.text("54")], [Some("12"), Some("12.40")]);
        assert_eq!(nested(&tree, "62", "05").as_deref(), Some("Order 55"));
        assert_eq!(nested(&tree, "26", "03"), Some(request_id.replace('-', "")));
        let (status, seen) = scan(app, &amina.token, &sale_qr).await;
        assert_eq!(status, 200, "{seen}");
        assert_eq!(
            [&seen["kind"], &seen["amount"]["amount"], &seen["reference"], &seen["request_status"]],
            ["dynamic", "12.40", "Order 55", "open"]
        );
        let (status, body) =
            pay(app, &amina.token, "o55-x", json!({"payload": sale_qr, "amount": "12.41", "pin": "1234"})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("amount_mismatch")), "{body}");
        // A forger rewrites the amount and the CRC: the request's own amount is the truth.
        let (status, body) = scan(app, &amina.token, &forged(&sale_qr, "54", "1.00")).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("qr_amount_mismatch")), "{body}");
        let (status, paid) = pay(app, &amina.token, "o55", json!({"payload": sale_qr, "pin": "1234"})).await;
        assert_eq!(status, 201, "{paid}");
        assert_eq!([&paid["status"], &paid["reference"]], ["completed", "Order 55"]);
        assert_eq!(paid["request_id"], request_id.as_str());
        // The till sees it paid; the QR pays once.
        let (status, seen) = app.get(&format!("/merchant/payment-requests/{request_id}"), &shop.cashier).await;
        assert_eq!(status, 200, "{seen}");
        assert_eq!([&seen["status"], &seen["payment"]["id"]], [&json!("paid"), &paid["id"]]);
        let (status, body) = pay(app, &bob.token, "o55-bob", json!({"payload": sale_qr, "pin": "1234"})).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("payment_request_used")), "{body}");
        assert_eq!(app.balance(&amina).await, 180_10);
        assert_eq!(app.balance(&bob).await, 10_00);
        let other = crate::harness::shop(app, &operator, "Other Shop", 22, 0).await;
        let (status, _) = app.get(&format!("/merchant/payment-requests/{request_id}"), &other.cashier).await;
        assert_eq!(status, 404, "another merchant cannot see the request");

        // A failed attempt leaves the QR payable; once it expires nobody can pay it.
        let big = json!({"amount": "80.00", "expires_in_seconds": 60});
        let (status, request) = app.post_key("/merchant/payment-requests", &shop.owner, "order-56", big).await;
        assert_eq!(status, 201, "{request}");
        let big_qr = request["payload"].as_str().unwrap().to_owned();
        let (status, body) = pay(app, &bob.token, "o56-bob", json!({"payload": big_qr, "pin": "1234"})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("insufficient_funds")), "{body}");
        let (status, paid) = pay(app, &amina.token, "o56", json!({"payload": big_qr, "pin": "1234"})).await;
        assert_eq!((status, &paid["status"]), (201, &json!("completed")), "{paid}");
        let (status, request) = app
            .post_key(
                "/merchant/payment-requests",
                &shop.owner,
                "order-57",
                json!({"amount": "5.00", "expires_in_seconds": 30}),
            )
            .await;
        assert_eq!(status, 201, "{request}");
        app.clock.advance_seconds(31);
        let late_qr = request["payload"].as_str().unwrap();
        let (_, seen) = scan(app, &amina.token, late_qr).await;
        assert_eq!(seen["request_status"], "expired");
        let (status, body) = pay(app, &amina.token, "o57", json!({"payload": late_qr, "pin": "1234"})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("payment_request_expired")), "{body}");
        let (status, body) = app
            .post_key(
                "/merchant/payment-requests",
                &shop.owner,
                "order-58",
                json!({"amount": "5.00", "expires_in_seconds": 5}),
            )
            .await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_expiry")), "{body}");

        // A QR payment refunds like any other.
        let refund = format!("/merchant/payments/{}/refunds", paid["id"].as_str().unwrap());
        let (status, body) = app.post_key(&refund, &shop.owner, "refund-o56", json!({})).await;
        assert_eq!((status, &body["status"]), (201, &json!("completed")), "{body}");
        assert_eq!(app.balance(&amina).await, 180_10);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_schemes_and_hostile_qrs_are_refused_and_nothing_moves() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550090101", "500.00").await;
        let amina = app.customer("+15550090102").await;
        app.cash_in(&agent, &amina.phone, "50.00").await;
        let shop = shop(app, &operator, "Kiosk", 23, 0).await;
        let (status, body) = set_profile(app, &shop.owner, "Lima", "5411").await;
        assert_eq!(status, 200, "{body}");
        let (_, qr) = app.get("/merchant/qr", &shop.cashier).await;
        let payload = qr["payload"].as_str().unwrap().to_owned();

        let refused = |code: &'static str, detail: &'static str| (code, detail);
        let cases = [
            (PIX.to_owned(), refused("not_a_quipu_merchant", "Pix")),
            (PROMPTPAY.to_owned(), refused("not_a_quipu_merchant", "PromptPay")),
            (payload.replacen("Kiosk", "Kiosq", 1), refused("unreadable_qr", "CRC")),
            (payload.get(..payload.len() - 12).unwrap().to_owned(), refused("unreadable_qr", "")),
            ("hello".to_owned(), refused("unreadable_qr", "")),
            ("0".repeat(5000), refused("unreadable_qr", "")),
            (forged(&payload, "53", "986"), refused("unsupported_currency", "986")),
            (forged_merchant(&payload), refused("unknown_merchant", "")),
        ];
        for (scanned, (code, detail)) in &cases {
            for (status, body) in [
                scan(app, &amina.token, scanned).await,
                pay(
                    app,
                    &amina.token,
                    &format!("hostile-{code}"),
                    json!({"payload": scanned, "amount": "1.00", "pin": "1234"}),
                )
                .await,
            ] {
                assert!(status == 400 || status == 422, "{code}: {status} {body}");
                assert_eq!(body["code"], *code, "{body}");
                assert!(body["detail"].as_str().unwrap().contains(detail), "{body}");
            }
        }
        // A customer's own payment code is for a till to scan, not a merchant QR.
        let phone = enroll(app, &amina).await;
        let (status, body) = scan(app, &amina.token, &phone.code(app, 0)).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("not_a_merchant_qr")), "{body}");
        // Tills and merchants do not pay; customers do not mint QRs.
        let (status, _) = scan(app, &shop.cashier, &payload).await;
        assert_eq!(status, 403);
        let (status, _) = app.get("/merchant/qr", &amina.token).await;
        assert_eq!(status, 403);
        let (status, body) = app
            .post_key("/merchant/payment-requests", &shop.cashier, "r", json!({"amount": "1.00", "reference": "Café"}))
            .await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_reference")), "{body}");
        let (status, body) =
            app.post_key("/merchant/payment-requests", &shop.cashier, "r2", json!({"amount": "-1.00"})).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(app.balance(&amina).await, 50_00, "nothing moved");
    })
    .await;
}

/// A well-formed Quipu QR that names a merchant nobody registered.
fn forged_merchant(payload: &str) -> String {
    let mut tree = mpm::decode(payload).unwrap();
    tree.objects.retain(|o| o.id != "63");
    for object in &mut tree.objects {
        if let Mpm::Template(children) = &mut object.value
            && object.id == "26"
        {
            for child in children.iter_mut().filter(|c| c.id == "01") {
                *child = DataObject { id: "01".into(), value: Mpm::Text(uuid::Uuid::now_v7().simple().to_string()) };
            }
        }
    }
    mpm::encode(&tree).unwrap()
}
