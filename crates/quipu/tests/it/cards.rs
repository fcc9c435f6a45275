//! Prepaid cards over real HTTP, on every backend: issued at an agent, topped
//! up from the float, balance checked with the PIN, paid with at a till,
//! blocked and unblocked, PIN tries locked, replaced with the balance moved,
//! refunds following the money to the replacement.

use serde_json::{Value, json};

use crate::harness::{Person, TestApp, on_each_backend};
use crate::harness::{Shop, merchant_balance, shop};

/// A card as the counter hands it over: its id and full number.
pub struct Card {
    pub id: String,
    pub number: String,
}

pub async fn issue(app: &TestApp, agent: &Person, key: &str, holder: Option<&str>, pin: &str) -> Card {
    let mut body = json!({"pin": pin});
    if let Some(phone) = holder {
        body["holder_phone"] = json!(phone);
    }
    let (status, card) = app.post_key("/agent/cards", &agent.token, key, body).await;
    assert_eq!(status, 201, "{card}");
    let number = card["number"].as_str().unwrap().to_owned();
    assert_eq!(number.len(), 16, "the issuer sees the full number: {card}");
    assert!(number.starts_with("990001"), "{card}");
    assert_eq!(card["status"], "active");
    Card { id: card["id"].as_str().unwrap().to_owned(), number }
}

pub async fn top_up(app: &TestApp, agent: &Person, key: &str, number: &str, amount: &str) -> (u16, Value) {
    app.post_key("/agent/cards/top-up", &agent.token, key, json!({"number": number, "amount": amount})).await
}

pub async fn pay(app: &TestApp, shop: &Shop, key: &str, number: &str, pin: &str, amount: &str) -> (u16, Value) {
    let body = json!({"number": number, "pin": pin, "amount": amount, "reference": "sale 12", "till": "Till 1"});
    app.post_key("/merchant/card-payments", &shop.cashier, key, body).await
}

/// Replaces a card at `agent`, the holder proving it with the old card's PIN.
pub async fn replace(app: &TestApp, agent: &Person, key: &str, number: &str, old_pin: &str) -> (u16, Value) {
    replace_with(app, agent, key, json!({"number": number, "pin": "5678", "old_pin": old_pin})).await
}

pub async fn replace_with(app: &TestApp, agent: &Person, key: &str, body: Value) -> (u16, Value) {
    app.post_key("/agent/cards/replace", &agent.token, key, body).await
}

async fn balance(app: &TestApp, number: &str, pin: &str) -> (u16, Value) {
    app.post("/cards/balance", None, json!({"number": number, "pin": pin})).await
}

async fn spendable(app: &TestApp, number: &str, pin: &str) -> i64 {
    let (status, card) = balance(app, number, pin).await;
    assert_eq!(status, 200, "{card}");
    card["balance"]["minor_units"].as_i64().unwrap()
}

