//! The apps' journeys in a real browser against a real server (SQLite):
//! a customer signs up with billing details, gets cash in at the agent's
//! console, enrols the phone, loses the network and still shows a code the
//! till's camera reads and charges; the payment and the owner's partial
//! refund appear in the wallet; an operator reads the customer's history
//! under a stated reason, and the customer sees who, when and why. The
//! ledger is verified clean at the end (`TestApp::finish`).

use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::browser::Browser;
use crate::harness::shop;
use crate::harness::{Backend, TestApp, test_config};

const CUSTOMER_PHONE: &str = "+15550300021";

/// What the wallet's line does: carries everything, drops every connection at once (no signal),
/// or accepts connections and never answers (a stalled link, as on a weak cell).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    Online,
    Dropped,
    Stalled,
}

/// A loopback proxy in front of the server, for the wallet's browser: changing its line is the
/// phone losing its signal (connections open until then are cut), while the till keeps its own line.
pub(crate) struct Signal {
    port: u16,
    line: watch::Sender<Line>,
}

impl Signal {
    pub(crate) async fn start(target: std::net::SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let line = watch::Sender::new(Line::Online);
        let watching = line.subscribe();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut watching = watching.clone();
                let now = *watching.borrow();
                match now {
                    Line::Dropped => continue, // dropped at once: no network
                    // Held open, never read nor answered, until the line changes.
                    Line::Stalled => drop(tokio::spawn(async move {
                        let _held = inbound;
                        let _ = watching.wait_for(|line| *line != Line::Stalled).await;
                    })),
                    Line::Online => drop(tokio::spawn(async move {
                        let Ok(mut outbound) = TcpStream::connect(target).await else { return };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = watching.wait_for(|line| *line != Line::Online) => {}
                        }
                    })),
                }
            }
        });
        Self { port, line }
    }

    pub(crate) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn set(&self, line: Line) {
        self.line.send_replace(line);
    }
}

pub(crate) async fn fill(client: &Client, css: &str, text: &str) {
    let field = client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no field {css}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

pub(crate) async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("nothing to click at {css}")).click().await.unwrap();
}

