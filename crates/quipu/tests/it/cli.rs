//! The `quipu` binary as a person runs it: verify, backup, data directories,
//! configuration errors, and a graceful shutdown that loses nothing.

use std::sync::Arc;

use quipu_core::identity::{NewWorker, Registration};
use quipu_core::{Principal, Services, SystemClock};
use quipu_domain::identity::{PhoneNumber, Pin, Role};
use quipu_domain::ledger::{AccountKind, TransferCode, TransferCommand, TransferId, TransferOp};
use quipu_domain::money::{Amount, AmountInput};
use quipu_store::AccountOwner;
use serde_json::json;

use crate::concurrency::{config_file, free_port};
use crate::harness::{Storage, backends, login, run_quipu, start_services};

/// Registers a customer straight through the services.
async fn register(services: &Services, phone: &str, name: &str) {
    let registration =
        Registration { login: login(phone, name, "customer-password"), pin: Pin::parse("1234").unwrap() };
    services.identity.register_customer(&registration).await.unwrap();
}

/// Seeds an agent and a funded customer straight through the services.
async fn seed(services: &Services) {
    let operator =
        services.identity.create_staff(Role::Operator, &login("+15559990001", "Op", "staff-password")).await.unwrap();
    let operator = Principal::User { id: operator.id, role: Role::Operator, merchant_id: None };
    let agent = NewWorker { login: login("+15550010001", "Agent", "agent-password"), pin: Pin::parse("9999").unwrap() };
    let agent = services.identity.create_agent(&operator, &agent).await.unwrap();
    let amount = AmountInput { amount: "100.00", currency: None };
    services.wallet.issue(&operator, TransferId(uuid::Uuid::now_v7()), agent.user.id, amount).await.unwrap();
    register(services, "+15550010002", "Customer").await;
    let agent = Principal::User { id: agent.user.id, role: Role::Agent, merchant_id: None };
    let amount = AmountInput { amount: "40.00", currency: None };
    let customer = PhoneNumber::parse("+15550010002").unwrap();
    services.wallet.cash_in(&agent, TransferId(uuid::Uuid::now_v7()), &customer, amount).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_verify_reports_tampering_with_a_non_zero_exit() {
    for backend in backends() {
        let storage = Storage::new(backend).await;
        let (services, background) = start_services(storage.store.clone(), Arc::new(SystemClock)).await;
        seed(&services).await;
        // A hold from the customer's wallet, so hold records exist to tamper with.
        let customer = services.kernel.store.user_by_phone("+15550010002").await.unwrap().unwrap();
        let wallet = services.kernel.store.accounts_of(AccountOwner::User(customer.id)).await.unwrap()[0].clone();
        let fees =
            services.kernel.store.system_account(AccountKind::FeeIncome, wallet.currency).await.unwrap().unwrap();
        let hold = TransferCommand {
            id: TransferId(uuid::Uuid::now_v7()),
            op: TransferOp::Pending {
                debit: wallet.id,
                credit: fees.id,
                amount: Amount::from_minor(500),
                currency: wallet.currency,
                timeout_seconds: None,
            },
            code: TransferCode::P2p,
            reference: "order:1".into(),
            credit_cap: None,
        };
        services.kernel.ledger.submit_one(hold).await.unwrap();
        background.shutdown().await;
        let verify = [storage.cli_args(), vec!["ledger".into(), "verify".into()]].concat();
        let (clean, stdout, stderr) = run_quipu(&verify, &[]);
        assert!(clean, "{stdout}{stderr}");

        let cases = [
            (
                "UPDATE accounts SET credits_posted = credits_posted + 1 WHERE kind = 'customer_wallet'",
                "UPDATE accounts SET credits_posted = credits_posted - 1 WHERE kind = 'customer_wallet'",
                &["derived from transfers", "total posted debits"][..],
            ),
            (
                "UPDATE holds SET state = 'voided'",
                "UPDATE holds SET state = 'open'",
                &["its record disagrees", "open holds"][..],
            ),
            ("UPDATE holds SET amount = 400", "UPDATE holds SET amount = 500", &["its record disagrees"][..]),
        ];
        let mut cases: Vec<(String, String, &[&str])> = cases
            .into_iter()
            .map(|(change, repair, expected)| (change.to_owned(), repair.to_owned(), expected))
            .collect();
        if backend == crate::harness::Backend::Postgres {
            // No foreign key guards transfers' accounts on PostgreSQL (migration 0009); verify does.
            let nowhere = "00000000-0000-0000-0000-000000000001";
            cases.push((
                format!(
                    "UPDATE transfers SET credit_account_id = '{nowhere}' WHERE credit_account_id = '{}'",
                    fees.id.0
                ),
                format!(
                    "UPDATE transfers SET credit_account_id = '{}' WHERE credit_account_id = '{nowhere}'",
                    fees.id.0
                ),
                &["names an account that does not exist"][..],
            ));
        }
        for (change, repair, expected) in &cases {
            let (change, repair) = (change.as_str(), repair.as_str());
            storage.execute(change).await;
            let (clean, stdout, _) = run_quipu(&verify, &[]);
            assert!(!clean, "verify must fail after: {change}");
            for text in expected.iter() {
                assert!(stdout.contains(text), "after {change}, expected {text:?} in: {stdout}");
            }
            // Put it back, so this test too ends on a clean ledger.
            storage.execute(repair).await;
        }
        storage.assert_ledger_clean().await;
        storage.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_makes_a_consistent_copy_and_data_dirs_are_never_guessed() {
    let storage = Storage::new(crate::harness::Backend::Sqlite).await;
    let (services, background) = start_services(storage.store.clone(), Arc::new(SystemClock)).await;
    seed(&services).await;
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join(quipu_server::app::SQLITE_FILE);
    // Online: the services are still running.
    let (ok, stdout, stderr) =
        run_quipu(&[storage.cli_args(), vec!["backup".into(), copy.display().to_string()]].concat(), &[]);
    assert!(ok, "{stdout}{stderr}");
    let (ok, _, stderr) =
        run_quipu(&[storage.cli_args(), vec!["backup".into(), copy.display().to_string()]].concat(), &[]);
    assert!(!ok && stderr.contains("never overwrites"), "{stderr}");
    background.shutdown().await;
    let (clean, stdout, stderr) =
        run_quipu(&["--data-dir".into(), copy_dir.path().display().to_string(), "ledger".into(), "verify".into()], &[]);
    assert!(clean, "{stdout}{stderr}");
    let original = storage.store.ledger_facts().await.unwrap();
    let restored = quipu_store_sqlite::open(&copy, 1).await.unwrap();
    let restored = quipu_store::LedgerStore::ledger_facts(&restored).await.unwrap();
    assert_eq!(original.accounts, restored.accounts, "the copy holds the same balances");

    let missing = copy_dir.path().join("no-such-dir");
    let (ok, _, stderr) =
        run_quipu(&["--data-dir".into(), missing.display().to_string(), "ledger".into(), "verify".into()], &[]);
    assert!(!ok && stderr.contains("does not exist"), "{stderr}");
    assert!(!missing.exists(), "an explicitly given directory is never created");

    let bad_config = copy_dir.path().join("bad.toml");
    std::fs::write(&bad_config, "listen = \"127.0.0.1:1\"\nunknown_key = 1\n").unwrap();
    let (ok, _, stderr) =
        run_quipu(&["--config".into(), bad_config.display().to_string(), "ledger".into(), "verify".into()], &[]);
    assert!(!ok && stderr.contains("unknown_key"), "{stderr}");
    let (ok, _, stderr) = run_quipu(&["--currencies".into(), "USD,ZZZ".into(), "ledger".into(), "verify".into()], &[]);
    assert!(!ok && stderr.contains("currencies"), "{stderr}");
    storage.assert_ledger_clean().await;
}

/// Transfers the SIGTERM test waits to see acknowledged before it stops the server.
const MIN_ACKNOWLEDGED: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_in_flight_transfers_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let args =
        vec!["--config".to_owned(), config_file(dir.path()), "--data-dir".to_owned(), data.display().to_string()];
    {
        let store = Arc::new(quipu_store_sqlite::open(&data.join(quipu_server::app::SQLITE_FILE), 2).await.unwrap());
        let (services, background) = start_services(store.clone(), Arc::new(SystemClock)).await;
        seed(&services).await;
        register(&services, "+15550010003", "Second").await;
        background.shutdown().await;
        store.close().await;
    }
    let port = free_port();
    let mut child = std::process::Command::new(crate::harness::quipu_binary())
        .args(&args)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("QUIPU_LOG", "warn")
        .spawn()
        .unwrap();
    let api = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::new();
    let mut token = None;
    for _ in 0..300 {
        if let Ok(response) = client
            .post(format!("{api}/auth/login"))
            .json(&json!({"phone": "+15550010002", "password": "customer-password"}))
            .send()
            .await
        {
            let body: serde_json::Value = response.json().await.unwrap();
            token = body["token"].as_str().map(str::to_owned);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let token = token.expect("server up");
    // Transfers keep arriving for a while; SIGTERM comes once a few are acknowledged, so it
    // always lands in the middle of traffic, never before it or after it.
    let answered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for n in 0..60 {
        let (client, api, token, answered) = (client.clone(), api.clone(), token.clone(), answered.clone());
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(n * 10)).await;
            let response = client
                .post(format!("{api}/transfers/p2p"))
                .bearer_auth(token)
                .header("idempotency-key", format!("shutdown-{n}"))
                .json(&json!({"to_phone": "+15550010003", "amount": "0.10", "pin": "1234"}))
                .send()
                .await;
            let id = match response {
                Ok(response) if response.status() == 201 => {
                    response.json::<serde_json::Value>().await.ok().and_then(|b| b["id"].as_str().map(str::to_owned))
                }
                _ => None,
            };
            if id.is_some() {
                answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            id
        }));
    }
    let started = std::time::Instant::now();
    while answered.load(std::sync::atomic::Ordering::SeqCst) < MIN_ACKNOWLEDGED
        && started.elapsed() < std::time::Duration::from_secs(30)
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let mut acknowledged = Vec::new();
    for task in tasks {
        if let Some(id) = task.await.unwrap() {
            acknowledged.push(id);
        }
    }
    assert!(
        acknowledged.len() >= MIN_ACKNOWLEDGED,
        "only {} transfers were acknowledged: the test proved nothing about in-flight work",
        acknowledged.len()
    );
    assert!(acknowledged.len() < 60, "every transfer was answered: SIGTERM came after the traffic, not during it");
    assert!(child.wait().unwrap().success(), "graceful exit");
    let store = quipu_store_sqlite::open(&data.join(quipu_server::app::SQLITE_FILE), 1).await.unwrap();
    for id in &acknowledged {
        let id = TransferId(id.parse().unwrap());
        assert!(
            quipu_store::LedgerStore::transfer(&store, id).await.unwrap().is_some(),
            "acknowledged transfer {id} was lost"
        );
    }
    let facts = quipu_store::LedgerStore::ledger_facts(&store).await.unwrap();
    assert!(quipu_domain::verify::verify(&facts).is_clean());
    eprintln!("{} of 60 transfers were acknowledged before shutdown; all are on disk", acknowledged.len());
}
