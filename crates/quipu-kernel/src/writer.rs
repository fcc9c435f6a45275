//! The ledger writer: one task per process that batches concurrent commands
//! into one database transaction (group commit).
//!
//! Why: a durable commit costs an fsync. Paying it once per batch instead of
//! once per transfer is what lets a small machine carry many payments. Each
//! caller is answered only after its batch's transaction committed, so an
//! acknowledged transfer is on disk. The planner decides each chain on its
//! own, so one failing command never fails its batch-mates.
//!
//! The writer is also the process's **durability barrier**. Every other write
//! (a payment record, its status and event, an idempotency record, a
//! session) commits without waiting for the disk, and whoever is about to
//! let a write be seen outside the process (an HTTP answer, a live event, a
//! webhook) first calls [`LedgerWriter::durable`]: it rides on the next batch,
//! whose durable commit makes every write committed before it durable too
//! (see `LedgerStore::sync`). So a request costs no fsync of its own, and under
//! load thousands of requests share one.

use std::sync::Arc;
use std::time::Instant;

use quipu_domain::ledger::{Chain, ChainResult, TransferCommand, TransferError, TransferOp};
use quipu_store::Store;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::error::{CoreError, CoreResult, ErrorKind};

/// Bounds for the writer: a limit on everything.
#[derive(Debug, Clone, Copy)]
pub struct WriterLimits {
    /// Most chains committed in one transaction. The writer takes whatever is
    /// queued up to this, so batches are small when load is light (a lone
    /// payment commits at once) and grow with load, where a bigger batch costs
    /// less per payment (one fsync, and each index page written once).
    pub max_batch: usize,
    /// Most chains waiting; beyond it callers wait for room (backpressure).
    pub queue: usize,
}

impl Default for WriterLimits {
    fn default() -> Self {
        Self { max_batch: 4096, queue: 16_384 }
    }
}

enum Job {
    /// A chain to plan and commit.
    Chain { chain: Chain, reply: oneshot::Sender<CoreResult<ChainResult>> },
    /// Answered once a commit that began after it was asked for is durable.
    Barrier { reply: oneshot::Sender<CoreResult<()>> },
}

/// A handle to submit chains. Cloning is cheap; when the last clone is
/// dropped the writer drains its queue, commits, and stops.
#[derive(Clone)]
pub struct LedgerWriter {
    jobs: mpsc::Sender<Job>,
}

impl LedgerWriter {
    /// Starts the writer task. When `stop` turns true the writer stops taking
    /// new chains, commits everything already queued, and ends.
    pub fn spawn(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        limits: WriterLimits,
        stop: watch::Receiver<bool>,
    ) -> (Self, JoinHandle<()>) {
        let (jobs, receiver) = mpsc::channel(limits.queue.max(1));
        let task = tokio::spawn(run(store, clock, receiver, stop, limits.max_batch.max(1)));
        (Self { jobs }, task)
    }

    /// Whether the writer task still takes chains; false once it stopped or died.
    pub fn is_running(&self) -> bool {
        !self.jobs.is_closed()
    }

    /// Commits one chain and returns its outcome once it is durable.
    pub async fn submit(&self, chain: Chain) -> CoreResult<ChainResult> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Chain { chain, reply }).await.map_err(|_| shutting_down())?;
        answer.await.map_err(|_| shutting_down())?
    }

    /// Returns once every write this process committed before the call is
    /// durable. It shares the next batch's commit, or makes one (`LedgerStore::sync`)
    /// if no chain is waiting.
    pub async fn durable(&self) -> CoreResult<()> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job::Barrier { reply }).await.map_err(|_| shutting_down())?;
        answer.await.map_err(|_| shutting_down())?
    }

    /// Commits one transfer; a refusal becomes the matching service error.
    pub async fn submit_one(&self, command: TransferCommand) -> CoreResult<quipu_domain::ledger::Transfer> {
        match self.submit(vec![command]).await? {
            Ok(mut outcomes) => outcomes.pop().map(|outcome| outcome.transfer).ok_or_else(|| {
                CoreError::new(ErrorKind::Unavailable, "ledger_error", "the ledger returned no outcome")
            }),
            Err(rejection) => Err(CoreError::from(rejection.error)),
        }
    }

    /// Convenience for the expiry sweeper and tests.
    pub async fn expire(
        &self,
        id: quipu_domain::ledger::TransferId,
        pending_id: quipu_domain::ledger::TransferId,
    ) -> CoreResult<()> {
        let command = TransferCommand {
            id,
            op: TransferOp::Expire { pending_id },
            code: quipu_domain::ledger::TransferCode::Expiry,
            reference: String::new(),
            credit_cap: None,
        };
        match self.submit(vec![command]).await? {
            Ok(_) => Ok(()),
            // Another process, or an earlier sweep, settled it first: nothing to do.
            Err(rejection)
                if matches!(
                    rejection.error,
                    TransferError::PendingAlreadyPosted
                        | TransferError::PendingAlreadyVoided
                        | TransferError::PendingNotExpired
                ) =>
            {
                Ok(())
            }
            Err(rejection) => Err(CoreError::from(rejection.error)),
        }
    }
}

