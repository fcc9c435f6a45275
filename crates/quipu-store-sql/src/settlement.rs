//! [`SettlementStore`] for every backend: merchants' bank accounts, payouts
//! and their batches, scheduled payouts, agent commissions.

use quipu_domain::Timestamp;
use quipu_domain::identity::MerchantId;
use quipu_domain::ledger::{AccountId, TransferCode};
use quipu_domain::money::CurrencyCode;
use quipu_domain::settlement::{CommissionOperation, CommissionRate, PayoutBatchId, PayoutId, PayoutStatus};
use quipu_domain::state::{StateMachine, Transition};
use quipu_store::settlement::{
    BankAccountRecord, CommissionRecord, EarningsTotal, PayoutBatchRecord, PayoutRecord, ScheduledPayoutRecord,
    SettlementStore,
};
use quipu_store::{StoreResult, async_trait, corrupt, db_error};
use uuid::Uuid;

use crate::decode::{amount, currency, named};
use crate::driver::{Columns, FromColumns, Statement, execute, fetch_all, fetch_one, fetch_optional};
use crate::{Backend, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        /// Inserts unless the merchant already has $7 bank accounts, in one statement.
        INSERT_BANK_ACCOUNT = "INSERT INTO merchant_bank_accounts (id, merchant_id, bank_name, account_number, holder_name, created_at)
    SELECT $1, $2, $3, $4, $5, $6 WHERE (SELECT COUNT(*) FROM merchant_bank_accounts WHERE merchant_id = $2) < $7";
        SELECT_BANK_ACCOUNTS = "SELECT id, merchant_id, bank_name, account_number, holder_name, created_at FROM merchant_bank_accounts WHERE merchant_id = $1 ORDER BY created_at LIMIT 20";
        SELECT_BANK_ACCOUNT = "SELECT id, merchant_id, bank_name, account_number, holder_name, created_at FROM merchant_bank_accounts WHERE id = $1";

        INSERT_PAYOUT = "INSERT INTO payouts (id, merchant_id, bank_account_id, currency, amount, status, scheduled, batch_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING";
        SELECT_PAYOUT = "SELECT id, merchant_id, bank_account_id, currency, amount, status, scheduled, batch_id, created_at, updated_at FROM payouts WHERE id = $1";
        SELECT_MERCHANT_PAYOUTS = "SELECT id, merchant_id, bank_account_id, currency, amount, status, scheduled, batch_id, created_at, updated_at FROM payouts WHERE merchant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2";
        SELECT_PAYOUTS_WITH_STATUS = "SELECT id, merchant_id, bank_account_id, currency, amount, status, scheduled, batch_id, created_at, updated_at FROM payouts WHERE status = $1 ORDER BY created_at, id LIMIT $2";
        SELECT_BATCH_PAYOUTS = "SELECT id, merchant_id, bank_account_id, currency, amount, status, scheduled, batch_id, created_at, updated_at FROM payouts WHERE batch_id = $1 ORDER BY created_at, id";
        /// $1 id, $2 from, $3 to, $4 now: compare-and-set.
        SET_PAYOUT_STATUS = "UPDATE payouts SET status = $3, updated_at = $4 WHERE id = $1 AND status = $2";

        INSERT_BATCH = "INSERT INTO payout_batches (id, created_by, created_at, paid_at) VALUES ($1, $2, $3, NULL) ON CONFLICT (id) DO NOTHING";
        /// $1 batch, $2 now, $3 pending, $4 batched, $5 most. The outer status test is checked again
        /// after a row lock wait (PostgreSQL), so two batches made at once never share a payout.
        FILL_BATCH = "UPDATE payouts SET status = $4, batch_id = $1, updated_at = $2
    WHERE status = $3 AND id IN (SELECT id FROM payouts WHERE status = $3 ORDER BY created_at, id LIMIT $5)";
        SELECT_BATCH = "SELECT id, created_by, created_at, paid_at FROM payout_batches WHERE id = $1";
        SET_BATCH_PAID = "UPDATE payout_batches SET paid_at = $2 WHERE id = $1 AND paid_at IS NULL";

        UPSERT_SCHEDULE = "INSERT INTO scheduled_payouts (merchant_id, currency, bank_account_id, threshold, last_day) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (merchant_id, currency) DO UPDATE SET bank_account_id = excluded.bank_account_id, threshold = excluded.threshold";
        DELETE_SCHEDULE = "DELETE FROM scheduled_payouts WHERE merchant_id = $1 AND currency = $2";
        SELECT_SCHEDULES_OF = "SELECT merchant_id, currency, bank_account_id, threshold, last_day FROM scheduled_payouts WHERE merchant_id = $1 ORDER BY currency";
        SELECT_SCHEDULES_DUE = "SELECT merchant_id, currency, bank_account_id, threshold, last_day FROM scheduled_payouts WHERE last_day < $1 ORDER BY merchant_id, currency LIMIT $2";
        SCHEDULE_RAN = "UPDATE scheduled_payouts SET last_day = $3 WHERE merchant_id = $1 AND currency = $2 AND last_day < $3";

        UPSERT_COMMISSION = "INSERT INTO agent_commissions (operation, currency, rate_kind, rate, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (operation, currency) DO UPDATE SET rate_kind = excluded.rate_kind, rate = excluded.rate, updated_by = excluded.updated_by, updated_at = excluded.updated_at";
        SELECT_COMMISSION = "SELECT operation, currency, rate_kind, rate, updated_by, updated_at FROM agent_commissions WHERE operation = $1 AND currency = $2";
        SELECT_COMMISSIONS = "SELECT operation, currency, rate_kind, rate, updated_by, updated_at FROM agent_commissions ORDER BY operation, currency";
        /// An agent's earnings: $1 the float, $2 the commission code.
        EARNINGS = "SELECT CAST(COUNT(*) AS BIGINT) AS transfers, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM transfers WHERE credit_account_id = $1 AND code = $2";
        /// An agent's earnings since a time: $1 the float, $2 the commission code, $3 since.
        EARNINGS_SINCE = "SELECT CAST(COUNT(*) AS BIGINT) AS transfers, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM transfers WHERE credit_account_id = $1 AND code = $2 AND timestamp >= $3";
        /// A transfer coded $3 from $1 to $2 at or after $4 (the credit side's index, then a filter).
        MOVED_SINCE = "SELECT id FROM transfers WHERE credit_account_id = $2 AND timestamp >= $4 AND debit_account_id = $1 AND code = $3 LIMIT 1";
    }
}

