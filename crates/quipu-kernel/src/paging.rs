//! Pages of a list, newest first: a cursor is the last item's time, in microseconds.

use quipu_domain::Timestamp;

use crate::error::{CoreError, CoreResult};

/// Reads back a page cursor we issued; none starts at the newest.
pub fn cursor_before(cursor: Option<&str>) -> CoreResult<Timestamp> {
    match cursor {
        Some(text) => text
            .parse()
            .map(Timestamp)
            .map_err(|_| CoreError::invalid("invalid_cursor", "the cursor is not one we issued")),
        None => Ok(Timestamp(i64::MAX)),
    }
}

/// A page size the caller asked for, `default` if none, refused outside 1..=`max`.
pub fn page_limit(limit: Option<u32>, default: u32, max: u32) -> CoreResult<u32> {
    match limit.unwrap_or(default) {
        limit @ 1.. if limit <= max => Ok(limit),
        _ => Err(CoreError::invalid("invalid_limit", format!("limit must be between 1 and {max}"))),
    }
}

/// The cursor for the page after `items`, if `items` filled a page of `limit`.
pub fn next_cursor<T>(items: &[T], limit: u32, time: impl Fn(&T) -> Timestamp) -> Option<String> {
    let full = items.len() == usize::try_from(limit).unwrap_or(usize::MAX);
    items.last().filter(|_| full).map(|last| time(last).0.to_string())
}
