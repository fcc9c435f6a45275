//! The owner's payouts in a real browser against a real server (SQLite): a bank account added, a
//! payout asked for and seen waiting with its money set aside, and an automatic payout set.

use serde_json::json;

use crate::browser::Browser;
use crate::harness::{Backend, TestApp, test_config};
use crate::harness::{merchant_balance, shop};
use crate::web_journeys::{click, fill, sign_in, text, until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_adds_a_bank_account_and_asks_for_a_payout_on_the_page() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    let agent = app.agent(&operator, "+15550320002", "1000.00").await;
    let bakery = shop(&app, &operator, "Payout Bakery", 320, 0).await;
    // The shop earns 20.00 from a card payment.
    let (status, card) = app.post_key("/agent/cards", &agent.token, "payout-card", json!({"pin": "4321"})).await;
    assert_eq!(status, 201, "{card}");
    let number = card["number"].as_str().unwrap();
    let top_up = json!({"number": number, "amount": "30.00"});
    let (status, body) = app.post_key("/agent/cards/top-up", &agent.token, "payout-top-up", top_up).await;
    assert_eq!(status, 201, "{body}");
    let sale = json!({"number": number, "pin": "4321", "amount": "20.00"});
    let (status, body) = app.post_key("/merchant/card-payments", &bakery.cashier, "payout-sale", sale).await;
    assert_eq!(status, 201, "{body}");

    let browser = Browser::start().await;
    let b = &browser.client;
    sign_in(b, &base, "+15550700320", "owner-password").await;
    b.goto(&format!("{base}/merchant/payouts")).await.unwrap();
    browser.assert_within_budget("the payouts page").await;
    assert!(text(b).await.contains("20.00 USD"), "{}", text(b).await);
    assert!(b.find(fantoccini::Locator::Css("form#payout")).await.is_err(), "no payout before a bank account");

    fill(b, "#bank_name", "First Community Bank").await;
    fill(b, "#holder_name", "Payout Bakery").await;
    fill(b, "#account_number", "0012345678").await;
    click(b, "form#bank-account button[type=submit]").await;
    until(b, "return document.querySelector('.ok')", "the bank account").await;
    assert!(text(b).await.contains("••••5678"), "shown masked: {}", text(b).await);
    assert!(!text(b).await.contains("0012345678"), "never in full again");

    // A refusal reads as a sentence; then 12.50 is asked for and set aside.
    fill(b, "#payout-amount", "500.00").await;
    click(b, "form#payout button[type=submit]").await;
    until(b, "return document.querySelector('.error')", "the refusal").await;
    assert_eq!(merchant_balance(&app, &bakery.owner).await, 2000, "a refused payout moved nothing");
    fill(b, "#payout-amount", "12.50").await;
    click(b, "form#payout button[type=submit]").await;
    until(b, "return document.querySelector('.ok')", "the payout").await;
    let page = text(b).await;
    assert!(page.contains("Waiting: the money is set aside"), "{page}");
    assert!(page.contains("7.50 USD"), "what is left to pay out: {page}");
    // A reload of the answer does not ask twice.
    b.refresh().await.unwrap();
    let (_, payouts) = app.get("/merchant/payouts", &bakery.owner).await;
    assert_eq!(payouts.as_array().unwrap().len(), 1, "{payouts}");

    // The automatic payout, in Korean.
    b.goto(&format!("{base}/merchant/payouts?lang=ko")).await.unwrap();
    b.execute("document.getElementById('schedule-account').selectedIndex = 1; return true", vec![]).await.unwrap();
    fill(b, "#threshold", "100.00").await;
    click(b, "form#payout-schedule button[type=submit]").await;
    until(b, "return document.querySelector('.ok')", "the schedule").await;
    assert!(text(b).await.contains("자동 출금을 저장했습니다."), "{}", text(b).await);
    assert!(text(b).await.contains("100.00 USD"), "{}", text(b).await);

    browser.stop().await;
    app.finish().await;
}
