//! Quipu's embedded SQLite backend.
//!
//! One file in WAL mode. Ledger batches and [`Store::sync`] commit with
//! `synchronous=FULL` (the WAL is fsynced, and with it every commit before);
//! every other write commits with `synchronous=NORMAL`, without waiting for
//! the disk, and is acknowledged only after one of those (see `Store::sync`).
//! Writes go through a pool of exactly one
//! connection: SQLite allows one writer anyway, and a single connection
//! means a transaction never meets `SQLITE_BUSY` half-way. Reads use a
//! separate pool and see committed snapshots.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::ledger::{
    Account, AccountFlags, AccountId, AccountKind, BatchKeys, Chain, ChainResult, Hold, LedgerView, Transfer,
    TransferId,
};
use quipu_domain::money::CurrencyCode;
use quipu_domain::verify::LedgerFacts;
use quipu_store::batch::{Lookup, commit_in_attempts, statement_chunks};
use quipu_store::rows::{
    AccountRow, ApiKeyRow, FundingSourceRow, HoldRow, IdempotencyRow, MerchantRow, SessionRow, SumsRow, TransferRow,
    UserRow,
};
use quipu_store::{
    AccountOwner, ApiKeyRecord, Enrollment, FundingSourceRecord, HistoryQuery, IdempotencyRecord, MAX_PAGE,
    MerchantRecord, OwnedAccount, SessionRecord, Store, StoreError, StoreResult, UserRecord, db_error, sql,
};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection, SqlitePool};
use uuid::Uuid;

/// Keeps each `IN (…)` list far below SQLite's bound-parameter limit.
const IN_LIST_CHUNK: usize = 500;

/// The writer's page cache, in KiB (negative `cache_size` is KiB): a batch
/// touches index pages all over the transfers and accounts trees, and SQLite's
/// 2 MiB default sends most of those reads to the OS.
const WRITER_CACHE_KIB: &str = "-65536";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs migrations.
    pub async fn open(path: &Path, read_connections: u32) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(db_error("parsing sqlite options"))?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        migrate(&options).await?;
        // No ping before each use: the database is in this process, and a ping is one more hop to
        // the connection's worker thread per statement.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone().synchronous(SqliteSynchronous::Normal).pragma("cache_size", WRITER_CACHE_KIB))
            .await
            .map_err(db_error("opening the sqlite writer"))?;
        let reader = SqlitePoolOptions::new()
            .test_before_acquire(false)
            .max_connections(read_connections.max(1))
            .connect_with(options.read_only(true))
            .await
            .map_err(db_error("opening sqlite readers"))?;
        Ok(Self { writer, reader })
    }

    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Runs the migrations on a connection of their own with foreign keys off,
/// as SQLite's procedure for rebuilding a table requires (a rebuild drops a
/// table others refer to), then checks every foreign key still holds.
async fn migrate(options: &SqliteConnectOptions) -> StoreResult<()> {
    let mut conn = SqliteConnection::connect_with(&options.clone().foreign_keys(false))
        .await
        .map_err(db_error("opening the sqlite migration connection"))?;
    MIGRATOR.run(&mut conn).await.map_err(db_error("running sqlite migrations"))?;
    let broken: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check LIMIT 20")
        .fetch_all(&mut conn)
        .await
        .map_err(db_error("checking foreign keys after migrations"))?;
    if !broken.is_empty() {
        let tables: Vec<String> = broken.into_iter().map(|(table,)| table).collect();
        return Err(quipu_store::corrupt("foreign keys", format!("broken references in {}", tables.join(", "))));
    }
    conn.close().await.map_err(db_error("closing the sqlite migration connection"))?;
    Ok(())
}

fn conflict_on_unique(context: &'static str, what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => db_error(context)(error),
    }
}

async fn fetch_in<T>(conn: &mut SqliteConnection, select: &str, column: &str, ids: &[Uuid]) -> StoreResult<Vec<T>>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
{
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IN_LIST_CHUNK) {
        let mut builder = QueryBuilder::<Sqlite>::new(select);
        builder.push(" WHERE ").push(column).push(" IN (");
        let mut list = builder.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        builder.push(")");
        let mut fetched =
            builder.build_query_as::<T>().fetch_all(&mut *conn).await.map_err(db_error("loading a batch's rows"))?;
        rows.append(&mut fetched);
    }
    Ok(rows)
}

