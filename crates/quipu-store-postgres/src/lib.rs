//! Quipu's PostgreSQL backend: what PostgreSQL does differently. The store
//! itself is `quipu_store_sql::SqlStore`.
//!
//! Ledger batches and `sync` commit with `synchronous_commit=on` (the commit
//! waits for the WAL flush, which covers every commit before it); every other
//! transaction commits with `synchronous_commit=off`, without waiting, and is
//! acknowledged only after one of those (see `LedgerStore::sync`). Several
//! Quipu processes may share one database: ledger writers serialize on the
//! single `ledger_clock` row (`SELECT … FOR NO KEY UPDATE`, always locked first),
//! then lock the batch's accounts in ascending id order, so concurrent
//! batches never deadlock and timestamps stay strictly increasing. Nothing
//! here trusts a process-local cache: every batch reads the rows it plans
//! against under those locks.

use std::path::Path;
use std::str::FromStr;

use quipu_domain::ledger::{Account, Transfer};
use quipu_domain::market::search::QueryTerm;
use quipu_store::market::MatchForms;
use quipu_store::{StoreError, StoreResult, db_error};
use quipu_store_sql::{Backend, ByIds, Dialect, DurableCommit, SearchDialect, SqlStore, render_tsquery};
use sqlx::PgConnection;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Every storage context on PostgreSQL.
pub type PostgresStore = SqlStore<PostgresBackend>;

/// PostgreSQL's ways: row locks, an ordering lock for events, `SET LOCAL`, arrays.
pub struct PostgresBackend;

