//! A delivery job's life as a table: which step may follow which, who may take each step, and what
//! each party may do next. Pure; the store's compare-and-set takes only a [`Transition`] built from
//! this table, and its compare (the step *and* the courier the caller saw) is what makes a claim
//! winnable once.

use crate::ledger::string_enum;
use crate::state::{StateMachine, Transition};

string_enum!(
    /// Where a delivery job stands. `offered` waits for a courier; `claimed` and `at_pickup` have
    /// one on the way to the shop (who may still drop it: it is offered again); from `picked_up`
    /// the goods are with the courier, and the job ends `delivered` (the customer's code checked)
    /// or comes back (`returning`, then `returned` once the shop confirms it has the goods).
    /// `cancelled` ends a job whose order ended before pickup.
    JobStatus {
        Offered => "offered",
        Claimed => "claimed",
        AtPickup => "at_pickup",
        PickedUp => "picked_up",
        AtDropOff => "at_drop_off",
        Delivered => "delivered",
        Returning => "returning",
        Returned => "returned",
        Cancelled => "cancelled",
    }
);

string_enum!(
    /// Who moves a job: a courier, the shop whose order it is, the operator, or housekeeping.
    JobActor {
        Courier => "courier",
        Shop => "shop",
        Operator => "operator",
        System => "system",
    }
);

string_enum!(
    /// What a party may do to a job now: what pages and the API offer, decided here.
    JobAction {
        Claim => "claim",
        Drop => "drop",
        ArriveAtPickup => "arrive_at_pickup",
        PickUp => "pick_up",
        ArriveAtDropOff => "arrive_at_drop_off",
        Deliver => "deliver",
        Return => "return",
        ConfirmReturn => "confirm_return",
        Assign => "assign",
        Cancel => "cancel",
    }
);

impl StateMachine for JobStatus {
    /// Offered jobs are claimed (or assigned); a claimed job goes to the shop, is picked up, goes
    /// to the door and is delivered. Before pickup the courier may drop it (offered again), the
    /// shop or operator may give it to another courier (claimed again, by someone else), or it is
    /// cancelled with its order. After pickup it can only be delivered or brought back.
    fn may_become(self, next: JobStatus) -> bool {
        use JobStatus::*;
        matches!(
            (self, next),
            (Offered, Claimed | Cancelled)
                | (Claimed, Offered | Claimed | AtPickup | PickedUp | Cancelled)
                | (AtPickup, Offered | Claimed | PickedUp | Cancelled)
                | (PickedUp, AtDropOff | Delivered | Returning)
                | (AtDropOff, Delivered | Returning)
                | (Returning, Returned)
        )
    }
}

impl JobStatus {
    /// Whether the job has ended (no step leaves it).
    pub fn is_final(self) -> bool {
        JobStatus::ALL.iter().all(|&next| !self.may_become(next))
    }

    /// Whether a courier holds the job and has not picked the goods up yet.
    pub fn is_before_pickup(self) -> bool {
        matches!(self, JobStatus::Claimed | JobStatus::AtPickup)
    }

    /// Whether the goods are with the courier: the steps whose positions the customer sees
    /// (before pickup the courier is heading to the shop, which the shop sees).
    pub fn is_carrying(self) -> bool {
        matches!(self, JobStatus::PickedUp | JobStatus::AtDropOff | JobStatus::Returning)
    }

    /// Whether the customer may add a tip: the goods are on their way to them.
    pub fn takes_tip(self) -> bool {
        matches!(self, JobStatus::PickedUp | JobStatus::AtDropOff)
    }

    /// Whether a courier is on the job, sending positions.
    pub fn is_under_way(self) -> bool {
        self.is_before_pickup() || self.is_carrying()
    }

    /// Whether moving here must carry a stated reason (the other parties read it).
    pub fn needs_reason(self) -> bool {
        matches!(self, JobStatus::Returning | JobStatus::Cancelled)
    }
}

/// What the job looks like to a step, beyond its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSituation {
    pub status: JobStatus,
    /// Whether the caller is the courier holding the job.
    pub mine: bool,
    /// Whether the calling courier is online (claims are for couriers at work).
    pub online: bool,
    /// Whether the shop has marked the order ready (goods are picked up only then).
    pub order_ready: bool,
}

