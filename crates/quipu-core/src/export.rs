//! Everything Quipu holds about a person, for that person, in one answer: a
//! person's data is theirs to take away. It crosses contexts, so it is
//! composed here, from the same services (and the same access checks) the
//! person's own requests use.

use quipu_domain::Timestamp;
use quipu_domain::identity::Role;
use quipu_domain::ledger::AccountId;
use quipu_domain::limits::CustomerTier;
use quipu_kernel::{CoreResult, Principal};
use quipu_store::AccessEntryRecord;
use quipu_store::habits::FavouriteSeller;
use quipu_store::orders::MAX_ORDERS_PAGE;

use crate::Services;
use crate::cards::Card;
use crate::identity::{FundingSource, Profile};
use crate::market::{Alert, Order};
use crate::payments::{Device, Payment};
use crate::wallet::{HistoryEntry, HistoryFilter};

/// Most history lines exported per account, and access-log entries in all: bounded like every answer.
pub const MAX_EXPORT_LINES: usize = 10_000;

/// What Quipu holds about one person.
#[derive(Debug, Clone)]
pub struct PersonExport {
    pub exported_at: Timestamp,
    pub profile: Profile,
    pub tier: Option<CustomerTier>,
    pub funding_sources: Vec<FundingSource>,
    pub devices: Vec<Device>,
    pub cards: Vec<Card>,
    /// Each account's history, newest first.
    pub transactions: Vec<(AccountId, Vec<HistoryEntry>)>,
    /// A customer's payments in shops, newest first.
    pub payments: Vec<Payment>,
    pub access_log: Vec<AccessEntryRecord>,
    /// A customer's market orders, newest first, each with its lines and history.
    pub orders: Vec<Order>,
    /// The shops a customer keeps, and the products they wait for.
    pub favourites: Vec<FavouriteSeller>,
    pub alerts: Vec<Alert>,
    /// False if some list stopped at [`MAX_EXPORT_LINES`].
    pub complete: bool,
}

impl Services {
    /// Everything Quipu holds about the caller.
    pub async fn export_person(&self, principal: &Principal) -> CoreResult<PersonExport> {
        let profile = self.identity.profile(principal).await?;
        let customer = profile.user.role == Role::Customer;
        let mut complete = true;
        let mut transactions = Vec::new();
        for account in &profile.accounts {
            let (entries, whole) = self.whole_history(principal, account.id).await?;
            complete &= whole;
            transactions.push((account.id, entries));
        }
        let (access_log, whole) = self.whole_access_log(principal).await?;
        complete &= whole;
        let (payments, orders) = if customer {
            let (payments, whole_payments) = self.whole_payments(principal).await?;
            let (orders, whole_orders) = self.whole_orders(principal).await?;
            complete &= whole_payments && whole_orders;
            (payments, orders)
        } else {
            (Vec::new(), Vec::new())
        };
        Ok(PersonExport {
            exported_at: self.kernel.now(),
            tier: if customer { Some(self.kernel.tier_of(Some(profile.user.id)).await?) } else { None },
            funding_sources: if customer { self.identity.funding_sources(principal).await? } else { Vec::new() },
            devices: if customer { self.payments.devices(principal).await? } else { Vec::new() },
            cards: if customer { self.cards.my_cards(principal).await? } else { Vec::new() },
            profile,
            transactions,
            payments,
            access_log,
            favourites: if customer { self.market.favourites(principal).await? } else { Vec::new() },
            alerts: if customer { self.market.alerts(principal).await? } else { Vec::new() },
            orders,
            complete,
        })
    }

    async fn whole_orders(&self, principal: &Principal) -> CoreResult<(Vec<Order>, bool)> {
        let mut orders: Vec<Order> = Vec::new();
        loop {
            let before = orders.last().map(|order| &order.record);
            let page = self.market.my_orders(principal, before, MAX_ORDERS_PAGE).await?;
            if page.is_empty() {
                return Ok((orders, true));
            }
            orders.extend(page);
            if orders.len() >= MAX_EXPORT_LINES {
                orders.truncate(MAX_EXPORT_LINES);
                return Ok((orders, false));
            }
        }
    }

    async fn whole_history(&self, principal: &Principal, account: AccountId) -> CoreResult<(Vec<HistoryEntry>, bool)> {
        let mut entries = Vec::new();
        let mut filter = HistoryFilter { limit: Some(quipu_wallet::MAX_HISTORY_PAGE), ..HistoryFilter::default() };
        loop {
            let page = self.wallet.history(principal, account, &filter).await?;
            entries.extend(page.entries);
            if entries.len() >= MAX_EXPORT_LINES {
                entries.truncate(MAX_EXPORT_LINES);
                return Ok((entries, false));
            }
            match page.next_cursor.and_then(|cursor| cursor.parse().ok()) {
                Some(before) => filter.before = Some(Timestamp(before)),
                None => return Ok((entries, true)),
            }
        }
    }

    async fn whole_payments(&self, principal: &Principal) -> CoreResult<(Vec<Payment>, bool)> {
        let mut payments = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.payments.customer_payments(principal, None, cursor.as_deref(), Some(100)).await?;
            payments.extend(page.payments);
            if payments.len() >= MAX_EXPORT_LINES {
                payments.truncate(MAX_EXPORT_LINES);
                return Ok((payments, false));
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok((payments, true)),
            }
        }
    }

    async fn whole_access_log(&self, principal: &Principal) -> CoreResult<(Vec<AccessEntryRecord>, bool)> {
        let mut entries = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.support.my_access_log(principal, cursor.as_deref(), Some(100)).await?;
            entries.extend(page.entries);
            if entries.len() >= MAX_EXPORT_LINES {
                entries.truncate(MAX_EXPORT_LINES);
                return Ok((entries, false));
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok((entries, true)),
            }
        }
    }
}
