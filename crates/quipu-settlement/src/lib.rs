//! Settlement: merchant money leaving the network for a bank account.
//!
//! A merchant's owner registers bank accounts and requests a payout of
//! (part of) the available balance: the payout is recorded `pending` and
//! its money held (merchant → the network's `settlement` account, a ledger
//! hold with no deadline). The operator lists pending payouts, makes a batch
//! of them and exports it as a CSV file for the bank, then marks the batch
//! paid (each hold posted) or rejects single payouts (each hold voided).
//! A merchant may instead have payouts made for it: once a day, by
//! housekeeping, whenever its available balance is above a threshold.
//!
//! The state machine is `quipu_domain::settlement::PayoutStatus`; every
//! transfer id derives from the payout's id (`PayoutLeg`), so any step can be
//! retried. Settling a hold goes the other way round from placing it: the
//! ledger decides first (a hold is posted or voided at most once, so paying
//! and rejecting at the same time cannot both win), then the status follows
//! by compare-and-set. A crash between the two leaves a payout `batched` (or
//! `pending`) whose hold is settled; marking the batch paid, or rejecting the
//! payout, again finishes it, and reconcile accepts that state meanwhile.

use std::collections::HashMap;
use std::sync::Arc;

use quipu_domain::Timestamp;
use quipu_domain::identity::{BankAccountNumber, DisplayName, MerchantId, Role, mask_tail};
use quipu_domain::ledger::{AccountId, AccountKind, TransferCode, TransferCommand, TransferError, TransferOp};
use quipu_domain::money::{Amount, Currency};
use quipu_domain::settlement::{
    PayoutBatchId, PayoutError, PayoutId, PayoutLeg, PayoutStatus, payout_amount, payout_ledger_reference,
    scheduled_payout_due, scheduled_payout_id,
};
use quipu_domain::state::{StateMachine, Transition};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Kernel, Principal};
use quipu_store::AccountOwner;
use quipu_store::settlement::{BankAccountRecord, PayoutBatchRecord, PayoutRecord, ScheduledPayoutRecord};
use uuid::Uuid;

/// Most bank accounts a merchant may register.
const MAX_BANK_ACCOUNTS: u32 = 5;
/// Most payouts in one batch file.
pub const MAX_BATCH: u32 = 1_000;
/// Most payouts one list shows.
const MAX_LIST: u32 = 200;
const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A bank account as its merchant (and the operator's lists) show it: the number masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    pub id: Uuid,
    pub bank_name: String,
    pub holder_name: String,
    /// e.g. "••••7890".
    pub account_number: String,
    pub created_at: Timestamp,
}

impl From<&BankAccountRecord> for BankAccount {
    fn from(record: &BankAccountRecord) -> Self {
        Self {
            id: record.id,
            bank_name: record.bank_name.clone(),
            holder_name: record.holder_name.clone(),
            account_number: mask_tail(&record.account_number, 4),
            created_at: record.created_at,
        }
    }
}

/// A payout, with where it goes (masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    pub record: PayoutRecord,
    pub bank_account: Option<BankAccount>,
}

/// A batch of payouts for the bank, with its payouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub record: PayoutBatchRecord,
    pub payouts: Vec<Payout>,
    /// Payouts that marking the batch paid left waiting (still `batched`), and why.
    pub waiting: Vec<Waiting>,
}

/// A payout the ledger would not pay yet (its merchant's account is frozen, say): it stays
/// `batched`, its money held, until the batch is marked paid again or the payout is rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub payout: PayoutId,
    /// The ledger's reason, as a problem code (e.g. `account_frozen`).
    pub code: &'static str,
    pub detail: String,
}

#[derive(Clone)]
pub struct Settlement {
    kernel: Arc<Kernel>,
}

fn bank_account_not_found() -> CoreError {
    CoreError::new(ErrorKind::NotFound, "bank_account_not_found", "no such bank account")
}

/// A payout's move the code names outright, as the domain's table builds it.
fn moved(from: PayoutStatus, to: PayoutStatus) -> CoreResult<Transition<PayoutStatus>> {
    Transition::new(from, to).ok_or_else(|| {
        CoreError::new(ErrorKind::Conflict, "payout_changed", format!("a payout does not move from {from} to {to}"))
    })
}

fn payout_not_found() -> CoreError {
    CoreError::new(ErrorKind::NotFound, "payout_not_found", "no such payout")
}

