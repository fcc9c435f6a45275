//! The test harness: a real Quipu server on a real database (SQLite in a
//! temporary directory, or a fresh PostgreSQL database), spoken to over real
//! HTTP. [`on_each_backend`] runs a story on every backend and ends it with
//! the ledger invariant check.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

pub mod delivery;
mod fixtures;
pub mod market;
pub mod multipart;

pub use fixtures::{Phone, Shop, charge, enroll, merchant_balance, shop};

use std::sync::Arc;

use quipu_core::identity::NewLogin;
use quipu_core::market::MarketSettings;
use quipu_core::{Background, Clock, HashCost, OffsetClock, OsRandom, Services, Settings};
use quipu_domain::identity::{DisplayName, Password, PhoneNumber, Role};
use quipu_domain::money::CurrencySet;
use quipu_http::HttpSettings;
use quipu_server::app::{Server, Setup};
use quipu_store::Store;
use serde_json::{Value, json};
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The backends to run on: SQLite always; PostgreSQL when
/// `QUIPU_TEST_POSTGRES_URL` is set. Under CI a missing PostgreSQL fails.
pub fn backends() -> Vec<Backend> {
    match postgres_url() {
        Some(_) => vec![Backend::Sqlite, Backend::Postgres],
        None => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but QUIPU_TEST_POSTGRES_URL is not set: the PostgreSQL run is required in CI"
            );
            vec![Backend::Sqlite]
        }
    }
}

pub fn postgres_url() -> Option<String> {
    std::env::var("QUIPU_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())
}

/// What a test server runs with.
#[derive(Clone)]
pub struct TestConfig {
    pub settings: Settings,
    pub market: MarketSettings,
    pub http: HttpSettings,
}

/// Settings for tests: cheap Argon2 so hundreds of logins stay fast; the
/// rules themselves are the production ones.
pub fn test_settings() -> Settings {
    let mut settings = Settings::new(CurrencySet::from_codes(&["USD", "EUR", "KWD"]).unwrap());
    settings.hash_cost = HashCost { memory_kib: 64, iterations: 1 };
    settings.hold_sweep_interval = std::time::Duration::from_secs(3600);
    // Webhook receivers in tests listen on loopback; live streams and the sender poll often.
    settings.webhooks.allow_private_targets = true;
    settings.webhooks.poll_interval = std::time::Duration::from_millis(50);
    settings.event_poll_interval = std::time::Duration::from_millis(50);
    settings
}

/// Test settings, and no limit on logins per address: tests log many people in from one address
/// (`logins_are_limited_per_address` tests the limit).
pub fn test_config() -> TestConfig {
    TestConfig {
        settings: test_settings(),
        market: MarketSettings::default(),
        http: HttpSettings { auth_requests_per_minute: 0, ..HttpSettings::default() },
    }
}

/// The services alone, without HTTP, on `store`: for stories that seed through them directly.
pub async fn start_services(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> (Arc<Services>, Background) {
    let setup = Setup {
        clock,
        random: Arc::new(OsRandom),
        settings: test_settings(),
        market: MarketSettings::default(),
        http: HttpSettings::default(),
    };
    setup.start_services(store).await.unwrap()
}

/// A login's domain values, for stories that call the services directly.
pub fn login(phone: &str, name: &str, password: &str) -> NewLogin {
    NewLogin {
        phone: PhoneNumber::parse(phone).unwrap(),
        full_name: DisplayName::parse(name).unwrap(),
        password: Password::parse(password).unwrap(),
    }
}

/// A PostgreSQL database made for one test and dropped after it, even when
/// the test panics (then by `Drop`, so a failing story leaks nothing).
pub struct PgDatabase {
    pub url: String,
    admin_url: String,
    name: String,
    dropped: std::sync::atomic::AtomicBool,
}

impl PgDatabase {
    pub async fn create() -> Self {
        let admin_url = postgres_url().expect("QUIPU_TEST_POSTGRES_URL");
        let name = format!("quipu_t_{}", uuid::Uuid::now_v7().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&admin_url);
        Self { url: format!("{base}/{name}"), admin_url, name, dropped: Default::default() }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub async fn drop_database(&self) {
        drop_database(&self.admin_url, &self.name).await;
        self.dropped.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    if let Ok(mut admin) = sqlx::PgConnection::connect(admin_url).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        if self.dropped.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        // A story that failed never reached `dispose`. `Drop` cannot await, so the drop runs on a
        // thread and runtime of its own.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropping = std::thread::spawn(move || {
            if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                runtime.block_on(drop_database(&admin_url, &name));
            }
        });
        let _ = dropping.join();
    }
}

/// Whether a database of this name is on the test server.
pub async fn database_exists(name: &str) -> bool {
    let admin_url = postgres_url().expect("QUIPU_TEST_POSTGRES_URL");
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect to PostgreSQL");
    let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut admin)
        .await
        .expect("look for the database");
    admin.close().await.ok();
    found.is_some()
}

