//! Merchant integration over real HTTP, on every backend: a till's live
//! event stream (SSE) and signed webhooks delivered through the outbox,
//! retried across a server restart, listed with their attempts, redelivered.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::harness::{Phone, enroll, shop};
use crate::harness::{TestApp, backends, on_each_backend, test_config};

/// Long enough for any event to arrive on a loaded CI machine; only a hang trips it.
const PATIENCE: Duration = Duration::from_secs(20);

/// One Server-Sent Event.
#[derive(Debug)]
struct SseEvent {
    id: String,
    kind: String,
    data: Value,
}

/// A till's open event stream.
struct Till {
    response: reqwest::Response,
    buffer: String,
}

impl Till {
    async fn listen(app: &TestApp, token: &str, query: &str, last_event_id: Option<&str>) -> Self {
        let mut request = app.client.get(format!("{}/merchant/events{query}", app.api)).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self { response, buffer: String::new() }
    }

    /// The next event (keep-alive comments skipped).
    async fn next(&mut self) -> SseEvent {
        tokio::time::timeout(PATIENCE, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    let field = |name: &str| {
                        block.lines().find_map(|l| l.strip_prefix(name)).map(|v| v.trim_start().to_owned())
                    };
                    if let (Some(id), Some(kind), Some(data)) = (field("id:"), field("event:"), field("data:")) {
                        return SseEvent { id, kind, data: serde_json::from_str(&data).unwrap() };
                    }
                    continue;
                }
                let chunk = self.response.chunk().await.unwrap().expect("the stream ended");
                self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
            }
        })
        .await
        .expect("no event arrived")
    }
}

async fn charge_at(app: &TestApp, cashier: &str, phone: &Phone, slot: u8, amount: &str, till: &str) -> Value {
    let key = format!("sale-{}", uuid::Uuid::now_v7());
    let body = json!({"code": phone.code(app, slot), "amount": amount, "till": till});
    let (status, paid) = app.post_key("/merchant/charges", cashier, &key, body).await;
    assert_eq!(status, 201, "{paid}");
    paid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_till_hears_its_payments_live_and_resumes_after_a_dropped_connection() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550095001", "500.00").await;
        let amina = app.customer("+15550095002").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(app, &operator, "Live Shop", 31, 0).await;
        let phone = enroll(app, &amina).await;

        let (status, body) = app.get("/merchant/events", &amina.token).await;
        assert_eq!(status, 403, "a customer has no till stream: {body}");
        let mut till_1 = Till::listen(app, &shop.cashier, "?till=Till%201", None).await;

        let first = charge_at(app, &shop.cashier, &phone, 0, "5.00", "Till 1").await;
        let heard = till_1.next().await;
        assert_eq!(heard.kind, "payment.completed");
        assert_eq!(heard.data["type"], "payment.completed");
        assert_eq!(heard.data["data"]["id"], first["id"]);
        assert_eq!(heard.data["data"]["till"], "Till 1");
        // Till 2's sale is not Till 1's business; Till 1 hears its own next one.
        let other_till = charge_at(app, &shop.cashier, &phone, 1, "6.00", "Till 2").await;
        let second = charge_at(app, &shop.cashier, &phone, 2, "7.00", "Till 1").await;
        let heard_next = till_1.next().await;
        assert_eq!(heard_next.data["data"]["id"], second["id"]);

        // The connection drops; the till reconnects with the last id it saw and loses nothing.
        drop(till_1);
        let mut resumed = Till::listen(app, &shop.owner, "", Some(&heard.id)).await;
        let replayed = [resumed.next().await, resumed.next().await];
        assert_eq!(
            [&replayed[0].data["data"]["id"], &replayed[1].data["data"]["id"]],
            [&other_till["id"], &second["id"]]
        );

        // Above the threshold the till hears the wait, then the approval.
        let waiting = charge_at(app, &shop.cashier, &phone, 3, "30.00", "Till 1").await;
        assert_eq!(resumed.next().await.kind, "payment.awaiting_approval");
        let payment = waiting["id"].as_str().unwrap();
        let (status, body) =
            app.post(&format!("/payments/{payment}/approve"), Some(&amina.token), json!({"pin": "1234"})).await;
        assert_eq!(status, 200, "{body}");
        let approved = resumed.next().await;
        assert_eq!((approved.kind.as_str(), &approved.data["data"]["id"]), ("payment.completed", &waiting["id"]));

        // A refund is heard too.
        let refunds = format!("/merchant/payments/{payment}/refunds");
        let (status, body) = app.post_key(&refunds, &shop.owner, "refund-live", json!({"amount": "1.00"})).await;
        assert_eq!(status, 201, "{body}");
        let refunded = resumed.next().await;
        assert_eq!(
            (refunded.kind.as_str(), &refunded.data["data"]["payment_id"]),
            ("refund.completed", &waiting["id"])
        );
        let (status, body) = app.get("/merchant/events?till=Till*1", &shop.owner).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_till")), "{body}");
    })
    .await;
}

