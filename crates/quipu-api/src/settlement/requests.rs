//! The request bodies and query parameters of this context, and how each becomes domain values.

use quipu_core::{CoreError, CoreResult};
use quipu_domain::identity::{BankAccountNumber, DisplayName};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::common::requests::*;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankAccountRequest {
    #[schema(example = "First Community Bank")]
    pub bank_name: String,
    /// The name the bank pays: the account holder.
    #[schema(example = "Mama Rosa Groceries")]
    pub holder_name: String,
    /// 4 to 34 letters and digits (an IBAN, or a local number); spaces and dashes are ignored.
    #[schema(example = "0012345678")]
    pub account_number: String,
}

/// The bank's name, the holder's name and the account number.
impl TryFrom<&BankAccountRequest> for (DisplayName, DisplayName, BankAccountNumber) {
    type Error = CoreError;

    fn try_from(body: &BankAccountRequest) -> CoreResult<Self> {
        Ok((
            DisplayName::parse(&body.bank_name)?,
            DisplayName::parse(&body.holder_name)?,
            BankAccountNumber::parse(&body.account_number)?,
        ))
    }
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutRequest {
    /// One of the merchant's bank accounts.
    #[schema(example = "0192f3a4-5b6c-7d8e-9f00-112233445566")]
    pub bank_account_id: uuid::Uuid,
    /// Decimal string; the whole available balance if absent.
    #[schema(example = "5.00")]
    pub amount: Option<String>,
    /// ISO 4217 code; the network's default currency if absent.
    #[schema(example = "USD")]
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutScheduleRequest {
    /// Where the payouts go; absent (or null) stops scheduled payouts in this currency.
    #[schema(example = "0192f3a4-5b6c-7d8e-9f00-112233445566")]
    pub bank_account_id: Option<uuid::Uuid>,
    /// Paid out once a day when the available balance is above this, e.g. "100.00".
    #[schema(example = "100.00")]
    pub threshold: Option<String>,
    #[schema(example = "USD")]
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PayoutListParams {
    /// pending (the default), batched, paid, rejected or failed.
    #[param(example = "pending", pattern = "^(?:pending|batched|paid|rejected|failed)$")]
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommissionRequest {
    /// A fixed amount per operation, e.g. "0.50" (give this or `bps`).
    #[schema(example = "0.50")]
    pub fixed: Option<String>,
    /// A share of the operation's amount in basis points, e.g. 50 for 0.5% (not for card issues).
    #[schema(example = 50, maximum = 10000)]
    #[serde(default, deserialize_with = "optional_whole")]
    pub bps: Option<u32>,
    #[schema(example = "USD")]
    pub currency: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecipientRequest {
    /// The phone number as the agent typed it.
    #[schema(example = "+15550100021")]
    pub phone: String,
}
