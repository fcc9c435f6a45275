//! Configuration: built-in defaults, then a TOML file, then environment
//! variables and flags (clap reads both; a flag beats its variable).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use quipu_core::market::MarketSettings;
use quipu_core::{HashCost, Settings, WriterLimits};
use quipu_domain::identity::CallingCode;
use quipu_domain::limits::CustomerTier;
use quipu_domain::market::pharmacy::{MAX_PRESCRIPTION_RETENTION_DAYS, MIN_PRESCRIPTION_RETENTION_DAYS};
use quipu_domain::money::{Amount, CurrencyCode, CurrencySet};
use quipu_domain::zone::Zone;
use quipu_http::HttpSettings;
use serde::Deserialize;

use crate::Fallible;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./quipu-data";
/// The most payments one ledger transaction may hold, whatever the file says:
/// TigerBeetle's batch bound, and memory for a batch stays in the tens of MiB.
const MAX_BATCH_CEILING: usize = 8190;

/// The configuration file. Every key is optional; see README.md.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub database_max_connections: Option<u32>,
    /// ISO 4217 codes; the first is the network's default.
    pub currencies: Option<Vec<String>>,
    /// "text" (default) or "json".
    pub log_format: Option<String>,
    /// The IANA zone times are shown in until a person or shop chooses theirs, e.g. "America/Lima".
    pub time_zone: Option<String>,
    /// The country code a phone number typed without `+` gets, e.g. "+1"; none: only `+…` numbers.
    pub default_country_code: Option<String>,
    /// PEM certificate chain for serving HTTPS; with `tls_key`, or neither.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
    #[serde(default)]
    pub security: SecurityConfig,
    #[serde(default)]
    pub limits: LimitsConfig,
    #[serde(default)]
    pub ledger: LedgerConfig,
    #[serde(default)]
    pub payments: PaymentsConfig,
    #[serde(default)]
    pub webhooks: WebhooksConfig,
    #[serde(default)]
    pub commissions: CommissionsConfig,
    #[serde(default)]
    pub operator: OperatorConfig,
    #[serde(default)]
    pub market: MarketConfig,
    /// Limits per customer tier: `[tiers.basic]`, `[tiers.verified]`.
    #[serde(default)]
    pub tiers: HashMap<String, TierConfig>,
}

/// One tier's limits, each a table of amounts by currency: `per_payment = { USD = "500.00" }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    #[serde(default)]
    pub per_payment: HashMap<String, String>,
    #[serde(default)]
    pub per_day: HashMap<String, String>,
    #[serde(default)]
    pub max_balance: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    pub max_endpoints: Option<u32>,
    pub max_attempts: Option<u32>,
    pub timeout_seconds: Option<u64>,
    /// Only for development: lets endpoints be plain http and on private addresses.
    pub allow_private_targets: Option<bool>,
}

/// What keeps agents' commissions to net new money.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommissionsConfig {
    /// A cash-out earns nothing within this many hours of the same customer's cash-in at the same
    /// agent, nor a cash-in after their cash-out (default 24).
    pub net_window_hours: Option<i64>,
    /// The most an agent's commissions pay in a UTC day: `{ USD = "100.00" }`.
    #[serde(default)]
    pub daily_cap: HashMap<String, String>,
}

/// What the market keeps, and for how long.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketConfig {
    /// Days a customer's prescription photo is kept after its order ended (1 to 366; default 30).
    pub prescription_retention_days: Option<u32>,
    /// Minutes an offered delivery waits for a courier's claim before its shop is told (1 to 240;
    /// default 10).
    pub unclaimed_delivery_minutes: Option<u32>,
}

