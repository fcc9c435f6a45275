//! Reviews and habits on both databases: a completed order rated once (and only a completed one,
//! only by its customer), changed within its week, answered by its shop and no other, its words
//! hidden by the operator while its rating still counts, the operator reading every shop's newest
//! reviews with the shops' names; storefront averages and the rating sort;
//! favourite sellers; an order placed again with today's prices, naming what is gone or sold out;
//! back-in-stock alerts firing once, by an edit, an order's stock given back, or housekeeping.

use serde_json::{Value, json};

use crate::harness::market::{Market, add, completed_order, market, place, put, seller};
use crate::harness::{Person, Shop, TestApp, on_each_backend, shop};

async fn review(app: &TestApp, who: &Person, order: &str, body: Value) -> (u16, Value) {
    app.post(&format!("/me/orders/{order}/review"), Some(&who.token), body).await
}

async fn public(app: &TestApp, path: &str) -> Value {
    let response = app.client.get(format!("{}{path}", app.api)).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.json().await.unwrap()
}

async fn storefront_rating(app: &TestApp, seller: &str) -> (Option<f64>, u64) {
    let storefront = public(app, &format!("/market/sellers/{seller}")).await;
    (storefront["rating_average"].as_f64(), storefront["rating_count"].as_u64().unwrap())
}

/// Changes a visible product: its fields as now, with `changes` over them.
async fn change(app: &TestApp, shop: &Shop, product: &str, changes: Value) -> Value {
    let now = public(app, &format!("/market/products/{product}")).await;
    let mut body = json!({"name_ko": now["name_ko"], "name_en": now["name_en"], "category": now["category"],
        "price": now["price"]["amount"], "unit": now["unit"], "stock": now["stock"], "sold_out": now["sold_out"],
        "version": now["version"]});
    for (field, value) in changes.as_object().unwrap() {
        body[field] = value.clone();
    }
    let (status, changed) = put(app, &format!("/merchant/products/{product}"), &shop.owner, body).await;
    assert_eq!(status, 200, "{changed}");
    changed
}

async fn count(app: &TestApp, query: &str) -> i64 {
    app.storage.count(query).await
}

