//! Agent commissions: the operator sets what each operation (cash-in,
//! cash-out, card issue) earns, as a fixed amount or in basis points; the
//! agent's float is paid from the network's fee income in the same linked
//! chain as the operation, so both happen or neither does.
//!
//! A commission is paid only from fee income actually earned: it is capped
//! at what the fee-income account holds when the chain is planned
//! (`quipu_domain::settlement::commission_payable`), and the account's flag
//! (debits never above credits) makes the ledger refuse anything more. If
//! another commission spent the fee income meanwhile, the chain is decided
//! again with what is left; the operation itself is never refused for it.
//!
//! Commissions reward net new money, so they cannot be farmed
//! (`quipu_domain::settlement::commission_due`): a cash-out earns nothing
//! when the same customer cashed in at the same agent within
//! `net_window_seconds`, nor a cash-in after their cash-out; a card issue
//! earns only once the card is loaded (at a top-up, paid to the agent who
//! issued it); and an agent's commissions pay at most the daily cap per
//! currency. An agent's commissions are decided one at a time in a process
//! (reading the day's total and committing the chain under one turn), so
//! the cap is exact there; processes sharing a database may each pay one
//! commission past it at the same instant, at most one each.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use quipu_domain::card::CardId;
use quipu_domain::identity::{Role, UserId};
use quipu_domain::ledger::{
    AccountId, AccountKind, Transfer, TransferCode, TransferCommand, TransferError, TransferOp,
};
use quipu_domain::money::{Amount, Currency};
use quipu_domain::settlement::{
    CommissionCheck, CommissionOperation, CommissionRate, commission_day_start, commission_due, commission_reference,
    commission_transfer_id,
};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::settlement::{CommissionRecord, EarningsTotal};
use quipu_store::{AccountOwner, HistoryQuery};

use crate::Wallet;

/// How many times a chain is decided again when another commission spent the fee income meanwhile.
const FEE_INCOME_RACES: usize = 3;
/// Recent commissions shown with an agent's earnings.
const RECENT_EARNINGS: u32 = 20;

/// Floats remembered before idle ones are swept out of the map.
const SWEEP_ABOVE: usize = 4096;

/// The agents' floats whose commission is being decided in this process: one turn per float at a
/// time, from reading the day's earnings to committing the chain, so two operations at once cannot
/// both pay the last of the daily cap.
#[derive(Default)]
pub(crate) struct EarningTurns {
    floats: Mutex<HashMap<AccountId, Arc<tokio::sync::Mutex<()>>>>,
}

impl EarningTurns {
    async fn wait_turn(&self, float: AccountId) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut floats = self.floats.lock().unwrap_or_else(PoisonError::into_inner);
            if floats.len() >= SWEEP_ABOVE {
                // A float only the map still refers to is idle: nobody holds or awaits its turn.
                floats.retain(|_, lock| Arc::strong_count(lock) > 1);
            }
            floats.entry(float).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// An agent's commissions: totals per currency, and the most recent ones.
#[derive(Debug, Clone)]
pub struct Earnings {
    pub totals: Vec<(Currency, EarningsTotal)>,
    pub recent: Vec<Transfer>,
}

impl Wallet {
    /// The operator sets what an operation earns agents in a currency (a zero fixed amount stops it).
    pub async fn set_commission(
        &self,
        principal: &Principal,
        operation: CommissionOperation,
        currency: Option<&str>,
        rate: CommissionRate,
    ) -> CoreResult<CommissionRecord> {
        let operator = principal.require(Role::Operator)?;
        let currency = self.kernel.settings.currencies.get_or_default(currency)?;
        let rate = CommissionRate::new(operation, rate)
            .map_err(|error| CoreError::invalid("invalid_commission", error.to_string()))?;
        let record = CommissionRecord {
            operation,
            currency: currency.code,
            rate,
            updated_by: operator.0,
            updated_at: self.kernel.now(),
        };
        self.kernel.store.set_commission(&record).await?;
        tracing::info!(operation = operation.as_str(), currency = %currency.code, by = %operator, "commission set");
        Ok(record)
    }

    /// Every configured commission, for operators and auditors.
    pub async fn commissions(&self, principal: &Principal) -> CoreResult<Vec<CommissionRecord>> {
        principal.require_any(&[Role::Operator, Role::Auditor])?;
        Ok(self.kernel.store.commissions().await?)
    }

    /// What an agent has earned: totals per currency and the latest commissions.
    pub async fn earnings(&self, principal: &Principal) -> CoreResult<Earnings> {
        let agent = principal.require(Role::Agent)?;
        let mut totals = Vec::new();
        for currency in self.kernel.settings.currencies.iter() {
            let float = self.float_of(agent, *currency).await?;
            totals.push((*currency, self.kernel.store.commission_earnings(float).await?));
        }
        let currency = self.kernel.settings.currencies.default_currency();
        let float = self.float_of(agent, currency).await?;
        let query = HistoryQuery {
            account: float,
            before: None,
            from: None,
            to: None,
            codes: vec![TransferCode::Commission],
            limit: RECENT_EARNINGS,
        };
        let recent = self.kernel.store.history(&query).await?;
        Ok(Earnings { totals, recent })
    }

    /// What fee income holds now, spendable: credits less debits, posted and held.
    async fn fee_income_available(&self, currency: Currency) -> CoreResult<(AccountId, Amount)> {
        let id = self.kernel.ensure_account(AccountOwner::System, AccountKind::FeeIncome, currency.code).await?;
        let account = self.kernel.store.account(id).await?.ok_or_else(|| CoreError::not_found("account"))?;
        let available = account.account.balances.available().map(Amount::from_minor).unwrap_or(Amount::ZERO);
        Ok((id, available))
    }

