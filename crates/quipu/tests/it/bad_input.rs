//! Hostile and mistaken input: each gets a clear problem+json error with the
//! right status, and nothing moves (balances and the ledger checks prove it).

use serde_json::{Value, json};

use crate::harness::{Person, TestApp, on_each_backend};

/// An agent, Amina with 20.00 and Bruno with nothing: a story where nothing may move.
async fn two_customers(app: &TestApp, n: u32) -> (Person, Person) {
    let operator = app.operator().await;
    let agent = app.agent(&operator, &format!("+1555000{:04}", 3100 + n), "100.00").await;
    let amina = app.customer(&format!("+1555000{:04}", 4700 + 2 * n)).await;
    let bruno = app.customer(&format!("+1555000{:04}", 4701 + 2 * n)).await;
    app.cash_in(&agent, &amina.phone, "20.00").await;
    (amina, bruno)
}

/// Posts each body as a P2P transfer from Amina and checks its status and code.
async fn refused_transfers(app: &TestApp, amina: &Person, cases: Vec<(Value, u16, &str)>) {
    for (index, (body, status, code)) in cases.into_iter().enumerate() {
        let (got, problem) = app.post_key("/transfers/p2p", &amina.token, &format!("bad-{index}"), body.clone()).await;
        assert_eq!((got, problem["code"].as_str().unwrap()), (status, code), "case {index}: {body} -> {problem}");
    }
}

