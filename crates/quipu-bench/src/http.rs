//! `quipu bench`, end to end: a real `quipu serve` process, driven over
//! loopback HTTP by an open-loop load generator in the bench's process, with
//! real authentication, on a fresh database per backend.
//!
//! Three kinds of request, each run at fixed arrival rates, one run per rate:
//! - **charge**: a till (a cashier's session) charges a customer's one-time
//!   payment code, `POST /api/v1/merchant/charges`, with an `Idempotency-Key`;
//! - **p2p**: a customer sends money to another, `POST /api/v1/transfers/p2p`,
//!   confirmed by PIN. The PIN is checked with Argon2id at production cost
//!   (19 MiB, 2 passes, at most one hash per core at a time) on purpose, so
//!   P2P is bound by the PIN hash by design and runs at far lower rates;
//! - **checkout**: a customer puts a product in their cart and checks out with
//!   their PIN (two requests, one checkout; see `http/checkout.rs`), bound by
//!   the PIN hash in the same way.
//!
//! **Open loop.** Request `i` of a run is due at `start + i / rate`, whether
//! or not earlier ones were answered, and its latency is measured from that
//! due time, not from when it was sent: a server (or generator) that falls
//! behind shows it as latency, instead of silently slowing the offered load
//! (coordinated omission). The generator runs on a runtime and OS thread of
//! its own in the bench's process; the server is another process, so each
//! has its own scheduler and they share only the cores. Latencies include up to
//! about 1 ms of timer granularity. Everything is bounded: a run offers
//! `rate × seconds` requests (at most [`MAX_REQUESTS_PER_RUN`]); at most
//! `max_outstanding` are in flight, and one due while the cap is reached is
//! not sent but counted as dropped. The histogram is an HDR histogram in
//! microseconds with 3 significant digits, of every answer (any status); a
//! request that got no answer counts under `errors` only.
//!
//! **Seeding** goes through the store, where the API would take too long
//! (each registration and login is an Argon2 hash): customers and staff share
//! one password hash and one PIN hash, made once at production cost; tills'
//! and senders' sessions are random `qps_` tokens stored as their SHA-256, as
//! `access.rs` does at login; devices get random secrets the generator keeps,
//! as an app does after enrolment; merchants are written with their fee set
//! (150 bps), as an operator would set it. Money comes through the real
//! ledger writer: issuance into an agent's float, then a cash-in from that
//! float to every wallet. Every measured request is then a real HTTP request
//! that the server authenticates and serves through its production path.
//!
//! **Settings: production defaults, with no deviation.** The server is the
//! `quipu serve` binary started with only `--data-dir` (SQLite) or the
//! database URL (PostgreSQL, through `QUIPU_DATABASE_URL` so the password
//! stays out of the process list) and `--listen`, and no `QUIPU_*` variable
//! of the bench's environment, so it runs on `quipu serve`'s defaults:
//! `Settings::new` with USD, which seeding uses too. None has to be relaxed: charges and transfers are 1.00 to 4.99,
//! below the 20.00 PIN-approval threshold and the basic tier's 500.00 per
//! payment; every wallet holds 1 000.00, under the basic tier's 2 000.00
//! balance limit (so P2P credits fit), and a run spends a small part of it
//! (each device pays at most ten times per 60-second step it is used in), far
//! from the 1 000.00 daily limit; nobody logs in over HTTP, so the per-address
//! login limit never applies. Storage pools are `quipu serve`'s own (8 SQLite
//! readers, 16 PostgreSQL connections). The bench closes its own connections
//! before the server starts, so on SQLite the server's writer is the only one.
//!
//! **Memory**: `peak_rss_mib` and `start_rss_mib` are the server process's
//! alone, not the bench's: its high-water resident memory (`VmHWM`) read just
//! before it is stopped, and its resident memory (`VmRSS`) once it is ready.
//! Each run has a fresh process, so the peak is that run's; the load
//! generator and the earlier scenarios count in neither.
//!
//! **After each run** the server stops gracefully on SIGTERM (in-flight
//! requests finish, the ledger writer drains) and must exit cleanly; then the
//! bench reopens the database, checks every ledger invariant, and asks the
//! store what the run left: completed payments (count and gross), P2P
//! transfers (count and sum) or orders placed (count and money held), which
//! must equal the 201s the generator counted. Each run starts a fresh server
//! on the backend's database; runs of one backend share it, and payment codes
//! are never handed out twice.
//! The server's output goes to a log file in the scratch directory, removed
//! when the run ends well and kept (and quoted in the error) when it does not.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use quipu_codes::numeric;
use quipu_core::kernel::secrets::SecretHasher;
use quipu_core::{Clock, LedgerWriter, OsRandom, Settings, SystemClock, WriterLimits};

use crate::new_account;
use quipu_domain::Timestamp;
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::ledger::{AccountId, AccountKind, TransferCode, TransferCommand, TransferId, TransferOp};
use quipu_domain::money::{Amount, Currency, CurrencyCode, CurrencySet};
use quipu_domain::payment::DeviceStatus;
use quipu_store::payments::DeviceRecord;
use quipu_store::{AccountOwner, Enrollment, HistoryQuery, MerchantRecord, Store, UserRecord};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Serialize;
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;
use uuid::Uuid;

use quipu_server::Fallible;

use crate::{BenchDatabase, BenchOptions, Percentiles, Pools, process_status_mib};

mod checkout;
mod positions;

/// Most requests one run offers, whatever rate × seconds says.
pub const MAX_REQUESTS_PER_RUN: usize = 1_000_000;
const MAX_RATE: f64 = 100_000.0;
const MAX_SECONDS: f64 = 600.0;
const MAX_OUTSTANDING: usize = 16_384;
/// Past the server's 30 s request timeout, so a slow request ends in the server's 408, not the client's.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(40);
/// The bench's own pools, for seeding and the checks after each run; the server has its own.
const BENCH_POOLS: Pools = Pools { sqlite_readers: 8, postgres_connections: 16 };
/// How long a fresh `quipu serve` may take to answer `/readyz` (it runs migrations first).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a server may take to stop on SIGTERM: past the 30 s request timeout, so in-flight requests can end.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);
/// Lines of the server's log quoted in an error.
const LOG_TAIL_LINES: usize = 30;
/// What every wallet starts with (1 000.00): half the basic tier's balance limit.
const FUNDING: Amount = Amount::from_minor(100_000);
/// The bench's one currency. A wrong code would fail the build, not a run: this is evaluated at compile time.
#[allow(clippy::unreachable, reason = "evaluated at compile time: a bad code fails the build")]
const USD: Currency = Currency {
    code: match CurrencyCode::parse_const(*b"USD") {
        Some(code) => code,
        None => unreachable!(),
    },
    numeric: 840,
    exponent: 2,
};
/// Amounts are 1.00 to 4.99: below the PIN-approval threshold (20.00) and every tier limit.
const MIN_AMOUNT: i64 = 100;
const AMOUNT_STEPS: usize = 400;
const FEE_BPS: u32 = 150;
const PASSWORD: &str = "bench-password";
const PIN: &str = "1234";
/// Codes a device shows per 60-second step: slots 0 to 9.
const SLOTS: usize = numeric::MAX_SLOT as usize + 1;
/// Store writes in flight at once while seeding.
const SEED_CONCURRENCY: usize = 32;
/// Customers per enrolment transaction while seeding.
const ENROLL_CHUNK: usize = 1_000;
/// Position runs per backend: each puts every bench courier on one more job, and a courier holds
/// at most three at once.
const MAX_POSITION_RUNS: usize = 3;

