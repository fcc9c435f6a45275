//! The request bodies and query parameters of this context, and how each becomes domain values.

use quipu_core::identity::{NewLogin, NewMerchant, NewWorker, Registration};
use quipu_core::kernel::access::{Credentials, bad_credentials};
use quipu_core::{CoreError, CoreResult};
use quipu_domain::identity::{BankAccountNumber, DisplayName, Password, PhoneNumber, Pin, SecretText};
use quipu_domain::limits::CustomerTier;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::common::requests::*;

/// A login: a phone number, a display name and a password, checked in that order.
fn login(phone: &str, full_name: &str, password: &SecretText) -> CoreResult<NewLogin> {
    Ok(NewLogin {
        phone: PhoneNumber::parse(phone)?,
        full_name: DisplayName::parse(full_name)?,
        password: Password::parse(password.expose())?,
    })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// International format, e.g. "+250788123456".
    #[schema(example = "+250788123456")]
    pub phone: String,
    #[schema(example = "Amina Diallo")]
    pub full_name: String,
    /// 8 to 128 characters.
    #[schema(value_type = String, format = Password, write_only, example = "correct-horse-battery")]
    pub password: SecretText,
    /// Payment PIN, 4 to 6 digits.
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
}

impl TryFrom<&RegisterRequest> for Registration {
    type Error = CoreError;

    fn try_from(body: &RegisterRequest) -> CoreResult<Self> {
        Ok(Self { login: login(&body.phone, &body.full_name, &body.password)?, pin: pin(&body.pin)? })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "+250788123456")]
    pub phone: String,
    #[schema(value_type = String, format = Password, write_only, example = "correct-horse-battery")]
    pub password: SecretText,
}

impl TryFrom<&LoginRequest> for Credentials {
    type Error = CoreError;

    /// A phone number that does not parse is a wrong login, not a malformed request.
    fn try_from(body: &LoginRequest) -> CoreResult<Self> {
        let phone = PhoneNumber::parse(&body.phone).map_err(|_| bad_credentials())?;
        Ok(Self { phone, password: body.password.clone() })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundingSourceRequest {
    #[schema(example = "Bank of Kigali")]
    pub bank_name: String,
    #[schema(example = "0001234567890")]
    pub account_number: String,
}

impl TryFrom<&FundingSourceRequest> for (DisplayName, BankAccountNumber) {
    type Error = CoreError;

    fn try_from(body: &FundingSourceRequest) -> CoreResult<Self> {
        Ok((DisplayName::parse(&body.bank_name)?, BankAccountNumber::parse(&body.account_number)?))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgentRequest {
    #[schema(example = "+250788123456")]
    pub phone: String,
    #[schema(example = "Amina Diallo")]
    pub full_name: String,
    #[schema(value_type = String, format = Password, write_only, example = "correct-horse-battery")]
    pub password: SecretText,
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
}

impl TryFrom<&CreateAgentRequest> for NewWorker {
    type Error = CoreError;

    fn try_from(body: &CreateAgentRequest) -> CoreResult<Self> {
        Ok(Self { login: login(&body.phone, &body.full_name, &body.password)?, pin: pin(&body.pin)? })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMerchantRequest {
    #[schema(example = "Mama Rosa's Groceries")]
    pub name: String,
    #[schema(example = "+250788123456")]
    pub owner_phone: String,
    #[schema(example = "Amina Diallo")]
    pub owner_full_name: String,
    #[schema(value_type = String, format = Password, write_only, example = "correct-horse-battery")]
    pub owner_password: SecretText,
}

impl TryFrom<&CreateMerchantRequest> for NewMerchant {
    type Error = CoreError;

    fn try_from(body: &CreateMerchantRequest) -> CoreResult<Self> {
        let name = DisplayName::parse(&body.name)?;
        Ok(Self { name, owner: login(&body.owner_phone, &body.owner_full_name, &body.owner_password)? })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCashierRequest {
    #[schema(example = "+250788123456")]
    pub phone: String,
    #[schema(example = "Amina Diallo")]
    pub full_name: String,
    #[schema(value_type = String, format = Password, write_only, example = "correct-horse-battery")]
    pub password: SecretText,
}

impl TryFrom<&CreateCashierRequest> for NewLogin {
    type Error = CoreError;

    fn try_from(body: &CreateCashierRequest) -> CoreResult<Self> {
        login(&body.phone, &body.full_name, &body.password)
    }
}

/// A signed-in person changes their password, proving the current one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The password now; wrong ones count toward the login's lock.
    #[schema(value_type = String, format = Password, write_only, example = "correct-horse-battery")]
    pub old_password: SecretText,
    /// 8 to 128 characters.
    #[schema(value_type = String, format = Password, write_only, example = "correct-horse-battery-staple")]
    pub new_password: SecretText,
}

impl ChangePasswordRequest {
    pub fn new_password(&self) -> CoreResult<Password> {
        Ok(Password::parse(self.new_password.expose())?)
    }
}

/// A customer or agent changes their payment PIN, proving the current one.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePinRequest {
    /// The PIN now, if one is set (a merchant's owner has none until the first); wrong ones count toward its lock.
    #[schema(value_type = Option<String>, format = Password, write_only, example = "1234")]
    pub old_pin: Option<SecretText>,
    /// 4 to 6 digits.
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub new_pin: SecretText,
}

/// The new PIN, and the old one if given.
impl TryFrom<&ChangePinRequest> for (Pin, Option<Pin>) {
    type Error = CoreError;

    fn try_from(body: &ChangePinRequest) -> CoreResult<Self> {
        Ok((pin(&body.new_pin)?, body.old_pin.as_ref().map(pin).transpose()?))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyRequest {
    /// What the owner calls the key, shown in the list (at most 100 printable characters).
    #[schema(example = "till server")]
    pub name: Option<String>,
}

impl CreateApiKeyRequest {
    pub fn name(&self) -> CoreResult<Option<DisplayName>> {
        // Not trimmed before parsing: the parser refuses a control character wherever it stands.
        self.name
            .as_deref()
            .filter(|n| !n.trim().is_empty())
            .map(|n| {
                DisplayName::parse(n)
                    .map_err(|_| CoreError::invalid("invalid_name", "a key's name is at most 100 printable characters"))
            })
            .transpose()
    }
}

/// What one cashier may do.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashierPermissionsRequest {
    /// Whether this cashier may refund; null or absent: as the merchant's refund policy says.
    #[schema(example = true)]
    pub may_refund: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerTierRequest {
    /// basic or verified.
    #[schema(example = "verified", pattern = "^(?:basic|verified)$")]
    pub tier: String,
}

impl TryFrom<&CustomerTierRequest> for CustomerTier {
    type Error = CoreError;

    fn try_from(body: &CustomerTierRequest) -> CoreResult<Self> {
        CustomerTier::parse(&body.tier)
            .ok_or_else(|| CoreError::invalid("invalid_tier", "a tier is \"basic\" or \"verified\""))
    }
}
