//! The JSON answers of this context, described for the OpenAPI document.

use quipu_core::kernel::text::rfc3339;
use quipu_domain::money::Amount;
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::*;

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
