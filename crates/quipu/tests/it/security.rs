//! Findings of a black-box security probe, one test each: hardening headers
//! and caching, ambiguous idempotency keys, disguised display text, webhook
//! targets inside the network, foreign webhooks, live-stream fairness, and a
//! demo that is ready only once its users exist.

use reqwest::Method;
use serde_json::{Value, json};

use crate::cards::{issue, replace, replace_with, top_up};
use crate::concurrency::free_port;
use crate::harness::shop;
use crate::harness::{TestApp, on_each_backend, on_each_backend_with, test_config};

/// The headers every answer carries, whatever it is.
fn assert_hardened(headers: &reqwest::header::HeaderMap, what: &str) {
    assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{what}");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{what}: {policy}");
}

#[tokio::test]
async fn every_answer_is_hardened_and_secrets_are_never_cached() {
    on_each_backend(async |app: &TestApp| {
        let customer = app.customer("+15550810001").await;
        let login = app
            .client
            .post(format!("{}/auth/login", app.api))
            .json(&json!({"phone": customer.phone, "password": "customer-password"}))
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 200);
        assert_eq!(login.headers()["cache-control"], "no-store", "a login answer carries a token");
        assert_hardened(login.headers(), "login");
        let base = app.base();
        for (path, status) in [
            ("/api/v1/me".to_owned(), 200),
            ("/api/v1/me/cards".to_owned(), 200),
            (format!("/api/v1/accounts/{}/statement.csv", customer.account), 200),
            ("/api/v1/nowhere".to_owned(), 404),
            ("/healthz".to_owned(), 200),
        ] {
            let response = app.client.get(format!("{base}{path}")).bearer_auth(&customer.token).send().await.unwrap();
            assert_eq!(response.status(), status, "{path}");
            assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
            assert_hardened(response.headers(), &path);
        }
    })
    .await;
}

#[tokio::test]
async fn receipts_keep_their_own_strict_policy() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550810101", "100.00").await;
        let customer = app.customer("+15550810102").await;
        app.cash_in(&agent, &customer.phone, "20.00").await;
        let shop = shop(app, &operator, "Receipt Shop", 8101, 0).await;
        let profile = json!({"city": "Lima", "category_code": "5411"});
        let (status, body) =
            app.request(Method::PUT, "/merchant/profile", Some(&shop.owner), None, Some(profile)).await;
        assert!(status < 300, "{body}");
        let (status, qr) = app.get("/merchant/qr", &shop.owner).await;
        assert_eq!(status, 200, "{qr}");
        let (status, paid) = app
            .post_key(
                "/me/payments",
                &customer.token,
                "receipt-pay",
                json!({"payload": qr["payload"], "amount": "2.00", "pin": "1234"}),
            )
            .await;
        assert_eq!(status, 201, "{paid}");
        let id = paid["id"].as_str().unwrap().to_owned();
        let page = app
            .client
            .get(format!("{}/payments/{id}/receipt.html", app.api))
            .bearer_auth(&customer.token)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(policy.starts_with("default-src 'none'; style-src 'unsafe-inline'"), "{policy}");
        assert_eq!(page.headers()["cache-control"], "no-store");
        assert_hardened(page.headers(), "receipt page");
    })
    .await;
}

#[tokio::test]
async fn an_idempotency_key_sent_twice_is_refused_and_nothing_moves() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550810201", "100.00").await;
        let (sender, recipient) = (app.customer("+15550810202").await, app.customer("+15550810203").await);
        app.cash_in(&agent, &sender.phone, "10.00").await;
        let response = app
            .client
            .post(format!("{}/transfers/p2p", app.api))
            .bearer_auth(&sender.token)
            .header("idempotency-key", "first-key")
            .header("idempotency-key", "second-key")
            .json(&json!({"to_phone": recipient.phone, "amount": "1.00", "pin": "1234"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "idempotency_key_required", "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("exactly one"), "{problem}");
        assert_eq!(app.balance(&sender).await, 1000);
        assert_eq!(app.balance(&recipient).await, 0);
    })
    .await;
}

