//! Quipu's storage, written once: [`SqlStore<B>`] implements every context
//! trait of `quipu-store` in SQL that both backends run unchanged (both read
//! `$n` placeholders). A [`Backend`] supplies only what truly differs: the
//! few statement fragments in its [`Dialect`] (row locks, event ordering,
//! durable commits, snapshots), how it reads rows by many ids and writes a
//! ledger batch's many rows (`IN` lists and multi-row statements on SQLite,
//! arrays on PostgreSQL), and backups. Its pools are handed to
//! [`SqlStore::new`].
//!
//! Statements bind [`driver::Param`]s and read rows through
//! [`driver::Columns`]: sqlx's generic trait bounds appear once, in
//! `driver`, not on every method.

/// Declares a module's statements as constants, and lists them in `ALL` for
/// [`statements`]: one declaration, so none can be left out of the test.
macro_rules! sql_statements {
    ($($(#[$doc:meta])* $name:ident = $text:expr;)+) => {
        $($(#[$doc])* pub(crate) const $name: &str = $text;)+
        pub(crate) const ALL: &[(&str, &str)] = &[$((stringify!($name), $name)),+];
    };
}
pub(crate) use sql_statements;

pub mod driver;

mod batch;
mod cards;
mod decode;
mod delivery;
mod events;
mod habits;
mod identity;
mod ledger;
mod market;
mod market_images;
mod merchants;
mod operations;
mod orders;
mod payments;
mod reconcile;
mod settlement;
mod support;
mod zones;

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::path::Path;

use quipu_domain::ledger::{Account, Transfer};
use quipu_store::{StoreResult, db_error};
use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool, Transaction};
use uuid::Uuid;

use crate::driver::{FromColumns, SqlDriver, decode};
pub use crate::market::{SearchDialect, render_fts5, render_tsquery};

/// How a transaction is made to wait for the disk when it commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurableCommit {
    /// Statements run on the connection before the transaction begins and
    /// after it ends: SQLite's `synchronous` pragma cannot change inside one.
    Around { before: &'static str, after: &'static str },
    /// A statement run first inside the transaction: PostgreSQL's
    /// `SET LOCAL synchronous_commit = on`.
    Inside(&'static str),
}

/// The statement fragments in which the backends' SQL differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Appended to a `SELECT` whose rows the transaction goes on to change:
    /// PostgreSQL's row lock. SQLite has one writer, so nothing else can
    /// change them meanwhile.
    pub lock_rows: &'static str,
    /// Runs first in a transaction that writes events, so events commit in
    /// the order of their numbers (PostgreSQL's advisory lock). SQLite's one
    /// writer commits in order anyway.
    pub order_events: Option<&'static str>,
    pub durable_commit: DurableCommit,
    /// Runs first inside a verification's transaction so every query sees one
    /// snapshot (PostgreSQL); a SQLite read transaction already does.
    pub snapshot: Option<&'static str>,
}

impl Dialect {
    /// `sql` with this backend's row lock appended; the text itself where there is none (SQLite),
    /// so a statement read on every batch allocates nothing there.
    pub fn locked(&self, sql: &'static str) -> Cow<'static, str> {
        if self.lock_rows.is_empty() { Cow::Borrowed(sql) } else { Cow::Owned(format!("{sql}{}", self.lock_rows)) }
    }
}

/// `select` (which ends in `FROM <table>`) restricted to the rows whose
/// `column` is one of `ids`, with `suffix` (an `ORDER BY`, a row lock) appended.
#[derive(Debug, Clone, Copy)]
pub struct ByIds<'a> {
    pub select: &'a str,
    pub column: &'a str,
    pub ids: &'a [Uuid],
    pub suffix: &'a str,
}

pub(crate) type Conn<B> = <<B as Backend>::Db as Database>::Connection;
type Row<B> = <<B as Backend>::Db as Database>::Row;

/// What a database backend supplies; everything else is [`SqlStore`]'s.
pub trait Backend: Send + Sync + 'static {
    type Db: SqlDriver;

    /// "sqlite" or "postgres", for logs and `/readyz`.
    const NAME: &'static str;
    const DIALECT: Dialect;
    /// The product search index: FTS5 on SQLite, text-search vectors on PostgreSQL.
    const SEARCH: SearchDialect;

    /// A query's terms as the `$1` of [`SearchDialect::matching`].
    fn render_search(
        terms: &[quipu_domain::market::search::QueryTerm],
        forms: quipu_store::market::MatchForms,
    ) -> String;

    /// Runs [`ByIds`]: `IN` lists on SQLite, an array on PostgreSQL.
    fn fetch_by_ids<'c>(
        conn: &'c mut Conn<Self>,
        query: ByIds<'c>,
    ) -> impl Future<Output = Result<Vec<Row<Self>>, sqlx::Error>> + Send + 'c;

    /// Inserts a batch's new transfers with `ON CONFLICT (id) DO NOTHING`;
    /// returns how many were new. Fewer than given means a command id was
    /// already stored (see `quipu_store::batch`).
    fn insert_transfers<'c>(
        conn: &'c mut Conn<Self>,
        transfers: &'c [Transfer],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'c;

    /// Writes a batch's new balances, each account once.
    fn update_balances<'c>(
        conn: &'c mut Conn<Self>,
        accounts: &'c [Account],
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'c;

    /// A consistent online copy of the database at `destination`, made through `reader`.
    fn backup<'a>(
        reader: &'a Pool<Self::Db>,
        destination: &'a Path,
    ) -> impl Future<Output = StoreResult<()>> + Send + 'a;
}

