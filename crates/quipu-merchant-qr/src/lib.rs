//! Merchant-presented QR (EMV MPM): a static QR per merchant or till, on
//! which the customer types the amount, and a dynamic QR per sale (a payment
//! request: amount and reference fixed, paid once, expiring). The customer's
//! app sends the scanned payload here, is shown who it pays, and pays with
//! the PIN.
//!
//! A QR only *names* a merchant and a request; everything shown and charged
//! comes from Quipu's own records. A forged QR can therefore point at a real
//! merchant, never at a made-up name or amount: the registered name is shown
//! and a dynamic QR whose printed amount differs from its request is refused.

use std::sync::Arc;

use quipu_codes::mpm::{self, DataObject, Payload, Value};
use quipu_codes::scan::{self, Scanned};
use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, Pin, Role};
use quipu_domain::merchant::CategoryCode;
use quipu_domain::money::{Amount, AmountInput, Currency};
use quipu_domain::payment::{PaymentId, PaymentRequestId, PaymentStatus, QrReference, TillLabel};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Kernel, Principal};
use quipu_payments::{Charge, Payer, Payment, Payments};
use quipu_store::MerchantRecord;
use quipu_store::payments::{PaymentRecord, PaymentRequestRecord};
use uuid::Uuid;

/// Quipu's globally unique identifier (a reverse domain name) in its merchant account template.
pub const QUIPU_GUI: &str = "org.quipu";
/// The merchant account template Quipu writes; readers look for the GUI in any of 26–51.
const ACCOUNT_TEMPLATE: &str = "26";
const ACCOUNT_GUI: &str = "00";
const ACCOUNT_MERCHANT: &str = "01";
const ACCOUNT_TILL: &str = "02";
const ACCOUNT_REQUEST: &str = "03";
/// EMV's limits for the merchant name (59) and city (60).
const MAX_NAME_CHARS: usize = 25;
const MAX_CITY_CHARS: usize = 15;
/// Shortest life of a payment request: long enough to scan and type a PIN on a slow phone.
const MIN_REQUEST_SECONDS: i64 = 30;

/// Other schemes' identifiers, so a customer learns what they scanned.
const OTHER_SCHEMES: &[(&str, &str)] = &[
    ("br.gov.bcb.pix", "Pix (Brazil)"),
    ("A000000677", "PromptPay (Thailand)"),
    ("hk.com.hkicl", "FPS (Hong Kong)"),
    ("sg.com.nets", "NETS (Singapore)"),
    ("SG.PAYNOW", "PayNow (Singapore)"),
    ("id.co.qris", "QRIS (Indonesia)"),
];

/// What a scanned Quipu QR names. Nothing here is trusted until checked against the store.
struct QrTarget {
    merchant_id: MerchantId,
    till: TillLabel,
    request_id: Option<PaymentRequestId>,
    printed_amount: Option<String>,
    currency_numeric: Option<String>,
}

/// A scanned QR checked against Quipu's records.
struct ResolvedQr {
    merchant: MerchantRecord,
    till: TillLabel,
    currency: Currency,
    printed_amount: Option<Amount>,
    sale: Option<Sale>,
}

struct Sale {
    request: PaymentRequestRecord,
    /// The payment that paid (or is paying) it, if any.
    payment: Option<PaymentRecord>,
}

/// Where a payment request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStatus {
    /// Payable: not yet paid, not expired. A failed attempt leaves it open.
    Open,
    /// A customer's payment is going through.
    Processing,
    Paid,
    Expired,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Open => "open",
            RequestStatus::Processing => "processing",
            RequestStatus::Paid => "paid",
            RequestStatus::Expired => "expired",
        }
    }
}

/// A merchant's static QR: customers scan it and type the amount.
#[derive(Debug, Clone)]
pub struct MerchantQr {
    /// The EMV merchant-presented payload to print as a QR code.
    pub payload: String,
    pub merchant_id: MerchantId,
    pub till: TillLabel,
}

