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
    CourierRecord, DeliveryStore, JobMove, JobRecord, JobStep, LiveJob, MAX_JOB_STEPS, MAX_JOBS_PAGE, MAX_OPEN_JOBS,
    OpenJob, PositionWrite, StoredFix,
};
use quipu_store::events::EventRecord;
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
            offered_at = CASE WHEN $5 = 1 THEN $6 ELSE offered_at END, \
            alerted_at = CASE WHEN $5 = 1 THEN NULL ELSE alerted_at END, reason = COALESCE($7, reason), updated_at = $6 \
            WHERE id = $1 AND version = $2";
        /// A tip on a job carrying the goods (`$3`, `$4`), once.
        SET_TIP = "UPDATE delivery_jobs SET tip = $2 WHERE id = $1 AND tip = 0 AND status IN ($3, $4)";
        CLEAR_TIP = "UPDATE delivery_jobs SET tip = 0 WHERE id = $1 AND tip = $2";
        /// Jobs not ended (`$1`–`$3` are the ends), oldest first, with their shop's and courier's names.
        SELECT_LIVE_JOBS = "SELECT j.*, m.name AS shop_name, u.full_name AS courier_name FROM delivery_jobs j \
            JOIN merchants m ON m.id = j.seller_id LEFT JOIN users u ON u.id = j.courier_id \
            WHERE j.status NOT IN ($1, $2, $3) ORDER BY j.created_at, j.id LIMIT $4";
        SELECT_UNCLAIMED_JOBS = "SELECT * FROM delivery_jobs WHERE status = $1 AND offered_at < $2 AND alerted_at IS NULL \
            ORDER BY offered_at, id LIMIT $3";
        MARK_ALERTED = "UPDATE delivery_jobs SET alerted_at = $3 WHERE id = $1 AND status = $2 AND alerted_at IS NULL";
        /// Ends a job with its order, if it is still at the version read.
        CANCEL_JOB = "UPDATE delivery_jobs SET status = $3, version = version + 1, reason = COALESCE($4, reason), updated_at = $5 \
            WHERE id = $1 AND version = $2";
        INSERT_STEP = "INSERT INTO delivery_steps (job_id, seq, at, actor, by_id, from_status, to_status, courier_id, latitude_micro, longitude_micro, note) \
            VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM delivery_steps WHERE job_id = $1), $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        SELECT_STEPS = "SELECT * FROM delivery_steps WHERE job_id = $1 ORDER BY seq LIMIT $2";
        SELECT_POSITION = "SELECT at, latitude_micro, longitude_micro FROM job_positions WHERE job_id = $1";
        SELECT_LAST_TRAIL_POINT = "SELECT at, latitude_micro, longitude_micro FROM job_trails WHERE job_id = $1 ORDER BY at DESC LIMIT 1";
        /// The job's last position, moved only forward in time (a late batch cannot move it back).
        UPSERT_POSITION = "INSERT INTO job_positions (job_id, at, latitude_micro, longitude_micro) VALUES ($1, $2, $3, $4) \
            ON CONFLICT (job_id) DO UPDATE SET at = excluded.at, latitude_micro = excluded.latitude_micro, \
            longitude_micro = excluded.longitude_micro WHERE job_positions.at < excluded.at";
        INSERT_TRAIL_POINT = "INSERT INTO job_trails (job_id, at, latitude_micro, longitude_micro) VALUES ($1, $2, $3, $4) \
            ON CONFLICT (job_id, at) DO NOTHING";
        SET_COURIER_POSITION = "UPDATE couriers SET latitude_micro = $2, longitude_micro = $3, position_at = $4 \
            WHERE user_id = $1 AND (position_at IS NULL OR position_at < $4)";
        /// Jobs that ended (`$1`–`$3`) before `$4` and still keep positions, at most `$5`.
        SELECT_ENDED_TRACKED_JOBS = "SELECT p.job_id FROM job_positions p JOIN delivery_jobs j ON j.id = p.job_id \
            WHERE j.status IN ($1, $2, $3) AND j.updated_at < $4 LIMIT $5";
        DELETE_TRAIL = "DELETE FROM job_trails WHERE job_id = $1";
        DELETE_POSITION = "DELETE FROM job_positions WHERE job_id = $1";
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
            tip: amount(row, "tip")?,
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

impl FromColumns for StoredFix {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            at: Timestamp(row.int("at")?),
            point: StoredPoint {
                latitude_micro: row.int("latitude_micro")?,
                longitude_micro: row.int("longitude_micro")?,
            },
        })
    }
}

impl FromColumns for LiveJob {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            job: JobRecord::from_columns(row)?,
            shop_name: row.text("shop_name")?,
            courier_name: row.opt_text("courier_name")?,
        })
    }
}

struct TrackedJob(JobId);

impl FromColumns for TrackedJob {
    fn from_columns(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self(JobId(row.uuid("job_id")?)))
    }
}