#[tokio::test]
async fn a_completed_order_is_rated_once_answered_by_its_shop_and_hidden_words_leave_the_rating_counting() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let customer = &m.customer;
        let first = completed_order(app, customer, &m.mart, &m.milk, 1, "first").await;
        assert_eq!(storefront_rating(app, &m.mart.id).await, (None, 0));

        // Bad ratings and comments move nothing.
        for (body, status, code) in [
            (json!({"rating": 0}), 422, Some("rating_invalid")),
            (json!({"rating": 6}), 422, Some("rating_invalid")),
            (json!({"rating": "five"}), 400, None),
            (json!({"rating": 4.5}), 400, None),
            (json!({"comment": "no rating"}), 400, None),
            (json!({"rating": 4, "comment": "x".repeat(1001)}), 422, Some("review_comment_invalid")),
            (json!({"rating": 4, "comment": "fine\u{202e}gnp.exe"}), 422, Some("review_comment_invalid")),
        ] {
            let (got, problem) = review(app, customer, &first, body.clone()).await;
            assert_eq!(got, status, "{body} -> {problem}");
            if let Some(code) = code {
                assert_eq!(problem["code"].as_str(), Some(code), "{problem}");
            }
        }
        // Another customer's order looks missing.
        let stranger = app.customer("+15550330003").await;
        let (status, _) = review(app, &stranger, &first, json!({"rating": 1})).await;
        assert_eq!(status, 404);

        let (status, written) = review(app, customer, &first, json!({"rating": 4, "comment": "  Fresh milk. "})).await;
        assert_eq!(
            (status, written["rating"].as_u64(), written["comment"].as_str()),
            (201, Some(4), Some("Fresh milk.")),
            "{written}"
        );
        let (status, twice) = review(app, customer, &first, json!({"rating": 1})).await;
        assert_eq!((status, twice["code"].as_str()), (409, Some("review_exists")), "{twice}");
        let (_, order) = app.get(&format!("/me/orders/{first}"), &customer.token).await;
        assert_eq!(order["next_actions"], json!(["reorder"]), "{order}");
        assert_eq!(count(app, "SELECT COUNT(*) FROM merchant_events WHERE kind = 'review.created'").await, 1);

        // An open order, then a cancelled one, is not rated.
        add(app, customer, &m.milk, 1).await;
        let open = place(app, customer, &m.mart, "open").await;
        let (status, refused) = review(app, customer, &open, json!({"rating": 5})).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("order_not_reviewable")), "{refused}");
        let (status, _) = app
            .post(&format!("/me/orders/{open}/cancel"), Some(&customer.token), json!({"reason": "changed my mind"}))
            .await;
        assert_eq!(status, 200);
        let (status, refused) = review(app, customer, &open, json!({"rating": 5})).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("order_not_reviewable")), "{refused}");

        let second = completed_order(app, customer, &m.mart, &m.milk, 1, "second").await;
        let (status, _) = review(app, customer, &second, json!({"rating": 5})).await;
        assert_eq!(status, 201);
        assert_eq!(storefront_rating(app, &m.mart.id).await, (Some(4.5), 2));

        // The shop answers (and answers again); another shop cannot.
        let id = written["id"].as_str().unwrap();
        let reply_path = format!("/merchant/reviews/{id}/reply");
        let (status, other) = app.post(&reply_path, Some(&m.bakery.owner), json!({"reply": "Thanks!"})).await;
        assert_eq!(status, 404, "{other}");
        let (status, empty) = app.post(&reply_path, Some(&m.mart.cashier), json!({"reply": "  "})).await;
        assert_eq!((status, empty["code"].as_str()), (422, Some("review_reply_invalid")), "{empty}");
        app.post(&reply_path, Some(&m.mart.cashier), json!({"reply": "Thanks"})).await;
        let (status, replied) = app.post(&reply_path, Some(&m.mart.cashier), json!({"reply": "Thank you!"})).await;
        assert_eq!((status, replied["reply"].as_str()), (200, Some("Thank you!")), "{replied}");

        // Anyone reads them, newest first, without the customer's identity.
        let reviews = public(app, &format!("/market/sellers/{}/reviews", m.mart.id)).await;
        let ratings: Vec<_> = reviews.as_array().unwrap().iter().map(|r| r["rating"].as_u64().unwrap()).collect();
        assert_eq!(ratings, [5, 4], "{reviews}");
        assert_eq!(
            (reviews[1]["comment"].as_str(), reviews[1]["reply"].as_str()),
            (Some("Fresh milk."), Some("Thank you!"))
        );
        assert!(
            !reviews.to_string().contains(&customer.account) && reviews[0].get("customer_id").is_none(),
            "{reviews}"
        );

        // Changed within its week, not after.
        let (status, changed) =
            put(app, &format!("/me/orders/{first}/review"), &customer.token, json!({"rating": 2, "comment": "Sour."}))
                .await;
        assert_eq!((status, changed["rating"].as_u64()), (200, Some(2)), "{changed}");
        assert_eq!(storefront_rating(app, &m.mart.id).await, (Some(3.5), 2));

        // The operator hides its words; the rating still counts.
        let hide_path = format!("/operator/reviews/{id}/hide");
        let (status, _) = app.post(&hide_path, Some(&customer.token), json!({"reason": "mine"})).await;
        assert_eq!(status, 403);
        let (status, hidden) = app.post(&hide_path, Some(&m.operator), json!({"reason": "abusive"})).await;
        assert_eq!((status, hidden["hidden"].as_bool()), (200, Some(true)), "{hidden}");
        let reviews = public(app, &format!("/market/sellers/{}/reviews", m.mart.id)).await;
        let shown = &reviews[1];
        assert_eq!(
            (
                shown["rating"].as_u64(),
                &shown["comment"],
                &shown["reply"],
                shown["hidden"].as_bool(),
                &shown["hidden_reason"]
            ),
            (Some(2), &Value::Null, &Value::Null, Some(true), &Value::Null),
            "{reviews}"
        );
        assert!(!reviews.to_string().contains("Sour."), "{reviews}");
        assert_eq!(storefront_rating(app, &m.mart.id).await, (Some(3.5), 2));
        let (_, own) = app.get(&format!("/me/orders/{first}/review"), &customer.token).await;
        assert_eq!((own["comment"].as_str(), own["hidden_reason"].as_str()), (Some("Sour."), Some("abusive")), "{own}");
        let (status, refused) =
            put(app, &format!("/me/orders/{first}/review"), &customer.token, json!({"rating": 5})).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("review_not_editable")), "{refused}");

        app.clock.advance_seconds(8 * 24 * 60 * 60);
        let token = app.login(&customer.phone, "customer-password").await;
        let (status, late) = put(app, &format!("/me/orders/{second}/review"), &token, json!({"rating": 1})).await;
        assert_eq!((status, late["code"].as_str()), (409, Some("review_not_editable")), "{late}");
        assert_eq!(storefront_rating(app, &m.mart.id).await, (Some(3.5), 2));
    })
    .await;
}