/// Why a step was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JobStepError {
    /// The table does not allow the step from where the job stands.
    #[error("a delivery job cannot move from {from} to {to}")]
    NotAllowed { from: JobStatus, to: JobStatus },
    /// The step is allowed, but not to this party.
    #[error("a {actor} cannot move a delivery job from {from} to {to}")]
    NotYours { actor: JobActor, from: JobStatus, to: JobStatus },
    /// Only a courier at work claims jobs.
    #[error("go online before claiming a job")]
    Offline,
    /// The shop has not marked the order ready.
    #[error("the shop has not marked the order ready yet")]
    NotReady,
    /// Cancelling or bringing goods back must say why.
    #[error("moving a delivery job to {0} needs a reason")]
    ReasonMissing(JobStatus),
}

/// Who may take each allowed step. A courier claims an offered job and then works only their own;
/// the shop and the operator assign (or give to another courier) and cancel before pickup, and
/// confirm goods that came back; the operator may also call a carried job back; housekeeping
/// cancels jobs whose orders ended. Delivering takes the customer's code, checked by the caller.
fn actor_may(actor: JobActor, situation: JobSituation, to: JobStatus) -> bool {
    use JobStatus::*;
    let from = situation.status;
    match actor {
        JobActor::Courier => match (from, to) {
            (Offered, Claimed) => true,
            (Claimed | AtPickup, Offered | AtPickup | PickedUp)
            | (PickedUp, AtDropOff)
            | (PickedUp | AtDropOff, Delivered | Returning) => situation.mine,
            _ => false,
        },
        JobActor::Shop => {
            matches!((from, to), (Offered | Claimed | AtPickup, Claimed | Cancelled) | (Returning, Returned))
        }
        JobActor::Operator => matches!(
            (from, to),
            (Offered | Claimed | AtPickup, Claimed | Cancelled)
                | (PickedUp | AtDropOff, Returning)
                | (Returning, Returned)
        ),
        JobActor::System => matches!((from, to), (Offered | Claimed | AtPickup, Cancelled)),
    }
}

/// Checks a step against the table, the party and the job's situation, and builds the
/// [`Transition`] the store will accept.
pub fn plan_step(
    situation: JobSituation,
    actor: JobActor,
    to: JobStatus,
    has_reason: bool,
) -> Result<Transition<JobStatus>, JobStepError> {
    let from = situation.status;
    let transition = Transition::new(from, to).ok_or(JobStepError::NotAllowed { from, to })?;
    if !actor_may(actor, situation, to) {
        return Err(JobStepError::NotYours { actor, from, to });
    }
    if actor == JobActor::Courier && from == JobStatus::Offered && !situation.online {
        return Err(JobStepError::Offline);
    }
    if to == JobStatus::PickedUp && !situation.order_ready {
        return Err(JobStepError::NotReady);
    }
    if to.needs_reason() && !has_reason {
        return Err(JobStepError::ReasonMissing(to));
    }
    Ok(transition)
}

