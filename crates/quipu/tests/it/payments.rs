//! In-store payments over real HTTP, on every backend: a customer's payment
//! code charged at a till below and above the PIN threshold, approvals,
//! cancellations and lapses, hostile codes, and refunds.

use quipu_codes::numeric::{self, PaymentCode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Api, Person, TestApp, charge, enroll, merchant_balance, on_each_backend, shop};

/// The customer's spendable balance: posted credits less posted and pending debits.
async fn available(app: &TestApp, person: &Person) -> i64 {
    let (status, body) = app.get(&format!("/accounts/{}", person.account), &person.token).await;
    assert_eq!(status, 200, "{body}");
    body["available"]["minor_units"].as_i64().unwrap_or_else(|| panic!("no available balance in {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_codes_pay_at_a_till_below_and_above_the_pin_threshold() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550080001", "500.00").await;
        let amina = app.customer("+15550080002").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(app, &operator, "Corner Shop", 1, 150).await;
        let phone = enroll(app, &amina).await;

        // Below the threshold (20.00 by default): completed at once, fee 1.5%.
        let code = phone.code(app, 0);
        let (status, paid) = charge(app, &shop.cashier, "sale-1", &code, "12.00").await;
        assert_eq!(status, 201, "{paid}");
        assert_eq!(paid["status"], "completed");
        assert!(paid.get("till").is_some_and(Value::is_null), "no till named is null, not empty: {paid}");
        assert_eq!(paid["fee"]["amount"], "0.18");
        assert_eq!(app.balance(&amina).await, 88_00);
        assert_eq!(merchant_balance(app, &shop.owner).await, 11_82);
        // The till's retry gets the same answer; the same code under a new key is refused.
        let (status, again) = charge(app, &shop.cashier, "sale-1", &code, "12.00").await;
        assert_eq!((status, &again), (201, &paid));
        let (status, reused) = charge(app, &shop.cashier, "sale-2", &code, "12.00").await;
        assert_eq!((status, reused["code"].as_str()), (409, Some("payment_code_used")), "{reused}");
        assert_eq!(app.balance(&amina).await, 88_00, "nothing moved");

        // Above the threshold: held, then approved with the customer's PIN.
        let (status, waiting) = charge(app, &shop.cashier, "sale-3", &phone.code(app, 1), "30.00").await;
        assert_eq!(status, 201, "{waiting}");
        assert_eq!(waiting["status"], "awaiting_approval");
        assert!(waiting["expires_at"].is_string());
        let payment = waiting["id"].as_str().unwrap();
        assert_eq!(available(app, &amina).await, 58_00, "the amount is held");
        let (status, wrong) =
            app.post(&format!("/payments/{payment}/approve"), Some(&amina.token), json!({"pin": "9999"})).await;
        assert_eq!((status, wrong["code"].as_str()), (403, Some("wrong_pin")));
        let (status, _) =
            app.post(&format!("/payments/{payment}/approve"), Some(&shop.owner), json!({"pin": "1234"})).await;
        assert_eq!(status, 403, "only the customer approves");
        let (status, approved) =
            app.post(&format!("/payments/{payment}/approve"), Some(&amina.token), json!({"pin": "1234"})).await;
        assert_eq!(status, 200, "{approved}");
        assert_eq!(approved["status"], "completed");
        // The till learns the outcome.
        let (status, seen) = app.get(&format!("/payments/{payment}"), &shop.cashier).await;
        assert_eq!((status, seen["status"].as_str()), (200, Some("completed")));
        assert_eq!(app.balance(&amina).await, 58_00);
        assert_eq!(merchant_balance(app, &shop.owner).await, 11_82 + 29_55);

        // Cancelled by the customer: the hold goes back.
        let (_, waiting) = charge(app, &shop.cashier, "sale-4", &phone.code(app, 2), "25.00").await;
        let payment = waiting["id"].as_str().unwrap();
        let (status, cancelled) = app.post(&format!("/payments/{payment}/cancel"), Some(&amina.token), json!({})).await;
        assert_eq!(status, 200, "{cancelled}");
        assert_eq!(
            (cancelled["status"].as_str(), cancelled["failure_code"].as_str()),
            (Some("failed"), Some("cancelled"))
        );
        assert_eq!(available(app, &amina).await, 58_00);

        // Not approved in time: it lapses, and a late approval is refused.
        let (_, waiting) = charge(app, &shop.cashier, "sale-5", &phone.code(app, 3), "25.00").await;
        let payment = waiting["id"].as_str().unwrap().to_owned();
        app.clock.advance_seconds(121);
        let (status, lapsed) = app.get(&format!("/payments/{payment}"), &shop.cashier).await;
        assert_eq!(status, 200);
        assert_eq!((lapsed["status"].as_str(), lapsed["failure_code"].as_str()), (Some("failed"), Some("expired")));
        let (status, late) =
            app.post(&format!("/payments/{payment}/approve"), Some(&amina.token), json!({"pin": "1234"})).await;
        assert_eq!((status, late["code"].as_str()), (409, Some("payment_not_awaiting_approval")), "{late}");
        assert_eq!(available(app, &amina).await, 58_00);

        // The same code as an EMV CPM payload, for EMV terminals.
        let cpm = numeric::to_cpm(&PaymentCode::parse(&phone.code(app, 5)).unwrap()).unwrap();
        let (status, paid) = charge(app, &shop.cashier, "sale-6", &cpm, "1.00").await;
        assert_eq!((status, paid["status"].as_str()), (201, Some("completed")), "{paid}");

        // A payment is the customer's and the merchant's business only.
        let other = shop_other(app, &operator).await;
        let (status, _) = app.get(&format!("/payments/{}", paid["id"].as_str().unwrap()), &other).await;
        assert_eq!(status, 404);
        let (status, page) = app.get("/merchant/payments?limit=2", &shop.owner).await;
        assert_eq!(status, 200);
        assert_eq!(page["payments"].as_array().unwrap().len(), 2);
        assert!(page["next_cursor"].is_string());
        let (status, page) = app.get("/merchant/payments", &other).await;
        assert_eq!((status, page["payments"].as_array().map(Vec::len)), (200, Some(0)));
    })
    .await;
}

