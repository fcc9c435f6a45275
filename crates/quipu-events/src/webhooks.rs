//! Webhooks: merchants' endpoints, and the sender that works through the
//! outbox of deliveries.
//!
//! Each delivery is a POST of the event's JSON with the header
//! `Quipu-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//! keyed by the endpoint's secret string as given to the merchant. A failed
//! delivery is retried with exponential backoff (30 s, 1 min, 2 min, … capped
//! at 6 h) until `max_attempts`; deliveries and their backoff live in the
//! store, so a restart picks up where the last process stopped. Several
//! processes may send: a delivery is leased by compare-and-set before it is
//! sent, so each attempt is made once.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use hmac::{Hmac, Mac};
use quipu_domain::Timestamp;
use quipu_kernel::paging::{cursor_before, next_cursor, page_limit};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, Kernel, Principal, WebhookSettings};
use quipu_store::events::{
    AttemptRecord, DueDelivery, EndpointEvent, MAX_DELIVERY_PAGE, WebhookDeliveryOutcome, WebhookDeliveryRecord,
    WebhookEndpointRecord,
};
use sha2::Sha256;
use tokio::sync::watch;
use uuid::Uuid;

use crate::{EVENT_KINDS, Events};

/// The signature header a receiver checks.
pub const SIGNATURE_HEADER: &str = "Quipu-Signature";
/// Longest endpoint URL accepted.
const MAX_URL_CHARS: usize = 500;
/// Test events a merchant may send in a window: enough to debug an endpoint, too few to use the
/// outbox as a way to make Quipu send traffic.
const TEST_EVENTS_PER_WINDOW: u32 = 20;
const TEST_EVENT_WINDOW_SECONDS: i64 = 3600;
/// Deliveries one pass of the sender takes on.
const SEND_BATCH: u32 = 32;
/// How long a sender owns a delivery: longer than any send can take.
const LEASE_SECONDS: i64 = 60;
/// The first retry's delay; each later one doubles, up to `MAX_BACKOFF_SECONDS`.
const FIRST_BACKOFF_SECONDS: i64 = 30;
const MAX_BACKOFF_SECONDS: i64 = 6 * 3600;
/// Longest error text kept per attempt.
const MAX_ERROR_CHARS: usize = 200;

/// A merchant's webhook endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// Event kinds it receives; `*` for all.
    pub events: Vec<String>,
    pub created_at: Timestamp,
    pub disabled_at: Option<Timestamp>,
}

impl From<&WebhookEndpointRecord> for Webhook {
    fn from(endpoint: &WebhookEndpointRecord) -> Self {
        Self {
            id: endpoint.id,
            url: endpoint.url.clone(),
            events: endpoint.events.clone(),
            created_at: endpoint.created_at,
            disabled_at: endpoint.disabled_at,
        }
    }
}

/// A new endpoint and its signing secret, shown this once.
#[derive(Debug, Clone)]
pub struct WebhookCreated {
    pub endpoint: Webhook,
    pub secret: String,
}

/// A delivery and every attempt at it.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    pub record: WebhookDeliveryRecord,
    pub attempts: Vec<AttemptRecord>,
}

#[derive(Debug, Clone)]
pub struct WebhookDeliveryPage {
    pub deliveries: Vec<WebhookDelivery>,
    pub next_cursor: Option<String>,
}

/// The `Quipu-Signature` value for `body` sent at `unix_seconds`.
pub fn signature(secret: &[u8], unix_seconds: i64, body: &str) -> CoreResult<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| CoreError::invalid("invalid_webhook_secret", "a webhook secret cannot be empty"))?;
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(format!("t={unix_seconds},v1={}", hex::encode(mac.finalize().into_bytes())))
}

/// Delay before retrying after `attempts` failed attempts.
fn backoff_seconds(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(20);
    FIRST_BACKOFF_SECONDS.saturating_mul(1i64 << doublings).min(MAX_BACKOFF_SECONDS)
}