/// The end-to-end scenario's shape.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Payment-code charges offered per second, one run each.
    pub charge_rates: Vec<f64>,
    /// P2P transfers offered per second, one run each.
    pub p2p_rates: Vec<f64>,
    /// Market checkouts (a cart line, then checkout with the PIN) offered per second, one run each;
    /// none skips the scenario.
    pub checkout_rates: Vec<f64>,
    /// Couriers' position batches offered per second beside a charge load, one run each (at most
    /// three: each puts every bench courier on one more job); none skips the scenario.
    pub position_rates: Vec<f64>,
    /// The charges per second offered beside the positions (compare with a charge run alone).
    pub position_charge_rate: f64,
    /// How long each run offers requests.
    pub seconds: f64,
    /// Most requests in flight; one due beyond it is dropped and counted.
    pub max_outstanding: usize,
    /// The `quipu` binary to run as the server; `None` is this process's own executable, which is
    /// `quipu` under `quipu bench` (a test names `CARGO_BIN_EXE_quipu`, its own executable being the test's).
    pub server_binary: Option<PathBuf>,
}

impl HttpOptions {
    /// Small enough for CI (a couple of seconds per backend), and still every kind of request.
    pub fn smoke() -> Self {
        Self {
            charge_rates: vec![200.0],
            p2p_rates: vec![4.0],
            checkout_rates: vec![4.0],
            position_rates: vec![20.0],
            position_charge_rate: 200.0,
            seconds: 1.5,
            max_outstanding: 1_024,
            server_binary: None,
        }
    }

    /// Refuses shapes that are unbounded or meaningless.
    pub fn validate(&self) -> Fallible<()> {
        let rates = self.charge_rates.iter().chain(&self.p2p_rates).chain(&self.checkout_rates);
        let rates = rates.chain(&self.position_rates).chain(std::iter::once(&self.position_charge_rate));
        if let Some(rate) = rates.into_iter().find(|rate| !(rate.is_finite() && **rate > 0.0 && **rate <= MAX_RATE)) {
            return Err(format!("HTTP rate {rate}: use a rate above 0 and at most {MAX_RATE} per second").into());
        }
        if !(self.seconds.is_finite() && self.seconds > 0.0 && self.seconds <= MAX_SECONDS) {
            return Err(format!("--http-seconds {}: use more than 0 and at most {MAX_SECONDS}", self.seconds).into());
        }
        if self.position_rates.len() > MAX_POSITION_RUNS {
            return Err(format!("--http-position-rates: at most {MAX_POSITION_RUNS} rates").into());
        }
        if !(1..=MAX_OUTSTANDING).contains(&self.max_outstanding) {
            return Err(format!("--http-max-outstanding: use 1 to {MAX_OUTSTANDING}").into());
        }
        Ok(())
    }

