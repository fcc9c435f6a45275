//! A job's end and the money with it: the courier delivers with the customer's code (typed at the
//! door, perhaps checked later when the phone has signal again), the shop confirms goods that came
//! back, the operator cancels; each settles the order through the market, in the transaction that
//! writes the job's step. Also the customer's tip, and housekeeping's word to a shop whose job
//! nobody claimed.

use quipu_domain::Amount;
use quipu_domain::Timestamp;
use quipu_domain::delivery::JobId;
use quipu_domain::delivery::job::{JobActor, JobStatus, plan_step};
use quipu_domain::identity::Pin;
use quipu_domain::identity::Role;
use quipu_domain::state::StateMachine;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::delivery::{JobMove, JobRecord, LiveJob, MAX_JOBS_PAGE};

use crate::Delivery;
use crate::jobs::{Job, Party, staff_party, step_refused};

/// Most unclaimed jobs one round of housekeeping tells shops about.
const ALERTS_PER_ROUND: u32 = 100;

impl Delivery {
    /// The calling courier hands the goods over with the customer's code. `typed_at` is when a
    /// phone without signal took the code at the door: the step keeps that time (within the job's
    /// own span), and nothing is paid until the code checks here. A retry after a lost answer
    /// finds the job delivered and reads it.
    pub async fn deliver(
        &self,
        principal: &Principal,
        id: JobId,
        code: &str,
        typed_at: Option<Timestamp>,
    ) -> CoreResult<Job> {
        let user = principal.require(Role::Courier)?;
        let courier = self.courier_record(user).await?;
        let job = self.visible_job(id, Party::Courier(user)).await?;
        if job.status == JobStatus::Delivered {
            return self.view_of(job, Party::Courier(user)).await;
        }
        let situation = self.situation(&job, Party::Courier(user), Some(&courier)).await?;
        let transition = plan_step(situation, JobActor::Courier, JobStatus::Delivered, false).map_err(step_refused)?;
        let order = self.orders.order(job.order).await?.ok_or_else(|| CoreError::not_found("order"))?;
        self.market.check_handover_code(&order, code).await?;
        let mut step = self.step_record(&job, JobActor::Courier, Some(user), JobStatus::Delivered, Some(user), None);
        if let Some(typed_at) = typed_at {
            // A phone's clock is its own: the time stays within the job's span.
            step.at = typed_at.max(job.updated_at).min(step.at);
        }
        let events = self.job_events(&job, &step, order.customer)?;
        let job_move =
            JobMove { job: job.id, version: job.version, transition, step, offered_again: false, events: &events };
        self.market.complete_delivery(&job, &job_move).await.map_err(changed_meanwhile)?;
        self.job_view(id, Party::Courier(user)).await
    }

    /// The shop (or the operator) confirms the goods a courier brought back: the job is
    /// `returned`, the courier is paid for the ride, and the order ends by the shop's policy for
    /// returned goods.
    pub async fn confirm_return(&self, principal: &Principal, id: JobId) -> CoreResult<Job> {
        let party = staff_party(principal)?;
        let job = self.visible_job(id, party).await?;
        let actor = party.actor();
        let situation = self.situation(&job, party, None).await?;
        let transition = plan_step(situation, actor, JobStatus::Returned, false).map_err(step_refused)?;
        let step = self.step_record(&job, actor, principal.user_id(), JobStatus::Returned, job.courier, None);
        let order = self.orders.order(job.order).await?.ok_or_else(|| CoreError::not_found("order"))?;
        let events = self.job_events(&job, &step, order.customer)?;
        let job_move =
            JobMove { job: job.id, version: job.version, transition, step, offered_again: false, events: &events };
        self.market.settle_return(&job, &job_move, Some(principal.scope())).await.map_err(changed_meanwhile)?;
        self.job_view(id, party).await
    }

    /// The operator cancels a delivery nobody has picked up yet, saying why: its order is
    /// cancelled (the customer's money goes back) and the job with it.
    pub async fn cancel_by_operator(&self, principal: &Principal, id: JobId, reason: &str) -> CoreResult<Job> {
        principal.require(Role::Operator)?;
        let job = self.visible_job(id, Party::Operator).await?;
        if !job.status.may_become(JobStatus::Cancelled) {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "job_step_not_allowed",
                format!("a delivery job cannot move from {} to cancelled", job.status),
            ));
        }
        let reason = crate::jobs::checked_reason(Some(reason.to_owned()))?
            .ok_or_else(|| CoreError::rejected("reason_required", "say why the delivery is cancelled"))?;
        self.market.cancel_for_operator(job.order, Some(principal.scope()), &reason).await?;
        self.job_view(id, Party::Operator).await
    }

    /// The jobs under way, oldest first, for the operator's live board.
    pub async fn live_jobs(&self, principal: &Principal) -> CoreResult<Vec<LiveJob>> {
        principal.require(Role::Operator)?;
        Ok(self.store.live_jobs(MAX_JOBS_PAGE).await?)
    }

    /// The customer adds a tip for the courier bringing their order, with their PIN.
    pub async fn add_tip(
        &self,
        principal: &Principal,
        order: quipu_domain::market::checkout::OrderId,
        tip: Amount,
        pin: &Pin,
    ) -> CoreResult<JobRecord> {
        let job = self.orders.job_of_order(order).await?.ok_or_else(|| CoreError::not_found("delivery"))?;
        self.market.add_tip(principal, order, &job, tip, pin).await?;
        self.store.job(job.id).await?.ok_or_else(|| CoreError::not_found("delivery"))
    }

    /// Housekeeping: tells each shop whose job nobody claimed within the operator's time, once
    /// per offer. Returns how many shops were told.
    pub async fn alert_unclaimed(&self) -> CoreResult<usize> {
        let now = self.kernel.now();
        let offered_before = now.plus_seconds(-self.unclaimed_after_seconds);
        let jobs = self.store.unclaimed_jobs(offered_before, ALERTS_PER_ROUND).await?;
        let mut told = 0;
        for job in jobs {
            let Some(order) = self.orders.order(job.order).await? else { continue };
            let events = self.event_of(&job, "delivery.unclaimed", job.status, order.customer, now)?;
            if self.store.mark_alerted(job.id, now, &events).await? {
                told += 1;
            }
        }
        if told > 0 {
            self.kernel.events_written();
        }
        Ok(told)
    }
}

/// A settling move that lost to another: the job or the order moved first.
fn changed_meanwhile(error: CoreError) -> CoreError {
    if error.code == "order_changed" {
        return CoreError::new(ErrorKind::Conflict, "job_changed", "this delivery changed meanwhile; read it again");
    }
    error
}