const FIXED: &str = "fixed";
const BPS: &str = "bps";

fn payout_insert(p: &PayoutRecord) -> Statement<'_> {
    Statement::new(sql::INSERT_PAYOUT)
        .bind(p.id.0)
        .bind(p.merchant_id)
        .bind(p.bank_account_id)
        .bind(&p.currency)
        .bind(p.amount)
        .bind(p.status.as_str())
        .bind(p.scheduled)
        .bind(p.batch_id.map(|b| b.0))
        .bind(p.created_at)
        .bind(p.updated_at)
}

#[async_trait]
impl<B: Backend> SettlementStore for SqlStore<B> {
    async fn insert_bank_account(&self, account: &BankAccountRecord, max: u32) -> StoreResult<bool> {
        let statement = Statement::new(sql::INSERT_BANK_ACCOUNT)
            .bind(account.id)
            .bind(account.merchant_id)
            .bind(&account.bank_name)
            .bind(&account.account_number)
            .bind(&account.holder_name)
            .bind(account.created_at)
            .bind(max);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "inserting a bank account", statement).await? == 1)
    }

    async fn bank_accounts(&self, merchant: MerchantId) -> StoreResult<Vec<BankAccountRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_BANK_ACCOUNTS).bind(merchant);
        fetch_all::<B::Db, _>(&mut conn, "loading bank accounts", statement).await
    }

    async fn bank_account(&self, id: Uuid) -> StoreResult<Option<BankAccountRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_BANK_ACCOUNT).bind(id);
        fetch_optional::<B::Db, _>(&mut conn, "loading a bank account", statement).await
    }

    async fn insert_payout(&self, payout: &PayoutRecord) -> StoreResult<PayoutRecord> {
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "inserting a payout", payout_insert(payout)).await?;
        let statement = Statement::new(sql::SELECT_PAYOUT).bind(payout.id.0);
        fetch_one::<B::Db, _>(&mut conn, "loading a payout", statement).await
    }

    async fn payout(&self, id: PayoutId) -> StoreResult<Option<PayoutRecord>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a payout", Statement::new(sql::SELECT_PAYOUT).bind(id.0)).await
    }

    async fn merchant_payouts(&self, merchant: MerchantId, limit: u32) -> StoreResult<Vec<PayoutRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_MERCHANT_PAYOUTS).bind(merchant).bind(limit);
        fetch_all::<B::Db, _>(&mut conn, "loading a merchant's payouts", statement).await
    }

    async fn payouts_with_status(&self, status: PayoutStatus, limit: u32) -> StoreResult<Vec<PayoutRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_PAYOUTS_WITH_STATUS).bind(status.as_str()).bind(limit);
        fetch_all::<B::Db, _>(&mut conn, "loading payouts by status", statement).await
    }

    async fn set_payout_status(
        &self,
        id: PayoutId,
        transition: Transition<PayoutStatus>,
        now: Timestamp,
    ) -> StoreResult<bool> {
        debug_assert!(transition.is_allowed(), "a payout's move the table does not allow: {transition:?}");
        let (from, to) = (transition.from(), transition.to());
        let statement =
            Statement::new(sql::SET_PAYOUT_STATUS).bind(id.0).bind(from.as_str()).bind(to.as_str()).bind(now);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "changing a payout's status", statement).await? == 1)
    }

    async fn create_payout_batch(&self, batch: &PayoutBatchRecord, max: u32) -> StoreResult<Vec<PayoutRecord>> {
        let mut tx = self.begin().await?;
        let insert = Statement::new(sql::INSERT_BATCH).bind(batch.id.0).bind(batch.created_by).bind(batch.created_at);
        if execute::<B::Db>(&mut tx, "inserting a payout batch", insert).await? == 1 {
            debug_assert!(PayoutStatus::Pending.may_become(PayoutStatus::Batched), "the batch's move, by the table");
            let fill = Statement::new(sql::FILL_BATCH)
                .bind(batch.id.0)
                .bind(batch.created_at)
                .bind(PayoutStatus::Pending.as_str())
                .bind(PayoutStatus::Batched.as_str())
                .bind(max);
            execute::<B::Db>(&mut tx, "filling a payout batch", fill).await?;
        }
        let select = Statement::new(sql::SELECT_BATCH_PAYOUTS).bind(batch.id.0);
        let payouts = fetch_all::<B::Db, _>(&mut tx, "loading a batch's payouts", select).await?;
        tx.commit().await.map_err(db_error("committing a payout batch"))?;
        Ok(payouts)
    }

    async fn payout_batch(&self, id: PayoutBatchId) -> StoreResult<Option<PayoutBatchRecord>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a payout batch", Statement::new(sql::SELECT_BATCH).bind(id.0))
            .await
    }

    async fn batch_payouts(&self, id: PayoutBatchId) -> StoreResult<Vec<PayoutRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_BATCH_PAYOUTS).bind(id.0);
        fetch_all::<B::Db, _>(&mut conn, "loading a batch's payouts", statement).await
    }

    async fn set_batch_paid(&self, id: PayoutBatchId, now: Timestamp) -> StoreResult<()> {
        let mut conn = self.writer().await?;
        let statement = Statement::new(sql::SET_BATCH_PAID).bind(id.0).bind(now);
        execute::<B::Db>(&mut conn, "marking a payout batch paid", statement).await.map(|_| ())
    }

    async fn set_scheduled_payout(&self, schedule: &ScheduledPayoutRecord) -> StoreResult<()> {
        let statement = Statement::new(sql::UPSERT_SCHEDULE)
            .bind(schedule.merchant_id)
            .bind(&schedule.currency)
            .bind(schedule.bank_account_id)
            .bind(schedule.threshold)
            .bind(schedule.last_day);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "setting a scheduled payout", statement).await.map(|_| ())
    }

    async fn delete_scheduled_payout(&self, merchant: MerchantId, currency: CurrencyCode) -> StoreResult<bool> {
        let statement = Statement::new(sql::DELETE_SCHEDULE).bind(merchant).bind(&currency);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "removing a scheduled payout", statement).await? == 1)
    }

    async fn scheduled_payouts_of(&self, merchant: MerchantId) -> StoreResult<Vec<ScheduledPayoutRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_SCHEDULES_OF).bind(merchant);
        fetch_all::<B::Db, _>(&mut conn, "loading scheduled payouts", statement).await
    }

    async fn scheduled_payouts_due(&self, day: i64, limit: u32) -> StoreResult<Vec<ScheduledPayoutRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_SCHEDULES_DUE).bind(day).bind(limit);
        fetch_all::<B::Db, _>(&mut conn, "loading due scheduled payouts", statement).await
    }

    async fn scheduled_payout_ran(&self, merchant: MerchantId, currency: CurrencyCode, day: i64) -> StoreResult<()> {
        let statement = Statement::new(sql::SCHEDULE_RAN).bind(merchant).bind(&currency).bind(day);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "recording a scheduled payout run", statement).await.map(|_| ())
    }

    async fn set_commission(&self, commission: &CommissionRecord) -> StoreResult<()> {
        let (kind, rate) = match commission.rate {
            CommissionRate::Fixed(amount) => (FIXED, amount.minor()),
            CommissionRate::Bps(bps) => (BPS, i64::from(bps)),
        };
        let statement = Statement::new(sql::UPSERT_COMMISSION)
            .bind(commission.operation.as_str())
            .bind(&commission.currency)
            .bind(kind)
            .bind(rate)
            .bind(commission.updated_by)
            .bind(commission.updated_at);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "setting a commission", statement).await.map(|_| ())
    }

    async fn commission(
        &self,
        operation: CommissionOperation,
        currency: CurrencyCode,
    ) -> StoreResult<Option<CommissionRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_COMMISSION).bind(operation.as_str()).bind(&currency);
        fetch_optional::<B::Db, _>(&mut conn, "loading a commission", statement).await
    }

    async fn commissions(&self) -> StoreResult<Vec<CommissionRecord>> {
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading commissions", Statement::new(sql::SELECT_COMMISSIONS)).await
    }

    async fn commission_earnings(&self, account: AccountId) -> StoreResult<EarningsTotal> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::EARNINGS).bind(account.0).bind(TransferCode::Commission.as_str());
        fetch_one::<B::Db, _>(&mut conn, "summing an agent's commissions", statement).await
    }

    async fn commission_earnings_since(&self, account: AccountId, since: Timestamp) -> StoreResult<EarningsTotal> {
        let mut conn = self.reader().await?;
        let statement =
            Statement::new(sql::EARNINGS_SINCE).bind(account.0).bind(TransferCode::Commission.as_str()).bind(since);
        fetch_one::<B::Db, _>(&mut conn, "summing an agent's commissions since a time", statement).await
    }

    async fn moved_since(
        &self,
        code: TransferCode,
        (debit, credit): (AccountId, AccountId),
        since: Timestamp,
    ) -> StoreResult<bool> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::MOVED_SINCE).bind(debit.0).bind(credit.0).bind(code.as_str()).bind(since);
        let found: Option<FoundId> =
            fetch_optional::<B::Db, _>(&mut conn, "looking for a recent transfer", statement).await?;
        Ok(found.is_some())
    }
}

