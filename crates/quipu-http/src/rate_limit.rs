//! A per-client-address token bucket for the unauthenticated endpoints
//! (login, registration). Per-account lockouts stop guessing one person's
//! password; this stops one address from guessing many, or from locking
//! everyone out. Process-local on purpose: it sheds load, it guards no money.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use quipu_domain::Timestamp;

use crate::Http;
use crate::problem::ApiError;

/// Most addresses tracked at once; beyond it, idle ones are forgotten.
const MAX_TRACKED: usize = 50_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Timestamp,
}

#[derive(Debug, Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// The key a client is limited under: its IPv4 address, or its IPv6 /64 (one
/// host is handed a whole /64 and could otherwise rotate through it).
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
    }
}

/// Where clients are counted when the table is full of busy clients: together, never for free.
const OVERFLOW: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

impl RateLimiter {
    /// Takes one token for `address`; `Err(seconds)` says when to come back.
    pub fn take(&self, address: IpAddr, per_minute: u32, now: Timestamp) -> Result<(), u64> {
        let capacity = f64::from(per_minute.max(1));
        let per_micro = capacity / 60_000_000.0;
        let mut key = client_key(address);
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&key) {
            // Forget clients whose bucket refilled: they look exactly like new ones.
            buckets.retain(|_, b| refill(*b, capacity, per_micro, now).tokens < capacity);
            if buckets.len() >= MAX_TRACKED {
                key = OVERFLOW;
            }
        }
        let bucket = buckets.entry(key).or_insert(Bucket { tokens: capacity, updated: now });
        *bucket = refill(*bucket, capacity, per_micro, now);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait_seconds = ((1.0 - bucket.tokens) / per_micro / 1_000_000.0).ceil();
            #[allow(
                clippy::cast_possible_truncation,
                reason = "a float cast saturates; this is a Retry-After hint, not money"
            )]
            Err(wait_seconds as u64)
        }
    }
}

fn refill(bucket: Bucket, capacity: f64, per_micro: f64, now: Timestamp) -> Bucket {
    let elapsed = now.0.saturating_sub(bucket.updated.0).max(0) as f64;
    // A clock that steps back refills nothing and moves nothing back.
    Bucket { tokens: (bucket.tokens + elapsed * per_micro).min(capacity), updated: bucket.updated.max(now) }
}

/// The client's address: the peer, or, behind a trusted proxy, the last
/// entry of `X-Forwarded-For`, the one the proxy itself appended. Earlier
/// entries are the client's own claims and never count; if the last entry is
/// not a plain address, the peer is used. Trust the header only when every
/// request reaches Quipu through your proxy (e.g. Quipu listens on loopback).
pub fn client_address(peer: Option<SocketAddr>, headers: &HeaderMap, trust_forwarded_for: bool) -> Option<IpAddr> {
    if trust_forwarded_for {
        let last = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|entry| entry.trim().parse::<IpAddr>().ok());
        if last.is_some() {
            return last;
        }
    }
    peer.map(|p| p.ip())
}

/// Middleware for the unauthenticated endpoints.
pub async fn limit_by_address(State(http): State<Http>, request: Request, next: Next) -> Response {
    let settings = &http.settings;
    if settings.auth_requests_per_minute == 0 {
        return next.run(request).await;
    }
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    let Some(address) = client_address(peer, request.headers(), settings.trust_forwarded_for) else {
        return next.run(request).await;
    };
    match http.rate_limiter.take(address, settings.auth_requests_per_minute, http.services.kernel.now()) {
        Ok(()) => next.run(request).await,
        Err(retry_after) => {
            metrics::counter!("quipu_http_rate_limited_total").increment(1);
            let mut response = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many attempts from this address; slow down",
            )
            .into_response();
            if let Ok(value) = HeaderValue::from_str(&retry_after.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_over_time() {
        let limiter = RateLimiter::default();
        let address: IpAddr = [192, 0, 2, 1].into();
        let start = Timestamp(1_000_000_000);
        for _ in 0..3 {
            assert_eq!(limiter.take(address, 3, start), Ok(()));
        }
        assert_eq!(limiter.take(address, 3, start), Err(20));
        assert_eq!(limiter.take([192, 0, 2, 2].into(), 3, start), Ok(()), "other addresses are unaffected");
        assert_eq!(limiter.take(address, 3, start.plus_seconds(20)), Ok(()));
    }

    #[test]
    fn only_the_proxys_own_entry_is_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 203.0.113.9"));
        let peer = Some(SocketAddr::from(([10, 0, 0, 1], 443)));
        assert_eq!(client_address(peer, &headers, true), Some([203, 0, 113, 9].into()));
        assert_eq!(client_address(peer, &headers, false), Some([10, 0, 0, 1].into()));
        headers.insert("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 203.0.113.9:4711"));
        assert_eq!(
            client_address(peer, &headers, true),
            Some([10, 0, 0, 1].into()),
            "never an earlier, forgeable entry"
        );
    }

    #[test]
    fn an_ipv6_host_cannot_rotate_through_its_prefix() {
        let limiter = RateLimiter::default();
        let now = Timestamp(0);
        let first: IpAddr = "2001:db8:1:2::1".parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        let sibling: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap_or(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        assert_eq!(limiter.take(first, 1, now), Ok(()));
        assert!(limiter.take(sibling, 1, now).is_err());
    }
}
