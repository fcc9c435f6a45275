//! Names before money moves, in a real browser: a customer reads "Send 5.00 USD to Bruno S.?"
//! before the PIN and the money moves only after it; an agent reads the customer's name before
//! taking or paying out cash, and the done notice names who, how much and a reference; an unknown phone moves
//! nothing; the owner refunds with a reason, confirmed, and the customer's receipt shows it; a
//! frozen wallet's home and pay screens say so. And, over the API on both backends, a refund's
//! reason is stored and shown on both receipts, and a hostile one is refused with nothing moved.

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::harness::{Backend, Person, TestApp, on_each_backend, test_config};
use crate::steps::{
    agent_asks_cash_in, agent_asks_cash_out, agent_pays_out_with_pin, customer_asks_to_send, customer_sends_with_pin,
    owner_asks_refund, read, refund_confirmed,
};
use crate::web_journeys::{click, fill, sign_in, sign_out, text, until};

/// A customer registered under a name of their own.
async fn person(app: &TestApp, phone: &str, full_name: &str) -> Person {
    let body = json!({"phone": phone, "full_name": full_name, "password": "customer-password", "pin": "1234"});
    let (status, body) = app.post("/auth/register", None, body).await;
    assert_eq!(status, 201, "{body}");
    Person {
        token: app.login(phone, "customer-password").await,
        id: body["user"]["id"].as_str().unwrap().to_owned(),
        account: body["accounts"][0]["id"].as_str().unwrap().to_owned(),
        phone: phone.to_owned(),
    }
}

