//! Money flows: issuance and redemption of e-money at agents, cash-in and
//! cash-out, person-to-person transfers; and reading them back: balances,
//! history, receipts and statements.
//!
//! Every flow names its transfer id, chosen by the caller (the HTTP layer
//! derives it from the Idempotency-Key), so a retry can never move money twice.

mod commissions;
mod statement;

pub use crate::statement::{People, Statement, StatementLine, statement_csv};

use std::sync::Arc;

use quipu_domain::Timestamp;
use quipu_domain::identity::{DisplayName, PhoneNumber, Pin, Role, UserId};
use quipu_domain::ledger::{
    AccountId, AccountKind, Balances, Transfer, TransferCode, TransferCommand, TransferId, TransferOp,
};
use quipu_domain::money::{Amount, AmountInput, Currency};
use quipu_domain::payment::{RefundLeg, refunded_payment};
use quipu_domain::settlement::CommissionOperation;
use quipu_domain::statement::LineState;
use quipu_domain::text::shown_person_name;
use quipu_kernel::access::GrantedRead;
use quipu_kernel::paging::{next_cursor, page_limit};
use quipu_kernel::text::parse_rfc3339;
use quipu_kernel::{CoreError, CoreResult, GuessSource, Kernel, Principal};
use quipu_store::{AccountOwner, HistoryQuery, OwnedAccount, UserRecord};

pub use crate::commissions::Earnings;

/// Default and largest history page.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_HISTORY_PAGE: u32 = 200;
/// Largest statement, in rows: beyond it the caller narrows the date range.
pub const MAX_STATEMENT_ROWS: usize = 10_000;

/// Which transfers a history or statement shows.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Only transfers before this ledger time (a page cursor).
    pub before: Option<Timestamp>,
    /// Inclusive.
    pub from: Option<Timestamp>,
    /// Exclusive.
    pub to: Option<Timestamp>,
    /// Empty means every code.
    pub codes: Vec<TransferCode>,
    /// Page size; [`DEFAULT_PAGE`] if none.
    pub limit: Option<u32>,
}

impl HistoryFilter {
    /// Reads the filters as they arrive in a query string: a cursor this server issued, RFC 3339
    /// dates, comma-separated transfer codes (e.g. "p2p,cash_in").
    pub fn parse(
        cursor: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        kinds: Option<&str>,
        limit: Option<u32>,
    ) -> CoreResult<Self> {
        let time = |text: Option<&str>, name: &str| -> CoreResult<Option<Timestamp>> {
            text.map(|t| {
                parse_rfc3339(t)
                    .ok_or_else(|| CoreError::invalid("invalid_date", format!("{name} must be an RFC 3339 date-time")))
            })
            .transpose()
        };
        let before = cursor
            .map(|c| {
                c.parse::<i64>()
                    .map(Timestamp)
                    .map_err(|_| CoreError::invalid("invalid_cursor", "the cursor is not one this server issued"))
            })
            .transpose()?;
        let codes = match kinds {
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
        Ok(Self { before, from: time(from, "from")?, to: time(to, "to")?, codes, limit })
    }
}

/// Which way a transfer moved money for the account whose history it is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Money left the account.
    Debit,
    /// Money arrived.
    Credit,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Debit => "debit",
            Direction::Credit => "credit",
        }
    }
}

#[derive(Debug, Clone)]
pub struct HistoryEntry {
    pub direction: Direction,
    /// The transfer that put the line here (see [`quipu_domain::statement`]).
    pub transfer: Transfer,
    pub state: LineState,
    /// The business event: a two-phase payment's hold id, else the transfer's.
    pub event_id: TransferId,
    pub counterparty: Option<String>,
    /// The balances right after this line; none when filtered by kind (the replay needs every transfer).
    pub after: Option<Balances>,
}

#[derive(Debug, Clone)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    /// For the next (older) page; none on the last page.
    pub next_cursor: Option<String>,
}

/// One side of a transfer, as a receipt names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Party {
    /// customer, merchant, agent, card, network or unknown.
    pub kind: &'static str,
    pub name: String,
    /// A person's phone number, masked.
    pub phone: Option<String>,
}

/// Who a phone number belongs to, read back before money moves (an agent before taking or paying
/// out cash, a customer before sending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// "customer" or "merchant" (a merchant's owner, who may cash out the merchant's money).
    pub kind: &'static str,
    /// The registered name as the network shows a person to others: first name and initial.
    pub name: String,
    /// For a merchant's owner: the business.
    pub merchant_name: Option<String>,
}