async fn shop_other(app: &TestApp, operator: &str) -> String {
    shop(app, operator, "Other Shop", 2, 0).await.owner
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_codes_are_refused_and_nothing_moves() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550081001", "500.00").await;
        let amina = app.customer("+15550081002").await;
        app.cash_in(&agent, &amina.phone, "50.00").await;
        let shop = shop(app, &operator, "Pharmacy", 3, 100).await;
        let phone = enroll(app, &amina).await;

        let expired = phone.code_at(app, -300, 0);
        let forged = {
            let mut code = PaymentCode::parse(&phone.code(app, 0)).unwrap();
            code.one_time_value = (code.one_time_value + 1) % 100_000_000;
            code.to_digits().unwrap()
        };
        let mut typo = phone.code(app, 0).into_bytes();
        typo[12] = if typo[12] == b'9' { b'0' } else { typo[12] + 1 };
        let typo = String::from_utf8(typo).unwrap();
        let cases: Vec<(String, &str, u16, &str)> = vec![
            (expired, "5.00", 422, "payment_code_expired"),
            (forged, "5.00", 422, "invalid_payment_code"),
            (typo, "5.00", 422, "unreadable_payment_code"),
            ("00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D".into(), "5.00", 422, "unreadable_payment_code"),
            ("8412345678".into(), "5.00", 422, "unreadable_payment_code"),
            (phone.code(app, 1), "0", 400, "amount_not_positive"),
            (phone.code(app, 1), "-5.00", 400, "amount_not_positive"),
            (phone.code(app, 1), "5,00", 400, "invalid_amount"),
            (phone.code(app, 1), "5.001", 400, "too_many_decimals"),
            (phone.code(app, 1), "400.00", 422, "insufficient_funds"),
            (phone.code(app, 1), "5000.00", 422, "payment_limit"),
        ];
        for (index, (code, amount, status, problem)) in cases.iter().enumerate() {
            let (got, body) = charge(app, &shop.cashier, &format!("bad-{index}"), code, amount).await;
            assert_eq!((got, body["code"].as_str()), (*status, Some(*problem)), "case {index}: {body}");
        }
        // A huge payload is refused before anything is parsed.
        let (status, _) = charge(app, &shop.cashier, "huge", &"8".repeat(20_000), "5.00").await;
        assert_eq!(status, 413);

        // Paused and revoked devices.
        let (status, paused) = app.post(&format!("/me/devices/{}/pause", phone.id), Some(&amina.token), json!({})).await;
        assert_eq!((status, paused["status"].as_str()), (200, Some("paused")));
        let (status, body) = charge(app, &shop.cashier, "paused", &phone.code(app, 2), "5.00").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("payment_codes_paused")), "{body}");
        let (status, _) = app.post(&format!("/me/devices/{}/resume", phone.id), Some(&amina.token), json!({})).await;
        assert_eq!(status, 200);
        let (status, body) = charge(app, &shop.cashier, "resumed", &phone.code(app, 3), "5.00").await;
        assert_eq!((status, body["status"].as_str()), (201, Some("completed")), "{body}");
        let (status, _) = app.post(&format!("/me/devices/{}/revoke", phone.id), Some(&amina.token), json!({})).await;
        assert_eq!(status, 200);
        let (status, body) = charge(app, &shop.cashier, "revoked", &phone.code(app, 4), "5.00").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("invalid_payment_code")), "{body}");
        let (status, _) = app.post(&format!("/me/devices/{}/resume", phone.id), Some(&amina.token), json!({})).await;
        assert_eq!(status, 404, "revoking is final");
        let (status, devices) = app.get("/me/devices", &amina.token).await;
        assert_eq!((status, devices[0]["status"].as_str()), (200, Some("revoked")));
        assert!(devices[0].get("secret_hex").is_none(), "the secret is shown once");

        // Frozen wallets pay nothing.
        let phone = enroll(app, &amina).await;
        let (status, _) = app.post(&format!("/operator/accounts/{}/freeze", amina.account), Some(&operator), json!({})).await;
        assert_eq!(status, 200);
        let (status, body) = charge(app, &shop.cashier, "frozen", &phone.code(app, 0), "5.00").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("account_frozen")), "{body}");
        // Only merchants charge; customers cannot enrol for someone else.
        let (status, _) = charge(app, &amina.token, "not-a-till", &phone.code(app, 1), "5.00").await;
        assert_eq!(status, 403);
        let (status, _) = app.post("/me/devices", Some(&shop.owner), json!({"label": "x", "pin": "1234"})).await;
        assert_eq!(status, 403);

        assert_eq!(app.balance(&amina).await, 45_00, "only the one good charge moved money");
        assert_eq!(merchant_balance(app, &shop.owner).await, 4_95);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_full_and_partial_never_exceed_what_was_paid() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550082001", "500.00").await;
        let amina = app.customer("+15550082002").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(app, &operator, "Supermarket", 4, 150).await;
        let other = shop_other(app, &operator).await;
        let phone = enroll(app, &amina).await;
        let (_, paid) = charge(app, &shop.cashier, "sale-1", &phone.code(app, 0), "10.01").await;
        let payment = paid["id"].as_str().unwrap();
        let refunds = format!("/merchant/payments/{payment}/refunds");

        // Cashiers refund only when the owner allows it; other merchants never.
        let (status, body) = app.post_key(&refunds, &shop.cashier, "r-0", json!({"amount": "1.00"})).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("refund_not_allowed")));
        let (status, _) = app.post_key(&refunds, &other, "r-0", json!({"amount": "1.00"})).await;
        assert_eq!(status, 404);
        let (status, body) = app
            .request(
                Method::PUT,
                "/merchant/refund-policy",
                Some(&shop.owner),
                None,
                Some(json!({"cashiers_may_refund": true})),
            )
            .await;
        assert_eq!((status, &body["cashiers_may_refund"]), (200, &json!(true)), "{body}");

        let (status, first) =
            app.post_key(&refunds, &shop.cashier, "r-1", json!({"amount": "4.00", "reason": "broken jar"})).await;
        assert_eq!(status, 201, "{first}");
        assert_eq!(first["status"], "completed");
        let (status, again) =
            app.post_key(&refunds, &shop.cashier, "r-1", json!({"amount": "4.00", "reason": "broken jar"})).await;
        assert_eq!((status, &again), (201, &first), "a retried refund is replayed, not repeated");
        let (status, over) = app.post_key(&refunds, &shop.owner, "r-2", json!({"amount": "6.02"})).await;
        assert_eq!((status, over["code"].as_str()), (422, Some("refund_exceeds_payment")), "{over}");
        let (status, body) = app.post_key(&refunds, &shop.owner, "r-3", json!({"amount": "0"})).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("amount_not_positive")));
        let (status, body) = app.get(&format!("/payments/{payment}"), &amina.token).await;
        assert_eq!(
            (status, body["status"].as_str(), body["refunded"]["amount"].as_str()),
            (200, Some("partially_refunded"), Some("4.00"))
        );

        // The rest, with no amount: everything not yet refunded.
        let (status, rest) = app.post_key(&refunds, &shop.owner, "r-4", json!({})).await;
        assert_eq!((status, rest["amount"]["amount"].as_str()), (201, Some("6.01")), "{rest}");
        let (status, again) = app.post_key(&refunds, &shop.owner, "r-5", json!({})).await;
        assert_eq!((status, again["code"].as_str()), (422, Some("not_refundable")), "a second full refund: {again}");
        let (_, body) = app.get(&format!("/payments/{payment}"), &shop.owner).await;
        assert_eq!(body["status"], "refunded");

        // The customer has everything back, and the merchant's fee came back too.
        assert_eq!(app.balance(&amina).await, 10_000);
        assert_eq!(merchant_balance(app, &shop.owner).await, 0);

        // Parallel partial refunds of one payment never exceed it.
        let (_, paid) = charge(app, &shop.cashier, "sale-2", &phone.code(app, 1), "10.00").await;
        let refunds = format!("/merchant/payments/{}/refunds", paid["id"].as_str().unwrap());
        let mut attempts = tokio::task::JoinSet::new();
        for i in 0..8 {
            let api = Api { api: app.api.clone(), client: app.client.clone() };
            let (refunds, owner) = (refunds.clone(), shop.owner.clone());
            attempts.spawn(async move {
                api.post_key(&refunds, &owner, &format!("p-{i}"), json!({"amount": "3.00"})).await.0
            });
        }
        let statuses = attempts.join_all().await;
        assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 3, "{statuses:?}");
        assert_eq!(app.balance(&amina).await, 99_00);
    })
    .await;
}

