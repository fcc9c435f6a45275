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

use quipu_codes::mpm::{self, DataObject, Payload, Value};
use quipu_codes::scan::{self, Scanned};
use quipu_domain::identity::{MerchantId, Role};
use quipu_domain::money::{Amount, Currency};
use quipu_domain::payment::{PaymentMethod, PaymentStatus};
use quipu_store::MerchantRecord;
use quipu_store::payments::{PaymentInsert, PaymentRecord, PaymentRequestRecord};
use uuid::Uuid;

use crate::Services;
use crate::access::Principal;
use crate::error::{CoreError, CoreResult, ErrorKind};
use crate::views::{MerchantQrView, MoneyView, PaymentRequestView, PaymentView, ScannedMerchantView, rfc3339};
use crate::wallet::AmountInput;

/// Quipu's globally unique identifier (a reverse domain name) in its merchant account template.
pub const QUIPU_GUI: &str = "org.quipu";
/// The merchant account template Quipu writes; readers look for the GUI in any of 26–51.
const ACCOUNT_TEMPLATE: &str = "26";
const ACCOUNT_GUI: &str = "00";
const ACCOUNT_MERCHANT: &str = "01";
const ACCOUNT_TILL: &str = "02";
const ACCOUNT_REQUEST: &str = "03";
/// ISO 18245 "miscellaneous and specialty retail", until the merchant says otherwise.
pub(crate) const DEFAULT_CATEGORY_CODE: &str = "5999";
/// EMV's limits for the merchant name (59) and city (60).
const MAX_NAME_CHARS: usize = 25;
const MAX_CITY_CHARS: usize = 15;
/// Till labels travel in the QR (EMV object 62.07), so they stay short and plain.
const MAX_TILL_CHARS: usize = 16;
/// A sale's reference travels as EMV object 62.05: at most 25 printable ASCII characters.
const MAX_QR_REFERENCE_CHARS: usize = 25;
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
    till: String,
    request_id: Option<Uuid>,
    printed_amount: Option<String>,
    currency_numeric: Option<String>,
}

/// A scanned QR checked against Quipu's records.
struct ResolvedQr {
    merchant: MerchantRecord,
    till: String,
    currency: Currency,
    printed_amount: Option<Amount>,
    sale: Option<Sale>,
}

struct Sale {
    request: PaymentRequestRecord,
    /// The payment that paid (or is paying) it, if any.
    payment: Option<PaymentRecord>,
}

impl Services {
    /// The merchant's static QR, for the whole shop or one till.
    pub async fn merchant_qr(
        &self,
        principal: &Principal,
        till: Option<&str>,
        currency: Option<&str>,
    ) -> CoreResult<MerchantQrView> {
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let merchant = self.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let currency = match currency {
            Some(code) => self.settings.currencies.get(code)?,
            None => self.settings.currencies.default_currency(),
        };
        let till = till_label(till)?;
        let payload = self.qr_payload(&merchant, currency, &till, None)?;
        Ok(MerchantQrView { payload, merchant_id: merchant_id.0, till })
    }

    /// A till asks for one payment: the answer carries the dynamic QR to show.
    pub async fn create_payment_request(
        &self,
        principal: &Principal,
        id: Uuid,
        amount: AmountInput<'_>,
        reference: Option<&str>,
        till: Option<&str>,
        expires_in_seconds: Option<i64>,
    ) -> CoreResult<PaymentRequestView> {
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let merchant = self.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        let (currency, amount) = self.parse_amount(amount)?;
        let reference = qr_reference(reference)?;
        let till = till_label(till)?;
        let lifetime = self.request_lifetime(expires_in_seconds)?;
        let now = self.now();
        let request = PaymentRequestRecord {
            id,
            merchant_id,
            till,
            amount,
            currency: currency.code,
            reference,
            created_by: principal.scope(),
            created_at: now,
            expires_at: now.plus_seconds(lifetime),
        };
        // Check the QR can be written before storing a request nobody could pay.
        self.qr_payload(&merchant, currency, &request.till, Some(&request))?;
        let stored = self.store.insert_payment_request(&request).await?;
        if stored.merchant_id != merchant_id {
            return Err(CoreError::not_found("payment request"));
        }
        self.request_view(&merchant, stored).await
    }

    /// A payment request as its merchant sees it: a till polls this (or
    /// listens to its events) to learn when the customer has paid.
    pub async fn payment_request_view(&self, principal: &Principal, id: Uuid) -> CoreResult<PaymentRequestView> {
        let merchant_id = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let request = match self.store.payment_request(id).await? {
            Some(request) if request.merchant_id == merchant_id => request,
            _ => return Err(CoreError::not_found("payment request")),
        };
        let merchant = self.store.merchant(merchant_id).await?.ok_or_else(|| CoreError::not_found("merchant"))?;
        self.request_view(&merchant, request).await
    }

