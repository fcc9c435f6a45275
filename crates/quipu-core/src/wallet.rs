//! Money flows: issuance and redemption of e-money at agents, cash-in and
//! cash-out, person-to-person transfers; and reading it back: balances,
//! history, receipts and statements.
//!
//! Every flow names its transfer id, chosen by the caller (the HTTP layer
//! derives it from the Idempotency-Key), so a retry can never move money twice.

use quipu_domain::Timestamp;
use quipu_domain::identity::{DisplayName, PhoneNumber, Role, UserId};
use quipu_domain::ledger::{AccountId, AccountKind, Transfer, TransferCode, TransferCommand, TransferId, TransferOp};
use quipu_domain::money::{Amount, Currency};
use quipu_store::{AccountOwner, HistoryQuery, OwnedAccount, UserRecord};

use crate::Services;
use crate::access::Principal;
use crate::error::{CoreError, CoreResult, ErrorKind};
use crate::views::{AccountView, HistoryEntry, HistoryPage, MoneyView, PartyView, ReceiptView, TransferView, rfc3339};

/// Default and largest history page.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_HISTORY_PAGE: u32 = 200;
/// Largest statement, in rows: beyond it the caller narrows the date range.
pub const MAX_STATEMENT_ROWS: usize = 10_000;

/// A requested amount, as typed: parsed against the network's currencies.
#[derive(Debug, Clone, Copy)]
pub struct AmountInput<'a> {
    pub amount: &'a str,
    /// None means the network's default currency.
    pub currency: Option<&'a str>,
}

/// History filters as they arrive from a query string.
#[derive(Debug, Default, Clone)]
pub struct HistoryFilter {
    pub cursor: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Comma-separated transfer codes, e.g. "p2p,cash_in".
    pub kinds: Option<String>,
    pub limit: Option<u32>,
}

impl Services {
    pub(crate) fn parse_amount(&self, input: AmountInput<'_>) -> CoreResult<(Currency, Amount)> {
        let currency = match input.currency {
            Some(code) => self.settings.currencies.get(code)?,
            None => self.settings.currencies.default_currency(),
        };
        let amount = currency.parse_amount(input.amount)?.ensure_positive()?;
        Ok((currency, amount))
    }

    pub(crate) fn check_limit(&self, currency: Currency, amount: Amount) -> CoreResult<()> {
        match self.settings.transfer_limits.get(&currency.code) {
            Some(limit) if amount > *limit => Err(CoreError::new(
                ErrorKind::Rejected,
                "limit_exceeded",
                format!(
                    "per-transfer limit exceeded: at most {} {} per transfer",
                    currency.format_amount(*limit),
                    currency.code
                ),
            )),
            _ => Ok(()),
        }
    }

    pub(crate) async fn user_with_role(&self, phone: &str, role: Role, what: &'static str) -> CoreResult<UserRecord> {
        let phone = PhoneNumber::parse(phone)?;
        match self.store.user_by_phone(phone.as_str()).await? {
            Some(user) if user.role == role => Ok(user),
            _ => Err(CoreError::new(
                ErrorKind::NotFound,
                "recipient_not_found",
                format!("no {what} with this phone number"),
            )),
        }
    }

    pub(crate) async fn move_money(
        &self,
        id: TransferId,
        (debit, credit): (AccountId, AccountId),
        (currency, amount): (Currency, Amount),
        code: TransferCode,
        reference: String,
    ) -> CoreResult<TransferView> {
        let transfer = self
            .ledger
            .submit_one(TransferCommand {
                id,
                op: TransferOp::Posted { debit, credit, amount, currency: currency.code },
                code,
                reference,
            })
            .await?;
        Ok(TransferView::from(&transfer))
    }

    pub(crate) async fn float_of(&self, agent: UserId, currency: Currency) -> CoreResult<AccountId> {
        self.ensure_account(AccountOwner::User(agent), AccountKind::AgentFloat, currency.code).await
    }

    async fn wallet_of(&self, customer: UserId, currency: Currency) -> CoreResult<AccountId> {
        self.ensure_account(AccountOwner::User(customer), AccountKind::CustomerWallet, currency.code).await
    }

    async fn issuance(&self, currency: Currency) -> CoreResult<AccountId> {
        self.ensure_account(AccountOwner::System, AccountKind::Issuance, currency.code).await
    }