/// A webhook receiver: records what it is sent, answers with a status the test sets.
#[derive(Clone, Default)]
pub(crate) struct Receiver {
    requests: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>,
    pub(crate) answer: Arc<AtomicU16>,
}

impl Receiver {
    pub(crate) async fn start(&self) -> String {
        let this = self.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let this = this.clone();
                async move {
                    this.requests.lock().unwrap().push((headers, body));
                    axum::http::StatusCode::from_u16(this.answer.load(Ordering::SeqCst)).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}/hook")
    }

    pub(crate) async fn wait_for(&self, count: usize) -> Vec<(axum::http::HeaderMap, String)> {
        tokio::time::timeout(PATIENCE, async {
            loop {
                let seen = self.requests.lock().unwrap().clone();
                if seen.len() >= count {
                    return seen;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the webhook did not arrive")
    }
}

/// Checks a delivery's `Quipu-Signature` as a merchant would, with an HMAC of its own.
fn assert_signed(headers: &axum::http::HeaderMap, body: &str, secret: &str) {
    let header = headers["quipu-signature"].to_str().unwrap();
    let (t, v1) = header.split_once(",v1=").unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap()).expect("the signature verifies");
}

async fn deliveries(app: &TestApp, owner: &str, endpoint: &str) -> Vec<Value> {
    let (status, page) = app.get(&format!("/merchant/webhooks/{endpoint}/deliveries"), owner).await;
    assert_eq!(status, 200, "{page}");
    page["deliveries"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_retried_across_a_restart_and_redelivered() {
    for backend in backends() {
        let mut app = TestApp::start(backend, test_config()).await;
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550096001", "500.00").await;
        let amina = app.customer("+15550096002").await;
        app.cash_in(&agent, &amina.phone, "100.00").await;
        let shop = shop(&app, &operator, "Hooked Shop", 32, 0).await;
        let phone = enroll(&app, &amina).await;
        let receiver = Receiver::default();
        receiver.answer.store(500, Ordering::SeqCst);
        let url = receiver.start().await;

        // Owners and API keys manage webhooks; cashiers do not. Bad subscriptions are refused.
        let subscription = json!({"url": url, "events": ["payment.completed", "refund.completed"]});
        let (status, _) = app.post("/merchant/webhooks", Some(&shop.cashier), subscription.clone()).await;
        assert_eq!(status, 403);
        for (body, code) in [
            (json!({"url": "ftp://example.com/hook"}), "invalid_webhook_url"),
            (json!({"url": "not a url"}), "invalid_webhook_url"),
            (json!({"url": url, "events": ["payment.teleported"]}), "unknown_event"),
        ] {
            let (status, problem) = app.post("/merchant/webhooks", Some(&shop.owner), body).await;
            assert_eq!((status, problem["code"].as_str()), (400, Some(code)), "{problem}");
        }
        let (status, created) = app.post("/merchant/webhooks", Some(&shop.owner), subscription).await;
        assert_eq!(status, 201, "{created}");
        let endpoint = created["endpoint"]["id"].as_str().unwrap().to_owned();
        let secret = created["secret"].as_str().unwrap().to_owned();
        let (_, listed) = app.get("/merchant/webhooks", &shop.owner).await;
        assert!(listed[0].get("secret").is_none(), "the secret is shown once: {listed}");

        // The receiver is down (500): the first attempt fails and is scheduled again.
        let paid = charge_at(&app, &shop.cashier, &phone, 0, "4.00", "").await;
        let sent = receiver.wait_for(1).await;
        let (headers, body) = &sent[0];
        assert_signed(headers, body, &secret);
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!((event["type"].as_str(), &event["data"]["id"]), (Some("payment.completed"), &paid["id"]));
        assert_eq!(headers["quipu-event-id"].to_str().unwrap(), event["id"].as_str().unwrap());
        let listed = tokio::time::timeout(PATIENCE, async {
            loop {
                let listed = deliveries(&app, &shop.owner, &endpoint).await;
                if listed[0]["attempts"].as_array().unwrap().len() == 1 {
                    return listed;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap();
        assert_eq!(listed[0]["status"], "pending");
        assert_eq!(listed[0]["attempts"][0]["status_code"], 500);
        assert!(listed[0]["next_attempt_at"].is_string());

        // The server restarts; the receiver recovers; 30 s later (by Quipu's clock) the retry lands.
        app.restart(test_config()).await;
        receiver.answer.store(200, Ordering::SeqCst);
        app.clock.advance_seconds(31);
        let sent = receiver.wait_for(2).await;
        let (headers, body) = &sent[1];
        assert_signed(headers, body, &secret);
        assert_eq!(body, &sent[0].1, "the same event, byte for byte");
        let delivered = tokio::time::timeout(PATIENCE, async {
            loop {
                let listed = deliveries(&app, &shop.owner, &endpoint).await;
                if listed[0]["status"] == "delivered" {
                    return listed;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap();
        let codes: Vec<&Value> =
            delivered[0]["attempts"].as_array().unwrap().iter().map(|a| &a["status_code"]).collect();
        assert_eq!(codes, [&json!(500), &json!(200)]);

        // The merchant asks for it again.
        let event_id = event["id"].as_str().unwrap();
        let redeliver = format!("/merchant/webhooks/{endpoint}/deliveries/{event_id}/redeliver");
        let (status, body) = app.post(&redeliver, Some(&shop.owner), json!({})).await;
        assert_eq!(status, 200, "{body}");
        let sent = receiver.wait_for(3).await;
        assert_eq!(sent[2].0["quipu-event-id"].to_str().unwrap(), event_id);
        let (status, _) = app
            .post(
                &format!("/merchant/webhooks/{endpoint}/deliveries/{}/redeliver", uuid::Uuid::now_v7()),
                Some(&shop.owner),
                json!({}),
            )
            .await;
        assert_eq!(status, 404);

        // Events it did not subscribe to are not queued; a deleted endpoint gets nothing more.
        let (status, _) = app
            .post(
                &format!(
                    "/payments/{}/cancel",
                    charge_at(&app, &shop.cashier, &phone, 1, "25.00", "").await["id"].as_str().unwrap()
                ),
                Some(&amina.token),
                json!({}),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(deliveries(&app, &shop.owner, &endpoint).await.len(), 1, "payment.failed was not subscribed");
        let (status, _) = app
            .request(reqwest::Method::DELETE, &format!("/merchant/webhooks/{endpoint}"), Some(&shop.owner), None, None)
            .await;
        assert_eq!(status, 204);
        charge_at(&app, &shop.cashier, &phone, 2, "3.00", "").await;
        assert_eq!(deliveries(&app, &shop.owner, &endpoint).await.len(), 1, "nothing queued for a deleted endpoint");
        app.finish().await;
    }
}
