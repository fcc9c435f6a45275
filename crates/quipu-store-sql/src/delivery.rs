//! [`DeliveryStore`] for every backend. A job's step is one `UPDATE … WHERE id AND version`: of
//! several couriers claiming an offered job at once, in one process or several on one PostgreSQL,
//! the first write moves the version on and every other matches no row (SQLite has one writer;
//! PostgreSQL re-reads the locked row after the winner commits and finds it changed). The step's
//! record and its events commit in the same transaction.

use quipu_domain::Timestamp;
use quipu_domain::delivery::job::{JobActor, JobStatus};
use quipu_domain::delivery::{CourierState, JobId, Vehicle};
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::market::AreaId;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::state::StateMachine;
use quipu_store::delivery::{
    CourierRecord, DeliveryStore, JobMove, JobRecord, JobStep, MAX_JOB_STEPS, MAX_JOBS_PAGE, MAX_OPEN_JOBS, OpenJob,
};
use quipu_store::market::StoredPoint;
use quipu_store::{StoreResult, async_trait, corrupt, db_error};

use crate::decode::{amount, currency, named};
use crate::driver::{Columns, FromColumns, Statement, execute, fetch_all, fetch_optional};
use crate::{Backend, Conn, SqlStore};

pub(crate) mod sql {
    crate::sql_statements! {
        INSERT_COURIER = "INSERT INTO couriers (user_id, vehicle, home_area_id, only_for, state, latitude_micro, longitude_micro, position_at, created_at, updated_at) \
            VALUES ($1, $2, $3, $4, $5, NULL, NULL, NULL, $6, $6) ON CONFLICT (user_id) DO NOTHING";
        SELECT_COURIER = "SELECT * FROM couriers WHERE user_id = $1";
        SELECT_COURIERS = "SELECT * FROM couriers ORDER BY created_at DESC, user_id LIMIT $1 OFFSET $2";
        SET_COURIER_STATE = "UPDATE couriers SET state = $2, updated_at = $3 WHERE user_id = $1";
        /// Offers a job unless its order has one already (accepting twice cannot offer twice).
        INSERT_JOB = "INSERT INTO delivery_jobs (id, order_id, seller_id, status, courier_id, fee, currency, version, offered_at, alerted_at, reason, created_at, updated_at) \
            VALUES ($1, $2, $3, $4, NULL, $5, $6, 1, $7, NULL, NULL, $7, $7) ON CONFLICT (order_id) DO NOTHING";
        SELECT_JOB = "SELECT * FROM delivery_jobs WHERE id = $1";
        SELECT_ORDER_JOB = "SELECT * FROM delivery_jobs WHERE order_id = $1";
        /// Offered jobs with their shop's place and the order's area and door, oldest offer first.
        SELECT_OPEN_JOBS = "SELECT j.*, m.name AS shop_name, s.latitude_micro AS shop_latitude, s.longitude_micro AS shop_longitude, \
            o.area_id, o.latitude_micro AS door_latitude, o.longitude_micro AS door_longitude \
            FROM delivery_jobs j JOIN sellers s ON s.merchant_id = j.seller_id JOIN merchants m ON m.id = j.seller_id \
            JOIN orders o ON o.id = j.order_id WHERE j.status = $1 ORDER BY j.offered_at, j.id LIMIT $2";
        /// As `SELECT_OPEN_JOBS`, of one shop (`$3`) only: for its own couriers.
        SELECT_SHOP_OPEN_JOBS = "SELECT j.*, m.name AS shop_name, s.latitude_micro AS shop_latitude, s.longitude_micro AS shop_longitude, \
            o.area_id, o.latitude_micro AS door_latitude, o.longitude_micro AS door_longitude \
            FROM delivery_jobs j JOIN sellers s ON s.merchant_id = j.seller_id JOIN merchants m ON m.id = j.seller_id \
            JOIN orders o ON o.id = j.order_id WHERE j.status = $1 AND j.seller_id = $3 ORDER BY j.offered_at, j.id LIMIT $2";
        SELECT_COURIER_JOBS = "SELECT * FROM delivery_jobs WHERE courier_id = $1 ORDER BY updated_at DESC, id LIMIT $2";
        SELECT_ACTIVE_COURIER_JOBS = "SELECT * FROM delivery_jobs WHERE courier_id = $1 AND status IN ($2, $3, $4, $5, $6) \
            ORDER BY updated_at DESC, id LIMIT $7";
        /// The compare-and-set: the version the caller read (so its status and courier too).
        MOVE_JOB = "UPDATE delivery_jobs SET status = $3, courier_id = $4, version = version + 1, \
            offered_at = CASE WHEN $5 = 1 THEN $6 ELSE offered_at END, reason = COALESCE($7, reason), updated_at = $6 \
            WHERE id = $1 AND version = $2";
        /// Ends a job with its order, if it is still at the version read.
        CANCEL_JOB = "UPDATE delivery_jobs SET status = $3, version = version + 1, reason = COALESCE($4, reason), updated_at = $5 \
            WHERE id = $1 AND version = $2";
        INSERT_STEP = "INSERT INTO delivery_steps (job_id, seq, at, actor, by_id, from_status, to_status, courier_id, latitude_micro, longitude_micro, note) \
            VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM delivery_steps WHERE job_id = $1), $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        SELECT_STEPS = "SELECT * FROM delivery_steps WHERE job_id = $1 ORDER BY seq LIMIT $2";
    }
}

