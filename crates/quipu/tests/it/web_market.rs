//! The market in real browsers against a real server (SQLite). The customer searches in Korean
//! ("우유" inside "흰우유", "빵" inside "우유식빵"), fills a cart from two shops, checks out with
//! the wallet's PIN and follows the order live; the shop's board, open all along, hears the order
//! by itself and rings until someone says they heard it, then accepts, prepares, marks it ready and
//! hands it over, each move showing on the customer's page without a reload. Every screen stays
//! within its byte budget; the ledger is verified clean at the end (`TestApp::finish`).

use quipu_testkit::multipart::{Part, multipart};
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::harness::delivery::{courier, deliver, set_online, step};
use crate::harness::market::{product, seller};
use crate::harness::{Backend, TestApp, shop, test_config};
use crate::web_journeys::{Line, Signal, click, fill, sign_in, sign_out, text, until};

const CUSTOMER: &str = "+15550360021";

async fn status_of(client: &fantoccini::Client) -> Value {
    client.execute("return document.getElementById('status')?.dataset.status", vec![]).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_orders_from_two_shops_and_follows_it_live_while_the_board_rings_and_hands_it_over() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    let (status, area) = app.post("/operator/market/areas", Some(&operator), json!({"name": "Mapo"})).await;
    assert_eq!(status, 201, "{area}");
    let area = area["id"].as_str().unwrap().to_owned();
    let mart = shop(&app, &operator, "Mapo Mart", 361, 200).await;
    let bakery = shop(&app, &operator, "Corner Bakery", 362, 0).await;
    seller(&app, &operator, &mart, &area, "grocery").await;
    seller(&app, &operator, &bakery, &area, "grocery").await;
    product(&app, &mart, json!({"name_ko": "흰우유 1L", "name_en": "White milk 1L", "category": "dairy", "price": "1.50", "unit": "each", "stock": 10})).await;
    product(&app, &mart, json!({"name_ko": "신라면", "category": "noodles", "price": "0.90", "unit": "each"})).await;
    product(
        &app,
        &bakery,
        json!({"name_ko": "우유식빵", "category": "bread", "price": "3.00", "unit": "each", "stock": 5}),
    )
    .await;
    let agent = app.agent(&operator, "+15550360001", "1000.00").await;
    let customer = app.customer(CUSTOMER).await;
    app.cash_in(&agent, &customer.phone, "50.00").await;

    // Anyone may look around: the market's home, signed out, is kept a minute by caches.
    let anonymous = reqwest::Client::new().get(format!("{base}/market/?q=%EC%9A%B0%EC%9C%A0")).send().await.unwrap();
    assert_eq!(anonymous.status(), 200);
    let cache = anonymous.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(cache.starts_with("public"), "{cache}");
    let page = anonymous.text().await.unwrap();
    assert!(page.contains("White milk 1L") && page.contains("우유식빵") && !page.contains("name=\"csrf\""), "{page}");

    // The shop's board is open before any order comes.
    let shop_browser = Browser::start().await;
    let s = &shop_browser.client;
    sign_in(s, &base, "+15550700361", "owner-password").await;
    s.goto(&format!("{base}/merchant/orders?lang=en")).await.unwrap();
    shop_browser.assert_within_budget("the order board").await;
    assert_eq!(s.execute("return document.getElementById('ringing').hidden", vec![]).await.unwrap(), json!(true));
    // A busy kitchen pauses new orders from the board, and takes them again.
    click(s, "#accepting button").await;
    until(s, "return location.search.includes('done=paused')", "the pause").await;
    let (_, paused) = app.get(&format!("/market/sellers/{}", mart.id), &customer.token).await;
    assert_eq!((paused["accepting"].as_bool(), paused["open_now"].as_bool()), (Some(false), Some(false)), "{paused}");
    click(s, "#accepting button").await;
    until(s, "return location.search.includes('done=taking')", "taking orders again").await;
    s.execute("window.stillHere = 'yes'; return true", vec![]).await.unwrap();

    // The customer searches in Korean: a two-syllable word inside longer names, in both shops.
    let customer_browser = Browser::start().await;
    let c = &customer_browser.client;
    sign_in(c, &base, CUSTOMER, "customer-password").await;
    c.goto(&format!("{base}/market/?lang=ko")).await.unwrap();
    customer_browser.assert_within_budget("the market's home").await;
    c.execute(&format!("document.getElementById('area').value = '{area}'; return true"), vec![]).await.unwrap();
    fill(c, "#q", "우유").await;
    click(c, "form[role=search] button[type=submit]").await;
    until(c, "return document.getElementById('results')", "the results").await;
    customer_browser.assert_within_budget("search results").await;
    let found = text(c).await;
    assert!(found.contains("흰우유 1L") && found.contains("우유식빵") && !found.contains("신라면"), "{found}");

    // Two milks from the mart.
    let to_milk =
        "[...document.querySelectorAll('li.hit a')].find(a => a.textContent === '흰우유 1L').click(); return true";
    c.execute(to_milk, vec![]).await.unwrap();
    until(c, "return location.pathname.startsWith('/market/sellers/')", "the shop's page").await;
    customer_browser.assert_within_budget("a shop's page").await;
    let milk_id = c
        .execute("return [...document.querySelectorAll('article.product')].find(a => a.querySelector('h3').textContent === '흰우유 1L').id", vec![])
        .await
        .unwrap();
    let milk_form = format!("#{} form.add", milk_id.as_str().unwrap());
    fill(c, &format!("{milk_form} input[name=quantity]"), "2").await;
    click(c, &format!("{milk_form} button[type=submit]")).await;
    until(c, "return location.search.includes('done=added')", "the milk added").await;

    // A one-syllable word finds the bakery's loaf.
    c.goto(&format!("{base}/market/?q=%EB%B9%B5&area={area}")).await.unwrap();
    click(c, "li.hit a[href*='#p-']").await;
    until(c, "return location.pathname.startsWith('/market/sellers/')", "the bakery").await;
    click(c, "form.add button[type=submit]").await;
    until(c, "return location.search.includes('done=added')", "the loaf added").await;

    // The cart holds both shops; checkout names them and the amount before the PIN.
    c.goto(&format!("{base}/market/cart")).await.unwrap();
    customer_browser.assert_within_budget("the cart").await;
    assert_eq!(c.execute("return document.querySelectorAll('section.shop').length", vec![]).await.unwrap(), json!(2));
    assert!(text(c).await.contains("6.00"), "{}", text(c).await);
    click(c, "#to-checkout").await;
    until(c, "return document.getElementById('question')", "the checkout").await;
    customer_browser.assert_within_budget("the checkout").await;
    let question = c.execute("return document.getElementById('question').textContent", vec![]).await.unwrap();
    let question = question.as_str().unwrap();
    assert!(
        question.contains("Mapo Mart") && question.contains("Corner Bakery") && question.contains("6.00"),
        "{question}"
    );
    // The mart delivers; the bakery's loaf is picked up.
    click(c, &format!("input[name='kind-{}'][value=delivery]", mart.id)).await;
    fill(c, &format!("#address-{}", mart.id), "Building 3, flat 402").await;
    fill(c, "#pin", "1234").await;
    click(c, "#place").await;
    until(c, "return location.pathname === '/market/orders' && location.search.includes('done=placed')", "the orders")
        .await;
    customer_browser.assert_within_budget("my orders").await;
    assert_eq!(
        c.execute("return document.querySelectorAll('li.order.placed').length", vec![]).await.unwrap(),
        json!(2)
    );

    // The board heard it by itself and rings until someone says they heard it.
    until(s, "return document.getElementById('ringing') && !document.getElementById('ringing').hidden", "the ringing")
        .await;
    assert_eq!(
        s.execute("return window.stillHere ?? 'reloaded'", vec![]).await.unwrap(),
        json!("reloaded"),
        "the board read itself again"
    );
    assert!(s.execute("return document.title", vec![]).await.unwrap().as_str().unwrap().starts_with("(1)"));
    click(s, "#heard").await;
    assert_eq!(s.execute("return document.getElementById('ringing').hidden", vec![]).await.unwrap(), json!(true));

    // The customer follows the mart's order.
    c.goto(&format!("{base}/market/orders?lang=en")).await.unwrap();
    let mart_order = c
        .execute(
            "return [...document.querySelectorAll('li.order a')].find(a => a.textContent === 'Mapo Mart').href",
            vec![],
        )
        .await
        .unwrap();
    c.goto(mart_order.as_str().unwrap()).await.unwrap();
    customer_browser.assert_within_budget("the order's page").await;
    assert_eq!(status_of(c).await, json!("placed"));
    let held = text(c).await;
    assert!(held.contains("6.00") && held.contains("Building 3, flat 402"), "delivery fee 3.00 on top of 3.00: {held}");

    // The shop accepts: the customer's page shows it without anyone reloading it by hand.
    fill(s, "section.order input[name=ready_minutes]", "10").await;
    click(s, "section.order form[action$='/accept'] button").await;
    until(s, "return location.search.includes('done=accepted')", "the acceptance").await;
    until(c, "return document.getElementById('status')?.dataset.status === 'accepted'", "the accepted order, live")
        .await;
    for (action, status) in [("preparing", "preparing"), ("ready", "ready")] {
        click(s, &format!("section.order form[action$='/{action}'] button")).await;
        until(s, &format!("return location.search.includes('done={action}')"), action).await;
        until(c, &format!("return document.getElementById('status')?.dataset.status === '{status}'"), status).await;
    }
    // A courier brings it: the board offers the shop no hand-over of its own, and the courier
    // completes it with the code the customer's page shows.
    let shop_offers_hand_over =
        s.execute("return document.querySelector(\"section.order form[action$='/hand-over']\") !== null", vec![]).await;
    assert_eq!(shop_offers_hand_over.unwrap(), json!(false));
    let code = until(c, "return document.getElementById('handover-code')?.textContent", "the hand-over code").await;
    let order_id = mart_order.as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    let rider = courier(&app, &operator, "+15550360009", json!({"vehicle": "bicycle", "home_area_id": area})).await;
    set_online(&app, &rider, true).await;
    let (_, job) = app.get(&format!("/merchant/orders/{order_id}/delivery"), &mart.cashier).await;
    let job = job["id"].as_str().unwrap().to_owned();
    let (status, claimed) = app.post(&format!("/courier/jobs/{job}/claim"), Some(&rider.token), json!({})).await;
    assert_eq!(status, 200, "{claimed}");
    for to in ["at_pickup", "picked_up"] {
        let (status, body) = step(&app, &rider, &job, to, None).await;
        assert_eq!(status, 200, "{to}: {body}");
    }
    let (status, delivered) = deliver(&app, &rider, &job, code.as_str().unwrap(), None).await;
    assert_eq!(status, 200, "{delivered}");
    until(c, "return document.getElementById('status')?.dataset.status === 'completed'", "completed").await;
    let done = until(c, "return document.getElementById('captured')?.textContent", "what was paid").await;
    assert_eq!(done, json!("6.00"));

    // The ticket prints what was ordered.
    s.goto(&format!("{base}/merchant/orders/{}", mart_order.as_str().unwrap().rsplit('/').next().unwrap()))
        .await
        .unwrap();
    shop_browser.assert_within_budget("the order's ticket").await;
    let ticket = text(s).await;
    assert!(ticket.contains("White milk 1L") && ticket.contains("Building 3, flat 402"), "{ticket}");

    customer_browser.stop().await;
    shop_browser.stop().await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_and_the_cart_seen_before_open_with_no_signal_and_say_so_and_sign_out_keeps_nothing() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let operator = app.operator().await;
    let (_, area) = app.post("/operator/market/areas", Some(&operator), json!({"name": "Hill"})).await;
    let area = area["id"].as_str().unwrap().to_owned();
    let mart = shop(&app, &operator, "Hill Mart", 363, 100).await;
    seller(&app, &operator, &mart, &area, "grocery").await;
    let rice =
        product(&app, &mart, json!({"name_en": "Rice 1kg", "category": "grains", "price": "2.00", "unit": "each"}))
            .await;
    let customer = app.customer(CUSTOMER).await;
    let (status, cart) =
        app.post("/me/cart/lines", Some(&customer.token), json!({"product_id": rice, "quantity": 3})).await;
    assert_eq!(status, 200, "{cart}");

    let signal = Signal::start(app.addr()).await;
    let base = signal.base();
    let phone = Browser::start().await;
    let p = &phone.client;
    sign_in(p, &base, CUSTOMER, "customer-password").await;
    let shop_page = format!("{base}/market/sellers/{}", mart.id);
    p.goto(&shop_page).await.unwrap();
    // The market's worker is in charge of its pages before the signal goes.
    until(p, "return Boolean(navigator.serviceWorker.controller)", "the market's worker").await;
    p.goto(&shop_page).await.unwrap();
    p.goto(&format!("{base}/market/cart")).await.unwrap();
    until(p, "return document.getElementById('cart-total')", "the cart").await;
    assert_eq!(
        p.execute("return document.getElementById('offline').hidden", vec![]).await.unwrap(),
        json!(true),
        "online: no banner"
    );

    // No signal: the shop and the cart open as they were, and say so.
    signal.set(Line::Dropped);
    p.goto(&shop_page).await.unwrap();
    until(p, "return !document.getElementById('offline')?.hidden", "the offline banner on the shop").await;
    assert!(text(p).await.contains("Rice 1kg"));
    p.goto(&format!("{base}/market/cart")).await.unwrap();
    until(p, "return !document.getElementById('offline')?.hidden", "the offline banner on the cart").await;
    assert!(text(p).await.contains("6.00"), "{}", text(p).await);

    // Signed out, nothing of the market is kept on this browser.
    signal.set(Line::Online);
    p.goto(&format!("{base}/market/cart")).await.unwrap();
    until(p, "return document.getElementById('offline')?.hidden", "back online").await;
    sign_out(p).await;
    let kept = p
        .execute_async(
            "const done = arguments[0]; caches.keys().then(names => done(names.filter(n => n.startsWith('market-'))))",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(kept, json!([]), "sign-out wipes the market's pages");
    signal.set(Line::Dropped);
    let gone = p.goto(&format!("{base}/market/cart")).await;
    let shown = if gone.is_ok() { text(p).await } else { String::new() };
    assert!(!shown.contains("Rice 1kg"), "{shown}");

    phone.stop().await;
    app.finish().await;
}

#[tokio::test]
async fn the_owner_keeps_the_catalog_from_a_csv_file_and_changes_a_price_in_place() {
    crate::harness::on_each_backend(async |app| {
        let base = app.base();
        let operator = app.operator().await;
        let (_, area) = app.post("/operator/market/areas", Some(&operator), json!({"name": "Dock"})).await;
        let mart = shop(app, &operator, "Dock Mart", 364, 100).await;
        seller(app, &operator, &mart, area["id"].as_str().unwrap(), "grocery").await;
        let client = crate::forms::client();
        let cookie = crate::web::signed_in(&client, &base, "+15550700364", "owner-password").await;
        let cookie = format!("{cookie}; lang=en");
        let page = client.get(format!("{base}/merchant/catalog")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let csrf = crate::forms::field(&page.text().await.unwrap(), "csrf");
        let upload = |fields: Vec<(&'static str, String, Option<&'static str>)>| {
            let (client, base, cookie) = (client.clone(), base.clone(), cookie.clone());
            async move {
                let parts: Vec<Part> = fields
                    .iter()
                    .map(|(name, value, file)| match file {
                        Some(filename) => {
                            Part::File { name, filename, content_type: "text/csv", bytes: value.as_bytes() }
                        }
                        None => Part::Field { name, value },
                    })
                    .collect();
                let (content_type, body) = multipart(&parts);
                let answer = client
                    .post(format!("{base}/merchant/catalog/import"))
                    .header("cookie", cookie)
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                let status = answer.status().as_u16();
                let location =
                    answer.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                (status, location, answer.text().await.unwrap())
            }
        };

        // A file with a bad line: nothing is imported, and the page says which line and why.
        let header = "sku,name_ko,name_en,description,category,price,unit,stock,needs_pharmacist,visible\n";
        let bad = format!(
            "{header}RICE-1,쌀 1kg,Rice 1kg,,grains,2.00,each,10,false,true\nOIL-1,,Oil,,pantry,-1,each,,false,true\n"
        );
        let (status, _, html) = upload(vec![("csrf", csrf.clone(), None), ("file", bad, Some("catalog.csv"))]).await;
        assert_eq!(status, 422, "{html}");
        let plain = html.replace(['\u{2068}', '\u{2069}'], "");
        assert!(plain.contains("id=\"refused\"") && plain.contains("Line 3, price"), "{html}");
        let (_, products) = app.get("/merchant/products", &mart.owner).await;
        assert_eq!(products, json!([]), "nothing half-imported");

        // The token comes first, or nothing is read.
        let good = format!(
            "{header}RICE-1,쌀 1kg,Rice 1kg,,grains,2.00,each,10,false,true\nOIL-1,,Oil,,pantry,4.50,each,,false,true\n"
        );
        let (status, _, _) =
            upload(vec![("file", good.clone(), Some("catalog.csv")), ("csrf", csrf.clone(), None)]).await;
        assert_eq!(status, 403);
        let (status, _, _) =
            upload(vec![("csrf", "0123456789abcdef".to_owned(), None), ("file", good.clone(), Some("catalog.csv"))])
                .await;
        assert_eq!(status, 403);
        let (status, location, html) =
            upload(vec![("csrf", csrf.clone(), None), ("file", good, Some("catalog.csv"))]).await;
        assert_eq!(
            (status, location.as_str()),
            (303, "/merchant/catalog?done=imported&created=2&updated=0&unchanged=0"),
            "{html}"
        );
        let shown = client
            .get(format!("{base}{location}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(shown.contains("Imported: \u{2068}2\u{2069} added") && shown.contains("Rice 1kg"), "{shown}");

        // A price and a count changed in place, from the page's own form.
        let (_, products) = app.get("/merchant/products", &mart.owner).await;
        let rice = products.as_array().unwrap().iter().find(|p| p["sku"] == json!("RICE-1")).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let form = [("csrf", csrf.as_str()), ("price", "2.40"), ("stock", "7")];
        let changed = client
            .post(format!("{base}/merchant/catalog/{rice}"))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 303);
        let (_, product) = app.get("/merchant/products?limit=10", &mart.owner).await;
        let rice = product.as_array().unwrap().iter().find(|p| p["sku"] == json!("RICE-1")).unwrap();
        assert_eq!((rice["price"]["amount"].as_str(), rice["stock"].as_u64()), (Some("2.40"), Some(7)), "{rice}");
        let form = [("csrf", csrf.as_str()), ("price", "-3")];
        let refused = client
            .post(format!("{base}/merchant/catalog/{}", rice["id"].as_str().unwrap()))
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422);
        // A cashier does not keep the catalog.
        let cashier = crate::web::signed_in(&client, &base, "+15550710364", "cashier-password").await;
        let page = client.get(format!("{base}/merchant/catalog")).header("cookie", &cashier).send().await.unwrap();
        assert_eq!(page.status(), 403);
    })
    .await;
}

#[tokio::test]
async fn a_pharmacist_signs_in_to_the_board_and_checks_an_orders_medicines_from_its_ticket() {
    crate::harness::on_each_backend(async |app| {
        let base = app.base();
        let operator = app.operator().await;
        let (_, area) = app.post("/operator/market/areas", Some(&operator), json!({"name": "Clinic Row"})).await;
        let pharmacy = shop(app, &operator, "Row Pharmacy", 365, 100).await;
        seller(app, &operator, &pharmacy, area["id"].as_str().unwrap(), "pharmacy").await;
        let body = json!({"phone": "+15550720365", "full_name": "Pharmacist", "password": "pharmacist-password"});
        let (status, added) = app.post("/merchant/pharmacists", Some(&pharmacy.owner), body).await;
        assert_eq!(status, 201, "{added}");
        let strong = product(app, &pharmacy, json!({"name_en": "Strong painkiller", "category": "medicine", "price": "12.00", "unit": "each", "stock": 5, "needs_pharmacist": true})).await;
        let mild = product(app, &pharmacy, json!({"name_en": "Antibiotic", "category": "medicine", "price": "8.00", "unit": "each", "stock": 5, "needs_pharmacist": true})).await;
        let agent = app.agent(&operator, "+15550360365", "100.00").await;
        let customer = app.customer("+15550360366").await;
        app.cash_in(&agent, &customer.phone, "50.00").await;
        for product in [&strong, &mild] {
            app.post("/me/cart/lines", Some(&customer.token), json!({"product_id": product, "quantity": 1})).await;
        }
        let checkout = json!({"payment": {"method": "wallet", "pin": "1234"}, "fulfilments": [{"seller_id": pharmacy.id, "kind": "pickup"}]});
        let (status, orders) = app.post_key("/me/checkout", &customer.token, "pharmacy-web", checkout).await;
        assert_eq!((status, orders[0]["status"].as_str()), (201, Some("awaiting_pharmacist")), "{orders}");
        let order = orders[0]["id"].as_str().unwrap().to_owned();

        // Signed in through the sign-in page, the pharmacist lands on the board.
        let client = crate::forms::client();
        let page = client.get(format!("{base}/login")).send().await.unwrap();
        let form_cookie = crate::forms::set_cookie(&page, "quipu_form");
        let csrf = crate::forms::field(&page.text().await.unwrap(), "csrf");
        let login = [("csrf", csrf.as_str()), ("phone", "+15550720365"), ("password", "pharmacist-password")];
        let signed = client.post(format!("{base}/login")).header("cookie", &form_cookie).form(&login).send().await.unwrap();
        assert_eq!(signed.headers()["location"], "/merchant/orders");
        let cookie = format!("{}; lang=en", crate::forms::set_cookie(&signed, "quipu_session"));
        let board = client.get(format!("{base}/merchant/orders")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
        assert!(board.contains("Waiting for the pharmacist&#39;s check") && board.contains(&order), "{board}");

        // The ticket's check: one approved, one refused with a note; a refusal without a note is refused.
        let ticket = client.get(format!("{base}/merchant/orders/{order}")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
        assert!(ticket.contains("id=\"check\""), "{ticket}");
        let csrf = crate::forms::field(&ticket, "csrf");
        let position = |product: &str| orders[0]["lines"].as_array().unwrap().iter().find(|l| l["product_id"] == json!(product)).unwrap()["position"].to_string();
        let (strong_at, mild_at) = (position(&strong), position(&mild));
        let post = |fields: Vec<(String, String)>| {
            let (client, base, cookie, order) = (client.clone(), base.clone(), cookie.clone(), order.clone());
            async move { client.post(format!("{base}/merchant/orders/{order}/check")).header("cookie", cookie).form(&fields).send().await.unwrap() }
        };
        let mut fields = vec![("csrf".to_owned(), csrf.clone())];
        for at in [&strong_at, &mild_at] {
            fields.push(("position".to_owned(), at.clone()));
        }
        fields.push((format!("decision-{strong_at}"), "approve".to_owned()));
        fields.push((format!("decision-{mild_at}"), "refuse".to_owned()));
        let refused = post(fields.clone()).await;
        assert_eq!(refused.status(), 422, "a refusal needs its note");
        fields.push((format!("note-{mild_at}"), "needs a doctor's prescription".to_owned()));
        let saved = post(fields).await;
        assert_eq!((saved.status().as_u16(), saved.headers()["location"].to_str().unwrap()), (303, "/merchant/orders?done=checked"));
        let (_, seen) = app.get(&format!("/me/orders/{order}"), &customer.token).await;
        assert_eq!(seen["status"].as_str(), Some("placed"), "back to the shop: {seen}");
        let refused_line = seen["lines"].as_array().unwrap().iter().find(|l| l["product_id"] == json!(mild)).unwrap();
        assert_eq!((refused_line["check"].as_str(), refused_line["check_note"].as_str()), (Some("refused"), Some("needs a doctor's prescription")));
    })
    .await;
}

/// The checkout form carries its idempotency key: sent again after its answer was lost (the
/// signal dropped as the order went through), it answers the same order and charges once.
#[tokio::test]
async fn a_checkout_sent_again_after_its_answer_was_lost_places_the_order_once() {
    crate::harness::on_each_backend(async |app| {
        let m = crate::harness::market::market(app).await;
        let customer = &m.customer;
        let (status, cart) = crate::harness::market::add(app, customer, &m.bread, 1).await;
        assert_eq!(status, 200, "{cart}");
        let client = crate::forms::client();
        let base = app.base();
        let cookie = crate::web::signed_in(&client, &base, &customer.phone, "customer-password").await;
        let form = client.get(format!("{base}/market/checkout")).header("cookie", &cookie).send().await.unwrap();
        let html = form.text().await.unwrap();
        let (csrf, key) = (crate::forms::field(&html, "csrf"), crate::forms::field(&html, "idempotency_key"));
        assert!(!key.is_empty(), "the form carries its key: {html}");
        let seller = m.bakery.id.as_str();
        let kind = format!("kind-{seller}");
        let fields = [
            ("csrf", csrf.as_str()),
            ("idempotency_key", key.as_str()),
            ("seller", seller),
            (kind.as_str(), "pickup"),
            ("method", "wallet"),
            ("pin", "1234"),
        ];
        let send = async || {
            let answer =
                client.post(format!("{base}/market/checkout")).header("cookie", &cookie).form(&fields).send().await;
            let answer = answer.unwrap();
            let location = answer.headers().get("location").map(|v| v.to_str().unwrap().to_owned());
            (answer.status().as_u16(), location)
        };
        // The first answer never reaches the phone; the page is sent again as it was.
        let (status, first) = send().await;
        assert_eq!(status, 303, "{first:?}");
        let (status, again) = send().await;
        assert_eq!((status, &again), (303, &first), "the same order, not a second one");
        let (_, orders) = app.get("/me/orders", &customer.token).await;
        assert_eq!(orders.as_array().map(Vec::len), Some(1), "{orders}");
        let (_, account) = app.get(&format!("/accounts/{}", customer.account), &customer.token).await;
        assert_eq!(account["available"]["minor_units"], 10_000 - 300, "held once: {account}");
    })
    .await;
}
