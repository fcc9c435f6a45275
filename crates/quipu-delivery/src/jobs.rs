//! Delivery jobs as couriers, shops and the operator work them: the offers a courier sees, the
//! claim, each step to the door, and a shop's or the operator's assignment. Every step is planned
//! by the domain's table and written as a compare-and-set on the version read.

use quipu_domain::Timestamp;
use quipu_domain::delivery::dispatch::{CourierPlace, MAX_OFFERS, Offer, sees};
use quipu_domain::delivery::job::{
    JobAction, JobActor, JobSituation, JobStatus, JobStepError, next_actions, plan_step,
};
use quipu_domain::delivery::{CourierState, JobId};
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::market::checkout::MAX_REASON_CHARS;
use quipu_domain::market::order::OrderStatus;
use quipu_domain::market::storefront::Coordinates;
use quipu_domain::text::is_display_safe;
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Principal};
use quipu_store::delivery::{CourierRecord, JobMove, JobRecord, JobStep, MAX_JOBS_PAGE, MAX_OPEN_JOBS, OpenJob};

use crate::Delivery;

/// Most jobs a courier holds at once (claimed and not yet delivered or brought back).
pub const MAX_ACTIVE_JOBS: usize = 3;
/// A courier's position older than this is not where dispatch measures from (their area is).
const POSITION_FRESH_SECONDS: u64 = 10 * 60;

/// A job as one party reads it: the job, its steps, and what that party may do next (decided by
/// the domain, never by a page).
#[derive(Debug, Clone)]
pub struct Job {
    pub record: JobRecord,
    pub steps: Vec<JobStep>,
    pub next_actions: Vec<JobAction>,
    /// Where the goods are picked up and where they go: for the job's courier, its shop and the
    /// operator, who alone read a job.
    pub places: JobPlaces,
}

/// The two ends of a job: the shop (its name, address and place) and the door (the order's
/// address and, when the customer's phone gave one, its place).
#[derive(Debug, Clone, Default)]
pub struct JobPlaces {
    pub shop_name: String,
    pub shop_address: String,
    pub shop_at: Option<Coordinates>,
    pub door_address: String,
    pub door_at: Option<Coordinates>,
}

/// An offer as a courier sees it: how far the shop is from them, and the door from the shop.
#[derive(Debug, Clone)]
pub struct JobOffer {
    pub job: JobRecord,
    pub shop_name: String,
    pub pickup_metres: Option<u32>,
    pub drop_off_metres: Option<u32>,
}

/// Who the caller is to a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Party {
    Courier(UserId),
    Shop(MerchantId),
    Operator,
}

impl Party {
    pub(crate) fn actor(self) -> JobActor {
        match self {
            Party::Courier(_) => JobActor::Courier,
            Party::Shop(_) => JobActor::Shop,
            Party::Operator => JobActor::Operator,
        }
    }
}

impl Delivery {
    /// The offers the calling courier sees now, nearest first; none while they are offline.
    pub async fn offers(&self, principal: &Principal) -> CoreResult<Vec<JobOffer>> {
        let user = principal.require(Role::Courier)?;
        let courier = self.courier_record(user).await?;
        if courier.state != CourierState::Online {
            return Ok(Vec::new());
        }
        let now = self.kernel.now();
        let place = self.place_of(&courier, now);
        let open = self.store.open_jobs(courier.only_for, MAX_OPEN_JOBS).await?;
        let mut offers: Vec<JobOffer> = open
            .into_iter()
            .filter_map(|open| {
                let pickup_metres = sees(&place, &offer_of(&open), now)?;
                let drop_off_metres = open
                    .shop_at
                    .and_then(|shop| shop.coordinates())
                    .zip(open.drop_off.and_then(|door| door.coordinates()))
                    .map(|(shop, door)| shop.metres_to(door));
                Some(JobOffer { shop_name: open.shop_name, job: open.job, pickup_metres, drop_off_metres })
            })
            .collect();
        offers.sort_by_key(|offer| (offer.pickup_metres.unwrap_or(u32::MAX), offer.job.offered_at));
        offers.truncate(usize::try_from(MAX_OFFERS).unwrap_or(usize::MAX));
        Ok(offers)
    }