#[tokio::test]
async fn the_operator_reads_every_shops_newest_reviews_with_their_names_and_hides_words() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let customer = &m.customer;
        let at_mart = completed_order(app, customer, &m.mart, &m.milk, 1, "moderated-mart").await;
        let (status, rude) = review(app, customer, &at_mart, json!({"rating": 1, "comment": "Rude, lazy staff"})).await;
        assert_eq!(status, 201, "{rude}");
        app.clock.advance_seconds(60);
        let at_bakery = completed_order(app, customer, &m.bakery, &m.bread, 1, "moderated-bakery").await;
        let (status, warm) = review(app, customer, &at_bakery, json!({"rating": 5, "comment": "Warm bread"})).await;
        assert_eq!(status, 201, "{warm}");

        // Newest first, across shops, each with its shop's name; a page at a time.
        let (status, listed) = app.get("/operator/reviews", &m.operator).await;
        assert_eq!(status, 200, "{listed}");
        let shown: Vec<_> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["seller_name"].as_str().unwrap(), r["review"]["rating"].as_u64().unwrap()))
            .collect();
        assert_eq!(shown, [("Corner Bakery", 5), ("Mapo Mart", 1)], "{listed}");
        assert_eq!(listed[0]["review"]["seller_id"].as_str(), Some(m.bakery.id.as_str()), "{listed}");
        let (status, second) = app.get("/operator/reviews?limit=1&offset=1", &m.operator).await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(second.as_array().map(|page| page.len()), Some(1), "{second}");
        assert_eq!(second[0]["review"]["id"], rude["id"], "{second}");
        for query in ["limit=0", "limit=51", "offset=10001"] {
            let (status, refused) = app.get(&format!("/operator/reviews?{query}"), &m.operator).await;
            assert_eq!((status, refused["code"].as_str()), (400, Some("page_invalid")), "{query}: {refused}");
        }

        // Only the operator reads them.
        for token in [&customer.token, &m.mart.owner, &m.mart.cashier] {
            let (status, refused) = app.get("/operator/reviews", token).await;
            assert_eq!(status, 403, "{refused}");
        }

        // Hidden through the API: the list shows it hidden, why, and still all its words.
        let id = rude["id"].as_str().unwrap();
        let (status, hidden) =
            app.post(&format!("/operator/reviews/{id}/hide"), Some(&m.operator), json!({"reason": "insults"})).await;
        assert_eq!(status, 200, "{hidden}");
        let (_, listed) = app.get("/operator/reviews", &m.operator).await;
        let moderated = &listed[1]["review"];
        assert_eq!(
            (moderated["hidden"].as_bool(), moderated["hidden_reason"].as_str(), moderated["comment"].as_str()),
            (Some(true), Some("insults"), Some("Rude, lazy staff")),
            "{listed}"
        );
        assert_eq!(listed[0]["review"]["hidden"].as_bool(), Some(false), "{listed}");
    })
    .await;
}

