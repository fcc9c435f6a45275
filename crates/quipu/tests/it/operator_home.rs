//! The operator's home counts what needs a person, on every backend: payouts waiting, frozen
//! accounts, webhooks failing, people locked out, and agents low on float (by the network's mark,
//! 50.00 by default).

use serde_json::json;

use std::sync::atomic::Ordering;

use crate::harness::shop;
use crate::harness::{TestApp, on_each_backend};
use crate::merchant_events::Receiver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operators_home_names_what_needs_attention() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let (status, calm) = app.get("/operator/attention", &operator).await;
        assert_eq!(status, 200, "{calm}");
        let counts = ["pending_payouts", "frozen_accounts", "failing_webhooks", "locked_people"];
        for count in counts {
            assert_eq!(calm[count], json!(0), "{count}: {calm}");
        }

        let rich = app.agent(&operator, "+15550330001", "500.00").await;
        let low = app.agent(&operator, "+15550330002", "49.99").await;
        let amina = app.customer("+15550330021").await;
        app.cash_in(&rich, &amina.phone, "30.00").await;
        let (status, body) =
            app.post(&format!("/operator/accounts/{}/freeze", amina.account), Some(&operator), json!({})).await;
        assert_eq!(status, 200, "{body}");
        // A shop asks for a payout: it waits for the operator's batch.
        let bakery = shop(app, &operator, "Attention Bakery", 330, 0).await;
        // The bakery's webhook receiver is down: its first delivery fails and waits for a retry.
        let receiver = Receiver::default();
        receiver.answer.store(500, Ordering::SeqCst);
        let hook = json!({"url": receiver.start().await, "events": ["payment.completed"]});
        let (status, body) = app.post("/merchant/webhooks", Some(&bakery.owner), hook).await;
        assert_eq!(status, 201, "{body}");
        let bruno = app.customer("+15550330022").await;
        let (status, card) = app.post_key("/agent/cards", &rich.token, "attention-card", json!({"pin": "4321"})).await;
        assert_eq!(status, 201, "{card}");
        let top_up = json!({"number": card["number"], "amount": "40.00"});
        let (status, body) = app.post_key("/agent/cards/top-up", &rich.token, "attention-top-up", top_up).await;
        assert_eq!(status, 201, "{body}");
        let sale = json!({"number": card["number"], "pin": "4321", "amount": "25.00"});
        let (status, body) = app.post_key("/merchant/card-payments", &bakery.cashier, "attention-sale", sale).await;
        assert_eq!(status, 201, "{body}");
        receiver.wait_for(1).await;
        let bank = json!({"bank_name": "Bank", "holder_name": "Attention Bakery", "account_number": "0012345678"});
        let (status, account) = app.post("/merchant/bank-accounts", Some(&bakery.owner), bank).await;
        assert_eq!(status, 201, "{account}");
        let payout = json!({"bank_account_id": account["id"], "amount": "10.00"});
        let (status, body) = app.post_key("/merchant/payouts", &bakery.owner, "attention-payout", payout).await;
        assert_eq!(status, 201, "{body}");
        app.cash_in(&rich, &bruno.phone, "5.00").await;
        // Bruno's PIN, guessed wrong from four agents, is locked for everyone but him.
        let mut guessers = Vec::new();
        for n in 0..4 {
            guessers.push(app.agent(&operator, &format!("+1555033010{n}"), "100.00").await);
        }
        for (n, agent) in guessers.iter().enumerate() {
            for attempt in 0..5 {
                let body = json!({"customer_phone": bruno.phone, "amount": "1.00", "customer_pin": "0000"});
                let key = format!("guess-{n}-{attempt}");
                let (status, _) = app.post_key("/agent/cash-out", &agent.token, &key, body).await;
                assert!(status == 403 || status == 423, "{status}");
            }
        }

        // The failed attempt is written just after the receiver answers: wait for it, not for a time.
        let mut attention = json!(null);
        for _ in 0..500 {
            let (status, seen) = app.get("/operator/attention", &operator).await;
            assert_eq!(status, 200, "{seen}");
            attention = seen;
            if attention["failing_webhooks"] != json!(0) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(attention["pending_payouts"], json!(1), "{attention}");
        assert_eq!(attention["frozen_accounts"], json!(1), "{attention}");
        assert_eq!(attention["locked_people"], json!(1), "{attention}");
        assert_eq!(attention["failing_webhooks"], json!(1), "{attention}");
        let lows = attention["agents_low_on_float"].as_array().unwrap();
        assert_eq!(lows.len(), 1, "only the float under 50.00: {attention}");
        assert_eq!((&lows[0]["phone"], &lows[0]["available"]["amount"]), (&json!(low.phone), &json!("49.99")));
        assert!(!attention.to_string().contains("30.00"), "no customer's money in it: {attention}");

        // Staff only; the page shows it.
        for token in [&amina.token, &bakery.owner, &rich.token] {
            assert_eq!(app.get("/operator/attention", token).await.0, 403);
        }
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let cookie = crate::web::signed_in(&client, &app.base(), "+15559990001", "staff-password").await;
        let page = client.get(format!("{}/operator/", app.base())).header("cookie", cookie).send().await.unwrap();
        let page = page.text().await.unwrap();
        assert!(page.contains("Needs attention") && page.contains(&low.phone), "{page}");
        assert!(page.contains(&format!("/operator/people/{}", low.id)), "the agent is one click away");
    })
    .await;
}