    /// The calling courier claims an offered job. Of several claiming at once, one wins; the
    /// others hear that someone was first.
    pub async fn claim(&self, principal: &Principal, id: JobId) -> CoreResult<Job> {
        let user = principal.require(Role::Courier)?;
        let courier = self.courier_record(user).await?;
        let job = self.store.job(id).await?.ok_or_else(|| CoreError::not_found("job"))?;
        // A job is claimed by a courier it is offered to: a shop's own courier takes only its jobs.
        if courier.only_for.is_some_and(|shop| shop != job.seller) {
            return Err(CoreError::not_found("job"));
        }
        // A claim retried after its answer was lost finds the job already theirs.
        if job.courier == Some(user) && job.status.is_before_pickup() {
            return self.job_view(id, Party::Courier(user)).await;
        }
        if job.status != JobStatus::Offered {
            return Err(taken());
        }
        let active = self.store.courier_jobs(user, true, MAX_JOBS_PAGE).await?;
        if active.len() >= MAX_ACTIVE_JOBS {
            return Err(CoreError::rejected("too_many_jobs", "finish a job before claiming another"));
        }
        let situation = self.situation(&job, Party::Courier(user), Some(&courier)).await?;
        let transition = plan_step(situation, JobActor::Courier, JobStatus::Claimed, false).map_err(step_refused)?;
        let step = self.step_record(&job, JobActor::Courier, Some(user), JobStatus::Claimed, Some(user), None);
        let events = self.step_events(&job, &step).await?;
        let job_move =
            JobMove { job: job.id, version: job.version, transition, step, offered_again: false, events: &events };
        if !self.store.move_job(&job_move).await? {
            return Err(taken());
        }
        self.kernel.events_written();
        self.job_view(id, Party::Courier(user)).await
    }

    /// The calling courier's step on their own job: at the shop, picked up, at the door, bringing
    /// the goods back (with a reason), or dropping the job before pickup (offered again).
    /// Delivering takes the customer's code and is not a plain step.
    pub async fn courier_step(
        &self,
        principal: &Principal,
        id: JobId,
        to: JobStatus,
        reason: Option<String>,
    ) -> CoreResult<Job> {
        let user = principal.require(Role::Courier)?;
        let courier = self.courier_record(user).await?;
        let job = self.visible_job(id, Party::Courier(user)).await?;
        if to == JobStatus::Delivered {
            return Err(CoreError::invalid("handover_code_required", "deliver with the customer's hand-over code"));
        }
        let reason = checked_reason(reason)?;
        let situation = self.situation(&job, Party::Courier(user), Some(&courier)).await?;
        let transition = plan_step(situation, JobActor::Courier, to, reason.is_some()).map_err(step_refused)?;
        let holder = if to == JobStatus::Offered { None } else { job.courier };
        let step = self.step_record(&job, JobActor::Courier, Some(user), to, holder, reason);
        let offered_again = to == JobStatus::Offered;
        let events = self.step_events(&job, &step).await?;
        let job_move = JobMove { job: job.id, version: job.version, transition, step, offered_again, events: &events };
        self.write_step(&job_move).await?;
        // A dropped job is not theirs any more: they read it once more, as it now stands.
        let record = self.store.job(id).await?.ok_or_else(|| CoreError::not_found("job"))?;
        self.view_of(record, Party::Courier(user)).await
    }