/// What a transfer would do, read back before the PIN: to whom, how much, and its fee.
#[derive(Debug, Clone)]
pub struct Preview {
    pub recipient: Recipient,
    pub currency: Currency,
    pub amount: Amount,
    /// What the sender pays on top: P2P, cash-in and cash-out carry no fee today.
    pub fee: Amount,
}

/// A transfer's receipt, as one of its sides sees it.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub transfer: Transfer,
    pub from: Party,
    pub to: Party,
    /// From the viewer's side: "sent", "received" (or "both" for own-account moves).
    pub direction: &'static str,
    /// A refund's reason, as the shop gave it; none for any other transfer.
    pub refund_reason: Option<String>,
}

#[derive(Clone)]
pub struct Wallet {
    kernel: Arc<Kernel>,
    earning_turns: Arc<commissions::EarningTurns>,
}

impl Wallet {
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel, earning_turns: Arc::default() }
    }

    /// Posts one transfer, the credit side held to `credit_cap` if any; a refusal becomes the
    /// matching service error.
    pub async fn move_money(
        &self,
        id: TransferId,
        (debit, credit): (AccountId, AccountId),
        (currency, amount): (Currency, Amount),
        (code, reference): (TransferCode, String),
        credit_cap: Option<Amount>,
    ) -> CoreResult<Transfer> {
        let op = TransferOp::Posted { debit, credit, amount, currency: currency.code };
        self.kernel.ledger.submit_one(TransferCommand { id, op, code, reference, credit_cap }).await
    }

    /// An agent's float in a currency.
    pub async fn float_of(&self, agent: UserId, currency: Currency) -> CoreResult<AccountId> {
        self.kernel.ensure_account(AccountOwner::User(agent), AccountKind::AgentFloat, currency.code).await
    }

    async fn wallet_of(&self, customer: UserId, currency: Currency) -> CoreResult<AccountId> {
        self.kernel.ensure_account(AccountOwner::User(customer), AccountKind::CustomerWallet, currency.code).await
    }

    async fn issuance(&self, currency: Currency) -> CoreResult<AccountId> {
        self.kernel.ensure_account(AccountOwner::System, AccountKind::Issuance, currency.code).await
    }

    async fn agent(&self, agent: UserId) -> CoreResult<UserRecord> {
        match self.kernel.store.user(agent).await? {
            Some(user) if user.role == Role::Agent => Ok(user),
            _ => Err(CoreError::not_found("agent")),
        }
    }

    /// The operator issues e-money into an agent's float against cash the agent deposited.
    pub async fn issue(
        &self,
        principal: &Principal,
        id: TransferId,
        agent: UserId,
        amount: AmountInput<'_>,
    ) -> CoreResult<Transfer> {
        self.move_float(principal, id, agent, amount, TransferCode::Issuance).await
    }

    /// The operator redeems e-money from an agent's float (the agent withdraws cash).
    pub async fn redeem(
        &self,
        principal: &Principal,
        id: TransferId,
        agent: UserId,
        amount: AmountInput<'_>,
    ) -> CoreResult<Transfer> {
        self.move_float(principal, id, agent, amount, TransferCode::Redemption).await
    }

    /// Issuance debits the issuance account and credits the float; redemption is the mirror image.
    async fn move_float(
        &self,
        principal: &Principal,
        id: TransferId,
        agent: UserId,
        amount: AmountInput<'_>,
        code: TransferCode,
    ) -> CoreResult<Transfer> {
        principal.require(Role::Operator)?;
        let money = self.kernel.parse_amount(amount)?;
        let agent = self.agent(agent).await?;
        let float = self.float_of(agent.id, money.0).await?;
        let issuance = self.issuance(money.0).await?;
        let accounts = if code == TransferCode::Issuance { (issuance, float) } else { (float, issuance) };
        self.move_money(id, accounts, money, (code, format!("agent:{}", agent.id)), None).await
    }

    /// An agent takes cash from a customer and credits their wallet from the float.
    pub async fn cash_in(
        &self,
        principal: &Principal,
        id: TransferId,
        customer: &PhoneNumber,
        amount: AmountInput<'_>,
    ) -> CoreResult<Transfer> {
        let agent = principal.require(Role::Agent)?;
        let money = self.kernel.parse_amount(amount)?;
        self.kernel.check_transfer_limit(money.0, money.1)?;
        let customer = self.kernel.user_with_role(customer, Role::Customer, "customer").await?;
        let float = self.float_of(agent, money.0).await?;
        let wallet = self.wallet_of(customer.id, money.0).await?;
        let credit_cap = self.kernel.balance_cap(Some(customer.id), money.0).await?;
        let op = TransferOp::Posted { debit: float, credit: wallet, amount: money.1, currency: money.0.code };
        let reference = format!("agent:{agent}");
        let command = TransferCommand { id, op, code: TransferCode::CashIn, reference, credit_cap };
        let transfer = self.move_with_commission(command, CommissionOperation::CashIn, float, money).await?;
        let from = self.agent(agent).await.map(|a| a.full_name).unwrap_or_default();
        self.money_received(customer.id, &transfer, money.0, "cash_in", &from, "").await?;
        Ok(transfer)
    }

    /// An agent pays out cash; the customer confirms with their PIN on the agent's device. A
    /// merchant's owner cashes out the merchant's money the same way, with their own PIN.
    pub async fn cash_out(
        &self,
        principal: &Principal,
        id: TransferId,
        customer: &PhoneNumber,
        customer_pin: &Pin,
        amount: AmountInput<'_>,
    ) -> CoreResult<Transfer> {
        let agent = principal.require(Role::Agent)?;
        let money = self.kernel.parse_amount(amount)?;
        self.kernel.check_transfer_limit(money.0, money.1)?;
        let (person, _) = self.cash_party(customer).await?;
        self.kernel.check_pin(&person, customer_pin, &GuessSource::of(principal)).await?;
        let float = self.float_of(agent, money.0).await?;
        let source = match (person.role, person.merchant_id) {
            (Role::MerchantOwner, Some(merchant)) => {
                self.kernel
                    .ensure_account(AccountOwner::Merchant(merchant), AccountKind::Merchant, money.0.code)
                    .await?
            }
            _ => self.wallet_of(person.id, money.0).await?,
        };
        let op = TransferOp::Posted { debit: source, credit: float, amount: money.1, currency: money.0.code };
        let reference = format!("agent:{agent}");
        let command = TransferCommand { id, op, code: TransferCode::CashOut, reference, credit_cap: None };
        self.move_with_commission(command, CommissionOperation::CashOut, float, money).await
    }

    /// Who a phone number belongs to, for an agent about to take or pay out cash: the registered
    /// name, so a mistyped number does not pay a stranger.
    pub async fn recipient(&self, principal: &Principal, phone: &PhoneNumber) -> CoreResult<Recipient> {
        principal.require(Role::Agent)?;
        let (person, merchant_name) = self.cash_party(phone).await?;
        let kind = if merchant_name.is_some() { "merchant" } else { "customer" };
        Ok(Recipient { kind, name: shown_person_name(&person.full_name), merchant_name })
    }

    /// What an agent's cash-in (`cash_in`) or cash-out would do, checked as the operation checks it
    /// (the amount, the per-transfer limit, whom the phone names), before the agent takes the cash.
    pub async fn cash_preview(
        &self,
        principal: &Principal,
        phone: &PhoneNumber,
        amount: AmountInput<'_>,
        cash_in: bool,
    ) -> CoreResult<Preview> {
        let money = self.kernel.parse_amount(amount)?;
        self.kernel.check_transfer_limit(money.0, money.1)?;
        let recipient = self.recipient(principal, phone).await?;
        if cash_in && recipient.merchant_name.is_some() {
            // Cash goes in to customers' wallets only, as `cash_in` decides.
            self.kernel.user_with_role(phone, Role::Customer, "customer").await?;
        }
        Ok(Preview { recipient, currency: money.0, amount: money.1, fee: Amount::ZERO })
    }

    /// What a P2P transfer would do, read back before the sender's PIN: the recipient as the network
    /// shows them, the amount and the fee. Checked as `send_p2p` checks, short of the PIN and funds.
    pub async fn p2p_preview(
        &self,
        principal: &Principal,
        to: &PhoneNumber,
        amount: AmountInput<'_>,
    ) -> CoreResult<Preview> {
        let (money, _, recipient) = self.p2p_parties(principal, to, amount).await?;
        let recipient =
            Recipient { kind: "customer", name: shown_person_name(&recipient.full_name), merchant_name: None };
        Ok(Preview { recipient, currency: money.0, amount: money.1, fee: Amount::ZERO })
    }

    /// A customer, or a merchant's owner (with the merchant's name), by phone number.
    async fn cash_party(&self, phone: &PhoneNumber) -> CoreResult<(UserRecord, Option<String>)> {
        let not_found = || {
            CoreError::new(
                quipu_kernel::ErrorKind::NotFound,
                "recipient_not_found",
                "no customer or merchant owner with this phone number",
            )
        };
        let person = self.kernel.store.user_by_phone(phone.as_str()).await?.ok_or_else(not_found)?;
        match (person.role, person.merchant_id) {
            (Role::Customer, _) => Ok((person, None)),
            (Role::MerchantOwner, Some(merchant)) => {
                let name = self.kernel.store.merchant(merchant).await?.ok_or_else(not_found)?.name;
                Ok((person, Some(name)))
            }
            _ => Err(not_found()),
        }
    }

    /// What a P2P transfer and its preview both check first: a customer sending, an amount within the
    /// per-transfer limit, a customer receiving who is someone else. One place, so the name read
    /// back before the PIN is always of the transfer the PIN then confirms.
    async fn p2p_parties(
        &self,
        principal: &Principal,
        to: &PhoneNumber,
        amount: AmountInput<'_>,
    ) -> CoreResult<((Currency, Amount), UserRecord, UserRecord)> {
        principal.require(Role::Customer)?;
        let money = self.kernel.parse_amount(amount)?;
        self.kernel.check_transfer_limit(money.0, money.1)?;
        let sender = self.kernel.current_user(principal).await?;
        let recipient = self.kernel.user_with_role(to, Role::Customer, "customer").await?;
        if recipient.id == sender.id {
            return Err(CoreError::invalid("same_account", "you cannot send money to yourself"));
        }
        Ok((money, sender, recipient))
    }

    /// A customer sends money to another customer by phone number, confirmed by PIN.
    pub async fn send_p2p(
        &self,
        principal: &Principal,
        id: TransferId,
        to: &PhoneNumber,
        pin: &Pin,
        note: Option<&DisplayName>,
        amount: AmountInput<'_>,
    ) -> CoreResult<Transfer> {
        let (money, sender, recipient) = self.p2p_parties(principal, to, amount).await?;
        // The sender first (PIN, then funds, in the ledger), and only then the recipient's cap, so a
        // refusal tells the sender nothing about the recipient they could not learn by paying.
        self.kernel.check_pin(&sender, pin, &GuessSource::of(principal)).await?;
        let credit = self.wallet_of(recipient.id, money.0).await?;
        let credit_cap = self.kernel.balance_cap(Some(recipient.id), money.0).await?;
        let debit = self.wallet_of(sender.id, money.0).await?;
        let note = note.map(|n| n.as_str().to_owned()).unwrap_or_default();
        let transfer = self.move_money(id, (debit, credit), money, (TransferCode::P2p, note), credit_cap).await?;
        self.money_received(recipient.id, &transfer, money.0, "p2p", &sender.full_name, &transfer.reference).await?;
        Ok(transfer)
    }

    /// Tells a customer, on their live stream, that money reached their wallet. The event's id
    /// derives from the transfer's, so a retry of the request (which the ledger answers with the
    /// same transfer) writes it once, and a retry after a crash between the two writes it then.
    async fn money_received(
        &self,
        customer: UserId,
        transfer: &Transfer,
        currency: Currency,
        kind: &str,
        from: &str,
        note: &str,
    ) -> CoreResult<()> {
        let data = serde_json::json!({
            "transfer_id": transfer.id.0,
            "kind": kind,
            "amount": {
                "amount": currency.format_amount(transfer.amount),
                "minor_units": transfer.amount.minor(),
                "currency": transfer.currency.to_string(),
            },
            "from": from,
            "note": note,
            "at": quipu_kernel::text::rfc3339(transfer.timestamp),
        });
        let data = serde_json::value::to_raw_value(&data)
            .map_err(|error| CoreError::invalid("unserialisable_event", error.to_string()))?;
        let id = quipu_domain::ledger::derived_id("quipu.money_received", &[transfer.id.0.as_bytes()]);
        let event = quipu_events::new_customer_event(id, "money.received", customer, &data, transfer.timestamp)?;
        if self.kernel.store.insert_customer_event(&event).await? {
            self.kernel.events_written();
        }
        Ok(())
    }

    async fn viewable_account(&self, principal: &Principal, id: AccountId) -> CoreResult<OwnedAccount> {
        match self.kernel.store.account(id).await? {
            Some(owned) if principal.can_view(&owned) => Ok(owned),
            _ => Err(CoreError::not_found("account")),
        }
    }

    /// One account, for whoever may see it.
    pub async fn account(&self, principal: &Principal, id: AccountId) -> CoreResult<quipu_domain::ledger::Account> {
        Ok(self.viewable_account(principal, id).await?.account)
    }

    /// A page of an account's history, newest first.
    pub async fn history(
        &self,
        principal: &Principal,
        id: AccountId,
        filter: &HistoryFilter,
    ) -> CoreResult<HistoryPage> {
        let owned = self.viewable_account(principal, id).await?;
        self.history_page(owned.account.id, filter, People::for_reader(principal, &owned)).await
    }

    /// A page of a person's account history, read by staff under a live
    /// grant (whose reads the caller has logged where the person sees them).
    pub async fn history_granted(
        &self,
        read: &GrantedRead,
        id: AccountId,
        filter: &HistoryFilter,
    ) -> CoreResult<HistoryPage> {
        match self.kernel.store.account(id).await? {
            // The grant is to read this person's history as they see it.
            Some(owned) if owned.owner == AccountOwner::User(read.subject()) => {
                self.history_page(id, filter, People::Named).await
            }
            _ => Err(CoreError::not_found("account")),
        }
    }

    /// A page of lines, newest first: the page's transfers replayed from the
    /// balances just before its oldest, with holds settled since shown by their settlement.
    async fn history_page(
        &self,
        account: AccountId,
        filter: &HistoryFilter,
        people: People,
    ) -> CoreResult<HistoryPage> {
        let limit = page_limit(filter.limit, DEFAULT_PAGE, MAX_HISTORY_PAGE)?;
        let query = history_query(account, filter, limit);
        let mut transfers = self.kernel.store.history(&query).await?;
        let next_cursor = next_cursor(&transfers, limit, |t| t.timestamp);
        transfers.reverse();
        let whole = filter.codes.is_empty();
        let newest_page = filter.before.is_none() && filter.to.is_none();
        // Replayed once from zero (a replay only adds), then moved onto the page's opening balances.
        let (lines, window) = self.replay_window(account, Balances::default(), &transfers, Timestamp(i64::MAX)).await?;
        let opening = match transfers.first() {
            // The newest page: the account's balances now, less what the page did; no sum over its past.
            // (A transfer committing between the two reads shifts this page's running balances, never money.)
            Some(_) if whole && newest_page => {
                let now = self.kernel.store.account(account).await?.ok_or_else(|| CoreError::not_found("account"))?;
                quipu_domain::statement::balances_before(now.account.balances, window)
            }
            Some(oldest) if whole => Some(self.kernel.store.balances_before(account, oldest.timestamp).await?),
            _ => Some(Balances::default()),
        };
        let lines =
            opening.and_then(|opening| quipu_domain::statement::from_opening(lines, opening)).ok_or_else(|| {
                CoreError::new(quipu_kernel::ErrorKind::Unavailable, "internal_error", "the history does not add up")
            })?;
        let mut entries: Vec<HistoryEntry> = self
            .with_counterparties(account, lines, people)
            .await?
            .into_iter()
            .map(|StatementLine { line, counterparty }| HistoryEntry {
                direction: direction_of(account, &line.transfer),
                state: line.state,
                event_id: line.event_id,
                counterparty,
                after: whole.then_some(line.after),
                transfer: line.transfer,
            })
            .collect();
        entries.reverse();
        Ok(HistoryPage { entries, next_cursor })
    }

    /// The caller's main account: a customer's wallet, an agent's float, a
    /// merchant's account, each in the default currency.
    pub async fn primary_account(&self, principal: &Principal) -> CoreResult<AccountId> {
        let currency = self.kernel.settings.currencies.default_currency().code;
        let (owner, kind) = match (principal.merchant(), principal.role(), principal.user_id()) {
            (Some(merchant), _, _) => (AccountOwner::Merchant(merchant), AccountKind::Merchant),
            // A courier's earnings land in a wallet like a customer's.
            (None, Some(Role::Customer | Role::Courier), Some(user)) => {
                (AccountOwner::User(user), AccountKind::CustomerWallet)
            }
            (None, Some(Role::Agent), Some(user)) => (AccountOwner::User(user), AccountKind::AgentFloat),
            _ => return Err(CoreError::not_found("account")),
        };
        self.kernel.ensure_account(owner, kind, currency).await
    }

    /// A receipt, visible to both sides of the transfer and no one else.
    pub async fn receipt(&self, principal: &Principal, id: TransferId) -> CoreResult<Receipt> {
        let store = &self.kernel.store;
        let transfer = store.transfer(id).await?.ok_or_else(|| CoreError::not_found("transaction"))?;
        let debit = store.account(transfer.debit_account_id).await?;
        let credit = store.account(transfer.credit_account_id).await?;
        let sees = |account: &Option<OwnedAccount>| account.as_ref().is_some_and(|a| principal.can_view(a));
        let direction = match (sees(&debit), sees(&credit)) {
            (true, true) => "both",
            (true, false) => "sent",
            (false, true) => "received",
            (false, false) => return Err(CoreError::not_found("transaction")),
        };
        // A side of one's own names the other side: you dealt with them. Staff who see a shop's or
        // an agent's books see that money moved, not whose: that takes a grant.
        let owns = |account: &Option<OwnedAccount>| {
            account.as_ref().is_some_and(|a| People::for_reader(principal, a) == People::Named)
        };
        let people = if owns(&debit) || owns(&credit) { People::Named } else { People::Unnamed };
        Ok(Receipt {
            from: self.party(debit.as_ref(), people).await?,
            to: self.party(credit.as_ref(), people).await?,
            refund_reason: self.refund_reason(&transfer).await?,
            transfer,
            direction,
        })
    }

    /// The reason a shop gave for the refund this transfer made, for both its sides to read.
    async fn refund_reason(&self, transfer: &Transfer) -> CoreResult<Option<String>> {
        let payment = match (transfer.code, refunded_payment(&transfer.reference)) {
            (TransferCode::Refund, Some(payment)) => payment,
            _ => return Ok(None),
        };
        let refunds = self.kernel.store.refunds_of(payment).await?;
        Ok(refunds
            .into_iter()
            .find(|refund| RefundLeg::Refund.transfer_id(refund.id) == transfer.id)
            .map(|refund| refund.reason)
            .filter(|reason| !reason.is_empty()))
    }

    async fn party(&self, account: Option<&OwnedAccount>, people: People) -> CoreResult<Party> {
        let unknown = || Party { kind: "unknown", name: String::new(), phone: None };
        let Some(account) = account else { return Ok(unknown()) };
        let store = &self.kernel.store;
        Ok(match account.owner {
            AccountOwner::User(id) => match store.user(id).await? {
                Some(user) if user.role == Role::Agent => Party {
                    kind: "agent",
                    name: user.full_name.clone(),
                    phone: PhoneNumber::parse(&user.phone).ok().map(|p| p.masked()),
                },
                // A person, to a reader who may not know who: neither name nor number.
                Some(_) if people == People::Unnamed => Party { kind: "customer", name: String::new(), phone: None },
                Some(user) => Party {
                    kind: "customer",
                    name: user.full_name.clone(),
                    phone: PhoneNumber::parse(&user.phone).ok().map(|p| p.masked()),
                },
                None => unknown(),
            },
            AccountOwner::Merchant(id) => match store.merchant(id).await? {
                Some(merchant) => Party { kind: "merchant", name: merchant.name, phone: None },
                None => unknown(),
            },
            AccountOwner::Card(_) if people == People::Unnamed => {
                Party { kind: "card", name: String::new(), phone: None }
            }
            AccountOwner::Card(id) => match store.card(id).await? {
                Some(card) => Party { kind: "card", name: card.number.masked(), phone: None },
                None => unknown(),
            },
            AccountOwner::System => Party { kind: "network", name: "Quipu network".into(), phone: None },
        })
    }
}

fn history_query(account: AccountId, filter: &HistoryFilter, limit: u32) -> HistoryQuery {
    HistoryQuery {
        account,
        before: filter.before,
        from: filter.from,
        to: filter.to,
        codes: filter.codes.clone(),
        limit,
    }
}

fn direction_of(account: AccountId, transfer: &Transfer) -> Direction {
    if transfer.debit_account_id == account { Direction::Debit } else { Direction::Credit }
}
