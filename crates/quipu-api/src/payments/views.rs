//! The JSON answers of this context, described for the OpenAPI document.

use quipu_core::kernel::text::rfc3339;
use quipu_core::payments::{
    Device, EnrolledDevice, MerchantSummary, Payment, PaymentPage as Payments, PaymentReceipt, Refund, StaffDay,
    SummaryLine, Taker, TakerDay, TakerLine,
};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_store::MerchantRecord;
use quipu_store::payments::RefundRecord;
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::*;

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
