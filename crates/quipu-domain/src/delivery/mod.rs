//! Delivery's rules: couriers and their vehicles, the delivery job's state machine, which couriers
//! a job is offered to, what a courier's position may say, and the hand-over code. Pure, like the
//! rest of this crate; the `quipu-delivery` context applies them.

pub mod dispatch;
pub mod handover;
pub mod job;
pub mod track;

use crate::ledger::{derived_id, id_type, string_enum};
use crate::market::checkout::OrderId;

id_type!(
    /// A delivery job: one per delivery order, named by the order, so dispatching twice finds the
    /// same job (a dropped job is offered again as the same job).
    JobId
);

impl JobId {
    pub fn of_order(order: OrderId) -> JobId {
        JobId(derived_id("quipu.delivery.job", &[order.0.as_bytes()]))
    }
}

string_enum!(
    /// How a courier gets about: it sets how far jobs are offered and how soon they arrive.
    Vehicle {
        Foot => "foot",
        Bicycle => "bicycle",
        Motorbike => "motorbike",
        Car => "car",
    }
);

impl Vehicle {
    /// A town speed, door to door, in metres per second (for arrival estimates).
    pub fn town_speed_mps(self) -> u32 {
        match self {
            Vehicle::Foot => 1,
            Vehicle::Bicycle => 4,
            Vehicle::Motorbike => 7,
            Vehicle::Car => 6,
        }
    }
}

string_enum!(
    /// Whether a courier is at work (sees and claims offers) or not.
    CourierState {
        Online => "online",
        Offline => "offline",
    }
);
