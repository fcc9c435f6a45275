//! Staff choose their time zone on a page (issue 19): an agent and an operator find
//! `/account/time-zone` from their consoles, a zone no one knows is refused in the reader's
//! language (422, as the API refuses it) with nothing changed, and once they choose, the times on
//! their pages (the float's lines, a person's history) are in their zone. A cashier reads that the
//! shop's zone applies and has no form; a customer is sent to the wallet's settings.

use serde_json::json;

use crate::harness::{TestApp, on_each_backend};
use crate::web_time::{LATE_UTC, page, post_zone, set_clock};

const ACCOUNT: &str = "/account/time-zone";

/// The zone the API says this person reads times in.
async fn api_zone(app: &TestApp, token: &str) -> serde_json::Value {
    let (status, zone) = app.get("/me/time-zone", token).await;
    assert_eq!(status, 200, "{zone}");
    zone
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_and_an_operator_choose_their_zone_on_a_page_and_their_times_follow_it() {
    on_each_backend(async |app: &TestApp| {
        // A cash-in at 23:30 UTC on the 14th: 08:30 on the 15th in Seoul, 18:30 on the 14th in Lima.
        set_clock(app, LATE_UTC);
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550930001", "200.00").await;
        let customer = app.customer("+15550930002").await;
        app.cash_in(&agent, &customer.phone, "5.00").await;

        // The agent's counter links the page; until they choose, the network's zone (UTC).
        let float = page(app, "/agent/float", &agent.token).await;
        assert!(float.contains("<a href=\"/account/time-zone\">Time zone: UTC</a>"), "{float}");
        assert!(float.contains(">23:30</time>"), "{float}");
        let account = page(app, ACCOUNT, &agent.token).await;
        assert!(account.contains("action=\"/account/time-zone\"") && account.contains("id=\"zone-now\">UTC<"));

        // A zone no one knows: refused on the same page, in Korean, and nothing changed.
        let (status, html) = post_zone(app, ACCOUNT, "/account/time-zone?lang=ko", &agent.token, "Mars/Olympus").await;
        assert_eq!(status, 422, "{html}");
        assert!(html.contains("알 수 없는 시간대입니다") && html.contains("<html lang=\"ko\">"), "{html}");
        assert!(html.contains("class=\"error\""), "{html}");
        assert_eq!(api_zone(app, &agent.token).await, json!({"time_zone": "UTC", "chosen": false}));

        // Seoul: saved, and the float's line is at Seoul's 08:30.
        let (status, html) = post_zone(app, ACCOUNT, ACCOUNT, &agent.token, "Asia/Seoul").await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("class=\"ok\"") && html.contains("id=\"zone-now\">Asia/Seoul<"), "{html}");
        assert_eq!(api_zone(app, &agent.token).await, json!({"time_zone": "Asia/Seoul", "chosen": true}));
        let float = page(app, "/agent/float?lang=en", &agent.token).await;
        assert!(float.contains(">08:30</time>") && !float.contains(">23:30</time>"), "{float}");
        assert!(float.contains("Time zone: Asia/Seoul"), "{float}");

        // The operator's home links the page; a person's history, read under a grant, follows the
        // operator's zone once chosen (Lima), not the agent's.
        let home = page(app, "/operator/?lang=en", &operator).await;
        assert!(home.contains("<a href=\"/account/time-zone\">Time zone: UTC</a>"), "{home}");
        let grants = format!("/operator/people/{}/access-grants", customer.id);
        let (status, grant) =
            app.post(&grants, Some(&operator), json!({"reason": "complaint 93: a cash-in's time"})).await;
        assert_eq!(status, 201, "{grant}");
        let history = format!("/operator/people/{}/history", customer.id);
        assert!(page(app, &history, &operator).await.contains(">23:30</time>"));
        let (status, html) = post_zone(app, ACCOUNT, ACCOUNT, &operator, "America/Lima").await;
        assert_eq!(status, 200, "{html}");
        let read = page(app, &history, &operator).await;
        assert!(read.contains(">18:30</time>") && !read.contains(">23:30</time>"), "{read}");
        assert_eq!(api_zone(app, &operator).await, json!({"time_zone": "America/Lima", "chosen": true}));
        assert_eq!(api_zone(app, &agent.token).await["time_zone"], json!("Asia/Seoul"), "each their own");
    })
    .await;
}

#[tokio::test]
async fn a_cashier_reads_that_the_shops_zone_applies_and_a_customer_chooses_in_the_wallet() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let shop = crate::harness::shop(app, &operator, "Zone Shop", 931, 0).await;
        let body = json!({"time_zone": "Asia/Seoul"});
        let (status, zone) =
            app.request(reqwest::Method::PUT, "/merchant/time-zone", Some(&shop.owner), None, Some(body)).await;
        assert_eq!(status, 200, "{zone}");

        // The cashier's page names the shop's zone, with no form; the till links it.
        let account = page(app, &format!("{ACCOUNT}?lang=en"), &shop.cashier).await;
        assert!(account.contains("in your shop&#39;s time zone, \u{2068}Asia/Seoul\u{2069}"), "{account}");
        assert!(!account.contains("action=\"/account/time-zone\""), "no form: {account}");
        assert!(page(app, "/till/", &shop.cashier).await.contains("Time zone: Asia/Seoul"));
        // A posted form is refused: the shop's owner chooses.
        let (status, html) = post_zone(app, ACCOUNT, ACCOUNT, &shop.cashier, "UTC").await;
        assert_eq!(status, 403, "{html}");
        let (status, zone) = app.get("/merchant/time-zone", &shop.cashier).await;
        assert_eq!((status, &zone["time_zone"]), (200, &json!("Asia/Seoul")), "{zone}");

        // A customer chooses on the wallet's settings, and an owner on the shop's profile.
        let customer = app.customer("+15550930021").await;
        let settings = page(app, ACCOUNT, &customer.token).await;
        assert!(settings.contains("action=\"/wallet/time-zone\""), "{settings}");
        let profile = page(app, ACCOUNT, &shop.owner).await;
        assert!(profile.contains("action=\"/merchant/time-zone\""), "{profile}");
    })
    .await;
}
