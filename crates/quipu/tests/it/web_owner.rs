//! The shop owner's console in a real browser against a real server (SQLite):
//! the owner sets the city the shop's QRs carry and reads the fee rate, adds a
//! cashier (a bad phone number is refused in Korean, the typed name kept) and
//! lets them refund, removes another, prints a till's QR poster, creates an
//! API key (shown once; it works as a bearer token until revoked), adds a
//! webhook endpoint and sends it a test event, pages the payments and
//! downloads the day's statement as CSV.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::harness::shop;
use crate::harness::{Backend, TestApp, test_config};
use crate::web_journeys::{click, fill, sign_in, text, until};

/// A webhook receiver on loopback that answers 200 and counts what it is sent.
async fn receiver() -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

/// Runs `script` in the page with a callback as its last argument, and returns what it passed back.
async fn in_page(client: &Client, script: &str) -> Value {
    client.execute_async(script, vec![]).await.unwrap()
}

/// Clicks the button of the form at `form` inside the block `block` whose text holds `holding`.
async fn click_in(client: &Client, block: &str, holding: &str, form: &str) {
    let script = format!(
        "const box = [...document.querySelectorAll({block:?})].find(b => b.innerText.includes({holding:?})); \
         box.querySelector({button:?}).click(); return true;",
        button = format!("{form} button")
    );
    client.execute(&script, vec![]).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_owner_runs_the_shop_from_the_console() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    let agent = app.agent(&operator, "+15550500001", "1000.00").await;
    let owner_shop = shop(&app, &operator, "Owner Shop", 501, 150).await;
    let browser = Browser::start().await;
    let b = &browser.client;
    sign_in(b, &base, "+15550700501", "owner-password").await;
    until(b, "return location.pathname === '/merchant/'", "the owner's console").await;

    // The profile: the city the shop's QRs carry; the fee rate the operator set.
    b.goto(&format!("{base}/merchant/profile")).await.unwrap();
    assert!(b.find(Locator::Css("#fee")).await.unwrap().text().await.unwrap().contains("1.50%"));
    fill(b, "#city", "Lima").await;
    fill(b, "#category_code", "5411").await;
    click(b, "form[action='/merchant/profile'] button").await;
    until(b, "return location.search === '?done=profile-saved' && document.querySelector('.ok')", "the profile").await;
    assert_eq!(b.find(Locator::Css("#city")).await.unwrap().prop("value").await.unwrap().as_deref(), Some("Lima"));
    let (status, settings) = app.get("/merchant/profile", &owner_shop.owner).await;
    assert_eq!((status, &settings["city"], &settings["fee_bps"]), (200, &json!("Lima"), &json!(150)), "{settings}");

    // A bad phone number is refused in Korean; the typed name stays, the password does not.
    b.goto(&format!("{base}/merchant/cashiers?lang=ko")).await.unwrap();
    fill(b, "#full_name", "김민수").await;
    fill(b, "#phone", "12345").await;
    fill(b, "#password", "cashier-password-2").await;
    click(b, "#add-cashier button").await;
    let refused = until(b, "return document.querySelector('.error')?.textContent", "the refusal").await;
    assert_eq!(
        refused,
        json!("쓸 수 없는 전화번호입니다. 숫자로 입력하거나(공백과 - 는 괜찮습니다) +와 국가 번호로 시작하세요.")
    );
    let typed = |css: &'static str| async move {
        b.find(Locator::Css(css)).await.unwrap().prop("value").await.unwrap().unwrap_or_default()
    };
    assert_eq!(typed("#full_name").await, "김민수");
    assert_eq!(typed("#password").await, "", "a password is never shown again");

    // A cashier added, allowed to refund; the first one removed (their sign-in ends).
    b.goto(&format!("{base}/merchant/cashiers?lang=en")).await.unwrap();
    fill(b, "#full_name", "Second Cashier").await;
    fill(b, "#phone", "+15550720501").await;
    fill(b, "#password", "cashier-password-2").await;
    click(b, "#add-cashier button").await;
    until(b, "return location.search === '?done=cashier-added'", "the new cashier").await;
    let script = "const box = [...document.querySelectorAll('.cashier')].find(b => b.innerText.includes('Second Cashier')); \
        box.querySelector('select').value = 'true'; return true;";
    b.execute(script, vec![]).await.unwrap();
    click_in(b, ".cashier", "Second Cashier", "form[action$='/permissions']").await;
    until(b, "return location.search === '?done=permissions-saved'", "the permission").await;
    click_in(b, ".cashier", "+15550710501", "form[action$='/remove']").await;
    until(b, "return location.search === '?done=cashier-removed'", "the removal").await;
    let (_, cashiers) = app.get("/merchant/cashiers", &owner_shop.owner).await;
    let cashiers = cashiers.as_array().unwrap();
    assert_eq!(cashiers.len(), 1, "{cashiers:?}");
    assert_eq!((&cashiers[0]["user"]["phone"], &cashiers[0]["own_may_refund"]), (&json!("+15550720501"), &json!(true)));
    assert!(!text(b).await.contains("+15550710501"));
    let (status, _) =
        app.post("/auth/login", None, json!({"phone": "+15550710501", "password": "cashier-password"})).await;
    assert_eq!(status, 401, "a removed cashier signs in no more");

    // A till's poster: the QR drawn in the page, the shop's name and city under it, the API's images.
    b.goto(&format!("{base}/merchant/poster")).await.unwrap();
    fill(b, "#till", "front").await;
    click(b, "form[action='/merchant/poster'] button").await;
    until(b, "return location.search === '?till=front' && document.querySelector('#poster .qr svg')", "the poster")
        .await;
    assert_eq!(b.find(Locator::Css("#poster-shop")).await.unwrap().text().await.unwrap(), "Owner Shop");
    assert_eq!(b.find(Locator::Css("#poster-city")).await.unwrap().text().await.unwrap(), "Lima");
    assert_eq!(b.find(Locator::Css("#poster-till")).await.unwrap().text().await.unwrap(), "front");
    let png = in_page(
        b,
        "const done = arguments[0]; const a = [...document.querySelectorAll('a')].find(a => a.textContent === 'PNG'); \
         fetch(a.href).then(r => done(a.getAttribute('href') + ' ' + r.headers.get('content-type')))",
    )
    .await;
    assert_eq!(png, json!("/api/v1/merchant/qr?format=png&till=front image/png"));

    // An API key: shown once on the answer, never in the address; it works until revoked.
    b.goto(&format!("{base}/merchant/api-keys")).await.unwrap();
    fill(b, "#key-name", "till server").await;
    click(b, "form[action='/merchant/api-keys'] button").await;
    let key = until(b, "return document.getElementById('new-key')?.textContent", "the new key").await;
    let key = key.as_str().unwrap().to_owned();
    let address = b.execute("return location.pathname + location.search", vec![]).await.unwrap();
    assert_eq!(address, json!("/merchant/api-keys"));
    let (status, merchant) = app.get("/merchant", &key).await;
    assert_eq!((status, &merchant["name"]), (200, &json!("Owner Shop")), "{merchant}");
    b.goto(&format!("{base}/merchant/api-keys")).await.unwrap();
    let listed = text(b).await;
    assert!(listed.contains("till server") && !listed.contains(&key), "{listed}");
    click(b, "form[action$='/revoke'] button").await;
    until(b, "return location.search === '?done=key-revoked'", "the revocation").await;
    assert_eq!(app.get("/merchant", &key).await.0, 401, "a revoked key is refused");

    // A webhook endpoint: the events it gets are ticked (none is refused); its secret is shown once;
    // a test event reaches it; then it is deleted.
    let (url, seen) = receiver().await;
    b.goto(&format!("{base}/merchant/webhooks")).await.unwrap();
    let untick = |kinds: &[&str]| {
        let kinds = json!(kinds);
        async move {
            let script = "for (const box of document.querySelectorAll('input[name=events]')) \
                { if (arguments[0].includes(box.value)) box.checked = false; } return true";
            b.execute(script, vec![kinds]).await.unwrap();
        }
    };
    fill(b, "#url", &url).await;
    untick(&quipu_core::events::EVENT_KINDS).await;
    click(b, "form[action='/merchant/webhooks'] button").await;
    let refused = until(b, "return document.querySelector('.error')?.textContent", "the refusal").await;
    assert_eq!(refused, json!("Tick at least one event to send to this address."));
    let ticked = "return document.querySelectorAll('input[name=events]:checked').length";
    assert_eq!(b.execute(ticked, vec![]).await.unwrap(), json!(0), "the form comes back as it was sent");
    b.goto(&format!("{base}/merchant/webhooks")).await.unwrap();
    fill(b, "#url", &url).await;
    let kept = ["payment.completed", "refund.completed"];
    let others: Vec<&str> =
        quipu_core::events::EVENT_KINDS.iter().copied().filter(|kind| !kept.contains(kind)).collect();
    untick(&others).await;
    click(b, "form[action='/merchant/webhooks'] button").await;
    let secret = until(b, "return document.getElementById('webhook-secret')?.textContent", "the secret").await;
    assert!(secret.as_str().unwrap().len() >= 16, "{secret}");
    b.goto(&format!("{base}/merchant/webhooks")).await.unwrap();
    assert!(text(b).await.contains(&url));
    click(b, "form[action$='/test'] button").await;
    until(b, "return location.search === '?done=test-sent'", "the test event").await;
    for _ in 0..200 {
        if seen.load(Ordering::SeqCst) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen.load(Ordering::SeqCst) > 0, "the test event arrived");
    let delivered = b.execute("return location.pathname", vec![]).await.unwrap();
    for _ in 0..100 {
        b.goto(&format!("{base}{}", delivered.as_str().unwrap())).await.unwrap();
        if text(b).await.contains("webhook.test · delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(text(b).await.contains("webhook.test · delivered"), "{}", text(b).await);
    browser.assert_within_budget("a webhook's deliveries").await;
    click(b, "form[action$='/redeliver'] button").await;
    until(b, "return location.search === '?done=redelivered'", "the redelivery").await;
    b.goto(&format!("{base}/merchant/webhooks")).await.unwrap();
    click(b, "form[action$='/delete'] button").await;
    until(b, "return location.search === '?done=webhook-deleted'", "the deletion").await;
    let (_, endpoints) = app.get("/merchant/webhooks", &owner_shop.owner).await;
    assert!(endpoints[0]["disabled_at"].is_string(), "{endpoints}");
    assert_eq!(endpoints[0]["events"], json!(["payment.completed", "refund.completed"]), "{endpoints}");

    // 51 payments: the console shows 50, then the older one; the day's statement comes as CSV.
    let customer = app.customer("+15550500021").await;
    app.cash_in(&agent, &customer.phone, "100.00").await;
    let (status, qr) = app.get("/merchant/qr", &owner_shop.owner).await;
    assert_eq!(status, 200, "{qr}");
    for n in 0..51 {
        let body = json!({"payload": qr["payload"], "amount": "0.10", "pin": "1234"});
        let (status, paid) = app.post_key("/me/payments", &customer.token, &format!("owner-pay-{n}"), body).await;
        assert_eq!(status, 201, "{paid}");
    }
    b.goto(&format!("{base}/merchant/")).await.unwrap();
    assert!(b.find(Locator::Css("#fee")).await.unwrap().text().await.unwrap().contains("1.50%"));
    let shown = b.execute("return document.querySelectorAll('.payment').length", vec![]).await.unwrap();
    assert_eq!(shown, json!(50));
    click(b, "#older").await;
    until(b, "return location.search.includes('cursor=')", "the older page").await;
    let shown = b.execute("return document.querySelectorAll('.payment').length", vec![]).await.unwrap();
    assert_eq!(shown, json!(1));
    let csv = in_page(
        b,
        "const done = arguments[0]; fetch(document.querySelector('a.statement').href).then(r => r.text()).then(done)",
    )
    .await;
    let csv = csv.as_str().unwrap();
    assert!(
        csv.starts_with(
            "timestamp,state,event_id,transaction_id,code,counterparty,reference,amount,currency,available_after,balance_after"
        ),
        "{csv}"
    );
    assert!(csv.lines().count() >= 53, "an opening row, 51 payments (and their fees), a closing row: {csv}");

    browser.stop().await;
    app.finish().await;
}
