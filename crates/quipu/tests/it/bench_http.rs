//! `quipu bench`'s end-to-end HTTP scenario at a tiny rate, on every backend.
//! It times nothing here: it proves the instrument counts right, with real
//! authentication, production settings and a clean ledger after each run.

use quipu_bench::BenchOptions;
use quipu_bench::http::{HttpKind, HttpOptions};

use crate::harness::{Backend, backends, postgres_url, quipu_binary};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_http_request_is_answered_and_matches_the_store() {
    let postgres = backends().contains(&Backend::Postgres).then(postgres_url).flatten();
    let scratch = tempfile::tempdir().unwrap();
    // The test's own executable is not `quipu`: every run's server is the built binary.
    let http = HttpOptions {
        charge_rates: vec![20.0],
        p2p_rates: vec![2.0],
        checkout_rates: vec![2.0],
        position_rates: vec![4.0],
        position_charge_rate: 20.0,
        seconds: 1.0,
        max_outstanding: 64,
        server_binary: Some(quipu_binary()),
    };
    let options = BenchOptions {
        payments: 0,
        naive_payments: 0,
        customers: 10,
        merchants: 3,
        concurrency: 1,
        max_batch: 1,
        postgres_url: postgres.clone(),
        http: Some(http.clone()),
        search: None,
    };
    let results = quipu_bench::http::run(&http, &options, scratch.path()).await.unwrap();

    let mut backends = vec!["sqlite"];
    if postgres.is_some() {
        backends.push("postgres");
    }
    let expected: Vec<(&str, HttpKind, u64)> = backends
        .into_iter()
        .flat_map(|backend| {
            [
                (backend, HttpKind::Charge, 20),
                (backend, HttpKind::P2p, 2),
                (backend, HttpKind::Checkout, 2),
                (backend, HttpKind::ChargeBesidePositions, 20),
                (backend, HttpKind::Positions, 4),
            ]
        })
        .collect();
    assert_eq!(results.len(), expected.len(), "{results:#?}");
    for (result, (backend, kind, count)) in results.iter().zip(&expected) {
        assert_eq!((result.backend, result.kind), (*backend, *kind));
        assert_eq!((result.scheduled, result.sent, result.succeeded), (*count, *count, *count), "{result:#?}");
        assert!(result.errors.is_empty() && result.dropped == 0, "{result:#?}");
        assert!(result.ledger_clean, "ledger invariants violated: {result:#?}");
        assert!(result.counts_match && result.stored == *count, "the store disagrees with the 201s: {result:#?}");
        // Positions move no money; everything else does.
        assert_eq!(result.succeeded_minor_units > 0, result.kind != HttpKind::Positions, "{result:#?}");
    }
}