/// A row that only says a transfer was found.
struct FoundId;

impl FromColumns for FoundId {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        row.uuid("id").map(|_| FoundId)
    }
}

impl FromColumns for BankAccountRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(BankAccountRecord {
            id: row.uuid("id")?,
            merchant_id: MerchantId(row.uuid("merchant_id")?),
            bank_name: row.text("bank_name")?,
            account_number: row.text("account_number")?,
            holder_name: row.text("holder_name")?,
            created_at: Timestamp(row.int("created_at")?),
        })
    }
}

impl FromColumns for PayoutRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(PayoutRecord {
            id: PayoutId(row.uuid("id")?),
            merchant_id: MerchantId(row.uuid("merchant_id")?),
            bank_account_id: row.uuid("bank_account_id")?,
            currency: currency("payouts", row, "currency")?,
            amount: amount(row, "amount")?,
            status: named("payouts", row, "status", PayoutStatus::parse)?,
            scheduled: row.int("scheduled")? != 0,
            batch_id: row.opt_uuid("batch_id")?.map(PayoutBatchId),
            created_at: Timestamp(row.int("created_at")?),
            updated_at: Timestamp(row.int("updated_at")?),
        })
    }
}

impl FromColumns for PayoutBatchRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(PayoutBatchRecord {
            id: PayoutBatchId(row.uuid("id")?),
            created_by: row.uuid("created_by")?,
            created_at: Timestamp(row.int("created_at")?),
            paid_at: row.opt_int("paid_at")?.map(Timestamp),
        })
    }
}