/// A payment and a refund whose requests were cut off mid-way (written as a
/// crash leaves them), and an approval nobody gave: housekeeping finishes all
/// three, and the money matches what the records say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn housekeeping_finishes_interrupted_payments_and_refunds_and_lapses_approvals() {
    use quipu_core::store::payments::{PaymentRecord, RefundClaim, RefundRecord};
    use quipu_domain::identity::{MerchantId, UserId};
    use quipu_domain::money::{Amount, CurrencyCode};
    use quipu_domain::payment::{PaymentMethod, PaymentStatus, RefundStatus};

    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550820001", "500.00").await;
        let customer = app.customer("+15550820002").await;
        app.cash_in(&agent, &customer.phone, "100.00").await;
        let shop = shop(app, &operator, "Bodega Norte", 82, 0).await;
        let store = &app.services.kernel.store;
        use quipu_core::Clock;
        let now = app.clock.now();

        // The till's request died after the record was written, before any transfer.
        let id = quipu_domain::payment::PaymentId(uuid::Uuid::now_v7());
        let record = PaymentRecord {
            id,
            merchant_id: MerchantId(shop.id.parse().unwrap()),
            customer_id: Some(UserId(customer.id.parse().unwrap())),
            method: PaymentMethod::MerchantQr,
            device_id: None,
            code_step: None,
            code_slot: None,
            amount: Amount::from_minor(700),
            fee: Amount::ZERO,
            currency: CurrencyCode::parse("USD").unwrap(),
            refunded: Amount::ZERO,
            status: PaymentStatus::Processing,
            failure_code: None,
            reference: String::new(),
            created_by: uuid::Uuid::now_v7(),
            created_at: now,
            expires_at: None,
            updated_at: now,
            till: String::new(),
            request_id: None,
            card_id: None,
            card_number: None,
        };
        store.insert_payment(&record).await.unwrap();
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        assert_eq!(store.payment(id).await.unwrap().unwrap().status, PaymentStatus::Processing, "too fresh to touch");
        app.clock.advance_seconds(61);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, payment) = app.get(&format!("/payments/{id}"), &customer.token).await;
        assert_eq!(payment["status"], "completed", "{payment}");
        assert_eq!(app.balance(&customer).await, 9300);

        // A refund claimed, then cut off before its transfers.
        let refund = RefundRecord {
            id: quipu_domain::payment::RefundId(uuid::Uuid::now_v7()),
            payment_id: id,
            amount: Amount::from_minor(200),
            refunded_before: Amount::ZERO,
            status: RefundStatus::Pending,
            reason: String::new(),
            created_by: uuid::Uuid::now_v7(),
            created_at: app.clock.now(),
        };
        assert!(matches!(store.claim_refund(&refund, app.clock.now()).await.unwrap(), RefundClaim::Claimed(_)));
        app.clock.advance_seconds(61);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        assert_eq!(store.refunds_of(id).await.unwrap()[0].status, RefundStatus::Completed);
        assert_eq!(app.balance(&customer).await, 9500);

        // An approval nobody gave: the payment fails as expired without anyone asking, the hold goes back.
        let phone = enroll(app, &customer).await;
        let (status, waiting) = charge(app, &shop.cashier, "big", &phone.code(app, 0), "25.00").await;
        assert_eq!((status, waiting["status"].as_str()), (201, Some("awaiting_approval")), "{waiting}");
        assert_eq!(available(app, &customer).await, 7000);
        app.clock.advance_seconds(121);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let waiting_id = quipu_domain::payment::PaymentId(waiting["id"].as_str().unwrap().parse().unwrap());
        let lapsed = store.payment(waiting_id).await.unwrap().unwrap();
        assert_eq!((lapsed.status, lapsed.failure_code.as_deref()), (PaymentStatus::Failed, Some("expired")));
        assert_eq!(available(app, &customer).await, 9500);
    })
    .await;
}