impl Events {
    /// Subscribes a merchant endpoint to events. The secret is shown once.
    pub async fn create_webhook(
        &self,
        principal: &Principal,
        url: &str,
        events: &[String],
    ) -> CoreResult<WebhookCreated> {
        let merchant = principal.require_merchant_admin()?;
        let url = self.checked_url(url)?;
        let events = event_filter(events)?;
        let secret = format!("whsec_{}", quipu_kernel::random::hex(self.kernel.random.as_ref(), 24));
        let endpoint = WebhookEndpointRecord {
            id: self.kernel.new_id(),
            merchant_id: merchant,
            url,
            secret: secret.clone().into_bytes(),
            events,
            created_at: self.now(),
            disabled_at: None,
        };
        let max = self.kernel.settings.webhooks.max_endpoints;
        if !self.kernel.store.insert_webhook_endpoint(&endpoint, max).await? {
            return Err(CoreError::new(
                ErrorKind::Rejected,
                "too_many_webhooks",
                format!("at most {max} webhook endpoints; delete one first"),
            ));
        }
        Ok(WebhookCreated { endpoint: Webhook::from(&endpoint), secret })
    }

    pub async fn webhooks(&self, principal: &Principal) -> CoreResult<Vec<Webhook>> {
        let merchant = principal.require_merchant_admin()?;
        Ok(self.kernel.store.webhook_endpoints(merchant).await?.iter().map(Webhook::from).collect())
    }

    /// Turns an endpoint off for good; its waiting deliveries are abandoned.
    pub async fn delete_webhook(&self, principal: &Principal, id: Uuid) -> CoreResult<()> {
        let merchant = principal.require_merchant_admin()?;
        if !self.kernel.store.disable_webhook_endpoint(id, merchant, self.now()).await? {
            return Err(CoreError::not_found("webhook endpoint"));
        }
        Ok(())
    }

