//! Delivery's end on both databases: the courier completes an order with the customer's code (a
//! wrong one counted, too many locking the code; one typed at the door without signal checked on
//! reconnect), and the hold is captured with the merchant's fee on the goods, the courier's fee
//! and the customer's tip in one chain; goods brought back are refunded or charged by the shop's
//! policy; the operator sees the live jobs and cancels one; a job nobody claims tells its shop.
//! `ledger verify` is clean after each story (the harness checks), and finds a courier paid
//! wrongly.

use serde_json::{Value, json};

use crate::harness::delivery::{accepted_delivery, courier, deliver, picked_up, set_online, step};
use crate::harness::market::{Market, add, code_of, hand_over, market, place, seller};
use crate::harness::{Person, TestApp, merchant_balance, on_each_backend};
use quipu_core::kernel::text::rfc3339;

/// Posted balance and what can be spent now, in minor units.
async fn balances(app: &TestApp, who: &Person) -> (i64, i64) {
    let (status, body) = app.get(&format!("/accounts/{}", who.account), &who.token).await;
    assert_eq!(status, 200, "{body}");
    (body["balance"]["minor_units"].as_i64().unwrap(), body["available"]["minor_units"].as_i64().unwrap())
}

/// A code that is not `code`.
fn wrong(code: &str) -> String {
    if code == "0000" { "1111".to_owned() } else { "0000".to_owned() }
}

async fn tip(app: &TestApp, who: &Person, order: &str, amount: &str, pin: &str) -> (u16, Value) {
    app.post(&format!("/me/orders/{order}/tip"), Some(&who.token), json!({"amount": amount, "pin": pin})).await
}

async fn events_of(app: &TestApp, kind: &str) -> i64 {
    app.storage.count(&format!("SELECT COUNT(*) FROM merchant_events WHERE kind = '{kind}'")).await
}

