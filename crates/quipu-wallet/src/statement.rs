//! History and statements as a person reads them: one line per business
//! event with its state, the counterparty's name, and the running balances
//! (see `quipu_domain::statement` for the rules). A statement covers a date
//! range and opens and closes with the balances the ledger itself sums; its
//! replay must land exactly on the ledger's closing balances, or it is not
//! handed out.

use std::collections::{HashMap, HashSet};

use quipu_domain::Timestamp;
use quipu_domain::ledger::{AccountId, Balances, Transfer, TransferId, TransferKind};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::statement::{Line, replay};
use quipu_domain::text::{shown_person_name, spreadsheet_safe};
use quipu_kernel::text::rfc3339;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::{AccountOwner, HistoryQuery, MAX_PAGE, OwnedAccount};

use crate::{MAX_STATEMENT_ROWS, Wallet};

/// Whether a reader sees the people on the other side of an account's lines
/// by name. The account's owner (a person, or a merchant's staff) does: they
/// dealt with them. Staff reading a shop's or an agent's books do not: who
/// bought what is the buyer's to show, and only a grant opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum People {
    Named,
    Unnamed,
}

impl People {
    pub fn for_reader(principal: &Principal, account: &OwnedAccount) -> Self {
        let own = match account.owner {
            AccountOwner::User(owner) => principal.user_id() == Some(owner),
            AccountOwner::Merchant(merchant) => principal.merchant() == Some(merchant),
            AccountOwner::Card(_) | AccountOwner::System => false,
        };
        if own { People::Named } else { People::Unnamed }
    }
}

/// How often a statement is read before a disagreement with the ledger's sums is an error.
const STATEMENT_READS: usize = 3;

/// One line of a statement or history page, with whom it was.
#[derive(Debug, Clone)]
pub struct StatementLine {
    pub line: Line,
    /// The merchant's name, a person's first name and initial, a masked card, or the network.
    pub counterparty: Option<String>,
}

/// An account's statement for `[from, to)`.
#[derive(Debug, Clone)]
pub struct Statement {
    pub account: AccountId,
    pub currency: CurrencyCode,
    pub from: Timestamp,
    pub to: Timestamp,
    pub opening: Balances,
    pub closing: Balances,
    /// Oldest first.
    pub lines: Vec<StatementLine>,
}

impl Wallet {
    /// An account's statement from `from` (the beginning if none) to `to` (now if none).
    pub async fn statement(
        &self,
        principal: &Principal,
        id: AccountId,
        from: Option<Timestamp>,
        to: Option<Timestamp>,
    ) -> CoreResult<Statement> {
        let owned = self.viewable_account(principal, id).await?;
        let account = owned.account.id;
        let (from, to) = (from.unwrap_or(Timestamp(0)), to.unwrap_or(Timestamp(i64::MAX)));
        if from >= to {
            // Each bound is well formed; together they name no time (422, not malformed).
            return Err(CoreError::new(ErrorKind::Rejected, "invalid_range", "`from` must be before `to`"));
        }
        // The window, the opening and the closing are separate reads: a transfer committing between
        // them makes the sums differ for a moment, so a disagreement is read again before it is an error.
        for _ in 0..STATEMENT_READS {
            let transfers = self.window(account, from, to).await?;
            let opening = self.kernel.store.balances_before(account, from).await?;
            let (lines, closing) = self.replay_window(account, opening, &transfers, to).await?;
            // The replay and the ledger's own sums must agree to the minor unit.
            if closing != self.kernel.store.balances_before(account, to).await? {
                continue;
            }
            let lines = self.with_counterparties(account, lines, People::for_reader(principal, &owned)).await?;
            return Ok(Statement { account, currency: owned.account.currency, from, to, opening, closing, lines });
        }
        tracing::error!(%account, "a statement's replay disagrees with the ledger's balances");
        Err(CoreError::new(ErrorKind::Unavailable, "internal_error", "the statement does not add up"))
    }

    /// Every transfer touching `account` in `[from, to)`, oldest first; refused past the row limit.
    async fn window(&self, account: AccountId, from: Timestamp, to: Timestamp) -> CoreResult<Vec<Transfer>> {
        let mut query =
            HistoryQuery { account, before: None, from: Some(from), to: Some(to), codes: Vec::new(), limit: MAX_PAGE };
        let mut transfers = Vec::new();
        loop {
            let page = self.kernel.store.history(&query).await?;
            let full = page.len() == usize::try_from(query.limit).unwrap_or(usize::MAX);
            query.before = page.last().map(|t| t.timestamp);
            transfers.extend(page);
            if transfers.len() > MAX_STATEMENT_ROWS {
                return Err(CoreError::invalid(
                    "statement_too_large",
                    "more than 10000 rows; choose a shorter date range",
                ));
            }
            if !full {
                break;
            }
        }
        transfers.reverse();
        Ok(transfers)
    }

