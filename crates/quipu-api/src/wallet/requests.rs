//! The request bodies and query parameters of this context, and how each becomes domain values.

use quipu_core::wallet::HistoryFilter;
use quipu_core::{CoreError, CoreResult};
use quipu_domain::identity::{DisplayName, PhoneNumber, Pin, SecretText};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::common::requests::*;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct P2pRequest {
    #[schema(example = "+250788123456")]
    pub to_phone: String,
    /// Decimal string, e.g. "12.50".
    #[schema(example = "12.50")]
    pub amount: String,
    /// ISO 4217 code; the network's default currency if absent.
    #[schema(example = "USD")]
    pub currency: Option<String>,
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
    /// Shown to both sides; at most 100 characters.
    #[schema(example = "lunch")]
    pub note: Option<String>,
}

/// The recipient, the sender's PIN and the note of a transfer.
impl TryFrom<&P2pRequest> for (PhoneNumber, Pin, Option<DisplayName>) {
    type Error = CoreError;

    fn try_from(body: &P2pRequest) -> CoreResult<Self> {
        Ok((PhoneNumber::parse(&body.to_phone)?, pin(&body.pin)?, note(body.note.as_deref())?))
    }
}

/// A P2P transfer as the sender fills it in before the PIN: what the confirmation reads back.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct P2pPreviewRequest {
    #[schema(example = "+250788123456")]
    pub to_phone: String,
    /// Decimal string, e.g. "12.50".
    #[schema(example = "12.50")]
    pub amount: String,
    /// ISO 4217 code; the network's default currency if absent.
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// Shown to both sides; at most 100 characters.
    #[schema(example = "lunch")]
    pub note: Option<String>,
}

/// The recipient and the note, checked as the transfer checks them.
impl TryFrom<&P2pPreviewRequest> for (PhoneNumber, Option<DisplayName>) {
    type Error = CoreError;

    fn try_from(body: &P2pPreviewRequest) -> CoreResult<Self> {
        Ok((PhoneNumber::parse(&body.to_phone)?, note(body.note.as_deref())?))
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashInRequest {
    #[schema(example = "+250788123456")]
    pub customer_phone: String,
    #[schema(example = "12.50")]
    pub amount: String,
    #[schema(example = "USD")]
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashOutRequest {
    #[schema(example = "+250788123456")]
    pub customer_phone: String,
    #[schema(example = "12.50")]
    pub amount: String,
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// The customer types their PIN on the agent's device.
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub customer_pin: SecretText,
}

impl TryFrom<&CashOutRequest> for (PhoneNumber, Pin) {
    type Error = CoreError;

    fn try_from(body: &CashOutRequest) -> CoreResult<Self> {
        Ok((PhoneNumber::parse(&body.customer_phone)?, pin(&body.customer_pin)?))
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FloatRequest {
    pub agent_id: uuid::Uuid,
    #[schema(example = "12.50")]
    pub amount: String,
    #[schema(example = "USD")]
    pub currency: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    /// `next_cursor` of the previous page; empty is the first page.
    #[param(example = "1767225600000000", pattern = "^[0-9]{0,18}$")]
    #[serde(default, deserialize_with = "cursor")]
    pub cursor: Option<String>,
    /// RFC 3339, inclusive.
    #[param(
        example = "2026-01-01T00:00:00Z",
        pattern = r"^(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])$"
    )]
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    #[param(
        example = "2026-02-01T00:00:00Z",
        pattern = r"^(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])$"
    )]
    pub to: Option<String>,
    /// Comma-separated kinds: issuance, redemption, cash_in, cash_out, p2p, payment, refund, fee, adjustment, expiry,
    /// card_replacement, payout, commission.
    #[param(
        example = "p2p,cash_in",
        pattern = "^(?:(?:issuance|redemption|cash_in|cash_out|p2p|payment|refund|fee|adjustment|expiry|card_replacement|payout|commission)(?:,(?:issuance|redemption|cash_in|cash_out|p2p|payment|refund|fee|adjustment|expiry|card_replacement|payout|commission)){0,12})?$"
    )]
    pub kind: Option<String>,
    /// 1 to 200; default 50.
    #[param(example = 50, minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl TryFrom<&HistoryParams> for HistoryFilter {
    type Error = CoreError;

    fn try_from(params: &HistoryParams) -> CoreResult<Self> {
        HistoryFilter::parse(
            params.cursor.as_deref(),
            params.from.as_deref(),
            params.to.as_deref(),
            params.kind.as_deref(),
            params.limit,
        )
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementParams {
    /// RFC 3339, inclusive; from the account's first transfer if absent.
    #[param(
        example = "2026-01-01T00:00:00Z",
        pattern = r"^(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])$"
    )]
    pub from: Option<String>,
    /// RFC 3339, exclusive; up to now if absent.
    #[param(
        example = "2026-02-01T00:00:00Z",
        pattern = r"^(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])$"
    )]
    pub to: Option<String>,
}

impl StatementParams {
    /// The range, parsed.
    pub fn range(&self) -> CoreResult<(Option<quipu_domain::Timestamp>, Option<quipu_domain::Timestamp>)> {
        let time = |text: Option<&str>, name: &str| {
            text.map(|t| {
                quipu_core::kernel::text::parse_rfc3339(t)
                    .ok_or_else(|| CoreError::invalid("invalid_date", format!("{name} must be an RFC 3339 date-time")))
            })
            .transpose()
        };
        Ok((time(self.from.as_deref(), "from")?, time(self.to.as_deref(), "to")?))
    }
}