    /// Requests one run at `rate` offers.
    #[allow(clippy::cast_possible_truncation, reason = "a request count, clamped; float casts saturate")]
    fn count(&self, rate: f64) -> usize {
        ((rate * self.seconds).round() as usize).clamp(1, MAX_REQUESTS_PER_RUN)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HttpKind {
    Charge,
    P2p,
    Checkout,
    /// Charges offered while couriers' positions arrive beside them.
    ChargeBesidePositions,
    /// Couriers' position batches (one fix each), beside a charge load.
    Positions,
}

/// One run: a backend, a kind of request, an offered rate.
#[derive(Debug, Clone, Serialize)]
pub struct HttpScenarioResult {
    pub backend: &'static str,
    pub kind: HttpKind,
    pub offered_per_second: f64,
    /// Requests the schedule held: rate × seconds, capped.
    pub scheduled: u64,
    /// Requests sent: the scheduled ones less the dropped and those that could not be made.
    pub sent: u64,
    /// Answered 201 Created.
    pub succeeded: u64,
    /// From the first request's due time to the last answer, and at least the offered window (`scheduled / rate`).
    pub seconds: f64,
    /// Successful answers per second of `seconds`.
    pub achieved_per_second: f64,
    /// Of every answer, from its request's due time, so queueing counts.
    pub latency: Percentiles,
    /// Answers other than 201 by status, and failures without one ("timeout", "connect", "transport", "no_code").
    pub errors: BTreeMap<String, u64>,
    /// Due while `max_outstanding` requests were in flight, so never sent.
    pub dropped: u64,
    /// The server process's peak resident memory (`VmHWM`) over the run, read just before it is stopped, in MiB.
    pub peak_rss_mib: Option<f64>,
    /// The server process's resident memory (`VmRSS`) once it was ready, before any load, in MiB.
    pub start_rss_mib: Option<f64>,
    /// Every ledger invariant held after the run.
    pub ledger_clean: bool,
    /// Minor units the 201s moved, as the generator counted them.
    pub succeeded_minor_units: i64,
    /// Completed payments (charge) or P2P transfers (p2p) the store holds for the run, and their minor units.
    pub stored: u64,
    pub stored_minor_units: i64,
    /// `stored` equals `succeeded`, in count and in money.
    pub counts_match: bool,
    pub note: Option<&'static str>,
    /// For the kinds that check a PIN: one Argon2id verification with the server's parameters,
    /// in milliseconds, measured alone in the bench's process (the median of a few).
    pub pin_verify_ms: Option<f64>,
}

/// Runs every rate of every kind on each backend (SQLite; PostgreSQL with a URL), each backend on a fresh database.
pub async fn run(http: &HttpOptions, options: &BenchOptions, scratch: &Path) -> Fallible<Vec<HttpScenarioResult>> {
    http.validate()?;
    let binary = match &http.server_binary {
        Some(binary) => binary.clone(),
        None => std::env::current_exe().map_err(|e| format!("cannot find the quipu binary to serve: {e}"))?,
    };
    let mut backends = vec!["sqlite"];
    if options.postgres_url.is_some() {
        backends.push("postgres");
    }
    let mut results = Vec::new();
    for backend in backends {
        let mut database =
            BenchDatabase::create_with(backend, options.postgres_url.as_deref(), scratch, &BENCH_POOLS).await?;
        let serve = Serve { binary: &binary, scratch };
        let runs = backend_runs(&mut database, &serve, http, options, &mut results).await;
        database.dispose().await;
        runs?;
    }
    Ok(results)
}

/// Seeds the backend's database once, then runs every rate on it.
async fn backend_runs(
    database: &mut BenchDatabase,
    serve: &Serve<'_>,
    http: &HttpOptions,
    options: &BenchOptions,
    results: &mut Vec<HttpScenarioResult>,
) -> Fallible<()> {
    let settings = Settings::new(CurrencySet::from_codes(&["USD"]).map_err(|e| format!("currencies: {e}"))?);
    let shape = Shape::of(http, options);
    let started = std::time::Instant::now();
    let network = seed(&database.store, &settings, &shape).await?;
    eprintln!(
        "http {}: seeded {} customers, {} devices, {} tills (sellers of {} products), {} sessions in {:.1} s",
        database.backend,
        shape.customers,
        shape.devices,
        shape.merchants,
        network.shelves.len(),
        shape.senders,
        started.elapsed().as_secs_f64()
    );
    let runs = http.charge_rates.iter().map(|rate| (HttpKind::Charge, *rate));
    let runs = runs.chain(http.p2p_rates.iter().map(|rate| (HttpKind::P2p, *rate)));
    for (kind, rate) in runs.chain(http.checkout_rates.iter().map(|rate| (HttpKind::Checkout, *rate))) {
        let result = run_once(database, serve, &network, kind, rate, http).await?;
        eprintln!("{}", row(&result));
        results.push(result);
    }
    for rate in &http.position_rates {
        for result in run_beside_positions(database, serve, &network, *rate, http).await? {
            eprintln!("{}", row(&result));
            results.push(result);
        }
    }
    Ok(())
}

/// How many of everything a backend's runs need.
struct Shape {
    customers: usize,
    merchants: usize,
    /// One per customer, from the first: enough that no run ever runs out of codes.
    devices: usize,
    /// Customers with a session, from the first: one per P2P request or checkout of the largest run.
    senders: usize,
    /// Couriers for the positions runs (none without them).
    couriers: usize,
}

impl Shape {
    fn of(http: &HttpOptions, options: &BenchOptions) -> Self {
        // Codes are never handed out twice, even across runs within one step, so
        // the devices cover every charge of every run: ten codes each per step.
        let beside = http.position_rates.len() * http.count(http.position_charge_rate);
        let charges: usize = http.charge_rates.iter().map(|rate| http.count(*rate)).sum::<usize>() + beside;
        let devices = charges.div_ceil(SLOTS) + 1;
        let rates = http.p2p_rates.iter().chain(&http.checkout_rates);
        let transfers = rates.map(|rate| http.count(*rate)).max().unwrap_or(0);
        // Each bench courier's job is a shopper's delivery order.
        let couriers = if http.position_rates.is_empty() { 0 } else { positions::COURIERS };
        let transfers = transfers.max(couriers);
        // A sender is never a recipient's twin: there is always one more customer than senders.
        let customers = options.customers.max(devices).max(transfers + 1).max(2);
        Self { customers, merchants: options.merchants.max(1), devices, senders: transfers, couriers }
    }
}

/// What was seeded, and the credentials the generator holds.
struct Network {
    customers: Vec<Customer>,
    devices: Arc<[DeviceKey]>,
    tills: Vec<Till>,
    /// Sessions of the first customers, who send the P2P transfers and check out.
    senders: Vec<HeaderValue>,
    codes: Arc<CodeAllocator>,
    /// What checkouts buy.
    shelves: Vec<checkout::Shelf>,
    /// One PIN verification alone, in milliseconds.
    pin_verify_ms: f64,
    /// The couriers of the positions runs, and the area they work.
    fleet: Option<positions::Fleet>,
}

struct Customer {
    id: UserId,
    phone: String,
    wallet: AccountId,
}

struct Till {
    merchant: MerchantId,
    auth: HeaderValue,
}

/// What a customer's app keeps after enrolling a device.
struct DeviceKey {
    secret: [u8; numeric::SECRET_BYTES],
    device_ref: u32,
}

async fn seed(store: &Arc<dyn Store>, settings: &Settings, shape: &Shape) -> Fallible<Network> {
    let now = SystemClock.now();
    let hasher = SecretHasher::new(settings.hash_cost, Arc::new(OsRandom))?;
    let hashes = Hashes { password: hasher.hash(PASSWORD).await?, pin: hasher.hash(PIN).await? };
    let customers = enroll_customers(store, shape.customers, &hashes, now).await?;
    let tills = open_tills(store, settings, shape.merchants, &hashes, now).await?;
    fund(store, &customers, &hashes, now).await?;
    let devices = enroll_devices(store, settings, customers.iter().take(shape.devices), now).await?;
    let senders = bounded(customers.iter().take(shape.senders).map(|c| c.id), {
        let (store, ttl) = (store.clone(), settings.session_ttl_seconds);
        move |user| open_session(store.clone(), user, ttl, now)
    })
    .await?;
    let codes = Arc::new(CodeAllocator::new(devices.len()));
    let shelves = checkout::stock_shelves(store, &tills, now).await?;
    let pin_verify_ms = checkout::pin_verify_ms(settings, &hashes.pin).await?;
    let fleet = if shape.couriers > 0 {
        let sellers: Vec<MerchantId> = tills.iter().map(|till| till.merchant).collect();
        let ttl = settings.session_ttl_seconds;
        Some(positions::seed_fleet(store, &sellers, shape.couriers, &hashes, ttl, now).await?)
    } else {
        None
    };
    Ok(Network { customers, devices: devices.into(), tills, senders, codes, shelves, pin_verify_ms, fleet })
}

/// One password hash and one PIN hash, shared by everyone seeded.
struct Hashes {
    password: String,
    pin: String,
}

fn user(role: Role, phone: String, hashes: &Hashes, merchant: Option<MerchantId>, now: Timestamp) -> UserRecord {
    UserRecord {
        id: UserId(Uuid::now_v7()),
        role,
        phone,
        full_name: format!("Bench {}", role.as_str()),
        password_hash: hashes.password.clone(),
        pin_hash: matches!(role, Role::Customer | Role::Agent).then(|| hashes.pin.clone()),
        merchant_id: merchant,
        pin_failed_attempts: 0,
        pin_locked_until: None,
        login_failed_attempts: 0,
        login_locked_until: None,
        created_at: now,
        removed_at: None,
        may_refund: None,
    }
}

/// Customers and their wallets, a thousand per transaction.
async fn enroll_customers(
    store: &Arc<dyn Store>,
    count: usize,
    hashes: &Hashes,
    now: Timestamp,
) -> Fallible<Vec<Customer>> {
    let currency = USD.code;
    let mut customers = Vec::with_capacity(count);
    let mut enrollment = Enrollment::default();
    for index in 0..count {
        let record = user(Role::Customer, format!("+2557{index:08}"), hashes, None, now);
        let wallet = new_account(AccountOwner::User(record.id), AccountKind::CustomerWallet, currency, now);
        customers.push(Customer { id: record.id, phone: record.phone.clone(), wallet: wallet.account.id });
        enrollment.users.push(record);
        enrollment.accounts.push(wallet);
        if enrollment.users.len() == ENROLL_CHUNK {
            store.enroll(&std::mem::take(&mut enrollment)).await?;
        }
    }
    if !enrollment.users.is_empty() {
        store.enroll(&enrollment).await?;
    }
    Ok(customers)
}

/// Merchants, each with its owner, one cashier (the till) and its account, and the cashier's session.
async fn open_tills(
    store: &Arc<dyn Store>,
    settings: &Settings,
    count: usize,
    hashes: &Hashes,
    now: Timestamp,
) -> Fallible<Vec<Till>> {
    let currency = USD.code;
    let mut cashiers = Vec::with_capacity(count);
    for index in 0..count {
        let merchant = MerchantRecord {
            id: MerchantId(Uuid::now_v7()),
            name: format!("Bench Shop {index}"),
            created_at: now,
            fee_bps: FEE_BPS,
            cashiers_may_refund: false,
            city: String::new(),
            // Miscellaneous retail: the category a merchant gets by default.
            category_code: "5999".into(),
        };
        let owner = user(Role::MerchantOwner, format!("+2558{index:08}"), hashes, Some(merchant.id), now);
        let cashier = user(Role::Cashier, format!("+2559{index:08}"), hashes, Some(merchant.id), now);
        let account = new_account(AccountOwner::Merchant(merchant.id), AccountKind::Merchant, currency, now);
        cashiers.push((merchant.id, cashier.id));
        store
            .enroll(&Enrollment {
                merchant: Some(merchant),
                users: vec![owner, cashier],
                accounts: vec![account],
                ..Enrollment::default()
            })
            .await?;
    }
    let (store, ttl) = (store.clone(), settings.session_ttl_seconds);
    bounded(cashiers, move |(merchant, cashier)| {
        let session = open_session(store.clone(), cashier, ttl, now);
        async move { Ok(Till { merchant, auth: session.await? }) }
    })
    .await
}

/// A session as login makes one: a random token, stored as its SHA-256. Returns the Authorization header.
async fn open_session(store: Arc<dyn Store>, user: UserId, ttl_seconds: i64, now: Timestamp) -> Fallible<HeaderValue> {
    let (token, session) = quipu_core::kernel::access::new_session(&OsRandom, user, now, ttl_seconds);
    store.insert_session(&session).await?;
    Ok(HeaderValue::from_str(&format!("Bearer {token}"))?)
}

/// Issues e-money into an agent's float, then cashes in [`FUNDING`] to every wallet, through the ledger writer.
async fn fund(store: &Arc<dyn Store>, customers: &[Customer], hashes: &Hashes, now: Timestamp) -> Fallible<()> {
    let currency = USD.code;
    let agent = user(Role::Agent, "+25560000000".into(), hashes, None, now);
    let float = new_account(AccountOwner::User(agent.id), AccountKind::AgentFloat, currency, now);
    let agent_id = agent.id;
    let float_id = float.account.id;
    store.enroll(&Enrollment { users: vec![agent], accounts: vec![float], ..Enrollment::default() }).await?;
    let issuance =
        store.ensure_account(&new_account(AccountOwner::System, AccountKind::Issuance, currency, now)).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (stop, stop_signal) = watch::channel(false);
    let (writer, writer_task) = LedgerWriter::spawn(store.clone(), clock, WriterLimits::default(), stop_signal);
    let total =
        i64::try_from(customers.len()).ok().and_then(|n| FUNDING.minor().checked_mul(n)).ok_or("funding overflows")?;
    let issue =
        posted(issuance.id, float_id, Amount::from_minor(total), TransferCode::Issuance, String::new(), currency);
    let mut funded = submit(writer.clone(), issue).await;
    if funded.is_ok() {
        let reference = format!("agent:{agent_id}");
        let cash_ins = customers
            .iter()
            .map(|c| posted(float_id, c.wallet, FUNDING, TransferCode::CashIn, reference.clone(), currency))
            .collect::<Vec<_>>();
        let writer = writer.clone();
        funded = bounded(cash_ins, move |command| submit(writer.clone(), command)).await.map(|_| ());
    }
    let _ = stop.send(true);
    drop(writer);
    writer_task.await?;
    funded
}

fn posted(
    debit: AccountId,
    credit: AccountId,
    amount: Amount,
    code: TransferCode,
    reference: String,
    currency: CurrencyCode,
) -> TransferCommand {
    TransferCommand {
        id: TransferId(Uuid::now_v7()),
        op: TransferOp::Posted { debit, credit, amount, currency },
        code,
        reference,
        credit_cap: None,
    }
}

/// Commits one transfer through the writer; a refusal is an error.
async fn submit(writer: LedgerWriter, command: TransferCommand) -> Fallible<()> {
    match writer.submit(vec![command]).await? {
        Ok(_) => Ok(()),
        Err(rejection) => Err(format!("seeding transfer refused: {:?}", rejection.error).into()),
    }
}

/// One active device per customer, with a random secret (what enrolment would make and show once).
async fn enroll_devices<'a>(
    store: &Arc<dyn Store>,
    settings: &Settings,
    owners: impl Iterator<Item = &'a Customer>,
    now: Timestamp,
) -> Fallible<Vec<DeviceKey>> {
    let max_devices = settings.payments.max_devices;
    // References are assigned in order rather than drawn at random: unique by construction.
    let devices = owners
        .zip(1..=numeric::MAX_DEVICE_REF)
        .map(|(owner, device_ref)| DeviceRecord {
            id: quipu_domain::payment::DeviceId(Uuid::now_v7()),
            user_id: owner.id,
            device_ref,
            label: "bench phone".into(),
            secret: rand::random::<[u8; numeric::SECRET_BYTES]>().to_vec(),
            status: DeviceStatus::Active,
            created_at: now,
            updated_at: now,
        })
        .collect::<Vec<_>>();
    let store = store.clone();
    bounded(devices, move |device| {
        let store = store.clone();
        async move {
            if !store.insert_device(&device, max_devices).await? {
                return Err("a bench customer already has too many devices".into());
            }
            let secret = <[u8; numeric::SECRET_BYTES]>::try_from(device.secret.as_slice())?;
            Ok(DeviceKey { secret, device_ref: device.device_ref })
        }
    })
    .await
}

/// Runs `task` on every item, [`SEED_CONCURRENCY`] at a time; answers in completion order, or the first error.
async fn bounded<T, R, F, Fut>(items: impl IntoIterator<Item = T>, task: F) -> Fallible<Vec<R>>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Fallible<R>> + Send + 'static,
    R: Send + 'static,
{
    let mut running = JoinSet::new();
    let mut done = Vec::new();
    for item in items {
        if running.len() >= SEED_CONCURRENCY
            && let Some(finished) = running.join_next().await
        {
            done.push(finished??);
        }
        running.spawn(task(item));
    }
    while let Some(finished) = running.join_next().await {
        done.push(finished??);
    }
    Ok(done)
}

/// Hands out payment codes as customers' apps do: each (device, step, slot) once.
///
/// Within a step, code `k` is device `k mod devices` in slot `k div devices`, so
/// every device shows slot 0 before any shows slot 1. A new step starts over.
struct CodeAllocator {
    devices: usize,
    /// The step being handed out, and how many of its codes are gone.
    state: Mutex<(u64, usize)>,
}

impl CodeAllocator {
    fn new(devices: usize) -> Self {
        Self { devices, state: Mutex::new((0, 0)) }
    }

