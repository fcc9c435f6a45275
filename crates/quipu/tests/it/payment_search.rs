//! An owner finds payments by the shop's days, state, till and amount, on every backend, through
//! the API and on the console, and downloads what was found as CSV.

use serde_json::{Value, json};

use crate::harness::shop;
use crate::harness::{TestApp, on_each_backend};

async fn found(app: &TestApp, token: &str, query: &str) -> (u16, Value) {
    app.get(&format!("/merchant/payments?{query}"), token).await
}

fn amounts(page: &Value) -> Vec<&str> {
    page["payments"]
        .as_array()
        .map_or_else(Vec::new, |p| p.iter().filter_map(|p| p["amount"]["amount"].as_str()).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_finds_payments_by_day_state_till_and_amount_and_downloads_them() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550350001", "500.00").await;
        let market = shop(app, &operator, "Search Market", 350, 0).await;
        let (status, card) = app.post_key("/agent/cards", &agent.token, "search-card", json!({"pin": "4321"})).await;
        assert_eq!(status, 201, "{card}");
        let top_up = json!({"number": card["number"], "amount": "100.00"});
        assert_eq!(app.post_key("/agent/cards/top-up", &agent.token, "search-top-up", top_up).await.0, 201);
        let mut ids = Vec::new();
        for (n, (amount, till)) in [("5.00", "Till 1"), ("20.00", "Till 2"), ("50.00", "Till 1")].iter().enumerate() {
            let sale = json!({"number": card["number"], "pin": "4321", "amount": amount, "till": till});
            let (status, paid) =
                app.post_key("/merchant/card-payments", &market.cashier, &format!("s-{n}"), sale).await;
            assert_eq!(status, 201, "{paid}");
            ids.push(paid["id"].as_str().unwrap().to_owned());
        }
        let refund = json!({"reason": "returned unopened"});
        let path = format!("/merchant/payments/{}/refunds", ids[0]);
        assert_eq!(app.post_key(&path, &market.owner, "search-refund", refund).await.0, 201);

        let owner = &market.owner;
        assert_eq!(amounts(&found(app, owner, "").await.1), ["50.00", "20.00", "5.00"]);
        assert_eq!(amounts(&found(app, owner, "till=Till%201").await.1), ["50.00", "5.00"]);
        assert_eq!(amounts(&found(app, owner, "min_amount=10").await.1), ["50.00", "20.00"]);
        assert_eq!(amounts(&found(app, owner, "min_amount=10&max_amount=20.00").await.1), ["20.00"]);
        assert_eq!(amounts(&found(app, owner, "status=refunded").await.1), ["5.00"]);
        assert_eq!(amounts(&found(app, owner, "status=completed&till=Till%201").await.1), ["50.00"]);
        // Days are the shop's: today holds all three, the day after none.
        let (_, summary) = app.get("/merchant/summary", owner).await;
        let today = summary["date"].as_str().unwrap().to_owned();
        assert_eq!(amounts(&found(app, owner, &format!("from={today}&to={today}")).await.1).len(), 3);
        let next = chrono_next(&today);
        assert!(amounts(&found(app, owner, &format!("from={next}")).await.1).is_empty());
        // Paging keeps the search.
        let (_, first) = found(app, owner, "till=Till%201&limit=1").await;
        assert_eq!(amounts(&first), ["50.00"]);
        let cursor = first["next_cursor"].as_str().unwrap();
        assert_eq!(amounts(&found(app, owner, &format!("till=Till%201&limit=1&cursor={cursor}")).await.1), ["5.00"]);
        // What cannot be a search is refused, in words.
        for (query, code) in [
            ("from=2026-02-01&to=2026-01-01", "invalid_date_range"),
            ("min_amount=30&max_amount=10", "invalid_amount_range"),
            ("status=lost", "invalid_status"),
            ("from=yesterday", "invalid_date"),
        ] {
            let (status, body) = found(app, owner, query).await;
            assert!(status == 400 || status == 422, "{query}: {status} {body}");
            assert_eq!(body["code"], json!(code), "{query}: {body}");
        }

        // The console finds the same, and downloads it as CSV with the shop's local times.
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let cookie = crate::web::signed_in(&client, &app.base(), "+15550700350", "owner-password").await;
        let page = client.get(format!("{}/merchant/?till=Till+2", app.base())).header("cookie", &cookie).send().await;
        let page = page.unwrap().text().await.unwrap();
        assert!(page.contains("20.00 USD") && !page.contains("50.00 USD"), "{page}");
        assert!(page.contains("href=\"/merchant/payments.csv?till=Till+2\""), "{page}");
        let csv = client.get(format!("{}/merchant/payments.csv?min_amount=10", app.base())).header("cookie", &cookie);
        let csv = csv.send().await.unwrap();
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = csv.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(lines[0].starts_with("local_time,created_at,payment_id,status"), "{csv}");
        assert!(lines[1].contains(&ids[2]) && lines[1].contains(",50.00,") && lines[1].contains("Till 1"), "{csv}");
        assert!(lines[1].starts_with(&format!("{today} ")), "the shop's local day and time first: {csv}");
        let refused = client.get(format!("{}/merchant/?from=someday", app.base())).header("cookie", &cookie);
        let refused = refused.send().await.unwrap().text().await.unwrap();
        assert!(refused.contains("class=\"error\""), "a refused search says why: {refused}");
        let cashier = crate::web::signed_in(&client, &app.base(), "+15550710350", "cashier-password").await;
        let theirs = client.get(format!("{}/merchant/payments.csv", app.base())).header("cookie", &cashier);
        assert_ne!(theirs.send().await.unwrap().status(), 200, "the shop's payments are the owner's to download");
    })
    .await;
}

/// The day after a YYYY-MM-DD date.
fn chrono_next(date: &str) -> String {
    let parsed = quipu_domain::zone::LocalDate::parse(date).unwrap();
    parsed.next().unwrap().to_string()
}