fn batch_not_found() -> CoreError {
    CoreError::new(ErrorKind::NotFound, "batch_not_found", "no such payout batch")
}

impl Settlement {
    pub fn new(kernel: Arc<Kernel>) -> Self {
        Self { kernel }
    }

    /// A merchant's owner registers a bank account for payouts.
    pub async fn add_bank_account(
        &self,
        principal: &Principal,
        bank_name: &DisplayName,
        holder_name: &DisplayName,
        number: &BankAccountNumber,
    ) -> CoreResult<BankAccount> {
        principal.require(Role::MerchantOwner)?;
        let merchant_id = principal.require_merchant()?;
        let record = BankAccountRecord {
            id: self.kernel.new_id(),
            merchant_id,
            bank_name: bank_name.as_str().to_owned(),
            account_number: number.expose().to_owned(),
            holder_name: holder_name.as_str().to_owned(),
            created_at: self.kernel.now(),
        };
        if !self.kernel.store.insert_bank_account(&record, MAX_BANK_ACCOUNTS).await? {
            return Err(CoreError::new(ErrorKind::Rejected, "limit_exceeded", "at most 5 bank accounts"));
        }
        Ok(BankAccount::from(&record))
    }

    /// The merchant's bank accounts, masked (its owner and API keys).
    pub async fn bank_accounts(&self, principal: &Principal) -> CoreResult<Vec<BankAccount>> {
        let merchant = principal.require_merchant_admin()?;
        Ok(self.kernel.store.bank_accounts(merchant).await?.iter().map(BankAccount::from).collect())
    }

    /// One of `merchant`'s own bank accounts; another merchant's is reported exactly like a missing one.
    async fn own_bank_account(&self, merchant: MerchantId, id: Uuid) -> CoreResult<BankAccountRecord> {
        match self.kernel.store.bank_account(id).await? {
            Some(account) if account.merchant_id == merchant => Ok(account),
            _ => Err(bank_account_not_found()),
        }
    }

    async fn merchant_account(&self, merchant: MerchantId, currency: Currency) -> CoreResult<AccountId> {
        self.kernel.ensure_account(AccountOwner::Merchant(merchant), AccountKind::Merchant, currency.code).await
    }

    async fn settlement_account(&self, currency: Currency) -> CoreResult<AccountId> {
        self.kernel.ensure_account(AccountOwner::System, AccountKind::Settlement, currency.code).await
    }

    /// What the merchant may pay out now: its balance less what holds reserve.
    async fn available(&self, merchant: MerchantId, currency: Currency) -> CoreResult<Amount> {
        let id = self.merchant_account(merchant, currency).await?;
        let account = self.kernel.store.account(id).await?.ok_or_else(|| CoreError::not_found("account"))?;
        Ok(account.account.balances.available().map(Amount::from_minor).unwrap_or(Amount::ZERO))
    }

