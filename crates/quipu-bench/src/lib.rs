//! `quipu bench`: measures the ledger engine on SQLite and PostgreSQL, each
//! scenario on a fresh database, side by side with a naive mode that commits
//! one database transaction per payment, and checks every ledger invariant
//! after every run. BENCHMARKS.md records what it printed on our machines.
//!
//! A payment is a linked chain of two transfers (customer → merchant, then
//! merchant → fee income), so transfers/s counts both. Latency is from
//! submitting a chain to its durable acknowledgement, in a closed loop of
//! `concurrency` clients; every number is measured, none is asserted.
//! [`http`] measures a real server end to end.
//!
//! A crate of its own, so the production server carries none of it but what
//! `quipu bench` runs.

pub mod http;
pub mod search;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use quipu_core::{Clock, LedgerWriter, SystemClock, WriterLimits};
use quipu_domain::ledger::{AccountId, AccountKind, Chain, TransferCode, TransferCommand, TransferId, TransferOp};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_store::{AccountOwner, Enrollment, Store};
use quipu_store_postgres::PostgresStore;
use quipu_store_sqlite::SqliteStore;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sqlx::Connection;
use tokio::sync::watch;
use uuid::Uuid;

use quipu_server::Fallible;

/// How big a run is.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Payments in each batched run.
    pub payments: usize,
    /// Payments in each naive run (it is slow; its rate settles long before the batched run's count).
    pub naive_payments: usize,
    pub customers: usize,
    pub merchants: usize,
    /// Clients submitting at once.
    pub concurrency: usize,
    /// Most chains the ledger writer commits in one transaction.
    pub max_batch: usize,
    /// Also run on PostgreSQL: a server where the bench may create and drop databases.
    pub postgres_url: Option<String>,
    /// The end-to-end scenario over HTTP; `None` skips it.
    pub http: Option<crate::http::HttpOptions>,
    /// Product search over a marketplace's catalog; `None` skips it.
    pub search: Option<crate::search::SearchOptions>,
}

impl BenchOptions {
    /// A run small enough for CI: it proves every scenario still runs and stays correct.
    pub fn smoke(postgres_url: Option<String>) -> Self {
        Self {
            payments: 2_000,
            naive_payments: 200,
            customers: 500,
            merchants: 50,
            concurrency: 64,
            max_batch: 512,
            postgres_url,
            http: Some(crate::http::HttpOptions::smoke()),
            search: Some(crate::search::SearchOptions::smoke()),
        }
    }
}

/// Where payments go: evenly over all merchants, or 80% to the ten busiest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Workload {
    Uniform,
    HotMerchants,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Through the ledger writer: many chains per transaction (group commit).
    Batched,
    /// One transaction per payment, straight to the store: the common design, for the ratio.
    Naive,
}

#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub backend: &'static str,
    pub workload: Workload,
    pub mode: Mode,
    pub payments: usize,
    pub transfers: usize,
    pub seconds: f64,
    pub transfers_per_second: f64,
    pub latency: Percentiles,
    /// Database bytes per transfer stored, after the run (SQLite: file and WAL; PostgreSQL: growth).
    pub db_bytes_per_transfer: Option<f64>,
    /// The process's peak resident memory so far, in MiB.
    pub peak_rss_mib: Option<f64>,
    /// Every ledger invariant held after the run.
    pub ledger_clean: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Ratio {
    pub backend: &'static str,
    pub workload: Workload,
    /// Batched transfers/s over naive transfers/s, measured in the same run.
    pub batched_over_naive: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub cores: usize,
    pub payments: usize,
    pub naive_payments: usize,
    pub customers: usize,
    pub merchants: usize,
    pub concurrency: usize,
    pub max_batch: usize,
    pub results: Vec<ScenarioResult>,
    pub ratios: Vec<Ratio>,
    /// End to end over HTTP, after the ledger scenarios.
    pub http: Vec<crate::http::HttpScenarioResult>,
    /// Product search, last.
    pub search: Vec<crate::search::SearchResult>,
}

impl BenchReport {
    /// Every run left the ledger consistent, and every HTTP run's answers match what the store holds.
    pub fn all_clean(&self) -> bool {
        self.results.iter().all(|r| r.ledger_clean) && self.http.iter().all(|r| r.ledger_clean && r.counts_match)
    }
}

