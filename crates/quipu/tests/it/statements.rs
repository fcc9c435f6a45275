//! Statements a person can reconcile, on every backend: after holds, voids, refunds, fees and a
//! payout, one line per business event with its state, counterparty and running balances; the CSV's
//! completed lines sum to the balance change, and the opening and closing balances are the ledger's.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, on_each_backend};
use crate::harness::{charge, enroll, shop};

/// Minor units of a signed decimal string ("-7.50" is -750).
fn minor(text: &str) -> i64 {
    let (sign, digits) = text.strip_prefix('-').map_or((1, text), |rest| (-1, rest));
    let (whole, cents) = digits.split_once('.').unwrap_or((digits, "00"));
    sign * (whole.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap())
}

/// The CSV's rows as maps from header to field.
fn rows(csv: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|record| headers.iter().map(str::to_owned).zip(record.unwrap().iter().map(str::to_owned)).collect())
        .collect()
}

/// Checks a statement's CSV against its JSON and the ledger: completed lines sum to closing less
/// opening, each line's running balance follows from the one before, and the closing balance is the
/// account's balance now.
async fn assert_reconciles(app: &TestApp, token: &str, account: &str, from: &str) -> Vec<Value> {
    let query = format!("?from={}", from.replace('+', "%2B"));
    let response = app
        .client
        .get(format!("{}/accounts/{account}/statement.csv{query}", app.api))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csv = response.text().await.unwrap();
    let rows = rows(&csv);
    let (first, last) = (rows.first().unwrap(), rows.last().unwrap());
    assert_eq!((first["state"].as_str(), last["state"].as_str()), ("opening_balance", "closing_balance"), "{csv}");
    let (opening, closing) = (minor(&first["balance_after"]), minor(&last["balance_after"]));
    let completed: i64 = rows.iter().filter(|r| r["state"] == "completed").map(|r| minor(&r["amount"])).sum();
    assert_eq!(completed, closing - opening, "completed lines sum to the balance change:\n{csv}");
    let mut balance = opening;
    for row in &rows[1..rows.len() - 1] {
        if row["state"] == "completed" {
            balance += minor(&row["amount"]);
        }
        assert_eq!(minor(&row["balance_after"]), balance, "running balance: {row:?}");
    }
    let (status, now) = app.get(&format!("/accounts/{account}"), token).await;
    assert_eq!(status, 200, "{now}");
    assert_eq!(closing, now["balance"]["minor_units"].as_i64().unwrap(), "closing is the ledger's balance");
    assert_eq!(minor(&last["available_after"]), now["available"]["minor_units"].as_i64().unwrap());
    let (status, statement) = app.get(&format!("/accounts/{account}/statement{query}"), token).await;
    assert_eq!(status, 200, "{statement}");
    assert_eq!(statement["opening"]["balance"]["minor_units"], opening);
    assert_eq!(statement["closing"]["balance"]["minor_units"], closing);
    assert_eq!(statement["lines"].as_array().unwrap().len(), rows.len() - 2);
    statement["lines"].as_array().unwrap().clone()
}