    /// An endpoint's deliveries, newest first, each with its attempts.
    pub async fn deliveries(
        &self,
        principal: &Principal,
        endpoint: Uuid,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> CoreResult<WebhookDeliveryPage> {
        let merchant = principal.require_merchant_admin()?;
        let limit = page_limit(limit, 20, MAX_DELIVERY_PAGE)?;
        // Another merchant's endpoint is not found, as everywhere else, rather than an empty page.
        if self.kernel.store.webhook_endpoint(endpoint, merchant).await?.is_none() {
            return Err(CoreError::not_found("webhook endpoint"));
        }
        let records = self.kernel.store.deliveries(endpoint, merchant, cursor_before(cursor)?, limit).await?;
        let next_cursor = next_cursor(&records, limit, |d| d.created_at);
        let mut deliveries = Vec::with_capacity(records.len());
        for record in records {
            deliveries.push(self.with_attempts(record).await?);
        }
        Ok(WebhookDeliveryPage { deliveries, next_cursor })
    }

    /// Sends one delivery again, now, whatever became of it.
    pub async fn redeliver(&self, principal: &Principal, endpoint: Uuid, event: Uuid) -> CoreResult<WebhookDelivery> {
        let merchant = principal.require_merchant_admin()?;
        let store = &self.kernel.store;
        if !store.redeliver(endpoint, event, merchant, self.now()).await? {
            return Err(CoreError::not_found("delivery"));
        }
        self.kernel.events_written();
        let record =
            store.delivery(endpoint, event, merchant).await?.ok_or_else(|| CoreError::not_found("delivery"))?;
        self.with_attempts(record).await
    }

    /// Sends a `webhook.test` event to one endpoint, through the outbox like any other delivery
    /// (signed, retried, listed); no other endpoint and no till hears it.
    pub async fn test_webhook(&self, principal: &Principal, endpoint: Uuid) -> CoreResult<WebhookDelivery> {
        let merchant = principal.require_merchant_admin()?;
        let store = &self.kernel.store;
        let now = self.now();
        let data = serde_json::value::to_raw_value(&serde_json::json!({
            "endpoint_id": endpoint,
            "message": "a test event from Quipu: answer 2xx and it is delivered",
        }))
        .map_err(|error| CoreError::invalid("unserialisable_event", error.to_string()))?;
        let event = crate::new_event(&self.kernel, crate::TEST_EVENT_KIND, merchant, "", &data, now)?;
        let quota = (now.plus_seconds(-TEST_EVENT_WINDOW_SECONDS), TEST_EVENTS_PER_WINDOW);
        match store.insert_endpoint_event(&event, endpoint, quota).await? {
            EndpointEvent::Queued => {}
            EndpointEvent::NoEndpoint => return Err(CoreError::not_found("webhook endpoint")),
            EndpointEvent::OverQuota => {
                return Err(CoreError::new(
                    ErrorKind::Throttled,
                    "too_many_test_events",
                    format!("at most {TEST_EVENTS_PER_WINDOW} test events an hour; wait before sending another"),
                ));
            }
        }
        self.kernel.events_written();
        let record =
            store.delivery(endpoint, event.id, merchant).await?.ok_or_else(|| CoreError::not_found("delivery"))?;
        self.with_attempts(record).await
    }

    async fn with_attempts(&self, record: WebhookDeliveryRecord) -> CoreResult<WebhookDelivery> {
        let attempts = self.kernel.store.delivery_attempts(record.endpoint_id, record.event_id).await?;
        Ok(WebhookDelivery { record, attempts })
    }

    fn checked_url(&self, url: &str) -> CoreResult<String> {
        let invalid = |detail: &str| CoreError::invalid("invalid_webhook_url", detail.to_owned());
        let url = url.trim();
        if url.chars().count() > MAX_URL_CHARS {
            return Err(invalid("a webhook URL is at most 500 characters"));
        }
        let parsed = reqwest::Url::parse(url).map_err(|_| invalid("not a URL"))?;
        let settings = &self.kernel.settings.webhooks;
        let private_ok = settings.allow_private_targets;
        let loopback = settings.allow_loopback_http && parsed.host_str().is_some_and(is_loopback_host);
        match parsed.scheme() {
            "https" => {}
            "http" if private_ok || loopback => {}
            _ => return Err(invalid("a webhook URL must use https")),
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(invalid("a webhook URL carries no credentials; verify the signature instead"));
        }
        let host = parsed.host_str().ok_or_else(|| invalid("a webhook URL needs a host"))?;
        if !private_ok && !loopback && !is_public_host(host) {
            return Err(invalid("a webhook URL cannot point at a private address"));
        }
        Ok(parsed.to_string())
    }
}

fn event_filter(events: &[String]) -> CoreResult<Vec<String>> {
    if events.is_empty() || events.iter().any(|e| e == "*") {
        return Ok(vec!["*".to_owned()]);
    }
    let mut kinds = Vec::new();
    for event in events {
        if !EVENT_KINDS.contains(&event.as_str()) {
            return Err(CoreError::invalid(
                "unknown_event",
                format!("{event:?} is not an event; use one of {}", EVENT_KINDS.join(", ")),
            ));
        }
        if !kinds.contains(event) {
            kinds.push(event.clone());
        }
    }
    Ok(kinds)
}

/// Whether a URL's host is this machine's loopback by name or literal: `localhost`, `127.0.0.0/8`, `[::1]`.
fn is_loopback_host(host: &str) -> bool {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    match literal.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.trim_end_matches('.').eq_ignore_ascii_case("localhost"),
    }
}

/// Host names that name this machine or a cloud's metadata service, whatever DNS says of them.
const PRIVATE_NAME_SUFFIXES: [&str; 5] = ["localhost", ".internal", ".local", ".localdomain", ".home.arpa"];

/// Whether a URL's host may be public: not a private literal address, not a
/// name that is private by definition (`localhost.`, `metadata.google.internal`).
/// Names that resolve privately (wildcard DNS such as `127.0.0.1.nip.io`) are
/// caught when connecting, by [`PublicOnlyResolver`], as DNS can change.
fn is_public_host(host: &str) -> bool {
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return is_public(ip);
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    let single_label = !name.contains('.');
    !(single_label || PRIVATE_NAME_SUFFIXES.iter().any(|suffix| name.ends_with(suffix)))
}

