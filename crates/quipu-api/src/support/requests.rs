//! The request bodies and query parameters of this context, and how each becomes domain values.

use quipu_core::support::LockedSecret;
use quipu_core::{CoreError, CoreResult};
use quipu_domain::identity::{Password, PhoneNumber, Pin, Role, SecretText};
use quipu_domain::text::StatedReason;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::common::requests::*;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeopleSearchParams {
    /// A phone number or its start, a part of a name or business name, or an id; 2 to 100 characters.
    #[param(
        example = "Amina",
        min_length = 2,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\u3164\ufeff]*[A-Za-z0-9][^\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\u3164\ufeff]*[A-Za-z0-9][^\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\u3164\ufeff]*$"
    )]
    pub q: String,
    /// Only this role: customer, merchant_owner, cashier, agent, operator or auditor.
    #[param(example = "customer", pattern = "^(?:customer|merchant_owner|cashier|agent|courier|operator|auditor)?$")]
    pub role: Option<String>,
    /// `next_cursor` of the previous page; empty is the first page.
    #[param(example = "1767225600000000", pattern = "^[0-9]{0,18}$")]
    #[serde(default, deserialize_with = "cursor")]
    pub cursor: Option<String>,
    /// 1 to 50; default 20.
    #[param(example = 20, minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

impl PeopleSearchParams {
    /// The role to search within, if one was named.
    pub fn role(&self) -> CoreResult<Option<Role>> {
        match self.role.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            None => Ok(None),
            Some(text) => Role::parse(text).map(Some).ok_or_else(|| {
                CoreError::invalid(
                    "invalid_role",
                    "role is one of customer, merchant_owner, cashier, agent, operator, auditor",
                )
            }),
        }
    }
}

/// Why a staff member acts on someone's account; the person reads it.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// 10 to 500 characters.
    #[schema(example = "customer called about a frozen wallet; identity checked", min_length = 10, max_length = 500)]
    pub reason: String,
}

impl TryFrom<&ReasonRequest> for StatedReason {
    type Error = CoreError;

    fn try_from(body: &ReasonRequest) -> CoreResult<Self> {
        Ok(StatedReason::parse(&body.reason)?)
    }
}

/// Lift a locked PIN or login.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockRequest {
    /// `pin` or `password`.
    #[schema(example = "pin", pattern = "^(?:pin|password)$")]
    pub secret: String,
    /// 10 to 500 characters; the person reads it.
    #[schema(
        example = "customer at the desk with ID; PIN locked by a stranger's guesses",
        min_length = 10,
        max_length = 500
    )]
    pub reason: String,
}

impl TryFrom<&UnlockRequest> for (LockedSecret, StatedReason) {
    type Error = CoreError;

    fn try_from(body: &UnlockRequest) -> CoreResult<Self> {
        let secret = match body.secret.trim() {
            "pin" => LockedSecret::Pin,
            "password" => LockedSecret::Password,
            _ => return Err(CoreError::invalid("invalid_secret", "secret is `pin` or `password`")),
        };
        Ok((secret, StatedReason::parse(&body.reason)?))
    }
}

/// Ask for read-only access to a person's history.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessGrantRequest {
    /// 10 to 500 characters; the person reads it, and every read under the grant is logged with it.
    #[schema(example = "complaint 4411: customer disputes a payment on 2 May", min_length = 10, max_length = 500)]
    pub reason: String,
    /// 1 to 72; default 24.
    #[schema(example = 24, minimum = 1, maximum = 72)]
    #[serde(default, deserialize_with = "optional_whole")]
    pub hours: Option<u32>,
}

impl TryFrom<&AccessGrantRequest> for StatedReason {
    type Error = CoreError;

    fn try_from(body: &AccessGrantRequest) -> CoreResult<Self> {
        Ok(StatedReason::parse(&body.reason)?)
    }
}

/// An agent issues a reset code to a customer at the counter.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentResetCodeRequest {
    /// The customer's phone number.
    #[schema(example = "+15550100021")]
    pub phone: String,
    /// 10 to 500 characters; the customer reads it.
    #[schema(example = "customer at the counter with ID; forgot the password", min_length = 10, max_length = 500)]
    pub reason: String,
    /// The customer types their payment PIN on the agent's device: it proves they are there.
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub customer_pin: SecretText,
}

impl TryFrom<&AgentResetCodeRequest> for (PhoneNumber, StatedReason, Pin) {
    type Error = CoreError;

    fn try_from(body: &AgentResetCodeRequest) -> CoreResult<Self> {
        Ok((PhoneNumber::parse(&body.phone)?, StatedReason::parse(&body.reason)?, pin(&body.customer_pin)?))
    }
}

/// A new password, with the one-time code an agent or the operator handed over.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(example = "+15550100021")]
    pub phone: String,
    /// The 10-digit code.
    #[schema(value_type = String, format = Password, write_only, example = "4821937705")]
    pub code: SecretText,
    /// 8 to 128 characters.
    #[schema(value_type = String, format = Password, write_only, example = "a-new-long-password")]
    pub new_password: SecretText,
}

impl TryFrom<&PasswordResetRequest> for (PhoneNumber, Password) {
    type Error = CoreError;

    fn try_from(body: &PasswordResetRequest) -> CoreResult<Self> {
        Ok((PhoneNumber::parse(&body.phone)?, Password::parse(body.new_password.expose())?))
    }
}