/// What the operator's home calls for attention.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorConfig {
    /// Agents whose float has less than this available are listed: `{ USD = "50.00" }`.
    #[serde(default)]
    pub low_float: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentsConfig {
    /// Payment-code charges above these amounts wait for the customer's PIN: `{ USD = "20.00" }`.
    #[serde(default)]
    pub approval_threshold: HashMap<String, String>,
    pub approval_seconds: Option<i64>,
    pub code_skew_steps: Option<u64>,
    pub max_devices: Option<u32>,
    /// Largest payment through a static merchant QR: `{ USD = "100.00" }`.
    #[serde(default)]
    pub static_qr_cap: HashMap<String, String>,
    /// How long a dynamic QR stays payable unless the till asks otherwise (30 to 3600).
    pub request_seconds: Option<i64>,
    /// ISO 3166-1 alpha-2 country merchant QRs name, e.g. "PE".
    pub country: Option<String>,
    /// The six digits every prepaid card number starts with.
    pub card_prefix: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    pub pin_max_attempts: Option<u32>,
    pub pin_max_attempts_total: Option<u32>,
    pub pin_lock_seconds: Option<i64>,
    pub card_pin_lock_seconds: Option<i64>,
    pub login_max_attempts: Option<u32>,
    pub login_max_attempts_total: Option<u32>,
    pub login_lock_seconds: Option<i64>,
    pub session_ttl_seconds: Option<i64>,
    pub argon2_memory_kib: Option<u32>,
    pub argon2_iterations: Option<u32>,
    pub auth_requests_per_minute: Option<u32>,
    pub trust_forwarded_for: Option<bool>,
    /// The site is reached over HTTPS through a proxy that terminates TLS: mark cookies `Secure`.
    pub secure_cookies: Option<bool>,
    /// Live event streams the process serves at once.
    pub max_event_streams: Option<u32>,
    /// Live event streams one merchant may hold at once.
    pub max_event_streams_per_owner: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest single customer transfer per currency, as decimal strings: `{ USD = "1000.00" }`.
    #[serde(default)]
    pub per_transfer: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    pub max_batch: Option<usize>,
    pub queue: Option<usize>,
    pub hold_sweep_seconds: Option<u64>,
    pub idempotency_retention_hours: Option<i64>,
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// `explicit` when the operator named the directory: then it must already exist.
    Sqlite {
        data_dir: PathBuf,
        explicit: bool,
    },
    Postgres {
        url: String,
        max_connections: u32,
    },
}

/// Values given on the command line or in the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub currencies: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
}

/// The certificate chain and private key the server terminates TLS with (both PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub storage: StorageConfig,
    pub settings: Settings,
    pub market: MarketSettings,
    pub http: HttpSettings,
    pub json_logs: bool,
    /// Serve HTTPS with these files; `None`: plain HTTP (loopback, or behind a reverse proxy).
    pub tls: Option<TlsFiles>,
}

impl Config {
    pub fn load(overrides: &Overrides) -> Fallible<Self> {
        let file = match &overrides.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        resolve(file, overrides)
    }
}

fn read_file(path: &Path) -> Fallible<FileConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read config file {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("invalid config file {}: {e}", path.display()).into())
}