    /// The (device index, slot) of a fresh code in `step`; `None` when the step's
    /// codes are all used, or for a step older than one already handed out
    /// (the clock stepped back), whose codes may have been used.
    fn next(&self, step: u64) -> Option<(usize, u8)> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if step > state.0 {
            *state = (step, 0);
        }
        if step < state.0 || self.devices == 0 {
            return None;
        }
        let taken = state.1;
        let slot = u8::try_from(taken / self.devices).ok().filter(|slot| *slot <= numeric::MAX_SLOT)?;
        state.1 = taken + 1;
        Some((taken % self.devices, slot))
    }
}

/// A request ready to send.
#[derive(Clone)]
struct Prepared {
    auth: HeaderValue,
    body: String,
    /// Minor units it moves if it succeeds.
    amount: i64,
    /// A cart line to add first (a checkout's): the request is sent only once the line is in.
    cart: Option<String>,
    /// Where it goes, when not the run's one URL (a courier's own job).
    url: Option<String>,
}

/// What the generator sends in one run.
enum Traffic {
    /// Codes depend on the moment, so each body is made when its request is due.
    Charges { tills: Vec<HeaderValue>, devices: Arc<[DeviceKey]>, codes: Arc<CodeAllocator> },
    /// Every body made before the run.
    Ready(Vec<Prepared>),
    /// A fix is stamped when its batch is due.
    Positions(Vec<positions::OnJob>),
}

