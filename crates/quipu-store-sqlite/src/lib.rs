//! Quipu's embedded SQLite backend: what SQLite does differently. The store
//! itself is `quipu_store_sql::SqlStore`.
//!
//! One file in WAL mode. Ledger batches and `sync` commit with
//! `synchronous=FULL` (the WAL is fsynced, and with it every commit before);
//! every other write commits with `synchronous=NORMAL`, without waiting for
//! the disk, and is acknowledged only after one of those (see
//! `LedgerStore::sync`). Writes go through a pool of exactly one connection:
//! SQLite allows one writer anyway, and a single connection means a
//! transaction never meets `SQLITE_BUSY` half-way, and nothing else can
//! change what a transaction read (so rows need no locks). Reads use a
//! separate pool and see committed snapshots.

use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use quipu_domain::ledger::{Account, Transfer};
use quipu_domain::market::search::QueryTerm;
use quipu_store::market::MatchForms;
use quipu_store::{StoreError, StoreResult, corrupt, db_error};
use quipu_store_sql::{Backend, ByIds, Dialect, DurableCommit, SearchDialect, SqlStore, render_fts5};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection, SqlitePool};

/// Keeps each `IN (…)` list far below SQLite's bound-parameter limit.
const IN_LIST_CHUNK: usize = 500;

/// The most rows in one multi-row statement: a power of two, so the pieces
/// [`statement_chunks`] cuts are powers of two too. 512 rows of 11 columns
/// stay far below SQLite's 32 766 bound parameters.
const ROWS_PER_STATEMENT: usize = 512;

/// The writer's page cache, in KiB (negative `cache_size` is KiB): a batch
/// touches index pages all over the transfers and accounts trees, and SQLite's
/// 2 MiB default sends most of those reads to the OS.
const WRITER_CACHE_KIB: &str = "-65536";

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Every storage context on SQLite.
pub type SqliteStore = SqlStore<SqliteBackend>;

/// SQLite's ways: one writer, a synchronous pragma, `IN` lists, multi-row statements.
pub struct SqliteBackend;

/// Opens (creating if needed) the database file and runs migrations.
pub async fn open(path: &Path, read_connections: u32) -> StoreResult<SqliteStore> {
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
    Ok(SqlStore::new(writer, reader))
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
        return Err(corrupt("foreign keys", format!("broken references in {}", tables.join(", "))));
    }
    conn.close().await.map_err(db_error("closing the sqlite migration connection"))?;
    Ok(())
}

/// `rows` tuples of `columns` placeholders each: `(?, ?), (?, ?)`. Plain `?`s, bound in order:
/// thousands of them, and a named `$n` costs a name lookup each.
fn values(rows: usize, columns: usize) -> String {
    let tuple = format!("({})", vec!["?"; columns].join(", "));
    vec![tuple; rows].join(", ")
}

const TRANSFER_COLUMNS: &str = "id, debit_account_id, credit_account_id, amount, currency, code, reference, kind, pending_id, expires_at, timestamp";

fn insert_transfers_sql(rows: usize) -> String {
    format!("INSERT INTO transfers ({TRANSFER_COLUMNS}) VALUES {} ON CONFLICT (id) DO NOTHING", values(rows, 11))
}

/// A `VALUES` list's columns are column1, column2, … in SQLite.
fn update_balances_sql(rows: usize) -> String {
    format!(
        "UPDATE accounts SET debits_posted = v.column2, credits_posted = v.column3, \
         debits_pending = v.column4, credits_pending = v.column5 FROM (VALUES {}) AS v WHERE accounts.id = v.column1",
        values(rows, 5)
    )
}

/// A multi-row statement's text for each row count [`statement_chunks`] cuts (1, 2, 4, … 512),
/// built once per process instead of once per batch.
struct ChunkTexts([String; 10]);

// Ten texts: 2^0 to 2^9 rows.
const _: () = assert!(1 << 9 == ROWS_PER_STATEMENT);

impl ChunkTexts {
    fn new(build: fn(usize) -> String) -> Self {
        Self(std::array::from_fn(|power| build(1 << power)))
    }

    fn get(&self, rows: usize, build: fn(usize) -> String) -> Cow<'_, str> {
        let power = rows.checked_ilog2().and_then(|power| usize::try_from(power).ok());
        let built = power.and_then(|power| self.0.get(power)).filter(|_| rows.is_power_of_two());
        match built {
            Some(text) => Cow::Borrowed(text),
            None => Cow::Owned(build(rows)),
        }
    }
}

