//! Every screen, every phone: each screen of the browser suite (and the
//! screens reached by an id: a receipt, a till's payment (done and waiting) and payment request,
//! an operator's page of a person, a webhook's deliveries) in a real Chromium
//! on an emulated 360 px phone, in light and in dark mode, in English and Korean.
//! axe-core (vendored for the tests only, `tests/vendor/`) must find no
//! violation of impact serious or critical, with every rule it runs by
//! default; the page must not scroll sideways and must have one h1. The pages reached only by
//! submitting a form are walked the same way in web_a11y_forms.rs.

use reqwest::Method;
use serde_json::{Value, json};

use crate::browser::{Browser, SCREENS};
use crate::harness::{Backend, TestApp, on_each_backend, test_config};

/// axe-core's published build, read from disk: never compiled into the server nor served by it.
pub(crate) const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vendor/axe-core-4.10.2.min.js");

/// The screen `Browser::start_phone` emulates: a small phone's.
const PHONE_WIDTH: u64 = 360;

/// How the page is asked to look: the browser's own switch, as a phone set to dark mode sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Light,
    Dark,
}

impl Scheme {
    pub(crate) fn switches(self) -> Vec<String> {
        match self {
            Scheme::Light => vec!["--blink-settings=preferredColorScheme=1".to_owned()],
            Scheme::Dark => vec!["--blink-settings=preferredColorScheme=0".to_owned(), "--force-dark-mode".to_owned()],
        }
    }
}

