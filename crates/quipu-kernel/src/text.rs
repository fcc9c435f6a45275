//! Times as text: RFC 3339, in UTC.

use quipu_domain::Timestamp;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Formats a ledger timestamp as RFC 3339 UTC.
pub fn rfc3339(timestamp: Timestamp) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(timestamp.0) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| timestamp.0.to_string())
}

/// Parses RFC 3339 into a ledger timestamp.
pub fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(parsed.unix_timestamp_nanos() / 1000).ok().map(Timestamp)
}