/// Where a test's data lives, kept alive for the test's duration.
pub struct Storage {
    pub backend: Backend,
    pub store: Arc<dyn Store>,
    pub sqlite_dir: Option<tempfile::TempDir>,
    pub postgres: Option<PgDatabase>,
}

impl Storage {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let store =
                    quipu_store_sqlite::open(&dir.path().join(quipu_server::app::SQLITE_FILE), 4).await.unwrap();
                Self { backend, store: Arc::new(store), sqlite_dir: Some(dir), postgres: None }
            }
            Backend::Postgres => {
                let database = PgDatabase::create().await;
                let store = quipu_store_postgres::connect(&database.url, 8).await.unwrap();
                Self { backend, store: Arc::new(store), sqlite_dir: None, postgres: Some(database) }
            }
        }
    }

    /// CLI arguments that point `quipu` at this storage.
    pub fn cli_args(&self) -> Vec<String> {
        match (&self.sqlite_dir, &self.postgres) {
            (Some(dir), _) => vec!["--data-dir".into(), dir.path().display().to_string()],
            (_, Some(pg)) => vec!["--database-url".into(), pg.url.clone()],
            _ => unreachable!(),
        }
    }

    /// Fails the test unless every ledger invariant holds.
    pub async fn assert_ledger_clean(&self) {
        let facts = self.store.ledger_facts().await.unwrap();
        let report = quipu_domain::verify::verify(&facts);
        assert!(report.is_clean(), "ledger invariants violated on {:?}: {:#?}", self.backend, report.violations);
    }

    /// How many durable commits (ledger batches and syncs) the database has seen, read behind the
    /// store's back.
    pub async fn durable_commits(&self) -> i64 {
        self.count("SELECT durable_commits FROM ledger_clock WHERE id = 1").await
    }

    /// One number read by `query` behind the store's back, on a connection of its own.
    pub async fn count(&self, query: &str) -> i64 {
        match (&self.sqlite_dir, &self.postgres) {
            (Some(dir), _) => {
                let url = format!("sqlite://{}?mode=ro", dir.path().join(quipu_server::app::SQLITE_FILE).display());
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                let count = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
                pool.close().await;
                count
            }
            (_, Some(pg)) => {
                let pool = sqlx::PgPool::connect(&pg.url).await.unwrap();
                let count = sqlx::query_scalar(query).fetch_one(&pool).await.unwrap();
                pool.close().await;
                count
            }
            _ => unreachable!(),
        }
    }

    /// Runs one statement directly against the database, behind the store's back: how a test
    /// tampers with what verification must catch.
    pub async fn execute(&self, statement: &str) {
        match (&self.sqlite_dir, &self.postgres) {
            (Some(dir), _) => {
                let url = format!("sqlite://{}", dir.path().join(quipu_server::app::SQLITE_FILE).display());
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                sqlx::query(statement).execute(&pool).await.unwrap();
                pool.close().await;
            }
            (_, Some(pg)) => {
                let pool = sqlx::PgPool::connect(&pg.url).await.unwrap();
                sqlx::query(statement).execute(&pool).await.unwrap();
                pool.close().await;
            }
            _ => unreachable!(),
        }
    }

    pub async fn dispose(self) {
        if let Some(pg) = &self.postgres {
            pg.drop_database().await;
        }
    }
}

/// A client for one Quipu server's API, in-process or a separate `quipu serve`.
pub struct Api {
    /// `http://host:port/api/v1`
    pub api: String,
    pub client: reqwest::Client,
}

/// A server started in this process, with its storage, clock and services.
pub struct TestApp {
    http: Api,
    pub services: Arc<Services>,
    pub clock: Arc<OffsetClock>,
    pub storage: Storage,
    server: Server,
}

/// Runs `story` against a fresh server on every backend, then checks the ledger.
pub async fn on_each_backend(story: impl AsyncFn(&TestApp)) {
    on_each_backend_with(test_config(), story).await;
}

/// Like [`on_each_backend`], with the settings a story needs.
pub async fn on_each_backend_with(config: TestConfig, story: impl AsyncFn(&TestApp)) {
    for backend in backends() {
        let app = TestApp::start(backend, config.clone()).await;
        story(&app).await;
        app.finish().await;
    }
}

fn setup(clock: &Arc<OffsetClock>, config: TestConfig) -> Setup {
    Setup {
        clock: clock.clone(),
        random: Arc::new(OsRandom),
        settings: config.settings,
        market: config.market,
        http: config.http,
    }
}

impl TestApp {
    pub async fn start(backend: Backend, config: TestConfig) -> Self {
        let storage = Storage::new(backend).await;
        let clock = Arc::new(OffsetClock::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server::start(storage.store.clone(), setup(&clock, config), listener).await.unwrap();
        Self { http: Api::new(server.addr), services: server.services.clone(), clock, storage, server }
    }

    /// Stops the server and starts a fresh one on the same storage and clock, as a process restart would.
    pub async fn restart(&mut self, config: TestConfig) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server = Server::start(self.storage.store.clone(), setup(&self.clock, config), listener).await.unwrap();
        let old = std::mem::replace(&mut self.server, server);
        old.stop().await.unwrap();
        self.http = Api::new(self.server.addr);
        self.services = self.server.services.clone();
    }

