//! Steps through the forms that move money, in a real browser, shared by the tests that check what
//! the steps do (web_confirm.rs) and the accessibility walk of the pages they lead to
//! (web_a11y_forms.rs). Each step submits a form as a person would and waits for the page it leads to.

use fantoccini::Client;

use crate::web_journeys::{click, fill, until};

/// What a person reads, without the invisible marks that keep a name from reordering the text
/// around it (Fluent isolates each value it fills in).
pub(crate) fn plain(text: &str) -> String {
    text.replace(['\u{2068}', '\u{2069}'], "")
}

/// The text of the first element at `css`, once the page has one.
pub(crate) async fn read(client: &Client, css: &str) -> String {
    let script = format!("return document.querySelector({css:?})?.innerText");
    plain(until(client, &script, css).await.as_str().unwrap_or_default())
}

/// The agent, on the cash-in section, asks to take `amount` in cash for `phone`: the confirmation
/// reads the customer's name back (or the section says why not).
pub(crate) async fn agent_asks_cash_in(client: &Client, phone: &str, amount: &str) {
    fill(client, "#in-phone", phone).await;
    fill(client, "#in-amount", amount).await;
    click(client, "form[action='/agent/cash-in/confirm'] button").await;
}

/// The agent, on the cash-out section, asks to pay out `amount` to `phone`.
pub(crate) async fn agent_asks_cash_out(client: &Client, phone: &str, amount: &str) {
    fill(client, "#out-phone", phone).await;
    fill(client, "#out-amount", amount).await;
    click(client, "form[action='/agent/cash-out/confirm'] button").await;
}

/// The customer types the PIN on the cash-out confirmation and the agent confirms.
pub(crate) async fn agent_pays_out_with_pin(client: &Client, pin: &str) {
    fill(client, "#out-pin", pin).await;
    click(client, "form[action='/agent/cash-out'] button").await;
}

/// The agent, on the cards section, issues a card with `pin`; its sheet shows its number, returned.
pub(crate) async fn agent_issues_card(client: &Client, pin: &str) -> String {
    fill(client, "#card-pin", pin).await;
    click(client, "form[action='/agent/cards'] button[type=submit]").await;
    let number = until(client, "return document.getElementById('card-number')?.textContent", "the card sheet").await;
    number.as_str().unwrap_or_default().to_owned()
}

/// The customer, on the send page, asks to send `amount` to `phone`: the confirmation reads the
/// recipient's name back before the PIN (or the page says why not).
pub(crate) async fn customer_asks_to_send(client: &Client, phone: &str, amount: &str) {
    fill(client, "#to_phone", phone).await;
    fill(client, "#amount", amount).await;
    click(client, "form[action='/wallet/send/confirm'] button").await;
}

/// The customer types the PIN on the send confirmation.
pub(crate) async fn customer_sends_with_pin(client: &Client, pin: &str) {
    fill(client, "#pin", pin).await;
    click(client, "form[action='/wallet/send'] button").await;
}

/// The owner, on the console, asks to refund `amount` of the newest payment, saying why.
pub(crate) async fn owner_asks_refund(client: &Client, amount: &str, reason: &str) {
    fill(client, ".payment input[name=amount]", amount).await;
    fill(client, ".payment input[name=reason]", reason).await;
    click(client, ".payment form button").await;
}

/// The cashier, on a payment's page at the till, asks to refund `amount` of it, saying why.
pub(crate) async fn cashier_asks_refund(client: &Client, amount: &str, reason: &str) {
    click(client, "details summary").await;
    fill(client, "#refund-amount", amount).await;
    fill(client, "#refund-reason", reason).await;
    click(client, "form[action$='/refund/confirm'] button").await;
}

/// On a refund's confirmation (the console's or the till's), the refund is made.
pub(crate) async fn refund_confirmed(client: &Client) {
    until(client, "return document.querySelector(\"form[action$='/refund']\")", "the refund's confirmation").await;
    click(client, "form[action$='/refund'] button").await;
}
