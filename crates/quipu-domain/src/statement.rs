//! Statements a person can reconcile: one line per business event, not one
//! per ledger transfer.
//!
//! A payment that waited for approval is two transfers (the hold, then its
//! posting) but one event. Each event gets one line, placed where it changed
//! the posted balance: a single-phase transfer or a hold's posting is
//! `completed`; a hold voided or expired is `voided` (it moved nothing); a
//! hold still open at the statement's end is `pending`. A hold settled
//! within the window has no line of its own: its settlement speaks for it.
//! So the `completed` lines' signed amounts sum exactly to the change of the
//! posted balance over the window, and every line carries the running
//! balances right after it, derived by replaying every transfer (hidden
//! holds included) from the opening balances.

use std::collections::{HashMap, HashSet};

use crate::Amount;
use crate::ledger::{AccountId, Balances, Transfer, TransferId, TransferKind};

/// Where a line's event stands at the statement's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineState {
    Pending,
    Completed,
    Voided,
}

impl LineState {
    pub fn as_str(self) -> &'static str {
        match self {
            LineState::Pending => "pending",
            LineState::Completed => "completed",
            LineState::Voided => "voided",
        }
    }
}

/// One business event on an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The transfer that put the line here: the single-phase transfer, the hold's settlement, or an open hold.
    pub transfer: Transfer,
    /// The event: the hold's id for a two-phase payment, else the transfer's.
    pub event_id: TransferId,
    pub state: LineState,
    /// Money into the account is positive, out of it negative; a pending or voided line's is what was held.
    pub signed_amount: i64,
    /// The account's balances right after this line.
    pub after: Balances,
}

/// Why a statement could not be computed: the ledger's own numbers disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("a settlement names a hold the statement was not given")]
    UnknownHold,
    #[error("a balance overflowed while replaying the statement")]
    Overflow,
}

/// Replays `transfers` (oldest first, every transfer touching `account` in
/// the window) from `opening`, and returns the lines and the closing
/// balances. `held` gives, for every hold a transfer in the window settles,
/// the amount it held. `settled_later` are holds in the window settled after
/// it but before the statement's "as of" (a history read now): shown by
/// their settlement, not as pending.
pub fn replay(
    account: AccountId,
    opening: Balances,
    transfers: &[Transfer],
    held: &HashMap<TransferId, Amount>,
    settled_later: &HashSet<TransferId>,
) -> Result<(Vec<Line>, Balances), StatementError> {
    let mut settled: HashSet<TransferId> = transfers.iter().filter_map(|t| t.pending_id).collect();
    settled.extend(settled_later.iter().copied());
    let mut running = opening;
    let mut lines = Vec::with_capacity(transfers.len());
    for transfer in transfers {
        running = apply(account, running, transfer, held)?;
        let debit = transfer.debit_account_id == account;
        let amount = transfer.amount.minor();
        let signed_amount = if debit { amount.checked_neg().ok_or(StatementError::Overflow)? } else { amount };
        let (event_id, state) = match transfer.kind {
            TransferKind::Posted => (transfer.id, LineState::Completed),
            TransferKind::PostPending => (transfer.pending_id.unwrap_or(transfer.id), LineState::Completed),
            TransferKind::VoidPending => (transfer.pending_id.unwrap_or(transfer.id), LineState::Voided),
            // A hold settled within the window is shown by its settlement.
            TransferKind::Pending if settled.contains(&transfer.id) => continue,
            TransferKind::Pending => (transfer.id, LineState::Pending),
        };
        lines.push(Line { transfer: transfer.clone(), event_id, state, signed_amount, after: running });
    }
    Ok((lines, running))
}

/// The balances after one transfer.
fn apply(
    account: AccountId,
    before: Balances,
    transfer: &Transfer,
    held: &HashMap<TransferId, Amount>,
) -> Result<Balances, StatementError> {
    let debit = transfer.debit_account_id == account;
    let amount = transfer.amount.minor();
    let mut after = before;
    let (posted, pending) = if debit {
        (&mut after.debits_posted, &mut after.debits_pending)
    } else {
        (&mut after.credits_posted, &mut after.credits_pending)
    };
    let add = |value: &mut i64, delta: i64| -> Result<(), StatementError> {
        *value = value.checked_add(delta).ok_or(StatementError::Overflow)?;
        Ok(())
    };
    match transfer.kind {
        TransferKind::Posted => add(posted, amount)?,
        TransferKind::Pending => add(pending, amount)?,
        TransferKind::PostPending | TransferKind::VoidPending => {
            let hold = transfer.pending_id.and_then(|id| held.get(&id)).ok_or(StatementError::UnknownHold)?;
            add(pending, hold.minor().checked_neg().ok_or(StatementError::Overflow)?)?;
            if transfer.kind == TransferKind::PostPending {
                add(posted, amount)?;
            }
        }
    }
    Ok(after)
}

/// The balances before a window, from the balances after it and what the
/// window did (its replay from zero): how the newest page of a history finds
/// its opening without summing the account's whole past.
pub fn balances_before(after: Balances, window: Balances) -> Option<Balances> {
    Some(Balances {
        debits_posted: after.debits_posted.checked_sub(window.debits_posted)?,
        credits_posted: after.credits_posted.checked_sub(window.credits_posted)?,
        debits_pending: after.debits_pending.checked_sub(window.debits_pending)?,
        credits_pending: after.credits_pending.checked_sub(window.credits_pending)?,
    })
}

