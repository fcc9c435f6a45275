//! The operator's console in a real browser against a real server (SQLite):
//! the operator onboards a shop and an agent, issues e-money into the
//! agent's float, sets the shop's fee, freezes and unfreezes a customer with
//! a reason the customer reads, moves the customer to a tier and checks the
//! ledger. A bad amount comes back in Korean with the form as it was, and a
//! double-submitted issue form moves the money once.

use fantoccini::{Client, Locator};
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::forms::field;
use crate::harness::{Backend, TestApp, test_config};
use crate::web_journeys::{click, fill, sign_in, text, until};

const OWNER_PHONE: &str = "+15550600011";
const AGENT_PHONE: &str = "+15550600001";
const CUSTOMER_PHONE: &str = "+15550600021";

/// A field's current value in the page.
async fn value(client: &Client, css: &str) -> String {
    let field = client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("no field {css}"));
    field.prop("value").await.unwrap().unwrap_or_default()
}

/// The agent's float, as the agent reads it through the API.
async fn float(app: &TestApp, agent_token: &str) -> Value {
    let (status, me) = app.get("/me", agent_token).await;
    assert_eq!(status, 200, "{me}");
    me["accounts"][0]["available"]["amount"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_onboards_issues_sets_fees_and_tiers_freezes_and_checks_the_ledger() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    let customer = app.customer(CUSTOMER_PHONE).await;
    let browser = Browser::start().await;
    let s = &browser.client;

    // Sign in; the console links its sections.
    sign_in(s, &base, "+15559990001", "staff-password").await;
    until(s, "return location.pathname === '/operator/'", "the operator's console").await;
    click(s, "#sections a[href='/operator/onboarding']").await;
    until(s, "return location.pathname === '/operator/onboarding'", "onboarding").await;

    // A shop and its owner: the owner's page shows what was made.
    fill(s, "#shop-name", "Harbour Bakery").await;
    fill(s, "#owner-phone", OWNER_PHONE).await;
    fill(s, "#owner-name", "Hana Baker").await;
    fill(s, "#owner-password", "owner-password-1").await;
    click(s, "form[action='/operator/merchants'] button").await;
    until(s, "return location.pathname.startsWith('/operator/people/') && document.querySelector('.ok')", "the shop")
        .await;
    let page = text(s).await;
    assert!(page.contains("Shop created") && page.contains(OWNER_PHONE) && page.contains("Harbour Bakery"), "{page}");
    browser.assert_within_budget("a person's page").await;
    let merchant_id = s.find(Locator::Css("#merchant-id")).await.unwrap().text().await.unwrap();
    let owner = app.login(OWNER_PHONE, "owner-password-1").await;
    let (_, shop) = app.get("/merchant", &owner).await;
    assert_eq!(shop["id"], json!(merchant_id), "{shop}");

    // An agent: its page links the e-money forms, with the agent chosen.
    s.goto(&format!("{base}/operator/onboarding")).await.unwrap();
    fill(s, "#agent-phone", AGENT_PHONE).await;
    fill(s, "#agent-name", "Ade Agent").await;
    fill(s, "#agent-password", "agent-password").await;
    fill(s, "#agent-pin", "2468").await;
    click(s, "form[action='/operator/agents'] button").await;
    let path = until(
        s,
        "return document.querySelector('.ok') && location.pathname.startsWith('/operator/people/') && location.pathname",
        "the agent",
    )
    .await;
    let agent_id = path.as_str().unwrap().rsplit('/').next().unwrap().to_owned();
    assert!(text(s).await.contains("Agent created"), "{}", text(s).await);
    let agent = app.login(AGENT_PHONE, "agent-password").await;
    assert_eq!(float(&app, &agent).await, json!("0.00"));

    // Issue 500.00 into the float.
    click(s, "a[href^='/operator/e-money']").await;
    until(s, "return location.pathname === '/operator/e-money'", "the e-money page").await;
    assert_eq!(value(s, "#issue-agent").await, agent_id);
    fill(s, "#issue-amount", "500.00").await;
    click(s, "form[action='/operator/issuance'] button").await;
    until(s, "return location.search.includes('done=issued') && document.querySelector('.ok')", "the issue").await;
    assert_eq!(float(&app, &agent).await, json!("500.00"));

    // The same issue form posted twice (a double tap, by the session's cookie): one issuance.
    let session = s.get_named_cookie("quipu_session").await.unwrap();
    let cookie = format!("quipu_session={}", session.value());
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let form = http.get(format!("{base}/operator/e-money?agent_id={agent_id}")).header("cookie", &cookie).send();
    let html = form.await.unwrap().text().await.unwrap();
    let keys: Vec<&str> =
        html.split("name=\"idempotency_key\" value=\"").skip(1).filter_map(|r| r.split('"').next()).collect();
    assert!(keys.len() == 2 && keys[0] != keys[1], "issue and redeem each have a key of their own: {keys:?}");
    let issue = [
        ("csrf", field(&html, "csrf")),
        ("idempotency_key", field(&html, "idempotency_key")),
        ("agent_id", agent_id.clone()),
        ("amount", "25.00".to_owned()),
    ];
    for _ in 0..2 {
        let posted = http.post(format!("{base}/operator/issuance")).header("cookie", &cookie).form(&issue).send();
        let posted = posted.await.unwrap();
        let location = posted.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(
            (posted.status().as_u16(), location),
            (303, format!("/operator/e-money?done=issued&agent_id={agent_id}"))
        );
    }
    assert_eq!(float(&app, &agent).await, json!("525.00"), "the double tap issued once");

    // Redeem it back from the float.
    s.goto(&format!("{base}/operator/e-money?agent_id={agent_id}")).await.unwrap();
    fill(s, "#redeem-amount", "25.00").await;
    click(s, "form[action='/operator/redemption'] button").await;
    until(s, "return location.search.includes('done=redeemed') && document.querySelector('.ok')", "the redemption")
        .await;
    assert_eq!(float(&app, &agent).await, json!("500.00"));

    // The shop's fee: the shop found by its owner's phone, then 150 basis points.
    s.goto(&format!("{base}/operator/fees")).await.unwrap();
    fill(s, "#q", OWNER_PHONE).await;
    click(s, "form[action='/operator/fees'][method='get'] button").await;
    until(s, "return document.querySelector('ul.people a')", "the shop in the search").await;
    click(s, "ul.people a").await;
    until(s, "return document.getElementById('merchant-id').value", "the chosen shop").await;
    assert_eq!(value(s, "#merchant-id").await, merchant_id);
    fill(s, "#fee-percent", "1.5").await;
    click(s, "form[action='/operator/fees'][method='post'] button").await;
    until(s, "return location.search.includes('done=fee') && document.querySelector('.ok')", "the fee").await;
    let policy = json!({"cashiers_may_refund": false});
    let (status, settings) =
        app.request(reqwest::Method::PUT, "/merchant/refund-policy", Some(&owner), None, Some(policy)).await;
    assert_eq!((status, &settings["fee_bps"]), (200, &json!(150)), "{settings}");

    // Freeze the customer with a reason, then unfreeze; the customer reads both in the access log.
    s.goto(&format!("{base}/operator/?q=%2B{}", &CUSTOMER_PHONE[1..])).await.unwrap();
    click(s, "ul.people a").await;
    until(s, "return document.getElementById('freeze-reason')", "the customer's page").await;
    fill(s, "#freeze-reason", "Customer reported a stolen phone, ticket 5120").await;
    click(s, "form[action$='/freeze'] button").await;
    until(s, "return location.search.includes('done=frozen') && document.querySelector('.tag')", "the freeze").await;
    let (_, summary) = app.get(&format!("/operator/people/{}", customer.id), &operator).await;
    assert_eq!(summary["frozen"], json!(true), "{summary}");
    fill(s, "#freeze-reason", "Phone recovered, identity checked at the desk").await;
    click(s, "form[action$='/unfreeze'] button").await;
    until(s, "return location.search.includes('done=unfrozen') && !document.querySelector('.tag')", "the unfreeze")
        .await;
    let (status, log) = app.get("/me/access-log", &customer.token).await;
    assert_eq!(status, 200, "{log}");
    let entries: Vec<(String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_owned(), e["reason"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        entries,
        [
            ("unfrozen".to_owned(), "Phone recovered, identity checked at the desk".to_owned()),
            ("frozen".to_owned(), "Customer reported a stolen phone, ticket 5120".to_owned()),
        ],
        "{log}"
    );

    // The customer's tier, from the same page.
    assert_eq!(s.find(Locator::Css("#tier")).await.unwrap().text().await.unwrap(), "basic");
    s.find(Locator::Css("#tier-choice")).await.unwrap().select_by_value("verified").await.unwrap();
    click(s, "form[action$='/tier'] button").await;
    until(s, "return location.search.includes('done=tier') && document.querySelector('.ok')", "the tier").await;
    assert_eq!(s.find(Locator::Css("#tier")).await.unwrap().text().await.unwrap(), "verified");
    let (_, summary) = app.get(&format!("/operator/people/{}", customer.id), &operator).await;
    assert_eq!(summary["tier"], json!("verified"), "{summary}");

    // The ledger's health: checked now, and clean.
    s.goto(&format!("{base}/operator/")).await.unwrap();
    click(s, "#sections a[href='/operator/ledger']").await;
    let verdict = until(s, "return document.getElementById('verdict')?.className", "the ledger check").await;
    assert_eq!(verdict, json!("ok"), "{}", text(s).await);
    let page = text(s).await;
    assert!(page.contains("Clean: every invariant holds.") && page.contains("Checked at"), "{page}");
    let checked = s.find(Locator::Css("#ran-at")).await.unwrap().attr("datetime").await.unwrap().unwrap();
    assert!(checked.ends_with('Z') && checked.len() >= 20, "{checked}");

    // A bad amount, in Korean: refused, the form as it was typed, nothing moved.
    s.goto(&format!("{base}/operator/e-money?agent_id={agent_id}&lang=ko")).await.unwrap();
    fill(s, "#issue-amount", "abc").await;
    click(s, "form[action='/operator/issuance'] button").await;
    let refused = until(s, "return document.querySelector('.error')?.textContent", "the refusal").await;
    assert_eq!(refused, json!("쓸 수 없는 금액입니다. 12.50처럼 입력하세요."));
    let html_lang = s.execute("return document.documentElement.lang", vec![]).await.unwrap();
    assert_eq!(html_lang, json!("ko"));
    assert_eq!((value(s, "#issue-agent").await, value(s, "#issue-amount").await), (agent_id.clone(), "abc".to_owned()));
    assert_eq!(value(s, "#redeem-amount").await, "", "only the form that was sent comes back filled");
    assert_eq!(float(&app, &agent).await, json!("500.00"), "a refused issue moved nothing");

    browser.stop().await;
    app.finish().await;
}