/// Spaces a number as it is printed on a card: "9900 0112 3456 7890".
fn printed(number: &str) -> String {
    number.as_bytes().chunks(4).map(|group| String::from_utf8_lossy(group).into_owned()).collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cards_are_issued_topped_up_paid_with_blocked_and_replaced() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550800001", "500.00").await;
        let holder = app.customer("+15550800002").await;
        let stranger = app.customer("+15550800003").await;
        let shop = shop(app, &operator, "Mercado Luz", 80, 100).await;

        // Issuing: agents and operators only; a retry answers with the same card.
        for token in [&holder.token, &shop.cashier] {
            let (status, body) = app.post_key("/agent/cards", token, "c-x", json!({"pin": "4321"})).await;
            assert_eq!(status, 403, "{body}");
        }
        let card = issue(app, &agent, "card-1", Some(&holder.phone), "4321").await;
        let again = issue(app, &agent, "card-1", Some(&holder.phone), "4321").await;
        assert_eq!((again.id.as_str(), again.number.as_str()), (card.id.as_str(), card.number.as_str()));
        let anonymous = issue(app, &agent, "card-2", None, "2468").await;
        let (status, body) = app.post_key("/agent/cards", &agent.token, "card-3", json!({"pin": "12"})).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_pin_format")), "{body}");

        // Top-up from the agent's float, idempotent; the answer masks the number.
        let (status, topped) = top_up(app, &agent, "top-1", &card.number, "50.00").await;
        assert_eq!(status, 201, "{topped}");
        assert_eq!(topped["card"]["number"], format!("990001******{}", &card.number[12..]));
        assert!(!topped.to_string().contains(&card.number), "no full number to the agent: {topped}");
        let (_, replay) = top_up(app, &agent, "top-1", &card.number, "50.00").await;
        assert_eq!(replay["transfer"]["id"], topped["transfer"]["id"]);
        let (status, _) = top_up(app, &agent, "top-2", &anonymous.number, "10.00").await;
        assert_eq!(status, 201);
        let (status, body) = top_up(app, &agent, "top-3", &anonymous.number, "0").await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(app.balance(&agent).await, 44_000, "500.00 less 60.00 loaded");

        // Balance with the PIN, no sign-in; hostile numbers get clear errors.
        assert_eq!(spendable(app, &card.number, "4321").await, 5000);
        let (status, body) = balance(app, &card.number, "1111").await;
        assert_eq!((status, body["code"].as_str()), (403, Some("wrong_pin")), "{body}");
        let mut wrong_check = card.number.clone().into_bytes();
        wrong_check[15] = b'0' + (wrong_check[15] - b'0' + 1) % 10;
        let unknown = luhn_valid_unknown(&card.number);
        for (bad, code, expected) in [
            ("12345", "invalid_card_number", 400),
            ("9900 01ab 0000 0000", "invalid_card_number", 400),
            // Well formed, but no card's: its check digit is wrong.
            (std::str::from_utf8(&wrong_check).unwrap(), "invalid_card_number", 422),
            (unknown.as_str(), "card_not_found", 404),
        ] {
            let (status, body) = balance(app, bad, "4321").await;
            assert_eq!((status, body["code"].as_str()), (expected, Some(code)), "{bad}: {body}");
        }

        // Paying at a till with the printed number and the PIN.
        let before = merchant_balance(app, &shop.owner).await;
        let (status, paid) = pay(app, &shop, "pay-1", &printed(&card.number), "4321", "12.00").await;
        assert_eq!(status, 201, "{paid}");
        assert_eq!((paid["method"].as_str(), paid["status"].as_str()), (Some("card"), Some("completed")));
        assert_eq!(paid["card"], format!("990001******{}", &card.number[12..]));
        assert_eq!(paid["fee"]["minor_units"], 12);
        let (_, replay) = pay(app, &shop, "pay-1", &printed(&card.number), "4321", "12.00").await;
        assert_eq!(replay["id"], paid["id"]);
        assert_eq!(merchant_balance(app, &shop.owner).await, before + 1200 - 12);
        let (status, body) = pay(app, &shop, "pay-2", &card.number, "9999", "1.00").await;
        assert_eq!((status, body["code"].as_str()), (403, Some("wrong_pin")), "{body}");
        let (status, body) = pay(app, &shop, "pay-3", &anonymous.number, "2468", "10.01").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("insufficient_funds")), "{body}");
        let (status, body) = pay(app, &shop, "pay-4", &anonymous.number, "2468", "-1").await;
        assert_eq!(status, 400, "{body}");
        let (status, anon_paid) = pay(app, &shop, "pay-5", &anonymous.number, "2468", "4.00").await;
        assert_eq!(status, 201, "{anon_paid}");
        assert_eq!(spendable(app, &card.number, "4321").await, 3800);
        assert_eq!(spendable(app, &anonymous.number, "2468").await, 600);

        // The linked holder sees the card in full and the payment; a stranger sees neither.
        let (status, mine) = app.get("/me/cards", &holder.token).await;
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine[0]["number"], card.number.as_str());
        assert_eq!(mine[0]["balance"]["minor_units"], 3800);
        let payment = paid["id"].as_str().unwrap();
        assert_eq!(app.get(&format!("/payments/{payment}"), &holder.token).await.0, 200);
        assert_eq!(app.get(&format!("/payments/{payment}"), &stranger.token).await.0, 404);
        let (_, theirs) = app.get("/me/cards", &stranger.token).await;
        assert_eq!(theirs, json!([]));
        let (_, listed) = app.get("/merchant/payments", &shop.owner).await;
        assert!(!listed.to_string().contains(&card.number), "the merchant sees masked numbers: {listed}");

        // Blocking: the holder stops the card at once; it pays and loads nothing until unblocked.
        let block_mine = format!("/me/cards/{}/block", card.id);
        assert_eq!(app.post(&block_mine, Some(&stranger.token), json!({})).await.0, 404);
        let (status, blocked) = app.post(&block_mine, Some(&holder.token), json!({})).await;
        assert_eq!((status, blocked["status"].as_str()), (200, Some("blocked")), "{blocked}");
        let (status, body) = pay(app, &shop, "pay-6", &card.number, "4321", "1.00").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("card_blocked")), "{body}");
        let (status, body) = top_up(app, &agent, "top-4", &card.number, "1.00").await;
        assert_eq!((status, body["code"].as_str()), (422, Some("card_blocked")), "{body}");
        let unblock_mine = format!("/me/cards/{}/unblock", card.id);
        let (status, body) = app.post(&unblock_mine, Some(&holder.token), json!({"pin": "0000"})).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("wrong_pin")), "{body}");
        let (status, body) = app.post(&unblock_mine, Some(&holder.token), json!({"pin": "1234"})).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("active")), "{body}");
        let (status, body) =
            app.post("/agent/cards/block", Some(&agent.token), json!({"number": anonymous.number})).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("blocked")), "{body}");
        assert!(body["number"].as_str().unwrap().contains("******"), "{body}");
        assert!(body.get("balance").is_none(), "a balance hidden from the agent is absent, not null: {body}");
        let (status, body) =
            app.post("/agent/cards/unblock", Some(&operator), json!({"number": anonymous.number})).await;
        assert_eq!((status, body["status"].as_str()), (200, Some("active")), "{body}");
        let (status, _) = app.post("/agent/cards/block", Some(&shop.owner), json!({"number": anonymous.number})).await;
        assert_eq!(status, 403);

        // PIN tries are counted per source: the fifth wrong one from this address locks the card
        // for this address, even against the right PIN, for a day; the shop's till is another source.
        for attempt in 1..=5 {
            let (status, body) = balance(app, &anonymous.number, "1357").await;
            let expected = if attempt < 5 { (403, "wrong_pin") } else { (423, "pin_locked") };
            assert_eq!((status, body["code"].as_str().unwrap()), expected, "attempt {attempt}: {body}");
        }
        let (status, body) = balance(app, &anonymous.number, "2468").await;
        assert_eq!((status, body["code"].as_str()), (423, Some("pin_locked")), "{body}");
        let (status, body) = pay(app, &shop, "pay-7", &anonymous.number, "2468", "1.00").await;
        assert_eq!(status, 201, "{body}");
        app.clock.advance_seconds(24 * 3600 + 1);
        assert_eq!(spendable(app, &anonymous.number, "2468").await, 500);

        // A partial refund goes back to the card.
        let refunds = format!("/merchant/payments/{payment}/refunds");
        let (status, body) = app.post_key(&refunds, &shop.owner, "ref-1", json!({"amount": "2.00"})).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(spendable(app, &card.number, "4321").await, 4000);

        // Replacing: a new number and PIN, the old card retired, its balance moved across.
        let (status, replaced) = replace(app, &agent, "rep-1", &card.number, "4321").await;
        assert_eq!(status, 201, "{replaced}");
        assert_eq!(replaced["moved"]["minor_units"], 4000);
        assert_eq!(replaced["old_card"]["status"], "replaced");
        let new_number = replaced["card"]["number"].as_str().unwrap().to_owned();
        assert_ne!(new_number, card.number);
        let (_, replay) = replace(app, &agent, "rep-1", &card.number, "4321").await;
        assert_eq!(replay["card"]["number"], new_number.as_str());
        let (status, body) = replace(app, &agent, "rep-2", &card.number, "4321").await;
        assert_eq!((status, body["code"].as_str()), (409, Some("card_replaced")), "{body}");
        let (status, body) = pay(app, &shop, "pay-8", &card.number, "4321", "1.00").await;
        assert_eq!((status, body["code"].as_str()), (409, Some("card_replaced")), "{body}");
        let (status, body) = top_up(app, &agent, "top-5", &card.number, "1.00").await;
        assert_eq!((status, body["code"].as_str()), (409, Some("card_replaced")), "{body}");
        assert_eq!(spendable(app, &card.number, "4321").await, 0);
        let (status, body) = pay(app, &shop, "pay-9", &new_number, "5678", "5.00").await;
        assert_eq!(status, 201, "{body}");

        // The rest of the old card's payment is refunded to where its money lives now.
        let (status, body) = app.post_key(&refunds, &shop.owner, "ref-2", json!({})).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["amount"]["minor_units"], 1000);
        assert_eq!(spendable(app, &new_number, "5678").await, 4000 - 500 + 1000);
        let (_, mine) = app.get("/me/cards", &holder.token).await;
        let statuses: Vec<&str> = mine.as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["active", "replaced"], "{mine}");
        assert_eq!(mine[0]["number"], new_number.as_str());
    })
    .await;
}

/// A number with a valid check digit that no card has: the issued one with two middle digits changed.
pub fn luhn_valid_unknown(issued: &str) -> String {
    let mut digits: Vec<u8> = issued.bytes().map(|b| b - b'0').collect();
    digits[8] = (digits[8] + 1) % 10;
    // Re-balance the Luhn sum with the neighbouring digit (doubled positions differ by parity).
    for candidate in 0..10 {
        digits[9] = candidate;
        let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        if quipu_domain::card::CardNumber::parse(&text).is_ok() && text != issued {
            return text;
        }
    }
    unreachable!("one candidate always balances the sum")
}