/// Runs every scenario: each backend × workload × mode, on a fresh database.
pub async fn run(options: &BenchOptions, scratch: &Path) -> Fallible<BenchReport> {
    let mut results = Vec::new();
    let mut backends = vec!["sqlite"];
    if options.postgres_url.is_some() {
        backends.push("postgres");
    }
    for backend in backends {
        for workload in [Workload::Uniform, Workload::HotMerchants] {
            for mode in [Mode::Batched, Mode::Naive] {
                let database = BenchDatabase::create(backend, options, scratch).await?;
                let result = scenario(&database, options, workload, mode).await;
                database.dispose().await;
                let result = result?;
                eprintln!("{}", row(&result));
                results.push(result);
            }
        }
    }
    let ratios = ratios(&results);
    let http = match &options.http {
        Some(http) => crate::http::run(http, options, scratch).await?,
        None => Vec::new(),
    };
    let search = match &options.search {
        Some(search) => crate::search::run(search, options.postgres_url.as_deref(), scratch).await?,
        None => Vec::new(),
    };
    Ok(BenchReport {
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        payments: options.payments,
        naive_payments: options.naive_payments,
        customers: options.customers,
        merchants: options.merchants,
        concurrency: options.concurrency,
        max_batch: options.max_batch,
        results,
        ratios,
        http,
        search,
    })
}

/// The results as the table BENCHMARKS.md shows.
pub fn table(report: &BenchReport) -> String {
    let mut out = String::from(
        "| backend | workload | mode | payments | transfers/s | p50 ms | p99 ms | p99.9 ms | bytes/transfer | peak RSS MiB | ledger |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for result in &report.results {
        out.push_str(&row(result));
        out.push('\n');
    }
    out.push_str("\n| backend | workload | batched ÷ naive |\n|---|---|---|\n");
    for ratio in &report.ratios {
        out.push_str(&format!("| {} | {:?} | {:.1}× |\n", ratio.backend, ratio.workload, ratio.batched_over_naive));
    }
    if !report.http.is_empty() {
        out.push('\n');
        out.push_str(&crate::http::table(&report.http));
    }
    if !report.search.is_empty() {
        out.push('\n');
        out.push_str(&crate::search::table(&report.search));
    }
    out
}

fn row(r: &ScenarioResult) -> String {
    let optional = |value: Option<f64>| value.map_or_else(|| "–".to_owned(), |v| format!("{v:.0}"));
    format!(
        "| {} | {:?} | {:?} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
        r.backend,
        r.workload,
        r.mode,
        r.payments,
        r.transfers_per_second,
        r.latency.p50_ms,
        r.latency.p99_ms,
        r.latency.p999_ms,
        optional(r.db_bytes_per_transfer),
        optional(r.peak_rss_mib),
        if r.ledger_clean { "clean" } else { "VIOLATED" },
    )
}

fn ratios(results: &[ScenarioResult]) -> Vec<Ratio> {
    let mut ratios = Vec::new();
    for batched in results.iter().filter(|r| r.mode == Mode::Batched) {
        let naive = results
            .iter()
            .find(|r| r.mode == Mode::Naive && r.backend == batched.backend && r.workload == batched.workload);
        if let Some(naive) = naive.filter(|n| n.transfers_per_second > 0.0) {
            ratios.push(Ratio {
                backend: batched.backend,
                workload: batched.workload,
                batched_over_naive: batched.transfers_per_second / naive.transfers_per_second,
            });
        }
    }
    ratios
}

/// A fresh database for one scenario: a SQLite file in a new directory, or a new PostgreSQL database.
pub(crate) struct BenchDatabase {
    pub(crate) backend: &'static str,
    pub(crate) store: Arc<dyn Store>,
    /// The same store, typed, so the bench can close its connections before a `quipu serve` process takes over.
    connections: Connections,
    sqlite_dir: Option<std::path::PathBuf>,
    postgres: Option<(String, String)>,
}

enum Connections {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PostgresStore>),
}

/// The URL of database `name` on the server `admin_url` names.
fn database_url(admin_url: &str, name: &str) -> String {
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
    format!("{base}/{name}")
}

/// Connection pool sizes of a bench database.
pub(crate) struct Pools {
    pub(crate) sqlite_readers: u32,
    pub(crate) postgres_connections: u32,
}

impl BenchDatabase {
    async fn create(backend: &'static str, options: &BenchOptions, scratch: &Path) -> Fallible<Self> {
        let connections = u32::try_from(options.concurrency.clamp(4, 32)).unwrap_or(32);
        let pools = Pools { sqlite_readers: 4, postgres_connections: connections };
        Self::create_with(backend, options.postgres_url.as_deref(), scratch, &pools).await
    }