    async fn agent(&self, agent_id: uuid::Uuid) -> CoreResult<UserRecord> {
        match self.store.user(UserId(agent_id)).await? {
            Some(user) if user.role == Role::Agent => Ok(user),
            _ => Err(CoreError::not_found("agent")),
        }
    }

    /// The operator issues e-money into an agent's float against cash the agent deposited.
    pub async fn issue(
        &self,
        principal: &Principal,
        id: TransferId,
        agent_id: uuid::Uuid,
        amount: AmountInput<'_>,
    ) -> CoreResult<TransferView> {
        self.move_float(principal, id, agent_id, amount, TransferCode::Issuance).await
    }

    /// The operator redeems e-money from an agent's float (the agent withdraws cash).
    pub async fn redeem(
        &self,
        principal: &Principal,
        id: TransferId,
        agent_id: uuid::Uuid,
        amount: AmountInput<'_>,
    ) -> CoreResult<TransferView> {
        self.move_float(principal, id, agent_id, amount, TransferCode::Redemption).await
    }

    /// Issuance debits the issuance account and credits the float; redemption is the mirror image.
    async fn move_float(
        &self,
        principal: &Principal,
        id: TransferId,
        agent_id: uuid::Uuid,
        amount: AmountInput<'_>,
        code: TransferCode,
    ) -> CoreResult<TransferView> {
        principal.require(Role::Operator)?;
        let money = self.parse_amount(amount)?;
        let agent = self.agent(agent_id).await?;
        let float = self.float_of(agent.id, money.0).await?;
        let issuance = self.issuance(money.0).await?;
        let accounts = if code == TransferCode::Issuance { (issuance, float) } else { (float, issuance) };
        self.move_money(id, accounts, money, code, format!("agent:{}", agent.id)).await
    }

    /// An agent takes cash from a customer and credits their wallet from the float.
    pub async fn cash_in(
        &self,
        principal: &Principal,
        id: TransferId,
        customer_phone: &str,
        amount: AmountInput<'_>,
    ) -> CoreResult<TransferView> {
        let agent = principal.require(Role::Agent)?;
        let money = self.parse_amount(amount)?;
        self.check_limit(money.0, money.1)?;
        let customer = self.user_with_role(customer_phone, Role::Customer, "customer").await?;
        let float = self.float_of(agent, money.0).await?;
        let wallet = self.wallet_of(customer.id, money.0).await?;
        self.check_balance_limit(Some(customer.id), wallet, money.0, money.1).await?;
        self.move_money(id, (float, wallet), money, TransferCode::CashIn, format!("agent:{agent}")).await
    }

    /// An agent pays out cash; the customer confirms with their PIN on the agent's device.
    pub async fn cash_out(
        &self,
        principal: &Principal,
        id: TransferId,
        customer_phone: &str,
        customer_pin: &str,
        amount: AmountInput<'_>,
    ) -> CoreResult<TransferView> {
        let agent = principal.require(Role::Agent)?;
        let money = self.parse_amount(amount)?;
        self.check_limit(money.0, money.1)?;
        let customer = self.user_with_role(customer_phone, Role::Customer, "customer").await?;
        self.check_pin(&customer, customer_pin).await?;
        let float = self.float_of(agent, money.0).await?;
        let wallet = self.wallet_of(customer.id, money.0).await?;
        self.move_money(id, (wallet, float), money, TransferCode::CashOut, format!("agent:{agent}")).await
    }