/// Connects to `url` and runs migrations (under sqlx's advisory lock, so
/// several processes may start at once).
pub async fn connect(url: &str, max_connections: u32) -> StoreResult<PostgresStore> {
    let options = PgConnectOptions::from_str(url)
        .map_err(db_error("parsing postgres options"))?
        // Commits do not wait for the disk unless they say so (ledger batches and syncs do; see
        // LedgerStore::sync), whatever the server's default. Read committed, whatever the
        // server's default: after a batch takes the clock lock, each statement sees what the
        // previous writer committed. (sqlx passes these as `-c key=value` unescaped, hence the `\ `.)
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
    // Several processes share the database, and reads see what any of them committed.
    Ok(SqlStore::new(pool.clone(), pool))
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

fn by_ids_sql(select: &str, column: &str, suffix: &str) -> String {
    format!("{select} WHERE {column} = ANY($1){suffix}")
}

/// The statements this backend builds, for the test that prepares every statement.
pub fn statements() -> Vec<(String, String)> {
    vec![
        ("postgres::by_ids".into(), by_ids_sql("SELECT id FROM transfers", "id", " ORDER BY id FOR NO KEY UPDATE")),
        ("postgres::INSERT_TRANSFERS_UNNEST".into(), INSERT_TRANSFERS_UNNEST.into()),
        ("postgres::UPDATE_BALANCES_UNNEST".into(), UPDATE_BALANCES_UNNEST.into()),
    ]
}

impl Backend for PostgresBackend {
    type Db = sqlx::Postgres;

    const NAME: &'static str = "postgres";
    const DIALECT: Dialect = Dialect {
        // The lock an UPDATE of non-key columns takes: it keeps out other writers of the row and
        // lets inserts that refer to it (a refund's foreign key) go on, so two refunds of one
        // payment queue up rather than deadlock.
        lock_rows: " FOR NO KEY UPDATE",
        // Concurrent transactions take seqs in one order and may commit in another; this lock
        // makes the two agree.
        order_events: Some("SELECT pg_advisory_xact_lock(7077070)"),
        durable_commit: DurableCommit::Inside("SET LOCAL synchronous_commit = on"),
        snapshot: Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
    };
    // Terms go in word for word (`array_to_tsvector`, a cast to tsquery): no parser or dictionary
    // of PostgreSQL's changes them, so both databases match the same words. Words and fuzzy forms
    // share one vector (fuzzy ones marked with `~`), so every query is one indexed condition; the
    // row beside the vector holds what search filters and sorts by, copied from the product.
    const SEARCH: SearchDialect = SearchDialect {
        next_row: "nextval('products_search_row')",
        delete_terms: "DELETE FROM product_search WHERE search_row = $1",
        insert_terms: "INSERT INTO product_search (search_row, terms, product_id, seller_id, visible, category, price, name_length) \
             SELECT search_row, array_to_tsvector(string_to_array($2, ' ') || ARRAY(SELECT '~' || form FROM unnest(string_to_array($3, ' ')) AS form)), \
             id, seller_id, visible, category, price, name_length FROM products WHERE search_row = $1",
        copy_columns: None,
        rows: "product_search f",
        matching: "f.terms @@ CAST({query} AS tsquery)",
        facets: "product_search",
        matching_in_order: "f.terms @@ CAST({query} AS tsquery)",
        // `IS TRUE` keeps the list a hashed filter: as a plain `IN` the planner may make it a join,
        // and without statistics it chose to scan the whole list once per match (seconds).
        among_sellers: "(f.seller_id IN (SELECT CAST(value AS UUID) FROM json_array_elements_text(CAST({sellers} AS JSON)))) IS TRUE",
        // A key looked up in the object, parsed once (the sub-select): no join for the planner to
        // get wrong, which as a join of the entries it did (a scan of every entry per match).
        rank_join: "",
        rank: "CAST((SELECT CAST({ranks} AS JSONB)) ->> CAST(f.seller_id AS TEXT) AS BIGINT)",
        after_bulk_write: Some("ANALYZE products, product_search"),
    };

    fn render_search(terms: &[QueryTerm], forms: MatchForms) -> String {
        render_tsquery(terms, forms)
    }

    async fn fetch_by_ids<'c>(conn: &'c mut PgConnection, query: ByIds<'c>) -> Result<Vec<PgRow>, sqlx::Error> {
        let sql = by_ids_sql(query.select, query.column, query.suffix);
        sqlx::query(&sql).bind(query.ids).fetch_all(&mut *conn).await
    }

    async fn insert_transfers<'c>(conn: &'c mut PgConnection, transfers: &'c [Transfer]) -> Result<u64, sqlx::Error> {
        if transfers.is_empty() {
            return Ok(0);
        }
        let column = |f: fn(&Transfer) -> i64| transfers.iter().map(f).collect::<Vec<_>>();
        let done = sqlx::query(INSERT_TRANSFERS_UNNEST)
            .bind(transfers.iter().map(|t| t.id.0).collect::<Vec<_>>())
            .bind(transfers.iter().map(|t| t.debit_account_id.0).collect::<Vec<_>>())
            .bind(transfers.iter().map(|t| t.credit_account_id.0).collect::<Vec<_>>())
            .bind(column(|t| t.amount.minor()))
            .bind(transfers.iter().map(|t| t.currency.as_str()).collect::<Vec<_>>())
            .bind(transfers.iter().map(|t| t.code.as_str()).collect::<Vec<_>>())
            .bind(transfers.iter().map(|t| t.reference.as_str()).collect::<Vec<_>>())
            .bind(transfers.iter().map(|t| t.kind.as_str()).collect::<Vec<_>>())
            .bind(transfers.iter().map(|t| t.pending_id.map(|id| id.0)).collect::<Vec<_>>())
            .bind(transfers.iter().map(|t| t.expires_at.map(|ts| ts.0)).collect::<Vec<_>>())
            .bind(column(|t| t.timestamp.0))
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected())
    }

    async fn update_balances<'c>(conn: &'c mut PgConnection, accounts: &'c [Account]) -> Result<(), sqlx::Error> {
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
            .await?;
        Ok(())
    }

    async fn backup<'a>(_reader: &'a PgPool, _destination: &'a Path) -> StoreResult<()> {
        Err(StoreError::Unsupported("use pg_dump for PostgreSQL backups"))
    }
}
