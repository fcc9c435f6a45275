//! What the services return: plain serialisable views, described for the
//! OpenAPI document. Amounts are decimal strings plus minor units, never floats.

use quipu_domain::Timestamp;
use quipu_domain::ledger::{Account, Transfer};
use quipu_domain::money::{Amount, Currency, CurrencyCode};
use quipu_store::{FundingSourceRecord, UserRecord};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// Formats a ledger timestamp as RFC 3339 UTC.
pub fn rfc3339(timestamp: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(timestamp.0) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| timestamp.0.to_string())
}

/// Reads back a page cursor we issued (the last item's time, in microseconds); none starts at the newest.
pub(crate) fn cursor_before(cursor: Option<&str>) -> crate::CoreResult<Timestamp> {
    match cursor {
        Some(text) => text
            .parse()
            .map(Timestamp)
            .map_err(|_| crate::CoreError::invalid("invalid_cursor", "the cursor is not one we issued")),
        None => Ok(Timestamp(i64::MAX)),
    }
}

/// A page size the caller asked for, `default` if none, refused outside 1..=`max`.
pub(crate) fn page_limit(limit: Option<u32>, default: u32, max: u32) -> crate::CoreResult<u32> {
    match limit.unwrap_or(default) {
        limit @ 1.. if limit <= max => Ok(limit),
        _ => Err(crate::CoreError::invalid("invalid_limit", format!("limit must be between 1 and {max}"))),
    }
}

/// The cursor for the page after `items`, if `items` filled a page of `limit`.
pub(crate) fn next_cursor<T>(items: &[T], limit: u32, time: impl Fn(&T) -> Timestamp) -> Option<String> {
    let full = items.len() == usize::try_from(limit).unwrap_or(usize::MAX);
    items.last().filter(|_| full).map(|last| time(last).0.to_string())
}

/// Parses RFC 3339 into a ledger timestamp.
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1000).ok().map(Timestamp)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MoneyView {
    /// Decimal string with the currency's number of decimals, e.g. "12.50".
    #[schema(example = "12.50")]
    pub amount: String,
    /// The same amount in minor units.
    #[schema(example = 1250)]
    pub minor_units: i64,
    #[schema(example = "USD")]
    pub currency: String,
}

