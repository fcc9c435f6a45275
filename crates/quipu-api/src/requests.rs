//! Request bodies, and how each becomes the domain values the services take
//! (`TryFrom`): phone numbers, PINs, passwords, labels and references are
//! parsed here, at the edge, so a service never sees an unchecked string.
//! Unknown fields are refused (a typo is an error, not a silently ignored
//! field); amounts are decimal strings, never JSON numbers; PINs and
//! passwords are `SecretText`, which never Debug-prints and serialises as a
//! placeholder, so no secret reaches an idempotency fingerprint; the
//! document marks them `writeOnly`, `format: password`.

use quipu_core::cards::HolderProof;
use quipu_core::identity::{NewAgent, NewLogin, NewMerchant, Registration};
use quipu_core::kernel::access::{Credentials, bad_credentials};
use quipu_core::support::LockedSecret;
use quipu_core::wallet::HistoryFilter;
use quipu_core::{CoreError, CoreResult, ErrorKind};
use quipu_domain::card::{CardNumber, CardNumberError};
use quipu_domain::identity::{BankAccountNumber, DisplayName, Password, PhoneNumber, Pin, Role, SecretText};
use quipu_domain::limits::CustomerTier;
use quipu_domain::merchant::CategoryCode;
use quipu_domain::payment::{PaymentReference, PaymentStatus, QrReference, TillLabel};
use quipu_domain::text::StatedReason;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A PIN as typed, checked for form.
fn pin(text: &SecretText) -> CoreResult<Pin> {
    Ok(Pin::parse(text.expose())?)
}

/// A card number as typed. Not 16 digits is malformed (400); 16 digits whose check digit does not
/// match are well formed but can name no card (422, the same code), so the document can say what
/// a well-formed number is.
fn card_number(text: &str) -> CoreResult<CardNumber> {
    CardNumber::parse(text).map_err(|error| match error {
        CardNumberError::CheckDigit => CoreError::new(ErrorKind::Rejected, "invalid_card_number", error.to_string()),
        other => CoreError::from(other),
    })
}

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

fn note(text: Option<&str>) -> CoreResult<Option<DisplayName>> {
    match text.map(str::trim).filter(|n| !n.is_empty()) {
        Some(text) => Ok(Some(
            DisplayName::parse(text)
                .map_err(|_| CoreError::invalid("invalid_note", "a note is at most 100 printable characters"))?,
        )),
        None => Ok(None),
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

impl TryFrom<&CreateAgentRequest> for NewAgent {
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
        self.name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
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
pub struct CustomerEventParams {
    /// Resume after this event id, for clients that cannot send `Last-Event-ID`.
    #[param(example = "42")]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// `next_cursor` of the previous page; empty is the first page.
    #[param(example = "1767225600000000", pattern = "^[0-9]{0,18}$")]
    #[serde(default, deserialize_with = "cursor")]
    pub cursor: Option<String>,
    /// 1 to 100; default 50 (20 for deliveries).
    #[param(example = 50, minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
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

/// A whole number as JSON may write it: to JSON Schema, which the document follows, `68.0` is the
/// integer 68, so it is read as 68; a fraction, or a number out of the field's range, is refused.
/// A form's text is read by its own deserializer, which asks for the same `i64`.
fn whole<'de, D: serde::Deserializer<'de>, T: TryFrom<i64> + TryFrom<u64>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_i64(WholeVisitor(std::marker::PhantomData))
}

fn optional_whole<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<i64> + TryFrom<u64>,
{
    deserializer.deserialize_option(OptionalWhole(std::marker::PhantomData))
}

struct WholeVisitor<T>(std::marker::PhantomData<T>);

impl<T: TryFrom<i64> + TryFrom<u64>> serde::de::Visitor<'_> for WholeVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a whole number in range")
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::custom(format!("{value} is out of range")))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<T, E> {
        T::try_from(value).map_err(|_| E::custom(format!("{value} is out of range")))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<T, E> {
        // A whole f64 prints without a point; any other does not parse as an integer.
        let whole =
            format!("{value}").parse::<i64>().map_err(|_| E::custom(format!("{value} is not a whole number")))?;
        self.visit_i64(whole)
    }
}

struct OptionalWhole<T>(std::marker::PhantomData<T>);

impl<'de, T: TryFrom<i64> + TryFrom<u64>> serde::de::Visitor<'de> for OptionalWhole<T> {
    type Value = Option<T>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a whole number in range, or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Option<T>, D::Error> {
        whole(deserializer).map(Some)
    }
}

/// A page cursor as a query carries it: empty is none (a form's blank field asks for the first
/// page), anything else the digits of a `next_cursor` we issued.
fn cursor<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    match text.as_deref() {
        None | Some("") => Ok(None),
        Some(digits) if digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(text),
        Some(_) => Err(serde::de::Error::custom("the cursor is not one this server issued")),
    }
}

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

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventStreamParams {
    /// Only this till's events (its label); all of the merchant's if absent.
    #[param(
        example = "till-1",
        pattern = "^(?:[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,14}[A-Za-z0-9_-])?)?$",
        max_length = 16
    )]
    pub till: Option<String>,
    /// Resume after this event id, for clients that cannot send `Last-Event-ID`.
    #[param(example = "42")]
    pub after: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookRequest {
    /// An https URL on the public internet, at most 500 characters.
    #[schema(example = "https://example.com/hooks/quipu")]
    pub url: String,
    /// Event types to receive: payment.awaiting_approval, payment.completed, payment.failed,
    /// refund.completed; absent or `["*"]` for all.
    #[schema(example = json!(["payment.completed"]))]
    pub events: Option<Vec<String>>,
}

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

#[cfg(test)]
mod tests {
    use super::*;

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

/// The IANA time zone times are shown in (a person's) or a shop keeps its days in (a shop's).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeZoneRequest {
    /// An IANA name such as "Asia/Seoul" (any letter case); empty or absent for the network's default.
    #[schema(example = "Asia/Seoul", max_length = 64)]
    #[serde(default)]
    pub time_zone: String,
}
