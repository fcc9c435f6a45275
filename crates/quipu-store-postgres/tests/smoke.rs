#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]
//! Smoke test against a real PostgreSQL. Skipped unless `QUIPU_TEST_POSTGRES_URL`
//! names an admin connection (one allowed to create and drop databases), e.g.
//! `postgres://postgres:postgres@127.0.0.1:5432/postgres`.

use quipu_domain::Timestamp;
use quipu_domain::identity::UserId;
use quipu_domain::ledger::{
    Account, AccountId, AccountKind, Balances, TransferCode, TransferCommand, TransferError, TransferId, TransferKind,
    TransferOp,
};
use quipu_domain::money::{Amount, CurrencyCode};
use quipu_store::{
    AccountOwner, Enrollment, HistoryQuery, IdentityStore, LedgerStore, OperationsStore, OwnedAccount, StoreError,
};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use uuid::Uuid;

const URL_VAR: &str = "QUIPU_TEST_POSTGRES_URL";

fn account(kind: AccountKind, currency: CurrencyCode, now: Timestamp) -> Account {
    Account {
        id: AccountId(Uuid::now_v7()),
        currency,
        kind,
        flags: kind.default_flags(),
        balances: Balances::default(),
        created_at: now,
    }
}

fn command(op: TransferOp, code: TransferCode) -> TransferCommand {
    TransferCommand { id: TransferId(Uuid::now_v7()), op, code, reference: "smoke".to_owned(), credit_cap: None }
}

/// A fresh database, dropped again by [`TempDatabase::drop_now`].
struct TempDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TempDatabase {
    async fn create(admin_url: &str) -> Self {
        let name = format!("quipu_smoke_{}", Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(admin_url).await.expect("connect as admin");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
        admin.close().await.expect("close admin connection");
        let url = url_for_database(admin_url, &name);
        Self { admin_url: admin_url.to_owned(), name, url }
    }

    async fn drop_now(self) {
        let mut admin = PgConnection::connect(&self.admin_url).await.expect("connect as admin");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .execute(&mut admin)
            .await
            .expect("drop database");
        admin.close().await.expect("close admin connection");
    }
}

/// `postgres://user:pw@host:port/db?x=y` → `postgres://user:pw@host:port/<name>?x=y`.
fn url_for_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{server}/{name}{query}")
}

/// Runs `body` against a fresh database and drops the database afterwards, even if `body` panics.
async fn with_database<F, Fut>(test: &str, body: F)
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<(), StoreError>> + Send + 'static,
{
    let Ok(admin_url) = std::env::var(URL_VAR) else {
        eprintln!("skipping the PostgreSQL test {test}: {URL_VAR} is not set");
        return;
    };
    let db = TempDatabase::create(&admin_url).await;
    let outcome = tokio::spawn(body(db.url.clone())).await;
    db.drop_now().await;
    match outcome {
        Ok(result) => result.expect(test),
        Err(join) => std::panic::resume_unwind(join.into_panic()),
    }
}

#[tokio::test]
async fn ledger_round_trip() {
    with_database("ledger_round_trip", run).await;
}

