//! Live streams (Server-Sent Events) hold a connection each, so they are
//! counted: at most so many in the process, and at most so many per owner (a
//! merchant, a person), so one shop cannot take every stream and lock the
//! other shops' tills out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::StatusCode;
use uuid::Uuid;

use crate::problem::ApiError;

/// Counts open streams, in all and per owner.
#[derive(Debug)]
pub struct StreamQuota {
    max_total: usize,
    max_per_owner: usize,
    open: Mutex<OpenStreams>,
}

#[derive(Debug, Default)]
struct OpenStreams {
    total: usize,
    per_owner: HashMap<Uuid, usize>,
}

impl StreamQuota {
    pub fn new(max_total: u32, max_per_owner: u32) -> Self {
        let as_count = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        Self { max_total: as_count(max_total), max_per_owner: as_count(max_per_owner), open: Mutex::default() }
    }

    /// A place for one more of `owner`'s streams, held until the returned permit drops.
    pub fn open(self: &Arc<Self>, owner: Uuid) -> Result<StreamPermit, ApiError> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let owners = open.per_owner.get(&owner).copied().unwrap_or(0);
        if owners >= self.max_per_owner {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_streams",
                format!("at most {} live streams at once per account; close one first", self.max_per_owner),
            ));
        }
        if open.total >= self.max_total {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_streams",
                "too many live streams; retry shortly",
            ));
        }
        open.total = open.total.saturating_add(1);
        open.per_owner.insert(owner, owners.saturating_add(1));
        Ok(StreamPermit { quota: self.clone(), owner })
    }

    /// Streams open now, in all.
    pub fn open_streams(&self) -> usize {
        self.open.lock().unwrap_or_else(PoisonError::into_inner).total
    }
}

/// One open stream's place; gives it back when dropped.
#[derive(Debug)]
pub struct StreamPermit {
    quota: Arc<StreamQuota>,
    owner: Uuid,
}

impl Drop for StreamPermit {
    fn drop(&mut self) {
        let mut open = self.quota.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(count) = open.per_owner.get_mut(&self.owner) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.per_owner.remove(&self.owner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_owner_cannot_take_every_stream() {
        let quota = Arc::new(StreamQuota::new(3, 2));
        let (shop, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let first = quota.open(shop).unwrap();
        let _second = quota.open(shop).unwrap();
        assert_eq!(quota.open(shop).unwrap_err().status, StatusCode::TOO_MANY_REQUESTS);
        let _others = quota.open(other).unwrap();
        assert_eq!(quota.open(Uuid::from_u128(3)).unwrap_err().status, StatusCode::SERVICE_UNAVAILABLE);
        drop(first);
        assert_eq!(quota.open_streams(), 2);
        let _again = quota.open(shop).unwrap();
    }
}
