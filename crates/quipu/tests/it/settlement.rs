//! Merchant money leaving the network, and agents' earnings, over real HTTP on every backend:
//! payouts held, batched for the bank, exported, paid or rejected; scheduled payouts by the
//! housekeeping loop under the test's clock; a merchant owner cashing out at an agent with a PIN;
//! commissions paid from fee income and never beyond it; the agent's recipient check.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, on_each_backend};
use crate::harness::{charge, enroll, merchant_balance, shop};

/// The merchant's available balance (posted, less held), in minor units.
async fn merchant_available(app: &TestApp, owner: &str) -> i64 {
    let (status, merchant) = app.get("/merchant", owner).await;
    assert_eq!(status, 200, "{merchant}");
    merchant["accounts"][0]["available"]["minor_units"].as_i64().unwrap()
}

async fn bank_account(app: &TestApp, owner: &str, number: &str) -> String {
    let (status, account) = app
        .post(
            "/merchant/bank-accounts",
            Some(owner),
            json!({"bank_name": "First Bank", "holder_name": "Corner Shop Ltd", "account_number": number}),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    account["id"].as_str().unwrap().to_owned()
}

async fn payout(app: &TestApp, owner: &str, key: &str, body: Value) -> (u16, Value) {
    app.post_key("/merchant/payouts", owner, key, body).await
}

/// The network's fee income, as the operator sees it.
async fn fee_income(app: &TestApp, operator: &str) -> i64 {
    use quipu_domain::ledger::AccountKind;
    use quipu_store::AccountOwner;
    let accounts = app.services.kernel.store.accounts_of(AccountOwner::System).await.unwrap();
    let id = accounts.iter().find(|a| a.kind == AccountKind::FeeIncome).unwrap().id;
    let (status, account) = app.get(&format!("/accounts/{id}"), operator).await;
    assert_eq!(status, 200, "{account}");
    account["balance"]["minor_units"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payouts_are_held_batched_exported_and_paid_or_rejected() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550120001", "500.00").await;
        let amina = app.customer("+15550120002").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(app, &operator, "Corner Shop", 201, 100).await;
        let other = shop_with_name(app, &operator, "Other Shop", 202).await;
        let phone = enroll(app, &amina).await;
        let (status, paid) = charge(app, &shop.cashier, "sale-1", &phone.code(app, 0), "20.00").await;
        assert_eq!(status, 201, "{paid}");
        assert_eq!(merchant_balance(app, &shop.owner).await, 19_80);

        let account = bank_account(app, &shop.owner, "GB33 BUKB 2020 1555 5555 55").await;
        let (status, accounts) = app.get("/merchant/bank-accounts", &shop.owner).await;
        assert_eq!(status, 200, "{accounts}");
        assert_eq!(accounts[0]["account_number"], "••••5555", "masked: {accounts}");
        let others = bank_account(app, &other, "DE89370400440532013000").await;

        // Bad requests move nothing.
        let (status, body) =
            payout(app, &shop.owner, "too-much", json!({"bank_account_id": account, "amount": "19.81"})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("insufficient_funds")), "{body}");
        let missing = uuid::Uuid::now_v7();
        let (status, body) = payout(app, &shop.owner, "missing", json!({"bank_account_id": missing})).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("bank_account_not_found")), "{body}");
        let (status, body) = payout(app, &shop.owner, "theirs", json!({"bank_account_id": others})).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("bank_account_not_found")), "{body}");
        let (status, body) = payout(app, &shop.cashier, "cashier", json!({"bank_account_id": account})).await;
        assert_eq!(status, 403, "cashiers do not pay out: {body}");
        let (status, body) =
            payout(app, &shop.owner, "zero", json!({"bank_account_id": account, "amount": "0.00"})).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(merchant_available(app, &shop.owner).await, 19_80);

        // A payout holds the money; the same key again is the same payout.
        let (status, first) =
            payout(app, &shop.owner, "payout-1", json!({"bank_account_id": account, "amount": "10.00"})).await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["status"], "pending");
        assert_eq!(first["amount"]["amount"], "10.00");
        assert_eq!(first["bank_account"]["account_number"], "••••5555");
        let (status, again) =
            payout(app, &shop.owner, "payout-1", json!({"bank_account_id": account, "amount": "10.00"})).await;
        assert_eq!((status, &again["id"]), (201, &first["id"]), "replayed, not doubled");
        assert_eq!(merchant_available(app, &shop.owner).await, 9_80);
        assert_eq!(merchant_balance(app, &shop.owner).await, 19_80, "held, not gone");
        // Without an amount: the whole available balance; then nothing is left to pay out.
        let (status, second) = payout(app, &shop.owner, "payout-2", json!({"bank_account_id": account})).await;
        assert_eq!((status, second["amount"]["amount"].as_str()), (201, Some("9.80")), "{second}");
        let (status, body) = payout(app, &shop.owner, "payout-3", json!({"bank_account_id": account})).await;
        assert_eq!((status, body["code"].as_str()), (422, Some("nothing_to_pay_out")), "{body}");

        // The operator sees both pending, rejects the second: its money is the merchant's again.
        let (status, pending) = app.get("/operator/payouts", &operator).await;
        assert_eq!((status, pending.as_array().map(Vec::len)), (200, Some(2)), "{pending}");
        let (status, _) = app.get("/operator/payouts", &shop.owner).await;
        assert_eq!(status, 403);
        let second_id = second["id"].as_str().unwrap();
        let reject = format!("/operator/payouts/{second_id}/reject");
        let (status, rejected) = app.post_key(&reject, &operator, "reject-1", json!({})).await;
        assert_eq!((status, rejected["status"].as_str()), (201, Some("rejected")), "{rejected}");
        assert_eq!(merchant_available(app, &shop.owner).await, 9_80);

        // A batch for the bank: the one pending payout; the same key answers the same batch.
        let (status, batch) =
            app.request(Method::POST, "/operator/payout-batches", Some(&operator), Some("batch-1"), None).await;
        assert_eq!(status, 201, "{batch}");
        assert_eq!(batch["payouts"].as_array().map(Vec::len), Some(1), "{batch}");
        assert_eq!(batch["totals"][0]["amount"], "10.00");
        let (_, same) =
            app.request(Method::POST, "/operator/payout-batches", Some(&operator), Some("batch-1"), None).await;
        assert_eq!(same["id"], batch["id"]);
        let batch_id = batch["id"].as_str().unwrap();
        let file = app
            .client
            .get(format!("{}/operator/payout-batches/{batch_id}/file.csv", app.api))
            .bearer_auth(&operator)
            .send()
            .await
            .unwrap();
        assert_eq!(file.status(), 200);
        assert!(file.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = file.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "payout_id,merchant,bank_name,account_holder,account_number,currency,amount,reference");
        assert_eq!(lines.len(), 2, "{csv}");
        assert!(lines[1].contains("GB33BUKB20201555555555") && lines[1].contains(",USD,10.00,"), "{csv}");
        let (status, _) = app.get(&format!("/operator/payout-batches/{batch_id}/file.csv"), &shop.owner).await;
        assert_eq!(status, 403, "only the operator reads full account numbers");

        // Paid: the hold is posted, the money has left.
        let (status, done) =
            app.post_key(&format!("/operator/payout-batches/{batch_id}/paid"), &operator, "paid-1", json!({})).await;
        assert_eq!(status, 201, "{done}");
        assert_eq!(done["payouts"][0]["status"], "paid");
        assert!(done["paid_at"].is_string());
        assert_eq!(merchant_balance(app, &shop.owner).await, 9_80);
        assert_eq!(merchant_available(app, &shop.owner).await, 9_80);
        let (status, mine) = app.get("/merchant/payouts", &shop.owner).await;
        assert_eq!(status, 200, "{mine}");
        let statuses: Vec<&str> = mine.as_array().unwrap().iter().map(|p| p["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["rejected", "paid"], "newest first");
        let first_id = first["id"].as_str().unwrap();
        let (status, body) =
            app.post_key(&format!("/operator/payouts/{first_id}/reject"), &operator, "reject-2", json!({})).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("payout_settled")), "{body}");
        let (status, _) = app.get("/operator/payouts?status=paid", &operator).await;
        assert_eq!(status, 200);
        let (status, verify) = app.get("/operator/ledger/verify", &operator).await;
        assert_eq!(status, 200, "{verify}");
        assert_eq!(verify["clean"], true, "{verify}");
    })
    .await;
}

