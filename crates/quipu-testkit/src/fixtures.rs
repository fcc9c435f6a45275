//! Fixtures many stories share: a shop with its owner and a cashier, a customer's enrolled phone
//! and the payment codes it shows, a charge at a till, a merchant's balance.

use quipu_codes::numeric;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{Api, Person, TestApp};

/// A shop: its id, its owner's token and a cashier's token.
pub struct Shop {
    pub id: String,
    pub owner: String,
    pub cashier: String,
}

/// A customer's enrolled phone: what the app keeps.
pub struct Phone {
    pub id: String,
    pub secret: Vec<u8>,
    pub device_ref: u32,
}

pub async fn shop(app: &Api, operator: &str, name: &str, phone_suffix: u32, fee_bps: u32) -> Shop {
    let owner_phone = format!("+1555070{phone_suffix:04}");
    let (status, merchant) = app
        .post(
            "/operator/merchants",
            Some(operator),
            json!({"name": name, "owner_phone": owner_phone, "owner_full_name": "Owner", "owner_password": "owner-password"}),
        )
        .await;
    assert_eq!(status, 201, "{merchant}");
    let id = merchant["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .request(
            Method::PUT,
            &format!("/operator/merchants/{id}/fee"),
            Some(operator),
            None,
            Some(json!({"fee_bps": fee_bps})),
        )
        .await;
    assert_eq!((status, &body["fee_bps"], &body["merchant_id"]), (200, &json!(fee_bps), &json!(id)), "{body}");
    let owner = app.login(&owner_phone, "owner-password").await;
    let cashier_phone = format!("+1555071{phone_suffix:04}");
    let (status, body) = app
        .post(
            "/merchant/cashiers",
            Some(&owner),
            json!({"phone": cashier_phone, "full_name": "Cashier", "password": "cashier-password"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let cashier = app.login(&cashier_phone, "cashier-password").await;
    Shop { id, owner, cashier }
}

pub async fn enroll(app: &TestApp, customer: &Person) -> Phone {
    let (status, body) =
        app.post("/me/devices", Some(&customer.token), json!({"label": "my phone", "pin": "1234"})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["step_seconds"], 60);
    Phone {
        id: body["device"]["id"].as_str().unwrap().to_owned(),
        secret: hex::decode(body["secret_hex"].as_str().unwrap()).unwrap(),
        device_ref: body["device"]["device_ref"].as_str().unwrap().parse().unwrap(),
    }
}

impl Phone {
    /// The code the app shows now (by the server's clock, which tests move), in a slot.
    pub fn code(&self, app: &TestApp, slot: u8) -> String {
        self.code_at(app, 0, slot)
    }

    /// The code the app shows `seconds_from_now` (negative: in the past), in a slot.
    pub fn code_at(&self, app: &TestApp, seconds_from_now: i64, slot: u8) -> String {
        let now = clock_now_seconds(app) + seconds_from_now;
        numeric::generate(&self.secret, self.device_ref, now, slot).unwrap().to_digits().unwrap()
    }
}

fn clock_now_seconds(app: &TestApp) -> i64 {
    use quipu_core::Clock;
    app.clock.now().0 / 1_000_000
}

pub async fn charge(app: &TestApp, till: &str, key: &str, code: &str, amount: &str) -> (u16, Value) {
    app.post_key("/merchant/charges", till, key, json!({"code": code, "amount": amount, "reference": "receipt 7"}))
        .await
}

pub async fn merchant_balance(app: &TestApp, owner: &str) -> i64 {
    let (status, merchant) = app.get("/merchant", owner).await;
    assert_eq!(status, 200, "{merchant}");
    merchant["accounts"][0]["balance"]["minor_units"].as_i64().unwrap()
}