    pub(crate) async fn create_with(
        backend: &'static str,
        postgres_url: Option<&str>,
        scratch: &Path,
        pools: &Pools,
    ) -> Fallible<Self> {
        let name = format!("quipu_bench_{}", Uuid::now_v7().simple());
        match (backend, postgres_url) {
            ("postgres", Some(admin_url)) => {
                let mut admin = sqlx::PgConnection::connect(admin_url).await?;
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
                admin.close().await?;
                let store = Arc::new(
                    quipu_store_postgres::connect(&database_url(admin_url, &name), pools.postgres_connections).await?,
                );
                Ok(Self {
                    backend,
                    store: store.clone(),
                    connections: Connections::Postgres(store),
                    sqlite_dir: None,
                    postgres: Some((admin_url.to_owned(), name)),
                })
            }
            _ => {
                let dir = scratch.join(&name);
                std::fs::create_dir_all(&dir)?;
                let store = Arc::new(
                    quipu_store_sqlite::open(&dir.join(quipu_server::app::SQLITE_FILE), pools.sqlite_readers).await?,
                );
                Ok(Self {
                    backend: "sqlite",
                    store: store.clone(),
                    connections: Connections::Sqlite(store),
                    sqlite_dir: Some(dir),
                    postgres: None,
                })
            }
        }
    }

    /// The SQLite data directory (what `quipu serve --data-dir` takes), if this is SQLite.
    pub(crate) fn sqlite_dir(&self) -> Option<&Path> {
        self.sqlite_dir.as_deref()
    }

    /// The PostgreSQL database's URL, if this is PostgreSQL.
    pub(crate) fn postgres_url(&self) -> Option<String> {
        self.postgres.as_ref().map(|(admin_url, name)| database_url(admin_url, name))
    }

    /// Closes the bench's own connections; `store` fails every call until [`Self::reopen`].
    /// On SQLite this leaves a server's single writer the database's only writer.
    pub(crate) async fn close(&self) {
        match &self.connections {
            Connections::Sqlite(store) => store.close().await,
            Connections::Postgres(store) => store.close().await,
        }
    }

    /// Opens the bench's connections again, after [`Self::close`].
    pub(crate) async fn reopen(&mut self, pools: &Pools) -> Fallible<()> {
        self.close().await;
        if let Some(dir) = &self.sqlite_dir {
            let store = Arc::new(
                quipu_store_sqlite::open(&dir.join(quipu_server::app::SQLITE_FILE), pools.sqlite_readers).await?,
            );
            self.store = store.clone();
            self.connections = Connections::Sqlite(store);
        } else if let Some(url) = self.postgres_url() {
            let store = Arc::new(quipu_store_postgres::connect(&url, pools.postgres_connections).await?);
            self.store = store.clone();
            self.connections = Connections::Postgres(store);
        }
        Ok(())
    }

    /// Bytes the database takes now.
    async fn size(&self) -> Fallible<u64> {
        if let Some(dir) = &self.sqlite_dir {
            let mut bytes = 0;
            for entry in std::fs::read_dir(dir)? {
                bytes += entry?.metadata()?.len();
            }
            return Ok(bytes);
        }
        match &self.postgres {
            Some((admin_url, name)) => {
                let mut admin = sqlx::PgConnection::connect(admin_url).await?;
                let size: i64 =
                    sqlx::query_scalar("SELECT pg_database_size($1)").bind(name).fetch_one(&mut admin).await?;
                admin.close().await?;
                Ok(u64::try_from(size).unwrap_or(0))
            }
            None => Ok(0),
        }
    }

    pub(crate) async fn dispose(self) {
        self.close().await;
        drop(self.store);
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await
        {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
        }
    }
}

/// The accounts a run pays between.
struct Book {
    customers: Vec<AccountId>,
    merchants: Vec<AccountId>,
    fee_income: AccountId,
    currency: CurrencyCode,
}

