//! Writes commit without waiting for the disk; whatever may have written is
//! answered only after a durable commit that began after it (the ledger
//! writer's barrier, `LedgerStore::sync`). A durable commit is counted on the
//! ledger clock row, which these tests read behind the store's back.

use serde_json::json;

use crate::harness::on_each_backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_answered_only_after_a_durable_commit() {
    on_each_backend(async |app| {
        let before = app.storage.durable_commits().await;
        // A write that moves no money: nothing else would make it durable.
        let customer = app.customer("+15550070001").await;
        let after_writes = app.storage.durable_commits().await;
        assert!(after_writes > before, "registering and logging in must end in a durable commit");

        // Reads write nothing, so they wait for nothing.
        let (status, _) = app.get("/me", &customer.token).await;
        assert_eq!(status, 200);
        let (status, _) = app.get("/me/transactions", &customer.token).await;
        assert_eq!(status, 200);
        assert_eq!(app.storage.durable_commits().await, after_writes, "a read made a durable commit");

        // A refused write is answered after a barrier too: it may have written (a PIN try, say).
        let (status, _) = app
            .post_key(
                "/transfers/p2p",
                &customer.token,
                "k1",
                json!({"to_phone": "+15550070009", "amount": "1.00", "pin": "9999"}),
            )
            .await;
        assert!(status >= 400);
        assert!(app.storage.durable_commits().await > after_writes, "a refused write must end in a durable commit");

        // The barrier itself: with nothing queued it makes a durable commit of its own.
        let idle = app.storage.durable_commits().await;
        app.services.kernel.ledger.durable().await.unwrap();
        assert_eq!(app.storage.durable_commits().await, idle + 1);
    })
    .await;
}
