//! Delivery stories share: couriers the operator signs up, and a delivery order from the market's
//! mart accepted by the shop (so a job is offered).

use serde_json::{Value, json};

use crate::market::{Market, add, checkout, wallet};
use crate::{Api, Person};

/// A courier signed up by `operator`, working as `how` says (vehicle, area, shop), signed in.
/// Password `courier-password`, PIN 4321.
pub async fn courier(app: &Api, operator: &str, phone: &str, how: Value) -> Person {
    let mut body = json!({"phone": phone, "full_name": "Test Courier", "password": "courier-password", "pin": "4321"});
    if let (Some(body), Some(how)) = (body.as_object_mut(), how.as_object()) {
        body.extend(how.clone());
    }
    let (status, created) = app.post("/operator/couriers", Some(operator), body).await;
    assert_eq!(status, 201, "sign up courier {phone}: {created}");
    Person {
        token: app.login(phone, "courier-password").await,
        id: created["user"]["id"].as_str().unwrap().to_owned(),
        account: created["accounts"][0]["id"].as_str().unwrap().to_owned(),
        phone: phone.to_owned(),
    }
}

/// The courier goes online or offline.
pub async fn set_online(app: &Api, courier: &Person, online: bool) {
    let (status, body) = crate::market::put(app, "/courier/status", &courier.token, json!({"online": online})).await;
    assert_eq!(status, 200, "{body}");
}

/// Two milks from the mart (its minimum for delivery is 2.00), delivered to a door (37.5563,
/// 126.922) in the market's area, checked out with `key` and accepted by
/// the mart: returns the order's id.
pub async fn accepted_delivery(app: &Api, m: &Market, key: &str) -> String {
    let (status, cart) = add(app, &m.customer, &m.milk, 2).await;
    assert_eq!(status, 200, "{cart}");
    let fulfilment = json!({"seller_id": m.mart.id, "kind": "delivery", "area_id": m.area, "address": "Building 3, flat 402",
        "latitude": 37.5563, "longitude": 126.922});
    let (status, orders) =
        checkout(app, &m.customer, key, json!({"payment": wallet("1234"), "fulfilments": [fulfilment]})).await;
    assert_eq!(status, 201, "{orders}");
    let order = orders[0]["id"].as_str().unwrap().to_owned();
    let (status, body) = app
        .post(&format!("/merchant/orders/{order}/accept"), Some(&m.mart.cashier), json!({"ready_minutes": 10}))
        .await;
    assert_eq!(status, 200, "{body}");
    order
}

/// A courier signed up with `phone` (on a motorbike, in the market's area) goes online, claims
/// the order's job, reaches the shop and picks the goods up (the mart marks the order ready
/// first). Returns the courier and the job's id.
pub async fn picked_up(app: &Api, m: &Market, order: &str, phone: &str) -> (Person, String) {
    let rider = courier(app, &m.operator, phone, json!({"vehicle": "motorbike", "home_area_id": m.area})).await;
    set_online(app, &rider, true).await;
    let (status, job) = app.get(&format!("/merchant/orders/{order}/delivery"), &m.mart.cashier).await;
    assert_eq!(status, 200, "{job}");
    let job = job["id"].as_str().unwrap().to_owned();
    let (status, body) = app.post(&format!("/courier/jobs/{job}/claim"), Some(&rider.token), json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (_, seen) = app.get(&format!("/merchant/orders/{order}"), &m.mart.cashier).await;
    if seen["status"] != "ready" {
        let (status, body) =
            app.post(&format!("/merchant/orders/{order}/ready"), Some(&m.mart.cashier), json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    for to in ["at_pickup", "picked_up"] {
        let (status, body) = step(app, &rider, &job, to, None).await;
        assert_eq!(status, 200, "{to}: {body}");
    }
    (rider, job)
}

/// The courier's step on their job.
pub async fn step(app: &Api, courier: &Person, job: &str, to: &str, reason: Option<&str>) -> (u16, Value) {
    app.post(&format!("/courier/jobs/{job}/step"), Some(&courier.token), json!({"to": to, "reason": reason})).await
}

/// The courier hands the goods over with `code` (typed at `typed_at`, if their phone had no signal).
pub async fn deliver(app: &Api, courier: &Person, job: &str, code: &str, typed_at: Option<&str>) -> (u16, Value) {
    let mut body = json!({"code": code});
    if let Some(at) = typed_at {
        body["typed_at"] = json!(at);
    }
    app.post(&format!("/courier/jobs/{job}/deliver"), Some(&courier.token), body).await
}