#[tokio::test]
async fn statements_add_up_after_holds_voids_refunds_fees_and_a_payout() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550830001", "500.00").await;
        let amina = app.customer("+15550830002").await;
        let bruno = app.customer("+15550830003").await;
        let shop = shop(app, &operator, "Mercado Sol", 8301, 150).await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        // The statement starts after the cash-in: its opening balance is 100.00.
        let (_, history) = app.get("/me/transactions", &amina.token).await;
        let cash_in_time = history["entries"][0]["transfer"]["timestamp"].as_str().unwrap().to_owned();
        let from = one_micro_later(&cash_in_time);

        let phone = enroll(app, &amina).await;
        let (status, small) = charge(app, &shop.cashier, "small", &phone.code(app, 0), "12.00").await;
        assert_eq!(status, 201, "{small}");
        // Above the threshold: held, then approved.
        let (_, held) = charge(app, &shop.cashier, "big", &phone.code(app, 1), "30.00").await;
        assert_eq!(held["status"], "awaiting_approval");
        let big = held["id"].as_str().unwrap().to_owned();
        let (status, _) =
            app.post(&format!("/payments/{big}/approve"), Some(&amina.token), json!({"pin": "1234"})).await;
        assert_eq!(status, 200);
        // Held, then cancelled: voided.
        let (_, held) = charge(app, &shop.cashier, "cancelled", &phone.code(app, 2), "25.00").await;
        let cancelled = held["id"].as_str().unwrap().to_owned();
        let (status, _) = app.post(&format!("/payments/{cancelled}/cancel"), Some(&amina.token), json!({})).await;
        assert_eq!(status, 200);
        // A partial refund of the big payment, and a P2P.
        let refunds = format!("/merchant/payments/{big}/refunds");
        let (status, refund) = app.post_key(&refunds, &shop.owner, "refund-1", json!({"amount": "5.00"})).await;
        assert_eq!(status, 201, "{refund}");
        let send = json!({"to_phone": bruno.phone, "amount": "7.50", "pin": "1234"});
        assert_eq!(app.post_key("/transfers/p2p", &amina.token, "p2p-1", send).await.0, 201);
        // Still waiting at the end: pending.
        let (_, open) = charge(app, &shop.cashier, "open", &phone.code(app, 3), "21.00").await;
        assert_eq!(open["status"], "awaiting_approval");

        let lines = assert_reconciles(app, &amina.token, &amina.account, &from).await;
        let states: Vec<&str> = lines.iter().map(|l| l["state"].as_str().unwrap()).collect();
        assert_eq!(states, ["completed", "completed", "voided", "completed", "completed", "pending"], "{lines:?}");
        assert_eq!(lines[1]["transfer"]["kind"], "post_pending", "the approved payment is one line, where it posted");
        assert_eq!(lines[1]["event_id"], lines[1]["transfer"]["pending_id"], "its event is the hold");
        assert_eq!(lines[1]["counterparty"], "Mercado Sol");
        assert_eq!(lines[4]["counterparty"], "Test C.", "a person by first name and initial");
        assert_eq!(lines[5]["amount"]["amount"], "-21.00");
        // The JSON history shows the same lines, newest first, with no separate hold line.
        let (_, history) = app.get("/me/transactions", &amina.token).await;
        let states: Vec<&str> =
            history["entries"].as_array().unwrap().iter().map(|l| l["state"].as_str().unwrap()).collect();
        assert_eq!(states, ["pending", "completed", "completed", "voided", "completed", "completed", "completed"]);
        assert_eq!(
            history["entries"][0]["available_after"]["minor_units"],
            app_available(app, &amina.token, &amina.account).await
        );

        // Paged, the history's running balances are the statement's, line for line.
        let whole = assert_reconciles(app, &amina.token, &amina.account, "2000-01-01T00:00:00Z").await;
        let mut paged = Vec::new();
        let mut path = "/me/transactions?limit=3".to_owned();
        loop {
            let (status, page) = app.get(&path, &amina.token).await;
            assert_eq!(status, 200, "{page}");
            paged.extend(page["entries"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/me/transactions?limit=3&cursor={cursor}"),
                None => break,
            }
        }
        let running = |lines: &[Value]| -> Vec<(String, Value)> {
            let mut pairs: Vec<(String, Value)> = lines
                .iter()
                .map(|l| (l["transfer"]["id"].as_str().unwrap().to_owned(), l["available_after"].clone()))
                .collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            pairs
        };
        assert_eq!(running(&paged), running(&whole), "paged history and statement agree");

        // The merchant: payments, fees, a refund, and a payout requested, batched and paid.
        let (_, merchant) = app.get("/merchant", &shop.owner).await;
        let merchant_account = merchant["accounts"][0]["id"].as_str().unwrap().to_owned();
        let (status, bank) = app
            .post(
                "/merchant/bank-accounts",
                Some(&shop.owner),
                json!({"bank_name": "First Bank", "holder_name": "Mercado Sol", "account_number": "0012345678"}),
            )
            .await;
        assert_eq!(status, 201, "{bank}");
        let (status, payout) = app
            .post_key(
                "/merchant/payouts",
                &shop.owner,
                "payout-1",
                json!({"bank_account_id": bank["id"], "amount": "10.00"}),
            )
            .await;
        assert_eq!(status, 201, "{payout}");
        let (status, batch) =
            app.request(Method::POST, "/operator/payout-batches", Some(&operator), Some("batch-1"), None).await;
        assert_eq!(status, 201, "{batch}");
        let paid = format!("/operator/payout-batches/{}/paid", batch["id"].as_str().unwrap());
        assert_eq!(app.post_key(&paid, &operator, "paid-1", json!({})).await.0, 201);
        let lines = assert_reconciles(app, &shop.owner, &merchant_account, "2000-01-01T00:00:00Z").await;
        let codes: Vec<&str> = lines.iter().map(|l| l["transfer"]["code"].as_str().unwrap()).collect();
        assert!(codes.contains(&"payout") && codes.contains(&"refund") && codes.contains(&"fee"), "{codes:?}");
        let named = |lines: &[Value]| -> Vec<String> {
            lines.iter().filter_map(|l| l["counterparty"].as_str().map(str::to_owned)).collect()
        };
        assert!(named(&lines).contains(&"Test C.".to_owned()), "the shop sees who paid it: {lines:?}");
        // The operator may read a shop's books, but not who bought there.
        let (status, books) = app.get(&format!("/accounts/{merchant_account}/statement"), &operator).await;
        assert_eq!(status, 200, "{books}");
        let seen = named(books["lines"].as_array().unwrap());
        assert!(!seen.contains(&"Test C.".to_owned()), "no customer's name outside a grant: {seen:?}");

        // Bad ranges are refused.
        let (status, body) = app
            .get(
                &format!("/accounts/{}/statement?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", amina.account),
                &amina.token,
            )
            .await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_range")), "{body}");
        let (status, body) =
            app.get(&format!("/accounts/{}/statement?from=yesterday", amina.account), &amina.token).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_date")), "{body}");
    })
    .await;
}

async fn app_available(app: &TestApp, token: &str, account: &str) -> Value {
    let (_, now) = app.get(&format!("/accounts/{account}"), token).await;
    now["available"]["minor_units"].clone()
}

/// An RFC 3339 time one microsecond later: the statement then starts just after that transfer.
fn one_micro_later(rfc3339: &str) -> String {
    let micros = quipu_core::kernel::text::parse_rfc3339(rfc3339).unwrap().0 + 1;
    quipu_core::kernel::text::rfc3339(quipu_domain::Timestamp(micros))
}
