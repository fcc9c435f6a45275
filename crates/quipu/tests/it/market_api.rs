//! The market over HTTP on both databases: the operator names an area and enables a shop as a
//! seller; its owner fills in the storefront and the catalog; anyone searches without signing
//! in, in Korean and English, and gets a cacheable answer; bad input gets a problem document and
//! changes nothing.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, on_each_backend, shop};

fn all_week(hours: &str) -> Value {
    json!([hours, hours, hours, hours, hours, hours, hours])
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.request(Method::PUT, path, Some(token), None, Some(body)).await
}

async fn public_get(app: &TestApp, path: &str) -> (u16, Option<String>, Value) {
    let response = app.client.get(format!("{}/api/v1{path}", app.base())).send().await.unwrap();
    let status = response.status().as_u16();
    let cache = response.headers().get("cache-control").map(|value| value.to_str().unwrap().to_owned());
    (status, cache, response.json().await.unwrap())
}

fn names(page: &Value) -> Vec<&str> {
    page["hits"].as_array().unwrap().iter().map(|hit| hit["product"]["name_ko"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_shop_opens_on_the_market_and_anyone_finds_its_products() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let (status, area) = app.post("/operator/market/areas", Some(&operator), json!({"name": "Mapo"})).await;
        assert_eq!(status, 201, "{area}");
        let (status, again) = app.post("/operator/market/areas", Some(&operator), json!({"name": "Mapo"})).await;
        assert_eq!((status, again["code"].as_str()), (409, Some("area_exists")));

        let mart = shop(app, &operator, "Mapo Mart", 21, 150).await;
        let (status, seller) =
            put(app, &format!("/operator/merchants/{}/seller", mart.id), &operator, json!({"kind": "grocery"})).await;
        assert_eq!((status, seller["accepting"].as_bool()), (200, Some(false)), "{seller}");
        let (status, _) =
            put(app, &format!("/operator/merchants/{}/seller", mart.id), &mart.owner, json!({"kind": "grocery"})).await;
        assert_eq!(status, 403, "only the operator enables sellers");

        let storefront = json!({
            "address": "Mapo-gu, Building 3", "hours": all_week("00:00-24:00"), "accepting": true,
            "preparation_minutes": 15, "pickup": true,
            "areas": [{"area_id": area["id"], "terms": {"fee": "3.00", "minimum_order": "10.00", "free_from": "30.00"}}],
        });
        let (status, front) = put(app, "/merchant/storefront", &mart.owner, storefront.clone()).await;
        assert_eq!(status, 200, "{front}");
        assert_eq!((front["open_now"].as_bool(), front["areas"][0]["terms"]["fee"]["amount"].as_str()), (Some(true), Some("3.00")));
        let mut bad = storefront.clone();
        bad["hours"] = all_week("09:00-09:00");
        let (status, refused) = put(app, "/merchant/storefront", &mart.owner, bad).await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("hours_invalid")), "{refused}");
        let (status, _) = put(app, "/merchant/storefront", &mart.cashier, storefront).await;
        assert_eq!(status, 403, "a cashier does not rewrite the storefront");

        let mut created = Vec::new();
        for (korean, english, price) in
            [("서울우유 흰우유 1L", "Seoul white milk 1L", "2.90"), ("우유식빵", "Milk bread", "3.50"), ("신라면 5개입", "Shin Ramyun noodles", "4.50")]
        {
            let body = json!({"name_ko": korean, "name_en": english, "category": "food", "price": price, "unit": "each", "stock": 12});
            let (status, product) = app.post("/merchant/products", Some(&mart.owner), body).await;
            assert_eq!(status, 201, "{product}");
            created.push(product);
        }
        let customer = app.customer("+15550220001").await;
        let (status, _) = app
            .post("/merchant/products", Some(&customer.token), json!({"name_en": "x", "category": "c", "price": "1.00", "unit": "each"}))
            .await;
        assert_eq!(status, 403);

        // Anyone searches, signed in or not; the answer may be cached for a moment.
        let area_id = area["id"].as_str().unwrap();
        let (status, cache, page) = public_get(app, &format!("/market/search?q=%EC%9A%B0%EC%9C%A0&area={area_id}")).await;
        assert_eq!((status, cache.as_deref()), (200, Some("public, max-age=30")), "{page}");
        assert_eq!(names(&page), ["우유식빵", "서울우유 흰우유 1L"]);
        assert_eq!(page["hits"][0]["delivers"].as_bool(), Some(true));
        let (_, _, noodles) = public_get(app, "/market/search?q=noodle").await;
        assert_eq!(names(&noodles), ["신라면 5개입"]);
        assert_eq!(noodles["hits"][0]["delivers"].as_bool(), Some(false), "no area given: pickup");
        // The shops around a customer: delivering to their area, or offering pickup.
        let bakery = shop(app, &operator, "Far Bakery", 22, 150).await;
        put(app, &format!("/operator/merchants/{}/seller", bakery.id), &operator, json!({"kind": "grocery"})).await;
        let pickup_only = json!({"address": "Far away", "hours": all_week("00:00-24:00"), "accepting": true,
            "preparation_minutes": 5, "pickup": true, "areas": []});
        let (status, body) = put(app, "/merchant/storefront", &bakery.owner, pickup_only).await;
        assert_eq!(status, 200, "{body}");
        let (status, cache, near) = public_get(app, &format!("/market/sellers?area={area_id}")).await;
        assert_eq!((status, cache.as_deref()), (200, Some("public, max-age=30")), "{near}");
        let shops: Vec<(&str, bool)> = near.as_array().unwrap().iter().map(|shop| (shop["name"].as_str().unwrap(), shop["delivers"].as_bool().unwrap())).collect();
        assert_eq!(shops, [("Mapo Mart", true), ("Far Bakery", false)], "delivering first: {near}");
        let (_, _, pharmacies) = public_get(app, &format!("/market/sellers?area={area_id}&kind=pharmacy")).await;
        assert_eq!(pharmacies, json!([]));
        let (status, _, both) = public_get(app, &format!("/market/sellers?area={area_id}&lat=1&lon=1")).await;
        assert_eq!((status, both["code"].as_str()), (422, Some("whereabouts_invalid")));
        let (_, _, typo) = public_get(app, "/market/search?q=ramyn").await;
        assert_eq!((names(&typo), typo["fuzzy"].as_bool()), (vec!["신라면 5개입"], Some(true)));

        // A change names the version it read; a second change from the same version is refused.
        let bread = &created[1];
        let change = |price: &str| json!({"name_ko": "우유식빵", "name_en": "Milk bread", "category": "food", "price": price, "unit": "each", "stock": 12, "version": 1});
        let path = format!("/merchant/products/{}", bread["id"].as_str().unwrap());
        let (status, changed) = put(app, &path, &mart.owner, change("3.90")).await;
        assert_eq!((status, changed["version"].as_u64(), changed["price"]["amount"].as_str()), (200, Some(2), Some("3.90")));
        let (status, stale) = put(app, &path, &mart.owner, change("1.00")).await;
        assert_eq!((status, stale["code"].as_str()), (409, Some("product_changed")), "{stale}");
        let (_, _, product) = public_get(app, &format!("/market/products/{}", bread["id"].as_str().unwrap())).await;
        assert_eq!(product["price"]["amount"].as_str(), Some("3.90"));

        // Bad input: a clear problem, nothing changes.
        let long = "a".repeat(10 * 1024);
        let (status, _, _) = public_get(app, &format!("/market/search?q={long}")).await;
        assert_eq!(status, 400);
        let (status, _, empty) = public_get(app, "/market/search?q=%25%25%25").await;
        assert_eq!((status, empty["code"].as_str()), (422, Some("search_empty")));
        let (status, _, unknown) = public_get(app, "/market/search?q=milk&colour=red").await;
        assert_eq!((status, unknown["code"].as_str()), (400, Some("unknown_query_parameter")));
        let (status, _, both) = public_get(app, &format!("/market/search?q=milk&area={area_id}&lat=37.5&lon=127.0")).await;
        assert_eq!((status, both["code"].as_str()), (422, Some("whereabouts_invalid")));
        let (status, _, far) = public_get(app, "/market/search?q=milk&lat=91&lon=0").await;
        assert_eq!((status, far["code"].as_str()), (422, Some("location_invalid")));
        let (status, symbols) = app
            .post("/merchant/products", Some(&mart.owner), json!({"name_en": "x", "category": "food", "price": "0", "unit": "each"}))
            .await;
        assert_eq!(status, 422, "a price of nothing: {symbols}");
        let (status, catalog) = app.get("/merchant/products", &mart.owner).await;
        assert_eq!((status, catalog.as_array().unwrap().len()), (200, 3), "nothing else was added");

        // A menu item with every option it may have is a bigger body than most: its route takes it.
        let option = |index: usize| json!({"name_en": format!("{index:03} {}", "topping ".repeat(14).trim()), "extra": "0.50"});
        let group = |index: usize| json!({"name_en": format!("Group {index}"), "min": 0, "max": 30, "options": (0..30).map(option).collect::<Vec<_>>()});
        let menu = json!({"name_en": "Everything bowl", "category": "meals", "price": "9.00", "unit": "each",
            "option_groups": (0..10).map(group).collect::<Vec<_>>()});
        assert!(menu.to_string().len() > 16 * 1024);
        let (status, bowl) = app.post("/merchant/products", Some(&mart.owner), menu).await;
        assert_eq!((status, bowl["option_groups"].as_array().map(Vec::len)), (201, Some(10)), "{bowl}");
        let huge = json!({"name_en": "x", "category": "c", "price": "1.00", "unit": "each", "description": "x".repeat(2 * 1024 * 1024)});
        let (status, too_big) = app.post("/merchant/products", Some(&mart.owner), huge).await;
        assert_eq!((status, too_big["code"].as_str()), (413, Some("body_too_large")));
    })
    .await;
}