pub fn resolve(file: FileConfig, overrides: &Overrides) -> Fallible<Config> {
    let listen_text = overrides.listen.clone().or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let listen: SocketAddr =
        listen_text.parse().map_err(|_| format!("listen address {listen_text:?} is not host:port"))?;
    let codes: Vec<String> = match &overrides.currencies {
        Some(list) => list.split(',').map(|c| c.trim().to_owned()).collect(),
        None => file.currencies.unwrap_or_else(|| vec!["USD".to_owned()]),
    };
    let currencies = CurrencySet::from_codes(&codes)
        .map_err(|_| format!("currencies {codes:?}: unknown or empty ISO 4217 code list"))?;
    let storage = match overrides.database_url.clone().or(file.database_url) {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            StorageConfig::Postgres { url, max_connections: file.database_max_connections.unwrap_or(16) }
        }
        Some(_) => return Err("database URL must start with postgres:// (SQLite is configured with --data-dir)".into()),
        None => match overrides.data_dir.clone().or(file.data_dir) {
            Some(data_dir) => StorageConfig::Sqlite { data_dir, explicit: true },
            None => StorageConfig::Sqlite { data_dir: PathBuf::from(DEFAULT_DATA_DIR), explicit: false },
        },
    };
    let mut settings = Settings::new(currencies);
    if let Some(name) = file.time_zone {
        settings.time_zone = Zone::parse(&name).map_err(|_| {
            format!("time_zone {name:?}: use an IANA time zone name such as \"America/Lima\" or \"UTC\"")
        })?;
    }
    if let Some(code) = &file.default_country_code {
        let parsed = CallingCode::parse(code)
            .map_err(|_| format!("default_country_code {code:?}: use + and 1 to 3 digits, such as \"+1\""))?;
        settings.default_country_code = Some(parsed);
    }
    let security = file.security;
    settings.pin_max_attempts =
        positive(security.pin_max_attempts, settings.pin_max_attempts, "security.pin_max_attempts")?;
    settings.pin_max_attempts_total = at_least(
        security.pin_max_attempts_total,
        settings.pin_max_attempts_total.max(settings.pin_max_attempts),
        settings.pin_max_attempts,
        "security.pin_max_attempts_total",
    )?;
    settings.pin_lock_seconds =
        seconds(security.pin_lock_seconds, settings.pin_lock_seconds, "security.pin_lock_seconds")?;
    settings.card_pin_lock_seconds =
        seconds(security.card_pin_lock_seconds, settings.card_pin_lock_seconds, "security.card_pin_lock_seconds")?;
    settings.login_max_attempts =
        positive(security.login_max_attempts, settings.login_max_attempts, "security.login_max_attempts")?;
    settings.login_max_attempts_total = at_least(
        security.login_max_attempts_total,
        settings.login_max_attempts_total.max(settings.login_max_attempts),
        settings.login_max_attempts,
        "security.login_max_attempts_total",
    )?;
    settings.login_lock_seconds =
        seconds(security.login_lock_seconds, settings.login_lock_seconds, "security.login_lock_seconds")?;
    settings.session_ttl_seconds =
        seconds(security.session_ttl_seconds, settings.session_ttl_seconds, "security.session_ttl_seconds")?;
    settings.hash_cost = HashCost {
        memory_kib: security.argon2_memory_kib.unwrap_or(settings.hash_cost.memory_kib),
        iterations: security.argon2_iterations.unwrap_or(settings.hash_cost.iterations),
    };
    let defaults = HttpSettings::default();
    let http = HttpSettings {
        auth_requests_per_minute: security.auth_requests_per_minute.unwrap_or(defaults.auth_requests_per_minute),
        trust_forwarded_for: security.trust_forwarded_for.unwrap_or(defaults.trust_forwarded_for),
        secure_cookies: security.secure_cookies.unwrap_or(defaults.secure_cookies),
        max_event_streams: positive(
            security.max_event_streams,
            defaults.max_event_streams,
            "security.max_event_streams",
        )?,
        max_event_streams_per_owner: positive(
            security.max_event_streams_per_owner,
            defaults.max_event_streams_per_owner,
            "security.max_event_streams_per_owner",
        )?,
    };
    settings.transfer_limits = amounts_by_currency(&settings, file.limits.per_transfer, "limits.per_transfer")?;
    let payments = file.payments;
    settings.payments.approval_thresholds =
        amounts_by_currency(&settings, payments.approval_threshold, "payments.approval_threshold")?;
    settings.payments.approval_seconds =
        seconds(payments.approval_seconds, settings.payments.approval_seconds, "payments.approval_seconds")?;
    settings.payments.code_skew_steps = payments.code_skew_steps.unwrap_or(settings.payments.code_skew_steps).min(5);
    settings.payments.max_devices = payments.max_devices.unwrap_or(settings.payments.max_devices).clamp(1, 50);
    settings.payments.static_qr_caps =
        amounts_by_currency(&settings, payments.static_qr_cap, "payments.static_qr_cap")?;
    settings.payments.request_seconds = payments.request_seconds.unwrap_or(settings.payments.request_seconds);
    if !(30..=settings.payments.max_request_seconds).contains(&settings.payments.request_seconds) {
        return Err("payments.request_seconds must be between 30 and 3600".into());
    }
    if let Some(country) = payments.country {
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("payments.country {country:?}: use an ISO 3166 alpha-2 code such as \"PE\"").into());
        }
        settings.payments.country = country;
    }
    if let Some(prefix) = payments.card_prefix {
        if prefix.len() != 6 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("payments.card_prefix {prefix:?}: use six digits such as \"990001\"").into());
        }
        settings.payments.card_prefix = prefix;
    }
    if let Some(hours) = file.commissions.net_window_hours {
        if !(0..=24 * 31).contains(&hours) {
            return Err("commissions.net_window_hours must be between 0 and 744".into());
        }
        settings.commissions.net_window_seconds = hours.saturating_mul(3600);
    }
    settings.commissions.daily_caps =
        amounts_by_currency(&settings, file.commissions.daily_cap, "commissions.daily_cap")?;
    settings.attention.low_floats = amounts_by_currency(&settings, file.operator.low_float, "operator.low_float")?;
    let webhooks = file.webhooks;
    settings.webhooks.max_endpoints =
        positive(webhooks.max_endpoints, settings.webhooks.max_endpoints, "webhooks.max_endpoints")?.min(50);
    settings.webhooks.max_attempts =
        positive(webhooks.max_attempts, settings.webhooks.max_attempts, "webhooks.max_attempts")?.min(30);
    if let Some(seconds) = webhooks.timeout_seconds {
        settings.webhooks.timeout = Duration::from_secs(seconds.clamp(1, 60));
    }
    settings.webhooks.allow_private_targets =
        webhooks.allow_private_targets.unwrap_or(settings.webhooks.allow_private_targets);
    settings.writer = WriterLimits {
        max_batch: file.ledger.max_batch.unwrap_or(settings.writer.max_batch).clamp(1, MAX_BATCH_CEILING),
        queue: file.ledger.queue.unwrap_or(settings.writer.queue).clamp(1, 1 << 20),
    };
    if let Some(hours) = file.ledger.idempotency_retention_hours {
        if hours < 1 {
            return Err("ledger.idempotency_retention_hours must be at least 1".into());
        }
        settings.idempotency_retention_seconds = hours.saturating_mul(3600);
    }
    if let Some(seconds) = file.ledger.hold_sweep_seconds {
        settings.hold_sweep_interval = Duration::from_secs(seconds.max(1));
    }
    for (name, tier) in file.tiers {
        resolve_tier(&mut settings, &name, tier)?;
    }
    let json_logs = match file.log_format.as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => return Err(format!("log_format {other:?}: use \"text\" or \"json\"").into()),
    };
    let tls = match (overrides.tls_cert.clone().or(file.tls_cert), overrides.tls_key.clone().or(file.tls_key)) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        (Some(cert), None) => {
            return Err(format!(
                "TLS certificate {} given without its key: set --tls-key (QUIPU_TLS_KEY, or tls_key in the file) too",
                cert.display()
            )
            .into());
        }
        (None, Some(key)) => {
            return Err(format!(
                "TLS key {} given without its certificate: set --tls-cert (QUIPU_TLS_CERT, or tls_cert in the file) too",
                key.display()
            )
            .into());
        }
    };
    let market = resolve_market(&file.market)?;
    Ok(Config { listen, storage, settings, market, http, json_logs, tls })
}

