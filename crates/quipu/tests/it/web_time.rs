//! Local time (issue 19): a shop's "today" is its own zone's day, not UTC's, in its summary, its
//! statement's period and its staff's pages; a customer who chose Asia/Seoul reads their history in
//! Seoul's time, under a heading per Seoul day, in Korean and English. The clock is the harness's,
//! set to a fixed instant, so nothing depends on the machine's own time.

use quipu_core::Clock;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, on_each_backend, test_config};
use crate::harness::{enroll, shop};
use crate::web_journeys::{click, fill, sign_in, text, until};

/// 2030-06-14T23:30:00Z: still the 14th in UTC, already 08:30 on the 15th in Seoul.
pub(crate) const LATE_UTC: i64 = 1_907_710_200;
/// 2030-06-14T14:00:00Z: 23:00 on the 14th in Seoul.
const AFTERNOON_UTC: i64 = 1_907_676_000;

/// Moves the server's clock to `seconds` since the epoch (it runs on from there at real speed).
pub(crate) fn set_clock(app: &TestApp, seconds: i64) {
    app.clock.advance_seconds(seconds - app.clock.now().0 / 1_000_000);
}

/// A page as a signed-in person's browser gets it (the session cookie is the API's token).
pub(crate) async fn page(app: &TestApp, path: &str, token: &str) -> String {
    let response = app
        .client
        .get(format!("{}{path}", app.base()))
        .header("cookie", format!("quipu_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// Posts the time-zone form of a page (with the CSRF token the page carries); the page it lands on.
pub(crate) async fn post_zone(app: &TestApp, from: &str, action: &str, token: &str, zone: &str) -> (u16, String) {
    let html = page(app, from, token).await;
    let csrf = html.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let response = app
        .client
        .post(format!("{}{action}", app.base()))
        .header("cookie", format!("quipu_session={token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&time_zone={}", zone.replace('/', "%2F")))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn usd_payments(summary: &Value) -> i64 {
    summary["currencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["currency"] == "USD")
        .map_or(0, |c| c["payments"].as_i64().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_at_23_30_utc_is_in_the_next_day_of_a_shop_in_seoul() {
    on_each_backend(async |app: &TestApp| {
        set_clock(app, LATE_UTC);
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550910001", "200.00").await;
        let customer = app.customer("+15550910002").await;
        let shop = shop(app, &operator, "Seoul Mart", 91, 0).await;
        app.cash_in(&agent, &customer.phone, "50.00").await;
        let phone = enroll(app, &customer).await;
        let charge = json!({"code": phone.code(app, 1), "amount": "10.00"});
        let (status, body) = app.post_key("/merchant/charges", &shop.cashier, "late", charge).await;
        assert_eq!(status, 201, "{body}");
        let sale = body["id"].as_str().unwrap().to_owned();

        // Until the shop chooses, its day is the network's (UTC here): the 14th.
        let (status, day) = app.get("/merchant/summary", &shop.owner).await;
        assert_eq!(status, 200, "{day}");
        assert_eq!((day["date"].as_str(), day["time_zone"].as_str()), (Some("2030-06-14"), Some("UTC")), "{day}");
        assert_eq!(usd_payments(&day), 1);

        // The owner chooses the shop's zone on its profile; a name no database knows is refused.
        let (status, html) =
            post_zone(app, "/merchant/profile", "/merchant/time-zone", &shop.owner, "Mars/Olympus").await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("That is not a time zone we know"), "{html}");
        let (status, day) = app.get("/merchant/summary", &shop.owner).await;
        assert_eq!((status, day["time_zone"].as_str()), (200, Some("UTC")), "nothing changed: {day}");
        let (status, html) =
            post_zone(app, "/merchant/profile", "/merchant/time-zone", &shop.owner, "asia/seoul").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Time zone saved.") && html.contains(">Asia/Seoul<"), "{html}");

        // Through the API too: the shop's zone as chosen; a cashier may not change it; nonsense is refused.
        let (status, zone) = app.get("/merchant/time-zone", &shop.cashier).await;
        assert_eq!((status, zone), (200, json!({"time_zone": "Asia/Seoul", "chosen": true})));
        let put = |token: &str, path: &'static str, zone: &str| {
            let (token, body) = (token.to_owned(), json!({ "time_zone": zone }));
            async move { app.request(reqwest::Method::PUT, path, Some(&token), None, Some(body)).await }
        };
        assert_eq!(put(&shop.cashier, "/merchant/time-zone", "UTC").await.0, 403);
        let (status, body) = put(&shop.owner, "/merchant/time-zone", "../../etc/localtime").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_time_zone")), "{body}");
        let (status, mine) = app.get("/me/time-zone", &customer.token).await;
        assert_eq!((status, mine), (200, json!({"time_zone": "UTC", "chosen": false})));

        // Now its today is Seoul's 15th, from 15:00 UTC on the 14th, and holds the 23:30 UTC sale.
        let (status, day) = app.get("/merchant/summary", &shop.cashier).await;
        assert_eq!(status, 200, "{day}");
        assert_eq!((day["date"].as_str(), day["time_zone"].as_str()), (Some("2030-06-15"), Some("Asia/Seoul")));
        assert_eq!(
            (day["from"].as_str(), day["to"].as_str()),
            (Some("2030-06-14T15:00:00Z"), Some("2030-06-15T15:00:00Z"))
        );
        assert_eq!((day["utc_offset_minutes"].as_i64(), usd_payments(&day)), (Some(540), 1), "{day}");
        // A date is the shop's local date: Seoul's 14th ended before the sale.
        let (_, before) = app.get("/merchant/summary?date=2030-06-14", &shop.owner).await;
        assert_eq!((before["from"].as_str(), usd_payments(&before)), (Some("2030-06-13T15:00:00Z"), 0), "{before}");
        // An integrator that names an offset gets that offset's day, as before shops had zones.
        let (_, fixed) = app.get("/merchant/summary?date=2030-06-14&utc_offset_minutes=0", &shop.owner).await;
        assert_eq!((fixed["time_zone"].clone(), usd_payments(&fixed)), (Value::Null, 1), "{fixed}");

        // The owner's console: the shop's day and its statement's period, the sale in Seoul's time.
        let console = page(app, "/merchant/", &shop.owner).await;
        assert!(console.contains("2030-06-15") && console.contains("from=2030-06-14T15"), "{console}");
        assert!(console.contains("Today 08:30") && console.contains("<time datetime=\"2030-06-14T23:30:"), "{console}");
        // The cashier's till, in the shop's zone too.
        let till = page(app, "/till/", &shop.cashier).await;
        assert!(till.contains("Today 08:30"), "{till}");
        // Its printed receipt, on the shop's clock.
        let printed = app.client.get(format!("{}/payments/{sale}/receipt.html", app.api));
        let printed = printed.bearer_auth(&shop.cashier).send().await.unwrap().text().await.unwrap();
        assert!(printed.contains("<td>2030-06-15 08:30 Asia/Seoul</td>"), "{printed}");
        // The customer never chose: the network's zone, where it is still the 14th at 23:30.
        let wallet = page(app, "/wallet/", &customer.token).await;
        assert!(wallet.contains(">Today</time>") && wallet.contains(">23:30</time>"), "{wallet}");
        assert!(!wallet.contains(">2030-06-14T"), "no raw timestamp is shown: {wallet}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_in_seoul_reads_their_history_in_seoul_time_grouped_by_day() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    // Both on the 14th in UTC; in Seoul the first is 23:00 on the 14th, the second 08:30 on the 15th.
    set_clock(&app, AFTERNOON_UTC);
    let operator = app.operator().await;
    let agent = app.agent(&operator, "+15550920001", "200.00").await;
    let customer = app.customer("+15550920002").await;
    app.cash_in(&agent, &customer.phone, "20.00").await;
    set_clock(&app, LATE_UTC);
    app.cash_in(&agent, &customer.phone, "5.00").await;

    let browser = Browser::start().await;
    let s = &browser.client;
    sign_in(s, &base, &customer.phone, "customer-password").await;
    s.goto(&format!("{base}/wallet/settings?lang=ko")).await.unwrap();
    // A zone no one knows: refused in Korean, nothing changed.
    fill(s, "#time_zone", "Mars/Olympus").await;
    click(s, "form[action='/wallet/time-zone'] button").await;
    until(s, "return document.querySelector('.error')", "the refusal").await;
    let refused = text(s).await;
    assert!(refused.contains("알 수 없는 시간대입니다"), "{refused}");
    fill(s, "#time_zone", "Asia/Seoul").await;
    click(s, "form[action='/wallet/time-zone'] button").await;
    until(s, "return location.search.includes('done=time-zone') && document.querySelector('.ok')", "saved").await;
    assert_eq!(s.find(fantoccini::Locator::Css("#zone-now")).await.unwrap().text().await.unwrap(), "Asia/Seoul");

    // The history: a heading per Seoul day, each line at its Seoul time, the instant kept for machines.
    s.goto(&format!("{base}/wallet/history")).await.unwrap();
    let headings = "return [...document.querySelectorAll('table.lines tr.day th')].map(th => th.innerText)";
    let times = "return [...document.querySelectorAll('table.lines td time')].map(t => t.innerText + ' ' + t.getAttribute('datetime').slice(0, 16))";
    assert_eq!(until(s, headings, "the day headings").await, json!(["오늘", "어제"]));
    assert_eq!(until(s, times, "the times").await, json!(["08:30 2030-06-14T23:30", "23:00 2030-06-14T14:00"]));
    let shown = text(s).await;
    assert!(!shown.contains("2030-06-14T"), "no raw UTC timestamp: {shown}");
    browser.assert_within_budget("the wallet's history").await;
    // The home's recent lines read the same; in English, Today and Yesterday.
    s.goto(&format!("{base}/wallet/?lang=en")).await.unwrap();
    assert_eq!(until(s, headings, "the day headings").await, json!(["Today", "Yesterday"]));
    browser.stop().await;
    app.finish().await;
}
