//! Writing a planned ledger batch in a few statements instead of one per row.
//!
//! A batch of 512 payments is about 1 000 transfers and as many account
//! balances. One statement per row costs a driver round trip each (on
//! SQLite, a hop to sqlx's worker thread and back), which dominated the
//! commit (BENCHMARKS.md). [`ledger_batch_writes!`] defines, for a backend,
//! multi-row `INSERT` of transfers and one `UPDATE … FROM (VALUES …)` of
//! balances per chunk. Every account appears once in a plan, so a hot
//! merchant is written once per batch however many payments it took.

/// Rows per statement: far below SQLite's 32 766 and PostgreSQL's 65 535 bound parameters.
pub const ROWS_PER_STATEMENT: usize = 1_000;

/// `UPDATE accounts … FROM (VALUES (id, debits_posted, credits_posted, debits_pending, credits_pending), …)`:
/// a VALUES list's columns are `column1…` on both backends.
pub const UPDATE_BALANCES_FROM_VALUES: &str = "UPDATE accounts SET debits_posted = v.column2, credits_posted = v.column3, debits_pending = v.column4, credits_pending = v.column5 FROM (";
pub const UPDATE_BALANCES_TAIL: &str = ") AS v WHERE accounts.id = v.column1";

/// Defines `insert_transfers` and `update_balances` for a backend:
/// `ledger_batch_writes!(sqlx::Sqlite, sqlx::SqliteConnection)`.
#[macro_export]
macro_rules! ledger_batch_writes {
    ($db:ty, $conn:ty) => {
        /// Inserts a batch's new transfers, many rows per statement.
        async fn insert_transfers(
            conn: &mut $conn,
            transfers: &[quipu_domain::ledger::Transfer],
        ) -> $crate::StoreResult<()> {
            for chunk in transfers.chunks($crate::batch::ROWS_PER_STATEMENT) {
                let mut builder = sqlx::QueryBuilder::<$db>::new(format!(
                    "INSERT INTO transfers ({}) ",
                    $crate::sql::TRANSFER_COLUMNS
                ));
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
                builder.build().execute(&mut *conn).await.map_err($crate::db_error("inserting transfers"))?;
            }
            Ok(())
        }

        /// Writes a batch's new balances, many accounts per statement.
        async fn update_balances(
            conn: &mut $conn,
            accounts: &[quipu_domain::ledger::Account],
        ) -> $crate::StoreResult<()> {
            for chunk in accounts.chunks($crate::batch::ROWS_PER_STATEMENT) {
                let mut builder = sqlx::QueryBuilder::<$db>::new($crate::batch::UPDATE_BALANCES_FROM_VALUES);
                builder.push_values(chunk, |mut row, a| {
                    row.push_bind(a.id.0)
                        .push_bind(a.balances.debits_posted)
                        .push_bind(a.balances.credits_posted)
                        .push_bind(a.balances.debits_pending)
                        .push_bind(a.balances.credits_pending);
                });
                builder.push($crate::batch::UPDATE_BALANCES_TAIL);
                builder.build().execute(&mut *conn).await.map_err($crate::db_error("updating balances"))?;
            }
            Ok(())
        }
    };
}