async fn run(url: String) -> Result<(), StoreError> {
    let url = url.as_str();
    let store = quipu_store_postgres::connect(url, 4).await?;
    // A second connect runs the (already applied) migrations again, like a second process starting.
    let second = quipu_store_postgres::connect(url, 1).await?;
    second.close().await;
    assert_eq!(store.backend_name(), "postgres");
    store.ping().await?;

    let usd = CurrencyCode::parse("USD").unwrap();
    let now = Timestamp(1_700_000_000_000_000);
    let user = UserId(Uuid::now_v7());
    let wallet = account(AccountKind::CustomerWallet, usd, now);
    let issuance = account(AccountKind::Issuance, usd, now);
    store
        .enroll(&Enrollment {
            merchant: None,
            users: Vec::new(),
            accounts: vec![
                OwnedAccount { account: wallet.clone(), owner: AccountOwner::User(user) },
                OwnedAccount { account: issuance.clone(), owner: AccountOwner::System },
            ],
            ..Enrollment::default()
        })
        .await?;
    // The same account again is a conflict.
    let again = store
        .enroll(&Enrollment {
            accounts: vec![OwnedAccount { account: issuance.clone(), owner: AccountOwner::System }],
            ..Enrollment::default()
        })
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    let issue = command(
        TransferOp::Posted { debit: issuance.id, credit: wallet.id, amount: Amount::from_minor(500), currency: usd },
        TransferCode::Issuance,
    );
    let reserve = command(
        TransferOp::Pending {
            debit: issuance.id,
            credit: wallet.id,
            amount: Amount::from_minor(100),
            currency: usd,
            timeout_seconds: Some(3600),
        },
        TransferCode::Issuance,
    );
    let post = command(TransferOp::Post { pending_id: reserve.id, amount: None }, TransferCode::Issuance);
    let too_much = command(
        TransferOp::Posted { debit: wallet.id, credit: issuance.id, amount: Amount::from_minor(10_000), currency: usd },
        TransferCode::Redemption,
    );
    let chains =
        vec![vec![issue.clone()], vec![reserve.clone(), post.clone()], vec![issue.clone()], vec![too_much.clone()]];
    let results = store.commit_batch(&chains, now).await?;
    assert_eq!(results.len(), 4);
    let first = results[0].as_ref().expect("issue commits");
    assert!(!first[0].replayed);
    assert_eq!(first[0].transfer.kind, TransferKind::Posted);
    let two_phase = results[1].as_ref().expect("reserve and post commit");
    assert_eq!(two_phase[0].transfer.kind, TransferKind::Pending);
    assert_eq!(two_phase[1].transfer.kind, TransferKind::PostPending);
    assert_eq!(two_phase[1].transfer.amount, Amount::from_minor(100));
    let replay = results[2].as_ref().expect("replay answers");
    assert!(replay[0].replayed);
    assert_eq!(replay[0].transfer, first[0].transfer);
    let refused = results[3].as_ref().expect_err("too much is refused");
    assert_eq!((refused.index, refused.error), (0, TransferError::InsufficientFunds));
    // Timestamps strictly increase.
    assert!(first[0].transfer.timestamp < two_phase[0].transfer.timestamp);
    assert!(two_phase[0].transfer.timestamp < two_phase[1].transfer.timestamp);

    // Replaying from the database (not from within one batch), and settling a stored hold.
    let later = Timestamp(now.0 + 1_000_000);
    let hold = command(
        TransferOp::Pending {
            debit: wallet.id,
            credit: issuance.id,
            amount: Amount::from_minor(50),
            currency: usd,
            timeout_seconds: None,
        },
        TransferCode::Redemption,
    );
    let results = store.commit_batch(&[vec![issue.clone()], vec![hold.clone()]], later).await?;
    let replay = results[0].as_ref().expect("replay answers");
    assert!(replay[0].replayed);
    assert_eq!(replay[0].transfer, first[0].transfer);
    assert!(results[1].is_ok());
    let void = command(TransferOp::Void { pending_id: hold.id }, TransferCode::Redemption);
    let results = store.commit_batch(&[vec![void.clone()]], later).await?;
    let voided = results[0].as_ref().expect("void commits");
    assert_eq!(voided[0].transfer.kind, TransferKind::VoidPending);
    let results = store.commit_batch(&[vec![post.clone()]], later).await?;
    assert!(results[0].as_ref().expect("replayed post")[0].replayed);

    let stored_wallet = store.account(wallet.id).await?.expect("wallet exists");
    assert_eq!(stored_wallet.owner, AccountOwner::User(user));
    assert_eq!(stored_wallet.account.balances.credits_posted, 600);
    assert_eq!(stored_wallet.account.balances.debits_pending, 0);
    assert_eq!(store.transfer(issue.id).await?.expect("stored"), first[0].transfer);
    let history = store
        .history(&HistoryQuery { account: wallet.id, before: None, from: None, to: None, codes: Vec::new(), limit: 10 })
        .await?;
    assert_eq!(history.len(), 5);
    assert!(history.windows(2).all(|w| w[0].timestamp > w[1].timestamp));
    assert_eq!(store.system_account(AccountKind::Issuance, usd).await?.expect("issuance").id, issuance.id);

    let facts = store.ledger_facts().await?;
    let report = quipu_domain::verify::verify(&facts);
    assert!(report.is_clean(), "{:?}", report.violations);
    assert_eq!(facts.accounts.len(), 2);
    assert!(!facts.from_transfers.is_empty());

    assert!(matches!(store.backup(std::path::Path::new("/tmp/nowhere")).await, Err(StoreError::Unsupported(_))));
    store.close().await;
    Ok(())
}

