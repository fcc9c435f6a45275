//! Every page a form leads to, on every phone: the pages only a submitted form shows (the
//! confirmations that read a name back before money moves, the refusals, the "done" notices, a new
//! card's sheet, an API key and a webhook's secret shown once, a card's slip) are reached by submitting the forms in a
//! real Chromium on an emulated 360 px phone, in light and dark mode, in English and Korean, and
//! held to web_a11y.rs's checks: no serious or critical axe-core violation, nothing wider than the
//! phone, one h1.

use fantoccini::Client;
use serde_json::json;

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, test_config};
use crate::steps::{
    agent_asks_cash_in, agent_asks_cash_out, agent_issues_card, agent_pays_out_with_pin, cashier_asks_refund,
    customer_asks_to_send, customer_sends_with_pin, owner_asks_refund, refund_confirmed,
};
use crate::web_a11y::{AXE, Scheme, problems, with_cookie};
use crate::web_journeys::{click, fill, until};

const AGENT_PHONE: &str = "+15550191001";
const OWNER_PHONE: &str = "+15550701910";
const CASHIER_PHONE: &str = "+15550711910";
const OPERATOR_PHONE: &str = "+15559990001";

/// What every walk shares: the staff's sessions, a payment to refund and a shop's QR to scan.
struct Fixture {
    base: String,
    agent: String,
    owner: String,
    cashier: String,
    operator: String,
    /// A 20.00 payment at the shop, refunded a little in each walk.
    payment: String,
    /// A payment request's QR text, which the wallet reads back before paying.
    payload: String,
}

/// A walk's own customers: it types wrong PINs, which must not add up with the other walk's.
struct Customers {
    sender: (String, String),
    recipient: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let operator = app.operator().await;
    let agent = app.agent(&operator, AGENT_PHONE, "1000.00").await;
    let shop = crate::harness::shop(app, &operator, "Form Walk Bakery", 1910, 150).await;
    let profile = json!({"city": "Lima", "category_code": "5462"});
    let (status, body) =
        app.request(reqwest::Method::PUT, "/merchant/profile", Some(&shop.owner), None, Some(profile)).await;
    assert_eq!(status, 200, "{body}");
    let policy = json!({"cashiers_may_refund": true});
    let (status, body) =
        app.request(reqwest::Method::PUT, "/merchant/refund-policy", Some(&shop.owner), None, Some(policy)).await;
    assert_eq!(status, 200, "{body}");
    let payer = app.customer("+15550191021").await;
    app.cash_in(&agent, &payer.phone, "100.00").await;
    let phone = crate::harness::enroll(app, &payer).await;
    let (status, paid) = crate::harness::charge(app, &shop.cashier, "walk-1", &phone.code(app, 0), "20.00").await;
    assert_eq!(status, 201, "{paid}");
    let request = json!({"amount": "7.50", "reference": "Order 19"});
    let (status, request) = app.post_key("/merchant/payment-requests", &shop.cashier, "walk-2", request).await;
    assert_eq!(status, 201, "{request}");

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = app.base();
    let signed_in = async |phone: &str, password: &str| crate::web::signed_in(&client, &base, phone, password).await;
    Fixture {
        agent: signed_in(AGENT_PHONE, "agent-password").await,
        owner: signed_in(OWNER_PHONE, "owner-password").await,
        cashier: signed_in(CASHIER_PHONE, "cashier-password").await,
        operator: signed_in(OPERATOR_PHONE, "staff-password").await,
        payment: paid["id"].as_str().unwrap().to_owned(),
        payload: request["payload"].as_str().unwrap().to_owned(),
        base,
    }
}

async fn customers(app: &TestApp, first: u32) -> Customers {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let sender = app.customer(&format!("+1555019{first:04}")).await;
    let recipient = app.customer(&format!("+1555019{:04}", first + 1)).await;
    let session = crate::web::signed_in(&client, &app.base(), &sender.phone, "customer-password").await;
    Customers { sender: (sender.phone, session), recipient: recipient.phone }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_a_form_leads_to_passes_axe_in_light_and_dark_mode_and_fits_a_360_px_phone() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let fixture = fixture(&app).await;
    let (light, dark) = (customers(&app, 2101).await, customers(&app, 2201).await);
    let axe = std::fs::read_to_string(AXE).expect("axe-core is vendored in tests/vendor (see its README)");
    // Both schemes at once, a browser each.
    let (light, dark) =
        tokio::join!(walk(&fixture, &light, &axe, Scheme::Light), walk(&fixture, &dark, &axe, Scheme::Dark));
    let report = [light, dark].concat();
    assert!(report.is_empty(), "{} problems:\n{}", report.len(), report.join("\n"));
    app.finish().await;
}

