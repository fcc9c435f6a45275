//! The ledger invariants, checked against what storage reports.
//!
//! Storage derives balances from the immutable transfers and the holds table
//! with plain aggregate queries; this module compares them with the stored
//! account balances, and reports what the cross-check of business records
//! against the ledger found ([`crate::reconcile`]). Run by `quipu ledger
//! verify` and after every test.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::ledger::{Account, AccountId, Balances, TransferCode, TransferId};
use crate::money::CurrencyCode;
use crate::reconcile::{RECORD_CODES, Record, RecordFacts};

/// What storage derived, independently of the stored balances.
#[derive(Debug, Default, Clone)]
pub struct LedgerFacts {
    pub accounts: Vec<Account>,
    /// Per account: balances recomputed from transfers alone (posted from
    /// posted and post-pending transfers; pending from pending transfers that
    /// nothing has settled yet).
    pub from_transfers: HashMap<AccountId, Balances>,
    /// Per account: (debits, credits) of holds in state `open`.
    pub open_holds: HashMap<AccountId, (i64, i64)>,
    /// Transfers whose currency differs from one of their accounts' (at most a few reported).
    pub currency_mismatches: Vec<TransferId>,
    /// Transfers naming an account that does not exist (at most a few reported). On PostgreSQL no
    /// foreign key checks this on insert (it cost more than the rest of the insert), so verify does.
    pub unknown_account_transfers: Vec<TransferId>,
    /// Settlements that do not match the hold they settle (at most a few reported).
    pub settlement_mismatches: Vec<TransferId>,
    /// Pending transfers whose hold record disagrees with them or their settlement (at most a few reported).
    pub hold_record_mismatches: Vec<TransferId>,
    /// Transfers that share a timestamp with another (timestamps must be strictly increasing).
    pub duplicate_timestamps: u64,
    /// Payments, refunds and card replacements against their transfers.
    pub records: RecordFacts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    CurrencyUnbalanced {
        currency: CurrencyCode,
        debits: i128,
        credits: i128,
        which: &'static str,
    },
    BalanceMismatch {
        account: AccountId,
        stored: Balances,
        derived: Balances,
    },
    HoldMismatch {
        account: AccountId,
        pending_debits: i64,
        pending_credits: i64,
        open_hold_debits: i64,
        open_hold_credits: i64,
    },
    FlagViolated {
        account: AccountId,
        flag: &'static str,
    },
    CurrencyMismatch {
        transfer: TransferId,
    },
    UnknownAccount {
        transfer: TransferId,
    },
    SettlementMismatch {
        transfer: TransferId,
    },
    HoldRecordMismatch {
        pending: TransferId,
    },
    DuplicateTimestamps {
        count: u64,
    },
    RecordMismatch {
        record: Record,
        problem: &'static str,
    },
    MoreRecordMismatches {
        count: u64,
    },
    UnaccountedTransfers {
        code: TransferCode,
        in_ledger: u64,
        accounted: u64,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::CurrencyUnbalanced { currency, debits, credits, which } => {
                write!(f, "{currency}: total {which} debits {debits} != total {which} credits {credits}")
            }
            Violation::BalanceMismatch { account, stored, derived } => {
                write!(
                    f,
                    "account {account}: stored balances {stored:?} != balances derived from transfers {derived:?}"
                )
            }
            Violation::HoldMismatch {
                account,
                pending_debits,
                pending_credits,
                open_hold_debits,
                open_hold_credits,
            } => write!(
                f,
                "account {account}: pending debits/credits {pending_debits}/{pending_credits} != open holds {open_hold_debits}/{open_hold_credits}"
            ),
            Violation::FlagViolated { account, flag } => write!(f, "account {account}: violates {flag}"),
            Violation::CurrencyMismatch { transfer } => {
                write!(f, "transfer {transfer}: currency differs from its accounts'")
            }
            Violation::UnknownAccount { transfer } => {
                write!(f, "transfer {transfer}: names an account that does not exist")
            }
            Violation::SettlementMismatch { transfer } => {
                write!(f, "transfer {transfer}: does not match the hold it settles")
            }
            Violation::HoldRecordMismatch { pending } => {
                write!(f, "hold {pending}: its record disagrees with its pending transfer or settlement")
            }
            Violation::DuplicateTimestamps { count } => {
                write!(f, "{count} transfers share a timestamp; timestamps must be strictly increasing")
            }
            Violation::RecordMismatch { record, problem } => write!(f, "{record}: {problem}"),
            Violation::MoreRecordMismatches { count } => {
                write!(f, "{count} more records disagree with their transfers")
            }
            Violation::UnaccountedTransfers { code, in_ledger, accounted } => write!(
                f,
                "{in_ledger} transfers coded {code} in the ledger, but records account for {accounted}: \
                 some belong to no payment, refund, card replacement, payout or commission"
            ),
        }
    }
}