/// One person per role of `SCREENS`, signed in through the sign-in page, and the pages reached by an id.
struct Fixture {
    sessions: Vec<(&'static str, String)>,
    by_id: Vec<(&'static str, String)>,
}

async fn fixture(app: &TestApp) -> Fixture {
    let operator = app.operator().await;
    let agent = app.agent(&operator, "+15550190001", "500.00").await;
    let shop = crate::harness::shop(app, &operator, "Harbour Bakery", 1901, 150).await;
    let amina = app.customer("+15550190021").await;
    app.cash_in(&agent, &amina.phone, "100.00").await;
    crate::harness::delivery::courier(app, &operator, "+15550190031", json!({"vehicle": "foot"})).await;
    let phone = crate::harness::enroll(app, &amina).await;
    let (status, paid) = crate::harness::charge(app, &shop.cashier, "a11y-1", &phone.code(app, 0), "12.00").await;
    assert_eq!(status, 201, "{paid}");
    let payment = paid["id"].as_str().unwrap().to_owned();
    // Above the PIN threshold: the till's screen waits for the customer.
    let (status, waiting) = crate::harness::charge(app, &shop.cashier, "a11y-3", &phone.code(app, 1), "25.00").await;
    assert_eq!((status, &waiting["status"]), (201, &json!("awaiting_approval")), "{waiting}");
    let profile = json!({"city": "Lima", "category_code": "5462"});
    let (status, body) = app.request(Method::PUT, "/merchant/profile", Some(&shop.owner), None, Some(profile)).await;
    assert_eq!(status, 200, "{body}");
    let (status, request) = app
        .post_key(
            "/merchant/payment-requests",
            &shop.cashier,
            "a11y-2",
            json!({"amount": "7.50", "reference": "Order 19"}),
        )
        .await;
    assert_eq!(status, 201, "{request}");
    let (status, key) = app.post("/merchant/api-keys", Some(&shop.owner), json!({"name": "Online shop"})).await;
    assert_eq!(status, 201, "{key}");
    // An operator reads Amina's history under a grant: her access log has a line, his page a history.
    let grants = format!("/operator/people/{}/access-grants", amina.id);
    let (status, grant) =
        app.post(&grants, Some(&operator), json!({"reason": "complaint 19: a disputed payment"})).await;
    assert_eq!(status, 201, "{grant}");
    let (status, read) = app.get(&format!("/operator/people/{}/transactions", amina.id), &operator).await;
    assert_eq!(status, 200, "{read}");
    let (status, hook) =
        app.post("/merchant/webhooks", Some(&shop.owner), json!({"url": "https://hooks.example.com/quipu"})).await;
    assert_eq!(status, 201, "{hook}");
    let market = market(app, &operator, &shop, &amina).await;

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = app.base();
    let mut sessions = Vec::new();
    for (role, phone, password) in [
        ("customer", amina.phone.as_str(), "customer-password"),
        ("cashier", "+15550711901", "cashier-password"),
        ("owner", "+15550701901", "owner-password"),
        ("agent", "+15550190001", "agent-password"),
        ("courier", "+15550190031", "courier-password"),
        ("operator", "+15559990001", "staff-password"),
    ] {
        sessions.push((role, crate::web::signed_in(&client, &base, phone, password).await));
    }
    let by_id = vec![
        ("customer", first_receipt(&client, &base, &sessions[0].1).await),
        ("cashier", format!("/till/payments/{payment}")),
        ("cashier", format!("/till/payments/{}", waiting["id"].as_str().unwrap())),
        ("cashier", format!("/till/requests/{}", request["id"].as_str().unwrap())),
        ("owner", format!("/merchant/webhooks/{}", hook["endpoint"]["id"].as_str().unwrap())),
        ("operator", format!("/operator/people/{}", amina.id)),
        ("operator", format!("/operator/people/{}/history", amina.id)),
        ("owner", format!("/merchant/orders/{}", market.order)),
        ("customer", format!("/market/orders/{}", market.order)),
        ("customer", format!("/market/orders/{}", market.completed)),
        ("customer", format!("/market/sellers/{}", shop.id)),
        ("customer", format!("/market/?q=%EB%B9%B5&area={}", market.area)),
        ("", format!("/market/sellers/{}", shop.id)),
        ("", format!("/market/?q=bread&area={}", market.area)),
    ];
    Fixture { sessions, by_id }
}

/// What the market's pages are read over: an area, the bakery selling two breads (one with options),
/// an order placed and waiting for the bakery, one completed, one rated with words, and another loaf
/// in the customer's cart.
struct MarketFixture {
    area: String,
    order: String,
    completed: String,
}

async fn market(
    app: &TestApp,
    operator: &str,
    shop: &crate::harness::Shop,
    customer: &crate::harness::Person,
) -> MarketFixture {
    let (status, area) = app.post("/operator/market/areas", Some(operator), json!({"name": "Harbour"})).await;
    assert_eq!(status, 201, "{area}");
    let area = area["id"].as_str().unwrap().to_owned();
    crate::harness::market::seller(app, operator, shop, &area, "grocery").await;
    let loaf = json!({"name_ko": "우유식빵", "name_en": "Milk bread", "category": "bread", "price": "3.00", "unit": "each", "stock": 5});
    let loaf = crate::harness::market::product(app, shop, loaf).await;
    let sandwich = json!({"name_en": "Sandwich bread", "category": "bread", "price": "2.50", "unit": "each",
        "option_groups": [{"name_en": "Slices", "min": 1, "max": 1, "options": [{"name_en": "Thin", "extra": "0"}, {"name_en": "Thick", "extra": "0.20"}]}]});
    crate::harness::market::product(app, shop, sandwich).await;
    let line = json!({"product_id": loaf, "quantity": 1});
    let (status, cart) = app.post("/me/cart/lines", Some(&customer.token), line.clone()).await;
    assert_eq!(status, 200, "{cart}");
    let checkout = json!({"payment": {"method": "wallet", "pin": "1234"}, "fulfilments": [{"seller_id": shop.id, "kind": "pickup"}]});
    let (status, orders) = app.post_key("/me/checkout", &customer.token, "a11y-order", checkout).await;
    assert_eq!(status, 201, "{orders}");
    // A completed order, to be rated and ordered again; a sold-out loaf, to be waited for.
    let (status, cart) = app.post("/me/cart/lines", Some(&customer.token), line.clone()).await;
    assert_eq!(status, 200, "{cart}");
    let completed = crate::harness::market::place(app, customer, shop, "a11y-order-2").await;
    crate::harness::market::hand_over(app, customer, shop, &completed).await;
    // Another, rated with words: the operator's reviews page has one to hide.
    let (status, cart) = app.post("/me/cart/lines", Some(&customer.token), line.clone()).await;
    assert_eq!(status, 200, "{cart}");
    let rated = crate::harness::market::place(app, customer, shop, "a11y-order-3").await;
    crate::harness::market::hand_over(app, customer, shop, &rated).await;
    let review = json!({"rating": 2, "comment": "Stale bread and a rude cashier"});
    let (status, review) = app.post(&format!("/me/orders/{rated}/review"), Some(&customer.token), review).await;
    assert_eq!(status, 201, "{review}");
    let rye = json!({"name_en": "Rye bread", "category": "bread", "price": "4.00", "unit": "each", "stock": 0});
    crate::harness::market::product(app, shop, rye).await;
    let (status, cart) = app.post("/me/cart/lines", Some(&customer.token), line).await;
    assert_eq!(status, 200, "{cart}");
    MarketFixture { area, order: orders[0]["id"].as_str().unwrap().to_owned(), completed }
}

/// The first receipt the customer's history links to (a receipt is named by its ledger transfer).
async fn first_receipt(client: &reqwest::Client, base: &str, session: &str) -> String {
    let history = client.get(format!("{base}/wallet/history")).header("cookie", session).send().await.unwrap();
    let html = history.text().await.unwrap();
    let link = html.split("href=\"/wallet/receipts/").nth(1).and_then(|rest| rest.split('"').next());
    format!("/wallet/receipts/{}", link.unwrap_or_else(|| panic!("no receipt in the history: {html}")))
}

/// What is wrong with the page just loaded, each problem one line (none: an empty list).
pub(crate) async fn problems(browser: &Browser, axe: &str, scheme: Scheme) -> Vec<String> {
    let client = &browser.client;
    let mut found = Vec::new();
    let layout = client
        .execute(
            "return {dark: matchMedia('(prefers-color-scheme: dark)').matches, screen: screen.width, \
             inner: window.innerWidth, wide: document.documentElement.scrollWidth, \
             h1: document.querySelectorAll('h1').length}",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(layout["dark"], json!(scheme == Scheme::Dark), "the page sees the {scheme:?} scheme: {layout}");
    assert_eq!(layout["screen"], json!(PHONE_WIDTH), "the screen is a phone's: {layout}");
    // A phone zooms a page that is too wide out to fit it: its window then holds more than 360 px.
    let wide = layout["wide"].as_u64().unwrap().max(layout["inner"].as_u64().unwrap());
    if wide > PHONE_WIDTH {
        let widest = client.execute(WIDEST, vec![json!(PHONE_WIDTH)]).await.unwrap();
        found.push(format!("{wide} px wide, past the {PHONE_WIDTH} px window: {widest}"));
    }
    if layout["h1"] != json!(1) {
        found.push(format!("{} h1 headings, not one", layout["h1"]));
    }
    client.execute(axe, vec![]).await.unwrap();
    let run = "const done = arguments[arguments.length - 1]; \
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({ \
            id: v.id, impact: v.impact, help: v.help, \
            nodes: v.nodes.map(n => n.target.join(' ') + (n.failureSummary ? ' (' + n.failureSummary.replace(/\\s+/g, ' ') + ')' : '')) \
        }))), e => done({error: String(e)}));";
    let violations = client.execute_async(run, vec![]).await.unwrap();
    let Value::Array(violations) = violations else { panic!("axe did not run: {violations}") };
    for violation in violations {
        let impact = violation["impact"].as_str().unwrap_or_default();
        let line = format!("axe {} ({impact}): {} at {}", violation["id"], violation["help"], violation["nodes"]);
        if matches!(impact, "serious" | "critical") {
            found.push(line);
        } else {
            // Moderate and minor: worth reading (with --nocapture), not yet a failure.
            eprintln!("{line}");
        }
    }
    found
}

/// The elements reaching past the window's right edge (their box or their content), deepest first.
const WIDEST: &str = "const limit = arguments[0]; \
    const reach = e => Math.max(e.getBoundingClientRect().right, e.getBoundingClientRect().left + e.scrollWidth); \
    return [...document.querySelectorAll('body *')] \
      .filter(e => reach(e) > limit && ![...e.children].some(c => reach(c) > limit)) \
      .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(reach(e)) + 'px');";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_passes_axe_in_light_and_dark_mode_and_fits_a_360_px_phone() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let fixture = fixture(&app).await;
    let axe = std::fs::read_to_string(AXE).expect("axe-core is vendored in tests/vendor (see its README)");
    let mut screens: Vec<(&str, String)> =
        SCREENS.iter().flat_map(|(role, pages)| pages.iter().map(|page| (*role, (*page).to_owned()))).collect();
    screens.extend(fixture.by_id.iter().map(|(role, page)| (*role, page.clone())));
    // Both schemes at once, a browser each.
    let base = app.base();
    let (light, dark) = tokio::join!(
        walk(&base, &fixture, &screens, &axe, Scheme::Light),
        walk(&base, &fixture, &screens, &axe, Scheme::Dark)
    );
    let report = [light, dark].concat();
    assert!(report.is_empty(), "{} problems:\n{}", report.len(), report.join("\n"));
    app.finish().await;
}

/// Every screen in one scheme, in both languages, in one browser: each role signs in by its cookie as
/// its turn comes (a cookie set by the page's script, since WebDriver's refuses a bare IP host).
async fn walk(base: &str, fixture: &Fixture, screens: &[(&str, String)], axe: &str, scheme: Scheme) -> Vec<String> {
    let browser = Browser::start_phone(&scheme.switches()).await;
    let client = &browser.client;
    let mut report = Vec::new();
    let mut signed_in_as = "";
    for (role, page) in screens {
        if *role != signed_in_as {
            let cookie = match role {
                &"" => "quipu_session=; max-age=0",
                _ => fixture
                    .sessions
                    .iter()
                    .find(|(name, _)| name == role)
                    .map(|(_, cookie)| cookie.as_str())
                    .unwrap_or_else(|| panic!("no one signs in as {role:?}: add the role to the fixture")),
            };
            with_cookie(client, base, cookie).await;
            signed_in_as = role;
        }
        for lang in ["en", "ko"] {
            let separator = if page.contains('?') { '&' } else { '?' };
            client.goto(&format!("{base}{page}{separator}lang={lang}")).await.unwrap();
            let path = client.execute("return location.pathname", vec![]).await.unwrap();
            assert_eq!(path, json!(page.split('?').next().unwrap()), "{role:?} reaches {page}");
            for problem in problems(&browser, axe, scheme).await {
                report.push(format!("{page} ({lang}, {scheme:?}): {problem}"));
            }
        }
    }
    browser.stop().await;
    report
}

/// The browser signs in (or out) by its session cookie, set by a page's script (WebDriver's own
/// cookie command refuses a bare IP host), on a page that loads nothing.
pub(crate) async fn with_cookie(client: &fantoccini::Client, base: &str, cookie: &str) {
    client.goto(&format!("{base}/healthz")).await.unwrap();
    client.execute("document.cookie = arguments[0] + '; path=/'", vec![json!(cookie)]).await.unwrap();
}

#[tokio::test]
async fn the_favicon_answers_with_the_apps_icon_cached_for_a_day() {
    on_each_backend(async |app: &TestApp| {
        let base = app.base();
        let icon = app.client.get(format!("{base}/favicon.ico")).send().await.unwrap();
        assert_eq!(icon.status(), 200);
        assert_eq!(icon.headers()["content-type"], "image/svg+xml");
        assert_eq!(icon.headers()["cache-control"], "public, max-age=86400");
        let icon = icon.bytes().await.unwrap();
        // The same picture as the wallet's manifest names.
        let manifest = app.client.get(format!("{base}/wallet/manifest.webmanifest")).send().await.unwrap();
        let manifest: Value = manifest.json().await.unwrap();
        let named = manifest["icons"][0]["src"].as_str().unwrap();
        let named = app.client.get(format!("{base}{named}")).send().await.unwrap().bytes().await.unwrap();
        assert!(icon.starts_with(b"<svg") && icon == named, "{icon:?}");
    })
    .await;
}
