//! The market's pages for what a customer does after an order, posted as a browser without scripts
//! would, on both databases: rate a completed order (and only their own, and only once), find the
//! rating on the shop's page, keep the shop as a favourite, wait for a sold-out product and find
//! it on the market's home when it is back, put a past order in the cart again, and attach a
//! prescription photo to a pharmacy order a pharmacist still has to check. What the pages offer is
//! what the domain's `next_actions` say; a refusal is said in the person's language.

use quipu_testkit::market::{add, checkout, completed_order, market, pickup, product, seller, wallet};
use quipu_testkit::multipart::{Part, multipart};
use serde_json::json;

use crate::forms::{client, field, post_form};
use crate::harness::{TestApp, on_each_backend, shop};

/// A page as `cookie` sees it, in English: status and text with Fluent's isolation marks removed.
async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let answer = client().get(format!("{}{path}", app.base())).header("cookie", cookie).send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap().replace(['\u{2068}', '\u{2069}'], ""))
}

async fn customer_session(app: &TestApp, phone: &str) -> String {
    let cookie = crate::web::signed_in(&client(), &app.base(), phone, "customer-password").await;
    format!("{cookie}; lang=en")
}

#[tokio::test]
async fn a_customer_rates_an_order_keeps_the_shop_waits_for_a_product_and_orders_again_from_the_pages() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let (status, body) = app
            .post(
                "/merchant/catalog/bulk",
                Some(&m.mart.owner),
                json!({"changes": [{"product_id": m.milk, "stock": 1}]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let order = completed_order(app, &m.customer, &m.mart, &m.milk, 1, "habits-order-1").await;
        let cookie = customer_session(app, &m.customer.phone).await;
        let order_page = format!("/market/orders/{order}");

        // The completed order offers a rating and ordering again; a rating out of range is refused.
        let (status, html) = page(app, &cookie, &order_page).await;
        assert_eq!(status, 200);
        assert!(html.contains(&format!("action=\"/market/orders/{order}/review\"")), "{html}");
        assert!(html.contains(&format!("action=\"/market/orders/{order}/reorder\"")), "{html}");
        let review = format!("/market/orders/{order}/review");
        let (status, html) = post_form(app, &cookie, &order_page, &review, &[("rating", "9")]).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("A rating is a whole number of stars from 1 to 5."), "{html}");

        // Another customer cannot rate it: it is not theirs to see.
        app.customer("+15550330091").await;
        let stranger = customer_session(app, "+15550330091").await;
        let (status, _) = post_form(app, &stranger, "/market/orders", &review, &[("rating", "1")]).await;
        assert_eq!(status, 404);

        let (status, _) =
            post_form(app, &cookie, &order_page, &review, &[("rating", "4"), ("comment", "Cold and fresh")]).await;
        assert_eq!(status, 303);
        let (_, html) = page(app, &cookie, &format!("{order_page}?done=reviewed")).await;
        assert!(
            html.contains("Thank you: your rating is sent.") && html.contains("id=\"my-rating\">4 stars"),
            "{html}"
        );
        assert!(!html.contains(&format!("action=\"/market/orders/{order}/review\"")), "rated once: {html}");

        // The shop's page shows the rating to anyone, and the sold-out milk can be waited for.
        let shop_page = format!("/market/sellers/{}", m.mart.id);
        let (_, html) = page(app, "lang=en", &shop_page).await;
        assert!(html.contains("4.0 of 5 stars from 1 rating") && html.contains("Cold and fresh"), "{html}");
        assert!(!html.contains("/favourite\"") && !html.contains("/alert\""), "signed out: no forms: {html}");
        let (_, html) = page(app, &cookie, &shop_page).await;
        assert!(html.contains("Add to my favourites") && html.contains("Tell me when it is back"), "{html}");
        let favourite = format!("/market/sellers/{}/favourite", m.mart.id);
        let (status, _) = post_form(app, &cookie, &shop_page, &favourite, &[("keep", "yes")]).await;
        assert_eq!(status, 303);
        let alert = format!("/market/products/{}/alert", m.milk);
        let (status, _) = post_form(app, &cookie, &shop_page, &alert, &[("seller", &m.mart.id), ("wait", "yes")]).await;
        assert_eq!(status, 303);
        let (_, html) = page(app, &cookie, &format!("{shop_page}?done=waiting")).await;
        assert!(html.contains("Remove from my favourites") && html.contains("Stop waiting for it"), "{html}");
        let (status, _) =
            post_form(app, &cookie, &shop_page, &alert, &[("seller", &m.mart.id), ("wait", "maybe")]).await;
        assert_eq!(status, 400, "a form of no page");

        // The milk comes back: the market's home says so, and lists the favourite shop.
        let (_, html) = page(app, &cookie, "/market/").await;
        assert!(!html.contains("id=\"back-in-stock\""), "{html}");
        let restock = json!({"changes": [{"product_id": m.milk, "stock": 5}]});
        let (status, body) = app.post("/merchant/catalog/bulk", Some(&m.mart.owner), restock).await;
        assert_eq!(status, 200, "{body}");
        let (_, html) = page(app, &cookie, "/market/").await;
        let back = html.split("id=\"back-in-stock\"").nth(1).unwrap_or_default();
        assert!(back.contains("흰우유 1L"), "{html}");
        let favourites = html.split("id=\"favourites\"").nth(1).unwrap_or_default();
        assert!(favourites.contains("Mapo Mart"), "{html}");

        // Shops near a location the phone shared; a location that is not one is said plainly.
        let (status, html) = page(app, "lang=en", "/market/?lat=37.5563&lon=126.9236").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("id=\"near-you\"") && html.contains("name=\"lat\" value=\"37.5563\""), "{html}");
        let (status, html) = page(app, "lang=en", "/market/?lat=north&lon=126.9").await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("A location needs both a latitude"), "{html}");

        // Ordering again fills the cart as the shop has it now.
        let reorder = format!("/market/orders/{order}/reorder");
        let shown = client().get(format!("{}{order_page}", app.base())).header("cookie", &cookie).send().await.unwrap();
        let csrf = field(&shown.text().await.unwrap(), "csrf");
        let answer = client()
            .post(format!("{}{reorder}", app.base()))
            .header("cookie", &cookie)
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 303);
        let location = answer.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(location, "/market/cart?done=reordered&short=0");
        let (_, html) = page(app, &cookie, &location).await;
        assert!(html.contains("The items are in your cart again") && html.contains("흰우유 1L"), "{html}");

        // All of it is the customer's to take away: the order, the favourite, the alert.
        let export = app.client.get(format!("{}/me/export", app.api)).bearer_auth(&m.customer.token).send().await;
        let export: serde_json::Value = export.unwrap().json().await.unwrap();
        assert_eq!(export["orders"][0]["id"], json!(order), "{export}");
        assert_eq!(export["orders"][0]["lines"][0]["name_ko"], "흰우유 1L", "{export}");
        assert_eq!(export["favourites"][0]["name"], "Mapo Mart", "{export}");
        assert_eq!(export["alerts"][0]["product_id"], json!(m.milk), "{export}");
    })
    .await;
}