fn resolve_market(file: &MarketConfig) -> Fallible<MarketSettings> {
    let mut market = MarketSettings::default();
    if let Some(days) = file.prescription_retention_days {
        if !(MIN_PRESCRIPTION_RETENTION_DAYS..=MAX_PRESCRIPTION_RETENTION_DAYS).contains(&days) {
            return Err(format!(
                "market.prescription_retention_days must be between {MIN_PRESCRIPTION_RETENTION_DAYS} and {MAX_PRESCRIPTION_RETENTION_DAYS}"
            )
            .into());
        }
        market.prescription_retention_days = days;
    }
    if let Some(minutes) = file.unclaimed_delivery_minutes {
        if !(1..=240).contains(&minutes) {
            return Err("market.unclaimed_delivery_minutes must be between 1 and 240".into());
        }
        market.unclaimed_delivery_minutes = minutes;
    }
    Ok(market)
}

/// Overrides a tier's default limits in the currencies its tables name.
fn resolve_tier(settings: &mut Settings, name: &str, tier: TierConfig) -> Fallible<()> {
    let level = CustomerTier::parse(name).ok_or_else(|| format!("tiers.{name}: the tiers are basic and verified"))?;
    let per_payment = amounts_by_currency(settings, tier.per_payment, &format!("tiers.{name}.per_payment"))?;
    let per_day = amounts_by_currency(settings, tier.per_day, &format!("tiers.{name}.per_day"))?;
    let max_balance = amounts_by_currency(settings, tier.max_balance, &format!("tiers.{name}.max_balance"))?;
    let mut codes: Vec<CurrencyCode> =
        per_payment.keys().chain(per_day.keys()).chain(max_balance.keys()).copied().collect();
    codes.sort_unstable_by_key(|code| code.to_string());
    codes.dedup();
    for code in codes {
        let currency = settings.currencies.get(&code.to_string()).map_err(|e| format!("tiers.{name}: {e}"))?;
        let mut limits = settings.tier_limits(level, currency);
        limits.per_payment = per_payment.get(&code).copied().or(limits.per_payment);
        limits.per_day = per_day.get(&code).copied().or(limits.per_day);
        limits.max_balance = max_balance.get(&code).copied().or(limits.max_balance);
        settings.tier_limits.insert((level, code), limits);
    }
    Ok(())
}