/// Lines replayed from zero, moved onto real opening balances: a replay only
/// adds, so each line's balances are the opening plus what came before it.
pub fn from_opening(lines: Vec<Line>, opening: Balances) -> Option<Vec<Line>> {
    lines
        .into_iter()
        .map(|line| {
            let after = Balances {
                debits_posted: opening.debits_posted.checked_add(line.after.debits_posted)?,
                credits_posted: opening.credits_posted.checked_add(line.after.credits_posted)?,
                debits_pending: opening.debits_pending.checked_add(line.after.debits_pending)?,
                credits_pending: opening.credits_pending.checked_add(line.after.credits_pending)?,
            };
            Some(Line { after, ..line })
        })
        .collect()
}

/// The sum of the completed lines' signed amounts: the change of the posted (credit) balance.
pub fn completed_total(lines: &[Line]) -> Option<i64> {
    lines
        .iter()
        .filter(|line| line.state == LineState::Completed)
        .try_fold(0i64, |sum, line| sum.checked_add(line.signed_amount))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::TransferCode;
    use crate::money::CurrencyCode;
    use crate::time::Timestamp;

    fn transfer(
        id: u128,
        debit: u128,
        credit: u128,
        amount: i64,
        kind: TransferKind,
        pending: Option<u128>,
    ) -> Transfer {
        Transfer {
            id: TransferId(uuid::Uuid::from_u128(id)),
            debit_account_id: AccountId(uuid::Uuid::from_u128(debit)),
            credit_account_id: AccountId(uuid::Uuid::from_u128(credit)),
            amount: Amount::from_minor(amount),
            currency: CurrencyCode::parse("USD").unwrap(),
            code: TransferCode::Payment,
            reference: String::new(),
            kind,
            pending_id: pending.map(|p| TransferId(uuid::Uuid::from_u128(p))),
            expires_at: None,
            timestamp: Timestamp(i64::try_from(id).unwrap()),
        }
    }

    #[test]
    fn a_hold_and_its_posting_are_one_completed_line_and_the_lines_sum_to_the_change() {
        let me = AccountId(uuid::Uuid::from_u128(1));
        let opening = Balances { credits_posted: 10_000, ..Balances::default() };
        let transfers = [
            transfer(10, 9, 1, 2_000, TransferKind::Posted, None), // cash in 20.00
            transfer(11, 1, 7, 5_000, TransferKind::Pending, None), // hold 50.00 for a shop
            transfer(12, 1, 7, 5_000, TransferKind::PostPending, Some(11)),
            transfer(13, 1, 7, 1_000, TransferKind::Pending, None), // hold 10.00, then voided
            transfer(14, 1, 7, 1_000, TransferKind::VoidPending, Some(13)),
            transfer(15, 1, 7, 700, TransferKind::Pending, None), // still open
        ];
        let held = HashMap::from([
            (TransferId(uuid::Uuid::from_u128(11)), Amount::from_minor(5_000)),
            (TransferId(uuid::Uuid::from_u128(13)), Amount::from_minor(1_000)),
        ]);
        let (lines, closing) = replay(me, opening, &transfers, &held, &HashSet::new()).unwrap();
        let states: Vec<LineState> = lines.iter().map(|l| l.state).collect();
        assert_eq!(states, [LineState::Completed, LineState::Completed, LineState::Voided, LineState::Pending]);
        assert_eq!(lines[1].event_id, TransferId(uuid::Uuid::from_u128(11)), "the payment is the hold's event");
        assert_eq!(completed_total(&lines), Some(2_000 - 5_000));
        assert_eq!(closing.credit_balance().unwrap() - opening.credit_balance().unwrap(), -3_000);
        assert_eq!(closing.available(), Some(7_000 - 700));
        assert_eq!(lines[2].after.available(), Some(7_000), "a void gives the held money back");
    }

    #[test]
    fn a_replay_from_zero_moved_onto_the_opening_is_the_replay_from_the_opening() {
        let me = AccountId(uuid::Uuid::from_u128(1));
        let opening = Balances { credits_posted: 10_000, debits_pending: 300, ..Balances::default() };
        let transfers = [
            transfer(10, 9, 1, 2_000, TransferKind::Posted, None),
            transfer(11, 1, 7, 700, TransferKind::Pending, None),
        ];
        let none = (HashMap::new(), HashSet::new());
        let (direct, _) = replay(me, opening, &transfers, &none.0, &none.1).unwrap();
        let (from_zero, _) = replay(me, Balances::default(), &transfers, &none.0, &none.1).unwrap();
        assert_eq!(from_opening(from_zero, opening), Some(direct));
    }

    #[test]
    fn a_settlement_of_an_unknown_hold_is_an_error_not_a_guess() {
        let me = AccountId(uuid::Uuid::from_u128(1));
        let transfers = [transfer(12, 1, 7, 5_000, TransferKind::PostPending, Some(11))];
        assert_eq!(
            replay(me, Balances::default(), &transfers, &HashMap::new(), &HashSet::new()),
            Err(StatementError::UnknownHold)
        );
    }
}
