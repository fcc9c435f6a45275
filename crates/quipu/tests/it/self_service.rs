//! Self-service and merchant management over real HTTP, on every backend: a person changes their
//! password and PIN with the old ones, removes a funding source, reads their tier and what is left
//! of today's limit, lists their payments and hears their own live events; a merchant's owner
//! lists, removes and sets permissions of cashiers, names and lists API keys, tests a webhook, and
//! reads a summary over several days. Bad input is a clear problem and moves nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, on_each_backend, on_each_backend_with, test_config};
use crate::harness::{enroll, shop};

/// Long enough for any event to arrive on a loaded CI machine; only a hang trips it.
const PATIENCE: Duration = Duration::from_secs(20);

/// A customer's open event stream.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, token: &str, last_event_id: Option<&str>) -> Self {
        let mut request = app.client.get(format!("{}/me/events", app.api)).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self { response, buffer: String::new() }
    }

    /// The next event: (id, type, data).
    async fn next(&mut self) -> (String, String, Value) {
        tokio::time::timeout(PATIENCE, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim_start().to_owned())
                    };
                    if let (Some(id), Some(kind), Some(data)) = (field("id:"), field("event:"), field("data:")) {
                        return (id, kind, serde_json::from_str(&data).unwrap());
                    }
                    continue;
                }
                let chunk = self.response.chunk().await.unwrap().expect("the stream ended");
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("no event arrived")
    }
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.request(Method::PUT, path, Some(token), None, Some(body)).await
}