    /// Lines for transfers (oldest first) replayed from `opening`; holds
    /// settled before `as_of` are shown by their settlement only.
    pub(crate) async fn replay_window(
        &self,
        account: AccountId,
        opening: Balances,
        transfers: &[Transfer],
        as_of: Timestamp,
    ) -> CoreResult<(Vec<Line>, Balances)> {
        let in_window: HashMap<TransferId, Amount> =
            transfers.iter().filter(|t| t.kind == TransferKind::Pending).map(|t| (t.id, t.amount)).collect();
        let mut held = HashMap::new();
        let mut settled = HashSet::new();
        for transfer in transfers {
            match (transfer.kind, transfer.pending_id) {
                (TransferKind::PostPending | TransferKind::VoidPending, Some(hold)) => {
                    let amount = match in_window.get(&hold) {
                        Some(amount) => *amount,
                        None => self.kernel.store.transfer(hold).await?.map(|t| t.amount).ok_or_else(unknown_hold)?,
                    };
                    held.insert(hold, amount);
                    settled.insert(hold);
                }
                (TransferKind::Pending, _) if !settled.contains(&transfer.id) => {
                    let settlement = self.kernel.store.settlement_of(transfer.id).await?;
                    if settlement.is_some_and(|s| s.timestamp < as_of) {
                        settled.insert(transfer.id);
                    }
                }
                _ => {}
            }
        }
        replay(account, opening, transfers, &held, &settled).map_err(|error| {
            tracing::error!(%account, %error, "replaying an account's history failed");
            CoreError::new(ErrorKind::Unavailable, "internal_error", "the history does not add up")
        })
    }

    /// Names each line's counterparty, looking each account up once.
    pub(crate) async fn with_counterparties(
        &self,
        account: AccountId,
        lines: Vec<Line>,
        people: People,
    ) -> CoreResult<Vec<StatementLine>> {
        let mut names: HashMap<AccountId, Option<String>> = HashMap::new();
        let mut named = Vec::with_capacity(lines.len());
        for line in lines {
            let other = if line.transfer.debit_account_id == account {
                line.transfer.credit_account_id
            } else {
                line.transfer.debit_account_id
            };
            let counterparty = match names.get(&other) {
                Some(name) => name.clone(),
                None => {
                    let name = self.counterparty_name(other, people).await?;
                    names.insert(other, name.clone());
                    name
                }
            };
            named.push(StatementLine { line, counterparty });
        }
        Ok(named)
    }

    async fn counterparty_name(&self, account: AccountId, people: People) -> CoreResult<Option<String>> {
        let store = &self.kernel.store;
        let Some(owned) = store.account(account).await? else { return Ok(None) };
        Ok(match owned.owner {
            AccountOwner::User(_) | AccountOwner::Card(_) if people == People::Unnamed => None,
            AccountOwner::User(id) => store.user(id).await?.map(|user| shown_person_name(&user.full_name)),
            AccountOwner::Merchant(id) => store.merchant(id).await?.map(|merchant| merchant.name),
            AccountOwner::Card(id) => store.card(id).await?.map(|card| format!("card {}", card.number.masked())),
            AccountOwner::System => Some("Quipu network".to_owned()),
        })
    }
}

fn unknown_hold() -> CoreError {
    CoreError::new(ErrorKind::Unavailable, "internal_error", "a settlement names a hold that is not stored")
}

/// A statement as CSV: an opening row, one row per line (oldest first), a
/// closing row. The `completed` rows' amounts sum to closing less opening.
pub fn statement_csv(statement: &Statement) -> CoreResult<String> {
    let currency = statement.currency;
    let money = |minor: i64| -> String {
        let text = currency.format_amount(Amount::from_minor(minor.saturating_abs()));
        if minor < 0 { format!("-{text}") } else { text }
    };
    let balance = |b: &Balances| b.credit_balance().map_or_else(String::new, money);
    let available = |b: &Balances| b.available().map_or_else(String::new, money);
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "timestamp",
            "state",
            "event_id",
            "transaction_id",
            "code",
            "counterparty",
            "reference",
            "amount",
            "currency",
            "available_after",
            "balance_after",
        ])
        .map_err(|_| write_failed())?;
    let edge = |state: &str, at: Timestamp, b: &Balances| -> Vec<String> {
        let at = if at.0 == i64::MAX || at.0 == 0 { String::new() } else { rfc3339(at) };
        vec![
            at,
            state.to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            balance(b),
            currency.to_string(),
            available(b),
            balance(b),
        ]
    };
    writer.write_record(edge("opening_balance", statement.from, &statement.opening)).map_err(|_| write_failed())?;
    for StatementLine { line, counterparty } in &statement.lines {
        writer
            .write_record([
                rfc3339(line.transfer.timestamp),
                line.state.as_str().to_owned(),
                line.event_id.to_string(),
                line.transfer.id.to_string(),
                line.transfer.code.to_string(),
                spreadsheet_safe(counterparty.as_deref().unwrap_or("")),
                spreadsheet_safe(&line.transfer.reference),
                money(line.signed_amount),
                currency.to_string(),
                available(&line.after),
                balance(&line.after),
            ])
            .map_err(|_| write_failed())?;
    }
    writer.write_record(edge("closing_balance", statement.to, &statement.closing)).map_err(|_| write_failed())?;
    let bytes = writer.into_inner().map_err(|_| write_failed())?;
    String::from_utf8(bytes).map_err(|_| write_failed())
}

fn write_failed() -> CoreError {
    CoreError::new(ErrorKind::Unavailable, "internal_error", "the statement could not be written")
}
