//! A delivery across three browsers: the customer's phone follows the order, the shop's board
//! accepts and readies it, and the courier's phone goes online, claims the job, picks the goods up
//! and, while its (faked) position moves, the customer's page says how far away the courier is;
//! at the door a wrong code is refused, the right one completes the order, and the customer rates
//! it. Every screen stays within its byte budget.

use fantoccini::Client;
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::harness::delivery::courier;
use crate::harness::market::{add, market};
use crate::harness::{Backend, TestApp, test_config};
use crate::web_journeys::{click, fill, sign_in, text, until};

/// A Chrome DevTools command, through chromedriver's own endpoint for them: the one way to grant
/// a page the phone's position and to say where the phone is.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &reqwest::Url, session: Option<&str>) -> Result<reqwest::Url, url_error::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(json!({"cmd": self.cmd, "params": self.params}).to_string()))
    }
}

/// `url::ParseError`, as reqwest names the `url` crate.
mod url_error {
    pub type ParseError = <reqwest::Url as std::str::FromStr>::Err;
}

async fn cdp(client: &Client, cmd: &'static str, params: Value) {
    client.issue_cmd(Cdp { cmd, params }).await.unwrap_or_else(|error| panic!("{cmd}: {error}"));
}

/// The phone is at `latitude`, `longitude` (a few metres' accuracy, as a GPS fix).
async fn phone_at(client: &Client, latitude: f64, longitude: f64) {
    cdp(
        client,
        "Emulation.setGeolocationOverride",
        json!({"latitude": latitude, "longitude": longitude, "accuracy": 5}),
    )
    .await;
}

