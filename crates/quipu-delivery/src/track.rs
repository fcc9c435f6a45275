//! Where the courier is: their phone sends the fixes it took (batched when signal returns), the
//! server keeps each job's last fix and a thinned trail, and the order's customer and shop read
//! how far away the courier is and about when they arrive, never the coordinates themselves.
//! Positions are not money: they are checked, then written without the ledger's barrier.

use quipu_domain::delivery::job::JobStatus;
use quipu_domain::delivery::track::{Arrival, Fix, FixUse, MAX_FIXES_PER_BATCH, arrival, check_fix, joins_trail};
use quipu_domain::delivery::{JobId, Vehicle};
use quipu_domain::identity::Role;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::market::storefront::Coordinates;
use quipu_domain::{Amount, CurrencyCode, Timestamp};
use quipu_kernel::{CoreError, CoreResult, Principal};
use quipu_store::delivery::{PositionWrite, StoredFix};
use quipu_store::market::StoredPoint;

use crate::Delivery;
use crate::jobs::Party;

/// How long a job's trail is kept after the job ended.
pub const TRAIL_RETENTION_DAYS: i64 = 30;

/// One fix as the phone sends it.
#[derive(Debug, Clone, Copy)]
pub struct FixInput {
    pub at: Timestamp,
    pub latitude: f64,
    pub longitude: f64,
}

/// What a batch of fixes came to: how many moved the courier on, and how many were older than
/// what the server had (a batch sent twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionsTaken {
    pub kept: usize,
    pub skipped: usize,
}

/// What the order's customer or shop sees of its delivery: the step, and while a courier is on
/// the way with a fresh fix, how far and how long.
#[derive(Debug, Clone)]
pub struct Tracking {
    pub job: JobId,
    pub status: JobStatus,
    pub vehicle: Option<Vehicle>,
    pub position_at: Option<Timestamp>,
    /// To the shop before pickup (the shop sees the courier coming), to the door after.
    pub arrival: Option<Arrival>,
    /// The customer's tip for the courier, zero if none.
    pub tip: Amount,
    pub currency: CurrencyCode,
    /// The reader (the order's customer) may add a tip now: the goods are on their way and there
    /// is none yet.
    pub may_tip: bool,
}

impl Delivery {
    /// The calling courier's phone sends the fixes it took on their job. A bad fix (off the globe,
    /// from the future, over an hour old, or a jump faster than anyone travels) refuses the whole
    /// batch; fixes older than the last kept are skipped.
    pub async fn report_positions(
        &self,
        principal: &Principal,
        id: JobId,
        fixes: &[FixInput],
    ) -> CoreResult<PositionsTaken> {
        let user = principal.require(Role::Courier)?;
        let job = self.visible_job(id, Party::Courier(user)).await?;
        if !job.status.is_under_way() {
            return Err(CoreError::rejected("job_not_under_way", "positions are sent only while on a job"));
        }
        if fixes.is_empty() || fixes.len() > MAX_FIXES_PER_BATCH {
            return Err(CoreError::rejected("positions_invalid", "send from 1 to 60 positions at once"));
        }
        let now = self.kernel.now();
        let mut ordered = fixes.to_vec();
        ordered.sort_by_key(|fix| fix.at);
        let mut newest = self.store.job_position(id).await?.and_then(fix_of);
        let mut trail_end = self.store.last_trail_point(id).await?.and_then(fix_of);
        let (mut trail, mut skipped) = (Vec::new(), 0_usize);
        for input in ordered {
            let point = Coordinates::new(input.latitude, input.longitude)
                .map_err(|error| CoreError::rejected("position_invalid", error.to_string()))?;
            let fix = Fix { at: input.at, point };
            match check_fix(newest, fix, now)
                .map_err(|error| CoreError::rejected("position_refused", error.to_string()))?
            {
                FixUse::Skipped => skipped = skipped.saturating_add(1),
                FixUse::Newest => {
                    if joins_trail(trail_end, fix) {
                        trail.push(stored(fix));
                        trail_end = Some(fix);
                    }
                    newest = Some(fix);
                }
            }
        }
        let kept = fixes.len().saturating_sub(skipped);
        if let Some(newest) = newest.filter(|_| kept > 0) {
            let write = PositionWrite { job: id, courier: user, newest: stored(newest), trail: &trail };
            self.positions.write(&write).await?;
        }
        Ok(PositionsTaken { kept, skipped })
    }

