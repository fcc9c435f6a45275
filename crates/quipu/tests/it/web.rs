//! The web pages' ground: the start page in English and Korean, under a strict policy, its
//! stylesheet at a content-hashed URL browsers may keep for a year.

use crate::forms::{field, post_form, set_cookie};
use crate::harness::{Person, TestApp, on_each_backend};

#[tokio::test]
async fn the_start_page_speaks_the_readers_language_under_a_strict_policy() {
    on_each_backend(async |app: &TestApp| {
        let base = app.base();
        let page = app.client.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let headers = page.headers().clone();
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_eq!(headers["cache-control"], "no-store");
        assert!(headers.get("strict-transport-security").is_none(), "no HSTS over plain http");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        let html = page.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\">") && html.contains("The apps"), "{html}");
        assert!(!html.contains("<script"), "the start page runs nothing");

        // The browser's language, then an explicit choice that sticks in a cookie.
        let korean = app.client.get(format!("{base}/")).header("accept-language", "ko-KR,ko;q=0.9").send().await;
        let korean = korean.unwrap().text().await.unwrap();
        assert!(korean.contains("<html lang=\"ko\">") && korean.contains("앱"), "{korean}");
        let chosen = app.client.get(format!("{base}/?lang=ko")).send().await.unwrap();
        let cookie = chosen.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("lang=ko;") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        let remembered = app.client.get(format!("{base}/")).header("cookie", "lang=ko").send().await.unwrap();
        assert!(remembered.text().await.unwrap().contains("<html lang=\"ko\">"));

        // The stylesheet: at a hashed URL, cached for good; any other name is not found.
        let href = html.split("href=\"/assets/").nth(1).unwrap().split('"').next().unwrap();
        assert!(
            href.starts_with("quipu.") && href.ends_with(".css") && href.len() == "quipu..css".len() + 16,
            "{href}"
        );
        let css = app.client.get(format!("{base}/assets/{href}")).send().await.unwrap();
        assert_eq!(css.status(), 200);
        assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
        let stale = app.client.get(format!("{base}/assets/quipu.0000000000000000.css")).send().await.unwrap();
        assert_eq!(stale.status(), 404);
        // The API reference: every operation of the served document, and the webhook check.
        let reference = app.client.get(format!("{base}/reference")).send().await.unwrap();
        assert_eq!(reference.status(), 200);
        let reference = reference.text().await.unwrap();
        let (_, document) = app.get("/openapi.json", "").await;
        let operations: usize =
            document["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
        assert_eq!(reference.matches("<tr><td><code>").count(), operations, "every operation is listed");
        assert!(reference.contains("/api/v1/transfers/p2p") && reference.contains("hmac.compare_digest"));
        assert!(html.contains("href=\"/reference\""), "the start page links it");
        // The JSON API beside it answers as before.
        let (status, _) = app.get("/me", "qps_nobody").await;
        assert_eq!(status, 401);
    })
    .await;
}