#[tokio::test]
async fn the_courier_delivers_with_the_customers_code_and_is_paid_with_the_capture() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let order = accepted_delivery(app, &m, "handover-1").await;
        // The code is the customer's alone to read.
        let code = code_of(app, &m.customer, &order).await;
        let (_, shop_view) = app.get(&format!("/merchant/orders/{order}"), &m.mart.cashier).await;
        assert!(shop_view["handover_code"].is_null(), "{shop_view}");
        assert!(!shop_view["next_actions"].as_array().unwrap().contains(&json!("hand_over")), "{shop_view}");
        let (rider, job) = picked_up(app, &m, &order, "+15550550001").await;
        let (_, job_view) = app.get(&format!("/jobs/{job}"), &rider.token).await;
        assert!(!job_view.to_string().contains(&format!("\"{code}\"")), "the courier is not told the code: {job_view}");

        // The customer tips 1.00 while the courier carries the order: with their PIN, once, and
        // never more than they have.
        let (status, refused) = tip(app, &m.customer, &order, "1.00", "0000").await;
        assert_eq!((status, refused["code"].as_str()), (403, Some("wrong_pin")), "{refused}");
        let (status, refused) = tip(app, &m.customer, &order, "500.00", "1234").await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("insufficient_funds")), "{refused}");
        let (status, refused) = tip(app, &m.customer, &order, "0.00", "1234").await;
        assert_eq!((status, refused["code"].as_str()), (400, Some("tip_invalid")), "{refused}");
        let stranger = app.customer("+15550550002").await;
        let (status, _) = tip(app, &stranger, &order, "1.00", "1234").await;
        assert_eq!(status, 404, "another customer's order looks missing");
        let (status, tipped) = tip(app, &m.customer, &order, "1.00", "1234").await;
        assert_eq!((status, tipped["tip"]["amount"].as_str()), (200, Some("1.00")), "{tipped}");
        let (status, again) = tip(app, &m.customer, &order, "2.00", "1234").await;
        assert_eq!((status, again["code"].as_str()), (409, Some("tip_exists")), "{again}");
        assert_eq!(balances(app, &m.customer).await, (10_000, 10_000 - 600 - 100), "held, not taken");

        // Wrong, malformed and someone else's: a clear refusal, nothing paid.
        let (status, wrong_code) = deliver(app, &rider, &job, &wrong(&code), None).await;
        assert_eq!((status, wrong_code["code"].as_str()), (422, Some("handover_code_wrong")), "{wrong_code}");
        let (status, malformed) = deliver(app, &rider, &job, "12a4", None).await;
        assert_eq!((status, malformed["code"].as_str()), (400, Some("handover_code_invalid")), "{malformed}");
        let other = courier(app, &m.operator, "+15550550003", json!({"vehicle": "foot", "home_area_id": m.area})).await;
        let (status, _) = deliver(app, &other, &job, &code, None).await;
        assert_eq!(status, 404, "another courier's job looks missing");
        assert_eq!(balances(app, &rider).await, (0, 0));

        // The right code completes it: 6.00 taken; the mart keeps 3.00 less 2% of the goods (the
        // delivery fee is the courier's), the courier has the fee and the tip.
        let mart_before = merchant_balance(app, &m.mart.owner).await;
        let (status, delivered) = deliver(app, &rider, &job, &code, None).await;
        assert_eq!((status, delivered["status"].as_str()), (200, Some("delivered")), "{delivered}");
        let (_, done) = app.get(&format!("/me/orders/{order}"), &m.customer.token).await;
        assert_eq!(
            (done["status"].as_str(), done["captured"]["amount"].as_str()),
            (Some("completed"), Some("6.00")),
            "{done}"
        );
        assert_eq!(done["history"].as_array().unwrap().last().unwrap()["actor"], "courier", "{done}");
        assert_eq!(balances(app, &m.customer).await, (10_000 - 700, 10_000 - 700));
        assert_eq!(balances(app, &rider).await, (400, 400));
        assert_eq!(merchant_balance(app, &m.mart.owner).await - mart_before, 300 - 6);
        // A retry (its answer lost) reads the delivered job; nothing moves twice. A completed order
        // takes no tip and no second delivery.
        let (status, retried) = deliver(app, &rider, &job, &code, None).await;
        assert_eq!((status, retried["status"].as_str()), (200, Some("delivered")), "{retried}");
        assert_eq!(balances(app, &rider).await, (400, 400));
        let (status, late) = tip(app, &m.customer, &order, "1.00", "1234").await;
        assert_eq!((status, late["code"].as_str()), (409, Some("tip_not_now")), "{late}");
        let (status, back) = step(app, &rider, &job, "returning", Some("changed my mind")).await;
        assert_eq!((status, back["code"].as_str()), (409, Some("job_step_not_allowed")), "{back}");
        for kind in ["delivery.claimed", "delivery.picked_up", "delivery.delivered"] {
            assert_eq!(events_of(app, kind).await, 1, "{kind}");
        }

        // A pickup order completes at the counter with its own code.
        add(app, &m.customer, &m.milk, 1).await;
        let pickup = place(app, &m.customer, &m.mart, "handover-pickup").await;
        let path = format!("/merchant/orders/{pickup}");
        app.post(&format!("{path}/accept"), Some(&m.mart.cashier), json!({"ready_minutes": 5})).await;
        app.post(&format!("{path}/ready"), Some(&m.mart.cashier), json!({})).await;
        let (status, refused) =
            app.post(&format!("{path}/hand-over"), Some(&m.mart.cashier), json!({"code": code})).await;
        let pickup_code = code_of(app, &m.customer, &pickup).await;
        if pickup_code != code {
            assert_eq!(
                (status, refused["code"].as_str()),
                (422, Some("handover_code_wrong")),
                "another order's code: {refused}"
            );
        }
        let (status, codeless) = app.post(&format!("{path}/hand-over"), Some(&m.mart.cashier), json!({})).await;
        assert_eq!((status, codeless["code"].as_str()), (400, Some("invalid_body")), "{codeless}");
        let (status, done) =
            app.post(&format!("{path}/hand-over"), Some(&m.mart.cashier), json!({"code": pickup_code})).await;
        assert_eq!((status, done["status"].as_str()), (200, Some("completed")), "{done}");
    })
    .await;
}