async fn scenario(
    database: &BenchDatabase,
    options: &BenchOptions,
    workload: Workload,
    mode: Mode,
) -> Fallible<ScenarioResult> {
    let store = database.store.clone();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (stop, stop_signal) = watch::channel(false);
    let limits = WriterLimits { max_batch: options.max_batch.max(1), queue: 8192.max(options.concurrency) };
    let (writer, writer_task) = LedgerWriter::spawn(store.clone(), clock.clone(), limits, stop_signal);
    let book = open_book(&store, &writer, options).await?;
    let size_before = database.size().await?;
    let payments = match mode {
        Mode::Batched => options.payments,
        Mode::Naive => options.naive_payments,
    };
    let chains = payment_chains(&book, workload, payments);
    let started = Instant::now();
    let (client_writer, client_store, client_clock) = (writer.clone(), store.clone(), clock.clone());
    let latencies = drive(chains, options.concurrency, move |chain| {
        let (writer, store, clock) = (client_writer.clone(), client_store.clone(), client_clock.clone());
        async move {
            let outcome = match mode {
                Mode::Batched => writer.submit(chain).await.map_err(|e| e.to_string())?,
                Mode::Naive => {
                    let mut results = store.commit_batch(&[chain], clock.now()).await.map_err(|e| e.to_string())?;
                    results.pop().ok_or("no outcome")?
                }
            };
            outcome.map(|_| ()).map_err(|rejection| format!("payment refused: {:?}", rejection.error))
        }
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    drop(writer);
    writer_task.await?;
    let transfers = payments * 2;
    let grown = database.size().await?.saturating_sub(if database.backend == "postgres" { size_before } else { 0 });
    let stored_transfers = if database.backend == "postgres" { transfers } else { transfers + book.customers.len() };
    let report = quipu_domain::verify::verify(&store.ledger_facts().await?);
    Ok(ScenarioResult {
        backend: database.backend,
        workload,
        mode,
        payments,
        transfers,
        seconds,
        transfers_per_second: transfers as f64 / seconds.max(f64::EPSILON),
        latency: percentiles(latencies),
        db_bytes_per_transfer: (stored_transfers > 0).then(|| grown as f64 / stored_transfers as f64),
        peak_rss_mib: peak_rss_mib(),
        ledger_clean: report.is_clean(),
    })
}

/// Creates the accounts in one transaction and funds every customer from issuance.
async fn open_book(store: &Arc<dyn Store>, writer: &LedgerWriter, options: &BenchOptions) -> Fallible<Book> {
    let currency = CurrencyCode::parse("USD")?;
    let now = SystemClock.now();
    let account = |owner, kind| new_account(owner, kind, currency, now);
    let issuance = account(AccountOwner::System, AccountKind::Issuance);
    let fee_income = account(AccountOwner::System, AccountKind::FeeIncome);
    let customers: Vec<_> = (0..options.customers.max(1))
        .map(|_| {
            account(AccountOwner::User(quipu_domain::identity::UserId(Uuid::now_v7())), AccountKind::CustomerWallet)
        })
        .collect();
    let merchants: Vec<_> = (0..options.merchants.max(11))
        .map(|_| {
            account(AccountOwner::Merchant(quipu_domain::identity::MerchantId(Uuid::now_v7())), AccountKind::Merchant)
        })
        .collect();
    let mut accounts = vec![issuance.clone(), fee_income.clone()];
    accounts.extend(customers.iter().cloned());
    accounts.extend(merchants.iter().cloned());
    store.enroll(&Enrollment { accounts, ..Enrollment::default() }).await?;
    let funding: Vec<Chain> = customers
        .iter()
        .map(|customer| {
            vec![TransferCommand {
                id: TransferId(Uuid::now_v7()),
                op: TransferOp::Posted {
                    debit: issuance.account.id,
                    credit: customer.account.id,
                    amount: Amount::from_minor(1_000_000_000),
                    currency,
                },
                code: TransferCode::Issuance,
                reference: String::new(),
                credit_cap: None,
            }]
        })
        .collect();
    let funder = writer.clone();
    drive(funding, 256, move |chain| {
        let writer = funder.clone();
        async move {
            writer.submit(chain).await.map_err(|e| e.to_string())?.map(|_| ()).map_err(|r| format!("{:?}", r.error))
        }
    })
    .await?;
    Ok(Book {
        customers: customers.iter().map(|a| a.account.id).collect(),
        merchants: merchants.iter().map(|a| a.account.id).collect(),
        fee_income: fee_income.account.id,
        currency,
    })
}

/// The payments of a run, drawn from a fixed seed so every run pays the same. The ledger bench
/// writes a payment's two transfers but no payment record, so they are coded as P2P transfers:
/// payment-coded transfers without their payment would (rightly) fail `ledger verify`'s records check.
fn payment_chains(book: &Book, workload: Workload, count: usize) -> Vec<Chain> {
    const HOT: usize = 10;
    let mut rng = StdRng::seed_from_u64(7);
    (0..count)
        .map(|_| {
            let customer = pick(&book.customers, rng.gen_range(0..book.customers.len()));
            let merchant = match workload {
                Workload::HotMerchants if rng.gen_bool(0.8) => pick(&book.merchants, rng.gen_range(0..HOT)),
                Workload::HotMerchants => pick(&book.merchants, rng.gen_range(HOT..book.merchants.len())),
                Workload::Uniform => pick(&book.merchants, rng.gen_range(0..book.merchants.len())),
            };
            let amount = Amount::from_minor(rng.gen_range(100..=5_000));
            let fee = Amount::from_minor(amount.minor() * 150 / 10_000);
            let pay = TransferCommand {
                id: next_id(&mut rng),
                op: TransferOp::Posted { debit: customer, credit: merchant, amount, currency: book.currency },
                code: TransferCode::P2p,
                reference: String::new(),
                credit_cap: None,
            };
            let fee_leg = (fee > Amount::ZERO).then(|| TransferCommand {
                id: next_id(&mut rng),
                op: TransferOp::Posted {
                    debit: merchant,
                    credit: book.fee_income,
                    amount: fee,
                    currency: book.currency,
                },
                code: TransferCode::P2p,
                reference: String::new(),
                credit_cap: None,
            });
            [Some(pay), fee_leg].into_iter().flatten().collect()
        })
        .collect()
}

/// A transfer id as production makes them: derived from a payment id by
/// SHA-256, so as random as it gets for the primary-key index (time-ordered
/// ids would flatter the benchmark).
fn next_id(rng: &mut StdRng) -> TransferId {
    let seed: [u8; 16] = rng.r#gen();
    TransferId(quipu_core::kernel::secrets::derived_id("quipu.bench", &[&seed]))
}

/// The account at `index`; the book always has the accounts the workload draws from.
fn pick(accounts: &[AccountId], index: usize) -> AccountId {
    accounts.get(index).copied().unwrap_or(AccountId(Uuid::nil()))
}

/// Runs `submit` over every chain from `concurrency` clients; returns each chain's latency.
async fn drive<F, Fut>(chains: Vec<Chain>, concurrency: usize, submit: F) -> Fallible<Vec<Duration>>
where
    F: Fn(Chain) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), String>> + Send,
{
    let chains = Arc::new(chains);
    let next = Arc::new(AtomicUsize::new(0));
    let submit = Arc::new(submit);
    let mut clients = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (chains, next, submit) = (chains.clone(), next.clone(), submit.clone());
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(chain) = chains.get(index).cloned() else { return Ok::<_, String>(latencies) };
                let started = Instant::now();
                submit(chain).await?;
                latencies.push(started.elapsed());
            }
        }));
    }
    let mut all = Vec::new();
    for client in clients {
        all.extend(client.await??);
    }
    Ok(all)
}

