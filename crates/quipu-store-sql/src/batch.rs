//! Writing a ledger batch, the same on every backend but for how its many
//! rows are written (`Backend::insert_transfers`, `Backend::update_balances`):
//! load what the batch needs, plan it with
//! [`quipu_domain::ledger::plan_batch`], write the plan, in one durable
//! transaction. See `quipu_store::batch` for the two attempts.

use std::collections::HashMap;

use quipu_domain::Timestamp;
use quipu_domain::ledger::{Account, BatchKeys, Chain, ChainResult, Hold, LedgerView, Transfer};
use quipu_store::batch::{Lookup, commit_in_attempts, refused_command_ids};
use quipu_store::{StoreResult, db_error};
use sqlx::Connection;
use uuid::Uuid;

use crate::driver::{Scalar, Statement, execute, fetch_one};
use crate::{Backend, Dialect, DurableCommit, SqlStore, by_ids};

pub(crate) mod sql {
    crate::sql_statements! {
        /// Followed by the backend's id filter.
        SELECT_TRANSFERS = "SELECT id, debit_account_id, credit_account_id, amount, currency, code, reference, kind, pending_id, expires_at, timestamp FROM transfers";
        SELECT_TRANSFER_IDS = "SELECT id FROM transfers";
        SELECT_HOLDS = "SELECT pending_id, debit_account_id, credit_account_id, amount, currency, expires_at, state FROM holds";
        SELECT_ACCOUNTS = "SELECT id, currency, kind, flags, debits_posted, credits_posted, debits_pending, credits_pending, owner_kind, owner_id, created_at FROM accounts";
        /// The newest transfer timestamp; on PostgreSQL, locked first by every batch, which
        /// serializes batches across processes and hands out the clock under the lock.
        SELECT_LAST_TIMESTAMP = "SELECT last_timestamp FROM ledger_clock WHERE id = 1";
        UPSERT_HOLD = "INSERT INTO holds (pending_id, debit_account_id, credit_account_id, amount, currency, expires_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pending_id) DO UPDATE SET state = excluded.state";
        /// Every durable commit changes the clock row (`durable_commits` counts them), so even a batch
        /// that moved nothing writes to the log and waits for the disk: it is also the durability barrier.
        UPDATE_LEDGER_CLOCK = "UPDATE ledger_clock SET last_timestamp = $1, durable_commits = durable_commits + 1 WHERE id = 1";
    }
}

pub(crate) fn generated_statements(dialect: &Dialect) -> Vec<(String, String)> {
    vec![("batch::SELECT_LAST_TIMESTAMP (locked)".into(), dialect.locked(sql::SELECT_LAST_TIMESTAMP).into_owned())]
}

use crate::Conn;

pub(crate) async fn commit<B: Backend>(
    store: &SqlStore<B>,
    chains: &[Chain],
    now: Timestamp,
) -> StoreResult<Vec<ChainResult>> {
    // The first attempt reads no transfer ids (see quipu_store::batch).
    commit_in_attempts(|lookup| attempt(store, chains, now, lookup)).await
}

/// One try at a ledger batch in one durable transaction. `None` when a
/// command id assumed new was already stored: nothing is written, and the
/// caller tries again with [`Lookup::LoadStored`].
async fn attempt<B: Backend>(
    store: &SqlStore<B>,
    chains: &[Chain],
    now: Timestamp,
    lookup: Lookup,
) -> StoreResult<Option<Vec<ChainResult>>> {
    let mut conn = store.writer().await?;
    let DurableCommit::Around { before, after } = B::DIALECT.durable_commit else {
        return attempt_on::<B>(&mut conn, chains, now, lookup).await;
    };
    execute::<B::Db>(&mut conn, "making a ledger batch durable", Statement::new(before)).await?;
    let attempted = attempt_on::<B>(&mut conn, chains, now, lookup).await;
    // Left durable, the connection would only be slower.
    let _ = execute::<B::Db>(&mut conn, "ending a durable commit", Statement::new(after)).await;
    attempted
}

async fn attempt_on<B: Backend>(
    conn: &mut Conn<B>,
    chains: &[Chain],
    now: Timestamp,
    lookup: Lookup,
) -> StoreResult<Option<Vec<ChainResult>>> {
    let mut tx = conn.begin().await.map_err(db_error("starting a ledger batch"))?;
    if let DurableCommit::Inside(statement) = B::DIALECT.durable_commit {
        execute::<B::Db>(&mut tx, "making a ledger batch durable", Statement::new(statement)).await?;
    }
    let written = write::<B>(&mut tx, chains, now, lookup).await?;
    match written {
        Some(_) => tx.commit().await.map_err(db_error("committing a ledger batch"))?,
        None => tx.rollback().await.map_err(db_error("rolling back a ledger batch"))?,
    }
    Ok(written)
}