impl Traffic {
    /// Request `index`, or the reason it cannot be made.
    fn prepare(&self, index: usize) -> Result<Prepared, &'static str> {
        match self {
            Traffic::Charges { tills, devices, codes } => {
                let auth = tills.get(index % tills.len().max(1)).ok_or("no_till")?.clone();
                let seconds = SystemClock.now().0 / Timestamp::MICROS_PER_SECOND;
                let step = numeric::step_at(seconds).ok_or("no_code")?;
                let (device, slot) = codes.next(step).ok_or("no_code")?;
                let key = devices.get(device).ok_or("no_code")?;
                let code = numeric::generate(&key.secret, key.device_ref, seconds, slot)
                    .and_then(|code| code.to_digits())
                    .map_err(|_| "no_code")?;
                let amount = amount_for(index);
                let body = format!(r#"{{"code":"{code}","amount":"{}"}}"#, decimal(amount));
                Ok(Prepared { auth, body, amount, cart: None, url: None })
            }
            Traffic::Ready(prepared) => prepared.get(index).cloned().ok_or("no_request"),
            Traffic::Positions(couriers) => positions::position(couriers, index).ok_or("no_courier"),
        }
    }
}

impl Network {
    fn traffic(&self, kind: HttpKind, count: usize) -> Traffic {
        match kind {
            HttpKind::Charge => Traffic::Charges {
                tills: self.tills.iter().map(|till| till.auth.clone()).collect(),
                devices: self.devices.clone(),
                codes: self.codes.clone(),
            },
            HttpKind::P2p => Traffic::Ready((0..count).filter_map(|index| self.transfer(index)).collect()),
            HttpKind::Checkout => Traffic::Ready((0..count).filter_map(|index| self.checkout(index)).collect()),
            // Made by `run_beside_positions` once the couriers are on their jobs.
            HttpKind::ChargeBesidePositions | HttpKind::Positions => Traffic::Ready(Vec::new()),
        }
    }

