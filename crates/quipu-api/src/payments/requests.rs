//! The request bodies and query parameters of this context, and how each becomes domain values.

use quipu_core::{CoreError, CoreResult};
use quipu_domain::identity::{DisplayName, Pin, SecretText};
use quipu_domain::payment::{PaymentReference, PaymentStatus, TillLabel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::common::requests::*;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollDeviceRequest {
    /// What the customer calls the device, e.g. "my phone".
    #[schema(example = "my phone")]
    pub label: String,
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
}

impl TryFrom<&EnrollDeviceRequest> for (DisplayName, Pin) {
    type Error = CoreError;

    fn try_from(body: &EnrollDeviceRequest) -> CoreResult<Self> {
        Ok((quipu_core::payments::parse_label(&body.label)?, pin(&body.pin)?))
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeRequest {
    /// The customer's payment code as scanned or typed: 20 digits starting 84, or its EMV CPM payload.
    #[schema(example = "84123456780123456787")]
    pub code: String,
    /// Decimal string, e.g. "12.50".
    #[schema(example = "12.50")]
    pub amount: String,
    /// ISO 4217 code; the network's default currency if absent.
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// The till's own reference (receipt number), at most 64 characters.
    #[schema(example = "INV-1042")]
    pub reference: Option<String>,
    /// Which till took it (at most 16 letters, digits, spaces, - or _), for its live events.
    #[schema(example = "till-1")]
    pub till: Option<String>,
}

impl TryFrom<&ChargeRequest> for (PaymentReference, TillLabel) {
    type Error = CoreError;

    fn try_from(body: &ChargeRequest) -> CoreResult<Self> {
        Ok((PaymentReference::parse(body.reference.as_deref())?, TillLabel::parse(body.till.as_deref())?))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
}

impl TryFrom<&ApproveRequest> for Pin {
    type Error = CoreError;

    fn try_from(body: &ApproveRequest) -> CoreResult<Self> {
        pin(&body.pin)
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// Decimal string; absent refunds everything not yet refunded.
    #[schema(example = "12.50")]
    pub amount: Option<String>,
    /// Must be the payment's currency if given.
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// Shown to the customer and the shop on the receipt; at most 100 characters, none of them
    /// control or text-direction characters.
    #[schema(example = "damaged on delivery")]
    pub reason: Option<String>,
}

impl TryFrom<&RefundRequest> for Option<DisplayName> {
    type Error = CoreError;

    fn try_from(body: &RefundRequest) -> CoreResult<Self> {
        quipu_core::payments::parse_reason(body.reason.as_deref())
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantFeeRequest {
    /// The fee on each payment in basis points: 150 is 1.5%. At most 1000.
    #[schema(example = 150, maximum = 1000)]
    #[serde(deserialize_with = "whole")]
    pub fee_bps: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundPolicyRequest {
    #[schema(example = true)]
    pub cashiers_may_refund: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CustomerPaymentsParams {
    /// Only payments in this state, e.g. awaiting_approval (those waiting for your PIN).
    #[param(
        example = "awaiting_approval",
        pattern = "^(?:processing|awaiting_approval|completed|failed|partially_refunded|refunded)$"
    )]
    pub status: Option<String>,
    /// `next_cursor` of the previous page; empty is the first page.
    #[param(example = "1767225600000000", pattern = "^[0-9]{0,18}$")]
    #[serde(default, deserialize_with = "cursor")]
    pub cursor: Option<String>,
    /// 1 to 200; default 50.
    #[param(example = 50, minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl CustomerPaymentsParams {
    pub fn status(&self) -> CoreResult<Option<PaymentStatus>> {
        self.status
            .as_deref()
            .map(|text| {
                PaymentStatus::parse(text).ok_or_else(|| {
                    CoreError::invalid(
                        "invalid_status",
                        "status is processing, awaiting_approval, completed, failed, partially_refunded or refunded",
                    )
                })
            })
            .transpose()
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PaymentPageParams {
    /// `next_cursor` of the previous page; empty is the first page.
    #[param(example = "1767225600000000", pattern = "^[0-9]{0,18}$")]
    #[serde(default, deserialize_with = "cursor")]
    pub cursor: Option<String>,
    /// 1 to 200; default 50.
    #[param(example = 50, minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Only payments in this state.
    #[param(
        example = "completed",
        pattern = "^(?:processing|awaiting_approval|completed|failed|partially_refunded|refunded)$"
    )]
    pub status: Option<String>,
    /// Only payments taken at this till (as the till named itself); empty for those at no named till.
    #[param(example = "Till 1", pattern = "^[A-Za-z0-9 _-]{0,16}$")]
    pub till: Option<String>,
    /// Only payments of at least this amount (decimal, the default currency's units).
    #[param(example = "5.00", pattern = "^[0-9]{1,15}(?:[.][0-9]{1,3})?$")]
    pub min_amount: Option<String>,
    /// Only payments of at most this amount.
    #[param(example = "50.00", pattern = "^[0-9]{1,15}(?:[.][0-9]{1,3})?$")]
    pub max_amount: Option<String>,
    /// YYYY-MM-DD: only payments from this day on, in the shop's time zone.
    #[param(
        example = "2026-01-01",
        pattern = "^(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub from: Option<String>,
    /// YYYY-MM-DD: only payments up to the end of this day, in the shop's time zone.
    #[param(
        example = "2026-01-31",
        pattern = "^(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub to: Option<String>,
}

impl PaymentPageParams {
    /// The search these parameters ask for.
    pub fn search(&self) -> quipu_core::payments::PaymentSearch<'_> {
        quipu_core::payments::PaymentSearch {
            status: self.status.as_deref(),
            till: self.till.as_deref(),
            min_amount: self.min_amount.as_deref(),
            max_amount: self.max_amount.as_deref(),
            from: self.from.as_deref(),
            to: self.to.as_deref(),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// YYYY-MM-DD: the day, or with `to` the first of several days, a date in the shop's time zone
    /// (at `utc_offset_minutes` when given); the shop's today by default.
    #[param(
        example = "2026-01-01",
        pattern = "^(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub date: Option<String>,
    /// YYYY-MM-DD: the last day included, with `date`; at most 92 days in all.
    #[param(
        example = "2026-01-31",
        pattern = "^(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub to: Option<String>,
    /// A fixed UTC offset in minutes (Lima: -300), -720 to 840, for the days instead of the shop's
    /// time zone (its profile's, else the network's).
    #[param(example = -300, minimum = -720, maximum = 840)]
    pub utc_offset_minutes: Option<i32>,
}

/// Which day of the shop's a staff summary covers.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StaffDayParams {
    /// YYYY-MM-DD: a date in the shop's time zone; the shop's today by default.
    #[param(
        example = "2026-01-01",
        pattern = "^(?:19[7-9][0-9]|2[0-9]{3})-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])$"
    )]
    pub date: Option<String>,
}
