//! The agent's counter in sections, in a real browser against a real server (SQLite): one job per
//! screen, a new card loaded from its sheet without typing its number again, and the commissions
//! earned beside the float's lines.

use serde_json::json;

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, test_config};
use crate::steps::agent_issues_card;
use crate::web_journeys::{click, fill, sign_in, text, until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_is_in_sections_a_new_card_loads_from_its_sheet_and_commissions_show() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    let agent = app.agent(&operator, "+15550340001", "500.00").await;
    let amina = app.customer("+15550340021").await;
    app.cash_in(&agent, &amina.phone, "40.00").await;

    let browser = Browser::start().await;
    let s = &browser.client;
    sign_in(s, &base, &agent.phone, "agent-password").await;
    until(s, "return location.pathname === '/agent/'", "the counter").await;
    // One job a screen: cash in first, the others a tap away.
    let forms = "return [...document.querySelectorAll('main form')].map(f => f.getAttribute('action'))";
    assert_eq!(s.execute(forms, vec![]).await.unwrap(), json!(["/agent/cash-in/confirm"]));
    let tabs = "return [...document.querySelectorAll('nav.sections a')].map(a => a.getAttribute('href'))";
    let tabs = s.execute(tabs, vec![]).await.unwrap();
    assert_eq!(tabs, json!(["/agent/", "/agent/cash-out", "/agent/cards", "/agent/float"]));
    let current = "return document.querySelector('nav.sections a[aria-current=page]').getAttribute('href')";
    assert_eq!(s.execute(current, vec![]).await.unwrap(), json!("/agent/"));

    // A new card: its sheet loads it, the number never typed again.
    click(s, "nav.sections a[href='/agent/cards']").await;
    until(s, "return location.pathname === '/agent/cards'", "the cards section").await;
    browser.assert_within_budget("the cards section").await;
    let number = agent_issues_card(s, "4321").await;
    fill(s, "#load-amount", "12.00").await;
    click(s, "form#load-new-card button[type=submit]").await;
    let loaded = until(s, "return document.querySelector('.ok')?.textContent", "the load").await;
    // Fluent isolates each value in the sentence (U+2068…U+2069).
    let loaded = loaded.as_str().unwrap().replace(['\u{2068}', '\u{2069}'], "");
    assert!(loaded.starts_with("Card loaded: 12.00 USD onto "), "{loaded}");
    let (status, card) = app.post("/cards/balance", None, json!({"number": number, "pin": "4321"})).await;
    assert_eq!((status, &card["balance"]["amount"]), (200, &json!("12.00")), "{card}");

    // The float's section: its lines and what the counter has earned.
    click(s, "nav.sections a[href='/agent/float']").await;
    until(s, "return location.pathname === '/agent/float'", "the float section").await;
    let (_, earned) = app.get("/agent/commissions", &agent.token).await;
    let total = earned["totals"][0]["earned"]["amount"].as_str().unwrap_or("0.00").to_owned();
    let page = text(s).await;
    assert!(page.contains("Commissions earned"), "{page}");
    if earned["totals"].as_array().is_some_and(|t| !t.is_empty()) {
        assert!(page.contains(&format!("{total} USD")), "the API's total on the page: {page}");
    } else {
        assert!(page.contains("No commissions yet"), "{page}");
    }
    assert!(s.find(fantoccini::Locator::Css("table.lines")).await.is_ok(), "the float's lines");

    browser.stop().await;
    app.finish().await;
}