/// One browser in one scheme and language, checking each page a form leads to.
struct Walker<'a> {
    browser: &'a Browser,
    base: &'a str,
    axe: &'a str,
    scheme: Scheme,
    lang: &'static str,
    report: Vec<String>,
    /// How many pages were checked, so a walk that silently skipped pages is noticed.
    checked: usize,
}

impl Walker<'_> {
    fn client(&self) -> &Client {
        &self.browser.client
    }

    /// A page with a form, in the walk's language (which the browser then keeps, for the form's answer).
    async fn open(&self, path: &str) {
        let separator = if path.contains('?') { '&' } else { '?' };
        self.client().goto(&format!("{}{path}{separator}lang={}", self.base, self.lang)).await.unwrap();
    }

    /// The page a form led to, once `ready` holds on it: in the walk's language, and with no problem.
    async fn check(&mut self, ready: &str, what: &str) {
        let client = &self.browser.client;
        until(client, &format!("return document.readyState === 'complete' && ({ready})"), what).await;
        let lang = client.execute("return document.documentElement.lang", vec![]).await.unwrap();
        assert_eq!(lang, json!(self.lang), "{what} is in the walk's language");
        let path = client.execute("return location.pathname + location.search", vec![]).await.unwrap();
        for problem in problems(self.browser, self.axe, self.scheme).await {
            self.report.push(format!("{what} at {path} ({}, {:?}): {problem}", self.lang, self.scheme));
        }
        self.checked += 1;
    }
}

const QUESTION: &str = "document.getElementById('question')";
const DONE: &str = "document.querySelector('.ok')";
const REFUSED: &str = "document.querySelector('.error')";

async fn walk(fixture: &Fixture, customers: &Customers, axe: &str, scheme: Scheme) -> Vec<String> {
    let browser = Browser::start_phone(&scheme.switches()).await;
    let mut report = Vec::new();
    for lang in ["en", "ko"] {
        let mut w =
            Walker { browser: &browser, base: &fixture.base, axe, scheme, lang, report: Vec::new(), checked: 0 };
        let card = agent_pages(&mut w, fixture, customers).await;
        till_pages(&mut w, fixture, &card).await;
        owner_pages(&mut w, fixture).await;
        wallet_pages(&mut w, fixture, customers).await;
        operator_pages(&mut w, fixture).await;
        signed_out_pages(&mut w).await;
        assert_eq!(w.checked, 22, "every page of the walk was checked ({lang}, {scheme:?})");
        report.append(&mut w.report);
    }
    browser.stop().await;
    report
}

/// Cash in and out, read back and done; a card issued (its sheet), loaded from the sheet. The card's number.
async fn agent_pages(w: &mut Walker<'_>, fixture: &Fixture, customers: &Customers) -> String {
    let (phone, _) = &customers.sender;
    with_cookie(w.client(), w.base, &fixture.agent).await;
    w.open("/agent/").await;
    agent_asks_cash_in(w.client(), "+15550199999", "20.00").await;
    w.check(REFUSED, "the cash-in refused for an unknown phone").await;
    agent_asks_cash_in(w.client(), phone, "20.00").await;
    w.check(QUESTION, "the cash-in confirmation").await;
    click(w.client(), "form[action='/agent/cash-in'] button").await;
    w.check(DONE, "the cash-in done").await;
    w.open("/agent/cash-out").await;
    agent_asks_cash_out(w.client(), phone, "2.00").await;
    w.check(QUESTION, "the cash-out confirmation").await;
    agent_pays_out_with_pin(w.client(), "9999").await;
    w.check(REFUSED, "the cash-out refused for a wrong PIN").await;
    agent_pays_out_with_pin(w.client(), "1234").await;
    w.check(DONE, "the cash-out done").await;
    w.open("/agent/cards").await;
    let number = agent_issues_card(w.client(), "4321").await;
    w.check("document.getElementById('card-number')", "the new card's sheet").await;
    fill(w.client(), "#load-amount", "5.00").await;
    click(w.client(), "form#load-new-card button[type=submit]").await;
    w.check(DONE, "the card loaded").await;
    number
}