/// Every storage context, on one backend.
pub struct SqlStore<B: Backend> {
    /// SQLite's one writer connection; PostgreSQL's pool.
    writer: Pool<B::Db>,
    /// Where reads go (the same pool as the writer on PostgreSQL).
    reader: Pool<B::Db>,
    backend: PhantomData<B>,
}

impl<B: Backend> SqlStore<B> {
    pub fn new(writer: Pool<B::Db>, reader: Pool<B::Db>) -> Self {
        Self { writer, reader, backend: PhantomData }
    }

    pub fn writer_pool(&self) -> &Pool<B::Db> {
        &self.writer
    }

    pub fn reader_pool(&self) -> &Pool<B::Db> {
        &self.reader
    }

    /// Closes the pools; in-flight statements finish first.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }

    async fn reader(&self) -> StoreResult<PoolConnection<B::Db>> {
        self.reader.acquire().await.map_err(db_error("acquiring a reader"))
    }

    async fn writer(&self) -> StoreResult<PoolConnection<B::Db>> {
        self.writer.acquire().await.map_err(db_error("acquiring the writer"))
    }

    /// A transaction on the writer.
    async fn begin(&self) -> StoreResult<Transaction<'static, B::Db>> {
        self.writer.begin().await.map_err(db_error("starting a transaction"))
    }
}

/// The rows of `select` whose `column` is one of `ids` (see [`ByIds`]), decoded.
pub(crate) async fn by_ids<B: Backend, T: FromColumns>(
    conn: &mut Conn<B>,
    context: &'static str,
    select: &str,
    column: &str,
    ids: &[Uuid],
    suffix: &str,
) -> StoreResult<Vec<T>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = ByIds { select, column, ids, suffix };
    let rows = B::fetch_by_ids(conn, query).await.map_err(db_error(context))?;
    decode::<B::Db, T>(&rows)
}

/// Every statement the shared store runs, by name, for a test that prepares
/// each one on every backend: a typo or a schema drift fails there, not in a
/// customer's payment.
pub fn statements<B: Backend>() -> Vec<(String, String)> {
    let dialect = &B::DIALECT;
    let mut all: Vec<(String, String)> = Vec::new();
    for (module, list) in [
        ("ledger", ledger::sql::ALL),
        ("batch", batch::sql::ALL),
        ("identity", identity::sql::ALL),
        ("merchants", merchants::sql::ALL),
        ("payments", payments::sql::ALL),
        ("cards", cards::sql::ALL),
        ("events", events::sql::ALL),
        ("operations", operations::sql::ALL),
        ("reconcile", reconcile::sql::ALL),
        ("support", support::sql::ALL),
        ("settlement", settlement::sql::ALL),
        ("zones", zones::sql::ALL),
        ("market", market::sql::ALL),
        ("orders", orders::sql::ALL),
        ("habits", habits::sql::ALL),
        ("market_images", market_images::sql::ALL),
        ("delivery", delivery::sql::ALL),
    ] {
        all.extend(list.iter().map(|(name, text)| (format!("{module}::{name}"), (*text).to_owned())));
    }
    all.extend(ledger::generated_statements(dialect));
    all.extend(batch::generated_statements(dialect));
    all.extend(identity::generated_statements());
    all.extend(payments::generated_statements(dialect));
    all.extend(reconcile::generated_statements());
    all.extend(market::generated_statements::<B>());
    all
}
