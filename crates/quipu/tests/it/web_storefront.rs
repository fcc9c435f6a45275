//! The shop owner's storefront page: the form filled in as the storefront is saved, saved whole as
//! the API saves it, a refusal shown on the form again with what was typed and why (nothing
//! saved), the board's accepting switch never undone by a save, the page for the owner only, and
//! a shop the operator has not made a seller yet told so plainly. Once in a real browser, from the
//! owner's menu to the saved notice.

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::harness::market::{put, seller};
use crate::harness::{Backend, TestApp, shop, test_config};
use crate::web_journeys::{click, fill, sign_in, text, until};

/// An area the operator names; its id.
async fn area(app: &TestApp, operator: &str, name: &str) -> String {
    let (status, area) = app.post("/operator/market/areas", Some(operator), json!({"name": name})).await;
    assert_eq!(status, 201, "{area}");
    area["id"].as_str().unwrap().to_owned()
}

/// The storefront as the API reads it back.
async fn saved(app: &TestApp, owner: &str) -> Value {
    let (status, storefront) = app.get("/merchant/storefront", owner).await;
    assert_eq!(status, 200, "{storefront}");
    storefront
}

#[tokio::test]
async fn the_owner_states_the_storefront_and_a_refusal_keeps_what_was_typed_and_saves_nothing() {
    crate::harness::on_each_backend(async |app| {
        let base = app.base();
        let operator = app.operator().await;
        let (mapo, hill) = (area(app, &operator, "Mapo").await, area(app, &operator, "Hill").await);
        let pier = shop(app, &operator, "Pier Mart", 371, 100).await;
        seller(app, &operator, &pier, &mapo, "grocery").await;
        let client = crate::forms::client();
        let cookie = format!("{}; lang=en", crate::web::signed_in(&client, &base, "+15550700371", "owner-password").await);
        let get = async |path: &str, cookie: &str| {
            let answer = client.get(format!("{base}{path}")).header("cookie", cookie).send().await.unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap())
        };

        // The form as the storefront is saved: every day's hours, the area it delivers to with its terms.
        let (status, page) = get("/merchant/storefront", &cookie).await;
        assert_eq!(status, 200, "{page}");
        for shown in [
            "Pier Mart",
            "Grocery",
            "Taking orders",
            "href=\"/merchant/orders\"",
            "name=\"hours-1\" maxlength=\"100\"",
            "value=\"00:00-24:00\"",
            "name=\"preparation_minutes\" type=\"number\" inputmode=\"numeric\" min=\"0\" max=\"240\" required value=\"15\"",
            "name=\"pickup\" value=\"true\" checked",
            &format!("name=\"area\" value=\"{mapo}\" checked"),
            &format!("name=\"area\" value=\"{hill}\">"),
            &format!("name=\"fee-{mapo}\" inputmode=\"decimal\" maxlength=\"20\" aria-describedby=\"terms-note\" value=\"3.00\""),
            "href=\"/merchant/storefront\"",
        ] {
            assert!(page.contains(shown), "{shown}: {page}");
        }
        assert_eq!(page.matches("value=\"00:00-24:00\"").count(), 7, "seven days, Monday first");
        let csrf = crate::forms::field(&page, "csrf");

        // The board pauses new orders after the form was opened: saving the form keeps the pause.
        let (status, body) = put(app, "/merchant/storefront/accepting", &pier.owner, json!({"accepting": false})).await;
        assert_eq!(status, 200, "{body}");
        let mut form: Vec<(String, String)> = [
            ("csrf", csrf.as_str()),
            ("description", "Fresh fish\r\nevery morning"),
            ("address", "Pier 3"),
            ("latitude", "37.5563"),
            ("longitude", "126.9236"),
            ("hours-1", "09:00-12:00,13:00-18:00"),
            ("hours-2", "09:00-18:00"),
            ("hours-3", "09:00-18:00"),
            ("hours-4", "09:00-18:00"),
            ("hours-5", "09:00-18:00"),
            ("hours-6", "10:00-14:00"),
            ("hours-7", ""),
            ("closures", "2027-01-01, 2027-01-02\r\n2027-02-10"),
            ("preparation_minutes", "30"),
            ("radius", "2000"),
            ("fee-radius", "1.00"),
            ("minimum-radius", "5.00"),
            ("free_from-radius", ""),
            ("area", hill.as_str()),
            (format!("fee-{mapo}").as_str(), "3.00"),
            (format!("minimum-{mapo}").as_str(), "2.00"),
            (format!("fee-{hill}").as_str(), "2.50"),
            (format!("minimum-{hill}").as_str(), ""),
            (format!("free_from-{hill}").as_str(), "20.00"),
        ]
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
        let post = async |form: &[(String, String)], cookie: &str| {
            let answer = client
                .post(format!("{base}/merchant/storefront"))
                .header("cookie", cookie)
                .form(form)
                .send()
                .await
                .unwrap();
            let location = answer.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            (answer.status().as_u16(), location, answer.text().await.unwrap())
        };
        let (status, location, html) = post(&form, &cookie).await;
        assert_eq!((status, location.as_str()), (303, "/merchant/storefront?done=saved"), "{html}");
        let (_, page) = get(&location, &cookie).await;
        assert!(page.contains("The storefront is saved.") && page.contains("Paused: no new orders"), "{page}");
        let stored = saved(app, &pier.owner).await;
        assert_eq!(stored["hours"][0], json!("09:00-12:00,13:00-18:00"), "{stored}");
        assert_eq!((&stored["hours"][5], &stored["hours"][6]), (&json!("10:00-14:00"), &json!("")), "Sunday closed");
        assert_eq!(stored["closures"], json!(["2027-01-01", "2027-01-02", "2027-02-10"]));
        assert_eq!(stored["description"], json!("Fresh fish every morning"), "one line");
        assert_eq!((stored["preparation_minutes"].as_u64(), stored["pickup"].as_bool()), (Some(30), Some(false)));
        assert!((stored["latitude"].as_f64().unwrap() - 37.5563).abs() < 1e-4, "{stored}");
        let radius = &stored["delivery_radius"];
        assert_eq!((radius["metres"].as_u64(), radius["terms"]["fee"]["amount"].as_str()), (Some(2000), Some("1.00")));
        assert_eq!(radius["terms"]["free_from"], Value::Null, "never free: {stored}");
        let areas = stored["areas"].as_array().unwrap();
        assert_eq!(areas.len(), 1, "Mapo untied, Hill tied: {stored}");
        assert_eq!(areas[0]["area_id"], json!(hill));
        let terms = &areas[0]["terms"];
        assert_eq!(
            (terms["fee"]["amount"].as_str(), terms["minimum_order"]["amount"].as_str(), terms["free_from"]["amount"].as_str()),
            (Some("2.50"), Some("0.00"), Some("20.00")),
            "an empty minimum is none: {stored}"
        );
        assert_eq!(stored["accepting"], json!(false), "still paused");
        // Customers read the same on the shop's public page.
        let public = reqwest::get(format!("{base}/market/sellers/{}?lang=en", pier.id)).await.unwrap().text().await.unwrap();
        assert!(public.contains("09:00-12:00,13:00-18:00") && public.contains("Hill"), "{public}");

        // Hours that are no time: the form again, 422, with the reader's sentence and what was typed.
        let typed = |form: &mut Vec<(String, String)>, name: &str, value: &str| {
            form.iter_mut().find(|(field, _)| field == name).unwrap().1 = value.to_owned();
        };
        typed(&mut form, "hours-1", "25:00-26:00");
        typed(&mut form, "preparation_minutes", "45");
        typed(&mut form, "address", "Pier 4");
        let (status, _, html) = post(&form, &cookie).await;
        assert_eq!(status, 422, "{html}");
        for kept in [
            "Opening hours are times such as 09:00-18:00",
            "value=\"25:00-26:00\"",
            "value=\"Pier 4\"",
            "required value=\"45\"",
            &format!("name=\"area\" value=\"{hill}\" checked"),
            &format!("name=\"area\" value=\"{mapo}\">"),
            ">Fresh fish\r\nevery morning</textarea>",
        ] {
            assert!(html.contains(kept), "{kept}: {html}");
        }
        let unchanged = saved(app, &pier.owner).await;
        assert_eq!(unchanged, stored, "nothing saved");
        // A latitude that is no number is refused as a location, in Korean for a Korean reader.
        typed(&mut form, "hours-1", "09:00-18:00");
        typed(&mut form, "latitude", "north");
        let (status, _, html) = post(&form, &cookie.replace("lang=en", "lang=ko")).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("위치에는 위도(-90~90)와 경도(-180~180)가 모두 필요합니다.") && html.contains("가게 정보"), "{html}");
        // Without the page's token nothing is read.
        form.retain(|(name, _)| name != "csrf");
        typed(&mut form, "latitude", "37.5");
        let (status, _, html) = post(&form, &cookie).await;
        assert_eq!(status, 403, "{html}");
        assert_eq!(saved(app, &pier.owner).await, stored, "nothing saved");

        // The page is the owner's: a cashier is refused, reading or posting.
        let cashier = crate::web::signed_in(&client, &base, "+15550710371", "cashier-password").await;
        let (status, _) = get("/merchant/storefront", &cashier).await;
        assert_eq!(status, 403);
        let (_, till) = get("/till/", &cashier).await;
        form.push(("csrf".to_owned(), crate::forms::field(&till, "csrf")));
        let (status, _, html) = post(&form, &cashier).await;
        assert_eq!(status, 403, "{html}");
        assert_eq!(saved(app, &pier.owner).await, stored, "nothing saved");

        // A shop the operator has not made a seller: the page says who does, and has no form.
        shop(app, &operator, "Dock Kiosk", 372, 100).await;
        let kiosk = format!("{}; lang=en", crate::web::signed_in(&client, &base, "+15550700372", "owner-password").await);
        let (status, page) = get("/merchant/storefront", &kiosk).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("operator enables sellers") && !page.contains("id=\"storefront\""), "{page}");
        let mut attempt = form.clone();
        attempt.retain(|(name, _)| name != "csrf");
        attempt.push(("csrf".to_owned(), crate::forms::field(&page, "csrf")));
        let (status, _, html) = post(&attempt, &kiosk).await;
        assert_eq!(status, 404, "{html}");
        assert!(html.contains("operator enables sellers"), "{html}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_opens_the_storefront_from_the_menu_changes_it_in_a_browser_and_saves_it() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    let (mapo, hill) = (area(&app, &operator, "Mapo").await, area(&app, &operator, "Hill").await);
    let pier = shop(&app, &operator, "Pier Mart", 373, 100).await;
    seller(&app, &operator, &pier, &mapo, "grocery").await;

    let browser = Browser::start().await;
    let b = &browser.client;
    sign_in(b, &base, "+15550700373", "owner-password").await;
    b.goto(&format!("{base}/merchant/orders?lang=en")).await.unwrap();
    click(b, "nav.owner a[href='/merchant/storefront']").await;
    until(
        b,
        "return location.pathname === '/merchant/storefront' && document.getElementById('storefront')",
        "the form",
    )
    .await;
    browser.assert_within_budget("the storefront").await;
    fill(b, "#hours-3", "10:00-16:00").await;
    fill(b, "#hours-7", "").await;
    fill(b, "#preparation_minutes", "25").await;
    fill(b, "#latitude", "37.55").await;
    fill(b, "#longitude", "126.92").await;
    fill(b, "#radius", "1500").await;
    fill(b, "#fee-radius", "1.50").await;
    click(b, &format!("input[name=area][value='{hill}']")).await;
    fill(b, &format!("#fee-{hill}"), "4.00").await;
    fill(b, &format!("#minimum-{hill}"), "10.00").await;
    click(b, "#save").await;
    until(b, "return location.search.includes('done=saved')", "the saved storefront").await;
    assert!(text(b).await.contains("The storefront is saved."), "{}", text(b).await);

    let stored = saved(&app, &pier.owner).await;
    assert_eq!((&stored["hours"][2], &stored["hours"][6]), (&json!("10:00-16:00"), &json!("")), "{stored}");
    assert_eq!(stored["preparation_minutes"], json!(25));
    assert_eq!(stored["delivery_radius"]["metres"], json!(1500));
    let areas: Vec<&Value> = stored["areas"].as_array().unwrap().iter().collect();
    assert_eq!(areas.len(), 2, "{stored}");
    let hill_terms = &areas.iter().find(|a| a["area_id"] == json!(hill)).unwrap()["terms"];
    assert_eq!(hill_terms["minimum_order"]["amount"], json!("10.00"));
    // The form shows what was saved.
    let shown = b.execute("return document.getElementById('hours-3').value", vec![]).await.unwrap();
    assert_eq!(shown, json!("10:00-16:00"));

    browser.stop().await;
    app.finish().await;
}
