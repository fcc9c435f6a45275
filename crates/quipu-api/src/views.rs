//! The JSON answers, described for the OpenAPI document, each built from
//! what a service returned. Amounts are decimal strings plus minor units,
//! never floats; times are RFC 3339 in UTC.

use quipu_core::cards::{Card, CardPayment, CardReplaced, CardTopUp};
use quipu_core::events::{Webhook, WebhookCreated, WebhookDelivery, WebhookDeliveryPage as Deliveries};
use quipu_core::identity::{ApiKey, Cashier, CustomerLimits, FundingSource, Merchant, NewApiKey, Profile};
use quipu_core::kernel::access::{Session, User};
use quipu_core::kernel::text::rfc3339;
use quipu_core::merchant_qr::{MerchantQr, PaymentRequest, ScannedMerchant};
use quipu_core::payments::{
    Device, EnrolledDevice, MerchantSummary, Payment, PaymentPage as Payments, PaymentReceipt, Refund, StaffDay,
    SummaryLine, Taker, TakerDay, TakerLine,
};
use quipu_core::wallet::{HistoryEntry as Entry, HistoryPage as History, Party, Receipt};
use quipu_domain::ledger::{Account, Transfer};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::verify::Report;
use quipu_store::MerchantRecord;
use quipu_store::payments::RefundRecord;
use serde::Serialize;
use utoipa::ToSchema;

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

/// A till as the API shows it: stored as empty text when none was named, shown as null.
fn named_till(till: &str) -> Option<String> {
    (!till.is_empty()).then(|| till.to_owned())
}

impl MoneyView {
    pub fn new(amount: Amount, code: CurrencyCode) -> Self {
        Self { amount: code.format_amount(amount), minor_units: amount.minor(), currency: code.to_string() }
    }