/// A shop made with [`shop`], returning only its owner's token.
async fn shop_with_name(app: &TestApp, operator: &str, name: &str, suffix: u32) -> String {
    shop(app, operator, name, suffix, 0).await.owner
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_payouts_run_once_a_day_above_the_threshold() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550120101", "500.00").await;
        let amina = app.customer("+15550120102").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(app, &operator, "Night Shop", 203, 0).await;
        let phone = enroll(app, &amina).await;
        let account = bank_account(app, &shop.owner, "12345678").await;
        let schedule = json!({"bank_account_id": account, "threshold": "15.00"});
        let (status, schedules) =
            app.request(Method::PUT, "/merchant/payout-schedule", Some(&shop.owner), None, Some(schedule)).await;
        assert_eq!(status, 200, "{schedules}");
        assert_eq!(schedules[0]["threshold"]["amount"], "15.00");
        let (status, body) = app
            .request(
                Method::PUT,
                "/merchant/payout-schedule",
                Some(&shop.owner),
                None,
                Some(json!({"bank_account_id": uuid::Uuid::now_v7(), "threshold": "1.00"})),
            )
            .await;
        assert_eq!((status, body["code"].as_str()), (404, Some("bank_account_not_found")));

        // Below the threshold: nothing.
        charge(app, &shop.cashier, "s-1", &phone.code(app, 0), "10.00").await;
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, payouts) = app.get("/merchant/payouts", &shop.owner).await;
        assert_eq!(payouts.as_array().map(Vec::len), Some(0));
        // The next day, above it: the whole available balance, once however often housekeeping runs.
        app.clock.advance_seconds(24 * 3600);
        charge(app, &shop.cashier, "s-2", &phone.code(app, 0), "10.00").await;
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, payouts) = app.get("/merchant/payouts", &shop.owner).await;
        assert_eq!(payouts.as_array().map(Vec::len), Some(1), "{payouts}");
        assert_eq!(payouts[0]["amount"]["amount"], "20.00");
        assert_eq!(payouts[0]["scheduled"], true);
        assert_eq!(merchant_available(app, &shop.owner).await, 0);
        // More money the same day waits for tomorrow.
        charge(app, &shop.cashier, "s-3", &phone.code(app, 1), "18.00").await;
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, payouts) = app.get("/merchant/payouts", &shop.owner).await;
        assert_eq!(payouts.as_array().map(Vec::len), Some(1));
        app.clock.advance_seconds(24 * 3600);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, payouts) = app.get("/merchant/payouts", &shop.owner).await;
        assert_eq!(payouts.as_array().map(Vec::len), Some(2), "{payouts}");
        assert_eq!(payouts[0]["amount"]["amount"], "18.00");
        // Stopped: no more.
        let (status, schedules) =
            app.request(Method::PUT, "/merchant/payout-schedule", Some(&shop.owner), None, Some(json!({}))).await;
        assert_eq!((status, schedules.as_array().map(Vec::len)), (200, Some(0)));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_owner_cashes_out_at_an_agent_with_their_pin() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550120201", "500.00").await;
        let amina = app.customer("+15550120202").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(app, &operator, "Corner Shop", 204, 0).await;
        let owner_phone = "+15550700204";
        let phone = enroll(app, &amina).await;
        charge(app, &shop.cashier, "sale-1", &phone.code(app, 0), "20.00").await;

        // The agent reads back who a number belongs to before taking or paying out cash.
        let (status, who) = app.post("/agent/recipient", Some(&agent.token), json!({"phone": amina.phone})).await;
        assert_eq!((status, who["kind"].as_str(), who["name"].as_str()), (200, Some("customer"), Some("Test C.")));
        let (status, who) = app.post("/agent/recipient", Some(&agent.token), json!({"phone": owner_phone})).await;
        assert_eq!(status, 200, "{who}");
        assert_eq!((who["kind"].as_str(), who["merchant_name"].as_str()), (Some("merchant"), Some("Corner Shop")));
        let (status, who) = app.post("/agent/recipient", Some(&agent.token), json!({"phone": "+15550129999"})).await;
        assert_eq!((status, who["code"].as_str()), (404, Some("recipient_not_found")));
        let (status, _) = app.post("/agent/recipient", Some(&amina.token), json!({"phone": owner_phone})).await;
        assert_eq!(status, 403, "agents only");

        // No PIN yet: nothing moves.
        let cash_out = |key: &'static str, pin: &'static str| {
            app.post_key(
                "/agent/cash-out",
                &agent.token,
                key,
                json!({"customer_phone": owner_phone, "amount": "5.00", "customer_pin": pin}),
            )
        };
        let (status, body) = cash_out("out-0", "2468").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("pin_not_set")), "{body}");
        // The owner sets a PIN once; changing it needs the current one.
        let (status, _) =
            app.request(Method::PUT, "/me/pin", Some(&shop.owner), None, Some(json!({"new_pin": "1357"}))).await;
        assert_eq!(status, 200);
        let (status, body) =
            app.request(Method::PUT, "/me/pin", Some(&shop.owner), None, Some(json!({"new_pin": "2468"}))).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("old_pin_required")));
        let change = json!({"new_pin": "2468", "old_pin": "1357"});
        let (status, _) = app.request(Method::PUT, "/me/pin", Some(&shop.owner), None, Some(change)).await;
        assert_eq!(status, 200);
        let (status, _) =
            app.request(Method::PUT, "/me/pin", Some(&shop.cashier), None, Some(json!({"new_pin": "2468"}))).await;
        assert_eq!(status, 403, "cashiers hold no PIN");

        let (status, body) = cash_out("out-1", "1357").await;
        assert_eq!((status, body["code"].as_str()), (403, Some("wrong_pin")), "{body}");
        let float_before = app.balance(&agent).await;
        let (status, out) = cash_out("out-2", "2468").await;
        assert_eq!((status, out["code"].as_str()), (201, Some("cash_out")), "{out}");
        assert_eq!(merchant_balance(app, &shop.owner).await, 15_00);
        assert_eq!(app.balance(&agent).await, float_before + 5_00);
        let (status, again) = cash_out("out-2", "2468").await;
        assert_eq!((status, &again["id"]), (201, &out["id"]));
        assert_eq!(merchant_balance(app, &shop.owner).await, 15_00, "replayed, not doubled");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_earn_commissions_from_fee_income_never_beyond_it() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550120301", "500.00").await;
        let amina = app.customer("+15550120302").await;
        let set = async |operation: &str, body: Value| {
            let path = format!("/operator/commissions/{operation}");
            app.request(Method::PUT, &path, Some(&operator), None, Some(body)).await
        };
        // Bad configurations are refused.
        for (operation, body, code_0, code_1) in [
            ("cash_in", json!({"bps": 10_001}), 400, "invalid_commission"),
            ("cash_in", json!({"bps": 5, "fixed": "0.10"}), 422, "invalid_commission"),
            ("cash_in", json!({}), 422, "invalid_commission"),
            ("cash_in", json!({"fixed": "-0.10"}), 400, "invalid_commission"),
            ("card_issue", json!({"bps": 10}), 422, "invalid_commission"),
            ("p2p", json!({"fixed": "0.10"}), 400, "invalid_operation"),
        ] {
            let (status, body) = set(operation, body).await;
            assert_eq!((status, body["code"].as_str()), (code_0, Some(code_1)), "{operation}: {body}");
        }
        let (status, _) = app
            .request(
                Method::PUT,
                "/operator/commissions/cash_in",
                Some(&agent.token),
                None,
                Some(json!({"fixed": "1.00"})),
            )
            .await;
        assert_eq!(status, 403);
        let (status, body) = set("cash_in", json!({"fixed": "0.50"})).await;
        assert_eq!((status, body["fixed"]["amount"].as_str()), (200, Some("0.50")), "{body}");
        set("cash_out", json!({"bps": 100})).await;
        set("card_issue", json!({"fixed": "0.25"})).await;
        let (status, all) = app.get("/operator/commissions", &operator).await;
        assert_eq!((status, all.as_array().map(Vec::len)), (200, Some(3)));

        // No fee income earned yet: the cash-in goes through, without a commission.
        app.cash_in(&agent, &amina.phone, "60.00").await;
        assert_eq!(app.balance(&agent).await, 44_000);
        // A payment earns the network 1.00 in fees.
        let shop = shop(app, &operator, "Fee Shop", 205, 500).await;
        let phone = enroll(app, &amina).await;
        charge(app, &shop.cashier, "sale-1", &phone.code(app, 0), "20.00").await;
        assert_eq!(fee_income(app, &operator).await, 1_00);

        // Cash-in: 0.50 from fee income to the float, in the same chain.
        let key = "commission-cash-in-1";
        let body = json!({"customer_phone": amina.phone, "amount": "10.00"});
        let (status, cash_in) = app.post_key("/agent/cash-in", &agent.token, key, body.clone()).await;
        assert_eq!(status, 201, "{cash_in}");
        assert_eq!(app.balance(&agent).await, 44_000 - 10_00 + 50);
        assert_eq!(fee_income(app, &operator).await, 50);
        let (_, again) = app.post_key("/agent/cash-in", &agent.token, key, body).await;
        assert_eq!(again["id"], cash_in["id"]);
        assert_eq!(fee_income(app, &operator).await, 50, "a retry earns nothing more");
        // A day after her cash-ins (a cash-out right after them would earn nothing: no new money),
        // a cash-out earns 1% of 20.00.
        app.clock.advance_seconds(25 * 3600);
        let (status, out) = app
            .post_key(
                "/agent/cash-out",
                &agent.token,
                "commission-cash-out-1",
                json!({"customer_phone": amina.phone, "amount": "20.00", "customer_pin": "1234"}),
            )
            .await;
        assert_eq!(status, 201, "{out}");
        assert_eq!(fee_income(app, &operator).await, 30);
        // A card issue earns 0.25, once the card is loaded.
        let (status, card) =
            app.post_key("/agent/cards", &agent.token, "commission-card-1", json!({"pin": "2580"})).await;
        assert_eq!(status, 201, "{card}");
        assert_eq!(fee_income(app, &operator).await, 30);
        let top_up = json!({"number": card["number"], "amount": "1.00"});
        let (status, topped) = app.post_key("/agent/cards/top-up", &agent.token, "commission-top-up", top_up).await;
        assert_eq!(status, 201, "{topped}");
        assert_eq!(fee_income(app, &operator).await, 5);
        // Only 0.05 of fee income is left: that is all the next cash-in earns; then nothing.
        let bo = app.customer("+15550120303").await;
        app.cash_in(&agent, &bo.phone, "1.00").await;
        assert_eq!(fee_income(app, &operator).await, 0);
        app.cash_in(&agent, &bo.phone, "1.00").await;
        assert_eq!(fee_income(app, &operator).await, 0, "fee income never goes negative");

        let (status, earnings) = app.get("/agent/commissions", &agent.token).await;
        assert_eq!(status, 200, "{earnings}");
        assert_eq!(earnings["totals"][0]["commissions"], 4);
        assert_eq!(earnings["totals"][0]["earned"]["amount"], "1.00");
        assert_eq!(earnings["recent"][0]["code"], "commission");
        assert_eq!(earnings["recent"][0]["amount"]["amount"], "0.05");
        let (status, _) = app.get("/agent/commissions", &amina.token).await;
        assert_eq!(status, 403);
    })
    .await;
}