/// Commits the chains among `jobs` as one batch (or syncs, if there are
/// none) and answers every job.
async fn commit(store: &dyn Store, clock: &dyn Clock, jobs: &mut Vec<Job>) {
    let mut chains = Vec::with_capacity(jobs.len());
    let mut replies = Vec::with_capacity(jobs.len());
    let mut barriers = Vec::new();
    for job in jobs.drain(..) {
        match job {
            Job::Chain { chain, reply } => {
                chains.push(chain);
                replies.push(reply);
            }
            Job::Barrier { reply } => barriers.push(reply),
        }
    }
    if chains.is_empty() {
        let synced = store.sync().await.map_err(CoreError::from);
        metrics::counter!("quipu_ledger_syncs_total").increment(1);
        answer_barriers(barriers, &synced);
        return;
    }
    let started = Instant::now();
    let outcome = store.commit_batch(&chains, clock.now()).await;
    metrics::histogram!("quipu_ledger_batch_size").record(chains.len() as f64);
    metrics::histogram!("quipu_ledger_commit_seconds").record(started.elapsed().as_secs_f64());
    match outcome {
        Ok(results) => {
            debug_assert!(
                results.len() == chains.len()
                    && results.iter().zip(&chains).all(|(result, chain)| result.as_ref().is_ok_and(|o| o.len() == chain.len()) || result.is_err()),
                "one result per chain, and one outcome per command of an accepted chain"
            );
            // The batch's durable commit made every write before it durable too.
            answer_barriers(barriers, &Ok(()));
            metrics::counter!("quipu_ledger_chains_total").increment(chains.len() as u64);
            for (reply, result) in replies.into_iter().zip(results) {
                // A caller that gave up (timeout, disconnect) is fine: its chain is committed
                // and a retry with the same id returns it.
                let _ = reply.send(Ok(result));
            }
        }
        Err(error) => {
            tracing::error!(%error, chains = chains.len(), "ledger batch failed; nothing of it was written");
            metrics::counter!("quipu_ledger_batch_failures_total").increment(1);
            let error = CoreError::from(error);
            answer_barriers(barriers, &Err(error.clone()));
            for reply in replies {
                let _ = reply.send(Err(error.clone()));
            }
        }
    }
}

fn answer_barriers(barriers: Vec<oneshot::Sender<CoreResult<()>>>, outcome: &CoreResult<()>) {
    for reply in barriers {
        let _ = reply.send(outcome.clone());
    }
}

fn shutting_down() -> CoreError {
    CoreError::new(
        ErrorKind::Unavailable,
        "shutting_down",
        "the ledger writer is stopping; retry with the same idempotency key",
    )
}

async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    mut receiver: mpsc::Receiver<Job>,
    mut stop: watch::Receiver<bool>,
    max_batch: usize,
) {
    let mut jobs: Vec<Job> = Vec::with_capacity(max_batch);
    let mut stopping = false;
    loop {
        // recv_many waits for at least one job, then takes what is already queued.
        // It is cancel-safe, so losing the race to `stop` drops nothing.
        let received = if stopping {
            receiver.recv_many(&mut jobs, max_batch).await
        } else {
            tokio::select! {
                received = receiver.recv_many(&mut jobs, max_batch) => received,
                _ = stop.changed() => {
                    // No new chains from here on; the queued ones still commit.
                    receiver.close();
                    stopping = true;
                    continue;
                }
            }
        };
        if received == 0 {
            break;
        }
        commit(store.as_ref(), clock.as_ref(), &mut jobs).await;
    }
    tracing::info!("ledger writer drained and stopped");
}