async fn nothing_moved(app: &TestApp, amina: &Person, bruno: &Person) {
    assert_eq!(app.balance(amina).await, 2000, "nothing moved");
    assert_eq!(app.balance(bruno).await, 0, "nothing moved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_amounts_and_currencies_are_refused() {
    on_each_backend(async |app| {
        let (amina, bruno) = two_customers(app, 1).await;
        let p2p = |amount: Value| json!({"to_phone": bruno.phone, "amount": amount, "pin": "1234"});
        let in_currency =
            |code: &str| json!({"to_phone": bruno.phone, "amount": "1.00", "currency": code, "pin": "1234"});
        let cases = vec![
            (p2p(json!("0")), 400, "amount_not_positive"),
            (p2p(json!("0.00")), 400, "amount_not_positive"),
            (p2p(json!("-5.00")), 400, "amount_not_positive"),
            (p2p(json!("1.234")), 400, "too_many_decimals"),
            (p2p(json!("92233720368547758.08")), 400, "amount_overflow"),
            (p2p(json!("1e3")), 400, "invalid_amount"),
            (p2p(json!(12.5)), 400, "invalid_body"),
            (p2p(json!("")), 400, "invalid_amount"),
            (in_currency("XYZ"), 422, "unknown_currency"),
            (in_currency("GBP"), 422, "unknown_currency"),
            (p2p(json!("20.01")), 422, "insufficient_funds"),
        ];
        refused_transfers(app, &amina, cases).await;
        nothing_moved(app, &amina, &bruno).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfers_to_the_wrong_person_or_with_a_malformed_pin_are_refused() {
    on_each_backend(async |app| {
        let (amina, bruno) = two_customers(app, 2).await;
        let cases = vec![
            (json!({"to_phone": bruno.phone, "amount": "1.00"}), 400, "invalid_body"),
            (json!({"to_phone": bruno.phone, "amount": "1.00", "pin": "1234", "extra": 1}), 400, "invalid_body"),
            (json!({"to_phone": "not a phone", "amount": "1.00", "pin": "1234"}), 400, "invalid_phone"),
            (json!({"to_phone": "+15559999999", "amount": "1.00", "pin": "1234"}), 404, "recipient_not_found"),
            (json!({"to_phone": amina.phone, "amount": "1.00", "pin": "1234"}), 400, "same_account"),
            (json!({"to_phone": bruno.phone, "amount": "1.00", "pin": "12"}), 400, "invalid_pin_format"),
        ];
        refused_transfers(app, &amina, cases).await;
        nothing_moved(app, &amina, &bruno).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_are_not_json_too_large_or_without_a_key_are_refused() {
    on_each_backend(async |app| {
        let (amina, bruno) = two_customers(app, 3).await;
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
        assert_eq!(response.json::<Value>().await.unwrap()["code"], "malformed_json");
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
        assert_eq!(response.json::<Value>().await.unwrap()["code"], "body_too_large");
        let transfer = json!({"to_phone": bruno.phone, "amount": "1.00", "pin": "1234"});
        let (status, problem) = app
            .request(reqwest::Method::POST, "/transfers/p2p", Some(&amina.token), None, Some(transfer.clone()))
            .await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (400, "idempotency_key_required"));
        let (status, problem) = app.post_key("/transfers/p2p", &amina.token, "spaces are bad", transfer).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (400, "idempotency_key_required"));
        nothing_moved(app, &amina, &bruno).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_routes_methods_paths_and_queries_are_problems() {
    on_each_backend(async |app| {
        let amina = app.customer("+15550004801").await;
        let (status, problem) = app.get("/no/such/thing", &amina.token).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (404, "not_found"));
        let (status, problem) = app.request(reqwest::Method::DELETE, "/me", Some(&amina.token), None, None).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (405, "method_not_allowed"));
        let (status, problem) = app.get("/accounts/not-a-uuid", &amina.token).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (400, "invalid_path"));
        let history = format!("/accounts/{}/transactions", amina.account);
        for (query, code) in
            [("limit=0", "invalid_limit"), ("from=yesterday", "invalid_date"), ("kind=bribe", "invalid_kind")]
        {
            let (status, problem) = app.get(&format!("{history}?{query}"), &amina.token).await;
            assert_eq!((status, problem["code"].as_str().unwrap()), (400, code), "{query}");
        }
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
        // The agent's device is another source: guesses in Amina's session do not lock it out.
        let (status, body) = app
            .post_key(
                "/agent/cash-out",
                &agent.token,
                "out-other-source",
                json!({"customer_phone": amina.phone, "amount": "1.00", "customer_pin": "1234"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        // After the lock period the right PIN works again.
        app.clock.advance_seconds(16 * 60);
        let (status, body) = app.post_key("/transfers/p2p", &amina.token, "right-after-lock", send("1234")).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(app.balance(&amina).await, 1800);
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
async fn frozen_accounts_move_nothing_in_or_out() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550003003", "100.00").await;
        let amina = app.customer("+15550004301").await;
        let bruno = app.customer("+15550004302").await;
        app.cash_in(&agent, &amina.phone, "20.00").await;

        let (status, frozen) =
            app.post(&format!("/operator/accounts/{}/freeze", amina.account), Some(&operator), json!({})).await;
        assert_eq!(status, 200, "{frozen}");
        assert_eq!(frozen["frozen"], true, "{frozen}");
        assert!(frozen.get("balance").is_none(), "the operator does not see a customer's balance: {frozen}");
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
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bogus_logged_out_and_expired_tokens_are_refused() {
    on_each_backend(async |app| {
        let amina = app.customer("+15550004303").await;
        let bruno = app.customer("+15550004304").await;
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
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_lock_after_ten_wrong_passwords() {
    on_each_backend(async |app| {
        let amina = app.customer("+15550004305").await;
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
    crate::harness::on_each_backend_with(config, async |app| {
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
        // The web's sign-in and sign-up guess the same secrets: the same bucket holds them.
        for form in ["/login", "/wallet/signup", "/reset-password"] {
            let page = app.client.post(format!("{}{form}", app.base())).form(&[("phone", "+15550004601")]).send().await;
            assert_eq!(page.unwrap().status(), 429, "{form}");
        }
        app.clock.advance_seconds(60);
        let (status, _) = app.post("/auth/login", None, login).await;
        assert_eq!(status, 401, "the bucket refills");
        let page = app.client.post(format!("{}/login", app.base())).form(&[("phone", "+15550004601")]).send().await;
        assert_eq!(page.unwrap().status(), 403, "past the limit, the form's own check answers (no token here)");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_query_parameters_are_refused_not_ignored() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let shop = crate::harness::shop(app, &operator, "Query Shop", 31, 0).await;
        let cases = [
            // A filter the list does not support would otherwise answer every payment, looking filtered.
            ("/merchant/payments?sort=amount", "unknown_query_parameter"),
            ("/merchant/payments?limit=5&tll=1", "unknown_query_parameter"),
            // An endpoint that takes no query at all.
            ("/merchant?verbose=1", "unknown_query_parameter"),
            ("/merchant/payments?limit=5&limit=6", "invalid_query"),
        ];
        for (path, code) in cases {
            let (status, problem) = app.get(path, &shop.owner).await;
            assert_eq!((status, problem["code"].as_str()), (400, Some(code)), "{path}: {problem}");
        }
        let (status, page) = app.get("/merchant/payments?limit=5", &shop.owner).await;
        assert_eq!(status, 200, "documented parameters are taken: {page}");
    })
    .await;
}
