//! `quipu ledger verify` cross-checks business records against the ledger:
//! a payment, refund or card replacement whose transfers are not exactly
//! what it says, and a transfer of a record's code that no record accounts
//! for, fail verification even when every balance still adds up.

use serde_json::json;

use crate::cards::{issue, pay, replace, top_up};
use crate::harness::{TestApp, on_each_backend, run_quipu};
use crate::harness::{charge, enroll, shop};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_verify_finds_records_that_disagree_with_their_transfers() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550090001", "500.00").await;
        let amina = app.customer("+15550090002").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(app, &operator, "Corner Shop", 90, 150).await;

        // A payment-code payment, partly refunded; a card paid with, then replaced.
        let phone = enroll(app, &amina).await;
        let (status, paid) = charge(app, &shop.cashier, "sale-1", &phone.code(app, 0), "10.00").await;
        assert_eq!(status, 201, "{paid}");
        let refunds = format!("/merchant/payments/{}/refunds", paid["id"].as_str().unwrap());
        let (status, refund) = app.post_key(&refunds, &shop.owner, "refund-1", json!({"amount": "4.00"})).await;
        assert_eq!(status, 201, "{refund}");
        let card = issue(app, &agent, "card-1", Some(&amina.phone), "4321").await;
        assert_eq!(top_up(app, &agent, "top-1", &card.number, "20.00").await.0, 201);
        assert_eq!(pay(app, &shop, "card-pay-1", &card.number, "4321", "3.00").await.0, 201);
        let (status, replaced) = replace(app, &agent, "replace-1", &card.number, "4321").await;
        assert_eq!(status, 201, "{replaced}");
        assert_eq!(replaced["moved"]["minor_units"], 1700);

        let verify = [app.storage.cli_args(), vec!["ledger".into(), "verify".into()]].concat();
        let (clean, stdout, stderr) = run_quipu(&verify, &[]);
        assert!(clean, "{stdout}{stderr}");

        // Each change leaves every balance intact; only the records no longer match the ledger.
        let cases = [
            (
                "UPDATE payments SET amount = amount + 1 WHERE method = 'payment_code'",
                "UPDATE payments SET amount = amount - 1 WHERE method = 'payment_code'",
                "has a transfer of the wrong amount or currency",
            ),
            (
                "UPDATE payments SET fee = fee + 1 WHERE method = 'card'",
                "UPDATE payments SET fee = fee - 1 WHERE method = 'card'",
                "has a transfer of the wrong amount or currency",
            ),
            (
                "UPDATE payments SET status = 'failed' WHERE method = 'card'",
                "UPDATE payments SET status = 'completed' WHERE method = 'card'",
                "failed but money moved",
            ),
            (
                "UPDATE refunds SET status = 'failed'",
                "UPDATE refunds SET status = 'completed'",
                "its refunded total differs from its refunds",
            ),
            (
                "UPDATE payments SET status = 'refunded' WHERE method = 'payment_code'",
                "UPDATE payments SET status = 'partially_refunded' WHERE method = 'payment_code'",
                "its state disagrees with how much was refunded",
            ),
            (
                "UPDATE transfers SET code = 'payment' WHERE code = 'cash_in'",
                "UPDATE transfers SET code = 'cash_in' WHERE code = 'payment' AND reference NOT LIKE 'payment:%'",
                "transfers coded payment in the ledger, but records account for",
            ),
            (
                "UPDATE transfers SET code = 'card_replacement' WHERE code = 'cash_in' AND reference LIKE 'card %'",
                "UPDATE transfers SET code = 'cash_in' WHERE code = 'card_replacement' AND reference NOT LIKE '%replaced by%'",
                "moves money between accounts that are not cards'",
            ),
            (
                "UPDATE transfers SET reference = 'payment:elsewhere' WHERE code = 'fee' AND amount = 15",
                "UPDATE transfers SET reference = (SELECT p.reference FROM transfers p WHERE p.code = 'payment' AND p.amount = 1000) WHERE reference = 'payment:elsewhere'",
                "has a transfer that names another record",
            ),
        ];
        for (change, repair, expected) in cases {
            app.storage.execute(change).await;
            let (clean, stdout, _) = run_quipu(&verify, &[]);
            assert!(!clean, "verify must fail after: {change}");
            assert!(stdout.contains(expected), "after {change}, expected {expected:?} in: {stdout}");
            app.storage.execute(repair).await;
            let (clean, stdout, stderr) = run_quipu(&verify, &[]);
            assert!(clean, "repaired after {change}: {stdout}{stderr}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_verify_finds_payouts_and_commissions_that_disagree_with_their_transfers() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550090101", "500.00").await;
        let amina = app.customer("+15550090102").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(app, &operator, "Payout Shop", 91, 500).await;
        let phone = enroll(app, &amina).await;
        let (status, paid) = charge(app, &shop.cashier, "sale-1", &phone.code(app, 0), "20.00").await;
        assert_eq!(status, 201, "{paid}");
        let (status, account) = app
            .post(
                "/merchant/bank-accounts",
                Some(&shop.owner),
                json!({"bank_name": "Bank", "holder_name": "Payout Shop", "account_number": "12345678"}),
            )
            .await;
        assert_eq!(status, 201, "{account}");
        let request = json!({"bank_account_id": account["id"], "amount": "7.00"});
        let (status, payout) = app.post_key("/merchant/payouts", &shop.owner, "payout-1", request).await;
        assert_eq!(status, 201, "{payout}");
        let commission = json!({"fixed": "0.30"});
        let path = "/operator/commissions/cash_in";
        let (status, _) = app.request(reqwest::Method::PUT, path, Some(&operator), None, Some(commission)).await;
        assert_eq!(status, 200);
        app.cash_in(&agent, &amina.phone, "5.00").await;

        let verify = [app.storage.cli_args(), vec!["ledger".into(), "verify".into()]].concat();
        let (clean, stdout, stderr) = run_quipu(&verify, &[]);
        assert!(clean, "{stdout}{stderr}");
        assert!(stdout.contains("payouts 1, commissions 1"), "{stdout}");

        let cases = [
            (
                "UPDATE payouts SET amount = amount + 1",
                "UPDATE payouts SET amount = amount - 1",
                "has a transfer of the wrong amount or currency",
            ),
            (
                "UPDATE payouts SET status = 'paid'",
                "UPDATE payouts SET status = 'pending'",
                "is paid but its hold was not posted",
            ),
            ("UPDATE payouts SET status = 'failed'", "UPDATE payouts SET status = 'pending'", "failed but money moved"),
            (
                "UPDATE transfers SET code = 'payout' WHERE code = 'p2p' OR (code = 'cash_in' AND amount = 10000)",
                "UPDATE transfers SET code = 'cash_in' WHERE code = 'payout' AND reference NOT LIKE 'payout:%'",
                "transfers coded payout in the ledger, but records account for",
            ),
            (
                "UPDATE transfers SET reference = 'cash_out:' || SUBSTR(reference, 9) WHERE code = 'commission'",
                "UPDATE transfers SET reference = 'cash_in:' || SUBSTR(reference, 10) WHERE code = 'commission'",
                "has an id not derived from what earned it",
            ),
        ];
        for (change, repair, expected) in cases {
            app.storage.execute(change).await;
            let (clean, stdout, _) = run_quipu(&verify, &[]);
            assert!(!clean, "verify must fail after: {change}");
            assert!(stdout.contains(expected), "after {change}, expected {expected:?} in: {stdout}");
            app.storage.execute(repair).await;
            let (clean, stdout, stderr) = run_quipu(&verify, &[]);
            assert!(clean, "repaired after {change}: {stdout}{stderr}");
        }
    })
    .await;
}
