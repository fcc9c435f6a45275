//! The market stories share: two grocery sellers delivering to one area (a mart with milk and
//! beef, a bakery with bread), a customer with money, and the steps from a cart to an order
//! handed over.

use reqwest::Method;
use serde_json::{Value, json};

use crate::{Api, Person, Shop, TestApp, shop};

pub struct Market {
    pub operator: String,
    pub area: String,
    pub mart: Shop,
    pub bakery: Shop,
    /// 1.50 each, 10 counted.
    pub milk: String,
    /// 20.00 a kg, not counted.
    pub beef: String,
    /// 3.00 each, 2 counted.
    pub bread: String,
    /// 100.00 in their wallet, PIN 1234.
    pub customer: Person,
}

pub async fn put(app: &Api, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.request(Method::PUT, path, Some(token), None, Some(body)).await
}

/// The operator enables a shop as a seller of `kind`, open all week, delivering to `area`.
pub async fn seller(app: &Api, operator: &str, shop: &Shop, area: &str, kind: &str) {
    let (status, body) =
        put(app, &format!("/operator/merchants/{}/seller", shop.id), operator, json!({"kind": kind})).await;
    assert_eq!(status, 200, "{body}");
    let hours = json!([
        "00:00-24:00",
        "00:00-24:00",
        "00:00-24:00",
        "00:00-24:00",
        "00:00-24:00",
        "00:00-24:00",
        "00:00-24:00"
    ]);
    let storefront = json!({"address": "Mapo-gu", "hours": hours, "accepting": true, "preparation_minutes": 15, "pickup": true,
        "areas": [{"area_id": area, "terms": {"fee": "3.00", "minimum_order": "2.00", "free_from": "100.00"}}]});
    let (status, body) = put(app, "/merchant/storefront", &shop.owner, storefront).await;
    assert_eq!(status, 200, "{body}");
}

pub async fn product(app: &Api, shop: &Shop, body: Value) -> String {
    let (status, product) = app.post("/merchant/products", Some(&shop.owner), body).await;
    assert_eq!(status, 201, "{product}");
    product["id"].as_str().unwrap().to_owned()
}

pub async fn market(app: &TestApp) -> Market {
    let operator = app.operator().await;
    let (status, area) = app.post("/operator/market/areas", Some(&operator), json!({"name": "Mapo"})).await;
    assert_eq!(status, 201, "{area}");
    let area = area["id"].as_str().unwrap().to_owned();
    let mart = shop(app, &operator, "Mapo Mart", 31, 200).await;
    let bakery = shop(app, &operator, "Corner Bakery", 32, 0).await;
    seller(app, &operator, &mart, &area, "grocery").await;
    seller(app, &operator, &bakery, &area, "grocery").await;
    let milk = product(
        app,
        &mart,
        json!({"name_ko": "흰우유 1L", "category": "dairy", "price": "1.50", "unit": "each", "stock": 10}),
    )
    .await;
    let beef = product(
        app,
        &mart,
        json!({"name_ko": "소고기", "name_en": "Beef", "category": "meat", "price": "20.00", "unit": "kg"}),
    )
    .await;
    let bread = product(
        app,
        &bakery,
        json!({"name_ko": "우유식빵", "category": "bread", "price": "3.00", "unit": "each", "stock": 2}),
    )
    .await;
    let agent = app.agent(&operator, "+15550330001", "1000.00").await;
    let customer = app.customer("+15550330002").await;
    app.cash_in(&agent, &customer.phone, "100.00").await;
    Market { operator, area, mart, bakery, milk, beef, bread, customer }
}

pub async fn add(app: &Api, who: &Person, product: &str, quantity: u32) -> (u16, Value) {
    app.post("/me/cart/lines", Some(&who.token), json!({"product_id": product, "quantity": quantity})).await
}

pub fn pickup(seller: &str) -> Value {
    json!({"seller_id": seller, "kind": "pickup"})
}

pub fn wallet(pin: &str) -> Value {
    json!({"method": "wallet", "pin": pin})
}

pub async fn checkout(app: &Api, who: &Person, key: &str, body: Value) -> (u16, Value) {
    app.post_key("/me/checkout", &who.token, key, body).await
}

/// Checks out the customer's cart (one shop's, picked up) with the wallet, and returns the order's id.
pub async fn place(app: &Api, who: &Person, shop: &Shop, key: &str) -> String {
    let (status, orders) =
        checkout(app, who, key, json!({"payment": wallet("1234"), "fulfilments": [pickup(&shop.id)]})).await;
    assert_eq!(status, 201, "{orders}");
    orders[0]["id"].as_str().unwrap().to_owned()
}

/// The hand-over code on the customer's own view of their order.
pub async fn code_of(app: &Api, customer: &Person, order: &str) -> String {
    let (status, body) = app.get(&format!("/me/orders/{order}"), &customer.token).await;
    assert_eq!(status, 200, "{body}");
    body["handover_code"].as_str().unwrap_or_else(|| panic!("no hand-over code: {body}")).to_owned()
}

/// The shop accepts the pickup order, prepares it and hands it over with the customer's code: it
/// is completed, its hold captured.
pub async fn hand_over(app: &Api, customer: &Person, shop: &Shop, order: &str) {
    let path = format!("/merchant/orders/{order}");
    let (status, body) = app.post(&format!("{path}/accept"), Some(&shop.cashier), json!({"ready_minutes": 5})).await;
    assert_eq!(status, 200, "{body}");
    for step in ["preparing", "ready"] {
        let (status, body) = app.post(&format!("{path}/{step}"), Some(&shop.cashier), json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
    let code = code_of(app, customer, order).await;
    let (status, body) = app.post(&format!("{path}/hand-over"), Some(&shop.cashier), json!({"code": code})).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("completed")), "{body}");
}

/// A completed order of `quantity` of one product from `shop`: put in the cart, placed, handed over.
pub async fn completed_order(
    app: &TestApp,
    who: &Person,
    shop: &Shop,
    product: &str,
    quantity: u32,
    key: &str,
) -> String {
    let (status, cart) = add(app, who, product, quantity).await;
    assert_eq!(status, 200, "{cart}");
    let order = place(app, who, shop, key).await;
    hand_over(app, who, shop, &order).await;
    order
}