/// A verification's findings; empty means every invariant holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub accounts_checked: usize,
    /// Payments, refunds and card replacement transfers checked against the ledger.
    pub records_checked: RecordsChecked,
    pub violations: Vec<Violation>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecordsChecked {
    pub payments: u64,
    pub refunds: u64,
    pub card_replacements: u64,
    pub payouts: u64,
    pub commissions: u64,
    pub orders: u64,
    /// Orders' couriers paid for a delivery or a return, against their jobs.
    pub courier_payouts: u64,
}

impl fmt::Display for RecordsChecked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "records against the ledger: payments {}, refunds {}, card replacement transfers {}, payouts {}, commissions {}, market orders {}, courier payouts {}",
            self.payments,
            self.refunds,
            self.card_replacements,
            self.payouts,
            self.commissions,
            self.orders,
            self.courier_payouts
        )
    }
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

pub fn verify(facts: &LedgerFacts) -> Report {
    let mut violations = Vec::new();
    let mut totals: BTreeMap<CurrencyCode, [i128; 4]> = BTreeMap::new();
    for account in &facts.accounts {
        let b = account.balances;
        let total = totals.entry(account.currency).or_insert([0; 4]);
        for (slot, value) in
            total.iter_mut().zip([b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending])
        {
            // i64s summed in i128: no ledger holds 2^64 accounts.
            *slot = slot.saturating_add(i128::from(value));
        }
        let derived = facts.from_transfers.get(&account.id).copied().unwrap_or_default();
        if derived != b {
            violations.push(Violation::BalanceMismatch { account: account.id, stored: b, derived });
        }
        let (hold_debits, hold_credits) = facts.open_holds.get(&account.id).copied().unwrap_or_default();
        if (hold_debits, hold_credits) != (b.debits_pending, b.credits_pending) {
            violations.push(Violation::HoldMismatch {
                account: account.id,
                pending_debits: b.debits_pending,
                pending_credits: b.credits_pending,
                open_hold_debits: hold_debits,
                open_hold_credits: hold_credits,
            });
        }
        if let Some(error) = b.violation(account.flags) {
            violations.push(Violation::FlagViolated {
                account: account.id,
                flag: match error {
                    crate::ledger::TransferError::ExceedsDebits => "credits_must_not_exceed_debits",
                    _ => "debits_must_not_exceed_credits",
                },
            });
        }
    }
    for (currency, [debits_posted, credits_posted, debits_pending, credits_pending]) in totals {
        if debits_posted != credits_posted {
            violations.push(Violation::CurrencyUnbalanced {
                currency,
                debits: debits_posted,
                credits: credits_posted,
                which: "posted",
            });
        }
        if debits_pending != credits_pending {
            violations.push(Violation::CurrencyUnbalanced {
                currency,
                debits: debits_pending,
                credits: credits_pending,
                which: "pending",
            });
        }
    }
    violations.extend(facts.currency_mismatches.iter().map(|&transfer| Violation::CurrencyMismatch { transfer }));
    violations.extend(facts.unknown_account_transfers.iter().map(|&transfer| Violation::UnknownAccount { transfer }));
    violations.extend(facts.settlement_mismatches.iter().map(|&transfer| Violation::SettlementMismatch { transfer }));
    violations.extend(facts.hold_record_mismatches.iter().map(|&pending| Violation::HoldRecordMismatch { pending }));
    if facts.duplicate_timestamps > 0 {
        violations.push(Violation::DuplicateTimestamps { count: facts.duplicate_timestamps });
    }
    violations.extend(records_violations(&facts.records));
    let records = &facts.records;
    let records_checked = RecordsChecked {
        payments: records.payments_checked,
        refunds: records.refunds_checked,
        card_replacements: records.sweeps_checked,
        payouts: records.payouts_checked,
        commissions: records.commissions_checked,
        orders: records.orders_checked,
        courier_payouts: records.courier_payouts_checked,
    };
    Report { accounts_checked: facts.accounts.len(), records_checked, violations }
}

fn records_violations(records: &RecordFacts) -> Vec<Violation> {
    let mut violations: Vec<Violation> = records
        .mismatches
        .iter()
        .map(|mismatch| Violation::RecordMismatch { record: mismatch.record, problem: mismatch.problem })
        .collect();
    if records.unreported > 0 {
        violations.push(Violation::MoreRecordMismatches { count: records.unreported });
    }
    for code in RECORD_CODES {
        let in_ledger = records.in_ledger.get(&code).copied().unwrap_or(0);
        let accounted = records.accounted.get(&code).copied().unwrap_or(0);
        if in_ledger != accounted {
            violations.push(Violation::UnaccountedTransfers { code, in_ledger, accounted });
        }
    }
    violations
}
