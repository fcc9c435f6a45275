//! The one place Quipu meets sqlx's generic traits.
//!
//! The shared store binds [`Param`]s and reads rows through [`Columns`], so
//! none of its code carries sqlx's trait bounds: they are written once, on
//! the blanket implementation of [`SqlDriver`] below, for every sqlx database
//! that can bind and decode Quipu's four column types (integers, text, bytes,
//! UUIDs). Both SQLite and PostgreSQL qualify; a database that did not would
//! fail to compile here, not at some call site.

use std::borrow::Cow;
use std::future::Future;

use quipu_domain::Timestamp;
use quipu_domain::card::CardId;
use quipu_domain::delivery::JobId;
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::ledger::{AccountId, TransferId};
use quipu_domain::market::checkout::{CartLineId, CheckoutId, OrderId};
use quipu_domain::market::review::ReviewId;
use quipu_domain::market::{AreaId, ProductId};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_domain::payment::{DeviceId, PaymentId, PaymentRequestId, RefundId};
use quipu_store::{StoreError, StoreResult, corrupt, db_error};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Row, Type};
use uuid::Uuid;

/// A value bound to a statement's next `$n`. Every column Quipu stores is one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param<'a> {
    Int(Option<i64>),
    Text(Option<&'a str>),
    Bytes(Option<&'a [u8]>),
    Uuid(Option<Uuid>),
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::Int(Some(value))
    }
}

impl From<Option<i64>> for Param<'_> {
    fn from(value: Option<i64>) -> Self {
        Param::Int(value)
    }
}

impl From<u32> for Param<'_> {
    fn from(value: u32) -> Self {
        Param::Int(Some(i64::from(value)))
    }
}

impl From<Option<u32>> for Param<'_> {
    fn from(value: Option<u32>) -> Self {
        Param::Int(value.map(i64::from))
    }
}

/// Booleans are stored as 0 and 1, the same on both backends.
impl From<bool> for Param<'_> {
    fn from(value: bool) -> Self {
        Param::Int(Some(i64::from(value)))
    }
}

impl From<Option<bool>> for Param<'_> {
    fn from(value: Option<bool>) -> Self {
        Param::Int(value.map(i64::from))
    }
}

impl From<Timestamp> for Param<'_> {
    fn from(value: Timestamp) -> Self {
        Param::Int(Some(value.0))
    }
}

impl From<Option<Timestamp>> for Param<'_> {
    fn from(value: Option<Timestamp>) -> Self {
        Param::Int(value.map(|t| t.0))
    }
}

impl From<Amount> for Param<'_> {
    fn from(value: Amount) -> Self {
        Param::Int(Some(value.minor()))
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Param::Text(Some(value))
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(value: &'a String) -> Self {
        Param::Text(Some(value))
    }
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(value: Option<&'a str>) -> Self {
        Param::Text(value)
    }
}

impl<'a> From<&'a CurrencyCode> for Param<'a> {
    fn from(value: &'a CurrencyCode) -> Self {
        Param::Text(Some(value.as_str()))
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(value: &'a [u8]) -> Self {
        Param::Bytes(Some(value))
    }
}

impl<'a> From<&'a Vec<u8>> for Param<'a> {
    fn from(value: &'a Vec<u8>) -> Self {
        Param::Bytes(Some(value))
    }
}

impl From<Uuid> for Param<'_> {
    fn from(value: Uuid) -> Self {
        Param::Uuid(Some(value))
    }
}

impl From<Option<Uuid>> for Param<'_> {
    fn from(value: Option<Uuid>) -> Self {
        Param::Uuid(value)
    }
}

/// Typed ids bind as their UUIDs.
macro_rules! uuid_params {
    ($($id:ty),+) => {$(
        impl From<$id> for Param<'_> {
            fn from(value: $id) -> Self {
                Param::Uuid(Some(value.0))
            }
        }

        impl From<Option<$id>> for Param<'_> {
            fn from(value: Option<$id>) -> Self {
                Param::Uuid(value.map(|id| id.0))
            }
        }
    )+};
}

uuid_params!(
    UserId,
    MerchantId,
    AccountId,
    TransferId,
    CardId,
    DeviceId,
    PaymentId,
    PaymentRequestId,
    RefundId,
    ProductId,
    AreaId,
    OrderId,
    CheckoutId,
    CartLineId,
    ReviewId,
    JobId
);

/// SQL text (with `$1`, `$2`, … placeholders, which both backends read) and its parameters.
#[derive(Debug, Clone)]
pub struct Statement<'a> {
    sql: Cow<'a, str>,
    params: Vec<Param<'a>>,
}