    /// The customer's app sends what it scanned; the answer says whom and what
    /// the customer would pay, before they confirm with their PIN.
    pub async fn read_merchant_qr(&self, principal: &Principal, scanned: &str) -> CoreResult<ScannedMerchantView> {
        principal.require(Role::Customer)?;
        let resolved = self.resolve_qr(scanned).await?;
        let currency = resolved.currency;
        let money = |amount: Amount| MoneyView::new(amount, currency.code);
        let (amount, reference, request_id, status, expires_at) = match &resolved.sale {
            Some(sale) => (
                Some(money(sale.request.amount)),
                sale.request.reference.clone(),
                Some(sale.request.id),
                Some(self.request_status(&sale.request, sale.payment.as_ref()).to_owned()),
                Some(rfc3339(sale.request.expires_at)),
            ),
            None => (resolved.printed_amount.map(money), String::new(), None, None, None),
        };
        Ok(ScannedMerchantView {
            kind: if resolved.sale.is_some() { "dynamic" } else { "static" }.to_owned(),
            merchant_id: resolved.merchant.id.0,
            merchant_name: resolved.merchant.name.clone(),
            city: resolved.merchant.city.clone(),
            till: resolved.till.clone(),
            amount,
            currency: currency.code.as_str().to_owned(),
            reference,
            max_amount: resolved
                .sale
                .is_none()
                .then(|| self.settings.payments.static_qr_cap(currency))
                .flatten()
                .map(money),
            request_id,
            request_status: status,
            expires_at,
        })
    }

    /// The customer pays a scanned merchant QR, confirming with their PIN.
    /// A static QR takes the amount the customer typed; a dynamic one pays its
    /// request's amount, once. Idempotent on `payment_id`.
    pub async fn pay_merchant_qr(
        &self,
        principal: &Principal,
        payment_id: Uuid,
        scanned: &str,
        amount: Option<AmountInput<'_>>,
        pin: &str,
    ) -> CoreResult<PaymentView> {
        let customer = principal.require(Role::Customer)?;
        if let Some(existing) = self.store.payment(payment_id).await? {
            if existing.customer_id != Some(customer) {
                return Err(CoreError::not_found("payment"));
            }
            return self.resume_payment(existing).await;
        }
        let resolved = self.resolve_qr(scanned).await?;
        let amount = self.qr_amount(&resolved, amount)?;
        if let Some(sale) = &resolved.sale {
            match self.request_status(&sale.request, sale.payment.as_ref()) {
                "open" => {}
                "expired" => {
                    return Err(CoreError::new(
                        ErrorKind::Rejected,
                        "payment_request_expired",
                        "this QR has expired; ask the till for a new one",
                    ));
                }
                _ => return Err(request_used()),
            }
        }
        self.check_payment_limits(Some(customer), None, resolved.currency, amount).await?;
        let user = self.current_user(principal).await?;
        self.check_pin(&user, pin).await?;
        let payment = PaymentRecord {
            customer_id: Some(customer),
            reference: resolved.sale.as_ref().map(|s| s.request.reference.clone()).unwrap_or_default(),
            till: resolved.till.clone(),
            request_id: resolved.sale.as_ref().map(|s| s.request.id),
            ..self.new_payment(
                payment_id,
                &resolved.merchant,
                PaymentMethod::MerchantQr,
                (resolved.currency, amount),
                customer.0,
            )?
        };
        match self.store.insert_payment(&payment).await? {
            PaymentInsert::Inserted => self.resume_payment(payment).await,
            PaymentInsert::Exists(existing) if existing.customer_id == Some(customer) => {
                self.resume_payment(*existing).await
            }
            PaymentInsert::Exists(_) => Err(CoreError::not_found("payment")),
            PaymentInsert::Taken => Err(request_used()),
        }
    }

