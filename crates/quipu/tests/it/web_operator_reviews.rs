//! The operator's page of the market's reviews, posted as a browser without scripts would, on
//! both databases: it lists the newest reviews with their shops, hides a review's words with a
//! reason (and refuses no reason, in the reader's language), and is nobody else's; the shop's page
//! then shows the rating without the words.

use quipu_testkit::market::{completed_order, market};
use serde_json::json;

use crate::forms::{client, post_form};
use crate::harness::{TestApp, on_each_backend};

/// A page as `cookie` sees it: status and text with Fluent's isolation marks removed.
async fn page(app: &TestApp, cookie: &str, path: &str) -> (u16, String) {
    let answer = client().get(format!("{}{path}", app.base())).header("cookie", cookie).send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.text().await.unwrap().replace(['\u{2068}', '\u{2069}'], ""))
}

async fn session(app: &TestApp, phone: &str, password: &str, lang: &str) -> String {
    let cookie = crate::web::signed_in(&client(), &app.base(), phone, password).await;
    format!("{cookie}; lang={lang}")
}

#[tokio::test]
async fn the_operator_hides_a_reviews_words_from_the_reviews_page_and_the_shops_page_drops_them() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let order = completed_order(app, &m.customer, &m.mart, &m.milk, 1, "moderated").await;
        let rude = json!({"rating": 1, "comment": "The cashier is a clown"});
        let (status, review) = app.post(&format!("/me/orders/{order}/review"), Some(&m.customer.token), rude).await;
        assert_eq!(status, 201, "{review}");
        let id = review["id"].as_str().unwrap();
        let operator = session(app, "+15559990001", "staff-password", "en").await;

        // The console links to the page; it lists the review with its shop, stars and words.
        let (_, home) = page(app, &operator, "/operator/").await;
        assert!(home.contains("href=\"/operator/reviews\""), "{home}");
        let (status, html) = page(app, &operator, "/operator/reviews").await;
        assert_eq!(status, 200);
        assert!(html.contains("<h1>Shop reviews</h1>") && html.contains("Mapo Mart"), "{html}");
        assert!(html.contains("1 star") && html.contains("The cashier is a clown"), "{html}");
        let hide = format!("/operator/reviews/{id}/hide");
        assert!(html.contains(&format!("action=\"{hide}\"")), "{html}");
        assert!(html.contains(&format!("<label for=\"reason-{id}\">Why hide its words</label>")), "{html}");

        // No reason is refused, in the reader's language; nothing is hidden.
        let (status, html) = post_form(app, &operator, "/operator/reviews", &hide, &[("reason", "  ")]).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("Say why in at most 200 characters of plain text.") && html.contains("clown"), "{html}");
        let korean = session(app, "+15559990001", "staff-password", "ko").await;
        let (status, html) = post_form(app, &korean, "/operator/reviews", &hide, &[]).await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("사유는 200자 이하의 일반 글자로 써 주세요."), "{html}");

        // Nobody else moderates: not the customer, not the shop.
        for (phone, password) in [(m.customer.phone.as_str(), "customer-password"), ("+15550700031", "owner-password")]
        {
            let other = session(app, phone, password, "en").await;
            let (status, _) = page(app, &other, "/operator/reviews").await;
            assert_eq!(status, 403, "{phone}");
            let (status, _) = post_form(app, &other, "/market/", &hide, &[("reason", "mine")]).await;
            assert_eq!(status, 403, "{phone}");
        }

        // Hidden with a reason: back to the page, which says so and offers no form for it.
        let (status, _) =
            post_form(app, &operator, "/operator/reviews", &hide, &[("reason", "insults the staff")]).await;
        assert_eq!(status, 303);
        let (_, html) = page(app, &operator, "/operator/reviews?done=hidden").await;
        assert!(html.contains("The review&#39;s words are hidden."), "{html}");
        assert!(html.contains("Words hidden because:</span> insults the staff"), "{html}");
        assert!(!html.contains(&format!("action=\"{hide}\"")), "{html}");

        // The shop's page keeps the rating and drops the words.
        let (_, html) = page(app, "lang=en", &format!("/market/sellers/{}", m.mart.id)).await;
        assert!(html.contains("1.0 of 5 stars from 1 rating"), "{html}");
        assert!(!html.contains("clown"), "{html}");
    })
    .await;
}