/// The id of a merchant's first ledger account.
async fn merchant_account_id(app: &TestApp, owner: &str) -> String {
    let (status, merchant) = app.get("/merchant", owner).await;
    assert_eq!(status, 200, "{merchant}");
    merchant["accounts"][0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_merchants_payout_waits_in_its_batch_and_the_others_are_paid() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550120401", "500.00").await;
        let amina = app.customer("+15550120402").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let open = shop(app, &operator, "Open Shop", 206, 0).await;
        let frozen = shop(app, &operator, "Frozen Shop", 207, 0).await;
        let phone = enroll(app, &amina).await;
        assert_eq!(charge(app, &open.cashier, "sale-1", &phone.code(app, 0), "20.00").await.0, 201);
        assert_eq!(charge(app, &frozen.cashier, "sale-2", &phone.code(app, 1), "15.00").await.0, 201);
        let open_bank = bank_account(app, &open.owner, "12345678").await;
        let frozen_bank = bank_account(app, &frozen.owner, "87654321").await;
        let (status, open_payout) = payout(app, &open.owner, "p-open", json!({"bank_account_id": open_bank})).await;
        assert_eq!(status, 201, "{open_payout}");
        let (status, frozen_payout) =
            payout(app, &frozen.owner, "p-frozen", json!({"bank_account_id": frozen_bank})).await;
        assert_eq!(status, 201, "{frozen_payout}");
        let frozen_account = merchant_account_id(app, &frozen.owner).await;
        let (status, body) =
            app.post(&format!("/operator/accounts/{frozen_account}/freeze"), Some(&operator), json!({})).await;
        assert_eq!(status, 200, "{body}");

        let (status, batch) =
            app.request(Method::POST, "/operator/payout-batches", Some(&operator), Some("batch-f"), None).await;
        assert_eq!((status, batch["payouts"].as_array().map(Vec::len)), (201, Some(2)), "{batch}");
        let batch_id = batch["id"].as_str().unwrap();
        let paid_path = format!("/operator/payout-batches/{batch_id}/paid");

        // The open shop's payout is paid; the frozen one's waits, batched, and the answer says why.
        let (status, done) = app.post_key(&paid_path, &operator, "paid-f1", json!({})).await;
        assert_eq!(status, 201, "{done}");
        let status_of = |batch: &Value, id: &Value| {
            let payouts = batch["payouts"].as_array().unwrap();
            payouts.iter().find(|p| &p["id"] == id).unwrap()["status"].as_str().unwrap().to_owned()
        };
        assert_eq!(status_of(&done, &open_payout["id"]), "paid", "{done}");
        assert_eq!(status_of(&done, &frozen_payout["id"]), "batched", "{done}");
        assert!(done["paid_at"].is_null(), "a batch with a payout waiting is not paid: {done}");
        assert_eq!(done["waiting"].as_array().map(Vec::len), Some(1), "{done}");
        assert_eq!(done["waiting"][0]["payout_id"], frozen_payout["id"], "{done}");
        assert_eq!(done["waiting"][0]["code"], "account_frozen", "{done}");
        assert_eq!(merchant_balance(app, &open.owner).await, 0);
        assert_eq!(merchant_balance(app, &frozen.owner).await, 15_00, "held, not gone");
        let (status, verify) = app.get("/operator/ledger/verify", &operator).await;
        assert_eq!((status, &verify["clean"]), (200, &json!(true)), "{verify}");

        // A crash between posting a hold and its status leaves a paid payout `batched`: the ledger
        // checks still pass, and marking the batch paid again finishes it.
        app.storage.execute("UPDATE payouts SET status = 'batched' WHERE status = 'paid'").await;
        let (status, verify) = app.get("/operator/ledger/verify", &operator).await;
        assert_eq!((status, &verify["clean"]), (200, &json!(true)), "{verify}");

        // Marking it paid again after unfreezing pays the waiting payout.
        let (status, body) =
            app.post(&format!("/operator/accounts/{frozen_account}/unfreeze"), Some(&operator), json!({})).await;
        assert_eq!(status, 200, "{body}");
        let (status, done) = app.post_key(&paid_path, &operator, "paid-f2", json!({})).await;
        assert_eq!(status, 201, "{done}");
        assert_eq!(status_of(&done, &frozen_payout["id"]), "paid", "{done}");
        assert_eq!(status_of(&done, &open_payout["id"]), "paid", "finished after the crash: {done}");
        assert_eq!(done["waiting"].as_array().map(Vec::len), Some(0), "{done}");
        assert!(done["paid_at"].is_string(), "{done}");
        assert_eq!(merchant_balance(app, &frozen.owner).await, 0);
        let (status, verify) = app.get("/operator/ledger/verify", &operator).await;
        assert_eq!((status, &verify["clean"]), (200, &json!(true)), "{verify}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_merchants_waiting_payout_can_be_rejected() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550120501", "500.00").await;
        let amina = app.customer("+15550120502").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let open = shop(app, &operator, "Open Shop", 208, 0).await;
        let frozen = shop(app, &operator, "Frozen Shop", 209, 0).await;
        let phone = enroll(app, &amina).await;
        assert_eq!(charge(app, &open.cashier, "sale-1", &phone.code(app, 0), "20.00").await.0, 201);
        assert_eq!(charge(app, &frozen.cashier, "sale-2", &phone.code(app, 1), "15.00").await.0, 201);
        let open_bank = bank_account(app, &open.owner, "12345678").await;
        let frozen_bank = bank_account(app, &frozen.owner, "87654321").await;
        let (_, open_payout) = payout(app, &open.owner, "p-open", json!({"bank_account_id": open_bank})).await;
        let (_, frozen_payout) = payout(app, &frozen.owner, "p-frozen", json!({"bank_account_id": frozen_bank})).await;
        let frozen_account = merchant_account_id(app, &frozen.owner).await;
        app.post(&format!("/operator/accounts/{frozen_account}/freeze"), Some(&operator), json!({})).await;
        let (_, batch) =
            app.request(Method::POST, "/operator/payout-batches", Some(&operator), Some("batch-r"), None).await;
        let batch_id = batch["id"].as_str().unwrap();
        let (status, done) =
            app.post_key(&format!("/operator/payout-batches/{batch_id}/paid"), &operator, "paid-r", json!({})).await;
        assert_eq!(status, 201, "{done}");

        // The waiting payout is rejected: its hold released, the money the (still frozen) merchant's.
        let id = frozen_payout["id"].as_str().unwrap();
        let (status, rejected) =
            app.post_key(&format!("/operator/payouts/{id}/reject"), &operator, "reject-r", json!({})).await;
        assert_eq!((status, rejected["status"].as_str()), (201, Some("rejected")), "{rejected}");
        assert_eq!(merchant_available(app, &frozen.owner).await, 15_00);
        // The open shop's payout, posted but left `batched` by a crash, is paid: it cannot be rejected.
        app.storage.execute("UPDATE payouts SET status = 'batched' WHERE status = 'paid'").await;
        let id = open_payout["id"].as_str().unwrap();
        let (status, body) =
            app.post_key(&format!("/operator/payouts/{id}/reject"), &operator, "reject-open", json!({})).await;
        assert_eq!((status, body["code"].as_str()), (409, Some("payout_settled")), "{body}");
        let (_, mine) = app.get("/merchant/payouts", &open.owner).await;
        assert_eq!(mine[0]["status"], "paid", "the reject finished it as paid: {mine}");
        // Nothing is left waiting: marking the batch paid again closes it.
        let (status, done) =
            app.post_key(&format!("/operator/payout-batches/{batch_id}/paid"), &operator, "paid-r2", json!({})).await;
        assert_eq!(status, 201, "{done}");
        assert!(done["paid_at"].is_string(), "{done}");
        let (status, verify) = app.get("/operator/ledger/verify", &operator).await;
        assert_eq!((status, &verify["clean"]), (200, &json!(true)), "{verify}");
    })
    .await;
}
