//! Quipu's PostgreSQL backend.
//!
//! Ledger batches and [`Store::sync`] commit with `synchronous_commit=on`
//! (the commit waits for the WAL flush, which covers every commit before it);
//! every other transaction commits with `synchronous_commit=off`, without
//! waiting, and is acknowledged only after one of those (see `Store::sync`).
//! Several Quipu processes may share one
//! database: ledger writers serialize on the single `ledger_clock` row
//! (`SELECT … FOR UPDATE`, always locked first), then lock the batch's
//! accounts in ascending id order, so concurrent batches never deadlock and
//! timestamps stay strictly increasing. Nothing here trusts a process-local
//! cache: every batch reads the rows it plans against under those locks.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;

use async_trait::async_trait;
use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::ledger::{
    Account, AccountFlags, AccountId, AccountKind, BatchKeys, Chain, ChainResult, Hold, LedgerView, Transfer,
    TransferId,
};
use quipu_domain::money::CurrencyCode;
use quipu_domain::verify::LedgerFacts;
use quipu_store::batch::{Lookup, commit_in_attempts};
use quipu_store::rows::{
    AccountRow, ApiKeyRow, FundingSourceRow, HoldRow, IdempotencyRow, MerchantRow, SessionRow, SumsRow, TransferRow,
    UserRow,
};
use quipu_store::{
    AccountOwner, ApiKeyRecord, Enrollment, FundingSourceRecord, HistoryQuery, IdempotencyRecord, MAX_PAGE,
    MerchantRecord, OwnedAccount, SessionRecord, Store, StoreError, StoreResult, UserRecord, db_error, sql,
};
use sqlx::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use uuid::Uuid;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The ledger writers' lock: taken first in every batch, it serializes
/// batches across processes and hands out the clock under the lock.
const LOCK_LEDGER_CLOCK: &str = "SELECT last_timestamp FROM ledger_clock WHERE id = 1 FOR UPDATE";

/// This transaction's commit waits for its WAL to be flushed, and with it every commit before.
const DURABLE_COMMIT: &str = "SET LOCAL synchronous_commit = on";

