//! The JSON answers of this context, described for the OpenAPI document.

use quipu_core::cards::{Card, CardPayment, CardReplaced, CardTopUp};
use quipu_core::kernel::text::rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::*;
use crate::payments::views::PaymentView;

/// A card payment's answer to the till that took it: the payment, and what was left on the card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardPaymentView {
    #[serde(flatten)]
    pub payment: PaymentView,
    /// The card's balance just after this payment, for the holder's slip; null when the payment did
    /// not complete. Only this answer carries it: nothing later tells the shop a card's balance.
    pub card_balance: Option<MoneyView>,
}

/// A prepaid card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardView {
    pub id: uuid::Uuid,
    /// The full 16 digits for the card's linked holder and on the answer to
    /// issuing it; masked for everyone else.
    #[schema(example = "990001******4325")]
    pub number: String,
    pub last4: String,
    /// active, blocked or replaced.
    pub status: String,
    pub currency: String,
    /// Whether the card is linked to a customer's account.
    pub linked: bool,
    /// For a replaced card: the card its balance moved to.
    pub replaced_by: Option<uuid::Uuid>,
    /// What can be spent now; only for the holder (signed in, or with the PIN), absent for anyone else.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub balance: Option<MoneyView>,
    /// When a PIN locked by too many wrong tries unlocks.
    pub pin_locked_until: Option<String>,
    pub created_at: String,
}

/// A card top-up at an agent: the card (masked) and the transfer from the agent's float.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardTopUpView {
    pub card: CardView,
    pub transfer: TransferView,
}

/// An operator's approval to replace a card without a PIN.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardApprovalView {
    /// Give this to the agent as `approval_id`.
    pub id: uuid::Uuid,
    /// The card (masked).
    pub card: CardView,
    pub reason: String,
    pub created_at: String,
    /// Usable once, until then.
    pub expires_at: String,
}

impl From<&quipu_core::cards::CardApproval> for CardApprovalView {
    fn from(approved: &quipu_core::cards::CardApproval) -> Self {
        let approval = &approved.approval;
        Self {
            id: approval.id,
            card: CardView::from(&approved.card),
            reason: approval.reason.clone(),
            created_at: rfc3339(approval.created_at),
            expires_at: rfc3339(approval.expires_at),
        }
    }
}

/// A replacement: the retired card (masked), the new one, and the balance moved across.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardReplacedView {
    pub old_card: CardView,
    pub card: CardView,
    pub moved: MoneyView,
}

impl From<&CardPayment> for CardPaymentView {
    fn from(paid: &CardPayment) -> Self {
        let currency = paid.payment.record.currency;
        Self {
            payment: PaymentView::from(&paid.payment),
            card_balance: paid.balance_after.map(|balance| MoneyView::new(balance, currency)),
        }
    }
}

impl From<&Card> for CardView {
    fn from(card: &Card) -> Self {
        Self {
            id: card.id.0,
            number: card.number.clone(),
            last4: card.last4.clone(),
            status: card.status.as_str().to_owned(),
            currency: card.currency.to_string(),
            linked: card.linked,
            replaced_by: card.replaced_by.map(|id| id.0),
            balance: card.balance.map(|amount| MoneyView::new(amount, card.currency)),
            pin_locked_until: card.pin_locked_until.map(rfc3339),
            created_at: rfc3339(card.created_at),
        }
    }
}

impl From<&CardTopUp> for CardTopUpView {
    fn from(top_up: &CardTopUp) -> Self {
        Self { card: CardView::from(&top_up.card), transfer: TransferView::from(&top_up.transfer) }
    }
}

impl From<&CardReplaced> for CardReplacedView {
    fn from(replaced: &CardReplaced) -> Self {
        Self {
            old_card: CardView::from(&replaced.old_card),
            card: CardView::from(&replaced.card),
            moved: MoneyView::new(replaced.moved, replaced.old_card.currency),
        }
    }
}