    /// Stops the server gracefully, checks every ledger invariant, cleans up.
    pub async fn finish(self) {
        self.server.stop().await.unwrap();
        self.storage.assert_ledger_clean().await;
        self.storage.dispose().await;
    }

    /// Where the server listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr
    }

    pub async fn operator(&self) -> String {
        self.staff(Role::Operator, "+15559990001").await
    }

    pub async fn staff(&self, role: Role, phone: &str) -> String {
        self.services.identity.create_staff(role, &login(phone, "Staff Member", "staff-password")).await.unwrap();
        self.login(phone, "staff-password").await
    }
}

impl Api {
    pub fn new(addr: std::net::SocketAddr) -> Self {
        Self { api: format!("http://{addr}/api/v1"), client: reqwest::Client::new() }
    }

    pub fn base(&self) -> String {
        self.api.trim_end_matches("/api/v1").to_owned()
    }

    /// Sends a request; an error answer must be a well-formed problem document.
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.api));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let is_problem = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/problem+json"));
        let text = response.text().await.unwrap();
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if status >= 400 {
            assert!(is_problem, "error {status} must be problem+json, got {value}");
            assert_eq!(value["status"], json!(status), "problem status mirrors HTTP status: {value}");
            assert!(value["code"].is_string() && value["type"].is_string(), "problem needs code and type: {value}");
        }
        (status, value)
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.request(reqwest::Method::GET, path, Some(token), None, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, path, token, None, Some(body)).await
    }

    /// A money-moving POST with an Idempotency-Key.
    pub async fn post_key(&self, path: &str, token: &str, key: &str, body: Value) -> (u16, Value) {
        self.request(reqwest::Method::POST, path, Some(token), Some(key), Some(body)).await
    }

    pub async fn login(&self, phone: &str, password: &str) -> String {
        let (status, body) = self.post("/auth/login", None, json!({"phone": phone, "password": password})).await;
        assert_eq!(status, 200, "login {phone}: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn customer(&self, phone: &str) -> Person {
        let (status, body) = self
            .post(
                "/auth/register",
                None,
                json!({"phone": phone, "full_name": "Test Customer", "password": "customer-password", "pin": "1234"}),
            )
            .await;
        assert_eq!(status, 201, "register {phone}: {body}");
        let account = body["accounts"][0]["id"].as_str().unwrap().to_owned();
        Person {
            token: self.login(phone, "customer-password").await,
            id: body["user"]["id"].as_str().unwrap().to_owned(),
            account,
            phone: phone.to_owned(),
        }
    }

    /// An agent with `float` (USD) issued by `operator`.
    pub async fn agent(&self, operator: &str, phone: &str, float: &str) -> Person {
        let (status, body) = self
            .post(
                "/operator/agents",
                Some(operator),
                json!({"phone": phone, "full_name": "Test Agent", "password": "agent-password", "pin": "9999"}),
            )
            .await;
        assert_eq!(status, 201, "create agent: {body}");
        let id = body["user"]["id"].as_str().unwrap().to_owned();
        let account = body["accounts"][0]["id"].as_str().unwrap().to_owned();
        let (status, body) = self
            .post_key(
                "/operator/issuance",
                operator,
                &format!("issue-{}", phone.trim_start_matches('+')),
                json!({"agent_id": id, "amount": float}),
            )
            .await;
        assert_eq!(status, 201, "issue float: {body}");
        Person { token: self.login(phone, "agent-password").await, id, account, phone: phone.to_owned() }
    }

    /// An agent's cash-in to a customer, asserting success.
    pub async fn cash_in(&self, agent: &Person, phone: &str, amount: &str) -> Value {
        let key = format!("cash-in-{}", uuid::Uuid::now_v7());
        let (status, body) = self
            .post_key("/agent/cash-in", &agent.token, &key, json!({"customer_phone": phone, "amount": amount}))
            .await;
        assert_eq!(status, 201, "cash-in: {body}");
        body
    }

    /// Posted balance of an account, in minor units, as its owner sees it.
    pub async fn balance(&self, person: &Person) -> i64 {
        let (status, body) = self.get(&format!("/accounts/{}", person.account), &person.token).await;
        assert_eq!(status, 200, "balance: {body}");
        body["balance"]["minor_units"].as_i64().unwrap()
    }
}

impl std::ops::Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.http
    }
}

/// A logged-in user and their main account.
#[derive(Debug, Clone)]
pub struct Person {
    pub token: String,
    pub id: String,
    pub account: String,
    pub phone: String,
}

/// Runs a `quipu` binary with arguments, returning (exit success, stdout, stderr).
pub fn run(binary: &std::path::Path, args: &[String], env: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = std::process::Command::new(binary);
    command.args(args).env_remove("QUIPU_DATABASE_URL").env_remove("QUIPU_DATA_DIR");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