/// What `actor` may do to a job in `situation` now.
pub fn next_actions(situation: JobSituation, actor: JobActor) -> Vec<JobAction> {
    use JobAction::*;
    let can = |to: JobStatus| plan_step(situation, actor, to, true).is_ok();
    let from = situation.status;
    let courier = actor == JobActor::Courier;
    let staff = matches!(actor, JobActor::Shop | JobActor::Operator);
    [
        (courier && can(JobStatus::Claimed), Claim),
        (courier && can(JobStatus::Offered), Drop),
        (can(JobStatus::AtPickup), ArriveAtPickup),
        (can(JobStatus::PickedUp), PickUp),
        (can(JobStatus::AtDropOff), ArriveAtDropOff),
        (can(JobStatus::Delivered), Deliver),
        (can(JobStatus::Returning), Return),
        (can(JobStatus::Returned), ConfirmReturn),
        (staff && from != JobStatus::Returning && can(JobStatus::Claimed), Assign),
        (can(JobStatus::Cancelled), Cancel),
    ]
    .into_iter()
    .filter_map(|(offered, action)| offered.then_some(action))
    .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn at(status: JobStatus) -> JobSituation {
        JobSituation { status, mine: true, online: true, order_ready: true }
    }

    #[test]
    fn a_job_runs_from_offer_to_door() {
        use JobStatus::*;
        let mut status = Offered;
        for next in [Claimed, AtPickup, PickedUp, AtDropOff, Delivered] {
            let step = plan_step(at(status), JobActor::Courier, next, false).unwrap();
            assert_eq!((step.from(), step.to()), (status, next));
            status = next;
        }
        assert!(status.is_final());
        assert!(next_actions(at(status), JobActor::Courier).is_empty());
    }

    #[test]
    fn a_courier_works_only_their_own_job_and_claims_only_online() {
        let theirs = JobSituation { mine: false, ..at(JobStatus::Claimed) };
        assert_eq!(
            plan_step(theirs, JobActor::Courier, JobStatus::PickedUp, false),
            Err(JobStepError::NotYours { actor: JobActor::Courier, from: JobStatus::Claimed, to: JobStatus::PickedUp })
        );
        let offline = JobSituation { online: false, mine: false, ..at(JobStatus::Offered) };
        assert_eq!(plan_step(offline, JobActor::Courier, JobStatus::Claimed, false), Err(JobStepError::Offline));
        let claimed_by_someone = JobSituation { mine: false, ..at(JobStatus::Claimed) };
        assert!(plan_step(claimed_by_someone, JobActor::Courier, JobStatus::Claimed, false).is_err());
        assert_eq!(next_actions(claimed_by_someone, JobActor::Courier), Vec::<JobAction>::new());
    }

    #[test]
    fn goods_are_picked_up_only_when_ready_and_delivered_only_after_pickup() {
        let waiting = JobSituation { order_ready: false, ..at(JobStatus::AtPickup) };
        assert_eq!(plan_step(waiting, JobActor::Courier, JobStatus::PickedUp, false), Err(JobStepError::NotReady));
        assert_eq!(
            plan_step(at(JobStatus::AtPickup), JobActor::Courier, JobStatus::Delivered, false),
            Err(JobStepError::NotAllowed { from: JobStatus::AtPickup, to: JobStatus::Delivered })
        );
        assert!(plan_step(at(JobStatus::Delivered), JobActor::Courier, JobStatus::Delivered, false).is_err());
        assert!(plan_step(at(JobStatus::Returned), JobActor::Courier, JobStatus::Delivered, false).is_err());
    }

    #[test]
    fn dropping_offers_again_and_only_before_pickup() {
        assert!(plan_step(at(JobStatus::AtPickup), JobActor::Courier, JobStatus::Offered, false).is_ok());
        assert!(plan_step(at(JobStatus::PickedUp), JobActor::Courier, JobStatus::Offered, false).is_err());
        assert!(next_actions(at(JobStatus::Claimed), JobActor::Courier).contains(&JobAction::Drop));
    }

    #[test]
    fn returns_need_a_reason_and_the_shop_confirms_them() {
        assert_eq!(
            plan_step(at(JobStatus::AtDropOff), JobActor::Courier, JobStatus::Returning, false),
            Err(JobStepError::ReasonMissing(JobStatus::Returning))
        );
        assert!(plan_step(at(JobStatus::AtDropOff), JobActor::Courier, JobStatus::Returning, true).is_ok());
        assert!(plan_step(at(JobStatus::Returning), JobActor::Courier, JobStatus::Returned, false).is_err());
        assert_eq!(next_actions(at(JobStatus::Returning), JobActor::Shop), vec![JobAction::ConfirmReturn]);
    }

    #[test]
    fn staff_assign_and_cancel_before_pickup_only() {
        for actor in [JobActor::Shop, JobActor::Operator] {
            assert_eq!(next_actions(at(JobStatus::Offered), actor), vec![JobAction::Assign, JobAction::Cancel]);
            assert_eq!(next_actions(at(JobStatus::AtPickup), actor), vec![JobAction::Assign, JobAction::Cancel]);
            assert!(plan_step(at(JobStatus::PickedUp), actor, JobStatus::Cancelled, true).is_err());
        }
        assert_eq!(next_actions(at(JobStatus::PickedUp), JobActor::Operator), vec![JobAction::Return]);
        assert!(next_actions(at(JobStatus::PickedUp), JobActor::Shop).is_empty());
    }

    proptest! {
        #[test]
        fn every_planned_step_is_in_the_table_and_final_steps_lead_nowhere(
            from in 0..JobStatus::ALL.len(),
            to in 0..JobStatus::ALL.len(),
            actor in 0..JobActor::ALL.len(),
            flags in 0u8..8,
        ) {
            let (from, to, actor) = (JobStatus::ALL[from], JobStatus::ALL[to], JobActor::ALL[actor]);
            let situation = JobSituation { status: from, mine: flags & 1 == 1, online: flags & 2 == 2, order_ready: flags & 4 == 4 };
            if let Ok(step) = plan_step(situation, actor, to, true) {
                prop_assert!(step.is_allowed());
                prop_assert!(!from.is_final());
            }
            if from.is_final() {
                prop_assert!(next_actions(situation, actor).is_empty());
            }
        }
    }
}