/// A table of positive amounts keyed by enabled currency codes.
fn amounts_by_currency(
    settings: &Settings,
    table: HashMap<String, String>,
    name: &str,
) -> Fallible<HashMap<CurrencyCode, Amount>> {
    let mut amounts = HashMap::new();
    for (code, amount) in table {
        let currency =
            settings.currencies.get(&code).map_err(|_| format!("{name}: {code} is not an enabled currency"))?;
        let limit = currency
            .parse_amount(&amount)
            .and_then(|a| a.ensure_positive())
            .map_err(|e| format!("{name}.{code}: {e}"))?;
        amounts.insert(currency.code, limit);
    }
    Ok(amounts)
}

/// A duration in seconds that must be at least one: a lock of zero seconds is no lock.
fn seconds(value: Option<i64>, default: i64, name: &str) -> Fallible<i64> {
    match value {
        Some(v) if v < 1 => Err(format!("{name} must be at least 1").into()),
        Some(v) => Ok(v),
        None => Ok(default),
    }
}

/// A limit for all sources together: never below the limit for one.
fn at_least(value: Option<u32>, default: u32, floor: u32, name: &str) -> Fallible<u32> {
    match value {
        Some(v) if v < floor => Err(format!("{name} must be at least the per-source limit, {floor}").into()),
        Some(v) => Ok(v),
        None => Ok(default),
    }
}

