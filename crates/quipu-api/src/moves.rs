//! Every request that moves money, run once per (caller, Idempotency-Key):
//! the body becomes domain values, one service moves the money, and the
//! answer is the view the API shows. The JSON handlers run these, and so do
//! the web pages' forms, under the same route names, so a retry through
//! either face replays the first answer and never moves money twice. What
//! a body says is read before its key is looked up: a malformed request is
//! refused as malformed, even with a key that was used (a PIN is not in the
//! stored fingerprint, so a retry's PIN could otherwise be anything).

use axum::response::Response;
use quipu_core::Principal;
use quipu_domain::card::{CardId, CardNumber};
use quipu_domain::identity::{PhoneNumber, Pin, UserId};
use quipu_domain::money::AmountInput;
use quipu_domain::payment::{PaymentId, PaymentRequestId, RefundId};
use quipu_domain::settlement::PayoutId;
use quipu_http::Http;
use quipu_http::extract::IdempotencyKey;
use quipu_http::idempotency;
use quipu_http::problem::ApiError;

use crate::cards::requests::{CardPaymentRequest, CardTopUpRequest, IssueCardRequest, ReplaceCardRequest};
use crate::cards::views::{CardPaymentView, CardReplacedView, CardTopUpView, CardView};
use crate::common::views::TransferView;
use crate::merchant_qr::requests::{PayQrRequest, PaymentRequestRequest};
use crate::merchant_qr::views::PaymentRequestView;
use crate::orders::requests::CheckoutRequest;
use crate::orders::views::OrderView;
use crate::payments::requests::{ChargeRequest, RefundRequest};
use crate::payments::views::{PaymentView, RefundView};
use crate::settlement::requests::PayoutRequest;
use crate::settlement::views::PayoutView;
use crate::wallet::requests::{CashInRequest, CashOutRequest, FloatRequest, P2pRequest};

type Moved = Result<Response, ApiError>;

fn amount<'a>(amount: &'a str, currency: &'a Option<String>) -> AmountInput<'a> {
    AmountInput { amount, currency: currency.as_deref() }
}

/// A customer sends money to another by phone number, with their PIN.
pub async fn p2p(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &P2pRequest) -> Moved {
    let (to, pin, note) = <(_, _, _)>::try_from(body)?;
    idempotency::once(http, caller, key, "p2p", body, move |id| async move {
        let amount = amount(&body.amount, &body.currency);
        let transfer = http.services.wallet.send_p2p(caller, id, &to, &pin, note.as_ref(), amount).await?;
        Ok(TransferView::from(&transfer))
    })
    .await
}

/// An agent credits a customer's wallet against cash received.
pub async fn cash_in(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &CashInRequest) -> Moved {
    let customer = PhoneNumber::parse(&body.customer_phone).map_err(quipu_core::CoreError::from)?;
    idempotency::once(http, caller, key, "cash_in", body, move |id| async move {
        let amount = amount(&body.amount, &body.currency);
        Ok(TransferView::from(&http.services.wallet.cash_in(caller, id, &customer, amount).await?))
    })
    .await
}

/// An agent pays out cash from a customer's wallet, with the customer's PIN.
pub async fn cash_out(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &CashOutRequest) -> Moved {
    let (customer, pin) = <(_, _)>::try_from(body)?;
    idempotency::once(http, caller, key, "cash_out", body, move |id| async move {
        let amount = amount(&body.amount, &body.currency);
        Ok(TransferView::from(&http.services.wallet.cash_out(caller, id, &customer, &pin, amount).await?))
    })
    .await
}

/// The operator issues e-money into an agent's float.
pub async fn issue(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &FloatRequest) -> Moved {
    idempotency::once(http, caller, key, "issuance", body, |id| async move {
        let amount = amount(&body.amount, &body.currency);
        Ok(TransferView::from(&http.services.wallet.issue(caller, id, UserId(body.agent_id), amount).await?))
    })
    .await
}

