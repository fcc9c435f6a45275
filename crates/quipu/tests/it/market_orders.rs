//! Orders on both databases: a cart from two shops becomes two orders with their money held; one
//! is accepted, changed (an item short, a weighed item off the scale), handed over and captured
//! for its final amount with the shop's fee; the other is rejected and its hold voided. Cancelling,
//! expiring, stock taken and given back, retries, and the bad input around them: each a clear
//! problem, nothing moved twice, `ledger verify` clean after each story (the harness checks it).

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::delivery::{deliver, picked_up};
use crate::harness::market::{add, checkout, code_of, market, pickup, product, put, wallet};
use crate::harness::{Person, Shop, TestApp, merchant_balance, on_each_backend};

/// Posted balance and what can be spent now, in minor units.
async fn balances(app: &TestApp, who: &Person) -> (i64, i64) {
    let (status, body) = app.get(&format!("/accounts/{}", who.account), &who.token).await;
    assert_eq!(status, 200, "{body}");
    (body["balance"]["minor_units"].as_i64().unwrap(), body["available"]["minor_units"].as_i64().unwrap())
}

async fn public_product(app: &TestApp, product: &str) -> Value {
    let response = app.client.get(format!("{}/api/v1/market/products/{product}", app.base())).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

async fn stock(app: &TestApp, product: &str) -> u64 {
    public_product(app, product).await["stock"].as_u64().unwrap()
}

async fn order_move(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    app.post(path, Some(token), body).await
}

#[tokio::test]
async fn a_cart_from_two_shops_becomes_two_held_orders_one_captured_for_what_was_supplied_one_voided() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let customer = &m.customer;
        let (status, cart) = add(app, customer, &m.milk, 2).await;
        assert_eq!(status, 200, "{cart}");
        add(app, customer, &m.beef, 1).await;
        let (_, cart) = add(app, customer, &m.bread, 1).await;
        assert_eq!((cart["groups"].as_array().unwrap().len(), cart["total"]["amount"].as_str(), cart["ready"].as_bool()), (2, Some("26.00"), Some(true)), "{cart}");

        // A wrong PIN holds nothing and writes no order.
        let fulfilments = json!([
            {"seller_id": m.mart.id, "kind": "delivery", "area_id": m.area, "address": "Building 3, flat 402", "note": "ring twice"},
            pickup(&m.bakery.id),
        ]);
        let (status, wrong) = checkout(app, customer, "wrong-pin", json!({"payment": wallet("0000"), "fulfilments": fulfilments})).await;
        assert_eq!((status, wrong["code"].as_str()), (403, Some("wrong_pin")), "{wrong}");
        assert_eq!(balances(app, customer).await, (10_000, 10_000));
        let (_, orders) = app.get("/me/orders", &customer.token).await;
        assert_eq!(orders.as_array().unwrap().len(), 0);

        let body = json!({"payment": wallet("1234"), "fulfilments": fulfilments});
        let (status, placed) = checkout(app, customer, "checkout-1", body.clone()).await;
        assert_eq!(status, 201, "{placed}");
        let placed = placed.as_array().unwrap().clone();
        assert_eq!(placed.len(), 2);
        let mart_order = placed.iter().find(|o| o["seller_id"] == json!(m.mart.id)).unwrap().clone();
        let bakery_order = placed.iter().find(|o| o["seller_id"] == json!(m.bakery.id)).unwrap().clone();
        // Milk 3.00 + beef 20.00 (held with a 10% margin: 22.00) + delivery 3.00.
        assert_eq!(
            (mart_order["status"].as_str(), mart_order["total"]["amount"].as_str(), mart_order["held"]["amount"].as_str()),
            (Some("placed"), Some("26.00"), Some("28.00")),
            "{mart_order}"
        );
        assert_eq!(bakery_order["held"]["amount"].as_str(), Some("3.00"));
        assert_eq!(mart_order["next_actions"], json!(["cancel"]));
        assert_eq!(balances(app, customer).await, (10_000, 10_000 - 2_800 - 300), "held, not taken");
        assert_eq!((stock(app, &m.milk).await, stock(app, &m.bread).await), (8, 1), "stock taken at checkout");
        let (_, cart) = app.get("/me/cart", &customer.token).await;
        assert_eq!(cart["groups"].as_array().unwrap().len(), 0, "the cart was checked out");

        // The two orders of one checkout share their time: reading them a page of one at a time
        // (as the data export pages) still finds both.
        let principal = quipu_core::Principal::User {
            id: quipu_domain::identity::UserId(customer.id.parse().unwrap()),
            role: quipu_domain::identity::Role::Customer,
            merchant_id: None,
        };
        let market = &app.services.market;
        let first = market.my_orders(&principal, None, 1).await.unwrap();
        let second = market.my_orders(&principal, Some(&first[0].record), 1).await.unwrap();
        let third = market.my_orders(&principal, Some(&second[0].record), 1).await.unwrap();
        assert_eq!(first[0].record.created_at, second[0].record.created_at);
        assert_ne!(first[0].record.id, second[0].record.id);
        assert!(third.is_empty());

        // The same key again: the same orders, nothing held twice.
        let (status, again) = checkout(app, customer, "checkout-1", body).await;
        assert_eq!(status, 201, "{again}");
        assert_eq!(again.as_array().unwrap().iter().map(|o| o["id"].clone()).collect::<Vec<_>>(), placed.iter().map(|o| o["id"].clone()).collect::<Vec<_>>());
        assert_eq!(balances(app, customer).await.1, 10_000 - 3_100);

        // Each shop sees its own order on its board, not the other's.
        let mart_path = format!("/merchant/orders/{}", mart_order["id"].as_str().unwrap());
        let bakery_path = format!("/merchant/orders/{}", bakery_order["id"].as_str().unwrap());
        let (_, board) = app.get("/merchant/orders", &m.mart.cashier).await;
        assert_eq!(board.as_array().unwrap().len(), 1, "{board}");
        assert_eq!(board[0]["next_actions"], json!(["accept", "reject"]));
        let (status, _) = app.get(&bakery_path, &m.mart.owner).await;
        assert_eq!(status, 404, "another shop's order looks missing");
        let (status, _) = order_move(app, &m.mart.owner, &format!("{bakery_path}/accept"), json!({"ready_minutes": 5})).await;
        assert_eq!(status, 404);
        let stranger = app.customer("+15550330003").await;
        let (status, _) = app.get(&format!("/me/orders/{}", mart_order["id"].as_str().unwrap()), &stranger.token).await;
        assert_eq!(status, 404, "another customer's order looks missing");

        // The mart accepts, is short of one milk, weighs the beef, and hands over.
        let (status, early) = order_move(app, &m.mart.cashier, &format!("{mart_path}/hand-over"), json!({"code": "0000"})).await;
        assert_eq!((status, early["code"].as_str()), (409, Some("order_delivered_by_courier")), "a courier brings it: {early}");
        let (status, accepted) = order_move(app, &m.mart.cashier, &format!("{mart_path}/accept"), json!({"ready_minutes": 20})).await;
        assert_eq!((status, accepted["status"].as_str()), (200, Some("accepted")), "{accepted}");
        assert!(accepted["ready_at"].is_string());
        let (status, late) = order_move(app, &customer.token, &format!("/me/orders/{}/cancel", mart_order["id"].as_str().unwrap()), json!({"reason": "changed my mind"})).await;
        assert_eq!((status, late["code"].as_str()), (403, Some("order_move_not_yours")), "the customer cancels only before acceptance: {late}");
        let (status, over) = put(app, &format!("{mart_path}/lines"), &m.mart.cashier, json!({"lines": [{"position": 1, "weighed_price": "22.01"}]})).await;
        assert_eq!((status, over["code"].as_str()), (422, Some("line_edit_invalid")), "beyond the hold: {over}");
        let (status, changed) = put(app, &format!("{mart_path}/lines"), &m.mart.cashier,
            json!({"lines": [{"position": 0, "quantity": 1}, {"position": 1, "weighed_price": "21.00"}]})).await;
        assert_eq!(status, 200, "{changed}");
        assert_eq!((changed["lines"][0]["final_total"]["amount"].as_str(), changed["lines"][1]["final_total"]["amount"].as_str()), (Some("1.50"), Some("21.00")));
        let (_, seen) = app.get(&format!("/me/orders/{}", mart_order["id"].as_str().unwrap()), &customer.token).await;
        let kinds: Vec<&str> = seen["history"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds.iter().filter(|k| **k == "line_changed").count(), 2, "the customer sees each change: {seen}");
        for step in ["preparing", "ready"] {
            let (status, moved) = order_move(app, &m.mart.cashier, &format!("{mart_path}/{step}"), json!({})).await;
            assert_eq!(status, 200, "{step}: {moved}");
        }
        let mart_before = merchant_balance(app, &m.mart.owner).await;
        let mart_id = mart_order["id"].as_str().unwrap();
        let (rider, job) = picked_up(app, &m, mart_id, "+15550330009").await;
        let code = code_of(app, customer, mart_id).await;
        let (status, delivered) = deliver(app, &rider, &job, &code, None).await;
        assert_eq!((status, delivered["status"].as_str()), (200, Some("delivered")), "{delivered}");
        let (_, done) = app.get(&format!("/me/orders/{mart_id}"), &customer.token).await;
        assert_eq!((done["status"].as_str(), done["captured"]["amount"].as_str()), (Some("completed"), Some("25.50")), "{done}");
        assert!(done["handover_code"].is_null(), "a completed order shows no code: {done}");
        let (status, twice) = order_move(app, &m.mart.cashier, &format!("{mart_path}/hand-over"), json!({"code": code})).await;
        assert_eq!((status, twice["code"].as_str()), (409, Some("order_delivered_by_courier")), "{twice}");
        // 1.50 + 21.00 + 3.00 taken; the rest of the 28.00 hold came back; the mart keeps 22.50
        // less 2% (its fee is on the goods), and the courier is paid the 3.00 delivery fee.
        assert_eq!(balances(app, customer).await, (10_000 - 2_550, 10_000 - 2_550 - 300));
        assert_eq!(merchant_balance(app, &m.mart.owner).await - mart_before, 2_250 - 45);
        assert_eq!(balances(app, &rider).await, (300, 300));

        // The bakery rejects, saying why: the hold and the loaf come back.
        let (status, silent) = order_move(app, &m.bakery.owner, &format!("{bakery_path}/reject"), json!({"reason": " "})).await;
        assert_eq!((status, silent["code"].as_str()), (422, Some("reason_required")), "{silent}");
        let (status, rejected) = order_move(app, &m.bakery.owner, &format!("{bakery_path}/reject"), json!({"reason": "oven broke"})).await;
        assert_eq!((status, rejected["status"].as_str(), rejected["reason"].as_str()), (200, Some("rejected"), Some("oven broke")), "{rejected}");
        assert_eq!(balances(app, customer).await, (10_000 - 2_550, 10_000 - 2_550));
        assert_eq!(stock(app, &m.bread).await, 2);
        assert_eq!(stock(app, &m.milk).await, 8, "a completed order keeps its stock taken");
    })
    .await;
}