/// A request for one payment, shown at the till as a dynamic QR.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    pub record: PaymentRequestRecord,
    pub status: RequestStatus,
    /// The EMV merchant-presented payload to show as a QR code.
    pub payload: String,
    /// The payment, once a customer has paid.
    pub payment: Option<Payment>,
}

/// What a customer's app shows after scanning a merchant's QR, before the customer confirms with their PIN.
#[derive(Debug, Clone)]
pub struct ScannedMerchant {
    /// A dynamic QR (one sale, amount fixed) or a static one (the customer types the amount).
    pub dynamic: bool,
    pub merchant_id: MerchantId,
    /// The name Quipu has registered for the merchant, not whatever the QR says.
    pub merchant_name: String,
    pub city: String,
    pub till: TillLabel,
    /// The sale's amount (dynamic QR), or the amount printed on a static QR.
    pub amount: Option<Amount>,
    pub currency: Currency,
    pub reference: String,
    /// The largest amount a static QR may pay in one go.
    pub max_amount: Option<Amount>,
    pub request_id: Option<PaymentRequestId>,
    pub request_status: Option<RequestStatus>,
    pub expires_at: Option<Timestamp>,
}

#[derive(Clone)]
pub struct MerchantQrs {
    kernel: Arc<Kernel>,
    payments: Payments,
}

impl MerchantQrs {
    pub fn new(kernel: Arc<Kernel>, payments: Payments) -> Self {
        Self { kernel, payments }
    }

    /// The merchant's static QR, for the whole shop or one till.
    pub async fn merchant_qr(
        &self,
        principal: &Principal,
        till: TillLabel,
        currency: Option<&str>,
    ) -> CoreResult<MerchantQr> {
        let merchant = self.own_merchant(principal).await?;
        let currency = self.kernel.settings.currencies.get_or_default(currency)?;
        let payload = self.qr_payload(&merchant, currency, &till, None)?;
        Ok(MerchantQr { payload, merchant_id: merchant.id, till })
    }

    /// A till asks for one payment: the answer carries the dynamic QR to show.
    pub async fn create_payment_request(
        &self,
        principal: &Principal,
        id: PaymentRequestId,
        amount: AmountInput<'_>,
        reference: QrReference,
        till: TillLabel,
        expires_in_seconds: Option<i64>,
    ) -> CoreResult<PaymentRequest> {
        let merchant = self.own_merchant(principal).await?;
        let (currency, amount) = self.kernel.parse_amount(amount)?;
        let lifetime = self.request_lifetime(expires_in_seconds)?;
        let now = self.kernel.now();
        let request = PaymentRequestRecord {
            id,
            merchant_id: merchant.id,
            till: till.as_str().to_owned(),
            amount,
            currency: currency.code,
            reference: reference.as_str().to_owned(),
            created_by: principal.scope(),
            created_at: now,
            expires_at: now.plus_seconds(lifetime),
        };
        // Check the QR can be written before storing a request nobody could pay.
        self.qr_payload(&merchant, currency, &till, Some(&request))?;
        let stored = self.kernel.store.insert_payment_request(&request).await?;
        if stored.merchant_id != merchant.id {
            return Err(CoreError::not_found("payment request"));
        }
        self.request(&merchant, stored).await
    }

    /// A payment request as its merchant sees it: a till polls this (or
    /// listens to its events) to learn when the customer has paid.
    pub async fn payment_request(&self, principal: &Principal, id: PaymentRequestId) -> CoreResult<PaymentRequest> {
        let merchant_id = principal.require_merchant()?;
        let request = match self.kernel.store.payment_request(id).await? {
            Some(request) if request.merchant_id == merchant_id => request,
            _ => return Err(CoreError::not_found("payment request")),
        };
        let merchant = self.own_merchant(principal).await?;
        self.request(&merchant, request).await
    }

