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
//!   statements in a handful of fixed row counts, so every statement text
//!   recurs and stays in sqlx's prepared statement cache; PostgreSQL binds
//!   whole columns as arrays (`UNNEST`), one statement text whatever the
//!   batch size. That is the backends' business (`quipu-store-sql`'s
//!   `Backend`); planning and the rest of the write are shared.
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