#[tokio::test]
async fn wrong_codes_lock_the_guesser_out_and_a_code_typed_without_signal_is_checked_on_reconnect() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let order = accepted_delivery(app, &m, "handover-lock").await;
        let code = code_of(app, &m.customer, &order).await;
        // Completing before pickup is refused, the right code or not: nothing is paid.
        let early = courier(app, &m.operator, "+15550550012", json!({"vehicle": "foot", "home_area_id": m.area})).await;
        set_online(app, &early, true).await;
        let (_, job) = app.get(&format!("/merchant/orders/{order}/delivery"), &m.mart.cashier).await;
        let early_job = job["id"].as_str().unwrap().to_owned();
        let (status, _) = app.post(&format!("/courier/jobs/{early_job}/claim"), Some(&early.token), json!({})).await;
        assert_eq!(status, 200);
        let (status, refused) = deliver(app, &early, &early_job, &code, None).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("job_step_not_allowed")), "{refused}");
        let (status, _) = step(app, &early, &early_job, "offered", None).await;
        assert_eq!(status, 200, "dropped again");
        assert_eq!(balances(app, &early).await, (0, 0));
        let (rider, job) = picked_up(app, &m, &order, "+15550550011").await;
        let (status, _) = step(app, &rider, &job, "at_drop_off", None).await;
        assert_eq!(status, 200);
        // The courier types it at the door with no signal; the phone sends it later.
        let typed_at = app.services.kernel.now();
        for left in (1..=4).rev() {
            let (status, refused) = deliver(app, &rider, &job, &wrong(&code), None).await;
            assert_eq!((status, refused["code"].as_str()), (422, Some("handover_code_wrong")), "{refused}");
            assert!(refused["detail"].as_str().unwrap().contains(&format!("{left} more")), "{refused}");
        }
        let (status, locked) = deliver(app, &rider, &job, &wrong(&code), None).await;
        assert_eq!((status, locked["code"].as_str()), (423, Some("handover_code_locked")), "{locked}");
        // Locked: even the right code waits (the guesser cannot tell it was right).
        let (status, waiting) = deliver(app, &rider, &job, &code, None).await;
        assert_eq!((status, waiting["code"].as_str()), (423, Some("handover_code_locked")), "{waiting}");
        assert_eq!(balances(app, &rider).await, (0, 0), "nothing is paid before the code checks");
        let (_, open) = app.get(&format!("/me/orders/{order}"), &m.customer.token).await;
        assert_eq!(
            (open["status"].as_str(), open["handover_code"].as_str()),
            (Some("ready"), Some(code.as_str())),
            "the customer's code still stands: {open}"
        );

        // Fifteen minutes on, the phone reconnects and sends the code it took at the door.
        app.clock.advance_seconds(15 * 60 + 1);
        let (status, delivered) = deliver(app, &rider, &job, &code, Some(&rfc3339(typed_at))).await;
        assert_eq!((status, delivered["status"].as_str()), (200, Some("delivered")), "{delivered}");
        let last = delivered["steps"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (last["to"].as_str(), last["at"].as_str()),
            (Some("delivered"), Some(rfc3339(typed_at).as_str())),
            "{last}"
        );
        assert_eq!(balances(app, &rider).await, (300, 300));
        let (status, bad_time) = deliver(app, &rider, &job, &code, Some("yesterday")).await;
        assert_eq!((status, bad_time["code"].as_str()), (422, Some("typed_at_invalid")), "{bad_time}");
    })
    .await;
}

