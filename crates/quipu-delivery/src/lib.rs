//! Delivery: couriers (how they work, whether they are online), the delivery job a shop's
//! acceptance offers them, dispatch (which couriers see which offers), the claim, and each step
//! from the shop to the door, and where the courier is on the way.
//!
//! The rules are pure, in `quipu_domain::delivery`; this context applies them, checks who may act,
//! and writes through its own store handle, [`DeliveryStore`]. A job is created by the order's
//! move (`quipu-market`), in the transaction that accepts the order; a claim is a compare-and-set
//! on the job's version, so one courier wins it on any number of processes.

mod batcher;
mod couriers;
mod events;
mod handover;
mod jobs;
mod track;

use std::sync::Arc;

use quipu_kernel::Kernel;
use quipu_market::Market;
use quipu_store::{DeliveryStore, OrderStore};

pub use couriers::{Courier, CourierInput};
pub use jobs::{Job, JobOffer, JobPlaces, MAX_ACTIVE_JOBS};
pub use track::{FixInput, PositionsTaken, TRAIL_RETENTION_DAYS, Tracking};

/// The delivery context's services.
#[derive(Clone)]
pub struct Delivery {
    kernel: Arc<Kernel>,
    store: Arc<dyn DeliveryStore>,
    orders: Arc<dyn OrderStore>,
    /// Settles a delivered or returned job's order (its hold, the courier's pay).
    market: Market,
    /// How long an offered job waits for a claim before its shop is told.
    unclaimed_after_seconds: i64,
    /// Writes couriers' positions a few transactions a second, whatever their number.
    positions: batcher::PositionBatcher,
}

impl Delivery {
    pub fn new(
        kernel: Arc<Kernel>,
        store: Arc<dyn DeliveryStore>,
        orders: Arc<dyn OrderStore>,
        market: Market,
    ) -> Self {
        let positions = batcher::PositionBatcher::start(store.clone());
        // Ten minutes, as the market's settings default; `with_unclaimed_after` sets the operator's.
        Self { kernel, store, orders, market, unclaimed_after_seconds: 10 * 60, positions }
    }

    /// Delivery with the operator's time for an unclaimed job.
    pub fn with_unclaimed_after(self, minutes: u32) -> Self {
        Self { unclaimed_after_seconds: i64::from(minutes.max(1)) * 60, ..self }
    }
}
