//! Couriers, offers and jobs as the API shows them. A job's view carries what the domain decided
//! (`next_actions`), so an app or a page never works out what may be done.

use quipu_core::delivery::{Courier, Job, JobOffer, PositionsTaken, Tracking};
use quipu_core::kernel::text::rfc3339;
use quipu_store::delivery::JobStep;
use serde::Serialize;
use utoipa::ToSchema;

use crate::common::views::MoneyView;
use crate::identity::views::AgentView;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourierView {
    pub user_id: uuid::Uuid,
    pub vehicle: String,
    pub home_area_id: Option<uuid::Uuid>,
    pub only_for: Option<uuid::Uuid>,
    /// online or offline.
    pub state: String,
    pub created_at: String,
}

impl From<&Courier> for CourierView {
    fn from(courier: &Courier) -> Self {
        let record = &courier.record;
        Self {
            user_id: record.user.0,
            vehicle: record.vehicle.as_str().to_owned(),
            home_area_id: record.home_area.map(|area| area.0),
            only_for: record.only_for.map(|shop| shop.0),
            state: record.state.as_str().to_owned(),
            created_at: rfc3339(record.created_at),
        }
    }
}

/// A courier just signed up: their login and wallet, and how they work.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewCourierView {
    #[serde(flatten)]
    pub login: AgentView,
    pub courier: CourierView,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobOfferView {
    pub job_id: uuid::Uuid,
    pub shop_name: String,
    /// What the courier is paid on delivery.
    pub fee: MoneyView,
    /// From the courier to the shop, when both places are known.
    pub pickup_metres: Option<u32>,
    /// From the shop to the door, when both places are known.
    pub drop_off_metres: Option<u32>,
    pub offered_at: String,
}