    /// The shop (its owner or a cashier) or the operator gives a job to a courier: an offered
    /// one, or one a courier holds and has not picked up yet (given to someone else).
    pub async fn assign(&self, principal: &Principal, id: JobId, to: UserId) -> CoreResult<Job> {
        let party = staff_party(principal)?;
        let job = self.visible_job(id, party).await?;
        let courier = self.courier_record(to).await?;
        if courier.only_for.is_some_and(|shop| shop != job.seller) {
            return Err(CoreError::rejected("courier_works_elsewhere", "this courier works for another shop only"));
        }
        let actor = party.actor();
        let situation = self.situation(&job, party, None).await?;
        let transition = plan_step(situation, actor, JobStatus::Claimed, false).map_err(step_refused)?;
        let step = self.step_record(&job, actor, principal.user_id(), JobStatus::Claimed, Some(to), None);
        let events = self.step_events(&job, &step).await?;
        let job_move =
            JobMove { job: job.id, version: job.version, transition, step, offered_again: false, events: &events };
        self.write_step(&job_move).await?;
        self.job_view(id, party).await
    }

    /// One job, for its courier, its shop or the operator.
    pub async fn job(&self, principal: &Principal, id: JobId) -> CoreResult<Job> {
        let party = match principal.role() {
            Some(Role::Courier) => Party::Courier(principal.require(Role::Courier)?),
            _ => staff_party(principal)?,
        };
        self.job_view(id, party).await
    }

    /// The calling courier's jobs, newest first: only those under way when `active`.
    pub async fn my_jobs(&self, principal: &Principal, active: bool, limit: u32) -> CoreResult<Vec<Job>> {
        let user = principal.require(Role::Courier)?;
        let courier = self.courier_record(user).await?;
        let records = self.store.courier_jobs(user, active, limit.min(MAX_JOBS_PAGE)).await?;
        let mut jobs = Vec::with_capacity(records.len());
        for record in records {
            let situation = self.situation(&record, Party::Courier(user), Some(&courier)).await?;
            let steps = self.store.job_steps(record.id).await?;
            let next_actions = next_actions(situation, JobActor::Courier);
            let places = self.places_of(&record).await?;
            jobs.push(Job { record, steps, next_actions, places });
        }
        Ok(jobs)
    }

    pub(crate) async fn job_view(&self, id: JobId, party: Party) -> CoreResult<Job> {
        let record = self.visible_job(id, party).await?;
        self.view_of(record, party).await
    }

    pub(crate) async fn view_of(&self, record: JobRecord, party: Party) -> CoreResult<Job> {
        let courier = match party {
            Party::Courier(user) => Some(self.courier_record(user).await?),
            Party::Shop(_) | Party::Operator => None,
        };
        let situation = self.situation(&record, party, courier.as_ref()).await?;
        let steps = self.store.job_steps(record.id).await?;
        let places = self.places_of(&record).await?;
        Ok(Job { next_actions: next_actions(situation, party.actor()), record, steps, places })
    }

    /// The shop's and the door's address and place.
    async fn places_of(&self, job: &JobRecord) -> CoreResult<JobPlaces> {
        let shop = self.market.seller(job.seller).await?;
        let order = self.orders.order(job.order).await?.ok_or_else(|| CoreError::not_found("order"))?;
        Ok(JobPlaces {
            shop_name: shop.name,
            shop_address: shop.record.address,
            shop_at: shop.record.location.and_then(|point| point.coordinates()),
            door_address: order.address,
            door_at: order.location.and_then(|point| point.coordinates()),
        })
    }

    /// The job, if the party may see it: its courier, its shop, or the operator. A job someone
    /// else holds looks missing to a courier.
    pub(crate) async fn visible_job(&self, id: JobId, party: Party) -> CoreResult<JobRecord> {
        let job = self.store.job(id).await?.ok_or_else(|| CoreError::not_found("job"))?;
        let visible = match party {
            Party::Courier(user) => job.courier == Some(user),
            Party::Shop(shop) => job.seller == shop,
            Party::Operator => true,
        };
        if visible { Ok(job) } else { Err(CoreError::not_found("job")) }
    }

