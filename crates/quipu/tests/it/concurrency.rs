//! Many clients moving money at once over HTTP; afterwards `quipu ledger
//! verify` is clean and not a cent was created or lost. On PostgreSQL the
//! same runs against two `quipu serve` processes sharing one database.

use std::time::Duration;

use rand::Rng;
use serde_json::json;

use crate::harness::{Api, Backend, Person, PgDatabase, TestApp, backends, postgres_url, run_quipu};

const CUSTOMERS: usize = 10;
const CLIENTS: usize = 12;
const TRANSFERS_PER_CLIENT: usize = 25;
const START_BALANCE: i64 = 10_000;

/// Random P2P transfers from `CLIENTS` concurrent clients spread over `apis`;
/// one in five is retried with the same key. Returns how many succeeded.
async fn random_transfers(client: &reqwest::Client, apis: &[String], customers: &[Person]) -> usize {
    let mut tasks = Vec::new();
    for worker in 0..CLIENTS {
        let client = client.clone();
        let apis = apis.to_vec();
        let customers = customers.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut succeeded = 0;
            for n in 0..TRANSFERS_PER_CLIENT {
                let (from, to, cents, api, retry) = {
                    let mut rng = rand::thread_rng();
                    let from = rng.gen_range(0..customers.len());
                    let to = (from + rng.gen_range(1..customers.len())) % customers.len();
                    (from, to, rng.gen_range(1..3_000), apis[rng.gen_range(0..apis.len())].clone(), rng.gen_bool(0.2))
                };
                let body = json!({
                    "to_phone": customers[to].phone,
                    "amount": format!("{}.{:02}", cents / 100, cents % 100),
                    "pin": "1234"
                });
                let key = format!("load-{worker}-{n}");
                let mut sends = if retry { 2 } else { 1 };
                while sends > 0 {
                    let response = client
                        .post(format!("{api}/transfers/p2p"))
                        .bearer_auth(&customers[from].token)
                        .header("idempotency-key", &key)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status().as_u16();
                    let replayed = response.headers().contains_key("idempotent-replayed");
                    if status == 429 {
                        // Too many of this person's PIN checks at once: a real app waits and retries.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                    assert!(status == 201 || status == 422, "unexpected {status}: {}", response.text().await.unwrap());
                    if status == 201 && !replayed {
                        succeeded += 1;
                    }
                    sends -= 1;
                }
            }
            succeeded
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total
}

async fn total_balance(app_client: &reqwest::Client, api: &str, people: &[Person]) -> i64 {
    let mut total = 0;
    for person in people {
        let body: serde_json::Value = app_client
            .get(format!("{api}/accounts/{}", person.account))
            .bearer_auth(&person.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        total += body["balance"]["minor_units"].as_i64().unwrap();
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_clients_keep_the_books_balanced() {
    for backend in backends() {
        let app = TestApp::start(backend, crate::harness::test_config()).await;
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550008001", "5000.00").await;
        let mut customers = Vec::new();
        for n in 0..CUSTOMERS {
            let person = app.customer(&format!("+1555001{n:04}")).await;
            app.cash_in(&agent, &person.phone, "100.00").await;
            customers.push(person);
        }
        let before = total_balance(&app.client, &app.api, &customers).await;
        assert_eq!(before, START_BALANCE * CUSTOMERS as i64);
        let succeeded = random_transfers(&app.client, std::slice::from_ref(&app.api), &customers).await;
        assert!(succeeded > 0, "some transfers must succeed");
        assert_eq!(total_balance(&app.client, &app.api, &customers).await, before, "money is neither created nor lost");
        let (clean, stdout, stderr) =
            run_quipu(&[app.storage.cli_args(), vec!["ledger".into(), "verify".into()]].concat(), &[]);
        assert!(clean, "quipu ledger verify on {backend:?}: {stdout}{stderr}");
        assert!(stdout.contains("clean"), "{stdout}");
        app.finish().await;
    }
}

/// A `quipu serve` process, stopped with [`Process::terminate`].
struct Process {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    api: String,
}

impl Process {
    fn serve(args: &[String], port: u16) -> Self {
        let child = std::process::Command::new(crate::harness::quipu_binary())
            .args(args)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("QUIPU_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        Self { child, addr, api: format!("http://{addr}/api/v1") }
    }

    fn client(&self) -> Api {
        Api::new(self.addr)
    }

    async fn wait_ready(&self, client: &reqwest::Client) {
        let ready = self.api.replace("/api/v1", "/readyz");
        for _ in 0..300 {
            if client.get(&ready).send().await.is_ok_and(|r| r.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("quipu serve did not become ready");
    }

    /// Graceful stop: SIGTERM, then wait for a clean exit.
    fn terminate(mut self) -> bool {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        self.child.wait().map(|status| status.success()).unwrap_or(false)
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A config file with cheap password hashing, for processes started by tests.
pub fn config_file(dir: &std::path::Path) -> String {
    let path = dir.join("quipu.toml");
    std::fs::write(&path, "currencies = [\"USD\"]\n[security]\nargon2_memory_kib = 64\nargon2_iterations = 1\nauth_requests_per_minute = 0\n")
        .unwrap();
    path.display().to_string()
}

/// Two `quipu serve` processes on one fresh PostgreSQL database, with an operator (+15559990001,
/// `staff-password`) made by the CLI: the processes, and the arguments that reach the database.
struct SharedDatabase {
    database: PgDatabase,
    _dir: tempfile::TempDir,
    args: Vec<String>,
    a: Process,
    b: Process,
}

impl SharedDatabase {
    async fn start() -> Self {
        let database = PgDatabase::create().await;
        let dir = tempfile::tempdir().unwrap();
        let args =
            vec!["--config".to_owned(), config_file(dir.path()), "--database-url".to_owned(), database.url.clone()];
        let operator = ["admin", "create-operator", "--phone", "+15559990001", "--name", "Op"].map(String::from);
        let (created, _, stderr) =
            run_quipu(&[args.clone(), operator.to_vec()].concat(), &[("QUIPU_ADMIN_PASSWORD", "staff-password")]);
        assert!(created, "{stderr}");
        let (a, b) = (Process::serve(&args, free_port()), Process::serve(&args, free_port()));
        let client = reqwest::Client::new();
        a.wait_ready(&client).await;
        b.wait_ready(&client).await;
        Self { database, _dir: dir, args, a, b }
    }

    /// Stops both processes cleanly, then `quipu ledger verify` must find the ledger clean.
    async fn stop_and_verify(self) {
        assert!(self.a.terminate(), "process A exits cleanly on SIGTERM");
        assert!(self.b.terminate(), "process B exits cleanly on SIGTERM");
        let (clean, stdout, stderr) = run_quipu(&[self.args, vec!["ledger".into(), "verify".into()]].concat(), &[]);
        assert!(clean, "{stdout}{stderr}");
        self.database.drop_database().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_postgres() {
    if postgres_url().is_none() {
        assert!(!backends().contains(&Backend::Postgres));
        return;
    }
    let shared = SharedDatabase::start().await;
    let client = reqwest::Client::new();
    let (api_a, api_b) = (shared.a.client(), shared.b.client());

    // Setup is spread over both processes: sessions and accounts live in the shared database.
    let operator = api_a.login("+15559990001", "staff-password").await;
    let agent = api_b.agent(&operator, "+15550009001", "5000.00").await;
    let mut customers = Vec::new();
    for n in 0..CUSTOMERS {
        let api = if n % 2 == 0 { &api_a } else { &api_b };
        let person = api.customer(&format!("+1555002{n:04}")).await;
        api.cash_in(&agent, &person.phone, "100.00").await;
        customers.push(person);
    }
    let before = total_balance(&client, &shared.a.api, &customers).await;
    let succeeded = random_transfers(&client, &[shared.a.api.clone(), shared.b.api.clone()], &customers).await;
    assert!(succeeded > 0);
    assert_eq!(total_balance(&client, &shared.b.api, &customers).await, before, "money is neither created nor lost");
    shared.stop_and_verify().await;
}

/// A market over both processes: an area, a grocery delivering to it (its minimum for delivery
/// is 2.00), a milk of 1.50 with 100 counted, and a customer with 100.00. `n` keeps phones apart.
struct RaceMarket {
    operator: String,
    area: String,
    shop: crate::harness::Shop,
    milk: String,
    customer: crate::harness::Person,
}

impl RaceMarket {
    async fn set_up(api_a: &Api, api_b: &Api, name: &str, n: u32) -> Self {
        use crate::harness::market::{product, seller};
        let operator = api_a.login("+15559990001", "staff-password").await;
        let (status, area) = api_a.post("/operator/market/areas", Some(&operator), json!({"name": "Mapo"})).await;
        assert_eq!(status, 201, "{area}");
        let area = area["id"].as_str().unwrap().to_owned();
        let shop = crate::harness::shop(api_a, &operator, name, 800 + n, 200).await;
        seller(api_b, &operator, &shop, &area, "grocery").await;
        let milk = json!({"name_en": "Milk", "category": "dairy", "price": "1.50", "unit": "each", "stock": 100});
        let milk = product(api_a, &shop, milk).await;
        let agent = api_b.agent(&operator, &format!("+155500098{n:02}"), "1000.00").await;
        let customer = api_a.customer(&format!("+155500298{n:02}")).await;
        api_b.cash_in(&agent, &customer.phone, "100.00").await;
        Self { operator, area, shop, milk, customer }
    }
}

/// Orders handed over by two processes at once (a shop with two tills on two servers): each is
/// completed and its hold captured exactly once; the other till is told it moved meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_racing_to_hand_over_an_order_capture_it_once() {
    use crate::harness::market::{add, checkout, pickup, wallet};
    const ORDERS: usize = 6;
    if postgres_url().is_none() {
        return;
    }
    let shared = SharedDatabase::start().await;
    let (api_a, api_b) = (shared.a.client(), shared.b.client());
    let RaceMarket { shop, milk, customer, .. } = RaceMarket::set_up(&api_a, &api_b, "Race Mart", 1).await;
    let mut orders = Vec::new();
    for n in 0..ORDERS {
        add(&api_a, &customer, &milk, 1).await;
        let body = json!({"payment": wallet("1234"), "fulfilments": [pickup(&shop.id)]});
        let (status, placed) = checkout(&api_b, &customer, &format!("race-{n}"), body).await;
        assert_eq!(status, 201, "{placed}");
        let order = placed[0]["id"].as_str().unwrap().to_owned();
        let path = format!("/merchant/orders/{order}");
        let (status, body) =
            api_a.post(&format!("{path}/accept"), Some(&shop.cashier), json!({"ready_minutes": 5})).await;
        assert_eq!(status, 200, "{body}");
        for step in ["preparing", "ready"] {
            let (status, body) = api_b.post(&format!("{path}/{step}"), Some(&shop.cashier), json!({})).await;
            assert_eq!(status, 200, "{body}");
        }
        orders.push(order);
    }
    for order in &orders {
        let path = format!("/merchant/orders/{order}/hand-over");
        let code = crate::harness::market::code_of(&api_a, &customer, order).await;
        let (first, second) = tokio::join!(
            api_a.post(&path, Some(&shop.cashier), json!({"code": code})),
            api_b.post(&path, Some(&shop.owner), json!({"code": code}))
        );
        let mut statuses = [first.0, second.0];
        statuses.sort_unstable();
        assert!(statuses[0] == 200 && matches!(statuses[1], 200 | 409), "{first:?} {second:?}");
        let (_, seen) = api_b.get(&format!("/me/orders/{order}"), &customer.token).await;
        assert_eq!((seen["status"].as_str(), seen["captured"]["amount"].as_str()), (Some("completed"), Some("1.50")));
    }
    // Six orders of 1.50, each taken once.
    let (_, account) = api_a.get(&format!("/accounts/{}", customer.account), &customer.token).await;
    assert_eq!(account["balance"]["minor_units"], 10_000 - 6 * 150, "{account}");
    shared.stop_and_verify().await;
}

/// Fifty couriers, half on each of two processes, claim each of three delivery jobs at once:
/// exactly one wins each job, and every other claim is told someone was first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_couriers_on_two_processes_claim_each_job_once() {
    use crate::harness::delivery::{courier, set_online};
    use crate::harness::market::{add, checkout, wallet};
    const COURIERS: usize = 50;
    const JOBS: usize = 3;
    if postgres_url().is_none() {
        return;
    }
    let shared = SharedDatabase::start().await;
    let (api_a, api_b) = (shared.a.client(), shared.b.client());
    let RaceMarket { operator, area, shop, milk, customer } = RaceMarket::set_up(&api_a, &api_b, "Claim Mart", 2).await;
    let mut couriers = Vec::new();
    for n in 0..COURIERS {
        let api = if n % 2 == 0 { &api_a } else { &api_b };
        let rider =
            courier(api, &operator, &format!("+1555046{n:04}"), json!({"vehicle": "motorbike", "home_area_id": area}))
                .await;
        set_online(api, &rider, true).await;
        couriers.push(rider);
    }
    for n in 0..JOBS {
        add(&api_a, &customer, &milk, 2).await; // the mart's delivery minimum is 2.00
        let fulfilment = json!({"seller_id": shop.id, "kind": "delivery", "area_id": area, "address": "Building 1"});
        let (status, placed) = checkout(
            &api_b,
            &customer,
            &format!("claim-{n}"),
            json!({"payment": wallet("1234"), "fulfilments": [fulfilment]}),
        )
        .await;
        assert_eq!(status, 201, "{placed}");
        let order = placed[0]["id"].as_str().unwrap().to_owned();
        let (status, body) = api_a
            .post(&format!("/merchant/orders/{order}/accept"), Some(&shop.cashier), json!({"ready_minutes": 5}))
            .await;
        assert_eq!(status, 200, "{body}");
        let (status, job) = api_b.get(&format!("/merchant/orders/{order}/delivery"), &shop.owner).await;
        assert_eq!(status, 200, "{job}");
        let path = format!("/courier/jobs/{}/claim", job["id"].as_str().unwrap());
        let mut claims = tokio::task::JoinSet::new();
        for (n, rider) in couriers.iter().enumerate() {
            let api = if n % 2 == 0 { shared.a.client() } else { shared.b.client() };
            let (path, token) = (path.clone(), rider.token.clone());
            claims.spawn(async move { api.post(&path, Some(&token), json!({})).await });
        }
        let answers = claims.join_all().await;
        let won = answers.iter().filter(|(status, _)| *status == 200).count();
        assert_eq!(won, 1, "{answers:?}");
        let lost = |body: &serde_json::Value| body["code"].as_str() == Some("job_taken");
        assert!(answers.iter().all(|(status, body)| *status == 200 || (*status == 409 && lost(body))), "{answers:?}");
        let (_, job) = api_a.get(&format!("/merchant/orders/{order}/delivery"), &shop.owner).await;
        assert_eq!(job["steps"].as_array().unwrap().len(), 2, "offered, then one claim: {job}");
    }
    shared.stop_and_verify().await;
}
