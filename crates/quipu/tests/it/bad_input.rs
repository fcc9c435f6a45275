//! Hostile and mistaken input: each gets a clear problem+json error with the
//! right status, and nothing moves (balances and the ledger checks prove it).

use serde_json::json;

use crate::harness::on_each_backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_are_refused_and_nothing_moves() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550003001", "100.00").await;
        let amina = app.customer("+15550004001").await;
        let bruno = app.customer("+15550004002").await;
        app.cash_in(&agent, &amina.phone, "20.00").await;

        let p2p = |amount: serde_json::Value| json!({"to_phone": bruno.phone, "amount": amount, "pin": "1234"});
        let cases = [
            (p2p(json!("0")), 400, "amount_not_positive"),
            (p2p(json!("0.00")), 400, "amount_not_positive"),
            (p2p(json!("-5.00")), 400, "amount_not_positive"),
            (p2p(json!("1.234")), 400, "too_many_decimals"),
            (p2p(json!("92233720368547758.08")), 400, "amount_overflow"),
            (p2p(json!("1e3")), 400, "invalid_amount"),
            (p2p(json!(12.5)), 400, "invalid_body"),
            (p2p(json!("")), 400, "invalid_amount"),
            (
                json!({"to_phone": bruno.phone, "amount": "1.00", "currency": "XYZ", "pin": "1234"}),
                400,
                "unknown_currency",
            ),
            (
                json!({"to_phone": bruno.phone, "amount": "1.00", "currency": "GBP", "pin": "1234"}),
                400,
                "unknown_currency",
            ),
            (json!({"to_phone": bruno.phone, "amount": "1.00"}), 400, "invalid_body"),
            (json!({"to_phone": bruno.phone, "amount": "1.00", "pin": "1234", "extra": 1}), 400, "invalid_body"),
            (json!({"to_phone": "not a phone", "amount": "1.00", "pin": "1234"}), 400, "invalid_phone"),
            (json!({"to_phone": "+15559999999", "amount": "1.00", "pin": "1234"}), 404, "recipient_not_found"),
            (json!({"to_phone": amina.phone, "amount": "1.00", "pin": "1234"}), 400, "same_account"),
            (json!({"to_phone": bruno.phone, "amount": "1.00", "pin": "12"}), 400, "invalid_pin_format"),
            (p2p(json!("20.01")), 422, "insufficient_funds"),
        ];
        for (index, (body, status, code)) in cases.into_iter().enumerate() {
            let (got, problem) =
                app.post_key("/transfers/p2p", &amina.token, &format!("bad-{index}"), body.clone()).await;
            assert_eq!((got, problem["code"].as_str().unwrap()), (status, code), "case {index}: {body} -> {problem}");
        }

        // Not JSON at all, the wrong content type, an oversized body, no idempotency key.
        let raw = |body: String, content_type: &'static str| {
            app.client
                .post(format!("{}/transfers/p2p", app.api))
                .bearer_auth(&amina.token)
                .header("idempotency-key", "raw")
                .header("content-type", content_type)
                .body(body)
        };
        let response = raw("{\"to_phone\": ".into(), "application/json").send().await.unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(response.json::<serde_json::Value>().await.unwrap()["code"], "malformed_json");
        let response = raw("{}".into(), "text/plain").send().await.unwrap();
        assert_eq!(response.status(), 415);
        let huge = format!("{{\"to_phone\": \"{}\", \"amount\": \"1.00\", \"pin\": \"1234\"}}", "9".repeat(64 * 1024));
        // A fresh client: the server closes a connection whose oversized body it refused to read.
        let response = reqwest::Client::new()
            .post(format!("{}/transfers/p2p", app.api))
            .bearer_auth(&amina.token)
            .header("idempotency-key", "raw")
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        assert_eq!(response.json::<serde_json::Value>().await.unwrap()["code"], "body_too_large");
        let (status, problem) = app
            .request(reqwest::Method::POST, "/transfers/p2p", Some(&amina.token), None, Some(p2p(json!("1.00"))))
            .await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (400, "idempotency_key_required"));
        let (status, _) = app.post_key("/transfers/p2p", &amina.token, "spaces are bad", p2p(json!("1.00"))).await;
        assert_eq!(status, 400);

        // Unknown routes and methods are problems too.
        let (status, problem) = app.get("/no/such/thing", &amina.token).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (404, "not_found"));
        let (status, _) = app.request(reqwest::Method::DELETE, "/me", Some(&amina.token), None, None).await;
        assert_eq!(status, 405);
        let (status, problem) = app.get("/accounts/not-a-uuid", &amina.token).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (400, "invalid_path"));
        let (status, problem) =
            app.get(&format!("/accounts/{}/transactions?limit=0", amina.account), &amina.token).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (400, "invalid_limit"));
        let (status, problem) =
            app.get(&format!("/accounts/{}/transactions?from=yesterday", amina.account), &amina.token).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (400, "invalid_date"));
        let (status, problem) =
            app.get(&format!("/accounts/{}/transactions?kind=bribe", amina.account), &amina.token).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (400, "invalid_kind"));

        assert_eq!(app.balance(&amina).await, 2000, "nothing moved");
        assert_eq!(app.balance(&bruno).await, 0, "nothing moved");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_is_validated() {
    on_each_backend(async |app| {
        app.customer("+15550004101").await;
        let register = |phone: &str, name: &str, password: &str, pin: &str| {
            json!({"phone": phone, "full_name": name, "password": password, "pin": pin})
        };
        let cases = [
            (register("+15550004101", "Dup", "long-enough", "1234"), 409, "phone_taken"),
            (register("+1 (555) 000-4101", "Dup", "long-enough", "1234"), 409, "phone_taken"),
            (register("5550004102", "No Plus", "long-enough", "1234"), 400, "invalid_phone"),
            (register("+1555abc4102", "Letters", "long-enough", "1234"), 400, "invalid_phone"),
            (register("+15550004102", "", "long-enough", "1234"), 400, "invalid_name"),
            (register("+15550004102", "Short Pw", "short", "1234"), 400, "invalid_password"),
            (register("+15550004102", "Bad Pin", "long-enough", "12345678"), 400, "invalid_pin_format"),
            (register("+15550004102", "Bad Pin", "long-enough", "abcd"), 400, "invalid_pin_format"),
            (json!({"phone": "+15550004102"}), 400, "invalid_body"),
        ];
        for (index, (body, status, code)) in cases.into_iter().enumerate() {
            let (got, problem) = app.post("/auth/register", None, body.clone()).await;
            assert_eq!((got, problem["code"].as_str().unwrap()), (status, code), "case {index}: {body} -> {problem}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pins_lock_and_locked_pins_refuse_even_the_right_one() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550003002", "100.00").await;
        let amina = app.customer("+15550004201").await;
        let bruno = app.customer("+15550004202").await;
        app.cash_in(&agent, &amina.phone, "20.00").await;
        let send = |pin: &str| json!({"to_phone": bruno.phone, "amount": "1.00", "pin": pin});
        for attempt in 1..=4 {
            let (status, problem) =
                app.post_key("/transfers/p2p", &amina.token, &format!("wrong-{attempt}"), send("0000")).await;
            assert_eq!((status, problem["code"].as_str().unwrap()), (403, "wrong_pin"), "{problem}");
        }
        let (status, problem) = app.post_key("/transfers/p2p", &amina.token, "wrong-5", send("0000")).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (423, "pin_locked"), "{problem}");
        let (status, problem) = app.post_key("/transfers/p2p", &amina.token, "right-while-locked", send("1234")).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (423, "pin_locked"));
        // Cash-out with the customer's PIN is locked too.
        let (status, _) = app
            .post_key(
                "/agent/cash-out",
                &agent.token,
                "out-locked",
                json!({"customer_phone": amina.phone, "amount": "1.00", "customer_pin": "1234"}),
            )
            .await;
        assert_eq!(status, 423);
        // After the lock period the right PIN works again.
        app.clock.advance_seconds(16 * 60);
        let (status, body) = app.post_key("/transfers/p2p", &amina.token, "right-after-lock", send("1234")).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(app.balance(&amina).await, 1900);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_parallel_guesses_gets_no_more_tries_than_one_at_a_time() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550003005", "100.00").await;
        let amina = app.customer("+15550004501").await;
        app.cash_in(&agent, &amina.phone, "20.00").await;
        let mut tasks = Vec::new();
        for n in 0..16 {
            let (client, api, token, phone) =
                (app.client.clone(), app.api.clone(), agent.token.clone(), amina.phone.clone());
            tasks.push(tokio::spawn(async move {
                let response = client
                    .post(format!("{api}/agent/cash-out"))
                    .bearer_auth(token)
                    .header("idempotency-key", format!("guess-{n}"))
                    .json(
                        &json!({"customer_phone": phone, "amount": "1.00", "customer_pin": format!("{:04}", 5000 + n)}),
                    )
                    .send()
                    .await
                    .unwrap();
                response.json::<serde_json::Value>().await.unwrap()["code"].as_str().unwrap().to_owned()
            }));
        }
        let mut codes = Vec::new();
        for task in tasks {
            codes.push(task.await.unwrap());
        }
        let mut wrong = codes.iter().filter(|c| *c == "wrong_pin").count();
        let refused = codes.iter().filter(|c| *c == "pin_locked" || *c == "check_in_progress").count();
        assert_eq!(wrong + refused, 16, "{codes:?}");
        // Keep guessing one at a time: the burst must not have bought any extra tries.
        for n in 0..10 {
            let body = json!({"customer_phone": amina.phone, "amount": "1.00", "customer_pin": "0000"});
            let (_, problem) = app.post_key("/agent/cash-out", &agent.token, &format!("then-{n}"), body).await;
            match problem["code"].as_str().unwrap() {
                "wrong_pin" => wrong += 1,
                "pin_locked" => break,
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(wrong, 4, "exactly four wrong answers, then the lock, however the guesses arrive: {codes:?}");
        let (status, _) = app
            .post_key(
                "/agent/cash-out",
                &agent.token,
                "right-after-burst",
                json!({"customer_phone": amina.phone, "amount": "1.00", "customer_pin": "1234"}),
            )
            .await;
        assert_eq!(status, 423, "the right PIN is refused while locked");
        assert_eq!(app.balance(&amina).await, 2000);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_accounts_limits_sessions_and_login_lockout() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550003003", "100.00").await;
        let amina = app.customer("+15550004301").await;
        let bruno = app.customer("+15550004302").await;
        app.cash_in(&agent, &amina.phone, "20.00").await;

        let (status, frozen) =
            app.post(&format!("/operator/accounts/{}/freeze", amina.account), Some(&operator), json!({})).await;
        assert_eq!(status, 200, "{frozen}");
        assert!(frozen["flags"].as_array().unwrap().contains(&json!("frozen")));
        let send = json!({"to_phone": bruno.phone, "amount": "1.00", "pin": "1234"});
        let (status, problem) = app.post_key("/transfers/p2p", &amina.token, "frozen-1", send.clone()).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (422, "account_frozen"));
        // Money cannot arrive in a frozen account either.
        let (status, problem) = app
            .post_key(
                "/agent/cash-in",
                &agent.token,
                "frozen-in",
                json!({"customer_phone": amina.phone, "amount": "1.00"}),
            )
            .await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (422, "account_frozen"));
        let (status, _) =
            app.post(&format!("/operator/accounts/{}/unfreeze", amina.account), Some(&operator), json!({})).await;
        assert_eq!(status, 200);
        let (status, _) = app.post_key("/transfers/p2p", &amina.token, "frozen-1", send).await;
        assert_eq!(status, 201, "the same key works once unfrozen: failures are not stored");

        // Expired and bogus tokens.
        for token in ["qps_0000", "garbage", "qpk_nope.nope"] {
            let (status, _) = app.get("/me", token).await;
            assert_eq!(status, 401);
        }
        let (status, problem) = app.request(reqwest::Method::GET, "/me", None, None, None).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (401, "unauthenticated"));
        let (status, _) = app.post("/auth/logout", Some(&bruno.token), json!({})).await;
        assert_eq!(status, 204);
        let (status, _) = app.get("/me", &bruno.token).await;
        assert_eq!(status, 401, "a logged-out token is dead");
        app.clock.advance_seconds(8 * 24 * 3600);
        let (status, problem) = app.get("/me", &amina.token).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (401, "session_expired"));

        // Login lockout after ten wrong passwords; the right one is refused while locked.
        for _ in 0..9 {
            let (status, problem) =
                app.post("/auth/login", None, json!({"phone": amina.phone, "password": "wrong-password"})).await;
            assert_eq!((status, problem["code"].as_str().unwrap()), (401, "invalid_credentials"));
        }
        let (status, problem) =
            app.post("/auth/login", None, json!({"phone": amina.phone, "password": "wrong-password"})).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (423, "login_locked"));
        let (status, _) =
            app.post("/auth/login", None, json!({"phone": amina.phone, "password": "customer-password"})).await;
        assert_eq!(status, 423);
        let (status, problem) =
            app.post("/auth/login", None, json!({"phone": "+15550009999", "password": "whatever-pw"})).await;
        assert_eq!(
            (status, problem["code"].as_str().unwrap()),
            (401, "invalid_credentials"),
            "unknown phones look like wrong passwords"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_transfer_limits_name_the_limit() {
    let mut config = crate::harness::test_config();
    let usd = quipu_domain::money::Currency::from_code("USD").unwrap();
    config.settings.transfer_limits.insert(usd.code, usd.parse_amount("25.00").unwrap());
    crate::harness::on_each_backend_with(config, async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550003004", "100.00").await;
        let amina = app.customer("+15550004401").await;
        let (status, problem) = app
            .post_key("/agent/cash-in", &agent.token, "over", json!({"customer_phone": amina.phone, "amount": "25.01"}))
            .await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (422, "limit_exceeded"));
        assert!(problem["detail"].as_str().unwrap().contains("25.00 USD"), "{problem}");
        app.cash_in(&agent, &amina.phone, "25.00").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_limited_per_address() {
    let mut config = crate::harness::test_config();
    config.http.auth_requests_per_minute = 5;
    let app = crate::harness::TestApp::start(crate::harness::Backend::Sqlite, config).await;
    let login = json!({"phone": "+15550004601", "password": "not-the-password"});
    for _ in 0..5 {
        let (status, _) = app.post("/auth/login", None, login.clone()).await;
        assert_eq!(status, 401);
    }
    let response = app.client.post(format!("{}/auth/login", app.api)).json(&login).send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let problem: serde_json::Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "rate_limited");
    app.clock.advance_seconds(60);
    let (status, _) = app.post("/auth/login", None, login).await;
    assert_eq!(status, 401, "the bucket refills");
    app.finish().await;
}