#[tokio::test]
async fn names_notes_and_cities_refuse_text_direction_and_control_characters() {
    on_each_backend(async |app: &TestApp| {
        for name in ["Amina\u{202E}lanoitan", "\u{2066}Bruno", "Chen\u{200F}Wei", "Dee\u{2028}Total: 0.00"] {
            let (status, body) = app
                .post(
                    "/auth/register",
                    None,
                    json!({"phone": "+15550810301", "full_name": name, "password": "customer-password", "pin": "1234"}),
                )
                .await;
            assert_eq!(status, 400, "{name:?}: {body}");
            assert!(body["detail"].as_str().unwrap().contains("text-direction"), "{body}");
        }
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550810302", "100.00").await;
        let (sender, recipient) = (app.customer("+15550810303").await, app.customer("+15550810304").await);
        app.cash_in(&agent, &sender.phone, "10.00").await;
        for (n, note) in ["rent \u{202E}00.001", "line\r\nforged"].iter().enumerate() {
            let (status, body) = app
                .post_key(
                    "/transfers/p2p",
                    &sender.token,
                    &format!("note-{n}"),
                    json!({"to_phone": recipient.phone, "amount": "1.00", "pin": "1234", "note": note}),
                )
                .await;
            assert_eq!(status, 400, "{note:?}: {body}");
            assert_eq!(body["code"], "invalid_note");
        }
        assert_eq!(app.balance(&sender).await, 1000, "nothing moved");
        let shop = shop(app, &operator, "City Shop", 8103, 0).await;
        let (status, body) = app
            .request(
                Method::PUT,
                "/merchant/profile",
                Some(&shop.owner),
                None,
                Some(json!({"city": "Lima\u{202E}", "category_code": "5411"})),
            )
            .await;
        assert_eq!(status, 400, "{body}");
    })
    .await;
}

#[tokio::test]
async fn webhook_urls_naming_this_machine_or_a_metadata_service_are_refused() {
    let mut config = test_config();
    config.settings.webhooks.allow_private_targets = false;
    on_each_backend_with(config, async |app: &TestApp| {
        let operator = app.operator().await;
        let shop = shop(app, &operator, "Hook Shop", 8104, 0).await;
        for url in [
            "https://localhost./hook",
            "https://LOCALHOST/hook",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://metadata/latest",
            "https://169.254.169.254/latest/meta-data/",
            "https://[::ffff:127.0.0.1]/hook",
            "https://printer.local/hook",
        ] {
            let (status, body) =
                app.post("/merchant/webhooks", Some(&shop.owner), json!({"url": url, "events": ["*"]})).await;
            assert_eq!(status, 400, "{url}: {body}");
            assert_eq!(body["code"], "invalid_webhook_url", "{url}");
        }
    })
    .await;
}

#[tokio::test]
async fn another_merchants_webhook_deliveries_are_not_found() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let (mine, theirs) =
            (shop(app, &operator, "Hook Owner", 8105, 0).await, shop(app, &operator, "Hook Snoop", 8106, 0).await);
        let (status, hook) = app
            .post("/merchant/webhooks", Some(&mine.owner), json!({"url": "https://example.com/hook", "events": ["*"]}))
            .await;
        assert_eq!(status, 201, "{hook}");
        let path = format!("/merchant/webhooks/{}/deliveries", hook["endpoint"]["id"].as_str().unwrap());
        let (status, page) = app.get(&path, &mine.owner).await;
        assert_eq!(status, 200, "{page}");
        let (status, body) = app.get(&path, &theirs.owner).await;
        assert_eq!(status, 404, "{body}");
        let (status, body) =
            app.get("/merchant/webhooks/0190a1b2-0000-7000-8000-000000000000/deliveries", &mine.owner).await;
        assert_eq!(status, 404, "{body}");
    })
    .await;
}