    /// The merchant's owner sets the city and category code its QRs show.
    pub async fn set_merchant_profile(&self, principal: &Principal, city: &str, category_code: &str) -> CoreResult<()> {
        principal.require(Role::MerchantOwner)?;
        let merchant = principal.merchant().ok_or_else(CoreError::forbidden)?;
        let city = city.trim();
        if city.is_empty() || emv_text(city, MAX_CITY_CHARS).is_empty() || city.chars().count() > 60 {
            return Err(CoreError::invalid("invalid_city", "a city is 1 to 60 characters, with some Latin letters"));
        }
        if category_code.len() != 4 || !category_code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CoreError::invalid("invalid_category_code", "a category code is four digits (ISO 18245)"));
        }
        self.store.set_merchant_profile(merchant, city, category_code).await?;
        Ok(())
    }

    async fn resolve_qr(&self, scanned: &str) -> CoreResult<ResolvedQr> {
        let target = read_target(scanned)?;
        let currency = match target.currency_numeric.as_deref() {
            Some(numeric) => {
                self.settings.currencies.iter().find(|c| format!("{:03}", c.numeric) == numeric).copied().ok_or_else(
                    || CoreError::invalid("unsupported_currency", format!("currency {numeric} is not used here")),
                )?
            }
            None => return Err(unreadable("the QR names no currency (53)")),
        };
        let merchant = self.store.merchant(target.merchant_id).await?.ok_or_else(|| {
            CoreError::new(ErrorKind::Rejected, "unknown_merchant", "this QR names a merchant Quipu does not know")
        })?;
        let printed_amount = match target.printed_amount.as_deref() {
            Some(text) => Some(currency.parse_amount(text).map_err(|_| unreadable("the amount (54) is malformed"))?),
            None => None,
        };
        let sale = match target.request_id {
            None => None,
            Some(id) => {
                let request = match self.store.payment_request(id).await? {
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
                let payment = self.store.request_payment(id).await?;
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
                return Err(CoreError::invalid(
                    "amount_mismatch",
                    format!("this QR asks for {} {}", currency.format_amount(fixed), currency.code),
                ));
            }
            (Some(amount), _) | (None, Some(amount)) => amount,
            (None, None) => return Err(CoreError::invalid("amount_required", "type the amount to pay")),
        };
        let cap = self.settings.payments.static_qr_cap(currency);
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
        let max = self.settings.payments.max_request_seconds;
        match asked {
            None => Ok(self.settings.payments.request_seconds),
            Some(seconds) if (MIN_REQUEST_SECONDS..=max).contains(&seconds) => Ok(seconds),
            Some(_) => Err(CoreError::invalid(
                "invalid_expiry",
                format!("a payment request lives {MIN_REQUEST_SECONDS} to {max} seconds"),
            )),
        }
    }

    fn request_status(&self, request: &PaymentRequestRecord, payment: Option<&PaymentRecord>) -> &'static str {
        match payment {
            Some(payment) if payment.status == PaymentStatus::Processing => "processing",
            Some(_) => "paid",
            None if request.expires_at <= self.now() => "expired",
            None => "open",
        }
    }

    async fn request_view(
        &self,
        merchant: &MerchantRecord,
        request: PaymentRequestRecord,
    ) -> CoreResult<PaymentRequestView> {
        let currency = self.settings.currencies.get(request.currency.as_str())?;
        let payload = self.qr_payload(merchant, currency, &request.till, Some(&request))?;
        let payment = self.store.request_payment(request.id).await?;
        let status = self.request_status(&request, payment.as_ref()).to_owned();
        Ok(PaymentRequestView {
            id: request.id,
            status,
            payload,
            amount: MoneyView::new(request.amount, request.currency),
            reference: request.reference,
            till: request.till,
            created_at: rfc3339(request.created_at),
            expires_at: rfc3339(request.expires_at),
            payment: payment.map(|p| crate::payments::payment_view(&p, &merchant.name)),
        })
    }

    /// Writes a merchant's QR: static without `sale`, dynamic with it.
    fn qr_payload(
        &self,
        merchant: &MerchantRecord,
        currency: Currency,
        till: &str,
        sale: Option<&PaymentRequestRecord>,
    ) -> CoreResult<String> {
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
            account.push(text(ACCOUNT_REQUEST, &request.id.simple().to_string()));
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
        objects.push(text("58", &self.settings.payments.country));
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
        Some(text) => Some(Uuid::try_parse(text).map_err(|_| unreadable("the QR's sale id is malformed"))?),
        None => None,
    };
    let till = till_label(field(ACCOUNT_TILL)).map_err(|_| unreadable("the QR's till label is malformed"))?;
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

fn unreadable(detail: &str) -> CoreError {
    CoreError::invalid("unreadable_qr", detail.to_owned())
}

fn request_used() -> CoreError {
    CoreError::new(ErrorKind::Conflict, "payment_request_used", "this QR has already been paid")
}

/// A till's label: up to 16 letters, digits, spaces, '-' or '_'. Empty means the whole shop.
pub(crate) fn till_label(till: Option<&str>) -> CoreResult<String> {
    let text = till.map(str::trim).unwrap_or("");
    let plain = text.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_'));
    if text.chars().count() > MAX_TILL_CHARS || !plain {
        return Err(CoreError::invalid("invalid_till", "a till label is at most 16 letters, digits, spaces, - or _"));
    }
    Ok(text.to_owned())
}

fn qr_reference(reference: Option<&str>) -> CoreResult<String> {
    let text = reference.map(str::trim).unwrap_or("");
    if text.len() > MAX_QR_REFERENCE_CHARS || !text.bytes().all(|b| (0x20..=0x7E).contains(&b)) {
        return Err(CoreError::invalid(
            "invalid_reference",
            "a QR's reference is at most 25 printable ASCII characters",
        ));
    }
    Ok(text.to_owned())
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

    #[test]
    fn till_labels_are_short_and_plain() {
        assert_eq!(till_label(Some(" Till 2 ")).ok(), Some("Till 2".to_owned()));
        assert!(till_label(Some("Till*2")).is_err());
        assert!(till_label(Some("a-very-long-till-label")).is_err());
        assert_eq!(till_label(None).ok(), Some(String::new()));
    }
}
