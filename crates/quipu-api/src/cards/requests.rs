//! The request bodies and query parameters of this context, and how each becomes domain values.

use quipu_core::cards::HolderProof;
use quipu_core::{CoreError, CoreResult, ErrorKind};
use quipu_domain::card::CardNumber;
use quipu_domain::identity::{PhoneNumber, Pin, SecretText};
use quipu_domain::payment::{PaymentReference, TillLabel};
use quipu_domain::text::StatedReason;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::common::requests::*;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueCardRequest {
    /// ISO 4217 code of the card's balance; the network's default currency if absent.
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// Links the card to this customer (they see it in the app and can block it); absent for an anonymous card.
    #[schema(example = "+250788123456")]
    pub holder_phone: Option<String>,
    /// The PIN the holder chooses, 4 to 6 digits, typed on the agent's device.
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
}

/// The holder, if the card is linked, and the PIN they chose.
impl TryFrom<&IssueCardRequest> for (Option<PhoneNumber>, Pin) {
    type Error = CoreError;

    fn try_from(body: &IssueCardRequest) -> CoreResult<Self> {
        let holder = match body.holder_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(phone) => Some(PhoneNumber::parse(phone)?),
            None => None,
        };
        Ok((holder, pin(&body.pin)?))
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardTopUpRequest {
    /// The 16-digit card number; spaces and dashes are ignored.
    #[schema(example = "9900010000000019")]
    pub number: String,
    #[schema(example = "12.50")]
    pub amount: String,
    #[schema(example = "USD")]
    pub currency: Option<String>,
}

impl TryFrom<&CardTopUpRequest> for CardNumber {
    type Error = CoreError;

    fn try_from(body: &CardTopUpRequest) -> CoreResult<Self> {
        card_number(&body.number)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardNumberRequest {
    #[schema(example = "9900010000000019")]
    pub number: String,
}

impl TryFrom<&CardNumberRequest> for CardNumber {
    type Error = CoreError;

    fn try_from(body: &CardNumberRequest) -> CoreResult<Self> {
        card_number(&body.number)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardBalanceRequest {
    #[schema(example = "9900010000000019")]
    pub number: String,
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
}

impl TryFrom<&CardBalanceRequest> for (CardNumber, Pin) {
    type Error = CoreError;

    fn try_from(body: &CardBalanceRequest) -> CoreResult<Self> {
        Ok((card_number(&body.number)?, pin(&body.pin)?))
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceCardRequest {
    /// The number of the card being replaced.
    #[schema(example = "9900010000000019")]
    pub number: String,
    /// The PIN the holder chooses for the new card.
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
    /// Proof the card is the holder's, exactly one of three (else 422 `holder_proof_required`): the old
    /// card's PIN, typed by the holder;
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password, write_only, example = "2580")]
    pub old_pin: Option<SecretText>,
    /// or the PIN of the person the card is linked to;
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Password, write_only, example = "1234")]
    pub holder_pin: Option<SecretText>,
    /// or an operator's approval (`POST /operator/cards/replacement-approvals`) for a holder who forgot both.
    #[schema(example = "0192f3a4-5b6c-7d8e-9f00-112233445566")]
    pub approval_id: Option<uuid::Uuid>,
}

impl TryFrom<&ReplaceCardRequest> for (CardNumber, Pin, HolderProof) {
    type Error = CoreError;

    fn try_from(body: &ReplaceCardRequest) -> CoreResult<Self> {
        let number = card_number(&body.number)?;
        let new_pin = pin(&body.pin)?;
        let proof = match (&body.old_pin, &body.holder_pin, body.approval_id) {
            (Some(old_pin), None, None) => HolderProof::CardPin(pin(old_pin)?),
            (None, Some(holder_pin), None) => HolderProof::HolderPin(pin(holder_pin)?),
            (None, None, Some(approval)) => HolderProof::Approval(approval),
            _ => {
                return Err(CoreError::new(
                    ErrorKind::Rejected,
                    "holder_proof_required",
                    "prove the card is the holder's with exactly one of old_pin, holder_pin or approval_id",
                ));
            }
        };
        Ok((number, new_pin, proof))
    }
}

/// An operator's approval to replace a card without any PIN.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardApprovalRequest {
    /// The number of the card to be replaced.
    #[schema(example = "9900010000000019")]
    pub number: String,
    /// Why, 10 to 500 characters: the holder reads it.
    #[schema(
        example = "holder forgot both PINs; identity card checked at the desk",
        min_length = 10,
        max_length = 500
    )]
    pub reason: String,
}

impl TryFrom<&CardApprovalRequest> for (CardNumber, StatedReason) {
    type Error = CoreError;

    fn try_from(body: &CardApprovalRequest) -> CoreResult<Self> {
        Ok((card_number(&body.number)?, StatedReason::parse(&body.reason)?))
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardPaymentRequest {
    /// The card number, typed or scanned from the card's QR or barcode.
    #[schema(example = "9900010000000019")]
    pub number: String,
    /// The holder types it on the till's PIN pad.
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
    #[schema(example = "12.50")]
    pub amount: String,
    #[schema(example = "USD")]
    pub currency: Option<String>,
    #[schema(example = "INV-1042")]
    pub reference: Option<String>,
    #[schema(example = "till-1")]
    pub till: Option<String>,
}

/// The card, its PIN, the till's reference and the till.
impl TryFrom<&CardPaymentRequest> for (CardNumber, Pin, PaymentReference, TillLabel) {
    type Error = CoreError;

    fn try_from(body: &CardPaymentRequest) -> CoreResult<Self> {
        let reference = PaymentReference::parse(body.reference.as_deref())?;
        let till = TillLabel::parse(body.till.as_deref())?;
        Ok((card_number(&body.number)?, pin(&body.pin)?, reference, till))
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnblockCardRequest {
    /// The customer's own account PIN.
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
}

impl TryFrom<&UnblockCardRequest> for Pin {
    type Error = CoreError;

    fn try_from(body: &UnblockCardRequest) -> CoreResult<Self> {
        pin(&body.pin)
    }
}