static INSERT_TRANSFERS: LazyLock<ChunkTexts> = LazyLock::new(|| ChunkTexts::new(insert_transfers_sql));
static UPDATE_BALANCES: LazyLock<ChunkTexts> = LazyLock::new(|| ChunkTexts::new(update_balances_sql));

fn by_ids_sql(select: &str, column: &str, ids: usize, suffix: &str) -> String {
    format!("{select} WHERE {column} IN ({}){suffix}", vec!["?"; ids].join(", "))
}

/// Cuts `rows` into full chunks of [`ROWS_PER_STATEMENT`] and the remainder
/// into powers of two (binary decomposition), so a multi-row statement only
/// ever has one of ten row counts and its text is prepared once per connection
/// rather than once per batch.
fn statement_chunks<T>(rows: &[T]) -> Vec<&[T]> {
    let mut chunks = Vec::with_capacity(rows.len() / ROWS_PER_STATEMENT + 10);
    let mut rest = rows;
    while !rest.is_empty() {
        let size = if rest.len() >= ROWS_PER_STATEMENT {
            ROWS_PER_STATEMENT
        } else {
            // The largest power of two not above what is left.
            1 << rest.len().ilog2()
        };
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

/// The statements this backend builds, in their shapes, for the test that prepares every statement.
pub fn statements() -> Vec<(String, String)> {
    let mut all = vec![("sqlite::by_ids".to_owned(), by_ids_sql("SELECT id FROM transfers", "id", 2, " ORDER BY id"))];
    for rows in [1, ROWS_PER_STATEMENT] {
        all.push((format!("sqlite::insert_transfers({rows})"), insert_transfers_sql(rows)));
        all.push((format!("sqlite::update_balances({rows})"), update_balances_sql(rows)));
    }
    all
}

impl Backend for SqliteBackend {
    type Db = sqlx::Sqlite;

    const NAME: &'static str = "sqlite";
    const DIALECT: Dialect = Dialect {
        lock_rows: "",
        order_events: None,
        durable_commit: DurableCommit::Around {
            before: "PRAGMA synchronous = FULL",
            after: "PRAGMA synchronous = NORMAL",
        },
        snapshot: None,
    };
    // FTS5 holds the terms; `product_search_facets` beside it what search filters and sorts by.
    const SEARCH: SearchDialect = SearchDialect {
        // One writer: the next number cannot be taken by anyone else meanwhile.
        next_row: "(SELECT COALESCE(MAX(search_row), 0) + 1 FROM products)",
        delete_terms: "DELETE FROM product_search WHERE rowid = $1",
        insert_terms: "INSERT INTO product_search (rowid, words, fuzzy) VALUES ($1, $2, $3)",
        copy_columns: Some(
            "INSERT OR REPLACE INTO product_search_facets (search_row, product_id, seller_id, visible, category, price, name_length) \
             SELECT search_row, id, seller_id, visible, category, price, name_length FROM products WHERE search_row = $1",
        ),
        rows: "product_search JOIN product_search_facets f ON f.search_row = product_search.rowid",
        matching: "product_search MATCH {query}",
        // `+`: the matches are a list to look rows up in, not where the rows come from.
        facets: "product_search_facets",
        matching_in_order: "+f.search_row IN (SELECT rowid FROM product_search WHERE product_search MATCH {query})",
        among_sellers: "f.seller_id IN (SELECT unhex(replace(value, '-', '')) FROM json_each({sellers}))",
        // A table of the object's entries, which SQLite indexes for the join.
        rank_join: "LEFT JOIN (SELECT unhex(replace(key, '-', '')) AS seller_id, value AS rank \
             FROM json_each({ranks})) d ON d.seller_id = f.seller_id",
        rank: "d.rank",
        // FTS5 answers first whatever the statistics say.
        after_bulk_write: None,
    };

    fn render_search(terms: &[QueryTerm], forms: MatchForms) -> String {
        render_fts5(terms, forms)
    }

    async fn fetch_by_ids<'c>(conn: &'c mut SqliteConnection, query: ByIds<'c>) -> Result<Vec<SqliteRow>, sqlx::Error> {
        let mut rows = Vec::with_capacity(query.ids.len());
        for chunk in query.ids.chunks(IN_LIST_CHUNK) {
            let sql = by_ids_sql(query.select, query.column, chunk.len(), query.suffix);
            let statement = chunk.iter().fold(sqlx::query(&sql), |statement, id| statement.bind(*id));
            rows.append(&mut statement.fetch_all(&mut *conn).await?);
        }
        Ok(rows)
    }

    async fn insert_transfers<'c>(
        conn: &'c mut SqliteConnection,
        transfers: &'c [Transfer],
    ) -> Result<u64, sqlx::Error> {
        let mut inserted = 0;
        for chunk in statement_chunks(transfers) {
            let sql = INSERT_TRANSFERS.get(chunk.len(), insert_transfers_sql);
            let query = chunk.iter().fold(sqlx::query(&sql), |query, t| {
                query
                    .bind(t.id.0)
                    .bind(t.debit_account_id.0)
                    .bind(t.credit_account_id.0)
                    .bind(t.amount.minor())
                    .bind(t.currency.as_str())
                    .bind(t.code.as_str())
                    .bind(t.reference.as_str())
                    .bind(t.kind.as_str())
                    .bind(t.pending_id.map(|id| id.0))
                    .bind(t.expires_at.map(|ts| ts.0))
                    .bind(t.timestamp.0)
            });
            inserted += query.execute(&mut *conn).await?.rows_affected();
        }
        Ok(inserted)
    }

    async fn update_balances<'c>(conn: &'c mut SqliteConnection, accounts: &'c [Account]) -> Result<(), sqlx::Error> {
        for chunk in statement_chunks(accounts) {
            let sql = UPDATE_BALANCES.get(chunk.len(), update_balances_sql);
            let query = chunk.iter().fold(sqlx::query(&sql), |query, a| {
                query
                    .bind(a.id.0)
                    .bind(a.balances.debits_posted)
                    .bind(a.balances.credits_posted)
                    .bind(a.balances.debits_pending)
                    .bind(a.balances.credits_pending)
            });
            query.execute(&mut *conn).await?;
        }
        Ok(())
    }

    async fn backup<'a>(reader: &'a SqlitePool, destination: &'a Path) -> StoreResult<()> {
        let target = destination.to_str().ok_or(StoreError::Unsupported("backup paths must be UTF-8"))?;
        // VACUUM INTO writes a consistent, compacted copy while readers and the writer carry on.
        sqlx::query("VACUUM INTO $1").bind(target).execute(reader).await.map_err(db_error("writing a backup"))?;
        Ok(())
    }
}
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use quipu_domain::identity::UserId;
    use quipu_store::payments::PaymentStore;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn chunks_cover_every_row_once_in_a_few_fixed_sizes() {
        for len in [0, 1, 2, 3, 511, 512, 513, 1000, 1024, 8191] {
            let rows: Vec<usize> = (0..len).collect();
            let chunks = statement_chunks(&rows);
            let flattened: Vec<usize> = chunks.iter().flat_map(|chunk| chunk.iter().copied()).collect();
            assert_eq!(flattened, rows, "every row once, in order, for {len}");
            assert!(chunks.iter().all(|chunk| chunk.len().is_power_of_two() && chunk.len() <= ROWS_PER_STATEMENT));
        }
        let rows: Vec<u8> = vec![0; 1000];
        let sizes: Vec<usize> = statement_chunks(&rows).iter().map(|chunk| chunk.len()).collect();
        assert_eq!(sizes, vec![512, 256, 128, 64, 32, 8]);
    }

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

        let store = open(&path, 1).await.unwrap();
        let migrated = store.payment(quipu_domain::payment::PaymentId(payment)).await.unwrap().unwrap();
        assert_eq!(migrated.customer_id, Some(UserId(customer)));
        assert_eq!((migrated.amount.minor(), migrated.refunded.minor(), migrated.card_id), (500, 100, None));
        assert_eq!(store.refunds_of(quipu_domain::payment::PaymentId(payment)).await.unwrap().len(), 1);
        let orphan = sqlx::query("INSERT INTO refunds (id, payment_id, amount, refunded_before, status, reason, created_by, created_at) VALUES ($1, $1, 1, 0, 'pending', '', $1, 3)")
            .bind(Uuid::now_v7())
            .execute(store.writer_pool())
            .await;
        assert!(orphan.is_err(), "refunds still refer to payments after the rebuild");
        store.close().await;
    }
}
