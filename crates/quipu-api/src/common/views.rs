//! Views more than one context shows: money, accounts, transfers, users.
//!
//! Every context's answers (its `views` module) are described for the OpenAPI document, each built
//! from what a service returned. Amounts are decimal strings plus minor units, never floats; times
//! are RFC 3339 in UTC.

use quipu_core::kernel::access::User;
use quipu_core::kernel::text::rfc3339;
use quipu_domain::ledger::{Account, Transfer};
use quipu_domain::money::{Amount, CurrencyCode};
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
pub(crate) fn named_till(till: &str) -> Option<String> {
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