/// A third grocer delivering to the same area, with "바나나우유"; nobody rates it.
async fn corner_shop(app: &TestApp, m: &Market) -> Shop {
    let corner = shop(app, &m.operator, "Hill Store", 33, 0).await;
    seller(app, &m.operator, &corner, &m.area, "grocery").await;
    crate::harness::market::product(
        app,
        &corner,
        json!({"name_ko": "바나나우유", "category": "dairy", "price": "1.20", "unit": "each", "stock": 5}),
    )
    .await;
    corner
}

async fn rated(app: &TestApp, m: &Market, shop: &Shop, product: &str, stars: u64, key: &str) {
    let order = completed_order(app, &m.customer, shop, product, 1, key).await;
    let (status, body) = review(app, &m.customer, &order, json!({"rating": stars})).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn search_sorts_by_the_sellers_ratings_the_same_on_both_databases() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let corner = corner_shop(app, &m).await;
        rated(app, &m, &m.mart, &m.milk, 4, "mart-4").await;
        rated(app, &m, &m.mart, &m.milk, 3, "mart-3").await;
        rated(app, &m, &m.bakery, &m.bread, 5, "bakery-5").await;

        let sellers = |page: &Value| -> Vec<String> {
            page["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|hit| hit["product"]["seller_id"].as_str().unwrap().to_owned())
                .collect()
        };
        let search = |sort: &str| format!("/market/search?q=%EC%9A%B0%EC%9C%A0&area={}&sort={sort}", m.area);
        // By relevance the shortest names come first: 우유식빵, 바나나우유, 흰우유 1L.
        let relevance = public(app, &search("relevance")).await;
        assert_eq!(sellers(&relevance), [m.bakery.id.clone(), corner.id.clone(), m.mart.id.clone()], "{relevance}");
        // By rating: 5.0 (one), 3.5 (two), then the shop nobody rated.
        let by_rating = public(app, &search("rating")).await;
        assert_eq!(sellers(&by_rating), [m.bakery.id.clone(), m.mart.id.clone(), corner.id.clone()], "{by_rating}");
        let hits = &by_rating["hits"];
        assert_eq!(
            (hits[1]["seller_rating_average"].as_f64(), hits[1]["seller_rating_count"].as_u64()),
            (Some(3.5), Some(2))
        );
        assert_eq!(hits[2]["seller_rating_average"], Value::Null);

        // Two fives outrank one.
        rated(app, &m, &corner, &corner_product(app, &corner).await, 5, "corner-5").await;
        rated(app, &m, &corner, &corner_product(app, &corner).await, 5, "corner-5-again").await;
        let by_rating = public(app, &search("rating")).await;
        assert_eq!(sellers(&by_rating), [corner.id.clone(), m.bakery.id.clone(), m.mart.id.clone()], "{by_rating}");
        let (status, refused) = app.get(&search("stars"), &m.customer.token).await;
        assert_eq!(status, 400, "{refused}");
    })
    .await;
}

