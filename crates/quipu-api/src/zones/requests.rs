//! The request bodies and query parameters of this context, and how each becomes domain values.

use serde::Deserialize;
use utoipa::ToSchema;

/// The IANA time zone times are shown in (a person's) or a shop keeps its days in (a shop's).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeZoneRequest {
    /// An IANA name such as "Asia/Seoul" (any letter case); empty or absent for the network's default.
    #[schema(example = "Asia/Seoul", max_length = 64)]
    #[serde(default)]
    pub time_zone: String,
}