impl From<&JobOffer> for JobOfferView {
    fn from(offer: &JobOffer) -> Self {
        Self {
            job_id: offer.job.id.0,
            shop_name: offer.shop_name.clone(),
            fee: MoneyView::new(offer.job.fee, offer.job.currency),
            pickup_metres: offer.pickup_metres,
            drop_off_metres: offer.drop_off_metres,
            offered_at: rfc3339(offer.job.offered_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobStepView {
    pub at: String,
    /// courier, shop, operator or system.
    pub actor: String,
    pub from: Option<String>,
    pub to: String,
    pub courier_id: Option<uuid::Uuid>,
    pub note: Option<String>,
}

impl From<&JobStep> for JobStepView {
    fn from(step: &JobStep) -> Self {
        Self {
            at: rfc3339(step.at),
            actor: step.actor.as_str().to_owned(),
            from: step.from.map(|status| status.as_str().to_owned()),
            to: step.to.as_str().to_owned(),
            courier_id: step.courier.map(|user| user.0),
            note: step.note.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: uuid::Uuid,
    pub order_id: uuid::Uuid,
    pub seller_id: uuid::Uuid,
    /// offered, claimed, at_pickup, picked_up, at_drop_off, delivered, returning, returned or cancelled.
    pub status: String,
    pub courier_id: Option<uuid::Uuid>,
    /// What the courier is paid at hand-over.
    pub fee: MoneyView,
    /// What the customer added for the courier (paid at hand-over), zero if nothing.
    pub tip: MoneyView,
    pub offered_at: String,
    /// Why it was cancelled or is coming back.
    pub reason: Option<String>,
    pub steps: Vec<JobStepView>,
    /// What the caller may do now: claim, drop, arrive_at_pickup, pick_up, arrive_at_drop_off,
    /// deliver, return, confirm_return, assign, cancel.
    pub next_actions: Vec<String>,
    /// Where the goods are picked up: the shop.
    pub pickup: PlaceView,
    /// Where they go: the customer's door.
    pub drop_off: PlaceView,
}

/// One end of a job: a name (the shop's), the address, and the place when it is known.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceView {
    #[schema(example = "Mapo Mart")]
    pub name: Option<String>,
    #[schema(example = "Building 3, flat 402")]
    pub address: String,
    #[schema(example = 37.5563)]
    pub latitude: Option<f64>,
    #[schema(example = 126.922)]
    pub longitude: Option<f64>,
}

impl PlaceView {
    fn new(name: Option<&str>, address: &str, at: Option<quipu_domain::market::storefront::Coordinates>) -> Self {
        Self {
            name: name.map(str::to_owned),
            address: address.to_owned(),
            latitude: at.map(|at| at.latitude()),
            longitude: at.map(|at| at.longitude()),
        }
    }

    /// A `geo:` link that opens the phone's own map app there (RFC 5870), when the place is known.
    pub fn geo_link(&self) -> Option<String> {
        let (latitude, longitude) = (self.latitude?, self.longitude?);
        Some(format!("geo:{latitude:.6},{longitude:.6}"))
    }
}

impl From<&Job> for JobView {
    fn from(job: &Job) -> Self {
        let record = &job.record;
        Self {
            id: record.id.0,
            order_id: record.order.0,
            seller_id: record.seller.0,
            status: record.status.as_str().to_owned(),
            courier_id: record.courier.map(|user| user.0),
            fee: MoneyView::new(record.fee, record.currency),
            tip: MoneyView::new(record.tip, record.currency),
            offered_at: rfc3339(record.offered_at),
            reason: record.reason.clone(),
            steps: job.steps.iter().map(JobStepView::from).collect(),
            next_actions: job.next_actions.iter().map(|action| action.as_str().to_owned()).collect(),
            pickup: PlaceView::new(Some(&job.places.shop_name), &job.places.shop_address, job.places.shop_at),
            drop_off: PlaceView::new(None, &job.places.door_address, job.places.door_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PositionsTakenView {
    /// Positions newer than what the server had.
    pub kept: usize,
    /// Positions no newer than what it had (a batch sent again): left out.
    pub skipped: usize,
}

impl From<&PositionsTaken> for PositionsTakenView {
    fn from(taken: &PositionsTaken) -> Self {
        Self { kept: taken.kept, skipped: taken.skipped }
    }
}

/// An order's delivery as its customer or shop sees it: never the courier's coordinates, only how
/// far they are and about when they arrive, while on the way with a fresh position.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TrackingView {
    pub job_id: uuid::Uuid,
    /// The job's step: offered, claimed, at_pickup, picked_up, at_drop_off, delivered, returning,
    /// returned or cancelled.
    pub status: String,
    /// How the courier travels, while one is on the way.
    pub vehicle: Option<String>,
    /// When the courier's phone last said where they are.
    pub position_at: Option<String>,
    /// How far the courier is from the shop (before pickup) or the door (after); null when their
    /// position is stale or unknown.
    pub metres: Option<u32>,
    pub minutes: Option<u32>,
    /// The customer's tip for the courier (zero if none).
    pub tip: MoneyView,
    /// What the reader may do now: `tip` (the customer, once, while the goods are on their way).
    pub next_actions: Vec<String>,
}

impl TrackingView {
    /// The reader may do `action` now (one of `next_actions`).
    pub fn may(&self, action: &str) -> bool {
        self.next_actions.iter().any(|next| next == action)
    }
}

impl From<&Tracking> for TrackingView {
    fn from(tracking: &Tracking) -> Self {
        Self {
            job_id: tracking.job.0,
            status: tracking.status.as_str().to_owned(),
            vehicle: tracking.vehicle.map(|vehicle| vehicle.as_str().to_owned()),
            position_at: tracking.position_at.map(rfc3339),
            metres: tracking.arrival.map(|arrival| arrival.metres),
            minutes: tracking.arrival.map(|arrival| arrival.minutes),
            tip: MoneyView::new(tracking.tip, tracking.currency),
            next_actions: if tracking.may_tip { vec!["tip".to_owned()] } else { Vec::new() },
        }
    }
}

/// A job under way on the operator's live board.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveJobView {
    pub id: uuid::Uuid,
    pub order_id: uuid::Uuid,
    pub seller_id: uuid::Uuid,
    pub shop_name: String,
    /// offered, claimed, at_pickup, picked_up, at_drop_off or returning.
    pub status: String,
    pub courier_id: Option<uuid::Uuid>,
    pub courier_name: Option<String>,
    pub fee: MoneyView,
    pub created_at: String,
    /// Seconds since the shop accepted the order (the job was first offered).
    pub age_seconds: i64,
    /// When the shop was told nobody had claimed it; null if not (yet).
    pub alerted_at: Option<String>,
}

impl LiveJobView {
    pub fn new(live: &quipu_store::delivery::LiveJob, now: quipu_domain::Timestamp) -> Self {
        let job = &live.job;
        Self {
            id: job.id.0,
            order_id: job.order.0,
            seller_id: job.seller.0,
            shop_name: live.shop_name.clone(),
            status: job.status.as_str().to_owned(),
            courier_id: job.courier.map(|user| user.0),
            courier_name: live.courier_name.clone(),
            fee: MoneyView::new(job.fee, job.currency),
            created_at: rfc3339(job.created_at),
            age_seconds: now.0.saturating_sub(job.created_at.0).max(0),
            alerted_at: job.alerted_at.map(rfc3339),
        }
    }
}

/// The tip now on the customer's order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TipView {
    pub order_id: uuid::Uuid,
    pub tip: MoneyView,
}