#[tokio::test]
async fn one_merchant_cannot_hold_every_live_stream() {
    let mut config = test_config();
    config.http.max_event_streams_per_owner = 2;
    on_each_backend_with(config, async |app: &TestApp| {
        let operator = app.operator().await;
        let (greedy, other) =
            (shop(app, &operator, "Greedy Shop", 8107, 0).await, shop(app, &operator, "Other Shop", 8108, 0).await);
        let open = |token: String| {
            let request = app.client.get(format!("{}/merchant/events", app.api)).bearer_auth(token);
            async move { request.send().await.unwrap() }
        };
        let first = open(greedy.owner.clone()).await;
        let second = open(greedy.cashier.clone()).await;
        assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200));
        let refused = open(greedy.cashier.clone()).await;
        assert_eq!(refused.status(), 429);
        let problem: Value = refused.json().await.unwrap();
        assert_eq!(problem["code"], "too_many_streams");
        let others = open(other.cashier.clone()).await;
        assert_eq!(others.status(), 200, "another shop's till still connects");
        drop(first);
        // The server notices the closed stream at its next write; give it a moment.
        let mut reopened = None;
        for _ in 0..100 {
            let response = open(greedy.owner.clone()).await;
            if response.status() == 200 {
                reopened = Some(response);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(reopened.is_some(), "a closed stream gives its place back");
    })
    .await;
}