fn fix_statement(sql: &'static str, key: uuid::Uuid, fix: &StoredFix) -> Statement<'static> {
    Statement::new(sql).bind(key).bind(fix.at).bind(fix.point.latitude_micro).bind(fix.point.longitude_micro)
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

/// Writes a job's step in the caller's transaction if the job is still at the version read, with
/// its record and events: false (nothing written) when someone moved it first.
pub(crate) async fn write_job_move<B: Backend>(conn: &mut Conn<B>, job_move: &JobMove<'_>) -> StoreResult<bool> {
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
    if execute::<B::Db>(conn, "moving a delivery job", statement).await? != 1 {
        return Ok(false);
    }
    execute::<B::Db>(conn, "recording a job's step", step_statement(job_move.job, step)).await?;
    for event in job_move.events {
        crate::events::insert_event::<B>(conn, event).await?;
    }
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

    async fn set_courier_position(&self, user: UserId, fix: &StoredFix) -> StoreResult<()> {
        let statement = Statement::new(sql::SET_COURIER_POSITION)
            .bind(user)
            .bind(fix.point.latitude_micro)
            .bind(fix.point.longitude_micro)
            .bind(fix.at);
        let mut conn = self.writer().await?;
        execute::<B::Db>(&mut conn, "recording a courier's position", statement).await.map(|_| ())
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
        let mut tx = self.begin().await?;
        if !write_job_move::<B>(&mut tx, job_move).await? {
            return Ok(false);
        }
        tx.commit().await.map_err(db_error("committing a job's step"))?;
        Ok(true)
    }

    async fn live_jobs(&self, limit: u32) -> StoreResult<Vec<LiveJob>> {
        let statement = Statement::new(sql::SELECT_LIVE_JOBS)
            .bind(JobStatus::Delivered.as_str())
            .bind(JobStatus::Returned.as_str())
            .bind(JobStatus::Cancelled.as_str())
            .bind(limit.min(MAX_JOBS_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading live delivery jobs", statement).await
    }

    async fn unclaimed_jobs(&self, offered_before: Timestamp, limit: u32) -> StoreResult<Vec<JobRecord>> {
        let statement = Statement::new(sql::SELECT_UNCLAIMED_JOBS)
            .bind(JobStatus::Offered.as_str())
            .bind(offered_before)
            .bind(limit.min(MAX_JOBS_PAGE));
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading unclaimed delivery jobs", statement).await
    }

    async fn mark_alerted(&self, job: JobId, now: Timestamp, events: &[EventRecord]) -> StoreResult<bool> {
        let statement = Statement::new(sql::MARK_ALERTED).bind(job).bind(JobStatus::Offered.as_str()).bind(now);
        let mut tx = self.begin().await?;
        if execute::<B::Db>(&mut tx, "marking an unclaimed job", statement).await? != 1 {
            return Ok(false);
        }
        for event in events {
            crate::events::insert_event::<B>(&mut tx, event).await?;
        }
        tx.commit().await.map_err(db_error("committing an unclaimed job's alert"))?;
        Ok(true)
    }

    async fn job_steps(&self, job: JobId) -> StoreResult<Vec<JobStep>> {
        let statement = Statement::new(sql::SELECT_STEPS).bind(job).bind(MAX_JOB_STEPS);
        let mut conn = self.reader().await?;
        fetch_all::<B::Db, _>(&mut conn, "loading a job's steps", statement).await
    }

    async fn job_position(&self, job: JobId) -> StoreResult<Option<StoredFix>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_POSITION).bind(job);
        fetch_optional::<B::Db, _>(&mut conn, "loading a job's position", statement).await
    }

    async fn last_trail_point(&self, job: JobId) -> StoreResult<Option<StoredFix>> {
        let mut conn = self.reader().await?;
        let statement = Statement::new(sql::SELECT_LAST_TRAIL_POINT).bind(job);
        fetch_optional::<B::Db, _>(&mut conn, "loading a job's trail", statement).await
    }

    async fn record_position_batches(&self, writes: &[PositionWrite<'_>]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for write in writes {
            let newest = fix_statement(sql::UPSERT_POSITION, write.job.0, &write.newest);
            execute::<B::Db>(&mut tx, "recording a job's position", newest).await?;
            for fix in write.trail {
                let point = fix_statement(sql::INSERT_TRAIL_POINT, write.job.0, fix);
                execute::<B::Db>(&mut tx, "adding to a job's trail", point).await?;
            }
            let courier = Statement::new(sql::SET_COURIER_POSITION)
                .bind(write.courier)
                .bind(write.newest.point.latitude_micro)
                .bind(write.newest.point.longitude_micro)
                .bind(write.newest.at);
            execute::<B::Db>(&mut tx, "recording a courier's position", courier).await?;
        }
        tx.commit().await.map_err(db_error("committing positions"))
    }

    async fn delete_old_trails(&self, ended_before: Timestamp, limit: u32) -> StoreResult<u64> {
        let select = Statement::new(sql::SELECT_ENDED_TRACKED_JOBS)
            .bind(JobStatus::Delivered.as_str())
            .bind(JobStatus::Returned.as_str())
            .bind(JobStatus::Cancelled.as_str())
            .bind(ended_before)
            .bind(limit);
        let mut tx = self.begin().await?;
        let jobs: Vec<TrackedJob> = fetch_all::<B::Db, _>(&mut tx, "finding ended jobs' trails", select).await?;
        let mut deleted: u64 = 0;
        for TrackedJob(job) in jobs {
            let points =
                execute::<B::Db>(&mut tx, "deleting a trail", Statement::new(sql::DELETE_TRAIL).bind(job)).await?;
            deleted = points.saturating_add(deleted);
            execute::<B::Db>(&mut tx, "deleting a last position", Statement::new(sql::DELETE_POSITION).bind(job))
                .await?;
        }
        tx.commit().await.map_err(db_error("committing deleted trails"))?;
        Ok(deleted)
    }
}