/// Two stores (as two processes would) hammer the same accounts at once:
/// nothing deadlocks, every batch commits, timestamps stay unique and the
/// books still balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers() {
    with_database("concurrent_writers", concurrent).await;
}

async fn concurrent(url: String) -> Result<(), StoreError> {
    const TASKS: usize = 8;
    const BATCHES: usize = 20;
    // Both "processes" start at once and race to run the migrations.
    let (first, second) = tokio::join!(quipu_store_postgres::connect(&url, 4), quipu_store_postgres::connect(&url, 4));
    let (first, second) = (std::sync::Arc::new(first?), std::sync::Arc::new(second?));
    let usd = CurrencyCode::parse("USD").unwrap();
    let now = Timestamp(1_700_000_000_000_000);
    let issuance = account(AccountKind::Issuance, usd, now);
    let wallets: Vec<Account> = (0..3).map(|_| account(AccountKind::CustomerWallet, usd, now)).collect();
    let mut accounts = vec![OwnedAccount { account: issuance.clone(), owner: AccountOwner::System }];
    accounts.extend(
        wallets
            .iter()
            .map(|wallet| OwnedAccount { account: wallet.clone(), owner: AccountOwner::User(UserId(Uuid::now_v7())) }),
    );
    first.enroll(&Enrollment { accounts, ..Enrollment::default() }).await?;

    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = if task % 2 == 0 { first.clone() } else { second.clone() };
        let (issuance, wallets) = (issuance.id, wallets.iter().map(|w| w.id).collect::<Vec<_>>());
        tasks.push(tokio::spawn(async move {
            for batch in 0..BATCHES {
                let wallet = wallets[(task + batch) % wallets.len()];
                let other = wallets[(task + batch + 1) % wallets.len()];
                let reserve = command(
                    TransferOp::Pending {
                        debit: issuance,
                        credit: other,
                        amount: Amount::from_minor(2),
                        currency: usd,
                        timeout_seconds: None,
                    },
                    TransferCode::Issuance,
                );
                let post = command(
                    TransferOp::Post { pending_id: reserve.id, amount: Some(Amount::from_minor(1)) },
                    TransferCode::Issuance,
                );
                let chains = vec![
                    vec![command(
                        TransferOp::Posted {
                            debit: issuance,
                            credit: wallet,
                            amount: Amount::from_minor(3),
                            currency: usd,
                        },
                        TransferCode::Issuance,
                    )],
                    vec![reserve],
                ];
                let results = store.commit_batch(&chains, now).await?;
                assert!(results.iter().all(Result::is_ok), "{results:?}");
                let results = store.commit_batch(&[vec![post]], now).await?;
                assert!(results[0].is_ok(), "{results:?}");
                // A flag update takes the account's row lock alone; it must not deadlock with batches.
                store
                    .update_account_flags(
                        wallet,
                        quipu_domain::ledger::AccountFlags::NONE,
                        quipu_domain::ledger::AccountFlags::FROZEN,
                    )
                    .await?
                    .expect("wallet exists");
            }
            Ok::<(), StoreError>(())
        }));
    }
    for task in tasks {
        task.await.expect("task finished")?;
    }

    let expected = i64::try_from(TASKS * BATCHES).unwrap();
    let issued = first.account(issuance.id).await?.expect("issuance").account.balances;
    assert_eq!(issued.debits_posted, expected * 4);
    assert_eq!(issued.debits_pending, 0);
    let facts = second.ledger_facts().await?;
    assert_eq!(facts.duplicate_timestamps, 0);
    let report = quipu_domain::verify::verify(&facts);
    assert!(report.is_clean(), "{:?}", report.violations);
    first.close().await;
    second.close().await;
    Ok(())
}