    /// The customer's app sends what it scanned; the answer says whom and what
    /// the customer would pay, before they confirm with their PIN.
    pub async fn read_merchant_qr(&self, principal: &Principal, scanned: &str) -> CoreResult<ScannedMerchant> {
        principal.require(Role::Customer)?;
        let resolved = self.resolve_qr(scanned).await?;
        let currency = resolved.currency;
        let (amount, reference, request_id, request_status, expires_at) = match &resolved.sale {
            Some(sale) => (
                Some(sale.request.amount),
                sale.request.reference.clone(),
                Some(sale.request.id),
                Some(self.request_status(&sale.request, sale.payment.as_ref())),
                Some(sale.request.expires_at),
            ),
            None => (resolved.printed_amount, String::new(), None, None, None),
        };
        Ok(ScannedMerchant {
            dynamic: resolved.sale.is_some(),
            merchant_id: resolved.merchant.id,
            merchant_name: resolved.merchant.name.clone(),
            city: resolved.merchant.city.clone(),
            till: resolved.till.clone(),
            amount,
            currency,
            reference,
            max_amount: resolved
                .sale
                .is_none()
                .then(|| self.kernel.settings.payments.static_qr_cap(currency))
                .flatten(),
            request_id,
            request_status,
            expires_at,
        })
    }

    /// The customer pays a scanned merchant QR, confirming with their PIN.
    /// A static QR takes the amount the customer typed; a dynamic one pays its
    /// request's amount, once. Idempotent on `payment_id`.
    pub async fn pay_merchant_qr(
        &self,
        principal: &Principal,
        id: PaymentId,
        scanned: &str,
        amount: Option<AmountInput<'_>>,
        pin: &Pin,
    ) -> CoreResult<Payment> {
        let customer = principal.require(Role::Customer)?;
        if let Some(existing) = self.payments.retried(id, |p| p.customer_id == Some(customer)).await? {
            return Ok(existing);
        }
        let resolved = self.resolve_qr(scanned).await?;
        let amount = self.qr_amount(&resolved, amount)?;
        if let Some(sale) = &resolved.sale {
            match self.request_status(&sale.request, sale.payment.as_ref()) {
                RequestStatus::Open => {}
                RequestStatus::Expired => {
                    return Err(CoreError::new(
                        ErrorKind::Rejected,
                        "payment_request_expired",
                        "this QR has expired; ask the till for a new one",
                    ));
                }
                RequestStatus::Processing | RequestStatus::Paid => return Err(quipu_payments::request_used()),
            }
        }
        let payer = Payer::Qr {
            customer: self.kernel.current_user(principal).await?,
            pin: pin.clone(),
            request: resolved.sale.as_ref().map(|s| s.request.id),
        };
        let charge = Charge {
            id,
            reference: resolved.sale.as_ref().map(|s| s.request.reference.clone()).unwrap_or_default(),
            till: resolved.till,
            money: (resolved.currency, amount),
            merchant: resolved.merchant,
            payer,
            created_by: customer.0,
        };
        self.payments.charge(charge).await
    }

    /// The merchant's owner sets the city and category code its QRs show.
    pub async fn set_merchant_profile(
        &self,
        principal: &Principal,
        city: &str,
        category_code: &CategoryCode,
    ) -> CoreResult<MerchantRecord> {
        principal.require(Role::MerchantOwner)?;
        let merchant = principal.require_merchant()?;
        let city = city.trim();
        if city.is_empty()
            || emv_text(city, MAX_CITY_CHARS).is_empty()
            || city.chars().count() > 60
            || !quipu_domain::text::is_display_safe(city)
        {
            return Err(CoreError::invalid("invalid_city", "a city is 1 to 60 characters, with some Latin letters"));
        }
        self.kernel.store.set_merchant_profile(merchant, city, category_code.as_str()).await?;
        self.own_merchant(principal).await
    }

    /// The merchant's settings as its own people read them: the fee, who may refund, what its QRs carry.
    pub async fn merchant_profile(&self, principal: &Principal) -> CoreResult<MerchantRecord> {
        self.own_merchant(principal).await
    }