async fn available(app: &TestApp, person: &Person) -> Value {
    let (status, account) = app.get(&format!("/accounts/{}", person.account), &person.token).await;
    assert_eq!(status, 200, "{account}");
    account["available"]["amount"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_are_read_back_before_money_moves_and_a_refund_carries_its_reason() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let operator = app.operator().await;
    app.agent(&operator, "+15550800001", "500.00").await;
    let corner = crate::harness::shop(&app, &operator, "Confirm Shop", 801, 150).await;
    let amina = person(&app, "+15550800021", "Amina Diallo").await;
    let bruno = person(&app, "+15550800022", "Bruno Costa Silva").await;
    let staff = Browser::start().await;
    let wallet = Browser::start().await;
    let (s, w) = (&staff.client, &wallet.client);

    // The agent types the phone and the amount; the console reads the customer's name back first.
    sign_in(s, &base, "+15550800001", "agent-password").await;
    until(s, "return location.pathname === '/agent/'", "the agent's console").await;
    agent_asks_cash_in(s, "+15550809999", "50.00").await;
    let refused = read(s, ".error").await;
    assert!(refused.contains("No wallet has this phone number"), "{refused}");
    agent_asks_cash_in(s, &amina.phone, "50.00").await;
    let question = read(s, "#question").await;
    assert_eq!(question, "Take 50.00 USD in cash and credit Amina D.?");
    assert!(!text(s).await.contains("Diallo"), "only the name the network shows: first name and initial");
    assert_eq!(available(&app, &amina).await, json!("0.00"), "nothing moves before the agent confirms");
    click(s, "form[action='/agent/cash-in'] button").await;
    let done = read(s, ".ok").await;
    assert!(done.starts_with("Cash in done: 50.00 USD to Amina D. · Reference "), "{done}");
    assert_eq!(available(&app, &amina).await, json!("50.00"));
    // The reference is the end of the receipt's id, which the customer finds in their history.
    let (_, history) = app.get("/me/transactions", &amina.token).await;
    let id = history["entries"][0]["transfer"]["id"].as_str().unwrap();
    let reference = done.rsplit("Reference ").next().unwrap().split(' ').next().unwrap().replace('-', "");
    assert!(id.replace('-', "").to_uppercase().ends_with(&reference), "{id} ends with {reference}");
    // A cash-out reads the name back too; the customer's PIN goes on the confirmation, a wrong one
    // moves nothing and asks again. Cash out is a section of the counter of its own.
    click(s, "nav.sections a[href='/agent/cash-out']").await;
    until(s, "return location.pathname === '/agent/cash-out'", "the cash-out section").await;
    agent_asks_cash_out(s, &amina.phone, "10.00").await;
    assert_eq!(read(s, "#question").await, "Pay out 10.00 USD in cash to Amina D.? The customer types their PIN.");
    agent_pays_out_with_pin(s, "9876").await;
    assert!(read(s, ".error").await.contains("Wrong PIN"), "{}", text(s).await);
    assert_eq!(available(&app, &amina).await, json!("50.00"));
    agent_pays_out_with_pin(s, "1234").await;
    let done = read(s, ".ok").await;
    assert!(done.starts_with("Cash out done: 10.00 USD to Amina D. · Reference "), "{done}");
    assert_eq!(available(&app, &amina).await, json!("40.00"));
    // A card loaded from the float: the notice names the card (masked), the amount and a reference.
    let agent = app.login("+15550800001", "agent-password").await;
    let (status, card) = app.post_key("/agent/cards", &agent, "confirm-card", json!({"pin": "4321"})).await;
    assert_eq!(status, 201, "{card}");
    let number = card["number"].as_str().unwrap();
    s.goto(&format!("{base}/agent/cards")).await.unwrap();
    fill(s, "#top-up-number", number).await;
    fill(s, "#top-up-amount", "5.00").await;
    click(s, "form[action='/agent/cards/top-up'] button[type=submit]").await;
    let loaded = read(s, ".ok").await;
    let masked = format!("{}******{}", &number[..6], &number[12..]);
    assert!(loaded.starts_with(&format!("Card loaded: 5.00 USD onto {masked} · Reference ")), "{loaded}");
    sign_out(s).await;

    // The customer types whom and how much; the PIN comes after "Send 5.00 USD to Bruno S.?".
    sign_in(w, &base, &amina.phone, "customer-password").await;
    w.goto(&format!("{base}/wallet/send")).await.unwrap();
    assert!(w.find(fantoccini::Locator::Css("#pin")).await.is_err(), "no PIN before the name is read back");
    customer_asks_to_send(w, "+15550809998", "5.00").await;
    assert!(read(w, ".error").await.contains("No wallet has this phone number"));
    customer_asks_to_send(w, &bruno.phone, "5.00").await;
    assert_eq!(read(w, "#question").await, "Send 5.00 USD to Bruno S.?");
    assert!(read(w, "#preview").await.contains("0.00 USD"), "the fee is shown");
    assert_eq!(available(&app, &bruno).await, json!("0.00"), "nothing moves before the PIN");
    customer_sends_with_pin(w, "1234").await;
    until(w, "return location.pathname === '/wallet/'", "the wallet's home").await;
    assert_eq!(available(&app, &bruno).await, json!("5.00"));
    assert_eq!(available(&app, &amina).await, json!("35.00"));

    // Amina pays the shop 10.00; the owner refunds 3.00 of it with a reason, confirmed first.
    let phone = crate::harness::enroll(&app, &amina).await;
    let (status, body) =
        crate::harness::charge(&app, &corner.cashier, "confirm-pay", &phone.code(&app, 0), "10.00").await;
    assert_eq!(status, 201, "{body}");
    sign_in(s, &base, "+15550700801", "owner-password").await;
    until(s, "return location.pathname === '/merchant/'", "the owner's console").await;
    let everything = read(s, ".payment button[name=whole]").await;
    assert_eq!(everything, "Refund everything (10.00 USD)", "an empty amount is not silently everything");
    fill(s, ".payment input[name=reason]", "Wrong size").await;
    click(s, ".payment form button").await;
    // Waits for the answer's page: until it has loaded, the page asked from is still there.
    error_says(s, "Type the amount to refund").await;
    owner_asks_refund(s, "3.00", "Wrong size\u{202E}nrowun").await;
    error_says(s, "no control or text-direction characters").await;
    owner_asks_refund(s, "3.00", "Wrong size, returned unworn").await;
    assert_eq!(read(s, "#question").await, "Refund 3.00 USD of 10.00 USD to the customer?");
    assert_eq!(available(&app, &amina).await, json!("25.00"), "nothing goes back before the owner confirms");
    refund_confirmed(s).await;
    until(s, "return document.querySelector('.ok')", "the refund").await;
    assert_eq!(available(&app, &amina).await, json!("28.00"));
    sign_out(s).await;

    // The customer's receipt of the refund shows the shop's reason.
    let (_, history) = app.get("/me/transactions", &amina.token).await;
    let refund = history["entries"].as_array().unwrap().iter().find(|e| e["transfer"]["code"] == "refund").unwrap();
    let id = refund["transfer"]["id"].as_str().unwrap();
    w.goto(&format!("{base}/wallet/receipts/{id}")).await.unwrap();
    assert_eq!(read(w, "#refund-reason").await, "Wrong size, returned unworn");

    // A frozen wallet says so on its home and pay screens, with what to do.
    let (status, body) =
        app.post(&format!("/operator/accounts/{}/freeze", amina.account), Some(&operator), json!({})).await;
    assert_eq!(status, 200, "{body}");
    w.goto(&format!("{base}/wallet/")).await.unwrap();
    assert!(read(w, "#frozen").await.contains("Your wallet is frozen"), "{}", text(w).await);
    w.goto(&format!("{base}/wallet/pay")).await.unwrap();
    assert!(read(w, "#frozen").await.contains("Contact support or visit an agent"));

    staff.stop().await;
    wallet.stop().await;
    app.finish().await;
}

#[tokio::test]
async fn a_refunds_reason_is_kept_and_shown_on_both_receipts_and_a_hostile_one_moves_nothing() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550810001", "500.00").await;
        let corner = crate::harness::shop(app, &operator, "Reason Shop", 811, 150).await;
        let amina = person(app, "+15550810021", "Amina Diallo").await;
        app.cash_in(&agent, &amina.phone, "50.00").await;
        let phone = crate::harness::enroll(app, &amina).await;
        let (status, paid) =
            crate::harness::charge(app, &corner.cashier, "reason-pay", &phone.code(app, 0), "10.00").await;
        assert_eq!(status, 201, "{paid}");
        let payment = paid["id"].as_str().unwrap().to_owned();
        assert_eq!((&paid["refundable"], &paid["refundable_amount"]["amount"]), (&json!(true), &json!("10.00")));
        let refunds = format!("/merchant/payments/{payment}/refunds");
        let merchant_before = crate::harness::merchant_balance(app, &corner.owner).await;

        // A reason that would reorder what the customer reads, or run on: refused, nothing moves.
        let long = "x".repeat(101);
        for (key, hostile) in
            [("bidi", "Refund\u{202E}01.0 SDU"), ("newline", "ok\r\nTotal: 0"), ("long", long.as_str())]
        {
            let body = json!({"amount": "3.00", "reason": hostile});
            let (status, problem) = app.post_key(&refunds, &corner.owner, key, body).await;
            assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_reason")), "{hostile:?}: {problem}");
        }
        assert_eq!(available(app, &amina).await, json!("40.00"));
        assert_eq!(crate::harness::merchant_balance(app, &corner.owner).await, merchant_before);

        // A reason is kept with the refund and shown on the payment's receipt to both sides.
        let body = json!({"amount": "3.00", "reason": "Damaged in transit"});
        let (status, refund) = app.post_key(&refunds, &corner.owner, "reason-refund", body).await;
        assert_eq!((status, refund["reason"].as_str()), (201, Some("Damaged in transit")), "{refund}");
        for reader in [&amina.token, &corner.owner] {
            let (status, receipt) = app.get(&format!("/payments/{payment}/receipt"), reader).await;
            assert_eq!(status, 200, "{receipt}");
            assert_eq!(receipt["refunds"][0]["reason"], json!("Damaged in transit"), "{receipt}");
            assert_eq!(receipt["payment"]["refundable_amount"]["amount"], json!("7.00"), "{receipt}");
        }
        let (status, printed) = app.get(&format!("/payments/{payment}/receipt.html"), &amina.token).await;
        let printed = printed.as_str().unwrap_or_default();
        assert!(status == 200 && printed.contains("<th>Reason</th><td>Damaged in transit</td>"), "{printed}");

        // The refund's own transfer, as the customer's wallet shows its receipt, carries the reason too.
        let (_, history) = app.get("/me/transactions", &amina.token).await;
        let line = history["entries"].as_array().unwrap().iter().find(|e| e["transfer"]["code"] == "refund").unwrap();
        let transfer = line["transfer"]["id"].as_str().unwrap();
        let (status, receipt) = app.get(&format!("/transactions/{transfer}/receipt"), &amina.token).await;
        assert_eq!((status, receipt["refund_reason"].as_str()), (200, Some("Damaged in transit")), "{receipt}");
        let short = receipt["short_reference"].as_str().unwrap().replace('-', "");
        assert!(transfer.replace('-', "").to_uppercase().ends_with(&short), "{transfer} {short}");

        // Refunded in full, a payment is no longer refundable, by the view's own word.
        let (status, refund) =
            app.post_key(&refunds, &corner.owner, "reason-rest", json!({"reason": "Order cancelled"})).await;
        assert_eq!(status, 201, "{refund}");
        let (_, payment) = app.get(&format!("/payments/{payment}"), &corner.owner).await;
        assert_eq!((&payment["refundable"], &payment["refundable_amount"]["amount"]), (&json!(false), &json!("0.00")));
    })
    .await;
}

