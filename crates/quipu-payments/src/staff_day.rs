//! A shop's day per person: what each cashier (or API key) took and gave back on the shop's own day,
//! so a cashier can close their day against what they remember, and the owner see everyone's.

use std::collections::BTreeMap;

use quipu_domain::Timestamp;
use quipu_domain::identity::Role;
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::payment::PaymentMethod;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::payments::{MAX_STAFF_LINES, StaffRefunds, StaffTakings};
use uuid::Uuid;

use crate::Payments;
use crate::receipts::Calendar;

/// Who took a payment or gave a refund, as the report names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taker {
    /// The shop's owner or one of its cashiers.
    Staff { id: Uuid, name: String },
    /// One of the shop's API keys (a till server), by the name its owner gave it.
    Key { id: Uuid, name: String },
    /// The shop's printed QR, which customers pay with no one at the till asking.
    PrintedQr,
    /// Someone no longer among the shop's staff or keys.
    Former { id: Uuid },
}

/// One way of paying's share of a person's takings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodTakings {
    pub method: PaymentMethod,
    pub count: u64,
    pub gross: Amount,
}

/// A person's day in one currency: what they took (by way of paying), what they gave back, and the
/// difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakerLine {
    pub currency: CurrencyCode,
    pub payments: u64,
    pub gross: Amount,
    pub by_method: Vec<MethodTakings>,
    pub refunds: u64,
    pub refunded: Amount,
    /// Taken less given back; negative when a day's refunds were of earlier days' payments.
    pub net: Amount,
}

/// One person's (or key's, or the printed QR's) day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakerDay {
    pub taker: Taker,
    pub lines: Vec<TakerLine>,
}

/// The shop's day, per person.
#[derive(Debug, Clone)]
pub struct StaffDay {
    /// YYYY-MM-DD in `time_zone`.
    pub date: String,
    pub time_zone: String,
    pub from: Timestamp,
    pub to: Timestamp,
    /// Only the signed-in cashier's own day, or everyone's for the owner and the shop's keys.
    pub own_only: bool,
    pub takers: Vec<TakerDay>,
}

impl Payments {
    /// The shop's day `date` (YYYY-MM-DD in the shop's zone; today by default) per person: a cashier
    /// sees their own, the owner and the shop's API keys everyone's.
    pub async fn staff_day(&self, principal: &Principal, date: Option<&str>) -> CoreResult<StaffDay> {
        let merchant = principal.require_merchant()?;
        let own = match principal.role() {
            Some(Role::MerchantOwner) | None => None,
            Some(Role::Cashier) => Some(principal.scope()),
            Some(_) => return Err(CoreError::forbidden()),
        };
        let zone = self.kernel.merchant_zone(merchant).await?;
        let time_zone = zone.name().to_owned();
        let (day, from, to) = Calendar::Zone(zone).day(date, self.kernel.now())?;
        let store = &self.kernel.store;
        let takings = store.staff_takings(merchant, from, to, MAX_STAFF_LINES + 1).await?;
        let refunds = store.staff_refunds(merchant, from, to, MAX_STAFF_LINES + 1).await?;
        let most = usize::try_from(MAX_STAFF_LINES).unwrap_or(usize::MAX);
        if takings.len() > most || refunds.len() > most {
            return Err(CoreError::new(
                ErrorKind::Rejected,
                "summary_too_large",
                format!("more than {MAX_STAFF_LINES} lines in the day's report"),
            ));
        }
        let staff = store.merchant_staff(merchant).await?;
        let keys = store.api_keys(merchant).await?;
        let name_of = |id: Option<Uuid>| match id {
            None => Taker::PrintedQr,
            Some(id) => {
                if let Some(person) = staff.iter().find(|s| s.id.0 == id) {
                    Taker::Staff { id, name: person.full_name.clone() }
                } else if let Some(key) = keys.iter().find(|k| k.id == id) {
                    Taker::Key { id, name: key.name.clone() }
                } else {
                    Taker::Former { id }
                }
            }
        };
        let mut takers = Vec::new();
        for (id, lines) in per_taker(&takings, &refunds, own)? {
            takers.push(TakerDay { taker: name_of(id), lines });
        }
        takers.sort_by(|a, b| order(&a.taker).cmp(&order(&b.taker)));
        Ok(StaffDay { date: day.to_string(), time_zone, from, to, own_only: own.is_some(), takers })
    }
}

