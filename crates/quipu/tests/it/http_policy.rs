//! Each router's HTTP policy (`quipu_http::Policy`, chosen where a context declares its routes):
//! a request that writes nothing is answered without waiting for a durable commit, one that may
//! write still waits, and the body limit holds on both.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{on_each_backend, shop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_writes_nothing_waits_for_no_durable_commit_and_keeps_its_body_limit() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550083001", "100.00").await;
        let amina = app.customer("+15550083002").await;
        let bruno = app.customer("+15550083003").await;
        app.cash_in(&agent, &amina.phone, "20.00").await;
        let shop = shop(app, &operator, "Policy Shop", 83, 100).await;
        let profile = json!({"city": "Cusco", "category_code": "5462"});
        let (status, body) =
            app.request(Method::PUT, "/merchant/profile", Some(&shop.owner), None, Some(profile)).await;
        assert_eq!(status, 200, "{body}");
        let (status, qr) = app.get("/merchant/qr", &shop.owner).await;
        assert_eq!(status, 200, "{qr}");

        // The P2P preview, the QR scan and the agent's recipient check only read: POSTs that make
        // no durable commit (under one policy for all, each would wait for one of its own).
        let before = app.storage.durable_commits().await;
        let ask = json!({"to_phone": bruno.phone, "amount": "5.00"});
        let (status, preview) = app.post("/transfers/p2p/preview", Some(&amina.token), ask).await;
        assert_eq!((status, &preview["recipient"]["name"]), (200, &json!("Test C.")), "{preview}");
        let (status, scanned) = app.post("/me/scan", Some(&amina.token), json!({"payload": qr["payload"]})).await;
        assert_eq!((status, &scanned["merchant_name"]), (200, &json!("Policy Shop")), "{scanned}");
        let (status, who) = app.post("/agent/recipient", Some(&agent.token), json!({"phone": amina.phone})).await;
        assert_eq!(status, 200, "{who}");
        assert_eq!(app.storage.durable_commits().await, before, "a request that writes nothing waited for the disk");

        // A POST beside them that may write (a wrong PIN counts toward its lock) still waits.
        let transfer = json!({"to_phone": bruno.phone, "amount": "5.00", "pin": "0000"});
        let (status, _) = app.post_key("/transfers/p2p", &amina.token, "policy-1", transfer).await;
        assert_eq!(status, 403);
        assert!(app.storage.durable_commits().await > before, "a write was answered before it was durable");

        // Writing nothing does not lift the body limit: 16 KB, refused as a problem before parsing.
        let huge = json!({"to_phone": bruno.phone, "amount": "5.00", "note": "x".repeat(20_000)});
        // A fresh client: the server closes a connection whose oversized body it refused to read.
        let response = reqwest::Client::new()
            .post(format!("{}/transfers/p2p/preview", app.api))
            .bearer_auth(&amina.token)
            .json(&huge)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(response.json::<Value>().await.unwrap()["code"], "body_too_large");
    })
    .await;
}
