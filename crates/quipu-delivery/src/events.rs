//! `delivery.*` events (`quipu_events::EVENT_KINDS` lists them): each step of a job, and a job
//! nobody claimed, on the shop's live stream and webhooks and the order's customer's stream.
//! Written in the step's transaction.

use quipu_domain::Timestamp;
use quipu_domain::delivery::JobId;
use quipu_domain::delivery::job::JobStatus;
use quipu_domain::identity::UserId;
use quipu_domain::market::checkout::OrderId;
use quipu_kernel::{CoreError, CoreResult};
use quipu_store::delivery::{JobRecord, JobStep};
use quipu_store::events::EventRecord;
use serde::Serialize;

use crate::Delivery;

/// What a delivery event carries: enough for a board or a phone to know what changed and fetch
/// the rest (never where the courier is).
#[derive(Serialize)]
struct DeliveryEvent<'a> {
    job_id: JobId,
    order_id: OrderId,
    status: &'a str,
    courier_id: Option<UserId>,
    at: i64,
}

impl Delivery {
    /// The event of a step about to be written.
    pub(crate) async fn step_events(&self, job: &JobRecord, step: &JobStep) -> CoreResult<Vec<EventRecord>> {
        let order = self.orders.order(job.order).await?.ok_or_else(|| CoreError::not_found("order"))?;
        self.job_events(job, step, order.customer)
    }

    pub(crate) fn job_events(&self, job: &JobRecord, step: &JobStep, customer: UserId) -> CoreResult<Vec<EventRecord>> {
        let moved = JobRecord { courier: step.courier, ..job.clone() };
        self.event_of(&moved, &format!("delivery.{}", step.to), step.to, customer, step.at)
    }

    pub(crate) fn event_of(
        &self,
        job: &JobRecord,
        kind: &str,
        status: JobStatus,
        customer: UserId,
        at: Timestamp,
    ) -> CoreResult<Vec<EventRecord>> {
        let data = DeliveryEvent {
            job_id: job.id,
            order_id: job.order,
            status: status.as_str(),
            courier_id: job.courier,
            at: at.0,
        };
        let data = serde_json::value::to_raw_value(&data)
            .map_err(|error| CoreError::invalid("unserialisable_event", error.to_string()))?;
        let mut event = quipu_events::new_event(&self.kernel, kind, job.seller, "", &data, at)?;
        event.customer_id = Some(customer);
        Ok(vec![event])
    }
}
