//! `quipu demo`'s marketplace, seeded on each backend exactly as the demo seeds it: a grocery of
//! a few hundred products found in Korean, a pharmacy with flagged medicines, restaurants whose
//! dishes take options, districts with delivery terms; and the demo's customer orders from it.

use quipu_server::demo::{self, market::AREAS};
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, on_each_backend};

async fn public(app: &TestApp, path: &str) -> Value {
    let (status, body) = app.request(Method::GET, path, None, None, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn search(app: &TestApp, query: &str) -> Value {
    public(app, &format!("/market/search?q={query}&limit=100")).await
}

/// The seller named `name`, from a search that finds its products.
fn seller_of(page: &Value, name: &str) -> String {
    let hits = page["hits"].as_array().unwrap();
    let hit = hits.iter().find(|hit| hit["seller_name"] == name).unwrap_or_else(|| panic!("{name} in {page}"));
    hit["product"]["seller_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_demo_seeds_a_marketplace_its_customer_can_order_from() {
    on_each_backend(async |app: &TestApp| {
        let started = std::time::Instant::now();
        let network = demo::seed(&app.services).await.unwrap();
        eprintln!("{:?}: demo seeded in {:.2} s", app.storage.backend, started.elapsed().as_secs_f64());
        let sellers: Vec<(&str, &str)> =
            network.sellers.iter().map(|seller| (seller.name.as_str(), seller.kind.as_str())).collect();
        assert_eq!(
            sellers,
            [
                ("Hanbit Mart", "grocery"),
                ("Farmacia Central", "pharmacy"),
                ("Warung Sari", "restaurant"),
                ("Seoul Bapsang", "restaurant")
            ]
        );
        assert!(network.sellers[0].products >= 300, "a grocery of a few hundred products");

        // Korean by part of a word, from the grocery; nothing named 식빵, which the README's
        // walk-through adds and then finds as the only one (step 19).
        let milk = search(app, "우유").await;
        let hits = milk["hits"].as_array().unwrap();
        assert!(!hits.is_empty(), "{milk}");
        for hit in hits {
            assert!(hit["product"]["name_ko"].as_str().unwrap().contains("우유"), "{hit}");
            assert_eq!((hit["seller_name"].as_str(), hit["open_now"].as_bool()), (Some("Hanbit Mart"), Some(true)));
        }
        assert!(milk["total"].as_u64().unwrap() < 20, "step 18's milk bread stays on the first page: {milk}");
        assert_eq!(search(app, "%EC%8B%9D%EB%B9%B5").await["total"], 0, "식빵 is the walk-through's");
        assert!(search(app, "noodles").await["total"].as_u64().unwrap() >= 10);

        // The operator's districts, each served on the shops' own terms.
        let areas = public(app, "/market/areas").await;
        let names: Vec<&str> = areas.as_array().unwrap().iter().map(|area| area["name"].as_str().unwrap()).collect();
        assert_eq!(names.len(), AREAS.len());
        assert!(AREAS.iter().all(|area| names.contains(area)), "{areas}");
        let mangwon = areas.as_array().unwrap().iter().find(|area| area["name"] == "Mangwon-dong").unwrap();
        let mangwon = mangwon["id"].as_str().unwrap().to_owned();

        // The pharmacy's stronger medicines wait for its pharmacist.
        let pharmacy = seller_of(&search(app, "tablets").await, "Farmacia Central");
        let medicines = public(app, &format!("/market/sellers/{pharmacy}/products?limit=100")).await;
        let flagged = medicines.as_array().unwrap().iter().filter(|m| m["needs_pharmacist"] == true).count();
        assert!(flagged >= 5, "{medicines}");
        let pharmacist = app.login(demo::PHARMACIST.phone, demo::PHARMACIST.password).await;
        let (status, queue) = app.get("/merchant/orders?state=awaiting_pharmacist", &pharmacist).await;
        assert_eq!(status, 200, "the pharmacist signs in and reads the check queue: {queue}");

        // A restaurant's dish: a required single choice and optional extras that cost more.
        let chicken = search(app, "%EC%96%91%EB%85%90%EC%B9%98%ED%82%A8").await; // 양념치킨
        let dish = chicken["hits"][0]["product"].clone();
        assert_eq!(dish["name_en"], "Korean fried chicken", "{chicken}");
        let groups = dish["option_groups"].as_array().unwrap();
        assert_eq!((groups[0]["required"].as_bool(), groups[0]["max"].as_u64()), (Some(true), Some(1)), "{dish}");
        assert_eq!((groups[2]["required"].as_bool(), groups[2]["max"].as_u64()), (Some(false), Some(3)), "{dish}");
        assert!(groups[2]["options"].as_array().unwrap().iter().all(|o| o["extra"]["minor_units"].as_i64() > Some(0)));
        let storefront = public(app, &format!("/market/sellers/{}", dish["seller_id"].as_str().unwrap())).await;
        assert_eq!((storefront["open_now"].as_bool(), storefront["pickup"].as_bool()), (Some(true), Some(true)));

        // The demo's customer orders it whole, in soy garlic, with cheese balls and a cola,
        // delivered to Mangwon-dong, and a litre of milk for pickup: two orders, each held.
        let shopper = app.login(demo::SHOPPER.phone, demo::SHOPPER.password).await;
        let choices = json!([{"group": 0, "option": 1}, {"group": 1, "option": 1},
            {"group": 2, "option": 1}, {"group": 2, "option": 2}]);
        let line = json!({"product_id": dish["id"], "quantity": 1, "choices": choices});
        let (status, cart) = app.post("/me/cart/lines", Some(&shopper), line).await;
        assert_eq!(status, 200, "{cart}");
        let white_milk = hits.iter().find(|hit| hit["product"]["name_en"] == "White milk 1L").unwrap();
        let line = json!({"product_id": white_milk["product"]["id"], "quantity": 2});
        let (status, cart) = app.post("/me/cart/lines", Some(&shopper), line).await;
        assert_eq!(status, 200, "{cart}");
        let fulfilments = json!([
            {"seller_id": dish["seller_id"], "kind": "delivery", "area_id": mangwon, "address": "Building 3, 201"},
            {"seller_id": white_milk["product"]["seller_id"], "kind": "pickup"},
        ]);
        let body = json!({"payment": {"method": "wallet", "pin": demo::SHOPPER.pin}, "fulfilments": fulfilments});
        let (status, orders) = app.post_key("/me/checkout", &shopper, "demo-order-1", body).await;
        assert_eq!(status, 201, "{orders}");
        let mut held: Vec<(&str, i64)> = orders
            .as_array()
            .unwrap()
            .iter()
            .map(|order| (order["seller_name"].as_str().unwrap(), order["held"]["minor_units"].as_i64().unwrap()))
            .collect();
        held.sort_unstable();
        // 16.50 + 7.00 whole + 2.50 + 2.00 = 28.00, under 30.00 free delivery: 2.00 more. Milk: 2 × 2.90.
        assert_eq!(held, [("Hanbit Mart", 580), ("Seoul Bapsang", 3_000)], "{orders}");
    })
    .await;
}
