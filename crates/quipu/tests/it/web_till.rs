//! The till as a shop uses it, in a real browser against a real server (SQLite): the amount typed
//! on its keypad, a QR for the sale that waits without reloading and hears the customer's payment
//! live, the QR image kept by the browser, and a card payment that says what is left on the card.

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::harness::shop;
use crate::harness::{Backend, TestApp, test_config};
use crate::web_journeys::{click, fill, sign_in, text, until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tills_qr_hears_its_payment_live_and_a_card_slip_shows_what_is_left() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    let agent = app.agent(&operator, "+15550310002", "1000.00").await;
    let corner = shop(&app, &operator, "Keypad Shop", 310, 150).await;
    let profile = json!({"city": "Lima", "category_code": "5411"});
    let (status, body) =
        app.request(reqwest::Method::PUT, "/merchant/profile", Some(&corner.owner), None, Some(profile)).await;
    assert_eq!(status, 200, "{body}");
    let customer = app.customer("+15550310022").await;
    let cash_in = json!({"customer_phone": customer.phone, "amount": "50.00"});
    let (status, body) = app.post_key("/agent/cash-in", &agent.token, "till-cash-in", cash_in).await;
    assert_eq!(status, 201, "{body}");

    // The amount is typed on the till's keypad: 7.25, a slip of the thumb and its correction.
    let till = Browser::start().await;
    let t = &till.client;
    sign_in(t, &base, "+15550710310", "cashier-password").await;
    until(t, "return location.pathname === '/till/'", "the till").await;
    click(t, "details:nth-of-type(1) summary").await;
    let keypad = "form[action='/till/requests'] .keypad";
    until(t, &format!("return document.querySelectorAll(\"{keypad} button\").length === 12"), "the keypad").await;
    for key in ["7", ".", "2", "9", "⌫", "5", "1"] {
        let script = format!(
            "const key = [...document.querySelectorAll(\"{keypad} button\")].find(b => b.textContent === arguments[0]); \
             key.click(); return true"
        );
        t.execute(&script, vec![json!(key)]).await.unwrap();
    }
    let typed = t.execute("return document.getElementById('qr-amount').value", vec![]).await.unwrap();
    assert_eq!(typed, json!("7.25"), "two decimals at most; the delete key takes back one figure");
    click(t, "form[action='/till/requests'] button[type=submit]").await;
    let path = until(t, "return location.pathname.startsWith('/till/requests/') && location.pathname", "the QR").await;
    let request_id = path.as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    till.assert_within_budget("the till's QR").await;

    // It waits without reloading: the page it loaded is still the page, long after the old 2 s
    // refresh would have replaced it, and its QR image was fetched once.
    t.execute("window.stillHere = 'yes'; return true", vec![]).await.unwrap();
    let reloads = "return document.querySelector('meta[http-equiv=refresh]')";
    assert_eq!(t.execute(reloads, vec![]).await.unwrap(), Value::Null, "no refresh while scripts run");
    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
    assert_eq!(t.execute("return window.stillHere", vec![]).await.unwrap(), json!("yes"), "the page never reloaded");
    let images = "return performance.getEntriesByType('resource').filter(e => e.name.endsWith('/qr.svg')).length";
    assert_eq!(t.execute(images, vec![]).await.unwrap(), json!(1));

    // The QR image is kept by the browser and travels compressed.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let cookie = crate::web::signed_in(&http, &base, "+15550710310", "cashier-password").await;
    let image = http
        .get(format!("{base}/till/requests/{request_id}/qr.svg"))
        .header("cookie", &cookie)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), 200);
    let header = |name: &str| image.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(header("content-type"), "image/svg+xml");
    assert!(header("cache-control").contains("max-age="), "{}", header("cache-control"));
    assert!(header("cache-control").starts_with("private"), "a shop's QR is not for shared caches");
    assert_eq!(header("content-encoding"), "gzip");
    let stranger = http.get(format!("{base}/till/requests/{request_id}/qr.svg")).send().await.unwrap();
    assert_ne!(stranger.status(), 200, "no QR for someone signed out");

    // The customer pays it from their phone: the till moves to the result by itself.
    let (_, request) = app.get(&format!("/merchant/payment-requests/{request_id}"), &corner.cashier).await;
    let payload = request["payload"].as_str().unwrap();
    let (status, body) =
        app.post_key("/me/payments", &customer.token, "pay-qr", json!({"payload": payload, "pin": "1234"})).await;
    assert_eq!(status, 201, "{body}");
    let result = until(t, "return document.getElementById('result')?.className", "the till hearing it").await;
    assert_eq!(result, json!("completed"), "{}", text(t).await);
    assert!(text(t).await.contains("7.25"), "{}", text(t).await);

    // A card pays at the till: the slip says what is left on it.
    let (status, card) = app.post_key("/agent/cards", &agent.token, "till-card", json!({"pin": "4321"})).await;
    assert_eq!(status, 201, "{card}");
    let number = card["number"].as_str().unwrap();
    let top_up = json!({"number": number, "amount": "20.00"});
    let (status, body) = app.post_key("/agent/cards/top-up", &agent.token, "till-top-up", top_up).await;
    assert_eq!(status, 201, "{body}");
    t.goto(&format!("{base}/till/")).await.unwrap();
    click(t, "details:nth-of-type(2) summary").await;
    fill(t, "#card-amount", "3.50").await;
    fill(t, "#card-number", number).await;
    fill(t, "#card-pin", "4321").await;
    click(t, "form[action='/till/card'] button[type=submit]").await;
    let left = until(t, "return document.getElementById('card-balance')?.textContent", "the card's slip").await;
    assert_eq!(left, json!("16.50 USD"));
    assert!(!text(t).await.contains(number), "the slip never shows the card's full number");
    let (_, later) = app.get("/merchant/payments", &corner.cashier).await;
    assert!(!later.to_string().contains("16.50"), "nothing later tells the shop the card's balance: {later}");

    till.stop().await;
    app.finish().await;
}
