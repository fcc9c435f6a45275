//! Agents' commissions reward net new money, over real HTTP on every backend (issue 18, item 6):
//! money cycled in and out at one agent earns once, a card earns its issue commission only once
//! it is loaded, and an agent's commissions stop at the daily cap, also under parallel operations.

use reqwest::Method;
use serde_json::{Value, json};

use crate::cards::{issue, top_up};
use crate::harness::{Person, TestApp, on_each_backend, on_each_backend_with, test_config};
use crate::harness::{charge, enroll, shop};

/// What an agent's commissions have paid in all, in minor units of the default currency.
async fn earned(app: &TestApp, agent: &Person) -> i64 {
    let (status, earnings) = app.get("/agent/commissions", &agent.token).await;
    assert_eq!(status, 200, "{earnings}");
    let total = earnings["totals"][0]["earned"]["minor_units"].as_i64();
    total.unwrap_or_else(|| panic!("no total in {earnings}"))
}

async fn set_commission(app: &TestApp, operator: &str, operation: &str, body: Value) {
    let path = format!("/operator/commissions/{operation}");
    let (status, body) = app.request(Method::PUT, &path, Some(operator), None, Some(body)).await;
    assert_eq!(status, 200, "{body}");
}

/// Earns the network `payments` × 2.00 of fee income: 20.00 payments at a shop charging 10%.
async fn fee_income(app: &TestApp, operator: &str, payer: &Person, suffix: u32, payments: u8) {
    let shop = shop(app, operator, "Fee Shop", suffix, 1_000).await;
    let phone = enroll(app, payer).await;
    for slot in 0..payments {
        let (status, paid) = charge(app, &shop.cashier, &format!("fee-{slot}"), &phone.code(app, slot), "20.00").await;
        assert_eq!(status, 201, "{paid}");
    }
}

async fn cash_out(app: &TestApp, agent: &Person, key: &str, customer: &Person, amount: &str) {
    let body = json!({"customer_phone": customer.phone, "amount": amount, "customer_pin": "1234"});
    let (status, out) = app.post_key("/agent/cash-out", &agent.token, key, body).await;
    assert_eq!(status, 201, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn money_cycled_in_and_out_at_one_agent_earns_one_commission() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550130001", "500.00").await;
        let payer = app.customer("+15550130002").await;
        let accomplice = app.customer("+15550130003").await;
        app.cash_in(&agent, &payer.phone, "100.00").await;
        fee_income(app, &operator, &payer, 301, 3).await;
        set_commission(app, &operator, "cash_in", json!({"fixed": "0.10"})).await;
        set_commission(app, &operator, "cash_out", json!({"fixed": "0.10"})).await;

        // 20 cycles of about 1.00 in and out: the first cash-in is new money, nothing after it is.
        for cycle in 0..20 {
            let amount = format!("1.{:02}", 20 - cycle);
            let body = json!({"customer_phone": accomplice.phone, "amount": amount});
            let (status, cashed) = app.post_key("/agent/cash-in", &agent.token, &format!("in-{cycle}"), body).await;
            assert_eq!(status, 201, "{cashed}");
            cash_out(app, &agent, &format!("out-{cycle}"), &accomplice, "1.00").await;
        }
        assert_eq!(earned(app, &agent).await, 10, "at most one operation's commission");

        // Another customer's new money still earns; after the window, a cash-out earns again.
        app.cash_in(&agent, &payer.phone, "5.00").await;
        assert_eq!(earned(app, &agent).await, 20);
        app.clock.advance_seconds(25 * 3600);
        cash_out(app, &agent, "out-late", &accomplice, "1.00").await;
        assert_eq!(earned(app, &agent).await, 30);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_earns_its_issue_commission_once_it_is_loaded() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let issuer = app.agent(&operator, "+15550130101", "500.00").await;
        let other = app.agent(&operator, "+15550130102", "500.00").await;
        let payer = app.customer("+15550130103").await;
        app.cash_in(&issuer, &payer.phone, "100.00").await;
        fee_income(app, &operator, &payer, 302, 4).await;
        set_commission(app, &operator, "card_issue", json!({"fixed": "0.25"})).await;

        // Twenty empty cards earn nothing.
        let mut cards = Vec::new();
        for n in 0..20 {
            cards.push(issue(app, &issuer, &format!("card-{n}"), None, "2580").await);
        }
        assert_eq!(earned(app, &issuer).await, 0, "an empty card earns nothing");

        // Loaded (here by another agent), a card earns its issuer the commission, once.
        let (status, topped) = top_up(app, &other, "top-1", &cards[0].number, "5.00").await;
        assert_eq!(status, 201, "{topped}");
        assert_eq!(earned(app, &issuer).await, 25);
        assert_eq!(earned(app, &other).await, 0, "the commission is the issuer's");
        let (status, topped) = top_up(app, &issuer, "top-2", &cards[0].number, "5.00").await;
        assert_eq!(status, 201, "{topped}");
        assert_eq!(earned(app, &issuer).await, 25, "a card's issue earns once");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agents_commissions_stop_at_the_daily_cap() {
    let mut config = test_config();
    let usd = config.settings.currencies.get("USD").unwrap().code;
    config.settings.commissions.daily_caps.insert(usd, quipu_domain::money::Amount::from_minor(1_00));
    on_each_backend_with(config, async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550130201", "900.00").await;
        let payer = app.customer("+15550130202").await;
        let saver = app.customer("+15550130203").await;
        app.cash_in(&agent, &payer.phone, "100.00").await;
        fee_income(app, &operator, &payer, 303, 4).await;
        set_commission(app, &operator, "cash_in", json!({"fixed": "0.30"})).await;

        // Twelve cash-ins at once, each earning 0.30: together never past the day's 1.00.
        let mut cash_ins = tokio::task::JoinSet::new();
        for n in 0..12 {
            let api = crate::harness::Api { api: app.api.clone(), client: app.client.clone() };
            let (token, phone) = (agent.token.clone(), saver.phone.clone());
            cash_ins.spawn(async move {
                let body = json!({"customer_phone": phone, "amount": "10.00"});
                api.post_key("/agent/cash-in", &token, &format!("cap-{n}"), body).await.0
            });
        }
        assert!(cash_ins.join_all().await.iter().all(|status| *status == 201));
        assert_eq!(earned(app, &agent).await, 1_00, "the daily cap holds");
        app.cash_in(&agent, &saver.phone, "10.00").await;
        assert_eq!(earned(app, &agent).await, 1_00);

        // The next day, commissions are paid again.
        app.clock.advance_seconds(24 * 3600);
        app.cash_in(&agent, &saver.phone, "10.00").await;
        assert_eq!(earned(app, &agent).await, 1_30);
    })
    .await;
}