impl<'a> Statement<'a> {
    pub fn new(sql: impl Into<Cow<'a, str>>) -> Self {
        Self { sql: sql.into(), params: Vec::new() }
    }

    /// Binds the next parameter.
    pub fn bind(mut self, value: impl Into<Param<'a>>) -> Self {
        self.params.push(value.into());
        self
    }
}

/// One row, read by column name or (for one-column answers) position.
pub trait Columns {
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    fn opt_bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>>;
    fn opt_uuid(&self, column: &str) -> StoreResult<Option<Uuid>>;
    fn opt_int_at(&self, index: usize) -> StoreResult<Option<i64>>;
    fn opt_uuid_at(&self, index: usize) -> StoreResult<Option<Uuid>>;

    fn int(&self, column: &str) -> StoreResult<i64> {
        self.opt_int(column)?.ok_or_else(|| null(column))
    }

    fn text(&self, column: &str) -> StoreResult<String> {
        self.opt_text(column)?.ok_or_else(|| null(column))
    }

    fn bytes(&self, column: &str) -> StoreResult<Vec<u8>> {
        self.opt_bytes(column)?.ok_or_else(|| null(column))
    }

    fn uuid(&self, column: &str) -> StoreResult<Uuid> {
        self.opt_uuid(column)?.ok_or_else(|| null(column))
    }
}

fn null(column: &str) -> StoreError {
    corrupt("row", format!("{column} is null"))
}

/// A record read back from a row; a value that fails to parse is `StoreError::Corrupt`, never a panic.
pub trait FromColumns: Sized {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self>;
}

/// A one-column answer: a count, a sum, an id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scalar<T>(pub T);

impl FromColumns for Scalar<i64> {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        row.opt_int_at(0)?.map(Scalar).ok_or_else(|| null("the first column"))
    }
}

impl FromColumns for Scalar<Uuid> {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        row.opt_uuid_at(0)?.map(Scalar).ok_or_else(|| null("the first column"))
    }
}

/// How many rows a statement changed; sqlx keeps it on each database's own result type.
pub trait RowsAffected {
    fn count(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn count(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn count(&self) -> u64 {
        self.rows_affected()
    }
}

/// What the shared store needs of a database: run a statement, read rows, prepare a statement.
pub trait SqlDriver: Database {
    fn execute<'c>(
        conn: &'c mut Self::Connection,
        statement: Statement<'c>,
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'c;

    fn fetch_all<'c>(
        conn: &'c mut Self::Connection,
        statement: Statement<'c>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, sqlx::Error>> + Send + 'c;

    fn fetch_optional<'c>(
        conn: &'c mut Self::Connection,
        statement: Statement<'c>,
    ) -> impl Future<Output = Result<Option<Self::Row>, sqlx::Error>> + Send + 'c;

    fn column_int(row: &Self::Row, column: &str) -> Result<Option<i64>, sqlx::Error>;
    fn column_text(row: &Self::Row, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn column_bytes(row: &Self::Row, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error>;
    fn column_uuid(row: &Self::Row, column: &str) -> Result<Option<Uuid>, sqlx::Error>;
    fn column_int_at(row: &Self::Row, index: usize) -> Result<Option<i64>, sqlx::Error>;
    fn column_uuid_at(row: &Self::Row, index: usize) -> Result<Option<Uuid>, sqlx::Error>;
}

fn bound<'q, DB>(statement: &'q Statement<'q>) -> sqlx::query::Query<'q, DB, DB::Arguments<'q>>
where
    DB: Database,
    Option<i64>: Encode<'q, DB> + Type<DB>,
    Option<&'q str>: Encode<'q, DB> + Type<DB>,
    Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    Option<Uuid>: Encode<'q, DB> + Type<DB>,
{
    let mut query = sqlx::query::<DB>(&statement.sql);
    for param in &statement.params {
        query = match *param {
            Param::Int(value) => query.bind(value),
            Param::Text(value) => query.bind(value),
            Param::Bytes(value) => query.bind(value),
            Param::Uuid(value) => query.bind(value),
        };
    }
    query
}

impl<DB> SqlDriver for DB
where
    DB: Database,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q [u8]>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<Uuid>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Decode<'q, DB> + Type<DB>,
    for<'q> Option<Vec<u8>>: Decode<'q, DB> + Type<DB>,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    async fn execute<'c>(conn: &'c mut Self::Connection, statement: Statement<'c>) -> Result<u64, sqlx::Error> {
        bound::<DB>(&statement).execute(conn).await.map(|done| done.count())
    }

    async fn fetch_all<'c>(
        conn: &'c mut Self::Connection,
        statement: Statement<'c>,
    ) -> Result<Vec<Self::Row>, sqlx::Error> {
        bound::<DB>(&statement).fetch_all(conn).await
    }