    pub(crate) async fn situation(
        &self,
        job: &JobRecord,
        party: Party,
        courier: Option<&CourierRecord>,
    ) -> CoreResult<JobSituation> {
        let order = self.orders.order(job.order).await?.ok_or_else(|| CoreError::not_found("order"))?;
        let mine = matches!(party, Party::Courier(user) if job.courier == Some(user));
        let online = courier.is_some_and(|courier| courier.state == CourierState::Online);
        Ok(JobSituation { status: job.status, mine, online, order_ready: order.status == OrderStatus::Ready })
    }

    pub(crate) fn step_record(
        &self,
        job: &JobRecord,
        actor: JobActor,
        by: Option<UserId>,
        to: JobStatus,
        courier: Option<UserId>,
        note: Option<String>,
    ) -> JobStep {
        JobStep {
            at: self.kernel.now(),
            actor,
            by: by.map(|user| user.0),
            from: Some(job.status),
            to,
            courier,
            point: None,
            note,
        }
    }

    async fn write_step(&self, job_move: &JobMove<'_>) -> CoreResult<()> {
        if self.store.move_job(job_move).await? {
            self.kernel.events_written();
            return Ok(());
        }
        let current = self.store.job(job_move.job).await?.ok_or_else(|| CoreError::not_found("job"))?;
        Err(CoreError::new(
            ErrorKind::Conflict,
            "job_changed",
            format!("this job is {} now; read it again", current.status),
        ))
    }

    /// Where dispatch measures a courier from: a fresh position, else their area alone.
    fn place_of(&self, courier: &CourierRecord, now: Timestamp) -> CourierPlace {
        let at = courier
            .position
            .filter(|(_, at)| now.seconds_since(*at) <= POSITION_FRESH_SECONDS)
            .and_then(|(point, _)| point.coordinates());
        CourierPlace { vehicle: courier.vehicle, at, home_area: courier.home_area, only_for: courier.only_for }
    }
}

fn taken() -> CoreError {
    CoreError::new(ErrorKind::Conflict, "job_taken", "another courier claimed this job first")
}

fn offer_of(open: &OpenJob) -> Offer {
    Offer {
        shop: open.job.seller,
        shop_at: open.shop_at.and_then(|point| point.coordinates()),
        area: open.area,
        offered_at: open.job.offered_at,
    }
}

/// The shop's staff (its owner or a cashier) or the operator.
pub(crate) fn staff_party(principal: &Principal) -> CoreResult<Party> {
    match (principal.role(), principal.merchant()) {
        (Some(Role::Operator), _) => Ok(Party::Operator),
        (Some(Role::MerchantOwner | Role::Cashier), Some(shop)) => Ok(Party::Shop(shop)),
        _ => Err(CoreError::forbidden()),
    }
}

pub(crate) fn checked_reason(reason: Option<String>) -> CoreResult<Option<String>> {
    let Some(reason) = reason.map(|text| text.trim().to_owned()).filter(|text| !text.is_empty()) else {
        return Ok(None);
    };
    if reason.chars().count() > MAX_REASON_CHARS || !is_display_safe(&reason) {
        return Err(CoreError::invalid("reason_invalid", "a reason is at most 200 characters of plain text"));
    }
    Ok(Some(reason))
}

pub(crate) fn step_refused(error: JobStepError) -> CoreError {
    match error {
        JobStepError::NotAllowed { .. } => {
            CoreError::new(ErrorKind::Conflict, "job_step_not_allowed", error.to_string())
        }
        JobStepError::NotYours { .. } => CoreError::new(ErrorKind::Forbidden, "job_step_not_yours", error.to_string()),
        JobStepError::Offline => CoreError::rejected("courier_offline", error.to_string()),
        JobStepError::NotReady => CoreError::new(ErrorKind::Conflict, "order_not_ready", error.to_string()),
        JobStepError::ReasonMissing(_) => CoreError::rejected("reason_required", error.to_string()),
    }
}