/// `quipu demo` answers `/readyz` only once its people and its market exist: a
/// script that polls it and then logs in or searches never finds the demo half-seeded.
#[tokio::test]
async fn the_demo_is_ready_only_when_its_users_can_log_in() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = std::process::Command::new(crate::harness::quipu_binary())
        .current_dir(dir.path())
        .args(["demo", "--listen", &format!("127.0.0.1:{port}")])
        .env("QUIPU_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..600 {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await {
            ready = response.status() == 200;
            if ready {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let start = client.get(format!("http://127.0.0.1:{port}/")).send().await;
    let start = match start {
        Ok(page) => page.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let login = client
        .post(format!("http://127.0.0.1:{port}/api/v1/auth/login"))
        .json(&json!({"phone": "+15550100021", "password": "customer-pass"}))
        .send()
        .await;
    let milk = client.get(format!("http://127.0.0.1:{port}/api/v1/market/search?q=우유")).send().await;
    let milk: Value = match milk {
        Ok(found) => found.json().await.unwrap_or_default(),
        Err(_) => Value::Null,
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(ready, "the demo never became ready");
    assert_eq!(login.unwrap().status(), 200, "ready, but the demo customer cannot log in yet");
    assert!(milk["total"].as_u64() > Some(0), "ready, but the demo's market is not seeded yet: {milk}");
    assert!(start.contains("+15550100021") && start.contains("customer-pass"), "the start page lists the demo logins");
}

/// A card is replaced only on the holder's proof: the old card's PIN, the
/// linked person's PIN, or an operator's approval the holder then reads about.
#[tokio::test]
async fn replacing_a_card_needs_the_holders_proof() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550810401", "100.00").await;
        let thief = app.agent(&operator, "+15550810402", "100.00").await;
        let holder = app.customer("+15550810403").await;
        let linked = issue(app, &agent, "card-linked", Some(&holder.phone), "4321").await;
        let anonymous = issue(app, &agent, "card-anon", None, "2468").await;
        assert_eq!(top_up(app, &agent, "top-linked", &linked.number, "10.00").await.0, 201);

        // No proof, or two: refused before anything moves.
        let (status, body) =
            replace_with(app, &thief, "steal-1", json!({"number": linked.number, "pin": "0000"})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("holder_proof_required")), "{body}");
        let both = json!({"number": linked.number, "pin": "0000", "old_pin": "4321", "holder_pin": "1234"});
        let (status, body) = replace_with(app, &thief, "steal-2", both).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("holder_proof_required")), "{body}");
        // A wrong proof is a wrong PIN, counted against the agent who typed it.
        let (status, body) = replace(app, &thief, "steal-3", &linked.number, "0000").await;
        assert_eq!((status, body["code"].as_str()), (403, Some("wrong_pin")), "{body}");
        let wrong_holder = json!({"number": linked.number, "pin": "0000", "holder_pin": "9999"});
        let (status, body) = replace_with(app, &thief, "steal-4", wrong_holder).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("wrong_pin")), "{body}");
        // A card nobody is linked to has no holder PIN to give.
        let no_holder = json!({"number": anonymous.number, "pin": "0000", "holder_pin": "1234"});
        let (status, body) = replace_with(app, &agent, "anon-1", no_holder).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("card_not_linked")), "{body}");
        let (status, cards) = app.get("/me/cards", &holder.token).await;
        assert_eq!((status, cards[0]["status"].as_str()), (200, Some("active")), "nothing was replaced: {cards}");

        // The holder's own PIN proves a linked card.
        let by_holder = json!({"number": linked.number, "pin": "5678", "holder_pin": "1234"});
        let (status, replaced) = replace_with(app, &agent, "rep-holder", by_holder).await;
        assert_eq!(status, 201, "{replaced}");
        assert_eq!(replaced["moved"]["minor_units"], 1000);
        let (status, log) = app.get("/me/access-log", &holder.token).await;
        assert_eq!((status, log["entries"].as_array().unwrap().len()), (200, 0), "she proved it herself: {log}");

        // Forgot both: the operator approves with a reason; the agent uses it once; the holder reads it.
        let new_number = replaced["card"]["number"].as_str().unwrap().to_owned();
        let operator = operator.as_str();
        let approve = |number: &str, reason: &str| {
            let body = json!({"number": number, "reason": reason});
            async move { app.post("/operator/cards/replacement-approvals", Some(operator), body).await }
        };
        let (status, body) = approve(&new_number, "lost").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_reason")), "{body}");
        let (status, body) = app
            .post(
                "/operator/cards/replacement-approvals",
                Some(&agent.token),
                json!({"number": new_number, "reason": "holder forgot both PINs, ID checked"}),
            )
            .await;
        assert_eq!(status, 403, "only operators approve: {body}");
        let (status, approval) = approve(&new_number, "holder forgot both PINs, ID card checked at desk 2").await;
        assert_eq!(status, 201, "{approval}");
        let approval_id = approval["id"].as_str().unwrap().to_owned();
        let (_, other) = approve(&anonymous.number, "holder of the other card forgot the PIN").await;
        let other_approval = json!({"number": new_number, "pin": "1111", "approval_id": other["id"]});
        let (status, body) = replace_with(app, &agent, "rep-wrong-approval", other_approval).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("approval_unusable")), "{body}");
        let with_approval = json!({"number": new_number, "pin": "1111", "approval_id": approval_id});
        let (status, again) = replace_with(app, &agent, "rep-approved", with_approval.clone()).await;
        assert_eq!(status, 201, "{again}");
        let newest = again["card"]["number"].as_str().unwrap().to_owned();
        let reuse = json!({"number": newest, "pin": "2222", "approval_id": approval_id});
        let (status, body) = replace_with(app, &agent, "rep-reuse", reuse).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("approval_unusable")), "{body}");
        let (status, log) = app.get("/me/access-log", &holder.token).await;
        assert_eq!(status, 200, "{log}");
        let actions: Vec<&str> =
            log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["card_replaced", "card_replacement_approved"], "{log}");
        assert_eq!(log["entries"][1]["reason"], "holder forgot both PINs, ID card checked at desk 2");
        assert_eq!(log["entries"][1]["actor_role"], "operator");
        assert_eq!(log["entries"][0]["actor_role"], "agent");

        // An approval lapses after a day.
        let (_, late) = approve(&anonymous.number, "holder forgot the PIN, ID checked").await;
        app.clock.advance_seconds(24 * 3600 + 1);
        let late = json!({"number": anonymous.number, "pin": "3333", "approval_id": late["id"]});
        let (status, body) = replace_with(app, &agent, "rep-late", late).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("approval_unusable")), "{body}");
    })
    .await;
}
