//! What customers, shops and the operator send about reviews, favourites and alerts.

use quipu_core::market::ReviewInput;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::common::requests::whole;

/// A rating of a completed order, with a comment if the customer likes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// One to five stars.
    #[schema(example = 5, minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "whole")]
    pub rating: i64,
    /// At most 1,000 characters of plain text; empty or absent is none.
    #[schema(example = "Fresh bread, packed with care.", max_length = 1000, pattern = "^[^\\x00-\\x1f\\x7f]*$")]
    #[serde(default)]
    pub comment: Option<String>,
}

impl From<&ReviewRequest> for ReviewInput {
    fn from(request: &ReviewRequest) -> Self {
        Self { rating: request.rating, comment: request.comment.clone() }
    }
}

/// The shop's answer to a review (again: it replaces the first).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// 1 to 1,000 characters of plain text.
    #[schema(
        example = "Thank you, see you soon!",
        min_length = 1,
        max_length = 1000,
        pattern = "^[^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f][^\\x00-\\x1f\\x7f]*$"
    )]
    pub reply: String,
}

/// Why the operator hides a review's words.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideRequest {
    /// 1 to 200 characters of plain text, kept with the review.
    #[schema(
        example = "insults the staff",
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\x00-\\x1f\\x7f]*[^\\x00-\\x20\\x7f][^\\x00-\\x1f\\x7f]*$"
    )]
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewPageParams {
    /// 1 to 50; default 20.
    #[param(minimum = 1, maximum = 50, example = 20)]
    pub limit: Option<u32>,
    #[param(minimum = 0, maximum = 10000, example = 0)]
    pub offset: Option<u32>,
}

impl ReviewPageParams {
    pub fn page(&self) -> quipu_core::CoreResult<(u32, u32)> {
        let limit = self.limit.unwrap_or(20);
        let offset = self.offset.unwrap_or(0);
        if !(1..=50).contains(&limit) || offset > 10_000 {
            return Err(quipu_core::CoreError::invalid("page_invalid", "limit is 1 to 50 and offset 0 to 10000"));
        }
        Ok((limit, offset))
    }
}