/// The webhook client's DNS: answers only when every address of a name is
/// public. The connection uses exactly these addresses, so a name cannot
/// resolve publicly when checked and privately when connected (DNS rebinding).
#[derive(Debug, Clone, Copy)]
pub struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addresses.is_empty() || addresses.iter().any(|address| !is_public(address.ip())) {
                return Err("refused: the host resolves to a private address".into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// The demo's webhook DNS: a name's addresses must all be public, or all loopback (`localhost`).
#[derive(Debug, Clone, Copy)]
pub struct PublicOrLoopbackResolver;

impl reqwest::dns::Resolve for PublicOrLoopbackResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let all = |test: fn(IpAddr) -> bool| addresses.iter().all(|address| test(address.ip()));
            if addresses.is_empty() || !(all(is_public) || all(|ip| ip.is_loopback())) {
                return Err("refused: the host resolves to a private address".into());
            }
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local, …).
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                // 0.0.0.0/8: "this network", which some stacks route to the host itself.
                || v4.octets()[0] == 0
                // 100.64.0.0/10, carrier-grade NAT: shared, not public.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xC0) == 64))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let embedded = |high: u16, low: u16| {
                    is_public(IpAddr::V4(std::net::Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))))
                };
                match v6.segments() {
                    // 64:ff9b::/96 (NAT64) and ::/96 (IPv4-compatible): an IPv4 address in disguise,
                    // judged as that address.
                    [0x64, 0xff9b, 0, 0, 0, 0, high, low] | [0, 0, 0, 0, 0, 0, high, low] => {
                        return !v6.is_unspecified() && !v6.is_loopback() && embedded(high, low);
                    }
                    // 2002::/16, 6to4: the IPv4 address is the next 32 bits (2002:7f00:1:: is 127.0.0.1).
                    [0x2002, high, low, ..] => return embedded(high, low),
                    _ => {}
                }
                let [first, second, third, fourth, ..] = v6.segments();
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
                    // fec0::/10, the old site-local range.
                    || (first & 0xffc0) == 0xfec0
                    // 2001::/32, Teredo, whose IPv4 address is hidden; 2001:db8::/32, documentation.
                    || (first == 0x2001 && (second == 0 || second == 0x0db8))
                    // 100::/64, discard-only.
                    || (first == 0x0100 && second == 0 && third == 0 && fourth == 0))
            }
        },
    }
}

