//! What callers send the delivery routes, parsed into domain values at the edge.

use quipu_core::delivery::{CourierInput, FixInput};
use quipu_core::kernel::text::parse_rfc3339;
use quipu_core::{CoreError, CoreResult};
use quipu_domain::delivery::Vehicle;
use quipu_domain::delivery::job::JobStatus;
use quipu_domain::identity::MerchantId;
use quipu_domain::identity::SecretText;
use quipu_domain::market::AreaId;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCourierRequest {
    #[schema(example = "+250788123456")]
    pub phone: String,
    #[schema(example = "Jean Bosco")]
    pub full_name: String,
    #[schema(value_type = String, format = Password, write_only, example = "correct-horse-battery")]
    pub password: SecretText,
    #[schema(value_type = String, format = Password, write_only, example = "1234")]
    pub pin: SecretText,
    /// foot, bicycle, motorbike or car.
    #[schema(example = "motorbike")]
    pub vehicle: String,
    /// The delivery area they work in, if any: they see every job going there.
    #[schema(example = "01939e2a-7c4e-7b51-9f3a-2f1d6c0e4a11")]
    pub home_area_id: Option<uuid::Uuid>,
    /// The one shop they work for, if they work for one alone.
    #[schema(example = "01939e2a-7c4e-7b51-9f3a-2f1d6c0e4a12")]
    pub only_for: Option<uuid::Uuid>,
}

impl CreateCourierRequest {
    pub fn input(&self) -> CoreResult<CourierInput> {
        let vehicle = Vehicle::parse(&self.vehicle)
            .ok_or_else(|| CoreError::invalid("vehicle_invalid", "a vehicle is foot, bicycle, motorbike or car"))?;
        Ok(CourierInput { vehicle, home_area: self.home_area_id.map(AreaId), only_for: self.only_for.map(MerchantId) })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CourierStatusRequest {
    /// True to go online (see and claim offers), false to stop.
    #[schema(example = true)]
    pub online: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobStepRequest {
    /// The step taken: at_pickup, picked_up, at_drop_off, returning (with a reason), or offered
    /// (dropping the job before pickup).
    #[schema(example = "picked_up")]
    pub to: String,
    /// Why, for `returning`: the customer reads it (at most 200 characters).
    #[schema(example = "nobody answered the door")]
    pub reason: Option<String>,
}

impl JobStepRequest {
    pub fn status(&self) -> CoreResult<JobStatus> {
        JobStatus::parse(&self.to)
            .ok_or_else(|| CoreError::invalid("job_step_invalid", "no such step of a delivery job"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignJobRequest {
    /// The courier (their user id) to give the job to.
    #[schema(example = "01939e2a-7c4e-7b51-9f3a-2f1d6c0e4a10")]
    pub courier_id: uuid::Uuid,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CourierJobsQuery {
    /// Only jobs under way (claimed, not yet delivered or brought back).
    #[serde(default)]
    #[param(example = true)]
    pub active: bool,
}

/// Positions a courier's phone took on a job, oldest or newest first, at most 60.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionsRequest {
    #[schema(example = json!([{"at": "2026-12-07T10:15:00Z", "latitude": 37.5563, "longitude": 126.922}]),
        min_items = 1, max_items = 60)]
    pub positions: Vec<PositionRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionRequest {
    /// When the phone took it (RFC 3339).
    #[schema(example = "2026-12-07T10:15:00Z", format = DateTime)]
    pub at: String,
    #[schema(example = 37.5563, minimum = -90, maximum = 90)]
    pub latitude: f64,
    #[schema(example = 126.922, minimum = -180, maximum = 180)]
    pub longitude: f64,
}

impl PositionsRequest {
    pub fn fixes(&self) -> CoreResult<Vec<FixInput>> {
        self.positions.iter().map(PositionRequest::fix).collect()
    }
}

impl PositionRequest {
    pub fn fix(&self) -> CoreResult<FixInput> {
        // Well-formed JSON the rules refuse is 422, like a checkout's location.
        let at = parse_rfc3339(&self.at)
            .ok_or_else(|| CoreError::rejected("position_invalid", "a position's time is an RFC 3339 date and time"))?;
        Ok(FixInput { at, latitude: self.latitude, longitude: self.longitude })
    }
}

/// The customer's code, typed by the courier at the door.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliverRequest {
    /// Four digits, from the customer's order page.
    #[schema(example = "0421", pattern = "^ *[0-9]{4} *$")]
    pub code: String,
    /// When the courier typed it, if their phone had no signal then (RFC 3339): the server checks
    /// the code now, and the hand-over keeps that time.
    #[schema(example = "2026-12-07T10:42:00Z", format = DateTime)]
    pub typed_at: Option<String>,
}

impl DeliverRequest {
    pub fn typed_at(&self) -> CoreResult<Option<quipu_domain::Timestamp>> {
        self.typed_at
            .as_deref()
            .map(|text| {
                parse_rfc3339(text)
                    .ok_or_else(|| CoreError::rejected("typed_at_invalid", "typed_at is an RFC 3339 date and time"))
            })
            .transpose()
    }
}

/// Why the operator cancels a delivery: the customer and the shop read it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelJobRequest {
    /// At most 200 characters.
    #[schema(example = "no courier free in this area tonight")]
    pub reason: String,
}

/// A tip for the courier bringing the customer's order, from their wallet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TipRequest {
    /// In the network's currency.
    #[schema(example = "1.00")]
    pub amount: String,
    /// The customer's payment PIN, 4 to 6 digits.
    #[schema(value_type = String, format = Password, write_only, example = "1234", pattern = "^[0-9]{4,6}$")]
    pub pin: SecretText,
}

impl TipRequest {
    /// The tip, in the network's currency; one that does not parse is refused with the rule's words.
    pub fn amount(&self, currency: quipu_domain::money::Currency) -> CoreResult<quipu_domain::Amount> {
        currency.parse_amount(&self.amount).map_err(|error| CoreError::rejected("amount_invalid", error.to_string()))
    }

    pub fn pin(&self) -> CoreResult<quipu_domain::identity::Pin> {
        crate::common::requests::pin(&self.pin)
    }
}