    /// P2P request `index`: sender `index` (each once, so no two checks of one PIN ever race) pays
    /// the customer as many places on as there are senders, who is never the sender.
    fn transfer(&self, index: usize) -> Option<Prepared> {
        let sender = index % self.senders.len().max(1);
        let auth = self.senders.get(sender)?.clone();
        let recipient = self.customers.get((sender + self.senders.len()) % self.customers.len().max(1))?;
        let amount = amount_for(index);
        let body = format!(r#"{{"to_phone":"{}","amount":"{}","pin":"{PIN}"}}"#, recipient.phone, decimal(amount));
        Some(Prepared { auth, body, amount, cart: None, url: None })
    }

    /// Completed payments created in [from, to) at every till's merchant: (count, gross).
    async fn completed_payments(&self, store: &Arc<dyn Store>, from: Timestamp, to: Timestamp) -> Fallible<(u64, i64)> {
        let (mut count, mut gross) = (0u64, 0i64);
        for till in &self.tills {
            for totals in store.merchant_payment_totals(till.merchant, from, to).await? {
                count += totals.count;
                gross += totals.gross.minor();
            }
        }
        Ok((count, gross))
    }

    /// P2P transfers the senders made in [from, to): (count, sum).
    async fn p2p_sent(&self, store: &Arc<dyn Store>, from: Timestamp, to: Timestamp) -> Fallible<(u64, i64)> {
        let (mut count, mut sum) = (0u64, 0i64);
        for sender in self.customers.iter().take(self.senders.len()) {
            let query = HistoryQuery {
                account: sender.wallet,
                before: None,
                from: Some(from),
                to: Some(to),
                codes: vec![TransferCode::P2p],
                limit: quipu_store::MAX_PAGE,
            };
            for transfer in store.history(&query).await?.iter().filter(|t| t.debit_account_id == sender.wallet) {
                count += 1;
                sum += transfer.amount.minor();
            }
        }
        Ok((count, sum))
    }
}

/// 1.00 to 4.99, spread over the run.
fn amount_for(index: usize) -> i64 {
    MIN_AMOUNT + i64::try_from(index % AMOUNT_STEPS).unwrap_or(0)
}

/// `amount` minor units of USD as the API takes them: `1.05`.
fn decimal(minor: i64) -> String {
    USD.format_amount(Amount::from_minor(minor))
}

/// One run on a fresh `quipu serve` process over the backend's database; the server is stopped before the checks.
async fn run_once(
    database: &mut BenchDatabase,
    serve: &Serve<'_>,
    network: &Network,
    kind: HttpKind,
    rate: f64,
    http: &HttpOptions,
) -> Fallible<HttpScenarioResult> {
    // The server's writer must be the database's only writer (SQLite), and its pool gets every connection it asks for.
    database.close().await;
    let from = SystemClock.now();
    let log = serve.scratch.join(format!("quipu-bench-serve-{}-{kind:?}-{rate}.log", database.backend));
    let server = ServeProcess::start(serve.binary, database, log).await?;
    let start_rss = server.status_mib("VmRSS:");
    let path = match kind {
        HttpKind::Charge => "/merchant/charges",
        HttpKind::P2p => "/transfers/p2p",
        HttpKind::Checkout => "/me/checkout",
        HttpKind::ChargeBesidePositions | HttpKind::Positions => {
            return Err("a positions run is `run_beside_positions`'s".into());
        }
    };
    let count = http.count(rate);
    let urls = loopback_url(server.addr, path).and_then(|url| Ok((url, loopback_url(server.addr, "/me/cart/lines")?)));
    let measured = match urls {
        Ok((url, cart_url)) => {
            let plan = Plan { url, cart_url, rate, count, max_outstanding: http.max_outstanding, ok: 201 };
            generate(network.traffic(kind, count), plan).await
        }
        Err(error) => Err(error),
    };
    // Read before SIGTERM: once the process is gone, so is its /proc entry.
    let peak_rss = server.status_mib("VmHWM:");
    // Stopped however the load went: in-flight requests finish and the ledger writer drains.
    let stopped = server.stop().await;
    let (measured, ()) = (measured?, stopped?);
    database.reopen(&BENCH_POOLS).await?;
    let store = database.store.clone();
    let to = SystemClock.now().next();
    let ledger_clean = quipu_domain::verify::verify(&store.ledger_facts().await?).is_clean();
    let (stored, stored_minor_units) = match kind {
        HttpKind::Charge => network.completed_payments(&store, from, to).await?,
        HttpKind::P2p => network.p2p_sent(&store, from, to).await?,
        HttpKind::Checkout => network.orders_placed(&store, from, to).await?,
        HttpKind::ChargeBesidePositions | HttpKind::Positions => (0, 0),
    };
    let pin_bound = matches!(kind, HttpKind::P2p | HttpKind::Checkout);
    let run = Ran { backend: database.backend, kind, rate, scheduled: count, peak_rss, start_rss, ledger_clean };
    let mut result = run.result(measured, (stored, stored_minor_units));
    result.note = pin_bound.then_some("bound by the Argon2id PIN check, by design");
    result.pin_verify_ms = pin_bound.then_some(network.pin_verify_ms);
    Ok(result)
}

/// What a run was, beside what its generator measured.
struct Ran {
    backend: &'static str,
    kind: HttpKind,
    rate: f64,
    scheduled: usize,
    peak_rss: Option<f64>,
    start_rss: Option<f64>,
    ledger_clean: bool,
}

impl Ran {
    /// The run's row, given what the store holds of it: (count, minor units).
    fn result(self, measured: Measured, (stored, stored_minor_units): (u64, i64)) -> HttpScenarioResult {
        let tally = measured.tally;
        HttpScenarioResult {
            backend: self.backend,
            kind: self.kind,
            offered_per_second: self.rate,
            scheduled: self.scheduled as u64,
            sent: tally.sent,
            succeeded: tally.succeeded,
            seconds: measured.seconds,
            achieved_per_second: tally.succeeded as f64 / measured.seconds.max(f64::EPSILON),
            latency: percentiles(&tally.histogram),
            errors: tally.errors,
            dropped: tally.dropped,
            peak_rss_mib: self.peak_rss,
            start_rss_mib: self.start_rss,
            ledger_clean: self.ledger_clean,
            succeeded_minor_units: tally.succeeded_amount,
            stored,
            stored_minor_units,
            counts_match: stored == tally.succeeded && stored_minor_units == tally.succeeded_amount,
            note: None,
            pin_verify_ms: None,
        }
    }
}

/// Charges at `http.position_charge_rate` and couriers' position batches at `rate`, at once, on
/// a fresh `quipu serve` whose couriers were first put on jobs: a row for each, the charges' to
/// compare with a charge run alone.
async fn run_beside_positions(
    database: &mut BenchDatabase,
    serve: &Serve<'_>,
    network: &Network,
    rate: f64,
    http: &HttpOptions,
) -> Fallible<Vec<HttpScenarioResult>> {
    database.close().await;
    let from = SystemClock.now();
    let log = serve.scratch.join(format!("quipu-bench-serve-{}-positions-{rate}.log", database.backend));
    let server = ServeProcess::start(serve.binary, database, log).await?;
    let start_rss = server.status_mib("VmRSS:");
    let charge_rate = http.position_charge_rate;
    let (charge_count, fix_count) = (http.count(charge_rate), http.count(rate));
    let measured = async {
        let base = loopback_url(server.addr, "")?;
        let couriers = network.put_couriers_on_jobs(&base, &Uuid::now_v7().simple().to_string()).await?;
        let url = loopback_url(server.addr, "/merchant/charges")?;
        let max_outstanding = http.max_outstanding;
        let charges =
            Plan { url, cart_url: String::new(), rate: charge_rate, count: charge_count, max_outstanding, ok: 201 };
        // Each batch goes to its courier's job; a batch is answered 200.
        let fixes = Plan { url: base, cart_url: String::new(), rate, count: fix_count, max_outstanding, ok: 200 };
        let (charged, placed) = tokio::join!(
            generate(network.traffic(HttpKind::Charge, charge_count), charges),
            generate(Traffic::Positions(couriers), fixes)
        );
        Fallible::Ok((charged?, placed?))
    }
    .await;
    let peak_rss = server.status_mib("VmHWM:");
    let stopped = server.stop().await;
    let ((charged, placed), ()) = (measured?, stopped?);
    database.reopen(&BENCH_POOLS).await?;
    let store = database.store.clone();
    let to = SystemClock.now().next();
    let ledger_clean = quipu_domain::verify::verify(&store.ledger_facts().await?).is_clean();
    let payments = network.completed_payments(&store, from, to).await?;
    let backend = database.backend;
    let ran = |kind, rate, scheduled| Ran { backend, kind, rate, scheduled, peak_rss, start_rss, ledger_clean };
    let mut charges = ran(HttpKind::ChargeBesidePositions, charge_rate, charge_count).result(charged, payments);
    charges.note = Some("beside the positions row's load");
    // Positions are not money: what the store holds of them is what was answered.
    let answered = placed.tally.succeeded;
    let mut positions = ran(HttpKind::Positions, rate, fix_count).result(placed, (answered, 0));
    positions.note = Some("positions are not money: each 200 was written, or skipped as older");
    Ok(vec![charges, positions])
}

/// The API's URL for `path` on `addr`; anything but a loopback address is refused,
/// so this generator never sends load off the machine.
fn loopback_url(addr: SocketAddr, path: &str) -> Fallible<String> {
    if !addr.ip().is_loopback() {
        return Err(format!("refusing to send load to {addr}: the bench only targets loopback").into());
    }
    Ok(format!("http://{addr}/api/v1{path}"))
}

/// What every run's server is started from.
struct Serve<'a> {
    binary: &'a Path,
    /// Where the servers' logs go.
    scratch: &'a Path,
}

