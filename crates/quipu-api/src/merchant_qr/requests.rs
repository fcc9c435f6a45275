//! The request bodies and query parameters of this context, and how each becomes domain values.

use quipu_core::{CoreError, CoreResult};
use quipu_domain::identity::{Pin, SecretText};
use quipu_domain::merchant::CategoryCode;
use quipu_domain::payment::{QrReference, TillLabel};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::common::requests::*;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MerchantQrParams {
    /// A till's label, printed into the QR so payments show which till took them.
    #[param(
        example = "till-1",
        pattern = "^(?:[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,14}[A-Za-z0-9_-])?)?$",
        max_length = 16
    )]
    pub till: Option<String>,
    /// ISO 4217 code; the network's default currency if absent.
    #[param(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    /// json (default: the payload), png or svg.
    #[param(example = "json", pattern = "^(?:json|png|svg)$")]
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QrImageParams {
    /// json (default: the request), png or svg.
    #[param(example = "json", pattern = "^(?:json|png|svg)$")]
    pub format: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequestRequest {
    /// Decimal string, e.g. "12.50".
    #[schema(example = "12.50")]
    pub amount: String,
    /// ISO 4217 code; the network's default currency if absent.
    #[schema(example = "USD")]
    pub currency: Option<String>,
    /// Printed into the QR and shown to the customer: at most 25 printable ASCII characters.
    #[schema(example = "INV-1042")]
    pub reference: Option<String>,
    #[schema(example = "till-1")]
    pub till: Option<String>,
    /// How long the QR stays payable: 30 to 3600 seconds; 300 if absent.
    #[schema(example = 300, minimum = 30, maximum = 3600)]
    #[serde(default, deserialize_with = "optional_whole")]
    pub expires_in_seconds: Option<i64>,
}

impl TryFrom<&PaymentRequestRequest> for (QrReference, TillLabel) {
    type Error = CoreError;

    fn try_from(body: &PaymentRequestRequest) -> CoreResult<Self> {
        Ok((QrReference::parse(body.reference.as_deref())?, TillLabel::parse(body.till.as_deref())?))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanRequest {
    /// Exactly what the camera read.
    pub payload: String,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayQrRequest {
    /// Exactly what the camera read from the merchant's QR.
    pub payload: String,
    /// What the customer typed, for a static QR; a dynamic QR's amount is fixed (if given, it must match).
    /// Which applies is the QR's to say: a static QR without it is refused with 422 `amount_required`.
    #[schema(example = "12.50")]
    pub amount: Option<String>,
    #[schema(example = "USD")]
    pub currency: Option<String>,
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
}

impl TryFrom<&PayQrRequest> for Pin {
    type Error = CoreError;

    fn try_from(body: &PayQrRequest) -> CoreResult<Self> {
        pin(&body.pin)
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantProfileRequest {
    /// Where the merchant trades; its QR shows the first 15 Latin characters.
    #[schema(example = "Lima")]
    pub city: String,
    /// ISO 18245 merchant category code, four digits (5411 groceries, 5912 pharmacies, 5812 restaurants).
    #[schema(example = "5411")]
    pub category_code: String,
}

impl TryFrom<&MerchantProfileRequest> for CategoryCode {
    type Error = CoreError;

    fn try_from(body: &MerchantProfileRequest) -> CoreResult<Self> {
        Ok(CategoryCode::parse(&body.category_code)?)
    }
}