    /// The commission transfer an operation of `amount` earns the agent's `float`, if any.
    /// `customer` is the account on the other side of a cash-in or cash-out (none for a card issue).
    async fn commission_command(
        &self,
        operation: CommissionOperation,
        source: uuid::Uuid,
        (float, customer): (AccountId, Option<AccountId>),
        (currency, amount): (Currency, Amount),
    ) -> CoreResult<Option<TransferCommand>> {
        let Some(record) = self.kernel.store.commission(operation, currency.code).await? else {
            return Ok(None);
        };
        let earned = record.rate.earned(operation, amount)?;
        if earned <= Amount::ZERO {
            return Ok(None);
        }
        let now = self.kernel.now();
        let settings = &self.kernel.settings.commissions;
        let reverses_recent = match (operation.reversal().and_then(CommissionOperation::transfer_code), customer) {
            (Some(code), Some(customer)) => {
                // The reversal moved money between the same two accounts, the other way.
                let accounts =
                    if operation == CommissionOperation::CashIn { (customer, float) } else { (float, customer) };
                let since = now.plus_seconds(settings.net_window_seconds.saturating_neg());
                self.kernel.store.moved_since(code, accounts, since).await?
            }
            _ => false,
        };
        let earned_today = self.kernel.store.commission_earnings_since(float, commission_day_start(now)).await?.total;
        let (fee_income, fee_income_available) = self.fee_income_available(currency).await?;
        let payable = commission_due(CommissionCheck {
            earned,
            reverses_recent,
            earned_today,
            daily_cap: settings.daily_cap(currency),
            fee_income_available,
        });
        if payable <= Amount::ZERO {
            tracing::info!(operation = operation.as_str(), reverses_recent, "no commission due");
            return Ok(None);
        }
        Ok(Some(TransferCommand {
            id: commission_transfer_id(operation, source),
            op: TransferOp::Posted { debit: fee_income, credit: float, amount: payable, currency: currency.code },
            code: TransferCode::Commission,
            reference: commission_reference(operation, source),
            credit_cap: None,
        }))
    }

    /// Commits an agent's operation and its commission as one linked chain, and returns the
    /// operation's transfer.
    pub(crate) async fn move_with_commission(
        &self,
        command: TransferCommand,
        operation: CommissionOperation,
        float: AccountId,
        money: (Currency, Amount),
    ) -> CoreResult<Transfer> {
        // A retry of an operation already committed: its commission (if it earned one) is
        // committed with it, so the operation alone is replayed, never paid a second commission.
        if self.kernel.store.transfer(command.id).await?.is_some() {
            return self.kernel.ledger.submit_one(command).await;
        }
        let customer = match command.op {
            TransferOp::Posted { debit, credit, .. } => Some(if debit == float { credit } else { debit }),
            _ => None,
        };
        let _turn = self.earning_turns.wait_turn(float).await;
        for _ in 0..FEE_INCOME_RACES {
            let commission = self.commission_command(operation, command.id.0, (float, customer), money).await?;
            let paid = commission.is_some();
            let mut chain = vec![command.clone()];
            chain.extend(commission);
            match self.kernel.ledger.submit(chain).await? {
                Ok(outcomes) => {
                    return outcomes.into_iter().next().map(|outcome| outcome.transfer).ok_or_else(|| {
                        CoreError::new(ErrorKind::Unavailable, "ledger_error", "the ledger returned no outcome")
                    });
                }
                // Fee income was spent between reading it and the chain: decide again.
                Err(rejection)
                    if paid && rejection.index == 1 && rejection.error == TransferError::InsufficientFunds =>
                {
                    continue;
                }
                Err(rejection) => return Err(CoreError::from(rejection.error)),
            }
        }
        // Fee income keeps moving under us: the operation goes through without a commission.
        self.kernel.ledger.submit_one(command).await
    }

    /// Pays an agent the commission for issuing a card, once the card is loaded (cards call it at
    /// each top-up): a card nobody loads earns nothing. No money moves with the issue itself, so it is
    /// a chain of its own; its id derives from the card, so it is paid once. Operators earn none.
    pub async fn pay_card_issue_commission(&self, issuer: UserId, card: CardId, currency: Currency) -> CoreResult<()> {
        let id = commission_transfer_id(CommissionOperation::CardIssue, card.0);
        if self.kernel.store.transfer(id).await?.is_some() {
            return Ok(());
        }
        match self.kernel.store.user(issuer).await? {
            Some(user) if user.role == Role::Agent => {}
            _ => return Ok(()),
        }
        let float = self.float_of(issuer, currency).await?;
        let _turn = self.earning_turns.wait_turn(float).await;
        for _ in 0..FEE_INCOME_RACES {
            let money = (currency, Amount::ZERO);
            let Some(command) =
                self.commission_command(CommissionOperation::CardIssue, card.0, (float, None), money).await?
            else {
                return Ok(());
            };
            match self.kernel.ledger.submit(vec![command]).await? {
                Ok(_) => return Ok(()),
                Err(rejection) if rejection.error == TransferError::InsufficientFunds => continue,
                // Paid already by a top-up running at the same time.
                Err(rejection) if rejection.error == TransferError::IdempotencyConflict => return Ok(()),
                Err(rejection) => return Err(CoreError::from(rejection.error)),
            }
        }
        Ok(())
    }
}
