//! What both backends share about writing a planned ledger batch.
//!
//! A batch of thousands of payments must not cost a statement per row (on
//! SQLite every statement is a hop to sqlx's worker thread and back), nor a
//! read per transfer to learn whether its id is already stored. So:
//!
//! - **Idempotency without a read.** The first attempt at a batch assumes
//!   every command id is new ([`Lookup::AssumeNew`]) and inserts with
//!   `ON CONFLICT (id) DO NOTHING`: the primary-key probe the insert makes
//!   anyway tells whether an id was stored. If one was (a retry of a
//!   committed payment), the attempt rolls back and the batch is planned again
//!   with the stored transfers loaded ([`Lookup::LoadStored`]), which replays
//!   or refuses them exactly as before. A chain the planner refused inserts
//!   nothing, so its ids are looked up instead ([`refused_command_ids`]): a
//!   stored id must be answered as a replay or a conflict, never with
//!   whatever refusal planning it as new happened to meet. Retries and
//!   refusals are rare, so the reads are paid rarely.
//! - **Few statements, all prepared once.** SQLite writes multi-row
//!   statements whose row counts come from [`statement_chunks`], a handful of
//!   fixed sizes, so every statement text recurs and stays in sqlx's prepared
//!   statement cache; PostgreSQL binds whole columns as arrays (`UNNEST`), one
//!   statement text whatever the batch size.
//! - **Each account once.** A plan holds each account once, so a hot merchant
//!   is one row of one `UPDATE` per batch however many payments it took.

use std::future::Future;

use quipu_domain::ledger::{Chain, ChainResult};
use uuid::Uuid;

use crate::{StoreError, StoreResult};

/// Whether an attempt at a ledger batch loads the stored transfers its commands name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Plan as if every command id were new; the insert detects one that was not.
    AssumeNew,
    /// Load the stored transfers first; used after [`Lookup::AssumeNew`] met a stored id.
    LoadStored,
}

/// A ledger batch in at most two attempts, each in a transaction of its own:
/// first assuming every command id is new, then, if one was not, with the
/// stored transfers loaded. Nothing else writes transfers between the two
/// (SQLite has one writer connection; PostgreSQL batches serialize on the
/// clock lock), so a second miss means the database changed under the batch.
pub async fn commit_in_attempts<F, Fut>(attempt: F) -> StoreResult<Vec<ChainResult>>
where
    F: Fn(Lookup) -> Fut,
    Fut: Future<Output = StoreResult<Option<Vec<ChainResult>>>>,
{
    if let Some(results) = attempt(Lookup::AssumeNew).await? {
        return Ok(results);
    }
    attempt(Lookup::LoadStored).await?.ok_or(StoreError::Conflict("a transfer id was stored during its own batch"))
}

/// The command ids of every chain the plan refused: on a [`Lookup::AssumeNew`]
/// attempt, if any of them is stored, the attempt must be made again with
/// [`Lookup::LoadStored`].
pub fn refused_command_ids(chains: &[Chain], results: &[ChainResult]) -> Vec<Uuid> {
    chains
        .iter()
        .zip(results)
        .filter(|(_, result)| result.is_err())
        .flat_map(|(chain, _)| chain.iter().map(|command| command.id.0))
        .collect()
}

/// Defines, for a backend, `write_batch(conn, chains, now, lookup)`: plans a
/// batch against what the backend loads and writes the plan, inside the
/// caller's transaction, then answers each chain; `None` when a command id
/// assumed new turned out to be stored, and the caller must roll back (see
/// [`Lookup`]). The backend defines, in scope where this is expanded:
/// `load_view`, `stored_transfer_ids`, `insert_transfers`, `upsert_hold` and
/// `update_balances`. `ledger_batch_write!(sqlx::SqliteConnection)`.
#[macro_export]
macro_rules! ledger_batch_write {
    ($conn:ty) => {
        async fn write_batch(
            conn: &mut $conn,
            chains: &[quipu_domain::ledger::Chain],
            now: quipu_domain::Timestamp,
            lookup: $crate::batch::Lookup,
        ) -> $crate::StoreResult<Option<Vec<quipu_domain::ledger::ChainResult>>> {
            let view = load_view(conn, chains, lookup).await?;
            let plan = quipu_domain::ledger::plan_batch(view, chains, now);
            if lookup == $crate::batch::Lookup::AssumeNew {
                let refused = $crate::batch::refused_command_ids(chains, &plan.results);
                if !stored_transfer_ids(conn, &refused).await?.is_empty() {
                    return Ok(None);
                }
            }
            let inserted = insert_transfers(conn, &plan.new_transfers).await?;
            if usize::try_from(inserted).ok() != Some(plan.new_transfers.len()) {
                return Ok(None);
            }
            for hold in &plan.holds {
                upsert_hold(conn, hold).await?;
            }
            update_balances(conn, &plan.accounts).await?;
            // Always a change, even for a batch that moved nothing: it is also the durability
            // barrier, and a commit that changed nothing would not wait for the disk.
            sqlx::query($crate::sql::UPDATE_LEDGER_CLOCK)
                .bind(plan.last_timestamp.0)
                .execute(&mut *conn)
                .await
                .map_err($crate::db_error("advancing the ledger clock"))?;
            Ok(Some(plan.results))
        }
    };
}

/// The most rows in one multi-row statement: a power of two, so the pieces
/// [`statement_chunks`] cuts are powers of two too. 512 rows of 11 columns
/// stay far below SQLite's 32 766 bound parameters.
pub const ROWS_PER_STATEMENT: usize = 512;

/// Cuts `rows` into full chunks of [`ROWS_PER_STATEMENT`] and the remainder
/// into powers of two (binary decomposition), so a multi-row statement only
/// ever has one of ten row counts and its text is prepared once per connection
/// rather than once per batch.
pub fn statement_chunks<T>(rows: &[T]) -> Vec<&[T]> {
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

#[cfg(test)]
mod tests {
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
}