fn point_of(row: &dyn Columns, latitude: &str, longitude: &str) -> StoreResult<Option<StoredPoint>> {
    Ok(match (row.opt_int(latitude)?, row.opt_int(longitude)?) {
        (Some(latitude_micro), Some(longitude_micro)) => Some(StoredPoint { latitude_micro, longitude_micro }),
        _ => None,
    })
}

impl FromColumns for CourierRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let point = point_of(row, "latitude_micro", "longitude_micro")?;
        let position_at = row.opt_int("position_at")?.map(Timestamp);
        Ok(Self {
            user: UserId(row.uuid("user_id")?),
            vehicle: named("couriers", row, "vehicle", Vehicle::parse)?,
            home_area: row.opt_uuid("home_area_id")?.map(AreaId),
            only_for: row.opt_uuid("only_for")?.map(MerchantId),
            state: named("couriers", row, "state", CourierState::parse)?,
            position: point.zip(position_at),
            created_at: Timestamp(row.int("created_at")?),
            updated_at: Timestamp(row.int("updated_at")?),
        })
    }
}

impl FromColumns for JobRecord {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: JobId(row.uuid("id")?),
            order: OrderId(row.uuid("order_id")?),
            seller: MerchantId(row.uuid("seller_id")?),
            status: named("delivery_jobs", row, "status", JobStatus::parse)?,
            courier: row.opt_uuid("courier_id")?.map(UserId),
            fee: amount(row, "fee")?,
            currency: currency("delivery_jobs", row, "currency")?,
            version: row.int("version")?,
            offered_at: Timestamp(row.int("offered_at")?),
            alerted_at: row.opt_int("alerted_at")?.map(Timestamp),
            reason: row.opt_text("reason")?,
            created_at: Timestamp(row.int("created_at")?),
            updated_at: Timestamp(row.int("updated_at")?),
        })
    }
}

impl FromColumns for OpenJob {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            job: JobRecord::from_columns(row)?,
            shop_name: row.text("shop_name")?,
            shop_at: point_of(row, "shop_latitude", "shop_longitude")?,
            area: row.opt_uuid("area_id")?.map(AreaId),
            drop_off: point_of(row, "door_latitude", "door_longitude")?,
        })
    }
}