/// The operator redeems e-money from an agent's float.
pub async fn redeem(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &FloatRequest) -> Moved {
    idempotency::once(http, caller, key, "redemption", body, |id| async move {
        let amount = amount(&body.amount, &body.currency);
        Ok(TransferView::from(&http.services.wallet.redeem(caller, id, UserId(body.agent_id), amount).await?))
    })
    .await
}

/// A till charges a customer's payment code.
pub async fn charge(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &ChargeRequest) -> Moved {
    let (reference, till) = <(_, _)>::try_from(body)?;
    idempotency::once(http, caller, key, "charge", body, move |id| async move {
        let amount = amount(&body.amount, &body.currency);
        let payments = &http.services.payments;
        let payment = payments.charge_code(caller, PaymentId(id.0), &body.code, amount, reference, till).await?;
        Ok(PaymentView::from(&payment))
    })
    .await
}

/// The merchant refunds a payment, whole or in part.
pub async fn refund(
    http: &Http,
    caller: &Principal,
    key: &IdempotencyKey,
    payment: PaymentId,
    body: &RefundRequest,
) -> Moved {
    let route = format!("refund:{}", payment.0);
    let reason = Option::try_from(body)?;
    idempotency::once(http, caller, key, &route, body, move |refund_id| async move {
        let amount = body.amount.as_deref().map(|amount| AmountInput { amount, currency: body.currency.as_deref() });
        let payments = &http.services.payments;
        let refund = payments.refund(caller, RefundId(refund_id.0), payment, amount, reason.as_ref()).await?;
        Ok(RefundView::from(&refund))
    })
    .await
}

/// A till asks for one payment with a dynamic QR.
pub async fn payment_request(
    http: &Http,
    caller: &Principal,
    key: &IdempotencyKey,
    body: &PaymentRequestRequest,
) -> Moved {
    let (reference, till) = <(_, _)>::try_from(body)?;
    idempotency::once(http, caller, key, "payment-request", body, move |id| async move {
        let amount = amount(&body.amount, &body.currency);
        let id = PaymentRequestId(id.0);
        let qrs = &http.services.merchant_qr;
        let request = qrs.create_payment_request(caller, id, amount, reference, till, body.expires_in_seconds).await?;
        Ok(PaymentRequestView::from(&request))
    })
    .await
}

/// The customer pays a merchant's QR with their PIN.
pub async fn pay_qr(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &PayQrRequest) -> Moved {
    let pin = Pin::try_from(body)?;
    idempotency::once(http, caller, key, "pay-qr", body, move |id| async move {
        let amount = body.amount.as_deref().map(|amount| AmountInput { amount, currency: body.currency.as_deref() });
        let qrs = &http.services.merchant_qr;
        let payment = qrs.pay_merchant_qr(caller, PaymentId(id.0), &body.payload, amount, &pin).await?;
        Ok(PaymentView::from(&payment))
    })
    .await
}

/// An agent issues a prepaid card; the holder chose its PIN.
pub async fn issue_card(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &IssueCardRequest) -> Moved {
    let (holder, pin) = <(_, _)>::try_from(body)?;
    idempotency::once(http, caller, key, "issue-card", body, move |id| async move {
        let cards = &http.services.cards;
        let card = cards.issue_card(caller, CardId(id.0), body.currency.as_deref(), holder.as_ref(), &pin).await?;
        Ok(CardView::from(&card))
    })
    .await
}

/// An agent loads a card from their float, against cash.
pub async fn top_up_card(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &CardTopUpRequest) -> Moved {
    let number = CardNumber::try_from(body)?;
    idempotency::once(http, caller, key, "card-top-up", body, move |id| async move {
        let top_up = http.services.cards.top_up_card(caller, id, &number, amount(&body.amount, &body.currency)).await?;
        Ok(CardTopUpView::from(&top_up))
    })
    .await
}