#[tokio::test]
async fn a_customer_attaches_a_prescription_photo_from_the_order_page_while_the_pharmacist_checks() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let (_, area) = app.post("/operator/market/areas", Some(&operator), json!({"name": "Jung"})).await;
        let pharmacy = shop(app, &operator, "Jung Pharmacy", 366, 100).await;
        seller(app, &operator, &pharmacy, area["id"].as_str().unwrap(), "pharmacy").await;
        let antibiotic = product(
            app,
            &pharmacy,
            json!({"name_en": "Amoxicillin", "category": "medicine", "price": "4.00", "unit": "pack", "stock": 5,
                "needs_pharmacist": true}),
        )
        .await;
        let agent = app.agent(&operator, "+15550366001", "100.00").await;
        let customer = app.customer("+15550366021").await;
        app.cash_in(&agent, &customer.phone, "20.00").await;
        let (status, cart) = add(app, &customer, &antibiotic, 1).await;
        assert_eq!(status, 200, "{cart}");
        let body = json!({"payment": wallet("1234"), "fulfilments": [pickup(&pharmacy.id)]});
        let (status, orders) = checkout(app, &customer, "rx-web-1", body).await;
        assert_eq!(status, 201, "{orders}");
        let order = orders[0]["id"].as_str().unwrap().to_owned();

        let cookie = customer_session(app, &customer.phone).await;
        let order_page = format!("/market/orders/{order}");
        let (_, html) = page(app, &cookie, &order_page).await;
        assert!(html.contains("A photo of your prescription helps."), "{html}");
        let csrf = field(&html, "csrf");
        let send = |bytes: Vec<u8>| {
            let (cookie, csrf, url) =
                (cookie.clone(), csrf.clone(), format!("{}{order_page}/prescription", app.base()));
            async move {
                let parts = [
                    Part::Field { name: "csrf", value: &csrf },
                    Part::File { name: "file", filename: "rx.png", content_type: "image/png", bytes: &bytes },
                ];
                let (content_type, body) = multipart(&parts);
                let answer = client()
                    .post(url)
                    .header("cookie", cookie)
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = answer.status().as_u16();
                (status, answer.text().await.unwrap())
            }
        };

        // A decompression bomb is refused by its header, and nothing is kept.
        let (status, html) = send(crate::market_images::png_claiming(40_000, 40_000)).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("This photo is too large"), "{html}");
        let (_, seen) = app.get(&format!("/me/orders/{order}"), &customer.token).await;
        assert!(seen["prescription_uploaded_at"].is_null(), "{seen}");

        let mut png = Vec::new();
        image::DynamicImage::new_rgb8(64, 48)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let (status, _) = send(png).await;
        assert_eq!(status, 303);
        let (_, html) = page(app, &cookie, &format!("{order_page}?done=prescription")).await;
        assert!(html.contains("Your prescription photo is attached. A new one replaces it."), "{html}");
        let (_, seen) = app.get(&format!("/me/orders/{order}"), &customer.token).await;
        assert!(seen["prescription_uploaded_at"].is_string(), "{seen}");
        assert!(seen["next_actions"].as_array().unwrap().contains(&json!("attach_prescription")), "{seen}");
    })
    .await;
}