impl FromColumns for JobStep {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        let from = match row.opt_text("from_status")? {
            Some(text) => Some(
                JobStatus::parse(&text).ok_or_else(|| corrupt("delivery_steps", format!("from_status {text:?}")))?,
            ),
            None => None,
        };
        Ok(Self {
            at: Timestamp(row.int("at")?),
            actor: named("delivery_steps", row, "actor", JobActor::parse)?,
            by: row.opt_uuid("by_id")?,
            from,
            to: named("delivery_steps", row, "to_status", JobStatus::parse)?,
            courier: row.opt_uuid("courier_id")?.map(UserId),
            point: point_of(row, "latitude_micro", "longitude_micro")?,
            note: row.opt_text("note")?,
        })
    }
}

fn step_statement(job: JobId, step: &JobStep) -> Statement<'_> {
    Statement::new(sql::INSERT_STEP)
        .bind(job)
        .bind(step.at)
        .bind(step.actor.as_str())
        .bind(step.by)
        .bind(step.from.map(JobStatus::as_str))
        .bind(step.to.as_str())
        .bind(step.courier)
        .bind(step.point.map(|point| point.latitude_micro))
        .bind(step.point.map(|point| point.longitude_micro))
        .bind(step.note.as_deref())
}

/// Offers `job` in the caller's transaction (the one accepting its order); a job already there
/// for the order is kept.
pub(crate) async fn offer_job<B: Backend>(conn: &mut Conn<B>, job: &JobRecord) -> StoreResult<()> {
    let insert = Statement::new(sql::INSERT_JOB)
        .bind(job.id)
        .bind(job.order)
        .bind(job.seller)
        .bind(JobStatus::Offered.as_str())
        .bind(job.fee)
        .bind(&job.currency)
        .bind(job.offered_at);
    if execute::<B::Db>(conn, "offering a delivery job", insert).await? == 1 {
        let step = JobStep {
            at: job.offered_at,
            actor: JobActor::System,
            by: None,
            from: None,
            to: JobStatus::Offered,
            courier: None,
            point: None,
            note: None,
        };
        execute::<B::Db>(conn, "recording a job's offer", step_statement(job.id, &step)).await?;
    }
    Ok(())
}

/// Cancels the order's job in the caller's transaction (the one ending its order), recording
/// `step` with the step it left. False when the order has a job nobody may cancel any more (its
/// goods are with a courier, or it ended otherwise), or one that moved meanwhile.
pub(crate) async fn cancel_order_job<B: Backend>(
    conn: &mut Conn<B>,
    order: OrderId,
    step: &JobStep,
) -> StoreResult<bool> {
    let statement = Statement::new(sql::SELECT_ORDER_JOB).bind(order);
    let job: Option<JobRecord> = fetch_optional::<B::Db, _>(conn, "loading an order's job", statement).await?;
    // No job (a pickup order, or one never accepted) leaves nothing to cancel.
    let Some(job) = job else { return Ok(true) };
    if job.status == JobStatus::Cancelled {
        return Ok(true);
    }
    if !job.status.may_become(JobStatus::Cancelled) {
        return Ok(false);
    }
    let statement = Statement::new(sql::CANCEL_JOB)
        .bind(job.id)
        .bind(job.version)
        .bind(JobStatus::Cancelled.as_str())
        .bind(step.note.as_deref())
        .bind(step.at);
    if execute::<B::Db>(conn, "cancelling an order's delivery job", statement).await? != 1 {
        return Ok(false);
    }
    let step = JobStep { from: Some(job.status), courier: job.courier, ..step.clone() };
    execute::<B::Db>(conn, "recording a job's cancel", step_statement(job.id, &step)).await?;
    Ok(true)
}