#[tokio::test]
async fn cancelled_and_expired_orders_give_back_their_hold_and_stock_and_bad_checkouts_move_nothing() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let customer = &m.customer;

        // Nothing to check out.
        let (status, empty) = checkout(app, customer, "empty", json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.bakery.id)]})).await;
        assert_eq!((status, empty["code"].as_str()), (422, Some("cart_empty")), "{empty}");

        // The customer cancels before the shop accepts.
        add(app, customer, &m.bread, 2).await;
        let (status, placed) = checkout(app, customer, "to-cancel", json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.bakery.id)]})).await;
        assert_eq!(status, 201, "{placed}");
        assert_eq!(stock(app, &m.bread).await, 0);
        let id = placed[0]["id"].as_str().unwrap();
        let (status, cancelled) = order_move(app, &customer.token, &format!("/me/orders/{id}/cancel"), json!({"reason": "ordered twice"})).await;
        assert_eq!((status, cancelled["status"].as_str()), (200, Some("cancelled")), "{cancelled}");
        assert_eq!(balances(app, customer).await, (10_000, 10_000));
        assert_eq!(stock(app, &m.bread).await, 2);

        // Nobody accepts in time: housekeeping expires it.
        add(app, customer, &m.milk, 3).await;
        let (status, placed) = checkout(app, customer, "to-expire", json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.mart.id)]})).await;
        assert_eq!(status, 201, "{placed}");
        assert_eq!(stock(app, &m.milk).await, 7);
        app.clock.advance_seconds(quipu_core::market::ACCEPT_WITHIN_SECONDS + 1);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, expired) = app.get(&format!("/me/orders/{}", placed[0]["id"].as_str().unwrap()), &customer.token).await;
        assert_eq!(expired["status"].as_str(), Some("expired"), "{expired}");
        assert_eq!(balances(app, customer).await, (10_000, 10_000));
        assert_eq!(stock(app, &m.milk).await, 10);

        // Accepted, then left in the shop's hands for days: housekeeping cancels it and gives the
        // money and the stock back, long before the ledger's hold could lapse under it.
        add(app, customer, &m.milk, 2).await;
        let (status, placed) = checkout(app, customer, "left-in-hand", json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.mart.id)]})).await;
        assert_eq!(status, 201, "{placed}");
        let id = placed[0]["id"].as_str().unwrap();
        let (status, accepted) = order_move(app, &m.mart.cashier, &format!("/merchant/orders/{id}/accept"), json!({"ready_minutes": 10})).await;
        assert_eq!(status, 200, "{accepted}");
        app.clock.advance_seconds(quipu_core::market::IN_HAND_SECONDS - 60);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, kept) = app.get(&format!("/me/orders/{id}"), &customer.token).await;
        assert_eq!(kept["status"].as_str(), Some("accepted"), "not yet: {kept}");
        app.clock.advance_seconds(120);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, ended) = app.get(&format!("/me/orders/{id}"), &customer.token).await;
        assert_eq!(ended["status"].as_str(), Some("cancelled"), "{ended}");
        assert_eq!(ended["history"].as_array().unwrap().last().unwrap()["actor"], "system", "{ended}");
        assert_eq!(balances(app, customer).await, (10_000, 10_000));
        assert_eq!(stock(app, &m.milk).await, 10);
        let (status, late) = order_move(app, &m.mart.cashier, &format!("/merchant/orders/{id}/hand-over"), json!({"code": "1234"})).await;
        assert_eq!((status, late["code"].as_str()), (409, Some("order_move_not_allowed")), "{late}");

        // A price changed since the cart was filled, and too little stock: refused, naming them.
        add(app, customer, &m.milk, 1).await;
        add(app, customer, &m.bread, 2).await;
        let milk = public_product(app, &m.milk).await;
        let change = json!({"name_ko": "흰우유 1L", "category": "dairy", "price": "1.80", "unit": "each", "stock": 10, "version": milk["version"]});
        let (status, changed) = put(app, &format!("/merchant/products/{}", m.milk), &m.mart.owner, change).await;
        assert_eq!(status, 200, "{changed}");
        let bread = public_product(app, &m.bread).await;
        let change = json!({"name_ko": "우유식빵", "category": "bread", "price": "3.00", "unit": "each", "stock": 1, "version": bread["version"]});
        let (status, changed) = put(app, &format!("/merchant/products/{}", m.bread), &m.bakery.owner, change).await;
        assert_eq!(status, 200, "{changed}");
        let (_, cart) = app.get("/me/cart", &customer.token).await;
        assert_eq!(cart["ready"].as_bool(), Some(false), "{cart}");
        let both = json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.mart.id), pickup(&m.bakery.id)]});
        let (status, refused) = checkout(app, customer, "changed", both.clone()).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("cart_changed")), "{refused}");
        let detail = refused["detail"].as_str().unwrap();
        assert!(detail.contains("흰우유 1L now costs 1.80") && detail.contains("only 1 of 우유식빵 left"), "{detail}");

        // Outside every area, a missing fulfilment, and a shop that paused: each refused.
        let (status, _) = app.request(Method::DELETE, "/me/cart", Some(&customer.token), None, None).await;
        assert_eq!(status, 200);
        add(app, customer, &m.milk, 2).await;
        let nowhere = json!({"payment": wallet("1234"), "fulfilments": [{"seller_id": m.mart.id, "kind": "delivery", "address": "far away", "latitude": 10.0, "longitude": 10.0}]});
        let (status, outside) = checkout(app, customer, "outside", nowhere).await;
        assert_eq!((status, outside["code"].as_str()), (422, Some("outside_delivery_area")), "{outside}");
        let (status, missing) = checkout(app, customer, "missing", json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.bakery.id)]})).await;
        assert_eq!((status, missing["code"].as_str()), (422, Some("fulfilment_missing")), "{missing}");
        let (status, _) = put(app, "/merchant/storefront/accepting", &m.mart.cashier, json!({"accepting": false})).await;
        assert_eq!(status, 200);
        let (status, closed) = checkout(app, customer, "closed", json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.mart.id)]})).await;
        assert_eq!((status, closed["code"].as_str()), (422, Some("seller_closed")), "{closed}");
        let (status, _) = put(app, "/merchant/storefront/accepting", &m.mart.cashier, json!({"accepting": true})).await;
        assert_eq!(status, 200);

        // Absurd quantities, and more than the wallet holds.
        let (status, zero) = add(app, customer, &m.milk, 0).await;
        assert_eq!((status, zero["code"].as_str()), (422, Some("quantity_invalid")), "{zero}");
        let (status, absurd) = add(app, customer, &m.milk, 98).await;
        assert_eq!((status, absurd["code"].as_str()), (422, Some("quantity_invalid")), "2 + 98 is past 99: {absurd}");
        let (status, negative) = app.post("/me/cart/lines", Some(&customer.token), json!({"product_id": m.milk, "quantity": -1})).await;
        assert_eq!(status, 400, "{negative}");
        add(app, customer, &m.beef, 5).await;
        let (status, poor) = checkout(app, customer, "too-much", json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.mart.id)]})).await;
        assert_eq!((status, poor["code"].as_str()), (422, Some("insufficient_funds")), "{poor}");
        let (_, orders) = app.get("/me/orders", &customer.token).await;
        assert!(orders.as_array().unwrap().iter().all(|o| o["status"] != json!("placed")), "the failed checkout placed nothing: {orders}");
        assert_eq!(balances(app, customer).await, (10_000, 10_000));
        assert_eq!(stock(app, &m.milk).await, 10, "stock taken by the failed checkout came back");
        let _ = &m.operator;
    })
    .await;
}