#[tokio::test]
async fn goods_brought_back_are_refunded_or_charged_by_the_shops_policy_and_the_courier_is_paid() {
    on_each_backend(async |app| {
        let m = market(app).await;
        // The mart has takings to pay a courier from.
        add(app, &m.customer, &m.milk, 4).await;
        let sold = place(app, &m.customer, &m.mart, "takings").await;
        hand_over(app, &m.customer, &m.mart, &sold).await;

        // A grocery refunds goods brought back: the customer's money and tip come back, the shop
        // pays the courier's fee.
        let order = accepted_delivery(app, &m, "return-refund").await;
        let (rider, job) = picked_up(app, &m, &order, "+15550550021").await;
        let (status, _) = tip(app, &m.customer, &order, "0.50", "1234").await;
        assert_eq!(status, 200);
        let before = balances(app, &m.customer).await.0;
        let mart_before = merchant_balance(app, &m.mart.owner).await;
        let (status, returning) = step(app, &rider, &job, "returning", Some("nobody answered the door")).await;
        assert_eq!((status, returning["status"].as_str()), (200, Some("returning")), "{returning}");
        let (status, _) = deliver(app, &rider, &job, &code_of(app, &m.customer, &order).await, None).await;
        assert_eq!(status, 409, "a job coming back is not delivered");
        let (status, refused) = app.post(&format!("/jobs/{job}/confirm-return"), Some(&rider.token), json!({})).await;
        assert_eq!(status, 403, "the courier does not confirm their own return: {refused}");
        let (status, returned) =
            app.post(&format!("/jobs/{job}/confirm-return"), Some(&m.mart.cashier), json!({})).await;
        assert_eq!((status, returned["status"].as_str()), (200, Some("returned")), "{returned}");
        let (_, ended) = app.get(&format!("/me/orders/{order}"), &m.customer.token).await;
        assert_eq!(ended["status"].as_str(), Some("cancelled"), "{ended}");
        assert!(ended["handover_code"].is_null(), "{ended}");
        assert_eq!(balances(app, &m.customer).await, (before, before), "the hold and the tip came back");
        assert_eq!(balances(app, &rider).await, (300, 300));
        assert_eq!(merchant_balance(app, &m.mart.owner).await - mart_before, -300);
        let (status, twice) = app.post(&format!("/jobs/{job}/confirm-return"), Some(&m.mart.cashier), json!({})).await;
        assert_eq!(status, 409, "{twice}");

        // A restaurant keeps the money for a meal brought back: the order is captured as if
        // delivered, and the courier is paid.
        seller(app, &m.operator, &m.bakery, &m.area, "restaurant").await;
        add(app, &m.customer, &m.bread, 1).await;
        let fulfilment =
            json!({"seller_id": m.bakery.id, "kind": "delivery", "area_id": m.area, "address": "Building 3, flat 402"});
        let (status, placed) = crate::harness::market::checkout(
            app,
            &m.customer,
            "return-charge",
            json!({"payment": crate::harness::market::wallet("1234"), "fulfilments": [fulfilment]}),
        )
        .await;
        assert_eq!(status, 201, "{placed}");
        let meal = placed[0]["id"].as_str().unwrap().to_owned();
        let path = format!("/merchant/orders/{meal}");
        app.post(&format!("{path}/accept"), Some(&m.bakery.cashier), json!({"ready_minutes": 5})).await;
        app.post(&format!("{path}/ready"), Some(&m.bakery.cashier), json!({})).await;
        let (_, job) = app.get(&format!("{path}/delivery"), &m.bakery.cashier).await;
        let job = job["id"].as_str().unwrap().to_owned();
        set_online(app, &rider, true).await;
        for (what, (status, body)) in [
            ("claim", app.post(&format!("/courier/jobs/{job}/claim"), Some(&rider.token), json!({})).await),
            ("at_pickup", step(app, &rider, &job, "at_pickup", None).await),
            ("picked_up", step(app, &rider, &job, "picked_up", None).await),
            ("returning", step(app, &rider, &job, "returning", Some("wrong address")).await),
        ] {
            assert_eq!(status, 200, "{what}: {body}");
        }
        let before = balances(app, &m.customer).await.0;
        let (status, returned) =
            app.post(&format!("/jobs/{job}/confirm-return"), Some(&m.bakery.owner), json!({})).await;
        assert_eq!((status, returned["status"].as_str()), (200, Some("returned")), "{returned}");
        let (_, charged) = app.get(&format!("/me/orders/{meal}"), &m.customer.token).await;
        assert_eq!(
            (charged["status"].as_str(), charged["captured"]["amount"].as_str()),
            (Some("completed"), Some("6.00")),
            "{charged}"
        );
        assert_eq!(balances(app, &m.customer).await.0, before - 600);
        assert_eq!(balances(app, &rider).await, (600, 600));
    })
    .await;
}

#[tokio::test]
async fn the_operator_sees_live_jobs_and_cancels_one_and_an_unclaimed_job_tells_its_shop() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let waiting = accepted_delivery(app, &m, "live-1").await;
        let (status, board) = app.get("/operator/jobs", &m.operator).await;
        assert_eq!((status, board.as_array().unwrap().len()), (200, 1), "{board}");
        assert_eq!(
            (board[0]["order_id"].as_str(), board[0]["status"].as_str(), board[0]["shop_name"].as_str()),
            (Some(waiting.as_str()), Some("offered"), Some("Mapo Mart")),
            "{board}"
        );
        let (status, _) = app.get("/operator/jobs", &m.mart.owner).await;
        assert_eq!(status, 403, "the board is the operator's");

        // Nobody claims it within ten minutes: the shop is told, once.
        app.clock.advance_seconds(11 * 60);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        assert_eq!(events_of(app, "delivery.unclaimed").await, 1);
        let (_, board) = app.get("/operator/jobs", &m.operator).await;
        assert!(board[0]["alerted_at"].is_string() && board[0]["age_seconds"].as_i64().unwrap() >= 660, "{board}");

        // The operator cancels it, saying why: the order ends and the customer's money is back.
        let job = board[0]["id"].as_str().unwrap().to_owned();
        let (status, silent) =
            app.post(&format!("/operator/jobs/{job}/cancel"), Some(&m.operator), json!({"reason": " "})).await;
        assert_eq!((status, silent["code"].as_str()), (422, Some("reason_required")), "{silent}");
        let (status, cancelled) = app
            .post(
                &format!("/operator/jobs/{job}/cancel"),
                Some(&m.operator),
                json!({"reason": "no courier free tonight"}),
            )
            .await;
        assert_eq!((status, cancelled["status"].as_str()), (200, Some("cancelled")), "{cancelled}");
        let (_, order) = app.get(&format!("/me/orders/{waiting}"), &m.customer.token).await;
        assert_eq!(order["status"].as_str(), Some("cancelled"), "{order}");
        assert_eq!(balances(app, &m.customer).await, (10_000, 10_000));
        let (_, board) = app.get("/operator/jobs", &m.operator).await;
        assert_eq!(board.as_array().unwrap().len(), 0, "{board}");

        // One carried cannot be cancelled: it is delivered or brought back.
        let carried = accepted_delivery(app, &m, "live-2").await;
        let (_, job) = picked_up(app, &m, &carried, "+15550550031").await;
        let (status, refused) =
            app.post(&format!("/operator/jobs/{job}/cancel"), Some(&m.operator), json!({"reason": "late"})).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("job_step_not_allowed")), "{refused}");
    })
    .await;
}