#[async_trait]
impl<B: Backend> DeliveryStore for SqlStore<B> {
    async fn insert_courier(&self, courier: &CourierRecord) -> StoreResult<bool> {
        let statement = Statement::new(sql::INSERT_COURIER)
            .bind(courier.user)
            .bind(courier.vehicle.as_str())
            .bind(courier.home_area)
            .bind(courier.only_for)
            .bind(courier.state.as_str())
            .bind(courier.created_at);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "adding a courier", statement).await? == 1)
    }

    async fn courier(&self, user: UserId) -> StoreResult<Option<CourierRecord>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a courier", Statement::new(sql::SELECT_COURIER).bind(user)).await
    }

    async fn couriers(&self, limit: u32, offset: u32) -> StoreResult<Vec<CourierRecord>> {
        let statement = Statement::new(sql::SELECT_COURIERS).bind(limit.min(MAX_JOBS_PAGE)).bind(offset);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading couriers", statement).await
    }

    async fn set_courier_state(&self, user: UserId, state: CourierState, now: Timestamp) -> StoreResult<bool> {
        let statement = Statement::new(sql::SET_COURIER_STATE).bind(user).bind(state.as_str()).bind(now);
        let mut conn = self.writer().await?;
        Ok(execute::<B::Db>(&mut conn, "setting a courier's state", statement).await? == 1)
    }

    async fn job(&self, id: JobId) -> StoreResult<Option<JobRecord>> {
        let mut conn = self.reader().await?;
        fetch_optional::<B::Db, _>(&mut conn, "loading a delivery job", Statement::new(sql::SELECT_JOB).bind(id)).await
    }

    async fn order_job(&self, order: OrderId) -> StoreResult<Option<JobRecord>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_ORDER_JOB).bind(order);
        fetch_optional::<B::Db, _>(&mut conn, "loading an order's delivery job", statement).await
    }

    async fn open_jobs(&self, only_for: Option<MerchantId>, limit: u32) -> StoreResult<Vec<OpenJob>> {
        let limit = limit.min(MAX_OPEN_JOBS);
        let statement = match only_for {
            Some(shop) => {
                Statement::new(sql::SELECT_SHOP_OPEN_JOBS).bind(JobStatus::Offered.as_str()).bind(limit).bind(shop)
            }
            None => Statement::new(sql::SELECT_OPEN_JOBS).bind(JobStatus::Offered.as_str()).bind(limit),
        };
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading offered delivery jobs", statement).await
    }

    async fn courier_jobs(&self, courier: UserId, active: bool, limit: u32) -> StoreResult<Vec<JobRecord>> {
        let limit = limit.min(MAX_JOBS_PAGE);
        let statement = if active {
            Statement::new(sql::SELECT_ACTIVE_COURIER_JOBS)
                .bind(courier)
                .bind(JobStatus::Claimed.as_str())
                .bind(JobStatus::AtPickup.as_str())
                .bind(JobStatus::PickedUp.as_str())
                .bind(JobStatus::AtDropOff.as_str())
                .bind(JobStatus::Returning.as_str())
                .bind(limit)
        } else {
            Statement::new(sql::SELECT_COURIER_JOBS).bind(courier).bind(limit)
        };
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading a courier's jobs", statement).await
    }

    async fn move_job(&self, job_move: &JobMove<'_>) -> StoreResult<bool> {
        let transition = job_move.transition;
        debug_assert!(transition.is_allowed(), "a job's step the table does not allow: {transition:?}");
        let step = &job_move.step;
        let reason = if transition.to().needs_reason() { step.note.as_deref() } else { None };
        let statement = Statement::new(sql::MOVE_JOB)
            .bind(job_move.job)
            .bind(job_move.version)
            .bind(transition.to().as_str())
            .bind(step.courier)
            .bind(i64::from(job_move.offered_again))
            .bind(step.at)
            .bind(reason);
        let mut tx = self.begin().await?;
        if execute::<B::Db>(&mut tx, "moving a delivery job", statement).await? != 1 {
            return Ok(false);
        }
        execute::<B::Db>(&mut tx, "recording a job's step", step_statement(job_move.job, step)).await?;
        for event in job_move.events {
            crate::events::insert_event::<B>(&mut tx, event).await?;
        }
        tx.commit().await.map_err(db_error("committing a job's step"))?;
        Ok(true)
    }

    async fn job_steps(&self, job: JobId) -> StoreResult<Vec<JobStep>> {
        let statement = Statement::new(sql::SELECT_STEPS).bind(job).bind(MAX_JOB_STEPS);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading a job's steps", statement).await
    }
}