    /// A customer sends money to another customer by phone number, confirmed by PIN.
    pub async fn send_p2p(
        &self,
        principal: &Principal,
        id: TransferId,
        to_phone: &str,
        pin: &str,
        note: Option<&str>,
        amount: AmountInput<'_>,
    ) -> CoreResult<TransferView> {
        principal.require(Role::Customer)?;
        let money = self.parse_amount(amount)?;
        self.check_limit(money.0, money.1)?;
        let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
            Some(text) => DisplayName::parse(text)
                .map_err(|_| CoreError::invalid("invalid_note", "a note is at most 100 printable characters"))?
                .as_str()
                .to_owned(),
            None => String::new(),
        };
        let sender = self.current_user(principal).await?;
        let recipient = self.user_with_role(to_phone, Role::Customer, "customer").await?;
        if recipient.id == sender.id {
            return Err(CoreError::invalid("same_account", "you cannot send money to yourself"));
        }
        let to = self.wallet_of(recipient.id, money.0).await?;
        self.check_balance_limit(Some(recipient.id), to, money.0, money.1).await?;
        self.check_pin(&sender, pin).await?;
        let from = self.wallet_of(sender.id, money.0).await?;
        self.move_money(id, (from, to), money, TransferCode::P2p, note).await
    }

    async fn viewable_account(&self, principal: &Principal, account_id: uuid::Uuid) -> CoreResult<OwnedAccount> {
        match self.store.account(AccountId(account_id)).await? {
            Some(owned) if principal.can_view(&owned) => Ok(owned),
            _ => Err(CoreError::not_found("account")),
        }
    }

    pub async fn account_view(&self, principal: &Principal, account_id: uuid::Uuid) -> CoreResult<AccountView> {
        Ok(AccountView::from(&self.viewable_account(principal, account_id).await?.account))
    }

    /// A page of an account's history, newest first.
    pub async fn history(
        &self,
        principal: &Principal,
        account_id: uuid::Uuid,
        filter: &HistoryFilter,
    ) -> CoreResult<HistoryPage> {
        let owned = self.viewable_account(principal, account_id).await?;
        let limit = filter.limit.unwrap_or(DEFAULT_PAGE);
        if limit == 0 || limit > MAX_HISTORY_PAGE {
            return Err(CoreError::invalid("invalid_limit", format!("limit must be between 1 and {MAX_HISTORY_PAGE}")));
        }
        let mut query = history_query(owned.account.id, filter)?;
        query.limit = limit;
        let transfers = self.store.history(&query).await?;
        let next_cursor = crate::views::next_cursor(&transfers, limit, |t| t.timestamp);
        Ok(HistoryPage { entries: transfers.iter().map(|t| history_entry(owned.account.id, t)).collect(), next_cursor })
    }

    /// The caller's main account: a customer's wallet, an agent's float, a
    /// merchant's account, each in the default currency.
    pub async fn primary_account(&self, principal: &Principal) -> CoreResult<uuid::Uuid> {
        let currency = self.settings.currencies.default_currency().code;
        let (owner, kind) = match (principal.merchant(), principal.role(), principal.user_id()) {
            (Some(merchant), _, _) => (AccountOwner::Merchant(merchant), AccountKind::Merchant),
            (None, Some(Role::Customer), Some(user)) => (AccountOwner::User(user), AccountKind::CustomerWallet),
            (None, Some(Role::Agent), Some(user)) => (AccountOwner::User(user), AccountKind::AgentFloat),
            _ => return Err(CoreError::not_found("account")),
        };
        Ok(self.ensure_account(owner, kind, currency).await?.0)
    }

    /// A CSV statement for a date range, for spreadsheets and accountants.
    pub async fn statement_csv(
        &self,
        principal: &Principal,
        account_id: uuid::Uuid,
        filter: &HistoryFilter,
    ) -> CoreResult<String> {
        let owned = self.viewable_account(principal, account_id).await?;
        let mut query = history_query(owned.account.id, filter)?;
        query.limit = quipu_store::MAX_PAGE;
        let mut csv = String::from("timestamp,transaction_id,code,direction,amount,currency,reference\r\n");
        let mut rows = 0usize;
        loop {
            let page = self.store.history(&query).await?;
            for transfer in &page {
                let entry = history_entry(owned.account.id, transfer);
                let signed = if entry.direction == "debit" {
                    format!("-{}", entry.transfer.amount.amount)
                } else {
                    entry.transfer.amount.amount.clone()
                };
                csv.push_str(&format!(
                    "{},{},{},{},{},{},{}\r\n",
                    entry.transfer.timestamp,
                    transfer.id,
                    transfer.code,
                    entry.direction,
                    signed,
                    transfer.currency,
                    csv_field(&transfer.reference)
                ));
            }
            rows += page.len();
            if rows > MAX_STATEMENT_ROWS {
                return Err(CoreError::invalid(
                    "statement_too_large",
                    "more than 10000 rows; choose a shorter date range",
                ));
            }
            match page.last() {
                Some(last) if page.len() == usize::try_from(query.limit).unwrap_or(usize::MAX) => {
                    query.before = Some(last.timestamp)
                }
                _ => break,
            }
        }
        Ok(csv)
    }

    /// A receipt, visible to both sides of the transfer and no one else.
    pub async fn receipt(&self, principal: &Principal, transfer_id: uuid::Uuid) -> CoreResult<ReceiptView> {
        let transfer =
            self.store.transfer(TransferId(transfer_id)).await?.ok_or_else(|| CoreError::not_found("transaction"))?;
        let debit = self.store.account(transfer.debit_account_id).await?;
        let credit = self.store.account(transfer.credit_account_id).await?;
        let sees = |account: &Option<OwnedAccount>| account.as_ref().is_some_and(|a| principal.can_view(a));
        let direction = match (sees(&debit), sees(&credit)) {
            (true, true) => "both",
            (true, false) => "sent",
            (false, true) => "received",
            (false, false) => return Err(CoreError::not_found("transaction")),
        };
        Ok(ReceiptView {
            transaction_id: transfer.id.0,
            code: transfer.code.as_str().to_owned(),
            kind: transfer.kind.as_str().to_owned(),
            amount: MoneyView::new(transfer.amount, transfer.currency),
            from: self.party(debit.as_ref()).await?,
            to: self.party(credit.as_ref()).await?,
            direction: direction.to_owned(),
            reference: transfer.reference.clone(),
            timestamp: rfc3339(transfer.timestamp),
        })
    }

    async fn party(&self, account: Option<&OwnedAccount>) -> CoreResult<PartyView> {
        let unknown = || PartyView { kind: "unknown".into(), name: String::new(), phone: None };
        let Some(account) = account else { return Ok(unknown()) };
        Ok(match account.owner {
            AccountOwner::User(id) => match self.store.user(id).await? {
                Some(user) => PartyView {
                    kind: if user.role == Role::Agent { "agent" } else { "customer" }.into(),
                    name: user.full_name.clone(),
                    phone: PhoneNumber::parse(&user.phone).ok().map(|p| p.masked()),
                },
                None => unknown(),
            },
            AccountOwner::Merchant(id) => match self.store.merchant(id).await? {
                Some(merchant) => PartyView { kind: "merchant".into(), name: merchant.name, phone: None },
                None => unknown(),
            },
            AccountOwner::Card(id) => match self.store.card(id).await? {
                Some(card) => PartyView { kind: "card".into(), name: card.number.masked(), phone: None },
                None => unknown(),
            },
            AccountOwner::System => PartyView { kind: "network".into(), name: "Quipu network".into(), phone: None },
        })
    }
}