/// A running `quipu serve` process. Dropping it kills the process (SIGKILL), so no
/// error path leaves one behind; [`ServeProcess::stop`] is the graceful way.
struct ServeProcess {
    child: tokio::process::Child,
    pid: u32,
    addr: SocketAddr,
    log: PathBuf,
}

impl ServeProcess {
    /// Starts `binary serve` on the database and waits until it answers `/readyz`.
    async fn start(binary: &Path, database: &BenchDatabase, log: PathBuf) -> Fallible<Self> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()?));
        let output = std::fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let mut command = tokio::process::Command::new(binary);
        // Nothing in the bench's environment may change the server's settings from `quipu serve`'s defaults.
        for (key, _) in std::env::vars_os() {
            if key.as_encoded_bytes().starts_with(b"QUIPU_") {
                command.env_remove(key);
            }
        }
        if let Some(dir) = database.sqlite_dir() {
            command.arg("--data-dir").arg(dir);
        }
        if let Some(url) = database.postgres_url() {
            // The variable rather than `--database-url`: it keeps the password out of the process list.
            command.env("QUIPU_DATABASE_URL", url);
        }
        command
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::from(output.try_clone()?))
            .stderr(Stdio::from(output))
            .kill_on_drop(true);
        let child = command.spawn().map_err(|e| format!("cannot start {} serve: {e}", binary.display()))?;
        let pid = child.id().ok_or("quipu serve exited as it started")?;
        let mut server = Self { child, pid, addr, log };
        server.wait_ready().await?;
        Ok(server)
    }

    async fn wait_ready(&mut self) -> Fallible<()> {
        let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(2)).build()?;
        let url = format!("http://{}/readyz", self.addr);
        let deadline = Instant::now().checked_add(READY_TIMEOUT).ok_or("readiness deadline overflows")?;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Err(self.failure(&format!("exited before it was ready ({status})")));
            }
            if client.get(&url).send().await.is_ok_and(|response| response.status() == reqwest::StatusCode::OK) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.failure(&format!("was not ready within {} s", READY_TIMEOUT.as_secs())));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A memory figure of the server process, from its /proc status.
    fn status_mib(&self, field: &str) -> Option<f64> {
        process_status_mib(&self.pid.to_string(), field)
    }

    /// Graceful stop, as an operator's service manager does it: SIGTERM, then a clean exit.
    async fn stop(mut self) -> Fallible<()> {
        // The child is not reaped before the wait below, so its pid cannot have been reused.
        let signalled = tokio::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .await;
        if !signalled.as_ref().is_ok_and(|status| status.success()) {
            return Err(self.failure(&format!("could not be sent SIGTERM ({signalled:?})")));
        }
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) if status.success() => {
                let _ = std::fs::remove_file(&self.log);
                Ok(())
            }
            Ok(Ok(status)) => Err(self.failure(&format!("exited with {status} on SIGTERM"))),
            Ok(Err(error)) => Err(self.failure(&format!("could not be waited for: {error}"))),
            Err(_) => Err(self.failure(&format!("did not stop within {} s of SIGTERM", STOP_TIMEOUT.as_secs()))),
        }
    }

    /// An error naming what went wrong, with the end of the server's log (kept on disk).
    fn failure(&self, what: &str) -> Box<dyn std::error::Error + Send + Sync> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines.get(lines.len().saturating_sub(LOG_TAIL_LINES)..).unwrap_or_default().join("\n");
        format!("quipu serve on {} {what}; its log ({}) ends:\n{tail}", self.addr, self.log.display()).into()
    }
}

/// A port on 127.0.0.1 free just now; the server binds it a moment later (and says so if it was taken).
fn free_port() -> Fallible<u16> {
    Ok(std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

struct Plan {
    url: String,
    /// The status a request succeeds with.
    ok: u16,
    /// Where a request's cart line goes first.
    cart_url: String,
    rate: f64,
    count: usize,
    max_outstanding: usize,
}

/// What a run measured.
struct Measured {
    tally: Tally,
    seconds: f64,
}

/// Counts as answers arrive.
struct Tally {
    /// The status a request succeeds with.
    ok: u16,
    /// Microseconds from due time to answer.
    histogram: Histogram<u64>,
    sent: u64,
    succeeded: u64,
    succeeded_amount: i64,
    errors: BTreeMap<String, u64>,
    dropped: u64,
    last_answer: Option<Instant>,
}

/// How a request ended.
enum Answer {
    Status(u16),
    /// Its cart line was refused with this status, so it was not sent.
    Cart(u16),
    Failed(&'static str),
}

impl Tally {
    fn new(ok: u16) -> Result<Self, String> {
        // Up to an hour, 3 significant digits: far past any answer a bounded run can get.
        let histogram = Histogram::new_with_bounds(1, 3_600_000_000, 3).map_err(|e| format!("histogram: {e}"))?;
        Ok(Self {
            ok,
            histogram,
            sent: 0,
            succeeded: 0,
            succeeded_amount: 0,
            errors: BTreeMap::new(),
            dropped: 0,
            last_answer: None,
        })
    }

    fn error(&mut self, label: String) {
        *self.errors.entry(label).or_default() += 1;
    }

    fn record(&mut self, answer: Answer, amount: i64, latency: Duration, at: Instant) {
        self.last_answer = Some(self.last_answer.map_or(at, |last| last.max(at)));
        match answer {
            Answer::Status(status) => {
                self.histogram.saturating_record(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1));
                if status == self.ok {
                    self.succeeded += 1;
                    self.succeeded_amount += amount;
                } else {
                    self.error(status.to_string());
                }
            }
            Answer::Cart(status) => self.error(format!("cart {status}")),
            Answer::Failed(reason) => self.error(reason.to_owned()),
        }
    }
}

fn lock(tally: &Mutex<Tally>) -> MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(PoisonError::into_inner)
}

fn percentiles(histogram: &Histogram<u64>) -> Percentiles {
    let ms = |micros: u64| micros as f64 / 1000.0;
    Percentiles {
        p50_ms: ms(histogram.value_at_quantile(0.5)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        p999_ms: ms(histogram.value_at_quantile(0.999)),
        max_ms: ms(histogram.max()),
    }
}

/// Runs the open loop on a runtime and OS thread of its own, as a separate client process would.
async fn generate(traffic: Traffic, plan: Plan) -> Fallible<Measured> {
    let (done, measured) = oneshot::channel();
    std::thread::Builder::new().name("quipu-bench-load".into()).spawn(move || {
        let outcome = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("load generator runtime: {e}"))
            .and_then(|runtime| runtime.block_on(open_loop(traffic, plan)));
        let _ = done.send(outcome);
    })?;
    Ok(measured.await.map_err(|_| "the load generator stopped without a result")??)
}

/// Sends request `i` at `start + i / rate`, whatever came back so far, and waits for every answer.
async fn open_loop(traffic: Traffic, plan: Plan) -> Result<Measured, String> {
    let client = client(plan.max_outstanding).map_err(|e| format!("HTTP client: {e}"))?;
    let tally = Arc::new(Mutex::new(Tally::new(plan.ok)?));
    let slots = Arc::new(Semaphore::new(plan.max_outstanding));
    let json = HeaderValue::from_static("application/json");
    let run = Uuid::now_v7().simple().to_string();
    let start = Instant::now();
    for index in 0..plan.count {
        let offset = Duration::try_from_secs_f64(index as f64 / plan.rate).unwrap_or_default();
        let due = start.checked_add(offset).unwrap_or(start);
        tokio::time::sleep_until(due).await;
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            lock(&tally).dropped += 1;
            continue;
        };
        let prepared = match traffic.prepare(index) {
            Ok(prepared) => prepared,
            Err(reason) => {
                lock(&tally).error(reason.to_owned());
                continue;
            }
        };
        let cart = prepared.cart.map(|line| {
            client
                .post(&plan.cart_url)
                .header(AUTHORIZATION, prepared.auth.clone())
                .header(CONTENT_TYPE, json.clone())
                .body(line)
        });
        let request = client
            .post(prepared.url.as_deref().unwrap_or(&plan.url))
            .header(AUTHORIZATION, prepared.auth)
            .header("idempotency-key", format!("{run}-{index}"))
            .header(CONTENT_TYPE, json.clone())
            .body(prepared.body);
        lock(&tally).sent += 1;
        let tally = tally.clone();
        tokio::spawn(async move {
            let answer = match cart {
                Some(cart) => match send(cart).await {
                    Answer::Status(200) => send(request).await,
                    Answer::Status(status) => Answer::Cart(status),
                    failed => failed,
                },
                None => send(request).await,
            };
            let at = Instant::now();
            lock(&tally).record(answer, prepared.amount, at.saturating_duration_since(due), at);
            drop(slot);
        });
    }
    let everything = u32::try_from(plan.max_outstanding).map_err(|_| "too many outstanding requests")?;
    let _answered = slots.acquire_many(everything).await.map_err(|_| "the request slots closed")?;
    let mut tally = lock(&tally);
    let answered = tally.last_answer.unwrap_or_else(Instant::now).saturating_duration_since(start).as_secs_f64();
    // The last request is due just before the window ends: a run answered in time took the whole window.
    let seconds = answered.max(plan.count as f64 / plan.rate);
    let taken = std::mem::replace(&mut *tally, Tally::new(plan.ok)?);
    Ok(Measured { tally: taken, seconds })
}

