//! Couriers and delivery jobs: [`DeliveryStore`] is the delivery context's handle. A job is
//! written by the order store, in the transaction that accepts its order ([`crate::orders::OrderMove::offer`]);
//! from then on every step is a compare-and-set here, on the job's status, courier and version,
//! so of two couriers claiming one job (in one process or several on one database) one wins.

use quipu_domain::delivery::job::{JobActor, JobStatus};
use quipu_domain::delivery::{CourierState, JobId, Vehicle};
use quipu_domain::identity::{MerchantId, UserId};
use quipu_domain::market::AreaId;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::state::Transition;
use quipu_domain::{Amount, CurrencyCode, Timestamp};
use uuid::Uuid;

use crate::StoreResult;
use crate::events::EventRecord;
use crate::market::StoredPoint;

/// Most jobs one list holds (a courier's history, the operator's live board).
pub const MAX_JOBS_PAGE: u32 = 100;
/// Most offered jobs dispatch reads at once, to measure against a courier.
pub const MAX_OPEN_JOBS: u32 = 500;
/// Most steps one job keeps (each is a person's act; dozens at most in practice).
pub const MAX_JOB_STEPS: u32 = 200;

/// A courier: a user with the courier role, and how they work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourierRecord {
    pub user: UserId,
    pub vehicle: Vehicle,
    pub home_area: Option<AreaId>,
    /// The one shop they work for, if they work for one alone.
    pub only_for: Option<MerchantId>,
    pub state: CourierState,
    /// Their last position and when they sent it.
    pub position: Option<(StoredPoint, Timestamp)>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A delivery job: one per delivery order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: JobId,
    pub order: OrderId,
    pub seller: MerchantId,
    pub status: JobStatus,
    pub courier: Option<UserId>,
    /// What the courier is paid at hand-over: the order's delivery fee.
    pub fee: Amount,
    /// What the customer added for the courier after pickup (held from their wallet), or zero.
    pub tip: Amount,
    pub currency: CurrencyCode,
    /// Bumped by every step: the compare of the compare-and-set.
    pub version: i64,
    /// When it was last offered (the offer circle widens from here).
    pub offered_at: Timestamp,
    /// When the shop was told nobody had claimed it.
    pub alerted_at: Option<Timestamp>,
    /// Why it was cancelled or is coming back.
    pub reason: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An offered job with what dispatch measures: the shop's place and the order's area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenJob {
    pub job: JobRecord,
    pub shop_name: String,
    pub shop_at: Option<StoredPoint>,
    pub area: Option<AreaId>,
    pub drop_off: Option<StoredPoint>,
}

/// One step of a job: who, when, from and to, with which courier, where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStep {
    pub at: Timestamp,
    pub actor: JobActor,
    /// The person who took it; none for housekeeping.
    pub by: Option<Uuid>,
    pub from: Option<JobStatus>,
    pub to: JobStatus,
    /// The courier holding the job after the step.
    pub courier: Option<UserId>,
    pub point: Option<StoredPoint>,
    pub note: Option<String>,
}

/// Most trail points one job keeps: hours of a courier's way at one point a minute.
pub const MAX_TRAIL_POINTS: u32 = 2_000;

/// A position a courier's phone took.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredFix {
    pub at: Timestamp,
    pub point: StoredPoint,
}

/// What one batch of positions writes for a job: the newest fix (the job's last position and the
/// courier's), and the fixes that join the trail.
#[derive(Debug)]
pub struct PositionWrite<'a> {
    pub job: JobId,
    pub courier: UserId,
    pub newest: StoredFix,
    pub trail: &'a [StoredFix],
}

/// A job under way as the operator's board shows it: the job, its shop's name and its courier's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveJob {
    pub job: JobRecord,
    pub shop_name: String,
    pub courier_name: Option<String>,
}

/// A step to write, if the job is still at `version`.
#[derive(Debug, Clone)]
pub struct JobMove<'a> {
    pub job: JobId,
    pub version: i64,
    pub transition: Transition<JobStatus>,
    pub step: JobStep,
    /// The job is offered again from `step.at` (a courier dropped it).
    pub offered_again: bool,
    pub events: &'a [EventRecord],
}

/// Couriers and their jobs.
#[async_trait::async_trait]
pub trait DeliveryStore: Send + Sync {
    /// Adds a courier; false if the user is one already.
    async fn insert_courier(&self, courier: &CourierRecord) -> StoreResult<bool>;
    async fn courier(&self, user: UserId) -> StoreResult<Option<CourierRecord>>;
    /// Couriers by when they joined, newest first.
    async fn couriers(&self, limit: u32, offset: u32) -> StoreResult<Vec<CourierRecord>>;
    /// Where an online courier without a job is (what dispatch measures offers from), moved only
    /// forward in time.
    async fn set_courier_position(&self, user: UserId, fix: &StoredFix) -> StoreResult<()>;
    /// Goes online or offline; false if there is no such courier.
    async fn set_courier_state(&self, user: UserId, state: CourierState, now: Timestamp) -> StoreResult<bool>;

    async fn job(&self, id: JobId) -> StoreResult<Option<JobRecord>>;
    async fn order_job(&self, order: OrderId) -> StoreResult<Option<JobRecord>>;
    /// Offered jobs, oldest offer first, at most [`MAX_OPEN_JOBS`]; `only_for` narrows them to one shop's.
    async fn open_jobs(&self, only_for: Option<MerchantId>, limit: u32) -> StoreResult<Vec<OpenJob>>;
    /// A courier's jobs, newest first: only those under way when `active`.
    async fn courier_jobs(&self, courier: UserId, active: bool, limit: u32) -> StoreResult<Vec<JobRecord>>;
    /// Writes a step if the job is still at the version (and so the status and courier) the
    /// caller read: false when someone moved it first.
    async fn move_job(&self, job_move: &JobMove<'_>) -> StoreResult<bool>;
    async fn job_steps(&self, job: JobId) -> StoreResult<Vec<JobStep>>;
    /// Jobs not yet ended, oldest first: the operator's live board.
    async fn live_jobs(&self, limit: u32) -> StoreResult<Vec<LiveJob>>;
    /// Offered jobs nobody claimed since before `offered_before`, whose shop was not yet told.
    async fn unclaimed_jobs(&self, offered_before: Timestamp, limit: u32) -> StoreResult<Vec<JobRecord>>;
    /// Marks a job's shop as told it went unclaimed (if it is still offered and unmarked), with the
    /// event that tells it: false if the job moved or was marked first.
    async fn mark_alerted(&self, job: JobId, now: Timestamp, events: &[EventRecord]) -> StoreResult<bool>;

    /// The job's last position, if its courier sent one.
    async fn job_position(&self, job: JobId) -> StoreResult<Option<StoredFix>>;
    /// The newest point of the job's trail.
    async fn last_trail_point(&self, job: JobId) -> StoreResult<Option<StoredFix>>;
    /// Writes several phones' batches of positions in one transaction: each job's and courier's
    /// last position (only ever moved forward in time), and the trails' new points.
    async fn record_position_batches(&self, writes: &[PositionWrite<'_>]) -> StoreResult<()>;
    /// Deletes the trails (and last positions) of jobs that ended before `ended_before`, at most
    /// `limit` jobs' worth: how many points went.
    async fn delete_old_trails(&self, ended_before: Timestamp, limit: u32) -> StoreResult<u64>;
}