/// Tampering with what a courier was paid is found by `quipu ledger verify`.
#[tokio::test]
async fn ledger_verify_finds_a_courier_paid_what_the_delivery_does_not_say() {
    on_each_backend(async |app| {
        let m: Market = market(app).await;
        let order = accepted_delivery(app, &m, "verify-courier").await;
        let code = code_of(app, &m.customer, &order).await;
        let (rider, job) = picked_up(app, &m, &order, "+15550550041").await;
        let (status, _) = deliver(app, &rider, &job, &code, None).await;
        assert_eq!(status, 200);
        let verify = [app.storage.cli_args(), vec!["ledger".into(), "verify".into()]].concat();
        let (clean, stdout, stderr) = crate::harness::run_quipu(&verify, &[]);
        assert!(clean && stdout.contains("courier payouts 1"), "{stdout}{stderr}");
        let cases = [
            (
                "UPDATE delivery_jobs SET fee = fee + 1 WHERE status = 'delivered'",
                "UPDATE delivery_jobs SET fee = fee - 1 WHERE status = 'delivered'",
                "has a transfer of the wrong amount or currency",
            ),
            (
                "UPDATE delivery_jobs SET status = 'cancelled' WHERE status = 'delivered'",
                "UPDATE delivery_jobs SET status = 'delivered' WHERE status = 'cancelled'",
                "paid its courier for a delivery that did not happen",
            ),
        ];
        for (break_it, mend_it, problem) in cases {
            app.storage.execute(break_it).await;
            let (clean, stdout, stderr) = crate::harness::run_quipu(&verify, &[]);
            assert!(!clean && stdout.contains(problem), "{break_it}: {stdout}{stderr}");
            app.storage.execute(mend_it).await;
        }
    })
    .await;
}

#[tokio::test]
async fn an_online_courier_between_jobs_says_where_they_are_within_the_rules() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let rider = courier(app, &m.operator, "+15550550051", json!({"vehicle": "bicycle"})).await;
        let now = app.services.kernel.now();
        let at = |seconds: i64| rfc3339(now.plus_seconds(seconds));
        let put = |body: Value| {
            let token = rider.token.clone();
            async move { crate::harness::market::put(app, "/courier/position", &token, body).await }
        };
        let (status, offline) = put(json!({"at": at(0), "latitude": 37.55, "longitude": 126.92})).await;
        assert_eq!((status, offline["code"].as_str()), (422, Some("courier_offline")), "{offline}");
        set_online(app, &rider, true).await;
        let (status, body) = put(json!({"at": at(0), "latitude": 37.55, "longitude": 126.92})).await;
        assert_eq!(status, 204, "{body}");
        let (status, jump) = put(json!({"at": at(1), "latitude": 32.55, "longitude": 126.92})).await;
        assert_eq!((status, jump["code"].as_str()), (422, Some("position_refused")), "500 km in a second: {jump}");
        let (status, bad) = put(json!({"at": at(2), "latitude": 91.0, "longitude": 126.92})).await;
        assert_eq!((status, bad["code"].as_str()), (422, Some("position_invalid")), "{bad}");
        let (status, body) = put(json!({"at": at(60), "latitude": 37.551, "longitude": 126.92})).await;
        assert_eq!(status, 204, "{body}");
    })
    .await;
}