impl MoneyView {
    pub fn new(amount: Amount, code: CurrencyCode) -> Self {
        // Every stored currency is a known ISO currency; fall back to minor units if not.
        let text =
            Currency::from_code(code.as_str()).map_or_else(|_| amount.0.to_string(), |c| c.format_amount(amount));
        Self { amount: text, minor_units: amount.0, currency: code.to_string() }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: uuid::Uuid,
    /// customer, merchant_owner, cashier, agent, courier, operator or auditor.
    pub role: String,
    pub phone: String,
    pub full_name: String,
    pub merchant_id: Option<uuid::Uuid>,
}

impl From<&UserRecord> for UserView {
    fn from(user: &UserRecord) -> Self {
        Self {
            id: user.id.0,
            role: user.role.as_str().to_owned(),
            phone: user.phone.clone(),
            full_name: user.full_name.clone(),
            merchant_id: user.merchant_id.map(|m| m.0),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountView {
    pub id: uuid::Uuid,
    /// customer_wallet, merchant, agent_float, card, fee_income, issuance or settlement.
    pub kind: String,
    pub currency: String,
    /// Posted credits minus posted debits.
    pub balance: MoneyView,
    /// Balance less funds reserved by open holds: what can be spent now.
    pub available: MoneyView,
    pub debits_posted: i64,
    pub credits_posted: i64,
    pub debits_pending: i64,
    pub credits_pending: i64,
    pub flags: Vec<String>,
}

impl From<&Account> for AccountView {
    fn from(account: &Account) -> Self {
        let b = account.balances;
        Self {
            id: account.id.0,
            kind: account.kind.as_str().to_owned(),
            currency: account.currency.to_string(),
            balance: MoneyView::new(Amount(b.credit_balance().unwrap_or(0)), account.currency),
            available: MoneyView::new(Amount(b.available().unwrap_or(0)), account.currency),
            debits_posted: b.debits_posted,
            credits_posted: b.credits_posted,
            debits_pending: b.debits_pending,
            credits_pending: b.credits_pending,
            flags: account.flags.names().into_iter().map(str::to_owned).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferView {
    pub id: uuid::Uuid,
    /// issuance, redemption, cash_in, cash_out, p2p, payment, refund, fee, adjustment or expiry.
    pub code: String,
    /// posted, pending, post_pending or void_pending.
    pub kind: String,
    pub amount: MoneyView,
    pub debit_account_id: uuid::Uuid,
    pub credit_account_id: uuid::Uuid,
    pub reference: String,
    /// When the ledger committed it (RFC 3339).
    pub timestamp: String,
    pub pending_id: Option<uuid::Uuid>,
    pub expires_at: Option<String>,
}

impl From<&Transfer> for TransferView {
    fn from(t: &Transfer) -> Self {
        Self {
            id: t.id.0,
            code: t.code.as_str().to_owned(),
            kind: t.kind.as_str().to_owned(),
            amount: MoneyView::new(t.amount, t.currency),
            debit_account_id: t.debit_account_id.0,
            credit_account_id: t.credit_account_id.0,
            reference: t.reference.clone(),
            timestamp: rfc3339(t.timestamp),
            pending_id: t.pending_id.map(|id| id.0),
            expires_at: t.expires_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// "debit" (money left the account) or "credit" (money arrived).
    pub direction: String,
    pub transfer: TransferView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyView {
    /// customer, merchant, agent or network.
    pub kind: String,
    pub name: String,
    /// Masked phone number of a person, if the party is one.
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptView {
    pub transaction_id: uuid::Uuid,
    pub code: String,
    pub kind: String,
    pub amount: MoneyView,
    pub from: PartyView,
    pub to: PartyView,
    /// From the viewer's side: "sent", "received" (or "both" for own-account moves).
    pub direction: String,
    pub reference: String,
    pub timestamp: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SessionView {
    /// Bearer token; shown once, stored by the server only as a hash.
    pub token: String,
    pub expires_at: String,
    pub user: UserView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FundingSourceView {
    pub id: uuid::Uuid,
    pub bank_name: String,
    /// Always masked, e.g. "••••7890".
    pub account_number: String,
    pub created_at: String,
}

impl From<&FundingSourceRecord> for FundingSourceView {
    fn from(source: &FundingSourceRecord) -> Self {
        Self {
            id: source.id,
            bank_name: source.bank_name.clone(),
            account_number: quipu_domain::identity::mask_tail(&source.account_number, 4),
            created_at: rfc3339(source.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileView {
    pub user: UserView,
    pub accounts: Vec<AccountView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MerchantView {
    pub id: uuid::Uuid,
    pub name: String,
    pub owner: UserView,
    pub accounts: Vec<AccountView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgentView {
    pub user: UserView,
    pub accounts: Vec<AccountView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: uuid::Uuid,
    /// The public part, shown in lists and logs.
    pub prefix: String,
    /// The whole key. Shown once, never stored in the clear.
    pub key: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyView {
    pub clean: bool,
    pub accounts_checked: usize,
    pub violations: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: uuid::Uuid,
    pub label: String,
    /// The eight digits after the 84 prefix in this device's payment codes.
    pub device_ref: String,
    /// active, paused or revoked.
    pub status: String,
    pub created_at: String,
}

impl From<&quipu_store::payments::DeviceRecord> for DeviceView {
    fn from(device: &quipu_store::payments::DeviceRecord) -> Self {
        Self {
            id: device.id,
            label: device.label.clone(),
            device_ref: format!("{:08}", device.device_ref),
            status: device.status.as_str().to_owned(),
            created_at: rfc3339(device.created_at),
        }
    }
}

/// A newly enrolled device and its secret: shown once, kept on the device.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnrolledDeviceView {
    pub device: DeviceView,
    /// The 32-byte device secret, hex. The app derives its payment codes from it.
    pub secret_hex: String,
    pub algorithm: String,
    pub step_seconds: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentView {
    pub id: uuid::Uuid,
    /// processing, awaiting_approval, completed, failed, partially_refunded or refunded.
    pub status: String,
    /// Why a payment failed: insufficient_funds, account_frozen, cancelled, expired, …
    pub failure_code: Option<String>,
    /// payment_code, merchant_qr or card.
    pub method: String,
    pub amount: MoneyView,
    /// The merchant's fee on this payment.
    pub fee: MoneyView,
    pub refunded: MoneyView,
    pub merchant_id: uuid::Uuid,
    pub merchant_name: String,
    pub reference: String,
    /// The till it was taken at; empty when the merchant does not name tills.
    pub till: String,
    /// For a dynamic-QR payment: the payment request it paid.
    pub request_id: Option<uuid::Uuid>,
    /// For a card payment: the card's number, masked (990001******4325).
    pub card: Option<String>,
    pub created_at: String,
    /// For a payment awaiting approval: when it lapses.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentPage {
    pub payments: Vec<PaymentView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RefundView {
    pub id: uuid::Uuid,
    pub payment_id: uuid::Uuid,
    pub amount: MoneyView,
    /// pending or completed.
    pub status: String,
    pub reason: String,
    pub created_at: String,
}

/// A merchant's static QR: customers scan it and type the amount.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MerchantQrView {
    /// The EMV merchant-presented payload to print as a QR code.
    pub payload: String,
    pub merchant_id: uuid::Uuid,
    pub till: String,
}

/// A request for one payment, shown at the till as a dynamic QR.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentRequestView {
    pub id: uuid::Uuid,
    /// open, processing, paid or expired. A failed attempt leaves it open.
    pub status: String,
    /// The EMV merchant-presented payload to show as a QR code.
    pub payload: String,
    pub amount: MoneyView,
    pub reference: String,
    pub till: String,
    pub created_at: String,
    pub expires_at: String,
    /// The payment, once a customer has paid.
    pub payment: Option<PaymentView>,
}

/// What a customer's app shows after scanning a merchant's QR, before the customer confirms with their PIN.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScannedMerchantView {
    /// static (the customer types the amount) or dynamic (one sale, amount fixed).
    pub kind: String,
    pub merchant_id: uuid::Uuid,
    /// The name Quipu has registered for the merchant, not whatever the QR says.
    pub merchant_name: String,
    pub city: String,
    pub till: String,
    /// The sale's amount (dynamic QR), or the amount printed on a static QR.
    pub amount: Option<MoneyView>,
    pub currency: String,
    pub reference: String,
    /// The largest amount a static QR may pay in one go.
    pub max_amount: Option<MoneyView>,
    pub request_id: Option<uuid::Uuid>,
    /// For a dynamic QR: open, processing, paid or expired.
    pub request_status: Option<String>,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: uuid::Uuid,
    pub url: String,
    /// Event types it receives; `*` for all.
    pub events: Vec<String>,
    pub created_at: String,
    pub disabled_at: Option<String>,
}

/// A new webhook endpoint and its signing secret, shown this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookCreatedView {
    pub endpoint: WebhookView,
    /// Keys the HMAC-SHA256 in each delivery's `Quipu-Signature` header (see README).
    pub secret: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    pub attempt: u32,
    pub at: String,
    /// The endpoint's HTTP status, if it answered.
    pub status_code: Option<u16>,
    /// Why the attempt failed; empty when it succeeded.
    pub error: String,
    pub duration_ms: u32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    pub event_id: uuid::Uuid,
    pub event_type: String,
    /// pending, delivered or failed (attempts exhausted, or the endpoint was deleted).
    pub status: String,
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryView>,
    pub next_cursor: Option<String>,
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
    /// What can be spent now; only for the holder (signed in, or with the PIN).
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

/// A replacement: the retired card (masked), the new one, and the balance moved across.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardReplacedView {
    pub old_card: CardView,
    pub card: CardView,
    pub moved: MoneyView,
}

/// A payment's receipt, for its customer or its merchant (JSON, or printed as HTML).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentReceiptView {
    pub payment: PaymentView,
    pub merchant_city: String,
    /// "payment code", "merchant QR" or "card 990001******1234".
    pub paid_with: String,
    /// Completed refunds, oldest first.
    pub refunds: Vec<RefundView>,
    /// What the customer paid in the end: the amount less refunds.
    pub net: MoneyView,
    pub printed_at: String,
}

/// A merchant's day, per currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MerchantSummaryView {
    /// The day, YYYY-MM-DD, at `utc_offset_minutes`.
    pub date: String,
    pub utc_offset_minutes: i32,
    pub from: String,
    pub to: String,
    pub currencies: Vec<SummaryLineView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SummaryLineView {
    pub currency: String,
    /// Payments completed that day (including those since refunded).
    pub payments: i64,
    pub gross: MoneyView,
    pub fees: MoneyView,
    /// Refunds made that day, whichever day their payment was.
    pub refunds: MoneyView,
    /// The part of the fee those refunds gave back to the merchant.
    pub fees_returned: MoneyView,
    /// What reached the merchant's account: gross − fees − refunds + fees returned.
    pub net: MoneyView,
}
