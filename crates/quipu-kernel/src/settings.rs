//! Everything an operator tunes, with the defaults a small network wants.
//! HTTP's own settings (rate limits, which proxy to trust) are the HTTP
//! layer's.

use std::collections::HashMap;
use std::time::Duration;

use quipu_domain::identity::CallingCode;
use quipu_domain::limits::{CustomerTier, TierLimits};
use quipu_domain::money::{Amount, Currency, CurrencyCode, CurrencySet};
use quipu_domain::zone::Zone;

use crate::secrets::HashCost;
use crate::writer::WriterLimits;

#[derive(Debug, Clone)]
pub struct Settings {
    pub currencies: CurrencySet,
    pub hash_cost: HashCost,
    /// Wrong PINs from one source (an agent, a shop, the person) before the PIN locks for that source.
    pub pin_max_attempts: u32,
    /// Wrong PINs from all sources together before the PIN locks for everyone but its owner.
    pub pin_max_attempts_total: u32,
    pub pin_lock_seconds: i64,
    /// How long a prepaid card's PIN stays locked after `pin_max_attempts`
    /// wrong tries. Longer than a person's: whoever holds a card may guess.
    pub card_pin_lock_seconds: i64,
    /// Wrong passwords from one address before login locks for that address and phone number.
    pub login_max_attempts: u32,
    /// Wrong passwords from all addresses together before login locks for that phone number.
    pub login_max_attempts_total: u32,
    pub login_lock_seconds: i64,
    pub session_ttl_seconds: i64,
    /// Largest single customer transfer (P2P, cash-in, cash-out) per currency; absent means no limit.
    pub transfer_limits: HashMap<CurrencyCode, Amount>,
    pub writer: WriterLimits,
    /// How often housekeeping runs: expired holds voided, stale rows purged.
    pub hold_sweep_interval: Duration,
    /// How long a stored idempotent response is replayed. Past it a retry runs
    /// again, and the ledger still answers with the original transfer.
    pub idempotency_retention_seconds: i64,
    pub payments: PaymentSettings,
    pub commissions: CommissionSettings,
    pub attention: AttentionSettings,
    /// Payment and balance limits per customer tier and currency. A pair
    /// without an entry uses [`Settings::tier_limits`]'s defaults.
    pub tier_limits: HashMap<(CustomerTier, CurrencyCode), TierLimits>,
    pub webhooks: WebhookSettings,
    /// How often a till's live stream looks for events written by other processes.
    pub event_poll_interval: Duration,
    /// The zone times are shown in and shops keep their days in until a person or shop chooses theirs.
    pub time_zone: Zone,
    /// The country code a phone number typed in national form gets (`555 010 0099` → `+1…`);
    /// `None`: only international numbers are taken.
    pub default_country_code: Option<CallingCode>,
}

/// In-store payment rules an operator tunes.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    /// Payment-code charges above this amount (per currency) wait for the
    /// customer's PIN; at or below it they complete at once. A currency
    /// without an entry uses 20 major units (e.g. 20.00 USD).
    pub approval_thresholds: HashMap<CurrencyCode, Amount>,
    /// How long a payment may wait for approval before it lapses.
    pub approval_seconds: i64,
    /// Time steps either side of now in which a code is accepted (clock skew).
    pub code_skew_steps: u64,
    /// Devices a customer may have enrolled (not revoked) at once.
    pub max_devices: u32,
    /// Largest payment through a static merchant QR (per currency): the
    /// customer types the amount, so a mistyped 1000 for 10.00 is capped.
    /// A currency without an entry uses 100 major units.
    pub static_qr_caps: HashMap<CurrencyCode, Amount>,
    /// How long a dynamic QR (payment request) stays payable, by default and at most.
    pub request_seconds: i64,
    pub max_request_seconds: i64,
    /// ISO 3166-1 alpha-2 country the network's merchant QRs name (EMV object 58).
    pub country: String,
    /// The six digits every prepaid card number this network issues starts with.
    pub card_prefix: String,
}

/// What keeps agents' commissions to net new money.
#[derive(Debug, Clone)]
pub struct CommissionSettings {
    /// A cash-out earns nothing when the same customer cashed in at the same agent within this
    /// many seconds, and a cash-in nothing after their cash-out (default a day).
    pub net_window_seconds: i64,
    /// The most an agent's commissions may pay in a UTC day, per currency. A currency without an
    /// entry uses 100 major units (e.g. 100.00 USD).
    pub daily_caps: HashMap<CurrencyCode, Amount>,
}

impl Default for CommissionSettings {
    fn default() -> Self {
        Self { net_window_seconds: 24 * 3600, daily_caps: HashMap::new() }
    }
}