    /// A merchant's owner asks for a payout to one of the merchant's bank accounts: `amount`, or
    /// the whole available balance if none. Idempotent on `id`.
    pub async fn request_payout(
        &self,
        principal: &Principal,
        id: PayoutId,
        bank_account: Uuid,
        amount: Option<&str>,
        currency: Option<&str>,
    ) -> CoreResult<Payout> {
        principal.require(Role::MerchantOwner)?;
        let merchant = principal.require_merchant()?;
        let bank = self.own_bank_account(merchant, bank_account).await?;
        let currency = self.kernel.settings.currencies.get_or_default(currency)?;
        let asked = match amount {
            Some(text) => Some(self.kernel.parse_amount(quipu_domain::money::AmountInput {
                amount: text,
                currency: Some(currency.code.as_str()),
            })?),
            None => None,
        };
        let record = match self.kernel.store.payout(id).await? {
            // A retry: the payout it asked for, whatever the balance is now.
            Some(existing) => existing,
            None => {
                let available = self.available(merchant, currency).await?;
                let amount = payout_amount(asked.map(|(_, amount)| amount), available).map_err(payout_refused)?;
                self.new_payout(id, merchant, &bank, currency, amount, false)
            }
        };
        if record.merchant_id != merchant
            || record.bank_account_id != bank.id
            || asked.is_some_and(|(_, amount)| amount != record.amount)
        {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "idempotency_conflict",
                "a different payout was requested with this key",
            ));
        }
        let record = self.place(record).await?;
        Ok(Payout { bank_account: Some(BankAccount::from(&bank)), record })
    }

    fn new_payout(
        &self,
        id: PayoutId,
        merchant: MerchantId,
        bank: &BankAccountRecord,
        currency: Currency,
        amount: Amount,
        scheduled: bool,
    ) -> PayoutRecord {
        let now = self.kernel.now();
        PayoutRecord {
            id,
            merchant_id: merchant,
            bank_account_id: bank.id,
            currency: currency.code,
            amount,
            status: PayoutStatus::Pending,
            scheduled,
            batch_id: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Writes a payout (unless it is there already) and holds its money. A refused hold fails the
    /// payout and answers the ledger's reason; a payout already past `pending` is answered as it is.
    async fn place(&self, record: PayoutRecord) -> CoreResult<PayoutRecord> {
        let record = self.kernel.store.insert_payout(&record).await?;
        match record.status {
            PayoutStatus::Pending => {}
            PayoutStatus::Failed => return Err(payout_refused(PayoutError::AboveAvailable)),
            _ => return Ok(record),
        }
        let currency = self.kernel.settings.currencies.get(record.currency.as_str())?;
        let (merchant, settlement) =
            (self.merchant_account(record.merchant_id, currency).await?, self.settlement_account(currency).await?);
        let hold = TransferCommand {
            id: PayoutLeg::Hold.transfer_id(record.id),
            op: TransferOp::Pending {
                debit: merchant,
                credit: settlement,
                amount: record.amount,
                currency: record.currency,
                timeout_seconds: None,
            },
            code: TransferCode::Payout,
            reference: payout_ledger_reference(record.id),
            credit_cap: None,
        };
        match self.kernel.ledger.submit(vec![hold]).await? {
            Ok(_) => {}
            Err(rejection) => {
                let now = self.kernel.now();
                let store = &self.kernel.store;
                // Batched meanwhile (it never had money held): the operator's batch drops it.
                if !store.set_payout_status(record.id, moved(PayoutStatus::Pending, PayoutStatus::Failed)?, now).await?
                {
                    let rejected = moved(PayoutStatus::Batched, PayoutStatus::Rejected)?;
                    store.set_payout_status(record.id, rejected, now).await?;
                }
                return Err(CoreError::from(rejection.error));
            }
        }
        // Rejected while the hold was being placed: release it.
        let now_stored = self.kernel.store.payout(record.id).await?.ok_or_else(payout_not_found)?;
        if now_stored.status == PayoutStatus::Rejected {
            self.void(&now_stored).await?;
        }
        Ok(now_stored)
    }

    /// The merchant's payouts, newest first (its owner and API keys).
    pub async fn payouts(&self, principal: &Principal) -> CoreResult<Vec<Payout>> {
        let merchant = principal.require_merchant_admin()?;
        let records = self.kernel.store.merchant_payouts(merchant, MAX_LIST).await?;
        self.with_bank_accounts(records).await
    }

    /// Payouts in a state, oldest first, for operators and auditors.
    pub async fn payouts_with_status(&self, principal: &Principal, status: PayoutStatus) -> CoreResult<Vec<Payout>> {
        principal.require_any(&[Role::Operator, Role::Auditor])?;
        let records = self.kernel.store.payouts_with_status(status, MAX_LIST).await?;
        self.with_bank_accounts(records).await
    }

    async fn bank_accounts_of(&self, records: &[PayoutRecord]) -> CoreResult<HashMap<Uuid, BankAccountRecord>> {
        let mut banks = HashMap::new();
        for record in records {
            if !banks.contains_key(&record.bank_account_id)
                && let Some(bank) = self.kernel.store.bank_account(record.bank_account_id).await?
            {
                banks.insert(bank.id, bank);
            }
        }
        Ok(banks)
    }

    async fn with_bank_accounts(&self, records: Vec<PayoutRecord>) -> CoreResult<Vec<Payout>> {
        let banks = self.bank_accounts_of(&records).await?;
        Ok(records
            .into_iter()
            .map(|record| Payout { bank_account: banks.get(&record.bank_account_id).map(BankAccount::from), record })
            .collect())
    }

    /// The operator puts the oldest pending payouts (at most [`MAX_BATCH`]) in a batch for the
    /// bank. Idempotent on `id`: a retry answers the same batch.
    pub async fn create_batch(&self, principal: &Principal, id: PayoutBatchId) -> CoreResult<Batch> {
        let operator = principal.require(Role::Operator)?;
        let record = PayoutBatchRecord { id, created_by: operator.0, created_at: self.kernel.now(), paid_at: None };
        self.kernel.store.create_payout_batch(&record, MAX_BATCH).await?;
        tracing::info!(batch = %id, by = %operator, "payout batch made");
        self.load_batch(id).await
    }

    async fn load_batch(&self, id: PayoutBatchId) -> CoreResult<Batch> {
        let record = self.kernel.store.payout_batch(id).await?.ok_or_else(batch_not_found)?;
        let payouts = self.kernel.store.batch_payouts(id).await?;
        Ok(Batch { record, payouts: self.with_bank_accounts(payouts).await?, waiting: Vec::new() })
    }

    /// A batch and its payouts, for operators and auditors.
    pub async fn batch(&self, principal: &Principal, id: PayoutBatchId) -> CoreResult<Batch> {
        principal.require_any(&[Role::Operator, Role::Auditor])?;
        self.load_batch(id).await
    }

    /// The batch as a CSV file for the bank: one row per payout still to pay (or paid), with the
    /// full account number. Operators only.
    pub async fn batch_csv(&self, principal: &Principal, id: PayoutBatchId) -> CoreResult<String> {
        principal.require(Role::Operator)?;
        self.kernel.store.payout_batch(id).await?.ok_or_else(batch_not_found)?;
        let payouts = self.kernel.store.batch_payouts(id).await?;
        let banks = self.bank_accounts_of(&payouts).await?;
        let mut merchants = HashMap::new();
        let mut file = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
        let header = [
            "payout_id",
            "merchant",
            "bank_name",
            "account_holder",
            "account_number",
            "currency",
            "amount",
            "reference",
        ];
        file.write_record(header).map_err(csv_failed)?;
        for payout in payouts.iter().filter(|p| matches!(p.status, PayoutStatus::Batched | PayoutStatus::Paid)) {
            let bank = banks.get(&payout.bank_account_id).ok_or_else(bank_account_not_found)?;
            if let std::collections::hash_map::Entry::Vacant(entry) = merchants.entry(payout.merchant_id) {
                let name = self.kernel.store.merchant(payout.merchant_id).await?.map(|m| m.name).unwrap_or_default();
                entry.insert(name);
            }
            let merchant = merchants.get(&payout.merchant_id).map(String::as_str).unwrap_or_default();
            let currency = self.kernel.settings.currencies.get(payout.currency.as_str())?;
            file.write_record([
                payout.id.to_string().as_str(),
                &quipu_domain::text::spreadsheet_safe(merchant),
                &quipu_domain::text::spreadsheet_safe(&bank.bank_name),
                &quipu_domain::text::spreadsheet_safe(&bank.holder_name),
                &bank.account_number,
                payout.currency.as_str(),
                &currency.format_amount(payout.amount),
                &payout_ledger_reference(payout.id),
            ])
            .map_err(csv_failed)?;
        }
        let bytes = file.into_inner().map_err(|_| csv_failed(()))?;
        String::from_utf8(bytes).map_err(|_| csv_failed(()))
    }

    /// The operator marks a batch paid once the bank paid it: each payout in it is paid, its hold
    /// posted first and its status then. A payout the ledger refuses (its merchant's account is
    /// frozen) stays `batched` with its money held, and the answer lists it as waiting, with why;
    /// marking the batch paid again pays it. The batch is paid once no payout in it waits.
    /// Repeating it repeats only what is missing.
    pub async fn mark_batch_paid(&self, principal: &Principal, id: PayoutBatchId) -> CoreResult<Batch> {
        let operator = principal.require(Role::Operator)?;
        let store = &self.kernel.store;
        store.payout_batch(id).await?.ok_or_else(batch_not_found)?;
        let mut waiting = Vec::new();
        for payout in store.batch_payouts(id).await? {
            if !payout.status.may_become(PayoutStatus::Paid) {
                continue;
            }
            // A payout whose hold was never placed (its request failed as it was batched).
            if store.transfer(PayoutLeg::Hold.transfer_id(payout.id)).await?.is_none() {
                self.follow(&payout, PayoutStatus::Rejected).await?;
                continue;
            }
            match self.settle(&payout, PayoutLeg::Post).await? {
                Ok(status) => {
                    self.follow(&payout, status).await?;
                }
                Err(error) => {
                    tracing::info!(payout = %payout.id, code = error.code, "payout waits in its batch");
                    waiting.push(Waiting { payout: payout.id, code: error.code, detail: error.detail });
                }
            }
        }
        if waiting.is_empty() {
            store.set_batch_paid(id, self.kernel.now()).await?;
            tracing::info!(batch = %id, by = %operator, "payout batch paid");
        }
        Ok(Batch { waiting, ..self.load_batch(id).await? })
    }

    /// The operator rejects a payout not yet paid (the bank refused it, or it looks wrong): its
    /// hold is released and the money is the merchant's again. A payout whose hold was posted
    /// meanwhile is paid, and answers so.
    pub async fn reject_payout(&self, principal: &Principal, id: PayoutId) -> CoreResult<Payout> {
        let operator = principal.require(Role::Operator)?;
        let store = &self.kernel.store;
        let payout = store.payout(id).await?.ok_or_else(payout_not_found)?;
        let status = match payout.status {
            PayoutStatus::Paid | PayoutStatus::Failed => payout.status,
            PayoutStatus::Rejected => {
                self.void(&payout).await?;
                PayoutStatus::Rejected
            }
            PayoutStatus::Pending | PayoutStatus::Batched => {
                let status = match self.settle(&payout, PayoutLeg::Void).await? {
                    Ok(status) => status,
                    // Never held: its request failed, or is still to place the hold and will see the rejection.
                    Err(error) if error.code == TransferError::PendingNotFound.code() => PayoutStatus::Rejected,
                    Err(error) => return Err(error),
                };
                self.follow(&payout, status).await?
            }
        };
        if status != PayoutStatus::Rejected {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "payout_settled",
                format!("the payout is {status} and cannot be rejected"),
            ));
        }
        tracing::info!(payout = %id, by = %operator, "payout rejected");
        let record = store.payout(id).await?.ok_or_else(payout_not_found)?;
        let mut payouts = self.with_bank_accounts(vec![record]).await?;
        payouts.pop().ok_or_else(payout_not_found)
    }

    /// Settles a payout's hold by `leg` (post or void) in the ledger, and answers the state the
    /// ledger says the payout has now: the one `leg` makes, or the other if the hold was already
    /// settled the other way. A refusal for any other reason is the ledger's, as an error.
    async fn settle(&self, payout: &PayoutRecord, leg: PayoutLeg) -> CoreResult<Result<PayoutStatus, CoreError>> {
        let hold = PayoutLeg::Hold.transfer_id(payout.id);
        let op = match leg {
            PayoutLeg::Void => TransferOp::Void { pending_id: hold },
            _ => TransferOp::Post { pending_id: hold, amount: None },
        };
        let command = TransferCommand {
            id: leg.transfer_id(payout.id),
            op,
            code: TransferCode::Payout,
            reference: payout_ledger_reference(payout.id),
            credit_cap: None,
        };
        Ok(match self.kernel.ledger.submit(vec![command]).await? {
            Ok(_) => Ok(leg.settles_as()),
            Err(rejection) => match rejection.error {
                TransferError::PendingAlreadyPosted => Ok(PayoutLeg::Post.settles_as()),
                TransferError::PendingAlreadyVoided => Ok(PayoutLeg::Void.settles_as()),
                error => Err(CoreError::from(error)),
            },
        })
    }

    /// Brings a payout's status to `to`, the state its hold's settlement (or its missing hold)
    /// says, by compare-and-set from whatever it is now, and answers the state it ends in.
    async fn follow(&self, payout: &PayoutRecord, to: PayoutStatus) -> CoreResult<PayoutStatus> {
        let store = &self.kernel.store;
        let mut from = payout.status;
        // Each failed compare-and-set means the payout moved forward; the states are few.
        for _ in PayoutStatus::ALL {
            let Some(transition) = Transition::new(from, to) else {
                return Ok(from);
            };
            if store.set_payout_status(payout.id, transition, self.kernel.now()).await? {
                return Ok(to);
            }
            from = store.payout(payout.id).await?.ok_or_else(payout_not_found)?.status;
        }
        Ok(from)
    }

    /// Releases a payout's hold, if it has one.
    async fn void(&self, payout: &PayoutRecord) -> CoreResult<()> {
        let command = TransferCommand {
            id: PayoutLeg::Void.transfer_id(payout.id),
            op: TransferOp::Void { pending_id: PayoutLeg::Hold.transfer_id(payout.id) },
            code: TransferCode::Payout,
            reference: payout_ledger_reference(payout.id),
            credit_cap: None,
        };
        match self.kernel.ledger.submit(vec![command]).await? {
            Ok(_) => Ok(()),
            // Never held (its request failed, or is still to place the hold and will see the rejection).
            Err(rejection) if rejection.error == TransferError::PendingNotFound => Ok(()),
            Err(rejection) => Err(CoreError::from(rejection.error)),
        }
    }

    /// A merchant's owner has payouts made automatically: once a day, the whole available balance
    /// when it is above `threshold`, to one of the merchant's bank accounts. `None` stops them.
    pub async fn set_schedule(
        &self,
        principal: &Principal,
        currency: Option<&str>,
        schedule: Option<(Uuid, &str)>,
    ) -> CoreResult<Option<ScheduledPayoutRecord>> {
        principal.require(Role::MerchantOwner)?;
        let merchant = principal.require_merchant()?;
        let currency = self.kernel.settings.currencies.get_or_default(currency)?;
        let Some((bank_account, threshold)) = schedule else {
            self.kernel.store.delete_scheduled_payout(merchant, currency.code).await?;
            return Ok(None);
        };
        let bank = self.own_bank_account(merchant, bank_account).await?;
        let threshold = currency.parse_amount(threshold)?;
        if threshold < Amount::ZERO {
            return Err(CoreError::invalid("invalid_amount", "the threshold must not be negative"));
        }
        let record = ScheduledPayoutRecord {
            merchant_id: merchant,
            currency: currency.code,
            bank_account_id: bank.id,
            threshold,
            last_day: -1,
        };
        self.kernel.store.set_scheduled_payout(&record).await?;
        Ok(Some(record))
    }

    /// The merchant's payout schedules.
    pub async fn schedules(&self, principal: &Principal) -> CoreResult<Vec<ScheduledPayoutRecord>> {
        let merchant = principal.require_merchant_admin()?;
        Ok(self.kernel.store.scheduled_payouts_of(merchant).await?)
    }

    /// Housekeeping's part: every schedule that has not run today requests its payout if the
    /// balance is above its threshold. The payout's id derives from the merchant, currency and
    /// day, so two passes (or two processes) request one payout a day. Returns how many it requested.
    pub async fn run_schedules(&self, limit: u32) -> CoreResult<usize> {
        let day = self.kernel.now().0.div_euclid(MICROS_PER_DAY);
        let mut requested = 0usize;
        for schedule in self.kernel.store.scheduled_payouts_due(day, limit).await? {
            match self.run_schedule(&schedule, day).await {
                Ok(true) => requested = requested.saturating_add(1),
                Ok(false) => {}
                // Storage or the writer is down: try again on the next pass.
                Err(error) if error.kind == ErrorKind::Unavailable => return Err(error),
                // Refused (the balance went meanwhile, and the payout is recorded as failed; a
                // currency no longer enabled): today's run is over, tomorrow's tries again.
                Err(error) => {
                    tracing::warn!(%error, merchant = %schedule.merchant_id, "scheduled payout not made");
                }
            }
            self.kernel.store.scheduled_payout_ran(schedule.merchant_id, schedule.currency, day).await?;
        }
        Ok(requested)
    }

    async fn run_schedule(&self, schedule: &ScheduledPayoutRecord, day: i64) -> CoreResult<bool> {
        let currency = self.kernel.settings.currencies.get(schedule.currency.as_str())?;
        let id = scheduled_payout_id(schedule.merchant_id.0, schedule.currency.as_str(), day);
        let Some(bank) = self.kernel.store.bank_account(schedule.bank_account_id).await? else {
            return Ok(false);
        };
        if self.kernel.store.payout(id).await?.is_none() {
            let available = self.available(schedule.merchant_id, currency).await?;
            if !scheduled_payout_due(available, schedule.threshold) {
                return Ok(false);
            }
            let record = self.new_payout(id, schedule.merchant_id, &bank, currency, available, true);
            self.place(record).await?;
            tracing::info!(payout = %id, merchant = %schedule.merchant_id, "scheduled payout requested");
            return Ok(true);
        }
        Ok(false)
    }
}

fn payout_refused(error: PayoutError) -> CoreError {
    let code = match error {
        PayoutError::AboveAvailable => "insufficient_funds",
        PayoutError::NothingAvailable => "nothing_to_pay_out",
    };
    CoreError::new(ErrorKind::Rejected, code, error.to_string())
}

fn csv_failed<E>(_: E) -> CoreError {
    CoreError::new(ErrorKind::Unavailable, "internal_error", "the batch file could not be written")
}