#[tokio::test]
async fn forms_need_their_csrf_token_a_double_tap_pays_once_and_an_ended_session_signs_in_again() {
    on_each_backend(async |app: &TestApp| {
        let base = app.base();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550500001", "100.00").await;
        let amina = app.customer("+15550500021").await;
        let bruno = app.customer("+15550500022").await;
        let (status, body) = app
            .post_key(
                "/agent/cash-in",
                &agent.token,
                "csrf-cash-in",
                serde_json::json!({"customer_phone": amina.phone, "amount": "30.00"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");

        // Sign in: the form's token goes with its own cookie; without it, nobody is signed in.
        let page = client.get(format!("{base}/login")).send().await.unwrap();
        let form_cookie = set_cookie(&page, "quipu_form");
        let csrf = field(&page.text().await.unwrap(), "csrf");
        let login = [("csrf", csrf.as_str()), ("phone", amina.phone.as_str()), ("password", "customer-password")];
        let forged = client.post(format!("{base}/login")).form(&login).send().await.unwrap();
        assert_eq!(forged.status(), 403, "no form cookie, no sign-in");
        let signed =
            client.post(format!("{base}/login")).header("cookie", &form_cookie).form(&login).send().await.unwrap();
        assert_eq!(signed.status(), 303);
        let session = set_cookie(&signed, "quipu_session");
        let cookie_header =
            signed.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert!(
            cookie_header.iter().any(|c| c.contains("HttpOnly") && c.contains("SameSite=Lax")),
            "{cookie_header:?}"
        );

        let send = client.get(format!("{base}/wallet/send")).header("cookie", &session).send().await.unwrap();
        let csrf = field(&send.text().await.unwrap(), "csrf");
        // The key is on the confirmation, which reads back whom the money goes to.
        let confirm = [("csrf", csrf.as_str()), ("to_phone", bruno.phone.as_str()), ("amount", "4.00")];
        let confirm = client.post(format!("{base}/wallet/send/confirm")).header("cookie", &session).form(&confirm);
        let html = confirm.send().await.unwrap().text().await.unwrap();
        let key = field(&html, "idempotency_key");
        assert!(!key.is_empty(), "{html}");
        let transfer = |csrf: &str| {
            vec![
                ("csrf".to_owned(), csrf.to_owned()),
                ("idempotency_key".to_owned(), key.clone()),
                ("to_phone".to_owned(), bruno.phone.clone()),
                ("amount".to_owned(), "4.00".to_owned()),
                ("pin".to_owned(), "1234".to_owned()),
            ]
        };
        // A post from another site has the cookie but not the token: refused, nothing moves.
        let forged =
            client.post(format!("{base}/wallet/send")).header("cookie", &session).form(&transfer("")).send().await;
        assert_eq!(forged.unwrap().status(), 403);
        let api_forged = client
            .post(format!("{base}/api/v1/transfers/p2p"))
            .header("cookie", &session)
            .header("idempotency-key", "forged")
            .json(&serde_json::json!({"to_phone": bruno.phone, "amount": "4.00", "pin": "1234"}))
            .send()
            .await
            .unwrap();
        assert_eq!(api_forged.status(), 403, "the API takes the cookie only with X-CSRF-Token");
        // A double tap: the same rendered form twice, one transfer.
        for _ in 0..2 {
            let sent = client
                .post(format!("{base}/wallet/send"))
                .header("cookie", &session)
                .form(&transfer(&csrf))
                .send()
                .await;
            let sent = sent.unwrap();
            assert_eq!(
                (sent.status().as_u16(), sent.headers()["location"].to_str().unwrap()),
                (303, "/wallet/?done=sent")
            );
        }
        let (_, account) = app.get(&format!("/accounts/{}", bruno.account), &bruno.token).await;
        assert_eq!(account["available"]["amount"], serde_json::json!("4.00"), "{account}");
        // A wrong PIN: the form again, in the reader's language, the amount kept, nothing moved.
        let mut wrong = transfer(&csrf);
        wrong[1].1 = "another-key".to_owned();
        wrong[4].1 = "9999".to_owned();
        let refused = client
            .post(format!("{base}/wallet/send"))
            .header("cookie", format!("{session}; lang=ko"))
            .form(&wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
        let html = refused.text().await.unwrap();
        assert!(html.contains("PIN이 틀렸습니다.") && html.contains("value=\"4.00\""), "{html}");
        assert!(!html.contains("9999"), "a PIN is never shown again");
        let (_, account) = app.get(&format!("/accounts/{}", bruno.account), &bruno.token).await;
        assert_eq!(account["available"]["amount"], serde_json::json!("4.00"));

        every_form_refuses_a_post_without_its_token(app, &operator, &agent, &amina, &bruno).await;

        // Signed out (or expired): a page sends the browser to sign in, and back after.
        let out = client
            .post(format!("{base}/logout"))
            .header("cookie", &session)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await;
        assert_eq!(out.unwrap().status(), 303);
        let ended = client.get(format!("{base}/wallet/send")).header("cookie", &session).send().await.unwrap();
        assert_eq!(
            (ended.status().as_u16(), ended.headers()["location"].to_str().unwrap()),
            (303, "/login?next=%2Fwallet%2Fsend")
        );
    })
    .await;
}

/// Every form the web router takes, and whose session posts it in the test (`-` for a form shown
/// before anyone signs in). `/logout` alone takes no token: ending one's own session harms no one
/// (see `auth::logout`). A route added to the router and missing here fails the test.
const FORM_ROUTES: &[(&str, &str)] = &[
    ("/login", "-"),
    ("/logout", "-"),
    ("/reset-password", "-"),
    ("/wallet/signup", "-"),
    ("/wallet/send", "customer"),
    ("/wallet/send/confirm", "customer"),
    ("/wallet/payments/{id}/approve", "customer"),
    ("/wallet/scan", "customer"),
    ("/wallet/scan/pay", "customer"),
    ("/wallet/devices/{id}/{action}", "customer"),
    ("/wallet/cards/{id}/block", "customer"),
    ("/wallet/cards/{id}/unblock", "customer"),
    ("/wallet/pin", "customer"),
    ("/wallet/password", "customer"),
    ("/wallet/time-zone", "customer"),
    ("/account/time-zone", "operator"),
    ("/till/charge", "cashier"),
    ("/till/card", "cashier"),
    ("/till/requests", "cashier"),
    ("/till/payments/{id}/refund", "cashier"),
    ("/till/payments/{id}/refund/confirm", "cashier"),
    ("/merchant/payments/{id}/refund", "owner"),
    ("/merchant/payments/{id}/refund/confirm", "owner"),
    ("/merchant/profile", "owner"),
    ("/merchant/cashiers", "owner"),
    ("/merchant/cashiers/{id}/remove", "owner"),
    ("/merchant/cashiers/{id}/permissions", "owner"),
    ("/merchant/time-zone", "owner"),
    ("/merchant/payouts", "owner"),
    ("/merchant/bank-accounts", "owner"),
    ("/merchant/payout-schedule", "owner"),
    ("/merchant/api-keys", "owner"),
    ("/merchant/api-keys/{id}/revoke", "owner"),
    ("/merchant/webhooks", "owner"),
    ("/merchant/webhooks/{id}/delete", "owner"),
    ("/merchant/webhooks/{id}/test", "owner"),
    ("/merchant/webhooks/{id}/deliveries/{event_id}/redeliver", "owner"),
    ("/agent/cash-in", "agent"),
    ("/agent/cash-in/confirm", "agent"),
    ("/agent/cash-out", "agent"),
    ("/agent/cash-out/confirm", "agent"),
    ("/agent/cards", "agent"),
    ("/agent/cards/top-up", "agent"),
    ("/agent/cards/block", "agent"),
    ("/agent/cards/unblock", "agent"),
    ("/agent/cards/replace", "agent"),
    ("/operator/people/{id}/access-grants", "operator"),
    ("/operator/people/{id}/freeze", "operator"),
    ("/operator/people/{id}/unfreeze", "operator"),
    ("/operator/people/{id}/tier", "operator"),
    ("/operator/merchants", "operator"),
    ("/operator/agents", "operator"),
    ("/operator/fees", "operator"),
    ("/operator/issuance", "operator"),
    ("/operator/redemption", "operator"),
    ("/operator/reviews/{id}/hide", "operator"),
    ("/market/cart/lines", "customer"),
    ("/market/cart/lines/{id}", "customer"),
    ("/market/checkout", "customer"),
    ("/market/orders/{id}/cancel", "customer"),
    ("/market/orders/{id}/review", "customer"),
    ("/market/orders/{id}/reorder", "customer"),
    ("/market/orders/{id}/prescription", "customer"),
    ("/market/sellers/{id}/favourite", "customer"),
    ("/market/products/{id}/alert", "customer"),
    ("/merchant/orders/{id}/{action}", "owner"),
    ("/merchant/orders/accepting", "owner"),
    ("/merchant/catalog/{id}", "owner"),
    ("/merchant/catalog/import", "owner"),
    ("/merchant/storefront", "owner"),
    ("/merchant/deliveries/{id}/confirm-return", "owner"),
    ("/market/orders/{id}/tip", "customer"),
    ("/operator/deliveries/{id}/assign", "operator"),
    ("/operator/deliveries/{id}/cancel", "operator"),
    ("/courier/status", "courier"),
    ("/courier/jobs/{id}/claim", "courier"),
    ("/courier/jobs/{id}/step", "courier"),
    ("/courier/jobs/{id}/deliver", "courier"),
];

/// The paths the web router takes a POST on, read from its sources: every `.route("<path>", …)`
/// whose handlers include a `post(…)`.
fn posted_routes_in_the_router() -> std::collections::BTreeSet<String> {
    let mut sources = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../quipu-web/src"))];
    let mut routes = std::collections::BTreeSet::new();
    while let Some(path) = sources.pop() {
        if path.is_dir() {
            sources.extend(std::fs::read_dir(&path).unwrap().map(|entry| entry.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (start, _) in text.match_indices(".route(") {
            let rest = &text[start + ".route(".len()..];
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .unwrap()
                .0;
            let call = &rest[..end];
            if call.contains("post(") {
                routes.insert(call.split('"').nth(1).unwrap().to_owned());
            }
        }
    }
    routes
}

/// What a forged post carries: for a form that moves money or makes someone, the fields that would
/// do it with a token; for the rest, a field of no form.
fn forged_fields<'a>(path: &str, amina: &'a Person, bruno: &'a Person, agent: &'a Person) -> Vec<(&'a str, &'a str)> {
    let key = ("idempotency_key", "forged-key-0001");
    match path {
        "/wallet/send" => vec![key, ("to_phone", &bruno.phone), ("amount", "1.00"), ("pin", "1234")],
        "/agent/cash-in" => vec![key, ("customer_phone", &amina.phone), ("amount", "1.00")],
        "/agent/cash-out" => vec![key, ("customer_phone", &amina.phone), ("amount", "1.00"), ("customer_pin", "1234")],
        "/operator/issuance" | "/operator/redemption" => vec![key, ("agent_id", &agent.id), ("amount", "1.00")],
        "/wallet/signup" => {
            vec![("phone", "+15550500099"), ("full_name", "Forged"), ("password", "forged-password"), ("pin", "1234")]
        }
        "/login" => vec![("phone", &amina.phone), ("password", "customer-password")],
        "/market/orders/{id}/tip" => vec![("amount", "1.00"), ("pin", "1234")],
        _ => vec![("note", "forged")],
    }
}

/// Every form route: a post without its token (or with a token that is not this session's) is
/// refused with 403, in the person's language, and nothing moves.
async fn every_form_refuses_a_post_without_its_token(
    app: &TestApp,
    operator: &str,
    agent: &Person,
    amina: &Person,
    bruno: &Person,
) {
    let listed: std::collections::BTreeSet<String> = FORM_ROUTES.iter().map(|(path, _)| (*path).to_owned()).collect();
    assert_eq!(listed, posted_routes_in_the_router(), "every form route is in FORM_ROUTES, and only those");
    let shop = quipu_testkit::shop(app, operator, "Forged Shop", 501, 100).await;
    let rider =
        crate::harness::delivery::courier(app, operator, "+15550500031", serde_json::json!({"vehicle": "foot"})).await;
    let balances = async || (app.balance(amina).await, app.balance(bruno).await, app.balance(agent).await);
    let before = balances().await;
    let client = crate::forms::client();
    let base = app.base();
    let id = uuid::Uuid::now_v7().to_string();
    for (route, who) in FORM_ROUTES {
        let session = match *who {
            "customer" => amina.token.as_str(),
            "agent" => agent.token.as_str(),
            "operator" => operator,
            "owner" => shop.owner.as_str(),
            "cashier" => shop.cashier.as_str(),
            "courier" => rider.token.as_str(),
            _ => "",
        };
        let path = route.replace("{id}", &id).replace("{event_id}", &id).replace("{action}", "pause");
        let cookie =
            if session.is_empty() { "lang=ko".to_owned() } else { format!("quipu_session={session}; lang=ko") };
        let fields = forged_fields(route, amina, bruno, agent);
        for csrf in ["", "0123456789abcdef0123456789abcdef"] {
            let mut form = fields.clone();
            form.push(("csrf", csrf));
            let answer = client.post(format!("{base}{path}")).header("cookie", &cookie).form(&form).send().await;
            let answer = answer.unwrap();
            let status = answer.status().as_u16();
            if *route == "/logout" {
                assert_eq!(status, 303, "signing out needs no token");
                continue;
            }
            let html = answer.text().await.unwrap();
            assert_eq!(status, 403, "{route} without its token: {html}");
            assert!(html.contains("<html lang=\"ko\">") && html.contains("오래된 양식입니다"), "{route}: {html}");
            // A form shown before anyone signs in is at the path it posts to: the refusal links to a fresh one.
            let again = format!("<a href=\"{path}\">양식 다시 열기</a>");
            assert_eq!(html.contains(&again), session.is_empty(), "{route}: {html}");
        }
    }
    // A signed-out form's token (a cookie someone else may have set) never stands in for a session's.
    let shown = client.get(format!("{base}/login")).send().await.unwrap();
    let form_cookie = set_cookie(&shown, "quipu_form");
    let form_token = field(&shown.text().await.unwrap(), "csrf");
    let mut form = forged_fields("/wallet/send", amina, bruno, agent);
    form.push(("csrf", &form_token));
    let session = app.login(&amina.phone, "customer-password").await;
    let answer = client
        .post(format!("{base}/wallet/send"))
        .header("cookie", format!("quipu_session={session}; {form_cookie}"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    assert_eq!(balances().await, before, "nothing moved");
    let (status, _) = app
        .post("/auth/login", None, serde_json::json!({"phone": "+15550500099", "password": "forged-password"}))
        .await;
    assert_ne!(status, 200, "nobody was signed up");
}

#[tokio::test]
async fn behind_a_tls_proxy_the_session_cookie_is_secure() {
    let mut config = crate::harness::test_config();
    config.http.secure_cookies = true;
    let app = TestApp::start(crate::harness::Backend::Sqlite, config).await;
    let base = app.base();
    app.customer("+15550500031").await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let form_cookie = set_cookie(&page, "quipu_form");
    let raw_form_cookie = page.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(raw_form_cookie.contains("; Secure"), "{raw_form_cookie}");
    let csrf = field(&page.text().await.unwrap(), "csrf");
    let login = [("csrf", csrf.as_str()), ("phone", "+15550500031"), ("password", "customer-password")];
    let signed = client.post(format!("{base}/login")).header("cookie", &form_cookie).form(&login).send().await.unwrap();
    let session = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        session.starts_with("quipu_session=") && session.contains("; Secure") && session.contains("HttpOnly"),
        "{session}"
    );
    // The language cookie too, on a page for nobody and on a signed-in one.
    let chosen = client.get(format!("{base}/?lang=ko")).send().await.unwrap();
    let lang = chosen.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(lang.starts_with("lang=ko;") && lang.contains("; Secure"), "{lang}");
    let session = set_cookie(&signed, "quipu_session");
    let chosen = client.get(format!("{base}/wallet/?lang=ko")).header("cookie", &session).send().await.unwrap();
    let lang = chosen.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(lang.starts_with("lang=ko;") && lang.contains("; Secure"), "{lang}");
    app.finish().await;
}

/// Signs in through the sign-in page, as a browser does; the session cookie (`name=value`).
pub(crate) async fn signed_in(client: &reqwest::Client, base: &str, phone: &str, password: &str) -> String {
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let form_cookie = set_cookie(&page, "quipu_form");
    let csrf = field(&page.text().await.unwrap(), "csrf");
    let login = [("csrf", csrf.as_str()), ("phone", phone), ("password", password)];
    let signed = client.post(format!("{base}/login")).header("cookie", &form_cookie).form(&login).send().await.unwrap();
    assert_eq!(signed.status(), 303, "sign-in of {phone}");
    set_cookie(&signed, "quipu_session")
}

#[tokio::test]
async fn forms_refuse_what_the_api_refuses_in_the_readers_words_and_nothing_moves() {
    let mut config = crate::harness::test_config();
    let usd = quipu_domain::money::Currency::from_code("USD").unwrap();
    config.settings.transfer_limits.insert(usd.code, usd.parse_amount("25.00").unwrap());
    crate::harness::on_each_backend_with(config, async |app: &TestApp| {
        let base = app.base();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550600001", "1000.00").await;
        let corner = crate::harness::shop(app, &operator, "Corner Shop", 601, 150).await;
        let amina = app.customer("+15550600021").await;
        let bruno = app.customer("+15550600022").await;
        let (status, body) = app
            .post_key(
                "/agent/cash-in",
                &agent.token,
                "bad-input-cash-in",
                serde_json::json!({"customer_phone": amina.phone, "amount": "10.00"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let wallet = signed_in(&client, &base, &amina.phone, "customer-password").await;
        let send = |amount: &'static str, pin: &'static str| {
            let (wallet, to) = (wallet.clone(), bruno.phone.clone());
            async move {
                post_form(
                    app,
                    &wallet,
                    "/wallet/send",
                    "/wallet/send",
                    &[("to_phone", &to), ("amount", amount), ("pin", pin)],
                )
                .await
            }
        };
        // More than the balance; over the network's 25.00 per transfer.
        let (status, page) = send("20.00", "1234").await;
        assert!(status == 422 && page.contains("Not enough money in the wallet."), "{status} {page}");
        let (status, page) = send("30.00", "1234").await;
        assert!(status == 422 && page.contains("This is over the wallet&#39;s limit."), "{status} {page}");

        // A code charged once is refused the second time.
        let phone = crate::harness::enroll(app, &amina).await;
        let code = phone.code(app, 0);
        let till = signed_in(&client, &base, "+15550710601", "cashier-password").await;
        let charge = [("amount", "2.00"), ("code", code.as_str())];
        let (status, _) = post_form(app, &till, "/till/", "/till/charge", &charge).await;
        assert_eq!(status, 303);
        let (status, page) = post_form(app, &till, "/till/", "/till/charge", &charge).await;
        assert!(status == 409 && page.contains("This code has already paid."), "{status} {page}");

        // Wrong PINs lock the PIN; the page says so, and nothing moved.
        let mut answers = Vec::new();
        for _ in 0..6 {
            answers.push(send("1.00", "9999").await);
        }
        let (status, last) = answers.last().unwrap();
        assert!(*status == 423 && last.contains("Too many wrong PINs"), "{status} {last}");
        let (_, account) = app.get(&format!("/accounts/{}", amina.account), &amina.token).await;
        assert_eq!(account["available"]["amount"], serde_json::json!("8.00"), "only the one charge moved money");
        let (_, shop) = app.get("/merchant/payments", &corner.owner).await;
        assert_eq!(shop["payments"].as_array().map(Vec::len), Some(1));
    })
    .await;
}

#[tokio::test]
async fn after_sign_in_only_a_same_site_path_is_followed() {
    on_each_backend(async |app: &TestApp| {
        let base = app.base();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let amina = app.customer("+15550500041").await;
        // Each of these, as a browser reads a Location (tab, CR and LF stripped, `\` as `/`, dot
        // segments resolved), leaves the site or is no plain path: the person lands at home instead.
        let hostile = [
            "/\t/evil.example/",
            "/\r\n/evil.example/",
            "/\n/evil.example/",
            "/\r/evil.example/",
            "//evil.example/",
            "/\\evil.example/",
            "\\/evil.example/",
            "https://evil.example/",
            "/ /evil.example/",
            "/.//evil.example/",
            "/%2e//evil.example/",
            "/wallet/..//evil.example/",
            "/wallet/\u{0}",
            "/wallet/#//evil.example/",
            "evil.example",
            "/wallet/\u{3000}/",
        ];
        for next in hostile {
            let page = client.get(format!("{base}/login")).query(&[("next", next)]).send().await.unwrap();
            assert_eq!(page.status(), 200, "the sign-in page with next={next:?}");
            let form_cookie = set_cookie(&page, "quipu_form");
            let html = page.text().await.unwrap();
            assert_eq!(field(&html, "next"), "", "next={next:?} is not kept in the form");
            let csrf = field(&html, "csrf");
            let login = [
                ("csrf", csrf.as_str()),
                ("phone", amina.phone.as_str()),
                ("password", "customer-password"),
                ("next", next),
            ];
            let signed =
                client.post(format!("{base}/login")).header("cookie", &form_cookie).form(&login).send().await.unwrap();
            assert_eq!(signed.status(), 303, "sign-in with next={next:?}");
            assert_eq!(signed.headers()["location"], "/wallet/", "next={next:?} is not followed");
        }
        // A plain path and query on this site is followed.
        let page = client.get(format!("{base}/login")).send().await.unwrap();
        let form_cookie = set_cookie(&page, "quipu_form");
        let csrf = field(&page.text().await.unwrap(), "csrf");
        let next = "/wallet/history?kind=p2p";
        let login = [
            ("csrf", csrf.as_str()),
            ("phone", amina.phone.as_str()),
            ("password", "customer-password"),
            ("next", next),
        ];
        let signed =
            client.post(format!("{base}/login")).header("cookie", &form_cookie).form(&login).send().await.unwrap();
        assert_eq!(signed.headers()["location"], next);
    })
    .await;
}

#[tokio::test]
async fn no_page_with_a_persons_data_is_stored_by_any_cache() {
    on_each_backend(async |app: &TestApp| {
        let base = app.base();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550500051", "100.00").await;
        crate::harness::shop(app, &operator, "Store Shop", 501, 100).await;
        let amina = app.customer("+15550500052").await;
        let (status, body) = app
            .post_key(
                "/agent/cash-in",
                &agent.token,
                "no-store-cash-in",
                serde_json::json!({"customer_phone": amina.phone, "amount": "30.00"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let wallet = signed_in(&client, &base, &amina.phone, "customer-password").await;
        let home = client.get(format!("{base}/wallet/")).header("cookie", &wallet).send().await.unwrap();
        let home = home.text().await.unwrap();
        let receipt = home.split("href=\"/wallet/receipts/").nth(1).unwrap().split('"').next().unwrap().to_owned();
        let pages = [
            (wallet.clone(), "/wallet/".to_owned()),
            (wallet.clone(), "/wallet/history".to_owned()),
            (wallet.clone(), format!("/wallet/receipts/{receipt}")),
            (wallet.clone(), "/wallet/data".to_owned()),
            (wallet.clone(), "/wallet/send".to_owned()),
            (wallet.clone(), "/wallet/pay".to_owned()),
            (wallet.clone(), "/wallet/settings".to_owned()),
            (
                signed_in(&client, &base, "+15559990001", "staff-password").await,
                format!("/operator/people/{}", amina.id),
            ),
            (signed_in(&client, &base, "+15550700501", "owner-password").await, "/merchant/".to_owned()),
            (signed_in(&client, &base, "+15550710501", "cashier-password").await, "/till/".to_owned()),
            (signed_in(&client, &base, &agent.phone, "agent-password").await, "/agent/".to_owned()),
        ];
        for (session, page) in pages {
            let answer = client.get(format!("{base}{page}")).header("cookie", &session).send().await.unwrap();
            assert_eq!(answer.status(), 200, "{page}");
            assert_eq!(answer.headers()["cache-control"], "no-store", "{page}");
        }
    })
    .await;
}

#[tokio::test]
async fn sign_out_ends_the_session_whatever_its_form_token_and_clears_the_sites_data() {
    on_each_backend(async |app: &TestApp| {
        let base = app.base();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let amina = app.customer("+15550500061").await;
        for csrf in ["not-the-token", ""] {
            let session = signed_in(&client, &base, &amina.phone, "customer-password").await;
            let token = session.trim_start_matches("quipu_session=").to_owned();
            let (status, _) = app.get("/me", &token).await;
            assert_eq!(status, 200);
            let out = client
                .post(format!("{base}/logout"))
                .header("cookie", &session)
                .form(&[("csrf", csrf)])
                .send()
                .await
                .unwrap();
            assert_eq!(out.status(), 303);
            assert_eq!(out.headers()["clear-site-data"], "\"cache\", \"storage\"");
            let cleared = out.headers().get_all("set-cookie").iter().any(|c| {
                let c = c.to_str().unwrap();
                c.starts_with("quipu_session=;") && c.contains("Max-Age=0")
            });
            assert!(cleared, "the cookie is cleared");
            let (status, _) = app.get("/me", &token).await;
            assert_eq!(status, 401, "the session ended on the server too (csrf {csrf:?})");
        }
        // The signed-out page wipes what the browser kept; a link to it from elsewhere, followed by
        // someone still signed in, does not make their phone forget its key.
        let landing = client.get(format!("{base}/signed-out")).send().await.unwrap();
        assert_eq!(landing.status(), 200);
        assert!(landing.text().await.unwrap().contains("<script type=\"module\" src=\"/assets/signed-out."));
        let session = signed_in(&client, &base, &amina.phone, "customer-password").await;
        let still_in = client.get(format!("{base}/signed-out")).header("cookie", &session).send().await.unwrap();
        assert_eq!((still_in.status().as_u16(), still_in.headers()["location"].to_str().unwrap()), (303, "/"));
    })
    .await;
}
