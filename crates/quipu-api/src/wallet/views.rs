//! The JSON answers of this context, described for the OpenAPI document.

use quipu_core::kernel::text::rfc3339;
use quipu_core::wallet::{HistoryEntry as Entry, HistoryPage as History, Party, Receipt};
use quipu_domain::money::CurrencyCode;
use quipu_domain::verify::Report;
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::*;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// "debit" (money left the account) or "credit" (money arrived).
    pub direction: String,
    /// One line per business event: `completed` (a transfer, or a hold's posting), `voided` (a hold
    /// released or expired), or `pending` (a hold still open).
    #[schema(example = "completed")]
    pub state: String,
    /// The event: a payment that waited for approval is its hold's id, else the transfer's.
    pub event_id: uuid::Uuid,
    /// The transfer that put the line here.
    pub transfer: TransferView,
    /// Negative when money left; for pending and voided lines, what was held.
    pub amount: MoneyView,
    /// A merchant's name, a person's first name and initial, a masked card, or the network.
    pub counterparty: Option<String>,
    /// What could be spent right after this line; absent when the history is filtered by kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_after: Option<MoneyView>,
    /// The posted balance right after this line; absent when filtered by kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_after: Option<MoneyView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyView {
    /// customer, merchant, agent or network.
    pub kind: String,
    pub name: String,
    /// Masked phone number of a person, if the party is one.
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptView {
    pub transaction_id: uuid::Uuid,
    pub code: String,
    pub kind: String,
    pub amount: MoneyView,
    pub from: PartyView,
    pub to: PartyView,
    /// From the viewer's side: "sent", "received" (or "both" for own-account moves).
    pub direction: String,
    pub reference: String,
    pub timestamp: String,
    /// A refund's reason, as the shop gave it; null for any other transaction.
    pub refund_reason: Option<String>,
    /// What a person at a counter keeps: the id's last eight hex digits ("3F9A-21C0").
    pub short_reference: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyView {
    pub clean: bool,
    pub accounts_checked: usize,
    pub violations: Vec<String>,
}

impl From<&Entry> for HistoryEntry {
    fn from(entry: &Entry) -> Self {
        let currency = entry.transfer.currency;
        let amount = entry.transfer.amount.minor();
        let signed =
            if entry.direction == quipu_core::wallet::Direction::Debit { amount.saturating_neg() } else { amount };
        Self {
            direction: entry.direction.as_str().to_owned(),
            state: entry.state.as_str().to_owned(),
            event_id: entry.event_id.0,
            transfer: TransferView::from(&entry.transfer),
            amount: MoneyView::signed(signed, currency),
            counterparty: entry.counterparty.clone(),
            available_after: entry.after.and_then(|b| b.available()).map(|minor| MoneyView::signed(minor, currency)),
            balance_after: entry.after.and_then(|b| b.credit_balance()).map(|minor| MoneyView::signed(minor, currency)),
        }
    }
}

/// A balance at one moment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceView {
    /// Posted credits less posted debits.
    pub balance: MoneyView,
    /// The balance less what holds reserve.
    pub available: MoneyView,
}

impl BalanceView {
    fn of(balances: &quipu_domain::ledger::Balances, currency: CurrencyCode) -> Self {
        Self {
            balance: MoneyView::signed(balances.credit_balance().unwrap_or_default(), currency),
            available: MoneyView::signed(balances.available().unwrap_or_default(), currency),
        }
    }
}

/// An account's statement for a date range: opening and closing balances as the ledger sums them,
/// and one line per business event, oldest first. The completed lines' amounts sum to closing
/// less opening balance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementView {
    pub account_id: uuid::Uuid,
    pub currency: String,
    /// Absent: from the account's first transfer.
    pub from: Option<String>,
    /// Absent: up to now.
    pub to: Option<String>,
    pub opening: BalanceView,
    pub closing: BalanceView,
    pub lines: Vec<HistoryEntry>,
}

impl From<&quipu_core::wallet::Statement> for StatementView {
    fn from(statement: &quipu_core::wallet::Statement) -> Self {
        let currency = statement.currency;
        let account = statement.account;
        let edge = |at: quipu_domain::Timestamp| (at.0 != 0 && at.0 != i64::MAX).then(|| rfc3339(at));
        Self {
            account_id: account.0,
            currency: currency.to_string(),
            from: edge(statement.from),
            to: edge(statement.to),
            opening: BalanceView::of(&statement.opening, currency),
            closing: BalanceView::of(&statement.closing, currency),
            lines: statement
                .lines
                .iter()
                .map(|named| {
                    let line = &named.line;
                    let direction = if line.transfer.debit_account_id == account {
                        quipu_core::wallet::Direction::Debit
                    } else {
                        quipu_core::wallet::Direction::Credit
                    };
                    HistoryEntry::from(&Entry {
                        direction,
                        transfer: line.transfer.clone(),
                        state: line.state,
                        event_id: line.event_id,
                        counterparty: named.counterparty.clone(),
                        after: Some(line.after),
                    })
                })
                .collect(),
        }
    }
}

impl From<&History> for HistoryPage {
    fn from(page: &History) -> Self {
        Self { entries: page.entries.iter().map(HistoryEntry::from).collect(), next_cursor: page.next_cursor.clone() }
    }
}

impl From<&Party> for PartyView {
    fn from(party: &Party) -> Self {
        Self { kind: party.kind.to_owned(), name: party.name.clone(), phone: party.phone.clone() }
    }
}

impl From<&Receipt> for ReceiptView {
    fn from(receipt: &Receipt) -> Self {
        let t = &receipt.transfer;
        Self {
            transaction_id: t.id.0,
            code: t.code.as_str().to_owned(),
            kind: t.kind.as_str().to_owned(),
            amount: MoneyView::new(t.amount, t.currency),
            from: PartyView::from(&receipt.from),
            to: PartyView::from(&receipt.to),
            direction: receipt.direction.to_owned(),
            reference: t.reference.clone(),
            timestamp: rfc3339(t.timestamp),
            refund_reason: receipt.refund_reason.clone(),
            short_reference: t.id.short_reference(),
        }
    }
}

impl From<&Report> for VerifyView {
    fn from(report: &Report) -> Self {
        Self {
            clean: report.is_clean(),
            accounts_checked: report.accounts_checked,
            violations: report.violations.iter().map(ToString::to_string).collect(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecipientView {
    /// customer, or merchant (the phone is a merchant owner's: cash-out only).
    pub kind: String,
    /// The registered name, to read back to the person at the counter.
    pub name: String,
    pub merchant_name: Option<String>,
}

/// What a transfer would do, read back before the PIN.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransferPreviewView {
    pub recipient: RecipientView,
    pub amount: MoneyView,
    pub fee: MoneyView,
}

impl From<&quipu_core::wallet::Preview> for TransferPreviewView {
    fn from(preview: &quipu_core::wallet::Preview) -> Self {
        Self {
            recipient: RecipientView::from(&preview.recipient),
            amount: MoneyView::new(preview.amount, preview.currency.code),
            fee: MoneyView::new(preview.fee, preview.currency.code),
        }
    }
}

impl From<&quipu_core::wallet::Recipient> for RecipientView {
    fn from(recipient: &quipu_core::wallet::Recipient) -> Self {
        Self {
            kind: recipient.kind.to_owned(),
            name: recipient.name.clone(),
            merchant_name: recipient.merchant_name.clone(),
        }
    }
}