async fn delete(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    app.request(Method::DELETE, path, Some(token), None, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_changes_password_and_pin_with_the_old_ones() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550130001", "100.00").await;
        let dana = app.customer("+15550130002").await;
        let amina = app.customer("+15550130003").await;
        app.cash_in(&agent, &dana.phone, "20.00").await;
        let other_device = app.login(&dana.phone, "customer-password").await;

        // A wrong old password: refused, counted, nothing changes, no session ends.
        let change = json!({"old_password": "not-my-password", "new_password": "a-new-secret-pw"});
        let (status, problem) = put(app, "/me/password", &dana.token, change).await;
        assert_eq!((status, problem["code"].as_str()), (403, Some("wrong_password")), "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("attempts left"), "{problem}");
        assert_eq!(app.get("/me", &other_device).await.0, 200);
        let (status, problem) = put(
            app,
            "/me/password",
            &dana.token,
            json!({"old_password": "customer-password", "new_password": "short"}),
        )
        .await;
        assert_eq!(status, 400, "{problem}");
        app.login(&dana.phone, "customer-password").await;

        // The right one: the new password works, the old does not, and other sessions are ended.
        let change = json!({"old_password": "customer-password", "new_password": "a-new-secret-pw"});
        let (status, profile) = put(app, "/me/password", &dana.token, change).await;
        assert_eq!(status, 200, "{profile}");
        assert_eq!(profile["user"]["phone"], dana.phone);
        assert_eq!(app.get("/me", &dana.token).await.0, 200, "the session that changed it stays");
        let (status, ended) = app.get("/me", &other_device).await;
        assert_eq!((status, ended["code"].as_str()), (401, Some("invalid_token")), "{ended}");
        let (status, _) =
            app.post("/auth/login", None, json!({"phone": dana.phone, "password": "customer-password"})).await;
        assert_eq!(status, 401);
        app.login(&dana.phone, "a-new-secret-pw").await;

        // A PIN change with a wrong old PIN counts toward the lock, and changes nothing.
        let (status, problem) = put(app, "/me/pin", &dana.token, json!({"old_pin": "9999", "new_pin": "2468"})).await;
        assert_eq!((status, problem["code"].as_str()), (403, Some("wrong_pin")), "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains("4 attempts left"), "{problem}");
        let (status, problem) = put(app, "/me/pin", &dana.token, json!({"old_pin": "1234", "new_pin": "12"})).await;
        assert_eq!(status, 400, "{problem}");
        let p2p = |pin: &str, key: &str| {
            let body = json!({"to_phone": amina.phone, "amount": "1.00", "pin": pin});
            let (token, key) = (dana.token.clone(), key.to_owned());
            async move { app.post_key("/transfers/p2p", &token, &key, body).await }
        };
        let (status, _) = p2p("2468", "pin-check-1").await;
        assert_eq!(status, 403, "the PIN did not change");
        let (status, profile) = put(app, "/me/pin", &dana.token, json!({"old_pin": "1234", "new_pin": "2468"})).await;
        assert_eq!(status, 200, "{profile}");
        let (status, _) = p2p("1234", "pin-check-2").await;
        assert_eq!(status, 403, "the old PIN no longer pays");
        let (status, sent) = p2p("2468", "pin-check-3").await;
        assert_eq!(status, 201, "{sent}");
        assert_eq!(app.balance(&dana).await, 19_00);

        // Wrong old PINs lock it like any wrong PIN (five in a row from one source).
        for _ in 0..4 {
            let (status, _) = put(app, "/me/pin", &dana.token, json!({"old_pin": "0000", "new_pin": "1357"})).await;
            assert_eq!(status, 403);
        }
        let (status, locked) = put(app, "/me/pin", &dana.token, json!({"old_pin": "0000", "new_pin": "1357"})).await;
        assert_eq!((status, locked["code"].as_str()), (423, Some("pin_locked")), "{locked}");
        let (status, _) = put(app, "/me/pin", &dana.token, json!({"old_pin": "2468", "new_pin": "1357"})).await;
        assert_eq!(status, 423, "locked, even for the right one");

        // An API key has no password or PIN to change.
        let shop = shop(app, &operator, "Key Shop", 130, 0).await;
        let (_, key) = app.post("/merchant/api-keys", Some(&shop.owner), json!({})).await;
        let key = key["key"].as_str().unwrap();
        let (status, _) = put(app, "/me/pin", key, json!({"old_pin": "1234", "new_pin": "2468"})).await;
        assert_eq!(status, 403);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_removes_their_own_funding_source_only() {
    on_each_backend(async |app: &TestApp| {
        let dana = app.customer("+15550131001").await;
        let amina = app.customer("+15550131002").await;
        let source = json!({"bank_name": "Bank of Kigali", "account_number": "0001234567890"});
        let (status, added) = app.post("/me/funding-sources", Some(&dana.token), source).await;
        assert_eq!(status, 201, "{added}");
        let id = added["id"].as_str().unwrap();
        let (status, problem) = delete(app, &format!("/me/funding-sources/{id}"), &amina.token).await;
        assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")), "{problem}");
        let (_, listed) = app.get("/me/funding-sources", &dana.token).await;
        assert_eq!(listed.as_array().unwrap().len(), 1, "another's attempt removed nothing");
        let (status, _) = delete(app, &format!("/me/funding-sources/{id}"), &dana.token).await;
        assert_eq!(status, 204);
        let (_, listed) = app.get("/me/funding-sources", &dana.token).await;
        assert_eq!(listed, json!([]));
        let (status, _) = delete(app, &format!("/me/funding-sources/{id}"), &dana.token).await;
        assert_eq!(status, 404, "gone");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_sees_limits_lists_payments_and_hears_their_own_events() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550132001", "500.00").await;
        let dana = app.customer("+15550132002").await;
        let amina = app.customer("+15550132003").await;
        app.cash_in(&agent, &dana.phone, "100.00").await;
        app.cash_in(&agent, &amina.phone, "50.00").await;
        let shop = shop(app, &operator, "Live Shop", 132, 100).await;
        let phone = enroll(app, &dana).await;

        let (status, me) = app.get("/me", &dana.token).await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["limits"]["tier"], "basic");
        let usd = &me["limits"]["currencies"][0];
        assert_eq!((&usd["currency"], &usd["per_day"]["amount"]), (&json!("USD"), &json!("1000.00")), "{me}");
        assert_eq!(usd["remaining_today"]["amount"], "1000.00");
        let (_, owner_me) = app.get("/me", &shop.owner).await;
        assert!(owner_me.get("limits").is_none(), "only customers have limits: {owner_me}");

        let mut stream = Stream::open(app, &dana.token, None).await;

        // A charge above the approval threshold waits for Dana: she hears it and finds it listed.
        let body = json!({"code": phone.code(app, 0), "amount": "25.00", "reference": "big basket"});
        let (status, waiting) = app.post_key("/merchant/charges", &shop.cashier, "live-1", body).await;
        assert_eq!((status, waiting["status"].as_str()), (201, Some("awaiting_approval")), "{waiting}");
        let payment = waiting["id"].as_str().unwrap();
        let (first_id, kind, data) = stream.next().await;
        assert_eq!((kind.as_str(), data["data"]["id"].as_str()), ("payment.awaiting_approval", Some(payment)));
        let (status, page) = app.get("/me/payments?status=awaiting_approval", &dana.token).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["payments"].as_array().unwrap().len(), 1);
        assert_eq!(
            (page["payments"][0]["id"].as_str(), &page["payments"][0]["merchant_name"]),
            (Some(payment), &json!("Live Shop"))
        );
        let (_, others) = app.get("/me/payments", &amina.token).await;
        assert_eq!(others["payments"], json!([]), "Amina sees none of Dana's payments");
        let (status, problem) = app.get("/me/payments?status=teleported", &dana.token).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_status")));
        let (status, _) = app.get("/me/payments", &shop.owner).await;
        assert_eq!(status, 403, "a merchant lists its payments at /merchant/payments");

        // She approves; the shop refunds part; Amina sends her money: she hears each.
        let (status, _) =
            app.post(&format!("/payments/{payment}/approve"), Some(&dana.token), json!({"pin": "1234"})).await;
        assert_eq!(status, 200);
        let (_, kind, _) = stream.next().await;
        assert_eq!(kind, "payment.completed");
        let refund = json!({"amount": "5.00"});
        let (status, _) =
            app.post_key(&format!("/merchant/payments/{payment}/refunds"), &shop.owner, "live-refund", refund).await;
        assert_eq!(status, 201);
        let (_, kind, data) = stream.next().await;
        assert_eq!((kind.as_str(), &data["data"]["amount"]["amount"]), ("refund.completed", &json!("5.00")), "{data}");
        let body = json!({"to_phone": dana.phone, "amount": "7.50", "pin": "1234", "note": "lunch"});
        let (status, _) = app.post_key("/transfers/p2p", &amina.token, "live-p2p", body.clone()).await;
        assert_eq!(status, 201);
        let (last_id, kind, data) = stream.next().await;
        assert_eq!(kind, "money.received");
        assert_eq!(
            (&data["data"]["amount"]["amount"], &data["data"]["note"], &data["data"]["kind"]),
            (&json!("7.50"), &json!("lunch"), &json!("p2p"))
        );
        // A retry of the same transfer raises no second event.
        let (status, _) = app.post_key("/transfers/p2p", &amina.token, "live-p2p", body).await;
        assert_eq!(status, 201);
        let (_, page) = app.get("/me/payments", &dana.token).await;
        assert_eq!(page["payments"][0]["status"], "partially_refunded");

        // Reconnecting after the first event replays what followed, in order, and nothing else.
        drop(stream);
        let mut resumed = Stream::open(app, &dana.token, Some(&first_id)).await;
        let mut kinds = Vec::new();
        loop {
            let (id, kind, _) = resumed.next().await;
            kinds.push(kind);
            if id == last_id {
                break;
            }
        }
        assert_eq!(kinds, ["payment.completed", "refund.completed", "money.received"]);
        // Cash-in is money received too (replayed from the start).
        let mut from_start = Stream::open(app, &dana.token, Some("0")).await;
        let (_, kind, data) = from_start.next().await;
        assert_eq!((kind.as_str(), &data["data"]["kind"]), ("money.received", &json!("cash_in")));

        // Merchants and agents have no customer stream; a bad Last-Event-ID is refused.
        let response = app.client.get(format!("{}/me/events", app.api)).bearer_auth(&shop.owner).send().await.unwrap();
        assert_eq!(response.status(), 403);
        let response = app
            .client
            .get(format!("{}/me/events", app.api))
            .bearer_auth(&dana.token)
            .header("last-event-id", "soon")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);

        // What she paid today shows in what is left of her daily limit.
        let (_, me) = app.get("/me", &dana.token).await;
        assert_eq!(me["limits"]["currencies"][0]["remaining_today"]["amount"], "975.00", "{me}");
        assert_eq!(me["limits"]["currencies"][0]["spent_today"]["amount"], "25.00", "{me}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_lists_removes_and_sets_permissions_of_cashiers() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550133001", "500.00").await;
        let dana = app.customer("+15550133002").await;
        app.cash_in(&agent, &dana.phone, "100.00").await;
        let other = shop(app, &operator, "Other Shop", 134, 0).await;
        let shop = shop(app, &operator, "Staffed Shop", 133, 0).await;
        let second = json!({"phone": "+15550133009", "full_name": "Second Cashier", "password": "cashier-password"});
        let (status, _) = app.post("/merchant/cashiers", Some(&shop.owner), second).await;
        assert_eq!(status, 201);
        let second_token = app.login("+15550133009", "cashier-password").await;
        let phone = enroll(app, &dana).await;

        let (status, cashiers) = app.get("/merchant/cashiers", &shop.owner).await;
        assert_eq!(status, 200, "{cashiers}");
        let cashiers = cashiers.as_array().unwrap().clone();
        assert_eq!(cashiers.len(), 2, "{cashiers:?}");
        assert!(cashiers.iter().all(|c| c["may_refund"] == json!(false) && c["own_may_refund"].is_null()));
        let first = cashiers.iter().find(|c| c["user"]["full_name"] == "Cashier").unwrap();
        let first_id = first["user"]["id"].as_str().unwrap().to_owned();
        let second = cashiers.iter().find(|c| c["user"]["full_name"] == "Second Cashier").unwrap();
        let second_id = second["user"]["id"].as_str().unwrap().to_owned();
        let (status, _) = app.get("/merchant/cashiers", &shop.cashier).await;
        assert_eq!(status, 403, "cashiers do not manage cashiers");

        // The first cashier may refund, though the shop's policy says cashiers may not.
        let (status, changed) =
            put(app, &format!("/merchant/cashiers/{first_id}/permissions"), &shop.owner, json!({"may_refund": true}))
                .await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!((&changed["may_refund"], &changed["own_may_refund"]), (&json!(true), &json!(true)));
        let (status, problem) =
            put(app, &format!("/merchant/cashiers/{first_id}/permissions"), &other.owner, json!({"may_refund": false}))
                .await;
        assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")), "another merchant's cashier");
        let sale = json!({"code": phone.code(app, 0), "amount": "9.00"});
        let (status, paid) = app.post_key("/merchant/charges", &shop.cashier, "staff-sale", sale).await;
        assert_eq!(status, 201, "{paid}");
        let payment = paid["id"].as_str().unwrap();
        let refunds = format!("/merchant/payments/{payment}/refunds");
        let (status, problem) =
            app.post_key(&refunds, &second_token, "staff-refund-1", json!({"amount": "1.00"})).await;
        assert_eq!((status, problem["code"].as_str()), (403, Some("refund_not_allowed")), "{problem}");
        let (status, refund) = app.post_key(&refunds, &shop.cashier, "staff-refund-2", json!({"amount": "1.00"})).await;
        assert_eq!(status, 201, "{refund}");
        // Back to the shop's policy, which now lets every cashier refund.
        let (status, _) =
            put(app, &format!("/merchant/cashiers/{first_id}/permissions"), &shop.owner, json!({"may_refund": null}))
                .await;
        assert_eq!(status, 200);
        let (status, _) = put(app, "/merchant/refund-policy", &shop.owner, json!({"cashiers_may_refund": true})).await;
        assert_eq!(status, 200);
        let (status, refund) = app.post_key(&refunds, &second_token, "staff-refund-3", json!({"amount": "1.00"})).await;
        assert_eq!(status, 201, "{refund}");

        // Removing: another merchant's cashier is not found; the shop's own is signed out for good.
        let (status, _) = delete(app, &format!("/merchant/cashiers/{second_id}"), &other.owner).await;
        assert_eq!(status, 404);
        let (status, _) = delete(app, &format!("/merchant/cashiers/{second_id}"), &shop.cashier).await;
        assert_eq!(status, 403);
        let (status, _) = delete(app, &format!("/merchant/cashiers/{}", dana.id), &shop.owner).await;
        assert_eq!(status, 404, "a customer is nobody's cashier");
        let (status, _) = delete(app, &format!("/merchant/cashiers/{second_id}"), &shop.owner).await;
        assert_eq!(status, 204);
        let (status, problem) = app.get("/merchant", &second_token).await;
        assert_eq!((status, problem["code"].as_str()), (401, Some("invalid_token")), "{problem}");
        let (status, _) =
            app.post("/auth/login", None, json!({"phone": "+15550133009", "password": "cashier-password"})).await;
        assert_eq!(status, 401);
        let (_, cashiers) = app.get("/merchant/cashiers", &shop.owner).await;
        assert_eq!(cashiers.as_array().unwrap().len(), 1, "{cashiers}");
        let (status, _) = delete(app, &format!("/merchant/cashiers/{second_id}"), &shop.owner).await;
        assert_eq!(status, 404, "removed already");
        // What the removed cashier did stays: the shop's payment and its refunds are intact.
        let (_, read) = app.get(&format!("/payments/{payment}"), &shop.owner).await;
        assert_eq!(read["refunded"]["amount"], "2.00", "{read}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_have_names_and_show_when_they_were_last_used() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let shop = shop(app, &operator, "Keyed Shop", 135, 0).await;
        let (status, created) = app.post("/merchant/api-keys", Some(&shop.owner), json!({"name": "till server"})).await;
        assert_eq!((status, &created["name"]), (201, &json!("till server")), "{created}");
        let key = created["key"].as_str().unwrap().to_owned();
        let (status, problem) =
            app.post("/merchant/api-keys", Some(&shop.owner), json!({"name": "bad\u{202e}name"})).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_name")), "{problem}");
        let (status, unnamed) = app.post("/merchant/api-keys", Some(&shop.owner), json!({})).await;
        assert_eq!((status, &unnamed["name"]), (201, &json!("")));

        let (status, keys) = app.get("/merchant/api-keys", &shop.owner).await;
        assert_eq!(status, 200, "{keys}");
        let find =
            |keys: &Value| keys.as_array().unwrap().iter().find(|k| k["prefix"] == created["prefix"]).cloned().unwrap();
        let listed = find(&keys);
        assert_eq!(
            (&listed["name"], &listed["last_used_at"], &listed["revoked_at"]),
            (&json!("till server"), &Value::Null, &Value::Null)
        );
        assert!(listed.get("key").is_none() && listed.get("secret_hash").is_none(), "{listed}");
        let (status, _) = app.get("/merchant/api-keys", &shop.cashier).await;
        assert_eq!(status, 403);

        // A use is recorded, to the minute: a second use within it writes nothing new.
        assert_eq!(app.get("/merchant", &key).await.0, 200);
        let first_use = find(&app.get("/merchant/api-keys", &shop.owner).await.1)["last_used_at"].clone();
        assert!(first_use.is_string(), "{first_use}");
        app.clock.advance_seconds(30);
        assert_eq!(app.get("/merchant", &key).await.0, 200);
        assert_eq!(find(&app.get("/merchant/api-keys", &shop.owner).await.1)["last_used_at"], first_use);
        app.clock.advance_seconds(60);
        assert_eq!(app.get("/merchant", &key).await.0, 200);
        let later = find(&app.get("/merchant/api-keys", &shop.owner).await.1)["last_used_at"].clone();
        assert!(later.as_str().unwrap() > first_use.as_str().unwrap(), "{later} after {first_use}");

        let id = created["id"].as_str().unwrap();
        assert_eq!(delete(app, &format!("/merchant/api-keys/{id}"), &shop.owner).await.0, 204);
        assert!(find(&app.get("/merchant/api-keys", &shop.owner).await.1)["revoked_at"].is_string());
    })
    .await;
}

/// A loopback listener that records what it is sent and answers 200.
async fn receiver() -> (String, Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push((headers, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_event_reaches_one_endpoint_and_the_demo_allows_only_loopback_http() {
    // As `quipu demo` runs: plain http to loopback only; production refuses it (below).
    let mut config = test_config();
    config.settings.webhooks.allow_private_targets = false;
    config.settings.webhooks.allow_loopback_http = true;
    on_each_backend_with(config, async |app: &TestApp| {
        let operator = app.operator().await;
        let other = shop(app, &operator, "Nosy Shop", 137, 0).await;
        let shop = shop(app, &operator, "Hook Shop", 136, 0).await;
        for url in [
            "http://10.0.0.7/hook",
            "http://example.com/hook",
            "http://169.254.169.254/latest",
            "http://shop.local/hook",
        ] {
            let (status, problem) = app.post("/merchant/webhooks", Some(&shop.owner), json!({"url": url})).await;
            assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_webhook_url")), "{url}: {problem}");
        }
        let (url, seen) = receiver().await;
        let (status, created) = app.post("/merchant/webhooks", Some(&shop.owner), json!({"url": url})).await;
        assert_eq!(status, 201, "{created}");
        let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
        let (url2, seen2) = receiver().await;
        let (status, _) = app.post("/merchant/webhooks", Some(&shop.owner), json!({"url": url2})).await;
        assert_eq!(status, 201);

        let (status, problem) =
            app.post(&format!("/merchant/webhooks/{endpoint}/test"), Some(&other.owner), json!({})).await;
        assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")));
        let (status, _) =
            app.post(&format!("/merchant/webhooks/{endpoint}/test"), Some(&shop.cashier), json!({})).await;
        assert_eq!(status, 403);
        let (status, delivery) =
            app.post(&format!("/merchant/webhooks/{endpoint}/test"), Some(&shop.owner), json!({})).await;
        assert_eq!(status, 201, "{delivery}");
        assert_eq!(delivery["event_type"], "webhook.test", "{delivery}");

        let sent = tokio::time::timeout(PATIENCE, async {
            loop {
                let sent = seen.lock().unwrap().clone();
                if !sent.is_empty() {
                    return sent;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the test event did not arrive");
        let event: Value = serde_json::from_str(&sent[0].1).unwrap();
        assert_eq!((event["type"].as_str(), &event["data"]["endpoint_id"]), (Some("webhook.test"), &json!(endpoint)));
        assert_eq!(sent[0].0["quipu-event-type"], "webhook.test");
        assert!(sent[0].0.contains_key("quipu-signature"));
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(seen2.lock().unwrap().is_empty(), "only the tested endpoint hears it");

        // Tills do not hear it: a stream replayed from the start has nothing to say.
        let response = app
            .client
            .get(format!("{}/merchant/events?after=0", app.api))
            .bearer_auth(&shop.owner)
            .timeout(Duration::from_millis(700))
            .send()
            .await
            .unwrap();
        let text = response.text().await.unwrap_or_default();
        assert!(!text.contains("webhook.test"), "{text}");
    })
    .await;

    // Production settings refuse plain http to loopback, as before.
    let mut config = test_config();
    config.settings.webhooks.allow_private_targets = false;
    on_each_backend_with(config, async |app: &TestApp| {
        let operator = app.operator().await;
        let shop = shop(app, &operator, "Strict Shop", 138, 0).await;
        for url in ["http://127.0.0.1:9/hook", "https://127.0.0.1/hook", "http://localhost/hook"] {
            let (status, problem) = app.post("/merchant/webhooks", Some(&shop.owner), json!({"url": url})).await;
            assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_webhook_url")), "{url}: {problem}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_summary_covers_several_days_within_limits() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550139001", "500.00").await;
        let dana = app.customer("+15550139002").await;
        app.cash_in(&agent, &dana.phone, "100.00").await;
        let shop = shop(app, &operator, "Summed Shop", 139, 100).await;
        let phone = enroll(app, &dana).await;
        let (status, _) = app
            .post_key(
                "/merchant/charges",
                &shop.cashier,
                "sum-1",
                json!({"code": phone.code(app, 0), "amount": "10.00"}),
            )
            .await;
        assert_eq!(status, 201);
        let (_, day_one) = app.get("/merchant/summary", &shop.owner).await;
        let first = day_one["date"].as_str().unwrap().to_owned();
        app.clock.advance_seconds(2 * 24 * 3600);
        let (status, _) = app
            .post_key(
                "/merchant/charges",
                &shop.cashier,
                "sum-2",
                json!({"code": phone.code(app, 1), "amount": "4.00"}),
            )
            .await;
        assert_eq!(status, 201);

        let (_, today) = app.get("/merchant/summary", &shop.owner).await;
        assert_eq!(
            (today["days"].as_u64(), &today["currencies"][0]["gross"]["amount"]),
            (Some(1), &json!("4.00")),
            "{today}"
        );
        let last = today["date"].as_str().unwrap().to_owned();
        let (status, range) = app.get(&format!("/merchant/summary?date={first}&to={last}"), &shop.owner).await;
        assert_eq!(status, 200, "{range}");
        assert_eq!(
            (range["date"].as_str(), range["last_date"].as_str(), range["days"].as_u64()),
            (Some(first.as_str()), Some(last.as_str()), Some(3))
        );
        let usd = &range["currencies"][0];
        assert_eq!(
            (usd["payments"].as_u64(), &usd["gross"]["amount"], &usd["fees"]["amount"]),
            (Some(2), &json!("14.00"), &json!("0.14")),
            "{range}"
        );

        // A malformed day is 400; well-formed days that name no range are 422.
        for (query, expected, code) in [
            (format!("date={last}&to={first}"), 422, "invalid_date_range"),
            (format!("date={first}&to=2099-01-01"), 422, "date_range_too_long"),
            (format!("to={last}"), 422, "invalid_date_range"),
            (format!("date={first}&to=2026-13-01"), 400, "invalid_date"),
        ] {
            let (status, problem) = app.get(&format!("/merchant/summary?{query}"), &shop.owner).await;
            assert_eq!((status, problem["code"].as_str()), (expected, Some(code)), "{query}: {problem}");
        }
        // A quarter at most: 1 January to 2 April is 92 days, to 3 April one too many.
        let (status, quarter) = app.get("/merchant/summary?date=2026-01-01&to=2026-04-02", &shop.owner).await;
        assert_eq!((status, quarter["days"].as_u64()), (200, Some(92)), "{quarter}");
        let (status, _) = app.get("/merchant/summary?date=2026-01-01&to=2026-04-03", &shop.owner).await;
        assert_eq!(status, 422);
    })
    .await;
}