/// A card's slip at the till; a refund at the counter, read back and done.
async fn till_pages(w: &mut Walker<'_>, fixture: &Fixture, card: &str) {
    with_cookie(w.client(), w.base, &fixture.cashier).await;
    w.open("/till/").await;
    click(w.client(), "details:nth-of-type(2) summary").await;
    fill(w.client(), "#card-amount", "2.00").await;
    fill(w.client(), "#card-number", card).await;
    fill(w.client(), "#card-pin", "4321").await;
    click(w.client(), "form[action='/till/card'] button[type=submit]").await;
    w.check("document.getElementById('card-balance')", "the card's slip").await;
    w.open(&format!("/till/payments/{}", fixture.payment)).await;
    cashier_asks_refund(w.client(), "1.00", "Charged twice").await;
    w.check(QUESTION, "the till's refund confirmation").await;
    refund_confirmed(w.client()).await;
    w.check(DONE, "the till's refund done").await;
}

/// The owner's refund, read back and done; a new API key, shown once.
async fn owner_pages(w: &mut Walker<'_>, fixture: &Fixture) {
    with_cookie(w.client(), w.base, &fixture.owner).await;
    w.open("/merchant/").await;
    owner_asks_refund(w.client(), "0.10", "Wrong size").await;
    w.check(QUESTION, "the console's refund confirmation").await;
    refund_confirmed(w.client()).await;
    w.check(DONE, "the console's refund done").await;
    w.open("/merchant/api-keys").await;
    fill(w.client(), "#key-name", "Online shop").await;
    click(w.client(), "form[action='/merchant/api-keys'] button[type=submit]").await;
    w.check("document.getElementById('new-key')", "the new API key").await;
    w.open("/merchant/webhooks").await;
    let url = format!("https://hooks.example.com/walk-{}-{:?}", w.lang, w.scheme);
    fill(w.client(), "#url", &url).await;
    click(w.client(), "form[action='/merchant/webhooks'] button[type=submit]").await;
    w.check("document.getElementById('webhook-secret')", "the new webhook's secret").await;
}

/// A send refused (an unknown phone, then a wrong PIN), read back and sent; a shop's QR read back.
async fn wallet_pages(w: &mut Walker<'_>, fixture: &Fixture, customers: &Customers) {
    let (_, session) = &customers.sender;
    with_cookie(w.client(), w.base, session).await;
    w.open("/wallet/send").await;
    customer_asks_to_send(w.client(), "+15550199999", "5.00").await;
    w.check(REFUSED, "the send refused for an unknown phone").await;
    customer_asks_to_send(w.client(), &customers.recipient, "5.00").await;
    w.check(QUESTION, "the send's confirmation").await;
    customer_sends_with_pin(w.client(), "9999").await;
    w.check(REFUSED, "the send refused for a wrong PIN").await;
    customer_sends_with_pin(w.client(), "1234").await;
    w.check(DONE, "the send done").await;
    w.open("/wallet/scan").await;
    fill(w.client(), "#payload", &fixture.payload).await;
    click(w.client(), "form[action='/wallet/scan'] button[type=submit]").await;
    w.check("document.getElementById('shop')", "the shop's QR read back").await;
}

/// A shop onboarded for an owner's phone already taken: the onboarding page says why.
async fn operator_pages(w: &mut Walker<'_>, fixture: &Fixture) {
    with_cookie(w.client(), w.base, &fixture.operator).await;
    w.open("/operator/onboarding").await;
    fill(w.client(), "#shop-name", "Second Bakery").await;
    fill(w.client(), "#owner-phone", OWNER_PHONE).await;
    fill(w.client(), "#owner-name", "Owner Again").await;
    fill(w.client(), "#owner-password", "owner-password").await;
    click(w.client(), "form[action='/operator/merchants'] button[type=submit]").await;
    w.check(REFUSED, "the onboarding refused for a phone taken").await;
}

/// A sign-in refused (a phone no one has), to nobody in particular.
async fn signed_out_pages(w: &mut Walker<'_>) {
    with_cookie(w.client(), w.base, "quipu_session=; max-age=0").await;
    w.open("/login").await;
    fill(w.client(), "#phone", "+15550199990").await;
    fill(w.client(), "#password", "not-the-password").await;
    click(w.client(), "form[action='/login'] button[type=submit]").await;
    w.check(REFUSED, "the sign-in refused").await;
}
