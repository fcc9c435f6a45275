//! The wallet flows end to end over HTTP.

use serde_json::json;

use crate::harness::on_each_backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_cash_in_p2p_history_receipt_statement() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550001001", "1000.00").await;
        let amina = app.customer("+15550002001").await;
        let bruno = app.customer("+15550002002").await;

        app.cash_in(&agent, &amina.phone, "50.00").await;
        assert_eq!(app.balance(&amina).await, 5000);
        assert_eq!(app.balance(&agent).await, 95000);

        let (status, sent) = app
            .post_key(
                "/transfers/p2p",
                &amina.token,
                "p2p-1",
                json!({"to_phone": "+1 555 000 2002", "amount": "12.5", "pin": "1234", "note": "lunch"}),
            )
            .await;
        assert_eq!(status, 201, "{sent}");
        assert_eq!(sent["amount"]["amount"], "12.50");
        assert_eq!(sent["code"], "p2p");
        assert_eq!(app.balance(&amina).await, 3750);
        assert_eq!(app.balance(&bruno).await, 1250);

        // History, newest first, with the direction from each side.
        let (status, page) = app.get(&format!("/accounts/{}/transactions", amina.account), &amina.token).await;
        assert_eq!(status, 200, "{page}");
        let entries = page["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0]["transfer"]["code"], "p2p");
        assert_eq!(entries[0]["direction"], "debit");
        assert_eq!(entries[1]["transfer"]["code"], "cash_in");
        let (_, mine) = app.get("/me/transactions", &bruno.token).await;
        assert_eq!(mine["entries"][0]["direction"], "credit");

        // Pagination by cursor, and filters by kind.
        let (_, first) = app.get(&format!("/accounts/{}/transactions?limit=1", amina.account), &amina.token).await;
        assert_eq!(first["entries"].as_array().unwrap().len(), 1);
        let cursor = first["next_cursor"].as_str().unwrap();
        let (_, second) =
            app.get(&format!("/accounts/{}/transactions?limit=1&cursor={cursor}", amina.account), &amina.token).await;
        assert_eq!(second["entries"][0]["transfer"]["code"], "cash_in");
        let (_, last) = app
            .get(
                &format!(
                    "/accounts/{}/transactions?limit=1&cursor={}",
                    amina.account,
                    second["next_cursor"].as_str().unwrap()
                ),
                &amina.token,
            )
            .await;
        assert!(last["entries"].as_array().unwrap().is_empty());
        assert!(last["next_cursor"].is_null());
        let (_, only_cash_in) =
            app.get(&format!("/accounts/{}/transactions?kind=cash_in", amina.account), &amina.token).await;
        assert_eq!(only_cash_in["entries"].as_array().unwrap().len(), 1);
        let (_, future) =
            app.get(&format!("/accounts/{}/transactions?from=2999-01-01T00:00:00Z", amina.account), &amina.token).await;
        assert!(future["entries"].as_array().unwrap().is_empty());

        // A receipt for both sides.
        let transfer_id = sent["id"].as_str().unwrap();
        let (status, receipt) = app.get(&format!("/transactions/{transfer_id}/receipt"), &bruno.token).await;
        assert_eq!(status, 200, "{receipt}");
        assert_eq!(receipt["direction"], "received");
        assert_eq!(receipt["from"]["name"], "Test Customer");
        assert!(receipt["from"]["phone"].as_str().unwrap().contains('•'), "phone is masked: {receipt}");
        let (_, receipt) = app.get(&format!("/transactions/{transfer_id}/receipt"), &amina.token).await;
        assert_eq!(receipt["direction"], "sent");

        // CSV statement.
        let response = app
            .client
            .get(format!("{}/accounts/{}/statement.csv", app.api, amina.account))
            .bearer_auth(&amina.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = response.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "timestamp,state,event_id,transaction_id,code,counterparty,reference,amount,currency,available_after,balance_after"
        );
        assert!(lines[1].contains(",opening_balance,") && lines[1].ends_with(",0.00,USD,0.00,0.00"), "{csv}");
        assert!(lines[2].contains(",completed,") && lines[2].contains(",cash_in,"), "oldest first: {csv}");
        assert!(lines[2].ends_with(",50.00,USD,50.00,50.00"), "{csv}");
        assert!(lines[3].contains(",p2p,") && lines[3].ends_with(",lunch,-12.50,USD,37.50,37.50"), "{csv}");
        assert!(lines[4].contains(",closing_balance,") && lines[4].ends_with(",37.50,USD,37.50,37.50"), "{csv}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_out_issuance_redemption_and_funding_sources() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550001002", "500.00").await;
        let customer = app.customer("+15550002003").await;
        app.cash_in(&agent, &customer.phone, "80.00").await;

        let (status, body) = app
            .post_key(
                "/agent/cash-out",
                &agent.token,
                "out-1",
                json!({"customer_phone": customer.phone, "amount": "30.00", "customer_pin": "1234"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(app.balance(&customer).await, 5000);
        assert_eq!(app.balance(&agent).await, 50000 - 8000 + 3000);

        let (status, body) = app
            .post_key("/operator/redemption", &operator, "redeem-1", json!({"agent_id": agent.id, "amount": "100.00"}))
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(app.balance(&agent).await, 35000);

        // The operator sees the agent float and the network's books, never the customer's wallet.
        let (status, _) = app.get(&format!("/accounts/{}", agent.account), &operator).await;
        assert_eq!(status, 200);
        let (status, _) = app.get(&format!("/accounts/{}", customer.account), &operator).await;
        assert_eq!(status, 404);

        let (status, source) = app
            .post(
                "/me/funding-sources",
                Some(&customer.token),
                json!({"bank_name": "Banco Popular", "account_number": "0012 3456 7890"}),
            )
            .await;
        assert_eq!(status, 201, "{source}");
        assert_eq!(source["account_number"], "••••7890");
        let (_, list) = app.get("/me/funding-sources", &customer.token).await;
        assert_eq!(list[0]["account_number"], "••••7890");
        assert!(!list.to_string().contains("34567890"));
        for n in 1..10 {
            let body = json!({"bank_name": "Banco Popular", "account_number": format!("99{n:08}")});
            let (status, _) = app.post("/me/funding-sources", Some(&customer.token), body).await;
            assert_eq!(status, 201);
        }
        let body = json!({"bank_name": "One Too Many", "account_number": "1234567890"});
        let (status, problem) = app.post("/me/funding-sources", Some(&customer.token), body).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (422, "limit_exceeded"));

        let (status, verify) = app.get("/operator/ledger/verify", &operator).await;
        assert_eq!(status, 200);
        assert_eq!(verify["clean"], true);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_replay_and_refuse_reuse() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550001003", "100.00").await;
        let amina = app.customer("+15550002004").await;
        let bruno = app.customer("+15550002005").await;
        app.cash_in(&agent, &amina.phone, "40.00").await;
        let body = json!({"to_phone": bruno.phone, "amount": "10.00", "pin": "1234"});

        let first = app.post_key("/transfers/p2p", &amina.token, "same-key", body.clone()).await;
        assert_eq!(first.0, 201);
        let response = app
            .client
            .post(format!("{}/transfers/p2p", app.api))
            .bearer_auth(&amina.token)
            .header("idempotency-key", "same-key")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        assert_eq!(response.headers()["idempotent-replayed"], "true");
        let replayed: serde_json::Value = response.json().await.unwrap();
        assert_eq!(replayed, first.1, "a retry returns the first response");
        assert_eq!(app.balance(&amina).await, 3000, "money moved once");

        // Same key, different request: refused, nothing moves.
        let (status, problem) = app
            .post_key(
                "/transfers/p2p",
                &amina.token,
                "same-key",
                json!({"to_phone": bruno.phone, "amount": "11.00", "pin": "1234"}),
            )
            .await;
        assert_eq!(status, 422);
        assert_eq!(problem["code"], "idempotency_key_reused");

        // Concurrent retries of one request move money once.
        let mut handles = Vec::new();
        for _ in 0..8 {
            let client = app.client.clone();
            let url = format!("{}/transfers/p2p", app.api);
            let token = amina.token.clone();
            let body = json!({"to_phone": bruno.phone, "amount": "5.00", "pin": "1234"});
            handles.push(tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(token)
                    .header("idempotency-key", "burst")
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                (status, response.json::<serde_json::Value>().await.unwrap())
            }));
        }
        let mut ids = std::collections::BTreeSet::new();
        for handle in handles {
            let (status, body) = handle.await.unwrap();
            assert_eq!(status, 201, "{body}");
            ids.insert(body["id"].as_str().unwrap().to_owned());
        }
        assert_eq!(ids.len(), 1, "every retry names the same transfer");
        assert_eq!(app.balance(&amina).await, 2500);
        assert_eq!(app.balance(&bruno).await, 1500);

        // A failed attempt stores nothing: after a top-up, the same key succeeds.
        let big = json!({"to_phone": bruno.phone, "amount": "50.00", "pin": "1234"});
        let (status, problem) = app.post_key("/transfers/p2p", &amina.token, "big", big.clone()).await;
        assert_eq!((status, problem["code"].as_str()), (422, Some("insufficient_funds")));
        app.cash_in(&agent, &amina.phone, "60.00").await;
        let (status, _) = app.post_key("/transfers/p2p", &amina.token, "big", big).await;
        assert_eq!(status, 201);

        // Past the retention the stored response is purged; a late retry runs
        // again and the ledger answers with the original transfer.
        app.clock.advance_seconds(8 * 24 * 3600);
        quipu_core::sweep_once(&app.services, 1000).await.unwrap();
        let amina_token = app.login(&amina.phone, "customer-password").await;
        let response = app
            .client
            .post(format!("{}/transfers/p2p", app.api))
            .bearer_auth(&amina_token)
            .header("idempotency-key", "same-key")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        assert!(!response.headers().contains_key("idempotent-replayed"), "the stored response was purged");
        let late: serde_json::Value = response.json().await.unwrap();
        assert_eq!(late["id"], first.1["id"], "the same transfer, not a new one");
        let amina = crate::harness::Person { token: amina_token, ..amina };
        assert_eq!(app.balance(&amina).await, 8500 - 5000, "money moved once");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_endpoints_answer() {
    on_each_backend(async |app| {
        let base = app.base();
        assert_eq!(app.client.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
        assert_eq!(app.client.get(format!("{base}/readyz")).send().await.unwrap().status(), 200);
        let doc: serde_json::Value =
            app.client.get(format!("{}/openapi.json", app.api)).send().await.unwrap().json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "OpenAPI 3.1: {}", doc["openapi"]);
        for path in [
            "/api/v1/transfers/p2p",
            "/api/v1/agent/cash-in",
            "/api/v1/auth/register",
            "/api/v1/accounts/{id}/transactions",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} documented");
        }
        // A request first, so the metrics have something to say.
        let operator = app.operator().await;
        let _ = app.agent(&operator, "+15550001004", "1.00").await;
        let metrics = app.client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("quipu_http_requests_total"), "{metrics}");
        assert!(metrics.contains("quipu_ledger_batch_size"), "{metrics}");
        assert!(metrics.contains("quipu_ledger_commit_seconds"), "{metrics}");
    })
    .await;
}