async fn corner_product(app: &TestApp, corner: &Shop) -> String {
    let products = public(app, &format!("/market/sellers/{}/products", corner.id)).await;
    products[0]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn favourite_sellers_are_kept_once_listed_newest_first_and_removed() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let customer = &m.customer;
        let favourite = |seller: &str| format!("/me/favourites/sellers/{seller}");
        let (status, kept) = put(app, &favourite(&m.mart.id), &customer.token, json!({})).await;
        assert_eq!(
            (status, kept.as_array().unwrap().len(), kept[0]["name"].as_str()),
            (200, 1, Some("Mapo Mart")),
            "{kept}"
        );
        let (_, kept) = put(app, &favourite(&m.mart.id), &customer.token, json!({})).await;
        assert_eq!(kept.as_array().unwrap().len(), 1, "{kept}");
        app.clock.advance_seconds(1);
        let (_, kept) = put(app, &favourite(&m.bakery.id), &customer.token, json!({})).await;
        let names: Vec<_> = kept.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["Corner Bakery", "Mapo Mart"], "{kept}");
        let (status, missing) = put(app, &favourite(&uuid::Uuid::nil().to_string()), &customer.token, json!({})).await;
        assert_eq!(status, 404, "{missing}");
        let (status, _) = put(app, &favourite(&m.mart.id), &m.mart.owner, json!({})).await;
        assert_eq!(status, 403);

        let (status, kept) =
            app.request(reqwest::Method::DELETE, &favourite(&m.mart.id), Some(&customer.token), None, None).await;
        assert_eq!((status, kept.as_array().unwrap().len()), (200, 1), "{kept}");
        let (status, kept) =
            app.request(reqwest::Method::DELETE, &favourite(&m.mart.id), Some(&customer.token), None, None).await;
        assert_eq!((status, kept.as_array().unwrap().len()), (200, 1), "{kept}");
        let (status, listed) = app.get("/me/favourites", &customer.token).await;
        assert_eq!((status, listed[0]["seller_id"].as_str()), (200, Some(m.bakery.id.as_str())), "{listed}");
        let stranger = app.customer("+15550330003").await;
        let (_, theirs) = app.get("/me/favourites", &stranger.token).await;
        assert_eq!(theirs, json!([]));
    })
    .await;
}

#[tokio::test]
async fn an_order_placed_again_takes_todays_prices_and_names_what_is_gone_or_sold_out() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let customer = &m.customer;
        add(app, customer, &m.milk, 2).await;
        let past = completed_order(app, customer, &m.mart, &m.beef, 1, "past").await;
        let bread = completed_order(app, customer, &m.bakery, &m.bread, 1, "bread").await;

        change(app, &m.mart, &m.milk, json!({"price": "2.00"})).await;
        change(app, &m.mart, &m.beef, json!({"visible": false})).await;
        change(app, &m.bakery, &m.bread, json!({"stock": 0})).await;

        let (status, again) = app.post(&format!("/me/orders/{past}/reorder"), Some(&customer.token), json!({})).await;
        assert_eq!(status, 200, "{again}");
        let lines: Vec<_> = again["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| {
                (line["product_id"].as_str().unwrap(), line["problem"].as_str(), line["added"].as_u64().unwrap())
            })
            .collect();
        assert_eq!(lines, [(m.milk.as_str(), Some("price_changed"), 2), (m.beef.as_str(), Some("gone"), 0)], "{again}");
        let milk = &again["lines"][0];
        assert_eq!(
            (milk["price_then"]["amount"].as_str(), milk["price_now"]["amount"].as_str()),
            (Some("1.50"), Some("2.00"))
        );
        let cart = &again["cart"];
        assert_eq!((cart["total"]["amount"].as_str(), cart["ready"].as_bool()), (Some("4.00"), Some(true)), "{cart}");

        let (status, sold_out) =
            app.post(&format!("/me/orders/{bread}/reorder"), Some(&customer.token), json!({})).await;
        assert_eq!(
            (status, sold_out["lines"][0]["problem"].as_str(), sold_out["lines"][0]["added"].as_u64()),
            (200, Some("sold_out"), Some(0)),
            "{sold_out}"
        );
        assert_eq!(sold_out["cart"]["groups"].as_array().unwrap().len(), 1, "{sold_out}");

        // Again: the milk line grows, at today's price.
        let (_, twice) = app.post(&format!("/me/orders/{past}/reorder"), Some(&customer.token), json!({})).await;
        assert_eq!(twice["cart"]["total"]["amount"].as_str(), Some("8.00"), "{twice}");

        let open = place(app, customer, &m.mart, "open").await;
        let (status, refused) = app.post(&format!("/me/orders/{open}/reorder"), Some(&customer.token), json!({})).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("order_not_reorderable")), "{refused}");
        let stranger = app.customer("+15550330003").await;
        let (status, _) = app.post(&format!("/me/orders/{past}/reorder"), Some(&stranger.token), json!({})).await;
        assert_eq!(status, 404);
    })
    .await;
}