/// Issue 18, item 8: a refund whose idempotency record a crash lost (it is written without waiting
/// for the disk) while its claim and transfers survived. The retry with the same key finds the refund
/// its key names and answers it, 201, moving nothing: whether the refund had completed, was left
/// pending, or was finished meanwhile by housekeeping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_retried_after_a_crash_lost_its_answer_is_answered_again() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550082101", "500.00").await;
        let amina = app.customer("+15550082102").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(app, &operator, "Crash Shop", 5, 150).await;
        let phone = enroll(app, &amina).await;
        let lose_answers = "DELETE FROM idempotency WHERE key LIKE 'crash-%'";
        let cases = [
            ("completed", json!({}), None),
            ("pending", json!({"amount": "10.00"}), Some("UPDATE refunds SET status = 'pending'")),
            ("finished by housekeeping", json!({}), Some("UPDATE refunds SET status = 'pending'")),
        ];
        for (slot, (case, body, crash)) in cases.into_iter().enumerate() {
            let slot = u8::try_from(slot).unwrap();
            let sale = format!("sale-{slot}");
            let (status, paid) = charge(app, &shop.cashier, &sale, &phone.code(app, slot), "10.00").await;
            assert_eq!(status, 201, "{case}: {paid}");
            let refunds = format!("/merchant/payments/{}/refunds", paid["id"].as_str().unwrap());
            let key = format!("crash-{slot}");
            let (status, first) = app.post_key(&refunds, &shop.owner, &key, body.clone()).await;
            assert_eq!((status, first["status"].as_str()), (201, Some("completed")), "{case}: {first}");
            let (customer, merchant) = (app.balance(&amina).await, merchant_balance(app, &shop.owner).await);

            if let Some(statement) = crash {
                app.storage.execute(&format!("{statement} WHERE id IN (SELECT id FROM refunds)")).await;
            }
            if case == "finished by housekeeping" {
                app.clock.advance_seconds(120);
                quipu_core::sweep_once(&app.services, 100).await.unwrap();
            }
            app.storage.execute(lose_answers).await;

            let (status, again) = app.post_key(&refunds, &shop.owner, &key, body).await;
            assert_eq!(status, 201, "{case}: the retry gets the original answer: {again}");
            assert_eq!((&again["id"], again["status"].as_str()), (&first["id"], Some("completed")), "{case}");
            assert_eq!(again["amount"], first["amount"], "{case}");
            assert_eq!(app.balance(&amina).await, customer, "{case}: nothing moves again");
            assert_eq!(merchant_balance(app, &shop.owner).await, merchant, "{case}: nothing moves again");
            let (_, payment) = app.get(&format!("/payments/{}", paid["id"].as_str().unwrap()), &shop.owner).await;
            assert_eq!(payment["status"], "refunded", "{case}: {payment}");
        }
    })
    .await;
}