/// The metres the customer's page says the courier is away, once it says so.
async fn metres_away(client: &Client, what: &str, below: u64) -> u64 {
    let script = format!(
        "const line = document.getElementById('courier-distance'); \
         const metres = line && !line.hidden ? parseInt(line.textContent.replace(/[^0-9 ]/g, ' ').trim(), 10) : NaN; \
         return metres < {below} ? metres : null;"
    );
    until(client, &script, what).await.as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_runs_across_the_customers_the_shops_and_the_couriers_phones() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let m = market(&app).await;
    let rider =
        courier(&app, &m.operator, "+15550660001", json!({"vehicle": "motorbike", "home_area_id": m.area})).await;

    // The customer orders two milks to her door at the checkout page, her phone giving its place.
    let (status, cart) = add(&app, &m.customer, &m.milk, 2).await;
    assert_eq!(status, 200, "{cart}");
    let customer_browser = Browser::start_phone(&[]).await;
    let c = &customer_browser.client;
    sign_in(c, &base, &m.customer.phone, "customer-password").await;
    c.goto(&format!("{base}/market/checkout?lang=en")).await.unwrap();
    customer_browser.assert_within_budget("the checkout").await;
    cdp(c, "Browser.grantPermissions", json!({"origin": base, "permissions": ["geolocation"]})).await;
    phone_at(c, 37.5563, 126.922).await;
    click(c, &format!("input[name='kind-{}'][value=delivery]", m.mart.id)).await;
    fill(c, &format!("#address-{}", m.mart.id), "Building 3, flat 402").await;
    click(c, "button.door-here").await;
    until(c, "return document.querySelector('.door-said')?.textContent", "the door's place").await;
    fill(c, "#pin", "1234").await;
    click(c, "#place").await;
    // One shop's order: the checkout goes straight to its page.
    until(
        c,
        "return location.pathname.startsWith('/market/orders/') && location.search.includes('done=placed')",
        "the order",
    )
    .await;
    let (_, orders) = app.get("/me/orders", &m.customer.token).await;
    let order = orders[0]["id"].as_str().unwrap().to_owned();
    c.goto(&format!("{base}/market/orders/{order}?lang=en")).await.unwrap();
    customer_browser.assert_within_budget("the order's page").await;
    let code = until(c, "return document.getElementById('handover-code')?.textContent", "the hand-over code").await;
    let code = code.as_str().unwrap().to_owned();

    // The shop accepts on its board: a courier is asked.
    let shop_browser = Browser::start().await;
    let s = &shop_browser.client;
    sign_in(s, &base, "+15550700031", "owner-password").await;
    s.goto(&format!("{base}/merchant/orders?lang=en")).await.unwrap();
    fill(s, "section.order input[name=ready_minutes]", "10").await;
    click(s, "section.order form[action$='/accept'] button").await;
    until(s, "return location.search.includes('done=accepted')", "the acceptance").await;
    shop_browser.assert_within_budget("the board").await;
    assert!(text(s).await.contains("Waiting for a courier"), "{}", text(s).await);
    until(c, "return document.getElementById('delivery-step')?.textContent === 'Waiting for a courier'", "the offer")
        .await;
    // The operator's board of deliveries lists it with its age, to give or cancel.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let operator = crate::web::signed_in(&http, &base, "+15559990001", "staff-password").await;
    let board =
        http.get(format!("{base}/operator/deliveries?lang=en")).header("cookie", &operator).send().await.unwrap();
    let board = board.text().await.unwrap();
    assert!(
        board.contains("Mapo Mart") && board.contains("Waiting for a courier") && board.contains("min since"),
        "{board}"
    );

    // The courier goes online, sees the offer with its fee, and takes it.
    let courier_browser = Browser::start_phone(&[]).await;
    let r = &courier_browser.client;
    sign_in(r, &base, &rider.phone, "courier-password").await;
    until(r, "return location.pathname === '/courier/'", "the courier's home").await;
    courier_browser.assert_within_budget("the courier's home").await;
    click(r, "#status button").await;
    until(r, "return location.search.includes('done=online')", "online").await;
    let offer = until(r, "return document.querySelector('li.offer')?.textContent", "the offer").await;
    assert!(offer.as_str().unwrap().contains("Mapo Mart") && offer.as_str().unwrap().contains("3.00"), "{offer}");
    click(r, "li.offer form button").await;
    until(r, "return location.search.includes('done=claimed')", "the claim").await;
    courier_browser.assert_within_budget("the job's page").await;
    let to_door =
        r.execute("return document.getElementById('map-drop-off')?.getAttribute('href')", vec![]).await.unwrap();
    assert_eq!(to_door, json!("geo:37.556300,126.922000"), "the route opens in the phone's own map app");
    cdp(r, "Browser.grantPermissions", json!({"origin": base, "permissions": ["geolocation"]})).await;
    phone_at(r, 37.5663, 126.922).await;
    click(r, "#arrive_at_pickup").await;
    until(r, "return location.search.includes('done=at-pickup')", "at the shop").await;

    // The shop sees the courier there, and readies the order.
    s.goto(&format!("{base}/merchant/orders?lang=en")).await.unwrap();
    assert!(text(s).await.contains("The courier is at the shop"), "{}", text(s).await);
    for action in ["preparing", "ready"] {
        click(s, &format!("section.order form[action$='/{action}'] button")).await;
        until(s, &format!("return location.search.includes('done={action}')"), action).await;
    }

    // The courier picks the goods up: the customer's page says so, and how far away they are as
    // the phone moves.
    r.refresh().await.unwrap();
    click(r, "#pick_up").await;
    until(r, "return location.search.includes('done=picked-up')", "the pickup").await;
    until(c, "return document.getElementById('delivery-step')?.textContent === 'On the way to you'", "on the way")
        .await;
    let far = metres_away(c, "the courier's distance", 5_000).await;
    assert!((1_000..=1_300).contains(&far), "about 1.1 km: {far}");
    // 300 m on, some seconds later: as fast as a motorbike in town, not a jump the server refuses.
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    phone_at(r, 37.5636, 126.922).await;
    let near = metres_away(c, "the courier coming closer", far - 200).await;
    assert!((700..=900).contains(&near), "about 810 m: {near}");

    // At the door: a wrong code is refused in words, the right one completes the order.
    click(r, "#arrive_at_drop_off").await;
    until(r, "return location.search.includes('done=at-drop-off')", "at the door").await;
    let wrong = if code == "0000" { "1111" } else { "0000" };
    fill(r, "#code", wrong).await;
    click(r, "#deliver button").await;
    let refused = until(r, "return document.getElementById('waiting')?.textContent", "the refusal").await;
    assert!(refused.as_str().unwrap().starts_with("That is not the customer's code"), "{refused}");
    r.execute("document.getElementById('code').value = ''; return true", vec![]).await.unwrap();
    fill(r, "#code", &code).await;
    click(r, "#deliver button").await;
    until(r, "return location.search.includes('done=delivered')", "the hand-over").await;
    let earned = until(r, "return document.getElementById('balance')?.textContent", "the earnings").await;
    assert_eq!(earned, json!("3.00 USD"));

    // The customer's page shows it completed; she rates it.
    until(c, "return document.getElementById('status')?.dataset.status === 'completed'", "completed").await;
    click(c, "form[action$='/review'] button[type=submit]").await;
    until(c, "return location.search.includes('done=reviewed')", "the review").await;
    customer_browser.assert_within_budget("the rated order").await;

    customer_browser.stop().await;
    shop_browser.stop().await;
    courier_browser.stop().await;
    app.finish().await;
}