fn positive(value: Option<u32>, default: u32, name: &str) -> Fallible<u32> {
    match value {
        Some(0) => Err(format!("{name} must be at least 1").into()),
        Some(v) => Ok(v),
        None => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The configuration README.md documents is the configuration this code reads.
    #[test]
    fn the_readme_example_is_a_valid_configuration() {
        let readme = include_str!("../../../README.md");
        let example = readme
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("README.md has a ```toml block");
        let file: FileConfig = toml::from_str(example).expect("README's example parses");
        let config = resolve(file, &Overrides::default()).expect("README's example resolves");
        assert_eq!(config.settings.pin_max_attempts, 5);
        assert_eq!(config.settings.writer.max_batch, 4096);
        assert_eq!(config.settings.transfer_limits.len(), 1);
        assert_eq!(config.settings.payments.approval_thresholds.len(), 1);
        assert_eq!(config.settings.payments.approval_seconds, 120);
        let usd = config.settings.currencies.get("USD").expect("USD");
        let verified = config.settings.tier_limits(CustomerTier::Verified, usd);
        assert_eq!(verified.per_payment, Some(Amount::from_minor(500_000)));
        assert_eq!(verified.per_day, Some(Amount::from_minor(1_000_000)), "unset limits keep their defaults");
        assert_eq!(config.settings.card_pin_lock_seconds, 86_400);
        assert_eq!(config.settings.commissions.net_window_seconds, 24 * 3600);
        assert_eq!(config.settings.commissions.daily_cap(usd), Amount::from_minor(10_000));
        assert!(!config.json_logs);
        assert_eq!(config.settings.time_zone.name(), "UTC");
        assert_eq!(config.settings.default_country_code.as_ref().map(CallingCode::digits), Some("1"));
    }

    #[test]
    fn the_network_time_zone_is_an_iana_name() {
        let lima: FileConfig = toml::from_str("time_zone = \"america/lima\"\n").expect("parses");
        let config = resolve(lima, &Overrides::default()).expect("resolves");
        assert_eq!(config.settings.time_zone.name(), "America/Lima");
        let mars: FileConfig = toml::from_str("time_zone = \"Mars/Olympus\"\n").expect("parses");
        let error = resolve(mars, &Overrides::default()).expect_err("no such zone").to_string();
        assert!(error.contains("Mars/Olympus") && error.contains("IANA"), "{error}");
    }

    #[test]
    fn explicit_directories_and_bad_values_are_reported() {
        let named = Overrides { data_dir: Some("/srv/quipu".into()), ..Overrides::default() };
        let config = resolve(FileConfig::default(), &named).expect("resolves");
        assert_eq!(config.storage, StorageConfig::Sqlite { data_dir: "/srv/quipu".into(), explicit: true });
        let default = resolve(FileConfig::default(), &Overrides::default()).expect("resolves");
        assert_eq!(default.storage, StorageConfig::Sqlite { data_dir: DEFAULT_DATA_DIR.into(), explicit: false });
        assert_eq!(default.listen.to_string(), DEFAULT_LISTEN);
        let mysql = Overrides { database_url: Some("mysql://x".into()), ..Overrides::default() };
        assert!(resolve(FileConfig::default(), &mysql).is_err());
        let bad_code: FileConfig = toml::from_str("default_country_code = \"+1a\"\n").expect("parses");
        assert!(resolve(bad_code, &Overrides::default()).is_err());
        let zero_lock: FileConfig = toml::from_str("[security]\npin_lock_seconds = 0\n").expect("parses");
        assert!(resolve(zero_lock, &Overrides::default()).is_err());
        let bad_limit: FileConfig = toml::from_str("[limits.per_transfer]\nEUR = \"10\"\n").expect("parses");
        assert!(resolve(bad_limit, &Overrides::default()).is_err(), "EUR is not enabled");
        let long_window: FileConfig = toml::from_str("[commissions]\nnet_window_hours = 9999\n").expect("parses");
        assert!(resolve(long_window, &Overrides::default()).is_err());
    }

    #[test]
    fn prescriptions_are_kept_thirty_days_unless_the_operator_says_otherwise_within_a_year() {
        let default = resolve(FileConfig::default(), &Overrides::default()).expect("resolves");
        assert_eq!(default.market.prescription_retention_days, 30);
        let week: FileConfig = toml::from_str("[market]\nprescription_retention_days = 7\n").expect("parses");
        assert_eq!(resolve(week, &Overrides::default()).expect("resolves").market.prescription_retention_days, 7);
        for days in [0, 367] {
            let file: FileConfig =
                toml::from_str(&format!("[market]\nprescription_retention_days = {days}\n")).expect("parses");
            let error = resolve(file, &Overrides::default()).expect_err("out of range").to_string();
            assert!(error.contains("prescription_retention_days"), "{error}");
        }
    }

    #[test]
    fn tls_takes_a_certificate_and_its_key_or_neither() {
        assert_eq!(resolve(FileConfig::default(), &Overrides::default()).expect("resolves").tls, None);
        let file: FileConfig =
            toml::from_str("tls_cert = \"/etc/quipu/cert.pem\"\ntls_key = \"/etc/quipu/key.pem\"\n").expect("parses");
        let flag = Overrides { tls_key: Some("/run/key.pem".into()), ..Overrides::default() };
        let config = resolve(file, &flag).expect("resolves");
        assert_eq!(config.tls, Some(TlsFiles { cert: "/etc/quipu/cert.pem".into(), key: "/run/key.pem".into() }));
        let cert_only = Overrides { tls_cert: Some("cert.pem".into()), ..Overrides::default() };
        let error = resolve(FileConfig::default(), &cert_only).expect_err("a certificate needs its key").to_string();
        assert!(error.contains("cert.pem") && error.contains("--tls-key"), "{error}");
        let key_only: FileConfig = toml::from_str("tls_key = \"key.pem\"\n").expect("parses");
        let error = resolve(key_only, &Overrides::default()).expect_err("a key needs its certificate").to_string();
        assert!(error.contains("key.pem") && error.contains("--tls-cert"), "{error}");
    }
}