/// A pooled HTTP/1.1 client for loopback: as many idle connections as requests may be in flight.
fn client(max_outstanding: usize) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        // Never through a proxy the environment names: the load stays on loopback.
        .no_proxy()
        .http1_only()
        .pool_max_idle_per_host(max_outstanding)
        .tcp_nodelay(true)
        .connect_timeout(Duration::from_secs(5))
        .timeout(CLIENT_TIMEOUT)
        .build()
}

/// Sends a request and reads its whole answer.
async fn send(request: reqwest::RequestBuilder) -> Answer {
    let failure = |error: reqwest::Error| {
        Answer::Failed(if error.is_timeout() {
            "timeout"
        } else if error.is_connect() {
            "connect"
        } else {
            "transport"
        })
    };
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            match response.bytes().await {
                Ok(_) => Answer::Status(status),
                Err(error) => failure(error),
            }
        }
        Err(error) => failure(error),
    }
}

/// The HTTP results as a markdown table.
pub fn table(results: &[HttpScenarioResult]) -> String {
    let mut out = String::from(
        "| backend | kind | offered/s | achieved/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | dropped | peak (start) RSS MiB | ledger |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for result in results {
        out.push_str(&row(result));
        out.push('\n');
    }
    if let Some(verify_ms) = results.iter().find_map(|r| r.pin_verify_ms) {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        out.push_str(&format!(
            "\nP2P and checkout are bound by the Argon2id PIN check (19 MiB, 2 passes, one hash per core at a time), \
             by design: one verification takes {verify_ms:.1} ms here, a ceiling of about {:.0} PIN checks/s on {cores} cores.\n",
            cores as f64 * 1000.0 / verify_ms.max(f64::EPSILON)
        ));
    }
    out
}

fn row(r: &HttpScenarioResult) -> String {
    let errors = if r.errors.is_empty() {
        "0".to_owned()
    } else {
        r.errors.iter().map(|(label, count)| format!("{label}×{count}")).collect::<Vec<_>>().join(" ")
    };
    let ledger = match (r.ledger_clean, r.counts_match) {
        (true, true) => "clean".to_owned(),
        (clean, _) => {
            format!("{}, {} answered 201, {} stored", if clean { "clean" } else { "VIOLATED" }, r.succeeded, r.stored)
        }
    };
    let mib = |value: Option<f64>| value.map_or_else(|| "–".to_owned(), |v| format!("{v:.0}"));
    let rss = format!("{} ({})", mib(r.peak_rss_mib), mib(r.start_rss_mib));
    format!(
        "| {} | {:?} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} |",
        r.backend,
        r.kind,
        r.offered_per_second,
        r.achieved_per_second,
        r.latency.p50_ms,
        r.latency.p99_ms,
        r.latency.p999_ms,
        r.latency.max_ms,
        errors,
        r.dropped,
        rss,
        ledger,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_never_handed_out_twice() {
        let codes = CodeAllocator::new(3);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..30 {
            assert!(seen.insert(codes.next(100).unwrap()), "a code handed out twice");
        }
        assert_eq!(codes.next(100), None, "three devices have thirty codes a step");
        assert_eq!(codes.next(99), None, "an earlier step's codes may have been used");
        assert_eq!(codes.next(101), Some((0, 0)), "a new step starts over");
        assert_eq!(codes.next(101), Some((1, 0)), "every device shows slot 0 before any shows slot 1");
    }

    #[test]
    fn shapes_are_bounded_and_amounts_stay_below_the_approval_threshold() {
        let http = HttpOptions {
            charge_rates: vec![1_000.0],
            p2p_rates: vec![5.0],
            checkout_rates: vec![5.0],
            position_rates: vec![50.0],
            position_charge_rate: 100.0,
            seconds: 2.0,
            max_outstanding: 8,
            server_binary: None,
        };
        assert!(http.validate().is_ok());
        assert_eq!(http.count(1_000.0), 2_000);
        assert!(HttpOptions { seconds: 0.0, ..http.clone() }.validate().is_err());
        assert!(HttpOptions { charge_rates: vec![f64::NAN], ..http.clone() }.validate().is_err());
        assert!((0..1_000).map(amount_for).all(|a| (100..=499).contains(&a)));
        assert_eq!(decimal(105), "1.05");
    }
}