    async fn fetch_optional<'c>(
        conn: &'c mut Self::Connection,
        statement: Statement<'c>,
    ) -> Result<Option<Self::Row>, sqlx::Error> {
        bound::<DB>(&statement).fetch_optional(conn).await
    }

    fn column_int(row: &Self::Row, column: &str) -> Result<Option<i64>, sqlx::Error> {
        row.try_get(column)
    }

    fn column_text(row: &Self::Row, column: &str) -> Result<Option<String>, sqlx::Error> {
        row.try_get(column)
    }

    fn column_bytes(row: &Self::Row, column: &str) -> Result<Option<Vec<u8>>, sqlx::Error> {
        row.try_get(column)
    }

    fn column_uuid(row: &Self::Row, column: &str) -> Result<Option<Uuid>, sqlx::Error> {
        row.try_get(column)
    }

    fn column_int_at(row: &Self::Row, index: usize) -> Result<Option<i64>, sqlx::Error> {
        row.try_get(index)
    }

    fn column_uuid_at(row: &Self::Row, index: usize) -> Result<Option<Uuid>, sqlx::Error> {
        row.try_get(index)
    }
}

/// A driver row seen through [`Columns`].
struct RowColumns<'r, DB: SqlDriver>(&'r DB::Row);

fn unreadable(error: sqlx::Error) -> StoreError {
    db_error("reading a column")(error)
}

impl<DB: SqlDriver> Columns for RowColumns<'_, DB> {
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        DB::column_int(self.0, column).map_err(unreadable)
    }

    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        DB::column_text(self.0, column).map_err(unreadable)
    }

    fn opt_bytes(&self, column: &str) -> StoreResult<Option<Vec<u8>>> {
        DB::column_bytes(self.0, column).map_err(unreadable)
    }

    fn opt_uuid(&self, column: &str) -> StoreResult<Option<Uuid>> {
        DB::column_uuid(self.0, column).map_err(unreadable)
    }

    fn opt_int_at(&self, index: usize) -> StoreResult<Option<i64>> {
        DB::column_int_at(self.0, index).map_err(unreadable)
    }

    fn opt_uuid_at(&self, index: usize) -> StoreResult<Option<Uuid>> {
        DB::column_uuid_at(self.0, index).map_err(unreadable)
    }
}

/// Reads rows into records.
pub fn decode<DB: SqlDriver, T: FromColumns>(rows: &[DB::Row]) -> StoreResult<Vec<T>> {
    rows.iter().map(|row| T::from_columns(&RowColumns::<DB>(row))).collect()
}

/// Runs a statement; returns how many rows it changed.
pub async fn execute<DB: SqlDriver>(
    conn: &mut DB::Connection,
    context: &'static str,
    statement: Statement<'_>,
) -> StoreResult<u64> {
    DB::execute(conn, statement).await.map_err(db_error(context))
}

/// Runs a statement a uniqueness constraint may refuse: that is `StoreError::Conflict(what)`.
pub async fn execute_unique<DB: SqlDriver>(
    conn: &mut DB::Connection,
    context: &'static str,
    what: &'static str,
    statement: Statement<'_>,
) -> StoreResult<u64> {
    DB::execute(conn, statement).await.map_err(|error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => db_error(context)(error),
    })
}

pub async fn fetch_all<DB: SqlDriver, T: FromColumns>(
    conn: &mut DB::Connection,
    context: &'static str,
    statement: Statement<'_>,
) -> StoreResult<Vec<T>> {
    let rows = DB::fetch_all(conn, statement).await.map_err(db_error(context))?;
    decode::<DB, T>(&rows)
}

pub async fn fetch_optional<DB: SqlDriver, T: FromColumns>(
    conn: &mut DB::Connection,
    context: &'static str,
    statement: Statement<'_>,
) -> StoreResult<Option<T>> {
    match DB::fetch_optional(conn, statement).await.map_err(db_error(context))? {
        Some(row) => T::from_columns(&RowColumns::<DB>(&row)).map(Some),
        None => Ok(None),
    }
}

/// Like [`fetch_optional`], for a statement that always answers a row.
pub async fn fetch_one<DB: SqlDriver, T: FromColumns>(
    conn: &mut DB::Connection,
    context: &'static str,
    statement: Statement<'_>,
) -> StoreResult<T> {
    fetch_optional::<DB, T>(conn, context, statement)
        .await?
        .ok_or(StoreError::Database { context, source: "the statement answered no row".into() })
}