    async fn own_merchant(&self, principal: &Principal) -> CoreResult<MerchantRecord> {
        let merchant_id = principal.require_merchant()?;
        self.kernel.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))
    }

    async fn resolve_qr(&self, scanned: &str) -> CoreResult<ResolvedQr> {
        let target = read_target(scanned)?;
        let currency = match target.currency_numeric.as_deref() {
            Some(numeric) => self
                .kernel
                .settings
                .currencies
                .iter()
                .find(|c| format!("{:03}", c.numeric) == numeric)
                .copied()
                .ok_or_else(|| {
                    CoreError::invalid("unsupported_currency", format!("currency {numeric} is not used here"))
                })?,
            None => return Err(unreadable("the QR names no currency (53)")),
        };
        let merchant = self.kernel.store.merchant(target.merchant_id).await?.ok_or_else(|| {
            CoreError::new(ErrorKind::Rejected, "unknown_merchant", "this QR names a merchant Quipu does not know")
        })?;
        let printed_amount = match target.printed_amount.as_deref() {
            Some(text) => Some(currency.parse_amount(text).map_err(|_| unreadable("the amount (54) is malformed"))?),
            None => None,
        };
        let sale = match target.request_id {
            None => None,
            Some(id) => {
                let request = match self.kernel.store.payment_request(id).await? {
                    Some(request) if request.merchant_id == merchant.id => request,
                    _ => {
                        return Err(CoreError::new(
                            ErrorKind::Rejected,
                            "unknown_payment_request",
                            "this QR names a sale the merchant never asked for",
                        ));
                    }
                };
                if request.currency != currency.code || printed_amount != Some(request.amount) {
                    return Err(CoreError::new(
                        ErrorKind::Rejected,
                        "qr_amount_mismatch",
                        "the amount on this QR is not what the merchant asked for; do not pay it, ask for a new QR",
                    ));
                }
                let payment = self.kernel.store.request_payment(id).await?;
                Some(Sale { request, payment })
            }
        };
        Ok(ResolvedQr { merchant, till: target.till, currency, printed_amount, sale })
    }

    /// The amount a QR payment moves, checked against what the customer typed.
    fn qr_amount(&self, resolved: &ResolvedQr, typed: Option<AmountInput<'_>>) -> CoreResult<Amount> {
        let currency = resolved.currency;
        let typed = match typed {
            Some(input) => {
                if input.currency.is_some_and(|code| code != currency.code.as_str()) {
                    return Err(CoreError::invalid("currency_mismatch", "pay in the currency the QR names"));
                }
                Some(currency.parse_amount(input.amount)?.ensure_positive()?)
            }
            None => None,
        };
        let fixed = resolved.sale.as_ref().map(|s| s.request.amount).or(resolved.printed_amount);
        let amount = match (fixed, typed) {
            (Some(fixed), Some(typed)) if fixed != typed => {
                // Well-formed, but not what this QR asks: the body's form is the schema's, the QR's
                // content decides the amount, so these are refusals (422), not malformed requests (400).
                return Err(CoreError::new(
                    ErrorKind::Rejected,
                    "amount_mismatch",
                    format!("this QR asks for {} {}", currency.format_amount(fixed), currency.code),
                ));
            }
            (Some(amount), _) | (None, Some(amount)) => amount,
            (None, None) => {
                return Err(CoreError::new(ErrorKind::Rejected, "amount_required", "type the amount to pay"));
            }
        };
        let cap = self.kernel.settings.payments.static_qr_cap(currency);
        match cap {
            Some(cap) if resolved.sale.is_none() && amount > cap => Err(CoreError::new(
                ErrorKind::Rejected,
                "static_qr_limit",
                format!(
                    "static QR limit: at most {} {} per payment; ask the till for a QR with the amount",
                    currency.format_amount(cap),
                    currency.code
                ),
            )),
            _ => Ok(amount),
        }
    }

    fn request_lifetime(&self, asked: Option<i64>) -> CoreResult<i64> {
        let max = self.kernel.settings.payments.max_request_seconds;
        match asked {
            None => Ok(self.kernel.settings.payments.request_seconds),
            Some(seconds) if (MIN_REQUEST_SECONDS..=max).contains(&seconds) => Ok(seconds),
            Some(_) => Err(CoreError::invalid(
                "invalid_expiry",
                format!("a payment request lives {MIN_REQUEST_SECONDS} to {max} seconds"),
            )),
        }
    }

    fn request_status(&self, request: &PaymentRequestRecord, payment: Option<&PaymentRecord>) -> RequestStatus {
        match payment {
            Some(payment) if payment.status == PaymentStatus::Processing => RequestStatus::Processing,
            Some(_) => RequestStatus::Paid,
            None if request.expires_at <= self.kernel.now() => RequestStatus::Expired,
            None => RequestStatus::Open,
        }
    }

    async fn request(&self, merchant: &MerchantRecord, request: PaymentRequestRecord) -> CoreResult<PaymentRequest> {
        let currency = self.kernel.settings.currencies.get(request.currency.as_str())?;
        let till = TillLabel::parse(Some(&request.till))?;
        let payload = self.qr_payload(merchant, currency, &till, Some(&request))?;
        let payment = self.kernel.store.request_payment(request.id).await?;
        let status = self.request_status(&request, payment.as_ref());
        let payment = payment.map(|record| Payment { record, merchant_name: merchant.name.clone() });
        Ok(PaymentRequest { record: request, status, payload, payment })
    }

    /// Writes a merchant's QR: static without `sale`, dynamic with it.
    fn qr_payload(
        &self,
        merchant: &MerchantRecord,
        currency: Currency,
        till: &TillLabel,
        sale: Option<&PaymentRequestRecord>,
    ) -> CoreResult<String> {
        let till = till.as_str();
        let city = emv_text(&merchant.city, MAX_CITY_CHARS);
        if city.is_empty() {
            return Err(CoreError::new(
                ErrorKind::Rejected,
                "merchant_city_missing",
                "a QR names the merchant's city; the owner sets it with PUT /merchant/profile",
            ));
        }
        let mut account =
            vec![text(ACCOUNT_GUI, QUIPU_GUI), text(ACCOUNT_MERCHANT, &merchant.id.0.simple().to_string())];
        if !till.is_empty() {
            account.push(text(ACCOUNT_TILL, till));
        }
        if let Some(request) = sale {
            account.push(text(ACCOUNT_REQUEST, &request.id.0.simple().to_string()));
        }
        let mut objects = vec![
            text("00", "01"),
            text("01", if sale.is_some() { "12" } else { "11" }),
            DataObject { id: ACCOUNT_TEMPLATE.into(), value: Value::Template(account) },
            text("52", &merchant.category_code),
            text("53", &format!("{:03}", currency.numeric)),
        ];
        if let Some(request) = sale {
            objects.push(text("54", &currency.format_amount(request.amount)));
        }
        let name = emv_text(&merchant.name, MAX_NAME_CHARS);
        objects.push(text("58", &self.kernel.settings.payments.country));
        objects.push(text("59", if name.is_empty() { "QUIPU MERCHANT" } else { &name }));
        objects.push(text("60", &city));
        let mut additional = Vec::new();
        if let Some(request) = sale.filter(|r| !r.reference.is_empty()) {
            additional.push(text("05", &request.reference));
        }
        if !till.is_empty() {
            additional.push(text("07", till));
        }
        if !additional.is_empty() {
            objects.push(DataObject { id: "62".into(), value: Value::Template(additional) });
        }
        mpm::encode_strict(&Payload { objects }).map_err(|error| {
            CoreError::new(ErrorKind::Rejected, "qr_not_writable", format!("this QR cannot be written: {error}"))
        })
    }
}