    /// An amount that may be negative (money out, a balance below zero): "-7.50".
    pub fn signed(minor: i64, code: CurrencyCode) -> Self {
        let magnitude = code.format_amount(Amount::from_minor(minor.saturating_abs()));
        let amount = if minor < 0 { format!("-{magnitude}") } else { magnitude };
        Self { amount, minor_units: minor, currency: code.to_string() }
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

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
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
            balance: MoneyView::new(Amount::from_minor(b.credit_balance().unwrap_or(0)), account.currency),
            available: MoneyView::new(Amount::from_minor(b.available().unwrap_or(0)), account.currency),
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
    /// One line per business event: `completed` (a transfer, or a hold's posting), `voided` (a hold
    /// released or expired), or `pending` (a hold still open).
    #[schema(example = "completed")]
    pub state: String,
    /// The event: a payment that waited for approval is its hold's id, else the transfer's.
    pub event_id: uuid::Uuid,
    /// The transfer that put the line here.
    pub transfer: TransferView,
    /// Negative when money left; for pending and voided lines, what was held.
    pub amount: MoneyView,
    /// A merchant's name, a person's first name and initial, a masked card, or the network.
    pub counterparty: Option<String>,
    /// What could be spent right after this line; absent when the history is filtered by kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_after: Option<MoneyView>,
    /// The posted balance right after this line; absent when filtered by kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_after: Option<MoneyView>,
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
    /// A refund's reason, as the shop gave it; null for any other transaction.
    pub refund_reason: Option<String>,
    /// What a person at a counter keeps: the id's last eight hex digits ("3F9A-21C0").
    pub short_reference: String,
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

impl From<&FundingSource> for FundingSourceView {
    fn from(source: &FundingSource) -> Self {
        Self {
            id: source.id,
            bank_name: source.bank_name.clone(),
            account_number: source.account_number.clone(),
            created_at: rfc3339(source.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileView {
    pub user: UserView,
    pub accounts: Vec<AccountView>,
    /// A customer's tier and limits; absent for everyone else (and on the answer to registering).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsView>,
}

/// A customer's tier and, per currency, its limits and what is left of the daily one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LimitsView {
    /// basic or verified.
    pub tier: String,
    pub currencies: Vec<LimitLineView>,
}

/// One currency's limits; null where the tier has none.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LimitLineView {
    pub currency: String,
    /// The largest single payment.
    pub per_payment: Option<MoneyView>,
    /// Payments in any 24 hours, wallet and linked cards together.
    pub per_day: Option<MoneyView>,
    /// Paid in the last 24 hours.
    pub spent_today: MoneyView,
    /// What the daily limit still allows now.
    pub remaining_today: Option<MoneyView>,
    /// The most the wallet may hold.
    pub max_balance: Option<MoneyView>,
}

impl From<&CustomerLimits> for LimitsView {
    fn from(limits: &CustomerLimits) -> Self {
        Self {
            tier: limits.tier.as_str().to_owned(),
            currencies: limits
                .currencies
                .iter()
                .map(|line| {
                    let code = line.currency.code;
                    let money = |amount: Option<Amount>| amount.map(|a| MoneyView::new(a, code));
                    LimitLineView {
                        currency: code.to_string(),
                        per_payment: money(line.limits.per_payment),
                        per_day: money(line.limits.per_day),
                        spent_today: MoneyView::new(line.spent_today, code),
                        remaining_today: money(line.remaining_today),
                        max_balance: money(line.limits.max_balance),
                    }
                })
                .collect(),
        }
    }
}

/// A cashier as the merchant's owner sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CashierView {
    pub user: UserView,
    /// Whether they may refund now: their own permission, or else the merchant's refund policy.
    pub may_refund: bool,
    /// Their own permission; null follows the merchant's refund policy.
    pub own_may_refund: Option<bool>,
    pub created_at: String,
}

impl From<&Cashier> for CashierView {
    fn from(cashier: &Cashier) -> Self {
        Self {
            user: UserView::from(&cashier.user),
            may_refund: cashier.may_refund,
            own_may_refund: cashier.own_may_refund,
            created_at: rfc3339(cashier.created_at),
        }
    }
}

/// An API key as its merchant sees it later: never the secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyInfoView {
    pub id: uuid::Uuid,
    /// The public part, as in the key itself.
    pub prefix: String,
    /// The owner's name for it; empty if none.
    pub name: String,
    pub created_at: String,
    /// When a request last used it, to the minute; null if never.
    pub last_used_at: Option<String>,
    /// Null while the key works.
    pub revoked_at: Option<String>,
}

impl From<&ApiKey> for ApiKeyInfoView {
    fn from(key: &ApiKey) -> Self {
        Self {
            id: key.id,
            prefix: key.prefix.clone(),
            name: key.name.clone(),
            created_at: rfc3339(key.created_at),
            last_used_at: key.last_used_at.map(rfc3339),
            revoked_at: key.revoked_at.map(rfc3339),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MerchantView {
    pub id: uuid::Uuid,
    pub name: String,
    pub owner: UserView,
    pub accounts: Vec<AccountView>,
}

/// What a merchant's owner and the operator set: the fee, who may refund, what its QRs carry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MerchantSettingsView {
    pub merchant_id: uuid::Uuid,
    /// The fee on each payment in basis points: 150 is 1.5%.
    pub fee_bps: u32,
    pub cashiers_may_refund: bool,
    /// Where the merchant trades, as its QRs show it; null until the owner sets it.
    pub city: Option<String>,
    /// ISO 18245 merchant category code, four digits.
    pub category_code: String,
}

impl From<&MerchantRecord> for MerchantSettingsView {
    fn from(merchant: &MerchantRecord) -> Self {
        Self {
            merchant_id: merchant.id.0,
            fee_bps: merchant.fee_bps,
            cashiers_may_refund: merchant.cashiers_may_refund,
            city: (!merchant.city.is_empty()).then(|| merchant.city.clone()),
            category_code: merchant.category_code.clone(),
        }
    }
}

/// A customer's tier, as the operator set it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerTierView {
    pub customer_id: uuid::Uuid,
    /// basic or verified.
    pub tier: String,
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
    /// The owner's name for it; empty if none.
    pub name: String,
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

impl From<&Device> for DeviceView {
    fn from(device: &Device) -> Self {
        Self {
            id: device.id.0,
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
    /// Whether money may still go back to the customer.
    pub refundable: bool,
    /// What may still be refunded: the amount less refunds while refundable, else zero.
    pub refundable_amount: MoneyView,
    pub merchant_id: uuid::Uuid,
    pub merchant_name: String,
    pub reference: String,
    /// The till it was taken at; null when the merchant does not name tills.
    pub till: Option<String>,
    /// For a dynamic-QR payment: the payment request it paid.
    pub request_id: Option<uuid::Uuid>,
    /// For a card payment: the card's number, masked (990001******4325).
    pub card: Option<String>,
    pub created_at: String,
    /// For a payment awaiting approval: when it lapses.
    pub expires_at: Option<String>,
}

/// A card payment's answer to the till that took it: the payment, and what was left on the card.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CardPaymentView {
    #[serde(flatten)]
    pub payment: PaymentView,
    /// The card's balance just after this payment, for the holder's slip; null when the payment did
    /// not complete. Only this answer carries it: nothing later tells the shop a card's balance.
    pub card_balance: Option<MoneyView>,
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
    /// The till printed into the QR; null for the whole shop.
    pub till: Option<String>,
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
    /// The till that asked; null when none was named.
    pub till: Option<String>,
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
    /// The till the QR names; null when it names none.
    pub till: Option<String>,
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
pub struct WebhookDeliveryView {
    pub event_id: uuid::Uuid,
    pub event_type: String,
    /// pending, delivered or failed (attempts exhausted, or the endpoint was deleted).
    pub status: String,
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookDeliveryPage {
    pub deliveries: Vec<WebhookDeliveryView>,
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

/// Something staff did about you: who, when, why, and what.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessEntryView {
    pub id: uuid::Uuid,
    pub at: String,
    /// The staff member's user id and role (operator, auditor, agent).
    pub actor_id: uuid::Uuid,
    pub actor_role: String,
    /// `card_replacement_approved`, `card_replaced`, `pin_unlocked`, `history_read`, …
    pub action: String,
    /// Why, as they stated it.
    pub reason: String,
    /// What exactly.
    pub detail: String,
}

impl From<&quipu_core::store::AccessEntryRecord> for AccessEntryView {
    fn from(entry: &quipu_core::store::AccessEntryRecord) -> Self {
        Self {
            id: entry.id,
            at: rfc3339(entry.at),
            actor_id: entry.actor.0,
            actor_role: entry.actor_role.as_str().to_owned(),
            action: entry.action.clone(),
            reason: entry.reason.clone(),
            detail: entry.detail.clone(),
        }
    }
}

/// A page of your access log, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessLogView {
    pub entries: Vec<AccessEntryView>,
    pub next_cursor: Option<String>,
}

impl From<&quipu_core::support::AccessLogPage> for AccessLogView {
    fn from(page: &quipu_core::support::AccessLogPage) -> Self {
        Self {
            entries: page.entries.iter().map(AccessEntryView::from).collect(),
            next_cursor: page.next_cursor.clone(),
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
    /// The (first) day, YYYY-MM-DD: the shop's local date in `time_zone`, or at `utc_offset_minutes`
    /// when the request named one.
    pub date: String,
    /// The last day included; `date` again for one day.
    pub last_date: String,
    /// How many days: 1, or up to 92 from `date` to `to`.
    pub days: u32,
    /// The offset asked for, or the shop's zone's offset at `from`.
    pub utc_offset_minutes: i32,
    /// The shop's IANA time zone the days are in; null when the request named `utc_offset_minutes`.
    #[schema(example = "America/Lima")]
    pub time_zone: Option<String>,
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

/// The shop's day per person: what each took and gave back, in the shop's time zone. A cashier gets
/// their own; the owner and the shop's API keys everyone's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffDayView {
    /// The day, YYYY-MM-DD, in `time_zone`.
    pub date: String,
    #[schema(example = "America/Lima")]
    pub time_zone: String,
    pub from: String,
    pub to: String,
    /// True when only the caller's own day is shown (a cashier's).
    pub own_only: bool,
    pub people: Vec<TakerDayView>,
}

/// One person's (or API key's, or the printed QR's) day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TakerDayView {
    /// staff, api_key, printed_qr (paid with no one at the till asking) or former (no longer at the shop).
    #[schema(example = "staff")]
    pub kind: String,
    /// The person's or key's id; null for the printed QR.
    pub id: Option<uuid::Uuid>,
    /// The person's full name or the key's name; null for the printed QR and former staff.
    pub name: Option<String>,
    pub currencies: Vec<TakerLineView>,
}

/// A person's day in one currency.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TakerLineView {
    pub currency: String,
    /// Payments they took that reached the shop (including those since refunded).
    pub payments: i64,
    pub gross: MoneyView,
    pub by_method: Vec<MethodTakingsView>,
    /// Refunds they gave that day, whichever day their payment was.
    pub refunds: i64,
    pub refunded: MoneyView,
    /// Gross less refunded; negative when refunds outweigh the day's takings.
    pub net: MoneyView,
}

/// One way of paying's share of a person's takings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MethodTakingsView {
    /// payment_code, merchant_qr or card.
    #[schema(example = "payment_code")]
    pub method: String,
    pub payments: i64,
    pub gross: MoneyView,
}

impl From<&StaffDay> for StaffDayView {
    fn from(day: &StaffDay) -> Self {
        Self {
            date: day.date.clone(),
            time_zone: day.time_zone.clone(),
            from: rfc3339(day.from),
            to: rfc3339(day.to),
            own_only: day.own_only,
            people: day.takers.iter().map(TakerDayView::from).collect(),
        }
    }
}

impl From<&TakerDay> for TakerDayView {
    fn from(day: &TakerDay) -> Self {
        let (kind, id, name) = match &day.taker {
            Taker::Staff { id, name } => ("staff", Some(*id), Some(name.clone())),
            Taker::Key { id, name } => ("api_key", Some(*id), Some(name.clone())),
            Taker::PrintedQr => ("printed_qr", None, None),
            Taker::Former { id } => ("former", Some(*id), None),
        };
        Self { kind: kind.to_owned(), id, name, currencies: day.lines.iter().map(TakerLineView::from).collect() }
    }
}

impl From<&TakerLine> for TakerLineView {
    fn from(line: &TakerLine) -> Self {
        let currency = line.currency;
        let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Self {
            currency: currency.to_string(),
            payments: count(line.payments),
            gross: MoneyView::new(line.gross, currency),
            by_method: line
                .by_method
                .iter()
                .map(|m| MethodTakingsView {
                    method: m.method.as_str().to_owned(),
                    payments: count(m.count),
                    gross: MoneyView::new(m.gross, currency),
                })
                .collect(),
            refunds: count(line.refunds),
            refunded: MoneyView::new(line.refunded, currency),
            net: MoneyView::signed(line.net.minor(), currency),
        }
    }
}

impl From<&Entry> for HistoryEntry {
    fn from(entry: &Entry) -> Self {
        let currency = entry.transfer.currency;
        let amount = entry.transfer.amount.minor();
        let signed =
            if entry.direction == quipu_core::wallet::Direction::Debit { amount.saturating_neg() } else { amount };
        Self {
            direction: entry.direction.as_str().to_owned(),
            state: entry.state.as_str().to_owned(),
            event_id: entry.event_id.0,
            transfer: TransferView::from(&entry.transfer),
            amount: MoneyView::signed(signed, currency),
            counterparty: entry.counterparty.clone(),
            available_after: entry.after.and_then(|b| b.available()).map(|minor| MoneyView::signed(minor, currency)),
            balance_after: entry.after.and_then(|b| b.credit_balance()).map(|minor| MoneyView::signed(minor, currency)),
        }
    }
}

/// A balance at one moment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceView {
    /// Posted credits less posted debits.
    pub balance: MoneyView,
    /// The balance less what holds reserve.
    pub available: MoneyView,
}

impl BalanceView {
    fn of(balances: &quipu_domain::ledger::Balances, currency: CurrencyCode) -> Self {
        Self {
            balance: MoneyView::signed(balances.credit_balance().unwrap_or_default(), currency),
            available: MoneyView::signed(balances.available().unwrap_or_default(), currency),
        }
    }
}

/// An account's statement for a date range: opening and closing balances as the ledger sums them,
/// and one line per business event, oldest first. The completed lines' amounts sum to closing
/// less opening balance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementView {
    pub account_id: uuid::Uuid,
    pub currency: String,
    /// Absent: from the account's first transfer.
    pub from: Option<String>,
    /// Absent: up to now.
    pub to: Option<String>,
    pub opening: BalanceView,
    pub closing: BalanceView,
    pub lines: Vec<HistoryEntry>,
}

impl From<&quipu_core::wallet::Statement> for StatementView {
    fn from(statement: &quipu_core::wallet::Statement) -> Self {
        let currency = statement.currency;
        let account = statement.account;
        let edge = |at: quipu_domain::Timestamp| (at.0 != 0 && at.0 != i64::MAX).then(|| rfc3339(at));
        Self {
            account_id: account.0,
            currency: currency.to_string(),
            from: edge(statement.from),
            to: edge(statement.to),
            opening: BalanceView::of(&statement.opening, currency),
            closing: BalanceView::of(&statement.closing, currency),
            lines: statement
                .lines
                .iter()
                .map(|named| {
                    let line = &named.line;
                    let direction = if line.transfer.debit_account_id == account {
                        quipu_core::wallet::Direction::Debit
                    } else {
                        quipu_core::wallet::Direction::Credit
                    };
                    HistoryEntry::from(&Entry {
                        direction,
                        transfer: line.transfer.clone(),
                        state: line.state,
                        event_id: line.event_id,
                        counterparty: named.counterparty.clone(),
                        after: Some(line.after),
                    })
                })
                .collect(),
        }
    }
}

impl From<&History> for HistoryPage {
    fn from(page: &History) -> Self {
        Self { entries: page.entries.iter().map(HistoryEntry::from).collect(), next_cursor: page.next_cursor.clone() }
    }
}

impl From<&Party> for PartyView {
    fn from(party: &Party) -> Self {
        Self { kind: party.kind.to_owned(), name: party.name.clone(), phone: party.phone.clone() }
    }
}

impl From<&Receipt> for ReceiptView {
    fn from(receipt: &Receipt) -> Self {
        let t = &receipt.transfer;
        Self {
            transaction_id: t.id.0,
            code: t.code.as_str().to_owned(),
            kind: t.kind.as_str().to_owned(),
            amount: MoneyView::new(t.amount, t.currency),
            from: PartyView::from(&receipt.from),
            to: PartyView::from(&receipt.to),
            direction: receipt.direction.to_owned(),
            reference: t.reference.clone(),
            timestamp: rfc3339(t.timestamp),
            refund_reason: receipt.refund_reason.clone(),
            short_reference: t.id.short_reference(),
        }
    }
}

impl From<&Session> for SessionView {
    fn from(session: &Session) -> Self {
        Self {
            token: session.token.clone(),
            expires_at: rfc3339(session.expires_at),
            user: UserView::from(&session.user),
        }
    }
}

impl From<&Profile> for ProfileView {
    fn from(profile: &Profile) -> Self {
        Self {
            user: UserView::from(&profile.user),
            accounts: profile.accounts.iter().map(AccountView::from).collect(),
            limits: profile.limits.as_ref().map(LimitsView::from),
        }
    }
}

impl From<&Profile> for AgentView {
    fn from(agent: &Profile) -> Self {
        Self { user: UserView::from(&agent.user), accounts: agent.accounts.iter().map(AccountView::from).collect() }
    }
}

impl From<&Merchant> for MerchantView {
    fn from(merchant: &Merchant) -> Self {
        Self {
            id: merchant.id.0,
            name: merchant.name.clone(),
            owner: UserView::from(&merchant.owner),
            accounts: merchant.accounts.iter().map(AccountView::from).collect(),
        }
    }
}

impl From<&NewApiKey> for ApiKeyView {
    fn from(key: &NewApiKey) -> Self {
        Self { id: key.id, prefix: key.prefix.clone(), name: key.name.clone(), key: key.key.clone() }
    }
}

impl From<&Report> for VerifyView {
    fn from(report: &Report) -> Self {
        Self {
            clean: report.is_clean(),
            accounts_checked: report.accounts_checked,
            violations: report.violations.iter().map(ToString::to_string).collect(),
        }
    }
}

impl From<&EnrolledDevice> for EnrolledDeviceView {
    fn from(enrolled: &EnrolledDevice) -> Self {
        Self {
            device: DeviceView::from(&enrolled.device),
            secret_hex: enrolled.secret_hex.clone(),
            algorithm: "quipu-code-v1: docs/payment-codes.md".into(),
            step_seconds: quipu_codes::numeric::STEP_SECONDS,
        }
    }
}

impl From<&Payment> for PaymentView {
    fn from(payment: &Payment) -> Self {
        let p = &payment.record;
        Self {
            id: p.id.0,
            status: p.status.as_str().to_owned(),
            failure_code: p.failure_code.clone(),
            method: p.method.as_str().to_owned(),
            amount: MoneyView::new(p.amount, p.currency),
            fee: MoneyView::new(p.fee, p.currency),
            refunded: MoneyView::new(p.refunded, p.currency),
            refundable: p.status.is_refundable(),
            refundable_amount: MoneyView::new(p.status.refundable_remainder(p.amount, p.refunded), p.currency),
            merchant_id: p.merchant_id.0,
            merchant_name: payment.merchant_name.clone(),
            reference: p.reference.clone(),
            till: named_till(&p.till),
            request_id: p.request_id.map(|id| id.0),
            card: p.card_number.as_ref().map(quipu_domain::card::CardNumber::masked),
            created_at: rfc3339(p.created_at),
            expires_at: p.expires_at.map(rfc3339),
        }
    }
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

impl From<&Payments> for PaymentPage {
    fn from(page: &Payments) -> Self {
        Self { payments: page.payments.iter().map(PaymentView::from).collect(), next_cursor: page.next_cursor.clone() }
    }
}

impl RefundView {
    fn of(refund: &RefundRecord, currency: CurrencyCode) -> Self {
        Self {
            id: refund.id.0,
            payment_id: refund.payment_id.0,
            amount: MoneyView::new(refund.amount, currency),
            status: refund.status.as_str().to_owned(),
            reason: refund.reason.clone(),
            created_at: rfc3339(refund.created_at),
        }
    }
}

impl From<&Refund> for RefundView {
    fn from(refund: &Refund) -> Self {
        Self::of(&refund.record, refund.currency)
    }
}

impl From<&MerchantQr> for MerchantQrView {
    fn from(qr: &MerchantQr) -> Self {
        Self { payload: qr.payload.clone(), merchant_id: qr.merchant_id.0, till: named_till(qr.till.as_str()) }
    }
}

impl From<&PaymentRequest> for PaymentRequestView {
    fn from(request: &PaymentRequest) -> Self {
        let r = &request.record;
        Self {
            id: r.id.0,
            status: request.status.as_str().to_owned(),
            payload: request.payload.clone(),
            amount: MoneyView::new(r.amount, r.currency),
            reference: r.reference.clone(),
            till: named_till(&r.till),
            created_at: rfc3339(r.created_at),
            expires_at: rfc3339(r.expires_at),
            payment: request.payment.as_ref().map(PaymentView::from),
        }
    }
}

impl From<&ScannedMerchant> for ScannedMerchantView {
    fn from(scanned: &ScannedMerchant) -> Self {
        let money = |amount: Amount| MoneyView::new(amount, scanned.currency.code);
        Self {
            kind: if scanned.dynamic { "dynamic" } else { "static" }.to_owned(),
            merchant_id: scanned.merchant_id.0,
            merchant_name: scanned.merchant_name.clone(),
            city: scanned.city.clone(),
            till: named_till(scanned.till.as_str()),
            amount: scanned.amount.map(money),
            currency: scanned.currency.code.as_str().to_owned(),
            reference: scanned.reference.clone(),
            max_amount: scanned.max_amount.map(money),
            request_id: scanned.request_id.map(|id| id.0),
            request_status: scanned.request_status.map(|status| status.as_str().to_owned()),
            expires_at: scanned.expires_at.map(rfc3339),
        }
    }
}

impl From<&Webhook> for WebhookView {
    fn from(endpoint: &Webhook) -> Self {
        Self {
            id: endpoint.id,
            url: endpoint.url.clone(),
            events: endpoint.events.clone(),
            created_at: rfc3339(endpoint.created_at),
            disabled_at: endpoint.disabled_at.map(rfc3339),
        }
    }
}

impl From<&WebhookCreated> for WebhookCreatedView {
    fn from(created: &WebhookCreated) -> Self {
        Self { endpoint: WebhookView::from(&created.endpoint), secret: created.secret.clone() }
    }
}

impl From<&WebhookDelivery> for WebhookDeliveryView {
    fn from(delivery: &WebhookDelivery) -> Self {
        let record = &delivery.record;
        Self {
            event_id: record.event_id,
            event_type: record.event_kind.clone(),
            status: record.status.clone(),
            next_attempt_at: (record.status == "pending").then(|| rfc3339(record.next_attempt_at)),
            delivered_at: record.delivered_at.map(rfc3339),
            attempts: delivery
                .attempts
                .iter()
                .map(|a| AttemptView {
                    attempt: a.attempt,
                    at: rfc3339(a.at),
                    status_code: a.status_code,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

impl From<&Deliveries> for WebhookDeliveryPage {
    fn from(page: &Deliveries) -> Self {
        Self {
            deliveries: page.deliveries.iter().map(WebhookDeliveryView::from).collect(),
            next_cursor: page.next_cursor.clone(),
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

impl From<&PaymentReceipt> for PaymentReceiptView {
    fn from(receipt: &PaymentReceipt) -> Self {
        let currency = receipt.payment.record.currency;
        Self {
            payment: PaymentView::from(&receipt.payment),
            merchant_city: receipt.merchant_city.clone(),
            paid_with: receipt.paid_with.clone(),
            refunds: receipt.refunds.iter().map(|refund| RefundView::of(refund, currency)).collect(),
            net: MoneyView::new(receipt.net, currency),
            printed_at: rfc3339(receipt.printed_at),
        }
    }
}

impl From<&SummaryLine> for SummaryLineView {
    fn from(line: &SummaryLine) -> Self {
        let money = |amount: Amount| MoneyView::new(amount, line.currency);
        Self {
            currency: line.currency.to_string(),
            payments: i64::try_from(line.payments).unwrap_or(i64::MAX),
            gross: money(line.gross),
            fees: money(line.fees),
            refunds: money(line.refunds),
            fees_returned: money(line.fees_returned),
            net: money(line.net),
        }
    }
}

impl From<&MerchantSummary> for MerchantSummaryView {
    fn from(summary: &MerchantSummary) -> Self {
        Self {
            date: summary.date.clone(),
            last_date: summary.last_date.clone(),
            days: summary.days,
            utc_offset_minutes: summary.utc_offset_minutes,
            time_zone: summary.time_zone.clone(),
            from: rfc3339(summary.from),
            to: rfc3339(summary.to),
            currencies: summary.lines.iter().map(SummaryLineView::from).collect(),
        }
    }
}

/// A person as staff find them: who they are, never what they hold.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonView {
    pub id: uuid::Uuid,
    /// customer, merchant_owner, cashier, agent, operator or auditor.
    pub role: String,
    pub phone: String,
    pub full_name: String,
    pub merchant_id: Option<uuid::Uuid>,
    /// The business, for merchant owners and cashiers.
    pub merchant_name: Option<String>,
    pub created_at: String,
}

impl From<&quipu_core::store::support::PersonRecord> for PersonView {
    fn from(person: &quipu_core::store::support::PersonRecord) -> Self {
        let user = &person.user;
        Self {
            id: user.id.0,
            role: user.role.as_str().to_owned(),
            phone: user.phone.clone(),
            full_name: user.full_name.clone(),
            merchant_id: user.merchant_id.map(|m| m.0),
            merchant_name: person.merchant_name.clone(),
            created_at: rfc3339(user.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeoplePageView {
    pub people: Vec<PersonView>,
    pub next_cursor: Option<String>,
}

/// What may need the operator now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttentionView {
    /// Payouts asked for and not yet sent to the bank.
    pub pending_payouts: i64,
    pub frozen_accounts: i64,
    /// Live webhook endpoints with a delivery retrying, or given up in the last day.
    pub failing_webhooks: i64,
    /// People whose PIN or sign-in is locked for everyone.
    pub locked_people: i64,
    /// Agents whose float has less available than the network's mark, lowest first.
    pub agents_low_on_float: Vec<LowFloatView>,
}

/// An agent whose float is running low.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LowFloatView {
    pub agent_id: uuid::Uuid,
    pub full_name: String,
    pub phone: String,
    pub available: MoneyView,
}

impl From<&quipu_core::support::Attention> for AttentionView {
    fn from(attention: &quipu_core::support::Attention) -> Self {
        let counts = &attention.counts;
        Self {
            pending_payouts: counts.pending_payouts,
            frozen_accounts: counts.frozen_accounts,
            failing_webhooks: counts.failing_webhooks,
            locked_people: counts.locked_people,
            agents_low_on_float: attention
                .low_floats
                .iter()
                .map(|low| LowFloatView {
                    agent_id: low.agent.0,
                    full_name: low.full_name.clone(),
                    phone: low.phone.clone(),
                    available: MoneyView::new(Amount::from_minor(low.available), low.currency),
                })
                .collect(),
        }
    }
}

impl From<&quipu_core::support::PeoplePage> for PeoplePageView {
    fn from(page: &quipu_core::support::PeoplePage) -> Self {
        Self { people: page.people.iter().map(PersonView::from).collect(), next_cursor: page.next_cursor.clone() }
    }
}

/// An account as staff see it: what it is and whether it is frozen, not what is on it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccountStandingView {
    pub id: uuid::Uuid,
    pub kind: String,
    pub currency: String,
    pub frozen: bool,
    pub closed: bool,
}

impl From<&Account> for AccountStandingView {
    fn from(account: &Account) -> Self {
        use quipu_domain::ledger::AccountFlags;
        Self {
            id: account.id.0,
            kind: account.kind.as_str().to_owned(),
            currency: account.currency.as_str().to_owned(),
            frozen: account.flags.contains(AccountFlags::FROZEN),
            closed: account.flags.contains(AccountFlags::CLOSED),
        }
    }
}

/// Wrong guesses at a person's secret from one source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GuessesView {
    /// pin, password or card_pin.
    pub secret: String,
    /// Who guessed: `user:<id>`, `merchant:<id>`, `key:<id>` or `address:<ip>`.
    pub source: String,
    pub failed_attempts: u32,
    /// While this source is locked out.
    pub locked_until: Option<String>,
    pub last_failed_at: String,
}

/// A person's standing: role, tier, accounts, locks and who caused them. No balance, no payment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonSummaryView {
    pub person: PersonView,
    /// For customers: basic, verified or full.
    pub tier: Option<String>,
    pub accounts: Vec<AccountStandingView>,
    /// Whether any of their accounts is frozen.
    pub frozen: bool,
    /// Locked for everyone but the person's own session, until then.
    pub pin_locked_until: Option<String>,
    pub login_locked_until: Option<String>,
    pub guesses: Vec<GuessesView>,
}

impl From<&quipu_core::support::PersonSummary> for PersonSummaryView {
    fn from(summary: &quipu_core::support::PersonSummary) -> Self {
        let accounts: Vec<AccountStandingView> = summary.accounts.iter().map(AccountStandingView::from).collect();
        let user = &summary.person.user;
        Self {
            person: PersonView::from(&summary.person),
            tier: summary.tier.map(|tier| tier.as_str().to_owned()),
            frozen: accounts.iter().any(|a| a.frozen),
            accounts,
            pin_locked_until: user.pin_locked_until.map(rfc3339),
            login_locked_until: user.login_locked_until.map(rfc3339),
            guesses: summary
                .guesses
                .iter()
                .map(|guess| GuessesView {
                    secret: guess.kind.as_str().to_owned(),
                    source: guess.source.clone(),
                    failed_attempts: guess.state.failed_attempts,
                    locked_until: guess.state.locked_until.map(rfc3339),
                    last_failed_at: rfc3339(guess.last_failed_at),
                })
                .collect(),
        }
    }
}

/// Read-only access to one person's history, for a while.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessGrantView {
    pub id: uuid::Uuid,
    pub person_id: uuid::Uuid,
    pub reason: String,
    pub created_at: String,
    pub expires_at: String,
}

impl From<&quipu_core::store::support::AccessGrantRecord> for AccessGrantView {
    fn from(grant: &quipu_core::store::support::AccessGrantRecord) -> Self {
        Self {
            id: grant.id,
            person_id: grant.subject.0,
            reason: grant.reason.clone(),
            created_at: rfc3339(grant.created_at),
            expires_at: rfc3339(grant.expires_at),
        }
    }
}

/// One account's history in an export.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExportedHistoryView {
    pub account_id: uuid::Uuid,
    pub entries: Vec<HistoryEntry>,
}

/// Everything Quipu holds about you.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonExportView {
    pub exported_at: String,
    /// Who you are and your accounts (with balances).
    pub profile: ProfileView,
    /// For customers.
    pub tier: Option<String>,
    pub funding_sources: Vec<FundingSourceView>,
    pub devices: Vec<DeviceView>,
    /// Cards linked to you, with full numbers.
    pub cards: Vec<CardView>,
    /// Every account's history, newest first.
    pub transactions: Vec<ExportedHistoryView>,
    /// Your payments in shops, newest first.
    pub payments: Vec<PaymentView>,
    /// What staff did about you.
    pub access_log: Vec<AccessEntryView>,
    /// False if a list stopped at 10 000 lines; ask the operator for the rest.
    pub complete: bool,
}

impl From<&quipu_core::export::PersonExport> for PersonExportView {
    fn from(export: &quipu_core::export::PersonExport) -> Self {
        Self {
            exported_at: rfc3339(export.exported_at),
            profile: ProfileView::from(&export.profile),
            tier: export.tier.map(|tier| tier.as_str().to_owned()),
            funding_sources: export.funding_sources.iter().map(FundingSourceView::from).collect(),
            devices: export.devices.iter().map(DeviceView::from).collect(),
            cards: export.cards.iter().map(CardView::from).collect(),
            transactions: export
                .transactions
                .iter()
                .map(|(account, entries)| ExportedHistoryView {
                    account_id: account.0,
                    entries: entries.iter().map(HistoryEntry::from).collect(),
                })
                .collect(),
            payments: export.payments.iter().map(PaymentView::from).collect(),
            access_log: export.access_log.iter().map(AccessEntryView::from).collect(),
            complete: export.complete,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BankAccountView {
    pub id: uuid::Uuid,
    pub bank_name: String,
    pub holder_name: String,
    /// Always masked, e.g. "••••7890".
    pub account_number: String,
    pub created_at: String,
}

impl From<&quipu_core::settlement::BankAccount> for BankAccountView {
    fn from(account: &quipu_core::settlement::BankAccount) -> Self {
        Self {
            id: account.id,
            bank_name: account.bank_name.clone(),
            holder_name: account.holder_name.clone(),
            account_number: account.account_number.clone(),
            created_at: rfc3339(account.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutView {
    pub id: uuid::Uuid,
    pub merchant_id: uuid::Uuid,
    pub amount: MoneyView,
    /// pending (money held), batched (sent to the bank), paid, rejected (money released) or failed.
    pub status: String,
    /// Requested by the merchant's schedule, not by a person.
    pub scheduled: bool,
    pub bank_account: Option<BankAccountView>,
    pub batch_id: Option<uuid::Uuid>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&quipu_core::settlement::Payout> for PayoutView {
    fn from(payout: &quipu_core::settlement::Payout) -> Self {
        let record = &payout.record;
        Self {
            id: record.id.0,
            merchant_id: record.merchant_id.0,
            amount: MoneyView::new(record.amount, record.currency),
            status: record.status.as_str().to_owned(),
            scheduled: record.scheduled,
            bank_account: payout.bank_account.as_ref().map(BankAccountView::from),
            batch_id: record.batch_id.map(|b| b.0),
            created_at: rfc3339(record.created_at),
            updated_at: rfc3339(record.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutBatchView {
    pub id: uuid::Uuid,
    pub created_at: String,
    /// When the operator marked it paid.
    pub paid_at: Option<String>,
    /// Payouts in the batch per currency (rejected ones left out).
    pub totals: Vec<MoneyView>,
    pub payouts: Vec<PayoutView>,
    /// In the answer to marking the batch paid: the payouts the ledger would not pay yet (a frozen
    /// merchant account, say). They stay `batched`, their money held, until the batch is marked paid
    /// again or they are rejected; the batch has no `paid_at` while any waits. Empty elsewhere.
    pub waiting: Vec<WaitingPayoutView>,
}

/// A payout that marking its batch paid left waiting, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WaitingPayoutView {
    pub payout_id: uuid::Uuid,
    /// The ledger's reason, as a problem code: e.g. `account_frozen`.
    pub code: String,
    pub detail: String,
}

impl From<&quipu_core::settlement::Batch> for PayoutBatchView {
    fn from(batch: &quipu_core::settlement::Batch) -> Self {
        let mut totals: Vec<(CurrencyCode, Amount)> = Vec::new();
        for payout in batch
            .payouts
            .iter()
            .map(|p| &p.record)
            .filter(|p| p.status != quipu_domain::settlement::PayoutStatus::Rejected)
        {
            match totals.iter_mut().find(|(currency, _)| *currency == payout.currency) {
                Some((_, sum)) => *sum = sum.checked_add(payout.amount).unwrap_or(*sum),
                None => totals.push((payout.currency, payout.amount)),
            }
        }
        Self {
            id: batch.record.id.0,
            created_at: rfc3339(batch.record.created_at),
            paid_at: batch.record.paid_at.map(rfc3339),
            totals: totals.into_iter().map(|(currency, amount)| MoneyView::new(amount, currency)).collect(),
            payouts: batch.payouts.iter().map(PayoutView::from).collect(),
            waiting: batch
                .waiting
                .iter()
                .map(|waiting| WaitingPayoutView {
                    payout_id: waiting.payout.0,
                    code: waiting.code.to_owned(),
                    detail: waiting.detail.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayoutScheduleView {
    pub currency: String,
    pub bank_account_id: uuid::Uuid,
    /// Paid out once a day when the available balance is above this.
    pub threshold: MoneyView,
}

impl From<&quipu_store::settlement::ScheduledPayoutRecord> for PayoutScheduleView {
    fn from(schedule: &quipu_store::settlement::ScheduledPayoutRecord) -> Self {
        Self {
            currency: schedule.currency.to_string(),
            bank_account_id: schedule.bank_account_id,
            threshold: MoneyView::new(schedule.threshold, schedule.currency),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommissionView {
    /// cash_in, cash_out or card_issue.
    pub operation: String,
    pub currency: String,
    /// A fixed amount per operation, if the rate is one.
    pub fixed: Option<MoneyView>,
    /// Basis points of the operation's amount, if the rate is that.
    pub bps: Option<u32>,
    pub updated_at: String,
}

impl From<&quipu_store::settlement::CommissionRecord> for CommissionView {
    fn from(commission: &quipu_store::settlement::CommissionRecord) -> Self {
        use quipu_domain::settlement::CommissionRate;
        let (fixed, bps) = match commission.rate {
            CommissionRate::Fixed(amount) => (Some(MoneyView::new(amount, commission.currency)), None),
            CommissionRate::Bps(bps) => (None, Some(bps)),
        };
        Self {
            operation: commission.operation.as_str().to_owned(),
            currency: commission.currency.to_string(),
            fixed,
            bps,
            updated_at: rfc3339(commission.updated_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EarningsTotalView {
    pub commissions: u64,
    pub earned: MoneyView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EarningsView {
    /// Everything earned, per currency.
    pub totals: Vec<EarningsTotalView>,
    /// The latest commissions (default currency), newest first.
    pub recent: Vec<TransferView>,
}

impl From<&quipu_core::wallet::Earnings> for EarningsView {
    fn from(earnings: &quipu_core::wallet::Earnings) -> Self {
        Self {
            totals: earnings
                .totals
                .iter()
                .map(|(currency, total)| EarningsTotalView {
                    commissions: total.count,
                    earned: MoneyView::new(total.total, currency.code),
                })
                .collect(),
            recent: earnings.recent.iter().map(TransferView::from).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecipientView {
    /// customer, or merchant (the phone is a merchant owner's: cash-out only).
    pub kind: String,
    /// The registered name, to read back to the person at the counter.
    pub name: String,
    pub merchant_name: Option<String>,
}

/// What a transfer would do, read back before the PIN.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferPreviewView {
    pub recipient: RecipientView,
    pub amount: MoneyView,
    pub fee: MoneyView,
}

impl From<&quipu_core::wallet::Preview> for TransferPreviewView {
    fn from(preview: &quipu_core::wallet::Preview) -> Self {
        Self {
            recipient: RecipientView::from(&preview.recipient),
            amount: MoneyView::new(preview.amount, preview.currency.code),
            fee: MoneyView::new(preview.fee, preview.currency.code),
        }
    }
}

impl From<&quipu_core::wallet::Recipient> for RecipientView {
    fn from(recipient: &quipu_core::wallet::Recipient) -> Self {
        Self {
            kind: recipient.kind.to_owned(),
            name: recipient.name.clone(),
            merchant_name: recipient.merchant_name.clone(),
        }
    }
}

/// A one-time code to set a new password: hand it to the person; it is shown only this once.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResetCodeView {
    pub person_id: uuid::Uuid,
    pub code: String,
    pub expires_at: String,
}

impl From<&quipu_core::support::IssuedResetCode> for ResetCodeView {
    fn from(issued: &quipu_core::support::IssuedResetCode) -> Self {
        Self { person_id: issued.user_id.0, code: issued.code.clone(), expires_at: rfc3339(issued.expires_at) }
    }
}

/// An operator's reset of someone's password, waiting for a second operator to approve it: no code
/// yet, and the one who asked never sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResetRequestView {
    pub person_id: uuid::Uuid,
    pub requested_by: uuid::Uuid,
    /// `awaiting_approval`.
    pub status: String,
    /// The request lapses unapproved at this time.
    pub expires_at: String,
}

impl From<&quipu_core::support::ResetRequest> for ResetRequestView {
    fn from(request: &quipu_core::support::ResetRequest) -> Self {
        Self {
            person_id: request.user_id.0,
            requested_by: request.requested_by.0,
            status: "awaiting_approval".to_owned(),
            expires_at: rfc3339(request.expires_at),
        }
    }
}
