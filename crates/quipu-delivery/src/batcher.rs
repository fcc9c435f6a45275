//! Couriers' positions are written in batches: every phone's batch waits for the next flush, and a
//! flush writes all that came in one transaction. Positions are not money; on SQLite every
//! transaction takes the one writer (and a sync to disk) that payments need, so two hundred phones
//! each writing their own would queue the charges behind them. A flush every
//! [`FLUSH_EVERY`] makes it a few transactions a second however many phones send, and each caller
//! still hears back only once its positions are written (so its next batch is checked against
//! them). A full queue refuses at once: the phone sends again later, and a batch sent twice moves
//! nothing.

use std::sync::Arc;
use std::time::Duration;

use quipu_domain::delivery::JobId;
use quipu_domain::identity::UserId;
use quipu_kernel::{CoreError, CoreResult, ErrorKind};
use quipu_store::DeliveryStore;
use quipu_store::delivery::{PositionWrite, StoredFix};
use tokio::sync::{mpsc, oneshot};

/// How long a batch of positions waits for others to share its transaction.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Most phones' batches waiting at once; beyond it a batch is refused, to be sent again.
const QUEUE: usize = 4_096;
/// Most phones' batches one transaction writes.
const MAX_FLUSH: usize = 1_000;

/// One phone's batch, owned while it waits.
struct Waiting {
    job: JobId,
    courier: UserId,
    newest: StoredFix,
    trail: Vec<StoredFix>,
    reply: oneshot::Sender<CoreResult<()>>,
}

/// Hands position batches to the flushing task.
#[derive(Clone)]
pub(crate) struct PositionBatcher {
    queue: mpsc::Sender<Waiting>,
}

impl PositionBatcher {
    /// Starts the flushing task; it ends once every handle is dropped.
    pub(crate) fn start(store: Arc<dyn DeliveryStore>) -> Self {
        let (queue, waiting) = mpsc::channel(QUEUE);
        tokio::spawn(flush_forever(store, waiting));
        Self { queue }
    }

    /// Writes one job's newest fix and trail points with the next flush, and returns once they are
    /// written.
    pub(crate) async fn write(&self, write: &PositionWrite<'_>) -> CoreResult<()> {
        let (reply, answer) = oneshot::channel();
        let waiting = Waiting {
            job: write.job,
            courier: write.courier,
            newest: write.newest,
            trail: write.trail.to_vec(),
            reply,
        };
        self.queue.try_send(waiting).map_err(|_| {
            CoreError::new(
                ErrorKind::Throttled,
                "positions_busy",
                "too many positions at once: send them again shortly",
            )
        })?;
        answer.await.map_err(|_| CoreError::new(ErrorKind::Unavailable, "shutting_down", "the server is stopping"))?
    }
}

async fn flush_forever(store: Arc<dyn DeliveryStore>, mut waiting: mpsc::Receiver<Waiting>) {
    while let Some(first) = waiting.recv().await {
        tokio::time::sleep(FLUSH_EVERY).await;
        let mut batch = vec![first];
        while batch.len() < MAX_FLUSH {
            match waiting.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let writes: Vec<PositionWrite<'_>> = batch
            .iter()
            .map(|w| PositionWrite { job: w.job, courier: w.courier, newest: w.newest, trail: &w.trail })
            .collect();
        let written = store.record_position_batches(&writes).await.map_err(CoreError::from);
        drop(writes);
        for w in batch {
            // A caller that gave up waiting has nothing to hear.
            let _ = w.reply.send(written.clone());
        }
    }
}