fn history_query(account: AccountId, filter: &HistoryFilter) -> CoreResult<HistoryQuery> {
    let time = |text: &Option<String>, name: &str| -> CoreResult<Option<Timestamp>> {
        text.as_deref()
            .map(|t| {
                crate::views::parse_rfc3339(t)
                    .ok_or_else(|| CoreError::invalid("invalid_date", format!("{name} must be an RFC 3339 date-time")))
            })
            .transpose()
    };
    let before = filter
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .map(Timestamp)
                .map_err(|_| CoreError::invalid("invalid_cursor", "the cursor is not one this server issued"))
        })
        .transpose()?;
    let codes = match filter.kinds.as_deref() {
        None | Some("") => Vec::new(),
        Some(list) => list
            .split(',')
            .take(TransferCode::ALL.len())
            .map(|code| {
                TransferCode::parse(code.trim())
                    .ok_or_else(|| CoreError::invalid("invalid_kind", format!("unknown transaction kind {code:?}")))
            })
            .collect::<CoreResult<Vec<_>>>()?,
    };
    Ok(HistoryQuery {
        account,
        before,
        from: time(&filter.from, "from")?,
        to: time(&filter.to, "to")?,
        codes,
        limit: DEFAULT_PAGE,
    })
}

fn history_entry(account: AccountId, transfer: &Transfer) -> HistoryEntry {
    HistoryEntry {
        direction: if transfer.debit_account_id == account { "debit" } else { "credit" }.to_owned(),
        transfer: TransferView::from(transfer),
    }
}

/// Quotes a CSV field, and defuses spreadsheet formulas in user-written text.
fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@']) { format!("'{text}") } else { text.to_owned() };
    if defused.contains([',', '"', '\n', '\r']) { format!("\"{}\"", defused.replace('"', "\"\"")) } else { defused }
}
