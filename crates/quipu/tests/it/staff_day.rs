//! The till's day report (issue 19): each person's takings and refunds on the shop's day. A cashier
//! sees only their own; the owner sees everyone's, and the people's takings add up to the shop's
//! summary. A merchant QR's payment counts for whoever asked for it, not for the paying customer; the
//! printed QR, which no one at the till asked for, has its own line.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, on_each_backend};
use crate::harness::{enroll, shop};
use crate::web_time::page;

/// The day's line in `currency` of the person (or line) of `kind` named `name`.
fn line<'a>(day: &'a Value, kind: &str, name: Option<&str>, currency: &str) -> &'a Value {
    let people = day["people"].as_array().unwrap();
    let person = people
        .iter()
        .find(|p| p["kind"] == kind && p["name"].as_str() == name)
        .unwrap_or_else(|| panic!("no {kind} {name:?} in {day}"));
    person["currencies"].as_array().unwrap().iter().find(|c| c["currency"] == currency).unwrap()
}

fn method(line: &Value, name: &str) -> (i64, String) {
    let found = line["by_method"].as_array().unwrap().iter().find(|m| m["method"] == name).unwrap();
    (found["payments"].as_i64().unwrap(), found["gross"]["amount"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_cashier_closes_their_own_day_and_the_owner_sees_everyones() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550920001", "500.00").await;
        let amina = app.customer("+15550920002").await;
        app.cash_in(&agent, &amina.phone, "200.00").await;
        let phone = enroll(app, &amina).await;
        let shop = shop(app, &operator, "Day Shop", 92, 100).await;
        let (status, body) = app
            .request(
                Method::PUT,
                "/merchant/profile",
                Some(&shop.owner),
                None,
                Some(json!({"city": "Lima", "category_code": "5411"})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let policy = json!({"cashiers_may_refund": true});
        let (status, body) =
            app.request(Method::PUT, "/merchant/refund-policy", Some(&shop.owner), None, Some(policy)).await;
        assert_eq!(status, 200, "{body}");
        let bea = json!({"phone": "+15550920003", "full_name": "Bea Quispe", "password": "cashier-password"});
        let (status, body) = app.post("/merchant/cashiers", Some(&shop.owner), bea).await;
        assert_eq!(status, 201, "{body}");
        let bea = app.login("+15550920003", "cashier-password").await;

        // The first cashier takes a payment code and a QR for a sale; Bea takes a payment code.
        let charge = json!({"code": phone.code(app, 1), "amount": "10.00"});
        let (status, body) = app.post_key("/merchant/charges", &shop.cashier, "c-1", charge).await;
        assert_eq!(status, 201, "{body}");
        let sale = json!({"amount": "12.40", "reference": "Order 7"});
        let (status, request) = app.post_key("/merchant/payment-requests", &shop.cashier, "q-1", sale).await;
        assert_eq!(status, 201, "{request}");
        let paid = json!({"payload": request["payload"], "pin": "1234"});
        let (status, body) = app.post_key("/me/payments", &amina.token, "q-1", paid).await;
        assert_eq!(status, 201, "{body}");
        let charge = json!({"code": phone.code(app, 2), "amount": "5.00"});
        let (status, beas) = app.post_key("/merchant/charges", &bea, "c-2", charge).await;
        assert_eq!(status, 201, "{beas}");
        // Amina pays the shop's printed QR with no one at the till asking.
        let (status, qr) = app.get("/merchant/qr", &shop.owner).await;
        assert_eq!(status, 200, "{qr}");
        let printed = json!({"payload": qr["payload"], "amount": "3.00", "pin": "1234"});
        let (status, body) = app.post_key("/me/payments", &amina.token, "p-1", printed).await;
        assert_eq!(status, 201, "{body}");
        // The first cashier refunds part of Bea's sale: the refund is theirs, the sale stays Bea's.
        let refunds = format!("/merchant/payments/{}/refunds", beas["id"].as_str().unwrap());
        let refund = json!({"amount": "4.00", "reason": "wrong size"});
        let (status, body) = app.post_key(&refunds, &shop.cashier, "r-1", refund).await;
        assert_eq!(status, 201, "{body}");

        // The cashier's own day, and nobody else's.
        let (status, mine) = app.get("/merchant/staff-summary", &shop.cashier).await;
        assert_eq!((status, &mine["own_only"]), (200, &json!(true)), "{mine}");
        assert_eq!(mine["people"].as_array().unwrap().len(), 1, "{mine}");
        let usd = line(&mine, "staff", Some("Cashier"), "USD");
        assert_eq!((usd["payments"].as_i64(), usd["gross"]["amount"].as_str()), (Some(2), Some("22.40")), "{usd}");
        assert_eq!(method(usd, "payment_code"), (1, "10.00".to_owned()));
        assert_eq!(method(usd, "merchant_qr"), (1, "12.40".to_owned()), "a QR for a sale is its asker's");
        assert_eq!((usd["refunds"].as_i64(), usd["refunded"]["amount"].as_str()), (Some(1), Some("4.00")));
        assert_eq!(usd["net"]["amount"], "18.40");
        let (status, hers) = app.get("/merchant/staff-summary", &bea).await;
        assert_eq!((status, hers["people"].as_array().unwrap().len()), (200, 1), "{hers}");
        let usd = line(&hers, "staff", Some("Bea Quispe"), "USD");
        assert_eq!((usd["gross"]["amount"].as_str(), usd["refunds"].as_i64()), (Some("5.00"), Some(0)), "{usd}");

        // The owner's: everyone, the printed QR last; together they are the shop's summary.
        let (status, all) = app.get("/merchant/staff-summary", &shop.owner).await;
        assert_eq!((status, &all["own_only"]), (200, &json!(false)), "{all}");
        let kinds: Vec<(&str, Option<&str>)> = all["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["kind"].as_str().unwrap(), p["name"].as_str()))
            .collect();
        assert_eq!(kinds, [("staff", Some("Bea Quispe")), ("staff", Some("Cashier")), ("printed_qr", None)]);
        assert_eq!(line(&all, "printed_qr", None, "USD")["gross"]["amount"], "3.00");
        let (status, summary) = app.get("/merchant/summary", &shop.owner).await;
        assert_eq!(status, 200, "{summary}");
        let shop_usd = summary["currencies"].as_array().unwrap().iter().find(|c| c["currency"] == "USD").unwrap();
        let people = all["people"].as_array().unwrap().iter().flat_map(|p| p["currencies"].as_array().unwrap());
        let (mut payments, mut gross, mut refunded) = (0, 0, 0);
        for usd in people.filter(|c| c["currency"] == "USD") {
            payments += usd["payments"].as_i64().unwrap();
            gross += usd["gross"]["minor_units"].as_i64().unwrap();
            refunded += usd["refunded"]["minor_units"].as_i64().unwrap();
        }
        assert_eq!(
            (payments, gross, refunded),
            (
                shop_usd["payments"].as_i64().unwrap(),
                shop_usd["gross"]["minor_units"].as_i64().unwrap(),
                shop_usd["refunds"]["minor_units"].as_i64().unwrap()
            ),
            "{summary}"
        );

        // Another day has nothing; a day that is no date, a customer and an agent are refused.
        let (status, before) = app.get("/merchant/staff-summary?date=2026-01-02", &shop.owner).await;
        assert_eq!((status, before["people"].as_array().map(Vec::len)), (200, Some(0)), "{before}");
        let (status, body) = app.get("/merchant/staff-summary?date=2026-02-30", &shop.owner).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_date")), "{body}");
        let (status, _) = app.get("/merchant/staff-summary", &amina.token).await;
        assert_eq!(status, 403);
        let (status, _) = app.get("/merchant/staff-summary", &agent.token).await;
        assert_eq!(status, 403);

        // The till's page says the same, in the person's language, and a cashier's names no one else.
        let till = page(app, "/till/report", &shop.cashier).await;
        assert!(till.contains("22.40 USD") && till.contains("18.40 USD"), "{till}");
        assert!(!till.contains("Bea Quispe") && !till.contains("3.00 USD"), "{till}");
        let owners = page(app, "/till/report", &shop.owner).await;
        assert!(owners.contains("Bea Quispe") && owners.contains("printed QR"), "{owners}");
        assert!(page(app, "/till/", &shop.cashier).await.contains("href=\"/till/report\""));
    })
    .await;
}