const BACK_IN_STOCK: &str = "SELECT COUNT(*) FROM customer_events WHERE kind = 'market.back_in_stock'";

async fn alert(app: &TestApp, who: &Person, product: &str) -> (u16, Value) {
    put(app, &format!("/me/alerts/products/{product}"), &who.token, json!({})).await
}

async fn fired(app: &TestApp, who: &Person, product: &str) -> bool {
    let (status, alerts) = app.get("/me/alerts", &who.token).await;
    assert_eq!(status, 200, "{alerts}");
    let alert = alerts.as_array().unwrap().iter().find(|alert| alert["product_id"].as_str() == Some(product));
    !alert.unwrap()["fired_at"].is_null()
}

#[tokio::test]
async fn an_alert_fires_once_when_its_product_is_back_by_any_path() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let customer = &m.customer;
        let (status, in_stock) = alert(app, customer, &m.milk).await;
        assert_eq!((status, in_stock["code"].as_str()), (409, Some("product_in_stock")), "{in_stock}");
        let (status, _) = alert(app, customer, &uuid::Uuid::nil().to_string()).await;
        assert_eq!(status, 404);

        // A seller's edit brings milk back; beef stays sold out.
        change(app, &m.mart, &m.milk, json!({"stock": 0})).await;
        change(app, &m.mart, &m.beef, json!({"sold_out": true})).await;
        let (status, waiting) = alert(app, customer, &m.milk).await;
        assert_eq!((status, &waiting[0]["fired_at"]), (200, &Value::Null), "{waiting}");
        alert(app, customer, &m.beef).await;
        change(app, &m.mart, &m.beef, json!({"price": "21.00"})).await;
        assert_eq!(count(app, BACK_IN_STOCK).await, 0);
        change(app, &m.mart, &m.milk, json!({"stock": 4})).await;
        assert!(fired(app, customer, &m.milk).await);
        assert!(!fired(app, customer, &m.beef).await);
        assert_eq!(count(app, BACK_IN_STOCK).await, 1);
        change(app, &m.mart, &m.milk, json!({"stock": 6})).await;
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        assert_eq!(count(app, BACK_IN_STOCK).await, 1);

        // An order's stock given back: another customer takes the last bread, then cancels.
        let other = app.customer("+15550330003").await;
        let agent = app.agent(&m.operator, "+15550330004", "100.00").await;
        app.cash_in(&agent, &other.phone, "50.00").await;
        add(app, &other, &m.bread, 2).await;
        let taken = place(app, &other, &m.bakery, "all-bread").await;
        let (status, _) = alert(app, customer, &m.bread).await;
        assert_eq!(status, 200);
        let (status, _) =
            app.post(&format!("/me/orders/{taken}/cancel"), Some(&other.token), json!({"reason": "too much"})).await;
        assert_eq!(status, 200);
        assert!(fired(app, customer, &m.bread).await);
        assert_eq!(count(app, BACK_IN_STOCK).await, 2);

        // Stock changed behind the service's back: housekeeping catches up, once.
        change(app, &m.mart, &m.milk, json!({"stock": 0})).await;
        let (_, armed) = alert(app, customer, &m.milk).await;
        assert!(
            armed
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["product_id"].as_str() == Some(m.milk.as_str()) && a["fired_at"].is_null()),
            "{armed}"
        );
        app.storage.execute("UPDATE products SET stock = 3 WHERE name_ko = '흰우유 1L'").await;
        assert_eq!(count(app, BACK_IN_STOCK).await, 2);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        assert!(fired(app, customer, &m.milk).await);
        assert!(!fired(app, customer, &m.beef).await);
        assert_eq!(count(app, BACK_IN_STOCK).await, 3);

        let (status, alerts) = app
            .request(
                reqwest::Method::DELETE,
                &format!("/me/alerts/products/{}", m.beef),
                Some(&customer.token),
                None,
                None,
            )
            .await;
        assert_eq!((status, alerts.as_array().unwrap().len()), (200, 2), "{alerts}");
    })
    .await;
}