/// The page's text, for assertions on what a person reads.
pub(crate) async fn text(client: &Client) -> String {
    // Read in one script, so a page that is being replaced is read whole or not at all.
    for _ in 0..50 {
        if let Ok(Value::String(text)) =
            client.execute("return document.body ? document.body.innerText : null", vec![]).await
        {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never had a body");
}

/// Waits until `script` returns something truthy, and returns it.
pub(crate) async fn until(client: &Client, script: &str, what: &str) -> Value {
    for _ in 0..200 {
        let value = client.execute(script, vec![]).await.unwrap_or(Value::Null);
        if !(value.is_null() || value == json!(false) || value == json!("")) {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}: {}", text(client).await);
}

pub(crate) async fn sign_in(client: &Client, base: &str, phone: &str, password: &str) {
    client.goto(&format!("{base}/login?lang=en")).await.unwrap();
    fill(client, "#phone", phone).await;
    fill(client, "#password", password).await;
    click(client, "form[action='/login'] button[type=submit]").await;
    // Signed in once the page has moved on: a navigation started before that would race the redirect.
    until(client, "return location.pathname !== '/login'", "the sign-in").await;
}

pub(crate) async fn sign_out(client: &Client) {
    click(client, "form[action='/logout'] button").await;
    // The signed-out page wipes what the browser kept (the phone's key, the kept pay screen).
    until(
        client,
        "return location.pathname === '/signed-out' && document.documentElement.dataset.wiped",
        "the sign-out",
    )
    .await;
}

/// Waits a bounded while (about ten seconds) until `script` returns something truthy.
async fn soon(client: &Client, script: &str, what: &str) -> Value {
    for _ in 0..100 {
        let value = client.execute(script, vec![]).await.unwrap_or(Value::Null);
        if !(value.is_null() || value == json!(false) || value == json!("")) {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not come within the wait: {}", text(client).await);
}

/// Navigations give up after `seconds` (a page that never loads fails the test, not hangs it).
async fn page_loads_within(client: &Client, seconds: u64) {
    let timeouts = fantoccini::wd::TimeoutConfiguration::new(None, Some(Duration::from_secs(seconds)), None);
    client.update_timeouts(timeouts).await.unwrap();
}

const CODE: &str = "return document.getElementById('digits')?.dataset.code";

/// With `QUIPU_SCREENSHOTS=<dir>`, the screen as it is now, for the README (docs/screenshots).
async fn screenshot(client: &Client, name: &str) {
    if let Ok(dir) = std::env::var("QUIPU_SCREENSHOTS") {
        let png = client.screenshot().await.unwrap();
        std::fs::write(Path::new(&dir).join(name), png).unwrap();
    }
}

/// A video file Chromium's fake camera plays: one QR code of `text`, dark on light, in Y4M (4:2:0).
fn write_qr_video(path: &Path, text: &str) {
    let (width, height) = (640usize, 480usize);
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let modules = code.width();
    let colors = code.to_colors();
    // qr-scanner looks at the middle two thirds of the frame: the code fits well inside it.
    let scale = (height * 3 / 5 / (modules + 8)).clamp(2, 12);
    let side = (modules + 8) * scale;
    let (left, top) = ((width - side) / 2, (height - side) / 2);
    let mut luma = vec![235u8; width * height];
    for (index, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (x, y) = (index % modules + 4, index / modules + 4);
        for dy in 0..scale {
            let row = top + y * scale + dy;
            let start = row * width + left + x * scale;
            luma[start..start + scale].fill(16);
        }
    }
    let chroma = vec![128u8; (width / 2) * (height / 2)];
    let mut video = format!("YUV4MPEG2 W{width} H{height} F15:1 Ip A1:1 C420\n").into_bytes();
    for _ in 0..2 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&luma);
        video.extend_from_slice(&chroma);
        video.extend_from_slice(&chroma);
    }
    std::fs::write(path, video).unwrap();
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(position, byte)| {
            let digit = u32::from(byte - b'0') * if position % 2 == 1 { 2 } else { 1 };
            if digit > 9 { digit - 9 } else { digit }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_pays_offline_at_a_till_and_sees_the_refund_and_who_looked() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    app.agent(&operator, "+15550300001", "1000.00").await;
    let corner = shop(&app, &operator, "Corner Shop", 301, 150).await;
    let signal = Signal::start(app.addr()).await;
    let wallet = Browser::start().await;
    let staff = Browser::start().await;
    let w = &wallet.client;
    let s = &staff.client;

    // Sign up with billing details, on the wallet's own line.
    w.goto(&format!("{}/wallet/signup?lang=en", signal.base())).await.unwrap();
    fill(w, "#phone", CUSTOMER_PHONE).await;
    fill(w, "#full_name", "Amina Diallo").await;
    fill(w, "#password", "amina-password").await;
    fill(w, "#pin", "1357").await;
    fill(w, "#bank_name", "First Bank").await;
    fill(w, "#account_number", "0012345678").await;
    click(w, "form[action='/wallet/signup'] button[type=submit]").await;
    until(w, "return location.pathname === '/wallet/' && document.body.innerText", "the wallet's home").await;
    let customer = app.login(CUSTOMER_PHONE, "amina-password").await;
    let (status, sources) = app.get("/me/funding-sources", &customer).await;
    assert_eq!((status, sources.as_array().map(Vec::len)), (200, Some(1)), "{sources}");

    // Cash in at the agent's console.
    sign_in(s, &base, "+15550300001", "agent-password").await;
    until(s, "return location.pathname === '/agent/'", "the agent's console").await;
    fill(s, "#in-phone", CUSTOMER_PHONE).await;
    fill(s, "#in-amount", "100.00").await;
    click(s, "form[action='/agent/cash-in/confirm'] button").await;
    until(s, "return document.getElementById('question')", "the name read back").await;
    screenshot(s, "agent.png").await;
    click(s, "form[action='/agent/cash-in'] button").await;
    until(s, "return document.querySelector('.ok')", "the cash-in").await;
    sign_out(s).await;
    w.goto(&format!("{}/wallet/", signal.base())).await.unwrap();
    assert!(text(w).await.contains("100.00 USD"), "{}", text(w).await);

    // Enrol the phone (PIN) and show a code; the service worker keeps the screen.
    w.goto(&format!("{}/wallet/pay", signal.base())).await.unwrap();
    until(w, "return !document.getElementById('enrol').hidden", "the enrolment form").await;
    fill(w, "#enrol-pin", "1357").await;
    click(w, "#enrol button[type=submit]").await;
    until(w, "return document.getElementById('digits').dataset.code", "the first code").await;
    until(
        w,
        "return navigator.serviceWorker.controller !== null || (navigator.serviceWorker.ready.then(() => 0), false)",
        "the service worker",
    )
    .await;
    let (_, devices) = app.get("/me/devices", &customer).await;
    let device_ref = devices[0]["device_ref"].as_str().unwrap().to_owned();

    // No signal: the screen comes back from the service worker and still makes a valid code.
    signal.set(Line::Dropped);
    w.goto(&format!("{}/wallet/pay", signal.base())).await.unwrap();
    let code = until(w, "return document.getElementById('digits').dataset.code", "the offline code").await;
    let code = code.as_str().unwrap().to_owned();
    let reached = w
        .execute_async(
            "const done = arguments[0]; fetch('/api/v1/me').then(() => done('reached'), () => done('unreachable'))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        reached,
        json!("unreachable"),
        "the wallet's browser is offline: this page came from the service worker"
    );
    assert!(code.starts_with(&format!("84{device_ref}")) && code.len() == 20 && luhn_valid(&code), "{code}");
    until(w, "return !!(document.querySelector('#qr svg path') && document.querySelector('#barcode svg'))", "the QR")
        .await;

    screenshot(w, "wallet-pay.png").await;

    // The till's camera reads the code from the phone's screen (here, a video of it) and charges it.
    let video = tempfile::tempdir().unwrap();
    let video_path = video.path().join("code.y4m");
    write_qr_video(&video_path, &code);
    let till = Browser::start_with(&[
        "--use-fake-ui-for-media-stream".to_owned(),
        "--use-fake-device-for-media-stream".to_owned(),
        format!("--use-file-for-fake-video-capture={}", video_path.display()),
    ])
    .await;
    let t = &till.client;
    sign_in(t, &base, "+15550710301", "cashier-password").await;
    until(t, "return location.pathname === '/till/'", "the till").await;
    fill(t, "#amount", "12.50").await;
    until(t, "return !document.getElementById('scan').hidden", "the scan button").await;
    screenshot(t, "till.png").await;
    click(t, "#scan").await;
    until(t, "return location.pathname.startsWith('/till/payments/')", "the charge").await;
    let result = until(t, "return document.getElementById('result').className", "the result").await;
    assert_eq!(result, json!("completed"), "{}", text(t).await);
    till.assert_within_budget("the till's payment").await;

    // A stalled link (connections accepted, never answered): Pay still shows its code, from the
    // kept screen, within a bounded wait. And with no signal the installed app opens (at its start
    // page, /wallet/) on the pay screen, not the browser's error page.
    signal.set(Line::Stalled);
    page_loads_within(w, 15).await;
    w.goto(&format!("{}/wallet/pay", signal.base())).await.expect("the pay screen loads on a stalled link");
    soon(w, CODE, "a code on a stalled link").await;
    signal.set(Line::Dropped);
    w.goto(&format!("{}/wallet/", signal.base())).await.expect("the app opens offline");
    soon(w, CODE, "a code in the app opened offline").await;
    assert!(!text(w).await.contains("100.00 USD"), "no balance is kept for offline use");

    // Back online: the wallet shows the payment.
    signal.set(Line::Online);
    w.goto(&format!("{}/wallet/", signal.base())).await.unwrap();
    let home = text(w).await;
    assert!(home.contains("Corner Shop") && home.contains("-12.50") && home.contains("87.50 USD"), "{home}");
    // Its receipt opens in the browser, signed in by the wallet's cookie.
    let receipt = w.find(Locator::Css("table.lines a[href^='/wallet/receipts/']")).await.unwrap();
    let href = receipt.attr("href").await.unwrap().unwrap();
    w.goto(&format!("{}{href}", signal.base())).await.unwrap();
    let printed = text(w).await;
    assert!(printed.contains("Corner Shop") && printed.contains("12.50"), "{printed}");
    wallet.assert_within_budget("a receipt").await;

    // The owner refunds part of it from the console; the wallet shows the refund.
    sign_in(s, &base, "+15550700301", "owner-password").await;
    until(s, "return location.pathname === '/merchant/'", "the owner's console").await;
    fill(s, ".payment input[name=amount]", "5.00").await;
    fill(s, ".payment input[name=reason]", "Wrong size").await;
    click(s, ".payment form button").await;
    until(s, "return document.querySelector(\"form[action$='/refund']\")", "the refund's confirmation").await;
    click(s, "form[action$='/refund'] button").await;
    until(s, "return document.querySelector('.ok')", "the refund").await;
    sign_out(s).await;
    w.goto(&format!("{}/wallet/", signal.base())).await.unwrap();
    let home = text(w).await;
    assert!(home.contains("Refund") && home.contains("92.50 USD"), "{home}");
    let (_, payments) = app.get("/merchant/payments", &corner.owner).await;
    assert_eq!(payments["payments"][0]["refunded"]["amount"], json!("5.00"), "{payments}");

    // An operator asks to read the customer's history, with a reason; the customer reads who and why.
    sign_in(s, &base, "+15559990001", "staff-password").await;
    until(s, "return location.pathname === '/operator/'", "the operator's console").await;
    // Typing is enough: the results come in as the operator types (htmx swaps them in, no reload).
    s.execute("document.body.dataset.loaded = 'once'", vec![]).await.unwrap();
    fill(s, "#q", CUSTOMER_PHONE).await;
    until(s, "return document.querySelector('ul.people a')", "the search result").await;
    let same_page = s.execute("return document.body.dataset.loaded", vec![]).await.unwrap();
    assert_eq!(same_page, json!("once"), "the results came without a page load");
    click(s, "ul.people a").await;
    fill(s, "#reason", "Customer called about a refund, ticket 4417").await;
    click(s, "form[action$='/access-grants'] button").await;
    until(s, "return location.pathname.endsWith('/history')", "the granted read").await;
    staff.assert_within_budget("the granted read").await;
    assert!(text(s).await.contains("Corner Shop"), "{}", text(s).await);
    w.goto(&format!("{}/wallet/data", signal.base())).await.unwrap();
    let log = w.find(Locator::Css("#access-log")).await.unwrap().text().await.unwrap();
    assert!(log.contains("ticket 4417") && log.contains("operator"), "{log}");

    till.stop().await;
    staff.stop().await;
    wallet.stop().await;
    app.finish().await;
}

/// A browser whose camera sees `text` as a QR code.
async fn browser_seeing(text: &str, dir: &Path) -> Browser {
    let video_path = dir.join("seen.y4m");
    write_qr_video(&video_path, text);
    Browser::start_with(&[
        "--use-fake-ui-for-media-stream".to_owned(),
        "--use-fake-device-for-media-stream".to_owned(),
        format!("--use-file-for-fake-video-capture={}", video_path.display()),
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_scans_the_tills_qr_and_a_card_pays_and_the_owner_reads_the_day() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    let agent = app.agent(&operator, "+15550300002", "1000.00").await;
    let corner = shop(&app, &operator, "Corner Shop", 302, 150).await;
    let profile = json!({"city": "Lima", "category_code": "5411"});
    let (status, body) =
        app.request(reqwest::Method::PUT, "/merchant/profile", Some(&corner.owner), None, Some(profile)).await;
    assert_eq!(status, 200, "{body}");
    let customer = app.customer("+15550300022").await;
    let (status, body) = app
        .post_key(
            "/agent/cash-in",
            &agent.token,
            "web-cash-in",
            json!({"customer_phone": customer.phone, "amount": "50.00"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // The till shows a QR for 7.25 and waits; the page asks again by itself.
    let till = Browser::start().await;
    let t = &till.client;
    sign_in(t, &base, "+15550710302", "cashier-password").await;
    until(t, "return location.pathname === '/till/'", "the till").await;
    click(t, "details:nth-of-type(1) summary").await;
    fill(t, "#qr-amount", "7.25").await;
    click(t, "form[action='/till/requests'] button[type=submit]").await;
    let path = until(t, "return location.pathname.startsWith('/till/requests/') && location.pathname", "the QR").await;
    let request_id = path.as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    till.assert_within_budget("the till's QR").await;
    let (_, request) = app.get(&format!("/merchant/payment-requests/{request_id}"), &corner.cashier).await;
    let payload = request["payload"].as_str().unwrap().to_owned();

    // The customer's camera reads it; the wallet names the shop and the amount; a wrong PIN moves nothing.
    let dir = tempfile::tempdir().unwrap();
    let wallet = browser_seeing(&payload, dir.path()).await;
    let w = &wallet.client;
    sign_in(w, &base, &customer.phone, "customer-password").await;
    w.goto(&format!("{base}/wallet/scan")).await.unwrap();
    until(w, "return !document.getElementById('scan').hidden", "the scan button").await;
    click(w, "#scan").await;
    let shop_name = until(w, "return document.getElementById('shop')?.textContent", "the shop's name").await;
    assert_eq!(shop_name, json!("Corner Shop"));
    wallet.assert_within_budget("the scanned shop").await;
    assert_eq!(w.find(Locator::Css("#to-pay")).await.unwrap().text().await.unwrap(), "7.25 USD");
    fill(w, "#pin", "9999").await;
    click(w, "form[action='/wallet/scan/pay'] button").await;
    // Fluent sets the number apart with invisible isolation marks; a person reads the sentence.
    let refused = until(
        w,
        "return document.querySelector('.error')?.textContent.replace(/[\\u2068\\u2069]/g, '')",
        "the refusal",
    )
    .await;
    assert_eq!(refused, json!("Wrong PIN. 4 attempts left before the PIN locks."));
    let (_, account) = app.get(&format!("/accounts/{}", customer.account), &customer.token).await;
    assert_eq!(account["available"]["amount"], json!("50.00"), "a wrong PIN moved nothing");
    fill(w, "#pin", "1234").await;
    click(w, "form[action='/wallet/scan/pay'] button").await;
    until(w, "return location.pathname === '/wallet/' && document.querySelector('.ok')", "the payment").await;
    assert!(text(w).await.contains("42.75 USD"), "{}", text(w).await);
    let result = until(t, "return document.getElementById('result')?.className", "the till hearing it").await;
    assert_eq!(result, json!("completed"), "{}", text(t).await);

    // A foreign QR from the camera is refused in the person's language.
    let foreign = browser_seeing("https://example.com/pay?to=someone", dir.path()).await;
    let f = &foreign.client;
    sign_in(f, &base, &customer.phone, "customer-password").await;
    f.goto(&format!("{base}/wallet/scan?lang=ko")).await.unwrap();
    until(f, "return !document.getElementById('scan').hidden", "the scan button").await;
    click(f, "#scan").await;
    let message = until(
        f,
        "const m = document.getElementById('payload').validationMessage; return m.includes('Quipu') && m",
        "the refusal",
    )
    .await;
    assert_eq!(message, json!("Quipu 가게의 QR이 아닙니다."));
    foreign.stop().await;

    // The agent issues a card and tops it up; the till takes it with its PIN.
    let staff = Browser::start().await;
    let s = &staff.client;
    sign_in(s, &base, &agent.phone, "agent-password").await;
    until(s, "return location.pathname === '/agent/'", "the agent's console").await;
    s.goto(&format!("{base}/agent/cards")).await.unwrap();
    let number = crate::steps::agent_issues_card(s, "4321").await;
    staff.assert_within_budget("the card sheet").await;
    assert!(
        s.find(Locator::Css(".card-sheet .qr svg")).await.is_ok()
            && s.find(Locator::Css(".card-sheet .barcode svg")).await.is_ok()
    );
    s.goto(&format!("{base}/agent/cards")).await.unwrap();
    fill(s, "#top-up-number", &number).await;
    fill(s, "#top-up-amount", "20.00").await;
    click(s, "form[action='/agent/cards/top-up'] button[type=submit]").await;
    until(s, "return document.querySelector('.ok')", "the top-up").await;
    sign_out(s).await;
    // The till reads the card's printed code with the camera, and the holder types the PIN.
    till.stop().await;
    let till = browser_seeing(&number, dir.path()).await;
    let t = &till.client;
    sign_in(t, &base, "+15550710302", "cashier-password").await;
    until(t, "return location.pathname === '/till/'", "the till").await;
    click(t, "details:nth-of-type(2) summary").await;
    fill(t, "#card-amount", "3.00").await;
    until(t, "return !document.getElementById('scan-card').hidden", "the card scan button").await;
    click(t, "#scan-card").await;
    let read = until(t, "return document.getElementById('card-number').value", "the card's code").await;
    assert_eq!(read, json!(number));
    fill(t, "#card-pin", "4321").await;
    click(t, "form[action='/till/card'] button[type=submit]").await;
    let result = until(t, "return document.getElementById('result')?.className", "the card payment").await;
    assert_eq!(result, json!("completed"), "{}", text(t).await);
    // A refund at the counter: not offered until the shop lets cashiers refund, then made.
    let offered = t.execute("return document.querySelector(\"form[action$='/refund/confirm']\") !== null", vec![]);
    assert_eq!(offered.await.unwrap(), json!(false), "a cashier who may not refund is not offered Refund");
    let policy = json!({"cashiers_may_refund": true});
    let (status, body) =
        app.request(reqwest::Method::PUT, "/merchant/refund-policy", Some(&corner.owner), None, Some(policy)).await;
    assert_eq!(status, 200, "{body}");
    t.refresh().await.unwrap();
    crate::steps::cashier_asks_refund(t, "1.00", "Card charged twice").await;
    crate::steps::refund_confirmed(t).await;
    until(t, "return document.querySelector('.ok')", "the refund").await;
    assert!(text(t).await.contains("refunded 1.00"), "{}", text(t).await);

    // The owner reads the day: two payments, 10.25 gross, 1.00 refunded.
    sign_in(s, &base, "+15550700302", "owner-password").await;
    let summary = until(s, "return document.getElementById('summary')?.innerText", "the summary").await;
    let summary = summary.as_str().unwrap();
    assert!(summary.contains("USD\t2\t10.25"), "{summary}");

    staff.stop().await;
    wallet.stop().await;
    till.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_above_the_threshold_waits_for_the_pin_and_the_customer_keeps_their_phones_and_cards() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    let agent = app.agent(&operator, "+15550300003", "1000.00").await;
    shop(&app, &operator, "Corner Shop", 303, 150).await;
    let customer = app.customer("+15550300023").await;
    let (status, body) = app
        .post_key(
            "/agent/cash-in",
            &agent.token,
            "approval-cash-in",
            json!({"customer_phone": customer.phone, "amount": "100.00"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // The wallet shows its code; the till types it for 30.00, above the 20.00 threshold.
    let wallet = Browser::start().await;
    let w = &wallet.client;
    sign_in(w, &base, &customer.phone, "customer-password").await;
    w.goto(&format!("{base}/wallet/pay")).await.unwrap();
    until(w, "return !document.getElementById('enrol').hidden", "the enrolment form").await;
    fill(w, "#enrol-pin", "1234").await;
    click(w, "#enrol button[type=submit]").await;
    let code = until(w, "return document.getElementById('digits').dataset.code", "the code").await;
    let till = Browser::start().await;
    let t = &till.client;
    sign_in(t, &base, "+15550710303", "cashier-password").await;
    until(t, "return location.pathname === '/till/'", "the till").await;
    fill(t, "#amount", "30.00").await;
    fill(t, "#code", &format!("{}\n", code.as_str().unwrap())).await; // a USB scanner: digits, then Enter
    let waiting = until(t, "return document.getElementById('result')?.className", "the charge").await;
    assert_eq!(waiting, json!("awaiting_approval"), "{}", text(t).await);
    assert!(text(t).await.contains("Waiting for the customer"));

    // The phone hears it live and asks for the PIN; the till's page sees the answer.
    until(w, "return !document.getElementById('approve').hidden", "the approval prompt").await;
    assert!(text(w).await.contains("Corner Shop 30.00 USD"), "{}", text(w).await);
    fill(w, "#approve-pin", "1234").await;
    click(w, "#approve button[type=submit]").await;
    let done = until(
        t,
        "const r = document.getElementById('result'); return r && r.className !== 'awaiting_approval' && r.className",
        "the approval",
    )
    .await;
    assert_eq!(done, json!("completed"), "{}", text(t).await);
    let heard = until(
        w,
        "const s = document.getElementById('status').textContent; return s.startsWith('Paid') && s",
        "the result",
    )
    .await;
    assert_eq!(heard, json!("Paid: Corner Shop 30.00 USD"));
    till.stop().await;

    // The agent issues a card linked to the customer; the customer sees it, blocks it, the agent unblocks it.
    let staff = Browser::start().await;
    let s = &staff.client;
    sign_in(s, &base, &agent.phone, "agent-password").await;
    until(s, "return location.pathname === '/agent/'", "the agent's console").await;
    s.goto(&format!("{base}/agent/cards")).await.unwrap();
    fill(s, "#holder", &customer.phone).await;
    let number = crate::steps::agent_issues_card(s, "4321").await;
    w.goto(&format!("{base}/wallet/settings")).await.unwrap();
    let settings = text(w).await;
    assert!(
        settings.contains(&format!("•••• {}", &number[number.len() - 4..])) && settings.contains("active"),
        "{settings}"
    );
    click(w, "form[action$='/block'] button").await;
    until(w, "return document.querySelector('.ok')", "the block").await;
    assert!(text(w).await.contains("blocked"));
    s.goto(&format!("{base}/agent/cards")).await.unwrap();
    s.execute("document.querySelectorAll('details').forEach(d => d.open = true); return true", vec![]).await.unwrap();
    fill(s, "#block-number", &number).await;
    click(s, "form[action='/agent/cards/block'] button[formaction]").await;
    until(s, "return document.querySelector('.ok')", "the unblock").await;
    assert!(text(s).await.contains("The card is unblocked."));
    // Replaced with the linked person's PIN: a new number on a new sheet.
    s.execute("document.querySelectorAll('details').forEach(d => d.open = true); return true", vec![]).await.unwrap();
    fill(s, "#replace-number", &number).await;
    fill(s, "#replace-holder-pin", "1234").await;
    fill(s, "#replace-pin", "8642").await;
    click(s, "form[action='/agent/cards/replace'] button").await;
    let replaced = until(s, "return document.getElementById('card-number')?.textContent", "the new card").await;
    assert_ne!(replaced, json!(number));
    s.goto(&format!("{base}/agent/float")).await.unwrap();
    assert!(s.find(Locator::Css("table.lines")).await.is_ok(), "the float's lines are a section of the counter");

    // The customer pauses and removes the phone; a wrong current PIN changes nothing.
    w.goto(&format!("{base}/wallet/settings")).await.unwrap();
    click(w, "form[action$='/pause'] button").await;
    until(w, "return document.querySelector('.ok')", "the pause").await;
    let (_, devices) = app.get("/me/devices", &customer.token).await;
    assert_eq!(devices[0]["status"], json!("paused"));
    // The pause's notice goes first: the removal lands on the same address with the same notice.
    w.execute("document.querySelector('.ok').remove(); return true", vec![]).await.unwrap();
    click(w, "form[action$='/revoke'] button").await;
    until(w, "return document.querySelector('.ok')", "the removal").await;
    let (_, devices) = app.get("/me/devices", &customer.token).await;
    assert_eq!(devices[0]["status"], json!("revoked"));
    fill(w, "#old_pin", "0000").await;
    fill(w, "#new_pin", "2468").await;
    click(w, "form[action='/wallet/pin'] button").await;
    // Fluent sets the number apart with invisible isolation marks; a person reads the sentence.
    let refused = until(
        w,
        "return document.querySelector('.error')?.textContent.replace(/[\\u2068\\u2069]/g, '')",
        "the refusal",
    )
    .await;
    assert_eq!(refused, json!("Wrong PIN. 4 attempts left before the PIN locks."));
    fill(w, "#old_pin", "1234").await;
    fill(w, "#new_pin", "2468").await;
    click(w, "form[action='/wallet/pin'] button").await;
    until(w, "return document.querySelector('.ok')", "the new PIN").await;

    staff.stop().await;
    wallet.stop().await;
    app.finish().await;
}

/// Registers a customer with a name of their own (the pay screen shows it); their id.
async fn named_customer(app: &TestApp, phone: &str, name: &str) -> String {
    let person = json!({"phone": phone, "full_name": name, "password": "customer-password", "pin": "1234"});
    let (status, body) = app.post("/auth/register", None, person).await;
    assert_eq!(status, 201, "{body}");
    body["user"]["id"].as_str().unwrap().to_owned()
}

/// Rewrites whose the phone's saved key says it is (`null`: a key saved before keys named anyone).
const RELABEL: &str = "const [userId, done] = arguments; const open = indexedDB.open('quipu-wallet', 1); \
    open.onsuccess = () => { const db = open.result; const tx = db.transaction('device', 'readwrite'); \
    const store = tx.objectStore('device'); const get = store.get('current'); \
    get.onsuccess = () => store.put({ ...get.result, userId: userId ?? undefined }, 'current'); \
    tx.oncomplete = () => { db.close(); done('relabelled'); }; tx.onerror = () => done(String(tx.error)); };";

/// Whether the browser still keeps anything of the wallet's: the phone's key store or a cache.
const KEPT: &str = "const done = arguments[0]; Promise.all([indexedDB.databases(), caches.keys()]) \
    .then(([dbs, names]) => done(dbs.map((d) => d.name).concat(names)), (e) => done(String(e)))";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_code_stays_with_its_holder_on_a_shared_phone() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let signal = Signal::start(app.addr()).await;
    let base = signal.base();
    let (amina, bruno) = ("+15550300041", "+15550300042");
    let amina_id = named_customer(&app, amina, "Amina Diallo").await;
    named_customer(&app, bruno, "Bruno Costa").await;
    let phone = Browser::start().await;
    let w = &phone.client;
    page_loads_within(w, 15).await;
    let pay = format!("{base}/wallet/pay?lang=en");
    let enrol_form = "return !document.getElementById('enrol').hidden";

    // Amina enrols the shared phone; the screen names her. Then she signs out.
    sign_in(w, &base, amina, "customer-password").await;
    w.goto(&pay).await.unwrap();
    until(w, enrol_form, "Amina's enrolment form").await;
    assert!(text(w).await.contains("Amina Diallo"), "the pay screen names its holder: {}", text(w).await);
    fill(w, "#enrol-pin", "1234").await;
    click(w, "#enrol button[type=submit]").await;
    until(w, CODE, "Amina's code").await;
    until(w, "return navigator.serviceWorker.controller !== null", "the service worker").await;
    sign_out(w).await;
    let kept = w.execute_async(KEPT, vec![]).await.unwrap();
    assert_eq!(kept, json!([]), "sign-out leaves no key store and no kept page");

    // Signed out and offline: no pay screen, no code.
    signal.set(Line::Dropped);
    let _ = w.goto(&pay).await; // the browser's own error page: nothing is kept to show
    let shown = w.execute("return document.getElementById('pay') === null", vec![]).await.unwrap();
    assert_eq!(shown, json!(true), "signed out and offline, nothing of Amina's shows: {}", text(w).await);
    signal.set(Line::Online);

    // Bruno signs in on the same phone: his name, the enrolment form, none of Amina's code.
    sign_in(w, &base, bruno, "customer-password").await;
    w.goto(&pay).await.unwrap();
    until(w, enrol_form, "Bruno's enrolment form").await;
    let screen = text(w).await;
    assert!(screen.contains("Bruno Costa") && !screen.contains("Amina"), "{screen}");
    assert_eq!(w.execute(CODE, vec![]).await.unwrap(), json!(null), "no code shows before Bruno enrols");
    sign_out(w).await;

    // Amina enrols again; Bruno signs in over her session without her signing out: her key is
    // refused for him and wiped, and the kept pay screen is hers, so it is not shown to him offline.
    sign_in(w, &base, amina, "customer-password").await;
    w.goto(&pay).await.unwrap();
    until(w, enrol_form, "Amina's enrolment form again").await;
    fill(w, "#enrol-pin", "1234").await;
    click(w, "#enrol button[type=submit]").await;
    until(w, CODE, "Amina's new code").await;
    until(w, "return navigator.serviceWorker.controller !== null", "the service worker").await;
    sign_in(w, &base, bruno, "customer-password").await;
    signal.set(Line::Dropped);
    let _ = w.goto(&pay).await;
    let shown = w.execute(CODE, vec![]).await.unwrap_or(Value::Null);
    assert_eq!(shown, json!(null), "Amina's code is not shown to Bruno offline: {}", text(w).await);
    signal.set(Line::Online);
    w.goto(&pay).await.unwrap();
    until(w, enrol_form, "Bruno's enrolment form over Amina's key").await;
    assert!(text(w).await.contains("Bruno Costa"));

    // A key that names someone else is wiped even offline, where the server cannot be asked.
    fill(w, "#enrol-pin", "1234").await;
    click(w, "#enrol button[type=submit]").await;
    until(w, CODE, "Bruno's code").await;
    let relabelled = w.execute_async(RELABEL, vec![json!(amina_id)]).await.unwrap();
    assert_eq!(relabelled, json!("relabelled"));
    signal.set(Line::Dropped);
    w.goto(&pay).await.unwrap();
    until(w, "return !document.getElementById('enrol').hidden", "the enrolment form offline").await;
    assert_eq!(w.execute(CODE, vec![]).await.unwrap(), json!(null), "a key of Amina's is never shown to Bruno");
    signal.set(Line::Online);

    // A key saved before keys named their holder shows once the server lists it as the person's.
    w.goto(&pay).await.unwrap();
    fill(w, "#enrol-pin", "1234").await;
    click(w, "#enrol button[type=submit]").await;
    until(w, CODE, "Bruno's new code").await;
    let relabelled = w.execute_async(RELABEL, vec![json!(null)]).await.unwrap();
    assert_eq!(relabelled, json!("relabelled"));
    w.goto(&pay).await.unwrap();
    until(w, CODE, "the adopted key's code").await;

    // A key the server no longer has as the person's active device (removed elsewhere) is wiped.
    let token = app.login(bruno, "customer-password").await;
    let (_, devices) = app.get("/me/devices", &token).await;
    for device in devices.as_array().unwrap().iter().filter(|device| device["status"] == json!("active")) {
        let path = format!("/me/devices/{}/revoke", device["id"].as_str().unwrap());
        let (status, body) = app.post(&path, Some(&token), json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    w.goto(&pay).await.unwrap();
    until(
        w,
        "return !document.getElementById('enrol').hidden && !document.getElementById('digits').dataset.code",
        "the removed key's enrolment form",
    )
    .await;

    phone.stop().await;
    app.finish().await;
}
