//! Quipu's application services.
//!
//! This crate owns the flows (register, log in, cash in, send money, …),
//! who may do what, and the one ledger writer per process. It talks to
//! storage only through `dyn Store` and knows nothing about HTTP: the API
//! crate turns requests into calls here and [`CoreError`]s into responses.

pub mod access;
pub mod cards;
pub mod clock;
pub mod error;
pub mod events;
pub mod limits;
pub mod merchant_qr;
pub mod payments;
pub mod receipts;
pub mod secrets;
pub mod views;
pub mod wallet;
pub mod webhooks;
pub mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use quipu_domain::Timestamp;
use quipu_domain::ledger::{Account, AccountId, AccountKind, TransferId};
use quipu_domain::limits::{CustomerTier, TierLimits};
use quipu_domain::money::{Amount, CurrencyCode, CurrencySet};
use quipu_store::{AccountOwner, OwnedAccount, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use crate::access::Principal;
pub use crate::clock::{Clock, OffsetClock, SystemClock};
pub use crate::error::{CoreError, CoreResult, ErrorKind};
pub use crate::secrets::HashCost;
pub use crate::writer::{LedgerWriter, WriterLimits};

/// Everything an operator can tune, with the defaults a small network wants.
#[derive(Debug, Clone)]
pub struct Settings {
    pub currencies: CurrencySet,
    pub hash_cost: HashCost,
    /// Wrong PINs before the PIN locks.
    pub pin_max_attempts: u32,
    pub pin_lock_seconds: i64,
    /// How long a prepaid card's PIN stays locked after `pin_max_attempts`
    /// wrong tries. Longer than a person's: whoever holds a card may guess.
    pub card_pin_lock_seconds: i64,
    /// Wrong passwords before login locks for that phone number.
    pub login_max_attempts: u32,
    pub login_lock_seconds: i64,
    pub session_ttl_seconds: i64,
    /// Logins and registrations per client address per minute; 0 turns the limit off.
    pub auth_requests_per_minute: u32,
    /// Take the client address from the last `X-Forwarded-For` entry (only behind a proxy you run).
    pub trust_forwarded_for: bool,
    /// Largest single customer transfer (P2P, cash-in, cash-out) per currency; absent means no limit.
    pub transfer_limits: HashMap<CurrencyCode, Amount>,
    pub writer: WriterLimits,
    /// How often housekeeping runs: expired holds voided, stale rows purged.
    pub hold_sweep_interval: Duration,
    /// How long a stored idempotent response is replayed. Past it a retry runs
    /// again, and the ledger still answers with the original transfer.
    pub idempotency_retention_seconds: i64,
    pub payments: PaymentSettings,
    /// Payment and balance limits per customer tier and currency. A pair
    /// without an entry uses [`Settings::tier_limits`]'s defaults.
    pub tier_limits: HashMap<(CustomerTier, CurrencyCode), TierLimits>,
    pub webhooks: webhooks::WebhookSettings,
    /// How often a till's live stream looks for events written by other processes.
    pub event_poll_interval: Duration,
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
    pub fn approval_threshold(&self, currency: quipu_domain::money::Currency) -> Option<Amount> {
        self.approval_thresholds.get(&currency.code).copied().or_else(|| major_units(currency, 20))
    }

    /// The largest payment one scan of a static merchant QR may make.
    pub fn static_qr_cap(&self, currency: quipu_domain::money::Currency) -> Option<Amount> {
        self.static_qr_caps.get(&currency.code).copied().or_else(|| major_units(currency, 100))
    }
}

impl Settings {
    /// A tier's limits in a currency: as configured, else (in major units) basic 500 per payment,
    /// 1 000 a day, 2 000 held; verified ten times that.
    pub fn tier_limits(&self, tier: CustomerTier, currency: quipu_domain::money::Currency) -> TierLimits {
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

fn major_units(currency: quipu_domain::money::Currency, units: i64) -> Option<Amount> {
    10i64.checked_pow(u32::from(currency.exponent)).and_then(|unit| unit.checked_mul(units)).map(Amount)
}

impl Settings {
    pub fn new(currencies: CurrencySet) -> Self {
        Self {
            currencies,
            hash_cost: HashCost::default(),
            pin_max_attempts: 5,
            pin_lock_seconds: 15 * 60,
            card_pin_lock_seconds: 24 * 3600,
            login_max_attempts: 10,
            login_lock_seconds: 15 * 60,
            session_ttl_seconds: 7 * 24 * 3600,
            auth_requests_per_minute: 30,
            trust_forwarded_for: false,
            transfer_limits: HashMap::new(),
            writer: WriterLimits::default(),
            hold_sweep_interval: Duration::from_secs(5),
            idempotency_retention_seconds: 7 * 24 * 3600,
            payments: PaymentSettings::default(),
            tier_limits: HashMap::new(),
            webhooks: webhooks::WebhookSettings::default(),
            event_poll_interval: Duration::from_secs(1),
        }
    }
}

/// The services, shared by every request handler.
pub struct Services {
    pub store: Arc<dyn Store>,
    pub ledger: LedgerWriter,
    pub clock: Arc<dyn Clock>,
    pub settings: Settings,
    hasher: secrets::SecretHasher,
    /// Woken whenever this process writes a merchant event: live streams and the webhook sender listen.
    pub(crate) events_written: tokio::sync::Notify,
    /// Account ids by (owner, kind, currency); see [`Services::ensure_account`].
    account_ids: AccountIds,
}

/// Account ids already looked up. Bounded: past [`AccountIds::MAX`] entries
/// it starts again empty (a lookup costs one indexed read), so memory stays
/// flat however many accounts the network has.
#[derive(Default)]
struct AccountIds {
    ids: std::sync::Mutex<HashMap<(AccountOwner, AccountKind, CurrencyCode), AccountId>>,
}

impl AccountIds {
    const MAX: usize = 200_000;

    fn get(&self, key: &(AccountOwner, AccountKind, CurrencyCode)) -> Option<AccountId> {
        self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).copied()
    }

    fn insert(&self, key: (AccountOwner, AccountKind, CurrencyCode), id: AccountId) {
        let mut ids = self.ids.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if ids.len() >= Self::MAX {
            ids.clear();
        }
        ids.insert(key, id);
    }
}

/// The background tasks; stop them with [`Background::shutdown`] after the
/// HTTP server has finished its in-flight requests.
pub struct Background {
    store: Arc<dyn Store>,
    stop: watch::Sender<bool>,
    writer: JoinHandle<()>,
    sweeper: JoinHandle<()>,
    webhooks: JoinHandle<()>,
}

impl Background {
    /// Stops the sweeper, then lets the writer commit what is queued and stop,
    /// then makes the last writes durable. Nothing acknowledged is lost:
    /// acknowledgement only ever follows a durable commit.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.sweeper.await;
        // An attempt cut short here is retried after its lease lapses.
        let _ = self.webhooks.await;
        let _ = self.writer.await;
        // Writes since the writer's last commit (a webhook's last attempt, say) answered nobody yet.
        if let Err(error) = self.store.sync().await {
            tracing::warn!(%error, "the last writes before stopping may not be durable");
        }
    }
}

impl Services {
    /// Starts the ledger writer, hold sweeper and webhook sender, and makes sure the system
    /// accounts (issuance, fee income) exist for every enabled currency.
    pub async fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> CoreResult<(Arc<Self>, Background)> {
        let hasher = secrets::SecretHasher::new(settings.hash_cost)?;
        let (stop, stop_signal) = watch::channel(false);
        let (ledger, writer) = LedgerWriter::spawn(store.clone(), clock.clone(), settings.writer, stop_signal.clone());
        let events_written = tokio::sync::Notify::new();
        let services = Arc::new(Self {
            store,
            ledger,
            clock,
            settings,
            hasher,
            events_written,
            account_ids: AccountIds::default(),
        });
        for currency in services.settings.currencies.iter() {
            for kind in [AccountKind::Issuance, AccountKind::FeeIncome] {
                services.ensure_account(AccountOwner::System, kind, currency.code).await?;
            }
        }
        let sweeper = tokio::spawn(sweep_expired_holds(services.clone(), stop_signal.clone()));
        let webhooks = tokio::spawn(webhooks::send_webhooks(services.clone(), stop_signal));
        let store = services.store.clone();
        Ok((services, Background { store, stop, writer, sweeper, webhooks }))
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The id of the owner's account of a kind in a currency, created on first use.
    ///
    /// Remembered once known: an account is never deleted and never changes
    /// owner, kind or currency (one per triple, by a unique key), so the id
    /// holds for every process sharing the database, and a payment costs no
    /// lookups for its wallet, merchant and fee accounts.
    pub async fn ensure_account(
        &self,
        owner: AccountOwner,
        kind: AccountKind,
        currency: CurrencyCode,
    ) -> CoreResult<AccountId> {
        let key = (owner, kind, currency);
        if let Some(id) = self.account_ids.get(&key) {
            return Ok(id);
        }
        let existing = self.store.accounts_of(owner).await?;
        let id = match existing.into_iter().find(|a| a.kind == kind && a.currency == currency) {
            Some(account) => account.id,
            None => self.store.ensure_account(&new_account(owner, kind, currency, self.now())).await?.id,
        };
        self.account_ids.insert(key, id);
        Ok(id)
    }

    /// Runs every ledger invariant check.
    pub async fn verify_ledger(&self) -> CoreResult<quipu_domain::verify::Report> {
        let facts = self.store.ledger_facts().await?;
        Ok(quipu_domain::verify::verify(&facts))
    }
}

/// A fresh account value with the kind's default flags.
pub fn new_account(owner: AccountOwner, kind: AccountKind, currency: CurrencyCode, now: Timestamp) -> OwnedAccount {
    OwnedAccount {
        account: Account {
            id: quipu_domain::ledger::AccountId(Uuid::now_v7()),
            currency,
            kind,
            flags: kind.default_flags(),
            balances: Default::default(),
            created_at: now,
        },
        owner,
    }
}

/// Voids holds whose deadline passed. Ids are derived from the hold's id, so
/// two processes sweeping the same hold write one transfer between them.
async fn sweep_expired_holds(services: Arc<Services>, mut stop: watch::Receiver<bool>) {
    const PAGE: u32 = 500;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(services.settings.hold_sweep_interval) => {}
            _ = stop.changed() => return,
        }
        if let Err(error) = sweep_once(&services, PAGE).await {
            tracing::warn!(%error, "expiring holds failed; will retry");
        }
    }
}

/// How long a payment may stay `processing` (or a refund `pending`) before
/// housekeeping finishes it: past the 30 s request timeout, so a request still
/// running is normally left to finish its own work.
const INTERRUPTED_AFTER_SECONDS: i64 = 60;

/// One pass of housekeeping; public so tests can run it on demand. Returns
/// how many holds it expired.
pub async fn sweep_once(services: &Services, limit: u32) -> CoreResult<usize> {
    let now = services.now();
    let expired = services.store.expired_holds(now, limit).await?;
    for pending_id in &expired {
        let id = TransferId(secrets::derived_id("quipu.expire", &[pending_id.0.as_bytes()]));
        services.ledger.expire(id, *pending_id).await?;
    }
    let retention = now.plus_seconds(-services.settings.idempotency_retention_seconds);
    services.store.purge_stale(retention, now, limit).await?;
    services.finish_interrupted(INTERRUPTED_AFTER_SECONDS, limit).await?;
    Ok(expired.len())
}
pub use quipu_store as store;