impl CommissionSettings {
    /// The most an agent's commissions may pay in a day in `currency`.
    pub fn daily_cap(&self, currency: Currency) -> Amount {
        self.daily_caps.get(&currency.code).copied().or_else(|| major_units(currency, 100)).unwrap_or(Amount::ZERO)
    }
}

/// What the operator's home calls for attention.
#[derive(Debug, Clone, Default)]
pub struct AttentionSettings {
    /// An agent whose float has less than this available is listed, per currency. A currency without
    /// an entry uses 50 major units (e.g. 50.00 USD).
    pub low_floats: HashMap<CurrencyCode, Amount>,
}

impl AttentionSettings {
    /// The float below which an agent is listed, in `currency`.
    pub fn low_float(&self, currency: Currency) -> Amount {
        self.low_floats.get(&currency.code).copied().or_else(|| major_units(currency, 50)).unwrap_or(Amount::ZERO)
    }
}

/// What an operator tunes about webhooks.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Live endpoints per merchant.
    pub max_endpoints: u32,
    /// Attempts per delivery before it is given up (about a day and a half at the default 12).
    pub max_attempts: u32,
    /// How long one delivery may take.
    pub timeout: Duration,
    /// How often the sender looks for due deliveries written by other processes.
    pub poll_interval: Duration,
    /// Lets endpoints use plain HTTP and private, loopback or link-local
    /// addresses. Off in production: a merchant must not make Quipu call
    /// into the operator's own network.
    pub allow_private_targets: bool,
    /// Lets endpoints be plain-HTTP URLs on this machine's loopback
    /// (`127.0.0.1`, `[::1]`, `localhost`) and nothing else private: what
    /// `quipu demo` sets so a webhook can be tried with a local listener. Off in production.
    pub allow_loopback_http: bool,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            max_endpoints: 5,
            max_attempts: 12,
            timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(2),
            allow_private_targets: false,
            allow_loopback_http: false,
        }
    }
}

impl Default for PaymentSettings {
    fn default() -> Self {
        Self {
            approval_thresholds: HashMap::new(),
            approval_seconds: 120,
            code_skew_steps: 1,
            max_devices: 5,
            static_qr_caps: HashMap::new(),
            request_seconds: 300,
            max_request_seconds: 3600,
            country: "ZZ".into(),
            card_prefix: "990001".into(),
        }
    }
}

impl PaymentSettings {
    /// The largest amount that completes without the customer's PIN.
    pub fn approval_threshold(&self, currency: Currency) -> Option<Amount> {
        self.approval_thresholds.get(&currency.code).copied().or_else(|| major_units(currency, 20))
    }

    /// The largest payment one scan of a static merchant QR may make.
    pub fn static_qr_cap(&self, currency: Currency) -> Option<Amount> {
        self.static_qr_caps.get(&currency.code).copied().or_else(|| major_units(currency, 100))
    }
}

impl Settings {
    pub fn new(currencies: CurrencySet) -> Self {
        Self {
            currencies,
            hash_cost: HashCost::default(),
            pin_max_attempts: 5,
            pin_max_attempts_total: 20,
            pin_lock_seconds: 15 * 60,
            card_pin_lock_seconds: 24 * 3600,
            login_max_attempts: 10,
            login_max_attempts_total: 50,
            login_lock_seconds: 15 * 60,
            session_ttl_seconds: 7 * 24 * 3600,
            transfer_limits: HashMap::new(),
            writer: WriterLimits::default(),
            hold_sweep_interval: Duration::from_secs(5),
            idempotency_retention_seconds: 7 * 24 * 3600,
            payments: PaymentSettings::default(),
            commissions: CommissionSettings::default(),
            attention: AttentionSettings::default(),
            tier_limits: HashMap::new(),
            webhooks: WebhookSettings::default(),
            event_poll_interval: Duration::from_secs(1),
            time_zone: Zone::utc(),
            default_country_code: None,
        }
    }

    /// A tier's limits in a currency: as configured, else (in major units) basic 500 per payment,
    /// 1 000 a day, 2 000 held; verified ten times that.
    pub fn tier_limits(&self, tier: CustomerTier, currency: Currency) -> TierLimits {
        if let Some(limits) = self.tier_limits.get(&(tier, currency.code)) {
            return *limits;
        }
        let scale = match tier {
            CustomerTier::Basic => 1,
            CustomerTier::Verified => 10,
        };
        TierLimits {
            per_payment: major_units(currency, 500 * scale),
            per_day: major_units(currency, 1_000 * scale),
            max_balance: major_units(currency, 2_000 * scale),
        }
    }
}

fn major_units(currency: Currency, units: i64) -> Option<Amount> {
    10i64.checked_pow(u32::from(currency.exponent)).and_then(|unit| unit.checked_mul(units)).map(Amount::from_minor)
}