/// Sends due deliveries until `stop`; woken early when this process writes an event.
pub async fn send_webhooks(kernel: Arc<Kernel>, mut stop: watch::Receiver<bool>) {
    let client = match webhook_client(&kernel.settings.webhooks) {
        Ok(client) => client,
        Err(error) => {
            tracing::error!(%error, "webhook sender not started");
            return;
        }
    };
    loop {
        match deliver_due(&kernel, &client).await {
            // A full batch: there may be more waiting.
            Ok(sent) if sent >= SEND_BATCH as usize => continue,
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "sending webhooks failed; will retry"),
        }
        tokio::select! {
            () = kernel.wait_for_events(kernel.settings.webhooks.poll_interval) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The HTTP client deliveries use: no redirects (a redirect could lead into a
/// private network), bounded time, and unless private targets are allowed,
/// connections only to public addresses.
pub fn webhook_client(settings: &WebhookSettings) -> CoreResult<reqwest::Client> {
    let builder = reqwest::Client::builder();
    let builder = if settings.allow_private_targets {
        builder
    } else if settings.allow_loopback_http {
        builder.dns_resolver(Arc::new(PublicOrLoopbackResolver))
    } else {
        builder.dns_resolver(Arc::new(PublicOnlyResolver))
    };
    builder
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from the environment would connect for us, past the resolver's check.
        .no_proxy()
        .timeout(settings.timeout)
        .user_agent(concat!("Quipu-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| CoreError::new(ErrorKind::Unavailable, "webhook_client", error.to_string()))
}

/// One pass: leases and sends every delivery due now. Public so tests can run it on demand.
pub async fn deliver_due(kernel: &Kernel, client: &reqwest::Client) -> CoreResult<usize> {
    let now = kernel.now();
    let due = kernel.store.due_deliveries(now, SEND_BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    // Events commit without waiting for the disk: send none a crash could take back (see `LedgerStore::sync`).
    kernel.ledger.durable().await?;
    let mut sent = 0;
    for delivery in &due {
        if !kernel.store.lease_delivery(delivery, now, now.plus_seconds(LEASE_SECONDS)).await? {
            continue;
        }
        let attempt = send_one(kernel, client, delivery).await;
        let outcome = match (&attempt.status_code, attempt.error.is_empty()) {
            (Some(200..=299), true) => WebhookDeliveryOutcome::Delivered,
            _ if attempt.attempt >= kernel.settings.webhooks.max_attempts => WebhookDeliveryOutcome::GaveUp,
            _ => WebhookDeliveryOutcome::RetryAt(attempt.at.plus_seconds(backoff_seconds(attempt.attempt))),
        };
        kernel.store.record_attempt(delivery, &attempt, outcome).await?;
        sent += 1;
    }
    Ok(sent)
}

async fn send_one(kernel: &Kernel, client: &reqwest::Client, delivery: &DueDelivery) -> AttemptRecord {
    let at = kernel.now();
    let started = Instant::now();
    let result = post_signed(kernel, client, delivery, at).await;
    let duration_ms = u32::try_from(started.elapsed().as_millis()).unwrap_or(u32::MAX);
    let (status_code, error) = match result {
        Ok(status) if (200..=299).contains(&status) => (Some(status), String::new()),
        Ok(status) => (Some(status), format!("the endpoint answered {status}")),
        Err(error) => (None, error.chars().take(MAX_ERROR_CHARS).collect()),
    };
    AttemptRecord { attempt: delivery.attempts.saturating_add(1), at, status_code, error, duration_ms }
}

async fn post_signed(
    kernel: &Kernel,
    client: &reqwest::Client,
    delivery: &DueDelivery,
    at: Timestamp,
) -> Result<u16, String> {
    let url = reqwest::Url::parse(&delivery.url).map_err(|_| "the stored URL does not parse".to_owned())?;
    // A literal address never reaches the resolver: check it here (the rules may have changed since it was stored).
    let host = url.host_str().ok_or("the stored URL has no host")?;
    let settings = &kernel.settings.webhooks;
    let loopback = settings.allow_loopback_http && is_loopback_host(host);
    if !settings.allow_private_targets && !loopback && !is_public_host(host) {
        return Err("refused: the host is a private address".to_owned());
    }
    let unix = at.0 / Timestamp::MICROS_PER_SECOND;
    let signature = signature(&delivery.secret, unix, &delivery.body).map_err(|e| e.detail)?;
    let response = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header("Quipu-Event-Id", delivery.event_id.to_string())
        .header("Quipu-Event-Type", &delivery.event_kind)
        .body(delivery.body.clone())
        .send()
        .await
        .map_err(|error| format!("sending failed: {}", without_url(&error)))?;
    Ok(response.status().as_u16())
}

/// A reqwest error's text without the URL (which may carry a merchant's path secrets).
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_request() {
        "request error"
    } else {
        "error"
    };
    kind.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_an_independent_hmac() {
        // echo -n '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let signed = signature(b"whsec_test", 1_700_000_000, r#"{"a":1}"#).unwrap();
        assert_eq!(signed, "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!([1, 2, 3, 4].map(backoff_seconds), [30, 60, 120, 240]);
        assert_eq!(backoff_seconds(40), 6 * 3600);
    }

    #[test]
    fn private_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "0.1.2.3",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:a00:1::1",
            "2002:a9fe:a9fe::",
            "::7f00:1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:db8::1",
            "fec0::1",
            "100::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "2606:4700::1111", "2002:808:808::1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn only_loopback_hosts_are_loopback() {
        for host in ["127.0.0.1", "127.1.2.3", "[::1]", "localhost", "LOCALHOST."] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["10.0.0.1", "192.168.1.1", "[fe80::1]", "localhost.example.com", "shop.example", "169.254.169.254"]
        {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn private_host_names_are_refused_by_name() {
        for host in
            ["localhost", "localhost.", "LOCALHOST.", "metadata.google.internal", "metadata", "printer.local", "[::1]"]
        {
            assert!(!is_public_host(host), "{host}");
        }
        for host in ["example.com", "hooks.example.com.", "8.8.8.8"] {
            assert!(is_public_host(host), "{host}");
        }
    }

    #[tokio::test]
    async fn the_connection_resolver_refuses_names_that_resolve_privately() {
        use reqwest::dns::Resolve;
        // `localhost` resolves (from /etc/hosts, no network needed) to loopback only.
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = PublicOnlyResolver.resolve(name).await.err().unwrap();
        assert!(refused.to_string().contains("private address"), "{refused}");
    }
}
