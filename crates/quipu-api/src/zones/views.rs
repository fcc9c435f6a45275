//! The JSON answers of this context, described for the OpenAPI document.

use serde::Serialize;
use utoipa::ToSchema;

/// A zone and whether it was chosen or is the network's default.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimeZoneView {
    /// The IANA zone in effect.
    #[schema(example = "Asia/Seoul")]
    pub time_zone: String,
    /// False while the network's default applies.
    pub chosen: bool,
}