/// Takes `ledger_facts`' queries to one read-only snapshot.
const SET_SNAPSHOT: &str = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` and runs migrations (under sqlx's advisory lock, so
    /// several processes may start at once).
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(db_error("parsing postgres options"))?
            // Commits do not wait for the disk unless they say so (ledger batches and syncs do; see
            // Store::sync), whatever the server's default. Read committed, whatever the server's
            // default: after a batch takes the clock lock, each statement sees what the previous
            // writer committed. (sqlx passes these as `-c key=value` unescaped, hence the `\ `.)
            .options([("synchronous_commit", "off"), ("default_transaction_isolation", r"read\ committed")]);
        // No ping before each use: it is a round trip per statement. A connection the server
        // dropped fails its next statement instead, which the caller sees as retryable.
        let pool = PgPoolOptions::new()
            .test_before_acquire(false)
            .max_connections(max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(db_error("connecting to postgres"))?;
        MIGRATOR.run(&pool).await.map_err(db_error("running postgres migrations"))?;
        Ok(Self { pool })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn conflict_on_unique(context: &'static str, what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => db_error(context)(error),
    }
}

/// Runs `select`, whose `$1` is a `UUID[]`, with `ids`; skips the round-trip when there are none.
async fn fetch_any<T>(conn: &mut PgConnection, select: &str, ids: &[Uuid]) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
{
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as::<_, T>(select).bind(ids).fetch_all(&mut *conn).await.map_err(db_error("loading a batch's rows"))
}

/// Locks the clock, then loads the batch's holds (and, on a second attempt, its stored transfers), then
/// locks its accounts in ascending id order.
async fn load_view(conn: &mut PgConnection, chains: &[Chain], lookup: Lookup) -> StoreResult<LedgerView> {
    let last_timestamp: i64 = sqlx::query_scalar(LOCK_LEDGER_CLOCK)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error("locking the ledger clock"))?;
    let keys = BatchKeys::of(chains);
    let transfers = match lookup {
        Lookup::AssumeNew => HashMap::new(),
        Lookup::LoadStored => {
            let transfer_ids: Vec<Uuid> = keys.transfer_ids.iter().map(|id| id.0).collect();
            let select = format!("SELECT {} FROM transfers WHERE id = ANY($1)", sql::TRANSFER_COLUMNS);
            fetch_any::<TransferRow>(conn, &select, &transfer_ids)
                .await?
                .into_iter()
                .map(|row| row.into_transfer().map(|t| (t.id, t)))
                .collect::<StoreResult<HashMap<_, _>>>()?
        }
    };
    let pending_ids: Vec<Uuid> = keys.pending_ids.iter().map(|id| id.0).collect();
    let holds = fetch_any::<HoldRow>(
        conn,
        &format!("SELECT {} FROM holds WHERE pending_id = ANY($1)", sql::HOLD_COLUMNS),
        &pending_ids,
    )
    .await?
    .into_iter()
    .map(|row| row.into_hold().map(|h| (h.pending_id, h)))
    .collect::<StoreResult<HashMap<_, _>>>()?;
    let account_ids: Vec<Uuid> = LedgerView::account_ids_to_lock(&keys, &holds).into_iter().map(|id| id.0).collect();
    let accounts = fetch_any::<AccountRow>(
        conn,
        &format!("SELECT {} FROM accounts WHERE id = ANY($1) ORDER BY id FOR UPDATE", sql::ACCOUNT_COLUMNS),
        &account_ids,
    )
    .await?
    .into_iter()
    .map(|row| row.into_account().map(|a| (a.id, a)))
    .collect::<StoreResult<HashMap<_, _>>>()?;
    Ok(LedgerView { accounts, transfers, holds, last_timestamp: Timestamp(last_timestamp) })
}

/// Every column of a batch's transfers bound as an array: one statement text however many rows.
const INSERT_TRANSFERS_UNNEST: &str = "INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, \
     currency, code, reference, kind, pending_id, expires_at, timestamp) \
     SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::int8[], $5::text[], $6::text[], $7::text[], \
     $8::text[], $9::uuid[], $10::int8[], $11::int8[]) ON CONFLICT (id) DO NOTHING";

const UPDATE_BALANCES_UNNEST: &str = "UPDATE accounts SET debits_posted = v.debits_posted, \
     credits_posted = v.credits_posted, debits_pending = v.debits_pending, credits_pending = v.credits_pending \
     FROM UNNEST($1::uuid[], $2::int8[], $3::int8[], $4::int8[], $5::int8[]) \
     AS v(id, debits_posted, credits_posted, debits_pending, credits_pending) WHERE accounts.id = v.id";

/// Inserts a batch's new transfers in one statement; returns how many were
/// new. Fewer than given means a command id was already stored.
async fn insert_transfers(conn: &mut PgConnection, transfers: &[Transfer]) -> StoreResult<u64> {
    if transfers.is_empty() {
        return Ok(0);
    }
    let done = sqlx::query(INSERT_TRANSFERS_UNNEST)
        .bind(transfers.iter().map(|t| t.id.0).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.debit_account_id.0).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.credit_account_id.0).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.amount.0).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.currency.as_str()).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.code.as_str()).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.reference.as_str()).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.pending_id.map(|id| id.0)).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.expires_at.map(|ts| ts.0)).collect::<Vec<_>>())
        .bind(transfers.iter().map(|t| t.timestamp.0).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await
        .map_err(db_error("inserting transfers"))?;
    Ok(done.rows_affected())
}

/// Writes a batch's new balances in one statement, each account once.
async fn update_balances(conn: &mut PgConnection, accounts: &[Account]) -> StoreResult<()> {
    if accounts.is_empty() {
        return Ok(());
    }
    let balance = |f: fn(&Account) -> i64| accounts.iter().map(f).collect::<Vec<_>>();
    sqlx::query(UPDATE_BALANCES_UNNEST)
        .bind(accounts.iter().map(|a| a.id.0).collect::<Vec<_>>())
        .bind(balance(|a| a.balances.debits_posted))
        .bind(balance(|a| a.balances.credits_posted))
        .bind(balance(|a| a.balances.debits_pending))
        .bind(balance(|a| a.balances.credits_pending))
        .execute(&mut *conn)
        .await
        .map_err(db_error("updating balances"))?;
    Ok(())
}

async fn upsert_hold(conn: &mut PgConnection, h: &Hold) -> StoreResult<()> {
    sqlx::query(sql::UPSERT_HOLD)
        .bind(h.pending_id.0)
        .bind(h.debit_account_id.0)
        .bind(h.credit_account_id.0)
        .bind(h.amount.0)
        .bind(h.currency.as_str())
        .bind(h.expires_at.map(|ts| ts.0))
        .bind(h.state.as_str())
        .execute(&mut *conn)
        .await
        .map_err(db_error("writing a hold"))?;
    Ok(())
}

async fn insert_account(conn: &mut PgConnection, statement: &str, owned: &OwnedAccount) -> Result<u64, sqlx::Error> {
    let a = &owned.account;
    sqlx::query(statement)
        .bind(a.id.0)
        .bind(a.currency.as_str())
        .bind(a.kind.as_str())
        .bind(i64::from(a.flags.0))
        .bind(a.balances.debits_posted)
        .bind(a.balances.credits_posted)
        .bind(a.balances.debits_pending)
        .bind(a.balances.credits_pending)
        .bind(owned.owner.kind_str())
        .bind(owned.owner.id())
        .bind(a.created_at.0)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
}

async fn insert_user(conn: &mut PgConnection, u: &UserRecord) -> Result<(), sqlx::Error> {
    sqlx::query(sql::INSERT_USER)
        .bind(u.id.0)
        .bind(u.role.as_str())
        .bind(&u.phone)
        .bind(&u.full_name)
        .bind(&u.password_hash)
        .bind(&u.pin_hash)
        .bind(u.merchant_id.map(|m| m.0))
        .bind(i64::from(u.pin_failed_attempts))
        .bind(u.pin_locked_until.map(|t| t.0))
        .bind(i64::from(u.login_failed_attempts))
        .bind(u.login_locked_until.map(|t| t.0))
        .bind(u.created_at.0)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

quipu_store::ledger_batch_write!(PgConnection);

async fn stored_transfer_ids(conn: &mut PgConnection, ids: &[Uuid]) -> StoreResult<Vec<(Uuid,)>> {
    fetch_any(conn, "SELECT id FROM transfers WHERE id = ANY($1)", ids).await
}

impl PostgresStore {
    /// One try at a ledger batch in one transaction. `None` when a command id
    /// assumed new was already stored: nothing is written, and the caller
    /// tries again with [`Lookup::LoadStored`].
    async fn attempt_batch(
        &self,
        chains: &[Chain],
        now: Timestamp,
        lookup: Lookup,
    ) -> StoreResult<Option<Vec<ChainResult>>> {
        let mut tx = self.pool.begin().await.map_err(db_error("starting a ledger batch"))?;
        sqlx::query(DURABLE_COMMIT).execute(&mut *tx).await.map_err(db_error("making a ledger batch durable"))?;
        let written = write_batch(&mut tx, chains, now, lookup).await?;
        match written {
            Some(_) => tx.commit().await.map_err(db_error("committing a ledger batch"))?,
            None => tx.rollback().await.map_err(db_error("rolling back a ledger batch"))?,
        }
        Ok(written)
    }
}

quipu_store::payment_store_methods!(PostgresStore, pool, pool);
quipu_store::shared_store_methods!(PostgresStore, pool);
quipu_store::card_store_methods!(PostgresStore, pool, pool, sqlx::PgConnection);

// Concurrent transactions take seqs in one order and may commit in another; this lock makes the two agree.
quipu_store::event_store_methods!(
    PostgresStore,
    pool,
    pool,
    sqlx::PgConnection,
    "SELECT pg_advisory_xact_lock(7077070)"
);

#[async_trait]
impl Store for PostgresStore {
    fn backend_name(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db_error("pinging postgres"))?;
        Ok(())
    }

    async fn commit_batch(&self, chains: &[Chain], now: Timestamp) -> StoreResult<Vec<ChainResult>> {
        // See quipu_store::batch: the first attempt reads no transfer ids.
        commit_in_attempts(|lookup| self.attempt_batch(chains, now, lookup)).await
    }

    async fn account(&self, id: AccountId) -> StoreResult<Option<OwnedAccount>> {
        let row: Option<AccountRow> = sqlx::query_as(sql::SELECT_ACCOUNT)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("loading an account"))?;
        row.map(AccountRow::into_owned).transpose()
    }

    async fn accounts_of(&self, owner: AccountOwner) -> StoreResult<Vec<Account>> {
        let rows: Vec<AccountRow> = sqlx::query_as(sql::SELECT_ACCOUNTS_OF)
            .bind(owner.kind_str())
            .bind(owner.id())
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("loading an owner's accounts"))?;
        rows.into_iter().map(AccountRow::into_account).collect()
    }

    async fn ensure_account(&self, template: &OwnedAccount) -> StoreResult<Account> {
        let mut conn = self.pool.acquire().await.map_err(db_error("acquiring a connection"))?;
        insert_account(&mut conn, sql::INSERT_ACCOUNT_IF_ABSENT, template)
            .await
            .map_err(db_error("creating an account"))?;
        let row: AccountRow = sqlx::query_as(sql::SELECT_ACCOUNT_BY_OWNER_KIND)
            .bind(template.owner.kind_str())
            .bind(template.owner.id())
            .bind(template.account.kind.as_str())
            .bind(template.account.currency.as_str())
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error("loading an ensured account"))?;
        row.into_account()
    }

    async fn update_account_flags(
        &self,
        id: AccountId,
        set: AccountFlags,
        clear: AccountFlags,
    ) -> StoreResult<Option<Account>> {
        let mut tx = self.pool.begin().await.map_err(db_error("starting a flag update"))?;
        let row: Option<AccountRow> = sqlx::query_as(&format!("{} FOR UPDATE", sql::SELECT_ACCOUNT))
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error("loading an account"))?;
        let Some(row) = row else { return Ok(None) };
        let mut account = row.into_account()?;
        account.flags = account.flags.with(set).without(clear);
        sqlx::query(sql::UPDATE_ACCOUNT_FLAGS)
            .bind(id.0)
            .bind(i64::from(account.flags.0))
            .execute(&mut *tx)
            .await
            .map_err(db_error("updating account flags"))?;
        tx.commit().await.map_err(db_error("committing a flag update"))?;
        Ok(Some(account))
    }

    async fn transfer(&self, id: TransferId) -> StoreResult<Option<Transfer>> {
        let row: Option<TransferRow> = sqlx::query_as(sql::SELECT_TRANSFER)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("loading a transfer"))?;
        row.map(TransferRow::into_transfer).transpose()
    }

    async fn history(&self, query: &HistoryQuery) -> StoreResult<Vec<Transfer>> {
        let code_filter = if query.codes.is_empty() {
            String::new()
        } else {
            // Codes come from a closed enum, never from input text.
            let list: Vec<String> = query.codes.iter().map(|c| format!("'{}'", c.as_str())).collect();
            format!(" AND code IN ({})", list.join(", "))
        };
        let rows: Vec<TransferRow> = sqlx::query_as(&sql::history_sql(&code_filter))
            .bind(query.account.0)
            .bind(query.before.map_or(i64::MAX, |t| t.0))
            .bind(query.from.map_or(i64::MIN, |t| t.0))
            .bind(query.to.map_or(i64::MAX, |t| t.0))
            .bind(i64::from(query.limit.min(MAX_PAGE)))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("loading history"))?;
        rows.into_iter().map(TransferRow::into_transfer).collect()
    }

    async fn expired_holds(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TransferId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(sql::SELECT_EXPIRED_HOLDS)
            .bind(now.0)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("finding expired holds"))?;
        Ok(ids.into_iter().map(TransferId).collect())
    }

    async fn ledger_facts(&self) -> StoreResult<LedgerFacts> {
        // One read-only repeatable-read transaction, so every query sees the same snapshot.
        let mut tx = self.pool.begin().await.map_err(db_error("starting verification"))?;
        sqlx::query(SET_SNAPSHOT).execute(&mut *tx).await.map_err(db_error("taking a verification snapshot"))?;
        let accounts: Vec<AccountRow> =
            sqlx::query_as(sql::SELECT_ALL_ACCOUNTS).fetch_all(&mut *tx).await.map_err(db_error("loading accounts"))?;
        let accounts = accounts.into_iter().map(AccountRow::into_account).collect::<StoreResult<Vec<_>>>()?;
        let mut facts = LedgerFacts { accounts, ..LedgerFacts::default() };
        let posted: Vec<SumsRow> =
            sqlx::query_as(sql::POSTED_SUMS).fetch_all(&mut *tx).await.map_err(db_error("summing posted"))?;
        let pending: Vec<SumsRow> = sqlx::query_as(sql::UNSETTLED_PENDING_SUMS)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error("summing pending"))?;
        let holds: Vec<SumsRow> =
            sqlx::query_as(sql::OPEN_HOLD_SUMS).fetch_all(&mut *tx).await.map_err(db_error("summing holds"))?;
        let mismatches: Vec<Uuid> = sqlx::query_scalar(sql::CURRENCY_MISMATCHES)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error("checking currencies"))?;
        let unknown_accounts: Vec<Uuid> = sqlx::query_scalar(sql::UNKNOWN_ACCOUNT_TRANSFERS)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error("checking transfers' accounts"))?;
        let settlements: Vec<Uuid> = sqlx::query_scalar(sql::SETTLEMENT_MISMATCHES)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error("checking settlements"))?;
        let hold_records: Vec<Uuid> = sqlx::query_scalar(sql::HOLD_RECORD_MISMATCHES)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_error("checking holds"))?;
        let duplicates: i64 = sqlx::query_scalar(sql::DUPLICATE_TIMESTAMPS)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_error("checking timestamps"))?;
        tx.rollback().await.map_err(db_error("ending verification"))?;
        quipu_store::assemble_facts(&mut facts, posted, pending, holds);
        facts.currency_mismatches = mismatches.into_iter().map(TransferId).collect();
        facts.unknown_account_transfers = unknown_accounts.into_iter().map(TransferId).collect();
        facts.settlement_mismatches = settlements.into_iter().map(TransferId).collect();
        facts.hold_record_mismatches = hold_records.into_iter().map(TransferId).collect();
        facts.duplicate_timestamps = u64::try_from(duplicates).unwrap_or(0);
        Ok(facts)
    }

    async fn system_account(&self, kind: AccountKind, currency: CurrencyCode) -> StoreResult<Option<Account>> {
        let row: Option<AccountRow> = sqlx::query_as(sql::SELECT_ACCOUNT_BY_OWNER_KIND)
            .bind(AccountOwner::System.kind_str())
            .bind(AccountOwner::System.id())
            .bind(kind.as_str())
            .bind(currency.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("loading a system account"))?;
        row.map(AccountRow::into_account).transpose()
    }

    async fn enroll(&self, enrollment: &Enrollment) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(db_error("starting an enrollment"))?;
        if let Some(merchant) = &enrollment.merchant {
            sqlx::query(sql::INSERT_MERCHANT)
                .bind(merchant.id.0)
                .bind(&merchant.name)
                .bind(merchant.created_at.0)
                .bind(i64::from(merchant.fee_bps))
                .bind(i64::from(merchant.cashiers_may_refund))
                .bind(&merchant.city)
                .bind(&merchant.category_code)
                .execute(&mut *tx)
                .await
                .map_err(conflict_on_unique("inserting a merchant", "merchant exists"))?;
        }
        for user in &enrollment.users {
            insert_user(&mut tx, user)
                .await
                .map_err(conflict_on_unique("inserting a user", "phone number already registered"))?;
        }
        for account in &enrollment.accounts {
            insert_account(&mut tx, sql::INSERT_ACCOUNT, account)
                .await
                .map_err(conflict_on_unique("inserting an account", "account exists"))?;
        }
        tx.commit().await.map_err(db_error("committing an enrollment"))?;
        Ok(())
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<UserRecord>> {
        let row: Option<UserRow> = sqlx::query_as(sql::SELECT_USER)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("loading a user"))?;
        row.map(UserRow::into_record).transpose()
    }

    async fn user_by_phone(&self, phone: &str) -> StoreResult<Option<UserRecord>> {
        let row: Option<UserRow> = sqlx::query_as(sql::SELECT_USER_BY_PHONE)
            .bind(phone)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("loading a user by phone"))?;
        row.map(UserRow::into_record).transpose()
    }

    async fn merchant_staff(&self, merchant: MerchantId) -> StoreResult<Vec<UserRecord>> {
        let rows: Vec<UserRow> = sqlx::query_as(sql::SELECT_MERCHANT_STAFF)
            .bind(merchant.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("loading merchant staff"))?;
        rows.into_iter().map(UserRow::into_record).collect()
    }

    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        sqlx::query(sql::INSERT_SESSION)
            .bind(&session.token_hash)
            .bind(session.user_id.0)
            .bind(session.created_at.0)
            .bind(session.expires_at.0)
            .execute(&self.pool)
            .await
            .map_err(db_error("inserting a session"))?;
        Ok(())
    }

    async fn session(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        let row: Option<SessionRow> = sqlx::query_as(sql::SELECT_SESSION)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("loading a session"))?;
        Ok(row.map(SessionRecord::from))
    }

    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()> {
        sqlx::query(sql::DELETE_SESSION)
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(db_error("deleting a session"))?;
        Ok(())
    }

    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        let row: Option<MerchantRow> = sqlx::query_as(sql::SELECT_MERCHANT)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("loading a merchant"))?;
        row.map(MerchantRow::into_record).transpose()
    }

    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        sqlx::query(sql::INSERT_API_KEY)
            .bind(key.id)
            .bind(key.merchant_id.0)
            .bind(&key.prefix)
            .bind(&key.secret_hash)
            .bind(key.created_at.0)
            .bind(key.revoked_at.map(|t| t.0))
            .execute(&self.pool)
            .await
            .map_err(conflict_on_unique("inserting an api key", "api key prefix exists"))?;
        Ok(())
    }

    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let row: Option<ApiKeyRow> = sqlx::query_as(sql::SELECT_API_KEY_BY_PREFIX)
            .bind(prefix)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("loading an api key"))?;
        Ok(row.map(ApiKeyRecord::from))
    }

    async fn revoke_api_key(&self, id: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool> {
        let revoked = sqlx::query(sql::REVOKE_API_KEY)
            .bind(id)
            .bind(merchant.0)
            .bind(now.0)
            .execute(&self.pool)
            .await
            .map_err(db_error("revoking an api key"))?
            .rows_affected();
        Ok(revoked == 1)
    }

    async fn insert_funding_source(&self, source: &FundingSourceRecord, max: u32) -> StoreResult<bool> {
        let inserted = sqlx::query(sql::INSERT_FUNDING_SOURCE)
            .bind(source.id)
            .bind(source.user_id.0)
            .bind(&source.bank_name)
            .bind(&source.account_number)
            .bind(source.created_at.0)
            .bind(i64::from(max))
            .execute(&self.pool)
            .await
            .map_err(db_error("inserting a funding source"))?
            .rows_affected();
        Ok(inserted == 1)
    }

    async fn funding_sources(&self, user: UserId) -> StoreResult<Vec<FundingSourceRecord>> {
        let rows: Vec<FundingSourceRow> = sqlx::query_as(sql::SELECT_FUNDING_SOURCES)
            .bind(user.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db_error("loading funding sources"))?;
        Ok(rows.into_iter().map(FundingSourceRecord::from).collect())
    }

    async fn idempotency_record(&self, scope: Uuid, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row: Option<IdempotencyRow> = sqlx::query_as(sql::SELECT_IDEMPOTENCY)
            .bind(scope)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_error("loading an idempotency record"))?;
        row.map(IdempotencyRow::into_record).transpose()
    }

    async fn save_idempotency_record(&self, record: &IdempotencyRecord) -> StoreResult<IdempotencyRecord> {
        let mut conn = self.pool.acquire().await.map_err(db_error("acquiring a connection"))?;
        sqlx::query(sql::INSERT_IDEMPOTENCY)
            .bind(record.scope)
            .bind(&record.key)
            .bind(&record.request_hash)
            .bind(i64::from(record.status))
            .bind(&record.body)
            .bind(record.created_at.0)
            .execute(&mut *conn)
            .await
            .map_err(db_error("saving an idempotency record"))?;
        let row: IdempotencyRow = sqlx::query_as(sql::SELECT_IDEMPOTENCY)
            .bind(record.scope)
            .bind(&record.key)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_error("reloading an idempotency record"))?;
        row.into_record()
    }

    async fn backup(&self, _destination: &Path) -> StoreResult<()> {
        Err(StoreError::Unsupported("use pg_dump for PostgreSQL backups"))
    }
}