    /// Where the calling courier is while online and between jobs: what dispatch measures the
    /// circle around a shop from. Checked as a job's positions are; an older fix than the one kept
    /// changes nothing.
    pub async fn report_position(&self, principal: &Principal, input: FixInput) -> CoreResult<()> {
        let user = principal.require(Role::Courier)?;
        let courier = self.courier_record(user).await?;
        if courier.state != quipu_domain::delivery::CourierState::Online {
            return Err(CoreError::rejected("courier_offline", "go online to share where you are"));
        }
        let point = Coordinates::new(input.latitude, input.longitude)
            .map_err(|error| CoreError::rejected("position_invalid", error.to_string()))?;
        let fix = Fix { at: input.at, point };
        let last = courier.position.and_then(|(point, at)| fix_of(StoredFix { at, point }));
        let used = check_fix(last, fix, self.kernel.now())
            .map_err(|error| CoreError::rejected("position_refused", error.to_string()))?;
        if used == FixUse::Newest {
            self.store.set_courier_position(user, &stored(fix)).await?;
        }
        Ok(())
    }

    /// An order's delivery as its customer or its shop sees it.
    pub async fn tracking(&self, principal: &Principal, order_id: OrderId) -> CoreResult<Tracking> {
        let order = self.orders.order(order_id).await?.ok_or_else(|| CoreError::not_found("order"))?;
        let customer = principal.role() == Some(Role::Customer) && principal.user_id() == Some(order.customer);
        let shop = principal.merchant() == Some(order.seller);
        if !customer && !shop {
            return Err(CoreError::not_found("order"));
        }
        let job = self.store.job(JobId::of_order(order_id)).await?.ok_or_else(|| CoreError::not_found("delivery"))?;
        let may_tip = customer && job.status.takes_tip() && job.tip == Amount::ZERO;
        let mut tracking = Tracking {
            job: job.id,
            status: job.status,
            vehicle: None,
            position_at: None,
            arrival: None,
            tip: job.tip,
            currency: job.currency,
            may_tip,
        };
        let Some(courier) = job.courier.filter(|_| job.status.is_under_way()) else { return Ok(tracking) };
        let courier = self.courier_record(courier).await?;
        let last = self.store.job_position(job.id).await?.and_then(fix_of);
        let destination = if job.status.is_before_pickup() {
            self.kernel.store.seller(order.seller).await?.and_then(|seller| seller.location)
        } else {
            order.location
        };
        tracking.vehicle = Some(courier.vehicle);
        tracking.position_at = last.map(|fix| fix.at);
        tracking.arrival =
            arrival(last, destination.and_then(StoredPoint::coordinates), courier.vehicle, self.kernel.now());
        Ok(tracking)
    }

    /// Housekeeping: deletes the trails of jobs that ended [`TRAIL_RETENTION_DAYS`] ago.
    pub async fn delete_old_trails(&self, limit: u32) -> CoreResult<u64> {
        let before = self.kernel.now().plus_seconds(-TRAIL_RETENTION_DAYS * 24 * 60 * 60);
        Ok(self.store.delete_old_trails(before, limit).await?)
    }
}

fn stored(fix: Fix) -> StoredFix {
    StoredFix { at: fix.at, point: StoredPoint::from_coordinates(fix.point) }
}

fn fix_of(stored: StoredFix) -> Option<Fix> {
    stored.point.coordinates().map(|point| Fix { at: stored.at, point })
}