#[allow(clippy::cast_possible_truncation, reason = "an index into the samples, bounded by get(); float casts saturate")]
fn percentiles(mut latencies: Vec<Duration>) -> Percentiles {
    latencies.sort_unstable();
    let at = |quantile: f64| {
        let index = ((latencies.len() as f64 * quantile).ceil() as usize).saturating_sub(1);
        latencies.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Percentiles { p50_ms: at(0.5), p99_ms: at(0.99), p999_ms: at(0.999), max_ms: at(1.0) }
}

/// The process's high-water resident memory (Linux), in MiB.
pub(crate) fn peak_rss_mib() -> Option<f64> {
    status_mib("VmHWM:")
}

/// A memory figure of this process from /proc/self/status (Linux), in MiB: `VmHWM:` (peak resident), `VmRSS:` (now).
pub(crate) fn status_mib(field: &str) -> Option<f64> {
    process_status_mib("self", field)
}

/// The same figure of process `pid` ("self" for this one), from /proc/<pid>/status (Linux), in MiB.
pub(crate) fn process_status_mib(pid: &str, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A fresh account for the benchmark's network, with a new id.
pub(crate) fn new_account(
    owner: AccountOwner,
    kind: AccountKind,
    currency: quipu_domain::money::CurrencyCode,
    now: quipu_domain::Timestamp,
) -> quipu_store::OwnedAccount {
    quipu_store::OwnedAccount::new(quipu_domain::ledger::AccountId(Uuid::now_v7()), owner, kind, currency, now)
}