/// People first by name, then keys by name, then the printed QR, then former staff.
fn order(taker: &Taker) -> (u8, &str) {
    match taker {
        Taker::Staff { name, .. } => (0, name),
        Taker::Key { name, .. } => (1, name),
        Taker::PrintedQr => (2, ""),
        Taker::Former { .. } => (3, ""),
    }
}

/// Folds the store's lines into each taker's lines per currency (`own`: only that one's).
fn per_taker(
    takings: &[StaffTakings],
    refunds: &[StaffRefunds],
    own: Option<Uuid>,
) -> CoreResult<BTreeMap<Option<Uuid>, Vec<TakerLine>>> {
    let mine = |id: Option<Uuid>| own.is_none() || own == id;
    let mut lines: BTreeMap<(Option<Uuid>, String), TakerLine> = BTreeMap::new();
    for t in takings.iter().filter(|t| mine(t.taken_by)) {
        let line = line_of(&mut lines, t.taken_by, t.currency);
        line.payments = line.payments.saturating_add(t.count);
        line.gross = line.gross.checked_add(t.gross)?;
        line.by_method.push(MethodTakings { method: t.method, count: t.count, gross: t.gross });
    }
    for r in refunds.iter().filter(|r| mine(Some(r.given_by))) {
        let line = line_of(&mut lines, Some(r.given_by), r.currency);
        line.refunds = line.refunds.saturating_add(r.count);
        line.refunded = line.refunded.checked_add(r.amount)?;
    }
    let mut takers: BTreeMap<Option<Uuid>, Vec<TakerLine>> = BTreeMap::new();
    for ((id, _), mut line) in lines {
        line.net = line.gross.checked_sub(line.refunded)?;
        takers.entry(id).or_default().push(line);
    }
    Ok(takers)
}

/// The taker's line in `currency`, added empty if it is their first.
fn line_of(
    lines: &mut BTreeMap<(Option<Uuid>, String), TakerLine>,
    id: Option<Uuid>,
    currency: CurrencyCode,
) -> &mut TakerLine {
    lines.entry((id, currency.as_str().to_owned())).or_insert_with(|| TakerLine::empty(currency))
}

impl TakerLine {
    fn empty(currency: CurrencyCode) -> TakerLine {
        TakerLine {
            currency,
            payments: 0,
            gross: Amount::ZERO,
            by_method: Vec::new(),
            refunds: 0,
            refunded: Amount::ZERO,
            net: Amount::ZERO,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn usd() -> CurrencyCode {
        CurrencyCode::parse("USD").unwrap()
    }

    fn took(by: Option<u128>, method: PaymentMethod, count: u64, minor: i64) -> StaffTakings {
        StaffTakings {
            taken_by: by.map(Uuid::from_u128),
            method,
            currency: usd(),
            count,
            gross: Amount::from_minor(minor),
        }
    }

    #[test]
    fn a_cashier_sees_only_their_own_and_refunds_of_earlier_days_can_leave_them_below_zero() {
        let takings = [
            took(Some(1), PaymentMethod::PaymentCode, 2, 10_00),
            took(Some(1), PaymentMethod::MerchantQr, 1, 5_00),
            took(Some(2), PaymentMethod::Card, 1, 7_00),
            took(None, PaymentMethod::MerchantQr, 3, 9_00),
        ];
        let refunds = [StaffRefunds {
            given_by: Uuid::from_u128(2),
            currency: usd(),
            count: 1,
            amount: Amount::from_minor(8_00),
        }];

        let all = per_taker(&takings, &refunds, None).unwrap();
        assert_eq!(all.len(), 3);
        let first = &all[&Some(Uuid::from_u128(1))][0];
        assert_eq!((first.payments, first.gross, first.by_method.len()), (3, Amount::from_minor(15_00), 2));
        let second = &all[&Some(Uuid::from_u128(2))][0];
        assert_eq!((second.refunds, second.net), (1, Amount::from_minor(-1_00)));

        let own = per_taker(&takings, &refunds, Some(Uuid::from_u128(2))).unwrap();
        assert_eq!(own.keys().collect::<Vec<_>>(), [&Some(Uuid::from_u128(2))]);
    }
}