#[tokio::test]
async fn a_transfer_is_read_back_before_the_pin_and_an_unknown_phone_moves_nothing() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550820001", "500.00").await;
        let amina = person(app, "+15550820021", "Amina Diallo").await;
        let bruno = person(app, "+15550820022", "Bruno Costa Silva").await;
        app.cash_in(&agent, &amina.phone, "20.00").await;

        let ask = |to: &str, amount: &str| json!({"to_phone": to, "amount": amount});
        let (status, preview) = app.post("/transfers/p2p/preview", Some(&amina.token), ask(&bruno.phone, "5")).await;
        assert_eq!(status, 200, "{preview}");
        assert_eq!(
            (&preview["recipient"]["name"], &preview["amount"]["amount"], &preview["fee"]["amount"]),
            (&json!("Bruno S."), &json!("5.00"), &json!("0.00"))
        );
        let (status, problem) = app.post("/transfers/p2p/preview", Some(&amina.token), ask("+15550829999", "5")).await;
        assert_eq!((status, problem["code"].as_str()), (404, Some("recipient_not_found")), "{problem}");
        let (status, problem) = app.post("/transfers/p2p/preview", Some(&amina.token), ask(&amina.phone, "5")).await;
        assert_eq!((status, problem["code"].as_str()), (400, Some("same_account")), "{problem}");
        let (status, _) = app.post("/transfers/p2p/preview", Some(&agent.token), ask(&bruno.phone, "5")).await;
        assert_eq!(status, 403, "customers only");
        assert_eq!(available(app, &amina).await, json!("20.00"), "a preview moves nothing");
        assert_eq!(available(app, &bruno).await, json!("0.00"));

        // The agent's check gives the same shown name, never the full one.
        let (status, who) = app.post("/agent/recipient", Some(&agent.token), json!({"phone": bruno.phone})).await;
        assert_eq!((status, who["name"].as_str()), (200, Some("Bruno S.")), "{who}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pay_screen_says_what_to_do_labels_its_countdown_and_a_paused_phone_is_named() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let base = app.base();
    let amina = person(&app, "+15550830021", "Amina Diallo").await;
    let wallet = Browser::start().await;
    let w = &wallet.client;
    sign_in(w, &base, &amina.phone, "customer-password").await;
    w.goto(&format!("{base}/wallet/pay")).await.unwrap();
    until(w, "return !document.getElementById('enrol').hidden", "the enrolment form").await;
    fill(w, "#label", "Kitchen phone").await;
    fill(w, "#enrol-pin", "1234").await;
    click(w, "#enrol button[type=submit]").await;
    until(w, "return document.getElementById('digits').dataset.code", "the first code").await;

    assert_eq!(read(w, "#instruction").await, "Show this to the cashier.");
    let countdown = read(w, "#expires").await;
    let seconds = countdown.strip_prefix("New code in ").and_then(|rest| rest.strip_suffix(" s"));
    assert!(seconds.is_some_and(|s| s.parse::<u32>().is_ok_and(|s| (1..=60).contains(&s))), "{countdown}");
    // Five groups of four digits, each kept whole, within the width a 360 px phone leaves them
    // (the headless window is wider than a phone, so the box is narrowed to it here).
    let groups = w.execute("return [...document.querySelectorAll('#digits span')].map((s) => s.textContent)", vec![]);
    let groups: Vec<String> = serde_json::from_value(groups.await.unwrap()).unwrap();
    assert!(groups.len() == 5 && groups.iter().all(|g| g.len() == 4), "{groups:?}");
    let fits = "const d = document.getElementById('digits'); d.style.width = '328px'; \
        return [d.scrollWidth <= d.clientWidth, [...d.querySelectorAll('span')].map((s) => s.getClientRects().length)]";
    assert_eq!(w.execute(fits, vec![]).await.unwrap(), json!([true, [1, 1, 1, 1, 1]]));
    // The offline badge follows the network's events (navigator.onLine is not trusted).
    until(w, "return document.getElementById('offline').hidden", "the badge hidden while online").await;
    w.execute("dispatchEvent(new Event('offline'))", vec![]).await.unwrap();
    assert_eq!(read(w, "#offline").await, "Offline");
    w.execute("dispatchEvent(new Event('online'))", vec![]).await.unwrap();
    until(w, "return document.getElementById('offline').hidden", "the badge hidden again").await;

    // Paused from another screen: the home names the phone and says where to resume it.
    let (_, devices) = app.get("/me/devices", &amina.token).await;
    let device = devices[0]["id"].as_str().unwrap();
    let (status, body) = app.post(&format!("/me/devices/{device}/pause"), Some(&amina.token), json!({})).await;
    assert_eq!(status, 200, "{body}");
    w.goto(&format!("{base}/wallet/")).await.unwrap();
    let paused = read(w, ".paused").await;
    assert!(paused.contains("The phone \"Kitchen phone\" is paused: resume it in Settings"), "{paused}");

    wallet.stop().await;
    app.finish().await;
}

/// Waits until the page's error says `words` (a form's answer replaces the page it was sent from).
async fn error_says(s: &fantoccini::Client, words: &str) {
    let script = format!("return document.querySelector('.error')?.innerText.includes({words:?})");
    until(s, &script, &format!("an error saying {words:?}")).await;
}