/// Plans a batch against what it loads and writes the plan, inside the
/// caller's transaction, then answers each chain; `None` when a command id
/// assumed new turned out to be stored, and the caller must roll back.
async fn write<B: Backend>(
    conn: &mut Conn<B>,
    chains: &[Chain],
    now: Timestamp,
    lookup: Lookup,
) -> StoreResult<Option<Vec<ChainResult>>> {
    let view = load_view::<B>(conn, chains, lookup).await?;
    let plan = quipu_domain::ledger::plan_batch(view, chains, now);
    if lookup == Lookup::AssumeNew {
        let refused = refused_command_ids(chains, &plan.results);
        let stored: Vec<Scalar<Uuid>> =
            by_ids::<B, _>(conn, "looking for a batch's refused ids", sql::SELECT_TRANSFER_IDS, "id", &refused, "")
                .await?;
        if !stored.is_empty() {
            return Ok(None);
        }
    }
    let inserted = B::insert_transfers(conn, &plan.new_transfers).await.map_err(db_error("inserting transfers"))?;
    if usize::try_from(inserted).ok() != Some(plan.new_transfers.len()) {
        return Ok(None);
    }
    for hold in &plan.holds {
        execute::<B::Db>(conn, "writing a hold", hold_upsert(hold)).await?;
    }
    B::update_balances(conn, &plan.accounts).await.map_err(db_error("updating balances"))?;
    // Always a change, even for a batch that moved nothing: it is also the durability
    // barrier, and a commit that changed nothing would not wait for the disk.
    let clock = Statement::new(sql::UPDATE_LEDGER_CLOCK).bind(plan.last_timestamp);
    execute::<B::Db>(conn, "advancing the ledger clock", clock).await?;
    Ok(Some(plan.results))
}

/// Locks the clock, then loads the batch's holds (and, on a second attempt,
/// its stored transfers), then locks its accounts in ascending id order: one
/// lock order for every batch, so batches in different processes never
/// deadlock.
async fn load_view<B: Backend>(conn: &mut Conn<B>, chains: &[Chain], lookup: Lookup) -> StoreResult<LedgerView> {
    let clock = Statement::new(B::DIALECT.locked(sql::SELECT_LAST_TIMESTAMP));
    let Scalar(last_timestamp): Scalar<i64> = fetch_one::<B::Db, _>(conn, "reading the ledger clock", clock).await?;
    let keys = BatchKeys::of(chains);
    let transfers: HashMap<_, _> = match lookup {
        Lookup::AssumeNew => HashMap::new(),
        Lookup::LoadStored => {
            let ids: Vec<Uuid> = keys.transfer_ids.iter().map(|id| id.0).collect();
            let stored: Vec<Transfer> =
                by_ids::<B, _>(conn, "loading a batch's stored transfers", sql::SELECT_TRANSFERS, "id", &ids, "")
                    .await?;
            stored.into_iter().map(|t| (t.id, t)).collect()
        }
    };
    let pending_ids: Vec<Uuid> = keys.pending_ids.iter().map(|id| id.0).collect();
    let holds: Vec<Hold> =
        by_ids::<B, _>(conn, "loading a batch's holds", sql::SELECT_HOLDS, "pending_id", &pending_ids, "").await?;
    let holds: HashMap<_, _> = holds.into_iter().map(|h| (h.pending_id, h)).collect();
    let account_ids: Vec<Uuid> = LedgerView::account_ids_to_lock(&keys, &holds).into_iter().map(|id| id.0).collect();
    let suffix = B::DIALECT.locked(" ORDER BY id");
    let accounts: Vec<Account> =
        by_ids::<B, _>(conn, "locking a batch's accounts", sql::SELECT_ACCOUNTS, "id", &account_ids, &suffix).await?;
    Ok(LedgerView {
        accounts: accounts.into_iter().map(|a| (a.id, a)).collect(),
        transfers,
        holds,
        last_timestamp: Timestamp(last_timestamp),
    })
}

fn hold_upsert(h: &Hold) -> Statement<'_> {
    Statement::new(sql::UPSERT_HOLD)
        .bind(h.pending_id)
        .bind(h.debit_account_id)
        .bind(h.credit_account_id)
        .bind(h.amount)
        .bind(&h.currency)
        .bind(h.expires_at)
        .bind(h.state.as_str())
}