fn text(id: &str, value: &str) -> DataObject {
    DataObject { id: id.to_owned(), value: Value::Text(value.to_owned()) }
}

/// Reads what a customer scanned: it must be an MPM payload carrying Quipu's merchant account template.
fn read_target(scanned: &str) -> CoreResult<QrTarget> {
    let payload = match scan::scan(scanned.trim()) {
        Ok(Scanned::Mpm(payload)) => payload,
        Ok(_) => {
            return Err(CoreError::invalid(
                "not_a_merchant_qr",
                "this is a customer's payment code, not a merchant's QR; a till scans it",
            ));
        }
        Err(error) => return Err(unreadable(&error.to_string())),
    };
    let Some(account) = payload.merchant_account(QUIPU_GUI) else {
        return Err(not_quipu(&payload));
    };
    let field = |id: &str| account.iter().find(|o| o.id == id).and_then(DataObject::text);
    let merchant_id = field(ACCOUNT_MERCHANT)
        .and_then(|text| Uuid::try_parse(text).ok())
        .ok_or_else(|| unreadable("the QR's merchant id is missing or malformed"))?;
    let request_id = match field(ACCOUNT_REQUEST) {
        Some(text) => {
            Some(PaymentRequestId(Uuid::try_parse(text).map_err(|_| unreadable("the QR's sale id is malformed"))?))
        }
        None => None,
    };
    let till = TillLabel::parse(field(ACCOUNT_TILL)).map_err(|_| unreadable("the QR's till label is malformed"))?;
    Ok(QrTarget {
        merchant_id: MerchantId(merchant_id),
        till,
        request_id,
        printed_amount: payload.text("54").map(str::to_owned),
        currency_numeric: payload.text("53").map(str::to_owned),
    })
}