#[tokio::test]
async fn ledger_verify_finds_orders_that_disagree_with_their_holds() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let customer = &m.customer;
        add(app, customer, &m.milk, 2).await;
        add(app, customer, &m.bread, 1).await;
        let body = json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.mart.id), pickup(&m.bakery.id)]});
        let (status, placed) = checkout(app, customer, "verify-1", body).await;
        assert_eq!(status, 201, "{placed}");
        let id_of = |shop: &Shop| {
            placed.as_array().unwrap().iter().find(|o| o["seller_id"] == json!(shop.id)).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let mart_path = format!("/merchant/orders/{}", id_of(&m.mart));
        order_move(app, &m.mart.owner, &format!("{mart_path}/accept"), json!({"ready_minutes": 5})).await;
        order_move(app, &m.mart.owner, &format!("{mart_path}/ready"), json!({})).await;
        let code = code_of(app, customer, &id_of(&m.mart)).await;
        let (status, done) =
            order_move(app, &m.mart.owner, &format!("{mart_path}/hand-over"), json!({"code": code})).await;
        assert_eq!((status, done["status"].as_str()), (200, Some("completed")), "{done}");
        let bakery_path = format!("/merchant/orders/{}", id_of(&m.bakery));
        let (status, _) =
            order_move(app, &m.bakery.owner, &format!("{bakery_path}/reject"), json!({"reason": "closed early"})).await;
        assert_eq!(status, 200);

        let verify = [app.storage.cli_args(), vec!["ledger".into(), "verify".into()]].concat();
        let (clean, stdout, stderr) = crate::harness::run_quipu(&verify, &[]);
        assert!(clean && stdout.contains("market orders 2"), "{stdout}{stderr}");
        let cases = [
            (
                "UPDATE orders SET captured = captured - 1 WHERE status = 'completed'",
                "UPDATE orders SET captured = captured + 1 WHERE status = 'completed'",
                "has a transfer of the wrong amount or currency",
            ),
            (
                "UPDATE orders SET fee = 0 WHERE status = 'completed'",
                "UPDATE orders SET fee = 6 WHERE status = 'completed'",
                "has a transfer of the wrong amount or currency",
            ),
            (
                "UPDATE orders SET status = 'completed' WHERE status = 'rejected'",
                "UPDATE orders SET status = 'rejected' WHERE status = 'completed' AND captured = 0",
                "is completed but its hold was not captured",
            ),
            (
                "UPDATE orders SET held = held + 100 WHERE status = 'rejected'",
                "UPDATE orders SET held = held - 100 WHERE status = 'rejected'",
                "has a transfer of the wrong amount or currency",
            ),
        ];
        for (change, repair, expected) in cases {
            app.storage.execute(change).await;
            let (clean, stdout, _) = crate::harness::run_quipu(&verify, &[]);
            assert!(!clean, "verify must fail after: {change}");
            assert!(stdout.contains(expected), "after {change}, expected {expected:?} in: {stdout}");
            app.storage.execute(repair).await;
            let (clean, stdout, stderr) = crate::harness::run_quipu(&verify, &[]);
            assert!(clean, "repaired after {change}: {stdout}{stderr}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_card_pays_an_order_and_options_limits_and_cards_are_refused_clearly() {
    let mut config = crate::harness::test_config();
    let usd = config.settings.currencies.get("USD").unwrap();
    let basic = quipu_domain::limits::TierLimits {
        per_payment: Some(usd.parse_amount("15.00").unwrap()),
        per_day: Some(usd.parse_amount("20.00").unwrap()),
        max_balance: Some(usd.parse_amount("100.00").unwrap()),
    };
    config.settings.tier_limits.insert((quipu_domain::limits::CustomerTier::Basic, usd.code), basic);
    crate::harness::on_each_backend_with(config, async |app| {
        let m = market(app).await;
        let customer = &m.customer;
        let pickup_at_mart = || json!([pickup(&m.mart.id)]);

        // Options: a required single choice and an optional pick of at most two.
        let bowl = product(app, &m.mart, json!({"name_en": "Bibimbap", "category": "meals", "price": "8.00", "unit": "each",
            "option_groups": [
                {"name_en": "Size", "min": 1, "max": 1, "options": [{"name_en": "Regular", "extra": "0.00"}, {"name_en": "Large", "extra": "1.00"}]},
                {"name_en": "Toppings", "min": 0, "max": 2, "options": [{"name_en": "Egg", "extra": "0.50"}, {"name_en": "Tofu", "extra": "0.50"}, {"name_en": "Kimchi", "extra": "0.50"}]}
            ]})).await;
        let with = |choices: Value| json!({"product_id": bowl, "quantity": 1, "choices": choices});
        for (choices, why) in [
            (json!([]), "the size is required"),
            (json!([{"group": 0, "option": 0}, {"group": 0, "option": 1}]), "one size only"),
            (json!([{"group": 0, "option": 0}, {"group": 1, "option": 0}, {"group": 1, "option": 1}, {"group": 1, "option": 2}]), "two toppings at most"),
            (json!([{"group": 0, "option": 7}]), "no such size"),
            (json!([{"group": 4, "option": 0}]), "no such group"),
        ] {
            let (status, refused) = app.post("/me/cart/lines", Some(&customer.token), with(choices)).await;
            assert_eq!((status, refused["code"].as_str()), (422, Some("choices_invalid")), "{why}: {refused}");
        }
        let (_, cart) = app.get("/me/cart", &customer.token).await;
        assert_eq!(cart["groups"], json!([]), "nothing was added");
        let large_with_egg = json!([{"group": 0, "option": 1}, {"group": 1, "option": 0}]);
        let (status, cart) = app.post("/me/cart/lines", Some(&customer.token), with(large_with_egg)).await;
        assert_eq!((status, cart["total"]["amount"].as_str()), (200, Some("9.50")), "{cart}");

        // Tier limits count an order as a payment: above the per-payment limit (a kilo of beef is
        // held with its 10% margin, 22.00), then past the day's limit with an order's hold counted.
        add(app, customer, &m.beef, 1).await;
        let body = json!({"payment": wallet("1234"), "fulfilments": pickup_at_mart()});
        let (status, refused) = checkout(app, customer, "over-one", body).await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("payment_limit")), "{refused}");
        assert_eq!(balances(app, customer).await, (10_000, 10_000), "nothing held");
        let (_, cart) = app.get("/me/cart", &customer.token).await;
        let beef_line = cart["groups"][0]["lines"].as_array().unwrap().iter().find(|line| line["product_id"] == json!(m.beef)).unwrap()["id"].as_str().unwrap().to_owned();
        app.request(Method::PUT, &format!("/me/cart/lines/{beef_line}"), Some(&customer.token), None, Some(json!({"quantity": 0}))).await;
        let body = json!({"payment": wallet("1234"), "fulfilments": pickup_at_mart()});
        add(app, customer, &m.milk, 3).await;
        let (status, first) = checkout(app, customer, "bowl", body).await;
        assert_eq!((status, first[0]["total"]["amount"].as_str()), (201, Some("14.00")), "{first}");
        let bowl_line = first[0]["lines"].as_array().unwrap().iter().find(|line| line["name_en"] == json!("Bibimbap")).unwrap();
        assert_eq!(bowl_line["options"].as_str(), Some("Large, Egg"), "{first}");
        add(app, customer, &m.milk, 7).await;
        let body = json!({"payment": wallet("1234"), "fulfilments": pickup_at_mart()});
        let (status, refused) = checkout(app, customer, "past-the-day", body).await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("daily_limit")), "14.00 held + 10.50 > 20.00: {refused}");
        assert_eq!(balances(app, customer).await, (10_000, 10_000 - 1400));
        assert_eq!(stock(app, &m.milk).await, 7, "no stock taken by a refused checkout");

        // A prepaid card pays instead: its PIN, its status, its balance.
        let agent = app.agent(&m.operator, "+15550330009", "100.00").await;
        let (status, card) = app.post_key("/agent/cards", &agent.token, "order-card", json!({"pin": "4321"})).await;
        assert_eq!(status, 201, "{card}");
        let number = card["number"].as_str().unwrap().to_owned();
        let top_up = json!({"number": number, "amount": "20.00"});
        let (status, body) = app.post_key("/agent/cards/top-up", &agent.token, "order-card-top-up", top_up).await;
        assert_eq!(status, 201, "{body}");
        let by_card = |pin: &str, number: Option<&str>| {
            let mut payment = json!({"method": "card", "pin": pin});
            if let Some(number) = number {
                payment["card_number"] = json!(number);
            }
            json!({"payment": payment, "fulfilments": pickup_at_mart()})
        };
        let (_, cart) = app.get("/me/cart", &customer.token).await;
        let milk_line = cart["groups"][0]["lines"][0]["id"].as_str().unwrap().to_owned();
        app.request(Method::PUT, &format!("/me/cart/lines/{milk_line}"), Some(&customer.token), None, Some(json!({"quantity": 2}))).await;
        let (status, refused) = checkout(app, customer, "card-no-number", by_card("4321", None)).await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("card_number_missing")), "{refused}");
        let (status, refused) = checkout(app, customer, "card-wrong-pin", by_card("0000", Some(&number))).await;
        assert_eq!((status, refused["code"].as_str()), (403, Some("wrong_pin")), "{refused}");
        let (status, paid) = checkout(app, customer, "card", by_card("4321", Some(&number))).await;
        assert_eq!((status, paid[0]["payment"].as_str(), paid[0]["held"]["amount"].as_str()), (201, Some("card"), Some("3.00")), "{paid}");
        assert_eq!(balances(app, customer).await, (10_000, 10_000 - 1400), "the wallet is not touched");
        let order = paid[0]["id"].as_str().unwrap();
        let code = code_of(app, customer, order).await;
        for step in ["accept", "ready", "hand-over"] {
            let body = match step {
                "accept" => json!({"ready_minutes": 5}),
                "hand-over" => json!({"code": code}),
                _ => json!({}),
            };
            let (status, moved) = order_move(app, &m.mart.owner, &format!("/merchant/orders/{order}/{step}"), body).await;
            assert_eq!(status, 200, "{step}: {moved}");
        }
        let (status, balance) = app.post("/cards/balance", None, json!({"number": number, "pin": "4321"})).await;
        assert_eq!((status, balance["balance"]["amount"].as_str()), (200, Some("17.00")), "{balance}");

        // A blocked card pays nothing.
        let (status, blocked) = app.post("/agent/cards/block", Some(&agent.token), json!({"number": number})).await;
        assert_eq!(status, 200, "{blocked}");
        add(app, customer, &m.milk, 1).await;
        let (status, refused) = checkout(app, customer, "card-blocked", by_card("4321", Some(&number))).await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("card_blocked")), "{refused}");
    })
    .await;
}