impl FromColumns for ScheduledPayoutRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(ScheduledPayoutRecord {
            merchant_id: MerchantId(row.uuid("merchant_id")?),
            currency: currency("scheduled_payouts", row, "currency")?,
            bank_account_id: row.uuid("bank_account_id")?,
            threshold: amount(row, "threshold")?,
            last_day: row.int("last_day")?,
        })
    }
}

impl FromColumns for CommissionRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let kind = row.text("rate_kind")?;
        let value = row.int("rate")?;
        let rate = match kind.as_str() {
            FIXED => CommissionRate::Fixed(quipu_domain::money::Amount::from_minor(value)),
            BPS => CommissionRate::Bps(
                u32::try_from(value).map_err(|_| corrupt("agent_commissions", format!("rate {value}")))?,
            ),
            other => return Err(corrupt("agent_commissions", format!("rate_kind {other:?}"))),
        };
        Ok(CommissionRecord {
            operation: named("agent_commissions", row, "operation", CommissionOperation::parse)?,
            currency: currency("agent_commissions", row, "currency")?,
            rate,
            updated_by: row.uuid("updated_by")?,
            updated_at: Timestamp(row.int("updated_at")?),
        })
    }
}

impl FromColumns for EarningsTotal {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let count = row.int("transfers")?;
        Ok(EarningsTotal {
            count: u64::try_from(count).map_err(|_| corrupt("transfers", format!("count {count}")))?,
            total: amount(row, "total")?,
        })
    }
}
