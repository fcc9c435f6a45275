//! Tier limits, receipts and a merchant's daily summary over real HTTP, on
//! every backend: each limit refused by name and nothing moved, a verified
//! customer allowed more, receipts for either side (JSON and a printable
//! page that shows markup instead of running it), the day's totals.

use reqwest::Method;
use serde_json::json;

use crate::harness::{TestApp, on_each_backend_with, test_config};
use crate::harness::{enroll, merchant_balance, shop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tier_limits_name_the_limit_and_receipts_and_the_day_add_up() {
    let mut config = test_config();
    let usd = config.settings.currencies.get("USD").unwrap();
    let basic = quipu_domain::limits::TierLimits {
        per_payment: Some(usd.parse_amount("15.00").unwrap()),
        per_day: Some(usd.parse_amount("25.00").unwrap()),
        max_balance: Some(usd.parse_amount("100.00").unwrap()),
    };
    config.settings.tier_limits.insert((quipu_domain::limits::CustomerTier::Basic, usd.code), basic);
    on_each_backend_with(config, story).await;
}

async fn story(app: &TestApp) {
    let operator = app.operator().await;
    let agent = app.agent(&operator, "+15550810001", "500.00").await;
    let dana = app.customer("+15550810002").await;
    let amina = app.customer("+15550810003").await;
    let shop = shop(app, &operator, "Tienda <b>Sol</b> & Hijos", 81, 150).await;

    // Maximum balance: cash-in, a transfer in and a card top-up are each refused past it.
    app.cash_in(&agent, &dana.phone, "100.00").await;
    let (status, body) = app
        .post_key("/agent/cash-in", &agent.token, "over", json!({"customer_phone": dana.phone, "amount": "0.01"}))
        .await;
    assert_eq!((status, body["code"].as_str()), (422, Some("balance_limit")), "{body}");
    assert_eq!(body["detail"], "the recipient cannot receive this amount now", "and says no more: {body}");
    app.cash_in(&agent, &amina.phone, "95.00").await;
    let p2p = json!({"to_phone": amina.phone, "amount": "5.01", "pin": "1234"});
    let (status, body) = app.post_key("/transfers/p2p", &dana.token, "p2p-over", p2p).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("balance_limit")), "{body}");
    assert!(!body["detail"].as_str().unwrap().contains("95.00"), "the recipient's balance stays private: {body}");
    assert_eq!(app.balance(&dana).await, 10_000);

    // Per payment, then per 24 hours, counted across payments; nothing moves when refused.
    let phone = enroll(app, &dana).await;
    let charge = |key: &'static str, slot: u8, amount: &'static str| {
        let code = phone.code(app, slot);
        let till = shop.cashier.clone();
        async move { app.post_key("/merchant/charges", &till, key, json!({"code": code, "amount": amount})).await }
    };
    let (status, body) = charge("c-1", 1, "15.01").await;
    assert_eq!((status, body["code"].as_str()), (422, Some("payment_limit")), "{body}");
    let (status, first) = charge("c-2", 2, "15.00").await;
    assert_eq!(status, 201, "{first}");
    let (status, body) = charge("c-3", 3, "10.01").await;
    assert_eq!((status, body["code"].as_str()), (422, Some("daily_limit")), "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("25.00 USD in 24 hours") && !detail.contains("15.00"), "the shop learns no more: {body}");
    let (status, _) = charge("c-4", 4, "10.00").await;
    assert_eq!(status, 201);
    assert_eq!(app.balance(&dana).await, 10_000 - 2500);

    // A day later the window has moved on; a verified customer has the verified tier's limits.
    app.clock.advance_seconds(24 * 3600 + 1);
    let tier = |token: &str, tier: &str| {
        let (path, body) = (format!("/operator/customers/{}/tier", dana.id), json!({"tier": tier}));
        let token = token.to_owned();
        async move { app.request(Method::PUT, &path, Some(&token), None, Some(body)).await }
    };
    let (status, body) = tier(&operator, "gold").await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_tier")), "{body}");
    assert_eq!(tier(&shop.owner, "verified").await.0, 403);
    let (status, body) = tier(&operator, "verified").await;
    assert_eq!((status, &body["tier"]), (200, &json!("verified")), "{body}");
    let (status, body) = charge("c-5", 1, "18.00").await;
    assert_eq!(status, 201, "verified limits are higher: {body}");

    // Receipts: the customer and the merchant see one; nobody else does.
    let payment = first["id"].as_str().unwrap();
    let (status, body) = app
        .post_key(&format!("/merchant/payments/{payment}/refunds"), &shop.owner, "r-1", json!({"amount": "4.00"}))
        .await;
    assert_eq!(status, 201, "{body}");
    for token in [&dana.token, &shop.cashier] {
        let (status, receipt) = app.get(&format!("/payments/{payment}/receipt"), token).await;
        assert_eq!(status, 200, "{receipt}");
        assert_eq!(receipt["paid_with"], "payment code");
        assert_eq!(receipt["net"]["amount"], "11.00");
        assert_eq!(receipt["refunds"][0]["amount"]["amount"], "4.00");
    }
    assert_eq!(app.get(&format!("/payments/{payment}/receipt"), &amina.token).await.0, 404);
    let page = app
        .client
        .get(format!("{}/payments/{payment}/receipt.html", app.api))
        .bearer_auth(&dana.token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert!(page.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let html = page.text().await.unwrap();
    assert!(html.contains("Tienda &lt;b&gt;Sol&lt;/b&gt; &amp; Hijos"), "{html}");
    assert!(!html.contains("<b>Sol"), "markup from a name is shown, not run: {html}");
    assert!(html.contains("11.00 USD") && html.contains("−4.00 USD"), "{html}");

    // The merchant's day (the clock moved a day: today holds the 18.00 sale and the 4.00 refund).
    let (status, day) = app.get("/merchant/summary", &shop.owner).await;
    assert_eq!(status, 200, "{day}");
    let usd = &day["currencies"][0];
    assert_eq!((usd["currency"].as_str(), usd["payments"].as_i64()), (Some("USD"), Some(1)), "{day}");
    assert_eq!(usd["gross"]["amount"], "18.00");
    assert_eq!(usd["fees"]["amount"], "0.27");
    assert_eq!(usd["refunds"]["amount"], "4.00");
    assert_eq!(usd["fees_returned"]["amount"], "0.05", "4/15 of the first sale's 0.22 fee, rounded down");
    assert_eq!(usd["net"]["amount"], "13.78");
    let first_day = &first["created_at"].as_str().unwrap()[..10];
    let (status, before) = app.get(&format!("/merchant/summary?date={first_day}"), &shop.cashier).await;
    assert_eq!(status, 200, "{before}");
    let usd = &before["currencies"][0];
    assert_eq!((usd["payments"].as_i64(), usd["gross"]["amount"].as_str()), (Some(2), Some("25.00")), "{before}");
    assert_eq!((usd["fees"]["amount"].as_str(), usd["refunds"]["amount"].as_str()), (Some("0.37"), Some("0.00")));
    assert_eq!(usd["net"]["amount"], "24.63");
    let (status, body) = app.get("/merchant/summary?date=2026-13-01", &shop.owner).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_date")), "{body}");
    assert_eq!(app.get("/merchant/summary", &dana.token).await.0, 403);
    let all_sales = 1500 + 1000 + 1800 - 22 - 15 - 27 - 400 + 5;
    assert_eq!(merchant_balance(app, &shop.owner).await, all_sales);
}