async fn load_view(conn: &mut SqliteConnection, chains: &[Chain], lookup: Lookup) -> StoreResult<LedgerView> {
    let keys = BatchKeys::of(chains);
    let transfers = match lookup {
        Lookup::AssumeNew => HashMap::new(),
        Lookup::LoadStored => {
            let transfer_ids: Vec<Uuid> = keys.transfer_ids.iter().map(|id| id.0).collect();
            let select = format!("SELECT {} FROM transfers", sql::TRANSFER_COLUMNS);
            fetch_in::<TransferRow>(conn, &select, "id", &transfer_ids)
                .await?
                .into_iter()
                .map(|row| row.into_transfer().map(|t| (t.id, t)))
                .collect::<StoreResult<HashMap<_, _>>>()?
        }
    };
    let pending_ids: Vec<Uuid> = keys.pending_ids.iter().map(|id| id.0).collect();
    let holds =
        fetch_in::<HoldRow>(conn, &format!("SELECT {} FROM holds", sql::HOLD_COLUMNS), "pending_id", &pending_ids)
            .await?
            .into_iter()
            .map(|row| row.into_hold().map(|h| (h.pending_id, h)))
            .collect::<StoreResult<HashMap<_, _>>>()?;
    let account_ids: Vec<Uuid> = LedgerView::account_ids_to_lock(&keys, &holds).into_iter().map(|id| id.0).collect();
    let accounts =
        fetch_in::<AccountRow>(conn, &format!("SELECT {} FROM accounts", sql::ACCOUNT_COLUMNS), "id", &account_ids)
            .await?
            .into_iter()
            .map(|row| row.into_account().map(|a| (a.id, a)))
            .collect::<StoreResult<HashMap<_, _>>>()?;
    let last_timestamp: i64 = sqlx::query_scalar(sql::SELECT_LAST_TIMESTAMP)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_error("reading the ledger clock"))?;
    Ok(LedgerView { accounts, transfers, holds, last_timestamp: Timestamp(last_timestamp) })
}

/// Inserts a batch's new transfers, many rows per statement; returns how many
/// were new. One fewer than given means a command id was already stored.
async fn insert_transfers(conn: &mut SqliteConnection, transfers: &[Transfer]) -> StoreResult<u64> {
    let mut inserted = 0;
    for chunk in statement_chunks(transfers) {
        let mut builder = QueryBuilder::<Sqlite>::new(format!("INSERT INTO transfers ({}) ", sql::TRANSFER_COLUMNS));
        builder.push_values(chunk, |mut row, t| {
            row.push_bind(t.id.0)
                .push_bind(t.debit_account_id.0)
                .push_bind(t.credit_account_id.0)
                .push_bind(t.amount.0)
                .push_bind(t.currency.as_str())
                .push_bind(t.code.as_str())
                .push_bind(&t.reference)
                .push_bind(t.kind.as_str())
                .push_bind(t.pending_id.map(|id| id.0))
                .push_bind(t.expires_at.map(|ts| ts.0))
                .push_bind(t.timestamp.0);
        });
        builder.push(" ON CONFLICT (id) DO NOTHING");
        let done = builder.build().execute(&mut *conn).await.map_err(db_error("inserting transfers"))?;
        inserted += done.rows_affected();
    }
    Ok(inserted)
}

/// Writes a batch's new balances, many accounts per statement.
async fn update_balances(conn: &mut SqliteConnection, accounts: &[Account]) -> StoreResult<()> {
    for chunk in statement_chunks(accounts) {
        // A VALUES list's columns are column1, column2, … in SQLite.
        let mut builder = QueryBuilder::<Sqlite>::new(
            "UPDATE accounts SET debits_posted = v.column2, credits_posted = v.column3, \
             debits_pending = v.column4, credits_pending = v.column5 FROM (",
        );
        builder.push_values(chunk, |mut row, a| {
            row.push_bind(a.id.0)
                .push_bind(a.balances.debits_posted)
                .push_bind(a.balances.credits_posted)
                .push_bind(a.balances.debits_pending)
                .push_bind(a.balances.credits_pending);
        });
        builder.push(") AS v WHERE accounts.id = v.column1");
        builder.build().execute(&mut *conn).await.map_err(db_error("updating balances"))?;
    }
    Ok(())
}