/// The process stopped after a checkout's orders were written (`paying`, stock taken) and before
/// their money was held: housekeeping finishes the checkout a minute later, holding the money and
/// placing the order, or, when the money is not there any more, failing it and giving the stock
/// back. `ledger verify` (run after the story) finds every order agreeing with its hold.
#[tokio::test]
async fn a_checkout_cut_short_between_its_orders_and_its_holds_is_finished_by_housekeeping() {
    use quipu_domain::market::checkout::{CheckoutId, order_id};
    use quipu_domain::market::order::OrderStatus;

    on_each_backend(async |app| {
        let m = market(app).await;
        let customer = &m.customer;
        add(app, customer, &m.bread, 1).await;
        let (status, placed) = checkout(
            app,
            customer,
            "template",
            json!({"payment": wallet("1234"), "fulfilments": [pickup(&m.bakery.id)]}),
        )
        .await;
        assert_eq!(status, 201, "{placed}");
        let store = &app.storage.store;
        let id = quipu_domain::market::checkout::OrderId(placed[0]["id"].as_str().unwrap().parse().unwrap());
        let template = store.order(id).await.unwrap().unwrap();
        let cut_short = |held: i64| {
            let checkout = CheckoutId(uuid::Uuid::now_v7());
            quipu_core::store::orders::OrderRecord {
                id: order_id(checkout, template.seller),
                checkout,
                status: OrderStatus::Paying,
                held: quipu_domain::Amount::from_minor(held),
                ..template.clone()
            }
        };
        assert_eq!((balances(app, customer).await, stock(app, &m.bread).await), ((10_000, 9_700), 1));

        // Written, then the process stopped: stock is taken, nothing is held yet.
        let stopped = cut_short(300);
        assert!(matches!(
            store.place_orders(std::slice::from_ref(&stopped), &[], &[]).await.unwrap(),
            quipu_core::store::orders::Placing::Written
        ));
        assert_eq!((balances(app, customer).await, stock(app, &m.bread).await), ((10_000, 9_700), 0));
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        assert_eq!(store.order(stopped.id).await.unwrap().unwrap().status, OrderStatus::Paying, "a minute's grace");
        app.clock.advance_seconds(61);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, finished) = app.get(&format!("/me/orders/{}", stopped.id.0), &customer.token).await;
        assert_eq!(finished["status"].as_str(), Some("placed"), "{finished}");
        assert_eq!(balances(app, customer).await, (10_000, 9_400), "held once, by housekeeping");

        // Cut short again, but the money is no longer there: it fails and the stock comes back.
        let (status, body) = app
            .post(
                "/merchant/catalog/bulk",
                Some(&m.bakery.owner),
                json!({"changes": [{"product_id": m.bread, "stock": 1}]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let unpayable = cut_short(1_000_000);
        store.place_orders(std::slice::from_ref(&unpayable), &[], &[]).await.unwrap();
        assert_eq!(stock(app, &m.bread).await, 0);
        app.clock.advance_seconds(61);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, failed) = app.get(&format!("/me/orders/{}", unpayable.id.0), &customer.token).await;
        assert_eq!(failed["status"].as_str(), Some("failed"), "{failed}");
        assert_eq!((balances(app, customer).await, stock(app, &m.bread).await), ((10_000, 9_400), 1));
    })
    .await;
}