/// A till takes a card with its PIN.
pub async fn card_payment(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &CardPaymentRequest) -> Moved {
    let (number, pin, reference, till) = <(_, _, _, _)>::try_from(body)?;
    idempotency::once(http, caller, key, "card-payment", body, move |id| async move {
        let amount = amount(&body.amount, &body.currency);
        let cards = &http.services.cards;
        let paid = cards.pay_with_card(caller, PaymentId(id.0), &number, &pin, amount, reference, till).await?;
        Ok(CardPaymentView::from(&paid))
    })
    .await
}

/// An agent replaces a card: a new number and PIN, the old card's balance moved onto it, with proof
/// the card is the holder's.
pub async fn replace_card(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &ReplaceCardRequest) -> Moved {
    let (number, pin, proof) = <(_, _, _)>::try_from(body)?;
    idempotency::once(http, caller, key, "replace-card", body, move |id| async move {
        let replaced = http.services.cards.replace_card(caller, CardId(id.0), &number, &pin, &proof).await?;
        Ok(CardReplacedView::from(&replaced))
    })
    .await
}

/// A merchant's owner asks for a payout to one of the merchant's bank accounts; the money is held at once.
pub async fn payout(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &PayoutRequest) -> Moved {
    idempotency::once(http, caller, key, "payout", body, move |id| async move {
        let settlement = &http.services.settlement;
        let (amount, currency) = (body.amount.as_deref(), body.currency.as_deref());
        let payout = settlement.request_payout(caller, PayoutId(id.0), body.bank_account_id, amount, currency).await?;
        Ok(PayoutView::from(&payout))
    })
    .await
}

/// A customer checks out their cart: one order per shop, each with its money held, paid by wallet
/// or card with its PIN. A retry with the same key answers the same orders and holds nothing twice.
pub async fn checkout(http: &Http, caller: &Principal, key: &IdempotencyKey, body: &CheckoutRequest) -> Moved {
    let input = body.input()?;
    let market = &http.services.market;
    idempotency::once(http, caller, key, "checkout", body, move |id| async move {
        let orders = market.checkout(caller, quipu_domain::market::checkout::CheckoutId(id.0), input).await?;
        Ok(orders.iter().map(OrderView::from).collect::<Vec<_>>())
    })
    .await
}

#[cfg(test)]
mod tests {
    use quipu_domain::identity::SecretText;

    use crate::cards::requests::{CardPaymentRequest, IssueCardRequest, ReplaceCardRequest};
    use crate::merchant_qr::requests::PayQrRequest;
    use crate::wallet::requests::{CashOutRequest, P2pRequest};

    /// Every request that moves money is fingerprinted by its serialisation, and the fingerprint is stored.
    #[test]
    fn idempotency_fingerprints_never_hold_a_secret() -> serde_json::Result<()> {
        let secret = "975310";
        let fingerprints = [
            serde_json::to_string(&serde_json::from_value::<P2pRequest>(serde_json::json!(
                {"to_phone": "+250788123456", "amount": "1.00", "pin": secret}
            ))?)?,
            serde_json::to_string(&serde_json::from_value::<CashOutRequest>(serde_json::json!(
                {"customer_phone": "+250788123456", "amount": "1.00", "customer_pin": secret}
            ))?)?,
            serde_json::to_string(&serde_json::from_value::<PayQrRequest>(serde_json::json!(
                {"payload": "000201", "pin": secret}
            ))?)?,
            serde_json::to_string(&serde_json::from_value::<IssueCardRequest>(serde_json::json!({"pin": secret}))?)?,
            serde_json::to_string(&serde_json::from_value::<ReplaceCardRequest>(serde_json::json!(
                {"number": "9900010000000019", "pin": secret}
            ))?)?,
            serde_json::to_string(&serde_json::from_value::<CardPaymentRequest>(serde_json::json!(
                {"number": "9900010000000019", "pin": secret, "amount": "1.00"}
            ))?)?,
        ];
        for fingerprint in fingerprints {
            assert!(!fingerprint.contains(secret), "{fingerprint}");
            assert!(fingerprint.contains(SecretText::SERIALISED), "{fingerprint}");
        }
        Ok(())
    }
}
