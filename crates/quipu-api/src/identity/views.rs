//! The JSON answers of this context, described for the OpenAPI document.

use quipu_core::identity::{ApiKey, Cashier, CustomerLimits, FundingSource, Merchant, NewApiKey, Profile};
use quipu_core::kernel::access::Session;
use quipu_core::kernel::text::rfc3339;
use quipu_domain::money::Amount;
use serde::Serialize;
use utoipa::ToSchema;

use crate::cards::views::CardView;
use crate::common::views::*;
use crate::habits::views::{AlertView, FavouriteView};
use crate::orders::views::OrderView;
use crate::payments::views::{DeviceView, PaymentView};
use crate::wallet::views::HistoryEntry;

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
    /// Your market orders, newest first, with their lines and history (a prescription photo
    /// attached to one is at `GET /api/v1/me/orders/{id}/prescription` until it is deleted).
    pub orders: Vec<OrderView>,
    /// The shops you keep as favourites.
    pub favourites: Vec<FavouriteView>,
    /// The products you wait for (or waited for, until told they were back).
    pub alerts: Vec<AlertView>,
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
            orders: export.orders.iter().map(OrderView::from).collect(),
            favourites: export.favourites.iter().map(FavouriteView::from).collect(),
            alerts: export.alerts.iter().map(AlertView::from).collect(),
            complete: export.complete,
        }
    }
}