async fn upsert_hold(conn: &mut SqliteConnection, h: &Hold) -> StoreResult<()> {
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

async fn insert_account(
    conn: &mut SqliteConnection,
    statement: &str,
    owned: &OwnedAccount,
) -> Result<u64, sqlx::Error> {
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

async fn insert_user(conn: &mut SqliteConnection, u: &UserRecord) -> Result<(), sqlx::Error> {
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

impl SqliteStore {
    /// One try at a ledger batch in one transaction. `None` when a command id
    /// assumed new was already stored: nothing is written, and the caller
    /// tries again with [`Lookup::LoadStored`].
    async fn attempt_batch(
        &self,
        chains: &[Chain],
        now: Timestamp,
        lookup: Lookup,
    ) -> StoreResult<Option<Vec<ChainResult>>> {
        let mut conn = self.writer.acquire().await.map_err(db_error("acquiring the writer"))?;
        set_synchronous(&mut conn, true).await?;
        let attempt = attempt_batch_on(&mut conn, chains, now, lookup).await;
        // Left at FULL, the connection would only be slower.
        let _ = set_synchronous(&mut conn, false).await;
        attempt
    }
}

/// Sets whether the writer's commits wait for the disk (FULL) or not (NORMAL); SQLite allows it only
/// between transactions.
async fn set_synchronous(conn: &mut SqliteConnection, durable: bool) -> StoreResult<()> {
    let statement = if durable { "PRAGMA synchronous = FULL" } else { "PRAGMA synchronous = NORMAL" };
    sqlx::query(statement).execute(&mut *conn).await.map_err(db_error("setting synchronous"))?;
    Ok(())
}

/// [`SqliteStore::attempt_batch`] on the writer connection, which is set to commit durably.
async fn attempt_batch_on(
    conn: &mut SqliteConnection,
    chains: &[Chain],
    now: Timestamp,
    lookup: Lookup,
) -> StoreResult<Option<Vec<ChainResult>>> {
    let mut tx = conn.begin().await.map_err(db_error("starting a ledger batch"))?;
    let written = write_batch(&mut tx, chains, now, lookup).await?;
    match written {
        Some(_) => tx.commit().await.map_err(db_error("committing a ledger batch"))?,
        None => tx.rollback().await.map_err(db_error("rolling back a ledger batch"))?,
    }
    Ok(written)
}

quipu_store::ledger_batch_write!(SqliteConnection);

async fn stored_transfer_ids(conn: &mut SqliteConnection, ids: &[Uuid]) -> StoreResult<Vec<(Uuid,)>> {
    fetch_in(conn, "SELECT id FROM transfers", "id", ids).await
}

quipu_store::payment_store_methods!(SqliteStore, writer, reader);
quipu_store::shared_store_methods!(SqliteStore, writer);
quipu_store::card_store_methods!(SqliteStore, writer, reader, sqlx::SqliteConnection);
// SQLite has one writer, so events already commit in seq order.
quipu_store::event_store_methods!(SqliteStore, writer, reader, sqlx::SqliteConnection, "SELECT 1");

#[async_trait]
impl Store for SqliteStore {
    fn backend_name(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await.map_err(db_error("pinging sqlite"))?;
        Ok(())
    }

    async fn commit_batch(&self, chains: &[Chain], now: Timestamp) -> StoreResult<Vec<ChainResult>> {
        // See quipu_store::batch: the first attempt reads no transfer ids.
        commit_in_attempts(|lookup| self.attempt_batch(chains, now, lookup)).await
    }

    async fn account(&self, id: AccountId) -> StoreResult<Option<OwnedAccount>> {
        let row: Option<AccountRow> = sqlx::query_as(sql::SELECT_ACCOUNT)
            .bind(id.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error("loading an account"))?;
        row.map(AccountRow::into_owned).transpose()
    }

    async fn accounts_of(&self, owner: AccountOwner) -> StoreResult<Vec<Account>> {
        let rows: Vec<AccountRow> = sqlx::query_as(sql::SELECT_ACCOUNTS_OF)
            .bind(owner.kind_str())
            .bind(owner.id())
            .fetch_all(&self.reader)
            .await
            .map_err(db_error("loading an owner's accounts"))?;
        rows.into_iter().map(AccountRow::into_account).collect()
    }

    async fn ensure_account(&self, template: &OwnedAccount) -> StoreResult<Account> {
        let mut conn = self.writer.acquire().await.map_err(db_error("acquiring the writer"))?;
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
        let mut tx = self.writer.begin().await.map_err(db_error("starting a flag update"))?;
        let row: Option<AccountRow> = sqlx::query_as(sql::SELECT_ACCOUNT)
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
            .fetch_optional(&self.reader)
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
            .fetch_all(&self.reader)
            .await
            .map_err(db_error("loading history"))?;
        rows.into_iter().map(TransferRow::into_transfer).collect()
    }

    async fn expired_holds(&self, now: Timestamp, limit: u32) -> StoreResult<Vec<TransferId>> {
        let ids: Vec<Uuid> = sqlx::query_scalar(sql::SELECT_EXPIRED_HOLDS)
            .bind(now.0)
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await
            .map_err(db_error("finding expired holds"))?;
        Ok(ids.into_iter().map(TransferId).collect())
    }

    async fn ledger_facts(&self) -> StoreResult<LedgerFacts> {
        // One read transaction, so every query sees the same snapshot.
        let mut tx = self.reader.begin().await.map_err(db_error("starting verification"))?;
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
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error("loading a system account"))?;
        row.map(AccountRow::into_account).transpose()
    }

    async fn enroll(&self, enrollment: &Enrollment) -> StoreResult<()> {
        let mut tx = self.writer.begin().await.map_err(db_error("starting an enrollment"))?;
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
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error("loading a user"))?;
        row.map(UserRow::into_record).transpose()
    }

    async fn user_by_phone(&self, phone: &str) -> StoreResult<Option<UserRecord>> {
        let row: Option<UserRow> = sqlx::query_as(sql::SELECT_USER_BY_PHONE)
            .bind(phone)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error("loading a user by phone"))?;
        row.map(UserRow::into_record).transpose()
    }

    async fn merchant_staff(&self, merchant: MerchantId) -> StoreResult<Vec<UserRecord>> {
        let rows: Vec<UserRow> = sqlx::query_as(sql::SELECT_MERCHANT_STAFF)
            .bind(merchant.0)
            .fetch_all(&self.reader)
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
            .execute(&self.writer)
            .await
            .map_err(db_error("inserting a session"))?;
        Ok(())
    }

    async fn session(&self, token_hash: &[u8]) -> StoreResult<Option<SessionRecord>> {
        let row: Option<SessionRow> = sqlx::query_as(sql::SELECT_SESSION)
            .bind(token_hash)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error("loading a session"))?;
        Ok(row.map(SessionRecord::from))
    }

    async fn delete_session(&self, token_hash: &[u8]) -> StoreResult<()> {
        sqlx::query(sql::DELETE_SESSION)
            .bind(token_hash)
            .execute(&self.writer)
            .await
            .map_err(db_error("deleting a session"))?;
        Ok(())
    }

    async fn merchant(&self, id: MerchantId) -> StoreResult<Option<MerchantRecord>> {
        let row: Option<MerchantRow> = sqlx::query_as(sql::SELECT_MERCHANT)
            .bind(id.0)
            .fetch_optional(&self.reader)
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
            .execute(&self.writer)
            .await
            .map_err(conflict_on_unique("inserting an api key", "api key prefix exists"))?;
        Ok(())
    }

    async fn api_key_by_prefix(&self, prefix: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let row: Option<ApiKeyRow> = sqlx::query_as(sql::SELECT_API_KEY_BY_PREFIX)
            .bind(prefix)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error("loading an api key"))?;
        Ok(row.map(ApiKeyRecord::from))
    }

    async fn revoke_api_key(&self, id: Uuid, merchant: MerchantId, now: Timestamp) -> StoreResult<bool> {
        let revoked = sqlx::query(sql::REVOKE_API_KEY)
            .bind(id)
            .bind(merchant.0)
            .bind(now.0)
            .execute(&self.writer)
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
            .execute(&self.writer)
            .await
            .map_err(db_error("inserting a funding source"))?
            .rows_affected();
        Ok(inserted == 1)
    }

    async fn funding_sources(&self, user: UserId) -> StoreResult<Vec<FundingSourceRecord>> {
        let rows: Vec<FundingSourceRow> = sqlx::query_as(sql::SELECT_FUNDING_SOURCES)
            .bind(user.0)
            .fetch_all(&self.reader)
            .await
            .map_err(db_error("loading funding sources"))?;
        Ok(rows.into_iter().map(FundingSourceRecord::from).collect())
    }

    async fn idempotency_record(&self, scope: Uuid, key: &str) -> StoreResult<Option<IdempotencyRecord>> {
        let row: Option<IdempotencyRow> = sqlx::query_as(sql::SELECT_IDEMPOTENCY)
            .bind(scope)
            .bind(key)
            .fetch_optional(&self.reader)
            .await
            .map_err(db_error("loading an idempotency record"))?;
        row.map(IdempotencyRow::into_record).transpose()
    }

    async fn save_idempotency_record(&self, record: &IdempotencyRecord) -> StoreResult<IdempotencyRecord> {
        let mut conn = self.writer.acquire().await.map_err(db_error("acquiring the writer"))?;
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

    async fn backup(&self, destination: &Path) -> StoreResult<()> {
        let target = destination.to_str().ok_or(StoreError::Unsupported("backup paths must be UTF-8"))?;
        // VACUUM INTO writes a consistent, compacted copy while readers and the writer carry on.
        sqlx::query("VACUUM INTO $1").bind(target).execute(&self.reader).await.map_err(db_error("writing a backup"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use quipu_store::payments::PaymentStore;

    use super::*;

    /// Migration 0007 rebuilds `payments`, which refunds refer to: a database
    /// with payments and refunds written under 0006 must come through whole.
    #[tokio::test]
    async fn rebuilding_payments_keeps_existing_payments_and_their_refunds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("quipu.db");
        let options = SqliteConnectOptions::from_str("sqlite://").unwrap().filename(&path).create_if_missing(true);
        let mut conn = SqliteConnection::connect_with(&options.foreign_keys(true)).await.unwrap();
        let mut before_cards = sqlx::migrate!("./migrations");
        before_cards.migrations = before_cards.migrations.iter().filter(|m| m.version < 7).cloned().collect();
        before_cards.run(&mut conn).await.unwrap();
        let (merchant, customer, payment) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        for statement in [
            "INSERT INTO merchants (id, name, created_at) VALUES ($1, 'Shop', 1)",
            "INSERT INTO users (id, role, phone, full_name, password_hash, created_at) VALUES ($2, 'customer', '+15550000001', 'C', 'x', 1)",
            "INSERT INTO payments (id, merchant_id, customer_id, method, amount, fee, currency, refunded, status, reference, created_by, created_at, updated_at) VALUES ($3, $1, $2, 'payment_code', 500, 5, 'USD', 100, 'partially_refunded', 'r', $1, 1, 1)",
            "INSERT INTO refunds (id, payment_id, amount, refunded_before, status, reason, created_by, created_at) VALUES ($1, $3, 100, 0, 'completed', '', $1, 2)",
        ] {
            sqlx::query(statement).bind(merchant).bind(customer).bind(payment).execute(&mut conn).await.unwrap();
        }
        conn.close().await.unwrap();

        let store = SqliteStore::open(&path, 1).await.unwrap();
        let migrated = store.payment(payment).await.unwrap().unwrap();
        assert_eq!(migrated.customer_id, Some(UserId(customer)));
        assert_eq!((migrated.amount.0, migrated.refunded.0, migrated.card_id), (500, 100, None));
        assert_eq!(store.refunds_of(payment).await.unwrap().len(), 1);
        let orphan = sqlx::query("INSERT INTO refunds (id, payment_id, amount, refunded_before, status, reason, created_by, created_at) VALUES ($1, $1, 1, 0, 'pending', '', $1, 3)")
            .bind(Uuid::now_v7())
            .execute(&store.writer)
            .await;
        assert!(orphan.is_err(), "refunds still refer to payments after the rebuild");
        store.close().await;
    }
}