/// Another scheme's QR: it decodes, but Quipu cannot pay it.
fn not_quipu(payload: &Payload) -> CoreError {
    let scheme = payload.merchant_account_guis().find_map(|gui| {
        OTHER_SCHEMES
            .iter()
            .find(|(prefix, _)| gui.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix)))
            .map(|(_, name)| *name)
    });
    let detail = match scheme {
        Some(name) => format!("not a Quipu merchant: this QR is for {name}; pay it with an app of that scheme"),
        None => "not a Quipu merchant: this QR belongs to another payment scheme".to_owned(),
    };
    CoreError::new(ErrorKind::Rejected, "not_a_quipu_merchant", detail)
}

/// Any text is a well-formed payload to send; one that is no payment code is refused as such (422).
fn unreadable(detail: &str) -> CoreError {
    CoreError::new(ErrorKind::Rejected, "unreadable_qr", detail.to_owned())
}

/// Fits text into an EMV "ans" field: Latin letters lose their accents,
/// anything else non-ASCII is dropped, and it is cut to `max` characters.
fn emv_text(text: &str, max: usize) -> String {
    let folded: String = text.chars().filter_map(fold_latin).collect();
    let collapsed = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.chars().take(max).collect::<String>().trim_end().to_owned()
}

fn fold_latin(c: char) -> Option<char> {
    if c.is_ascii_graphic() || c == ' ' {
        return Some(c);
    }
    if c.is_whitespace() {
        return Some(' ');
    }
    let base = match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'Á' | 'À' | 'Â' | 'Ä' | 'Ã' | 'Å' => 'A',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'O',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ç' => 'c',
        'Ç' => 'C',
        _ => return None,
    };
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fold_into_emv_text() {
        assert_eq!(emv_text("Mamá Rosa's  Bodega", 25), "Mama Rosa's Bodega");
        assert_eq!(emv_text("Ñandú 最佳运输 Café", 25), "Nandu Cafe");
        assert_eq!(emv_text("A very long supermarket name indeed", 25), "A very long supermarket n");
        assert_eq!(emv_text("最佳运输", 25), "");
    }
}
