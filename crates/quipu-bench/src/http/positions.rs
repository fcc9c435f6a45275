//! Couriers' positions beside a charge load: positions are not money, and must not slow it. Each
//! run first puts [`COURIERS`] couriers on jobs through the API as a shop's day would (a shopper
//! checks out a delivery with their PIN, the shop accepts, a courier goes online and claims the
//! job), then offers charges at one rate and position batches (one fix each, as a phone sends
//! them every few seconds) at another, at once. The charges are measured exactly as a charge run
//! alone, so the two p99s compare; the positions row says how many the server absorbed.

use std::sync::Arc;

use quipu_core::kernel::text::rfc3339;
use quipu_core::{Clock, SystemClock};
use quipu_domain::Timestamp;
use quipu_domain::delivery::job::JobStatus;
use quipu_domain::delivery::{CourierState, JobId, Vehicle};
use quipu_domain::identity::{MerchantId, Role, UserId};
use quipu_domain::ledger::AccountKind;
use quipu_domain::market::AreaId;
use quipu_domain::market::checkout::OrderId;
use quipu_domain::market::storefront::DeliveryTerms;
use quipu_domain::money::Amount;
use quipu_server::Fallible;
use quipu_store::delivery::CourierRecord;
use quipu_store::market::{AreaRecord, SellerAreaRecord};
use quipu_store::{AccountOwner, Enrollment, Store};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use uuid::Uuid;

use super::{Hashes, Network, PIN, Prepared, USD, open_session, user};
use crate::new_account;

/// Couriers on a job during a positions run: each sends a fix every `COURIERS / rate` seconds.
pub const COURIERS: usize = 50;
/// Where the bench's couriers start: one fix a step moves them about a metre north.
const START: (f64, f64) = (37.5563, 126.9220);
const STEP_DEGREES: f64 = 0.000_01;

/// A courier the bench seeded: their session.
pub(super) struct BenchCourier {
    auth: HeaderValue,
}

/// The delivery area every bench seller serves, and the couriers who work there.
pub(super) struct Fleet {
    pub(super) area: AreaId,
    pub(super) couriers: Vec<BenchCourier>,
}

/// One area, every till's seller delivering to it, and `count` couriers (online later, by the API).
pub(super) async fn seed_fleet(
    store: &Arc<dyn Store>,
    sellers: &[MerchantId],
    count: usize,
    hashes: &Hashes,
    ttl_seconds: i64,
    now: Timestamp,
) -> Fallible<Fleet> {
    let area = AreaId(Uuid::now_v7());
    store.create_area(&AreaRecord { id: area, name: "Bench area".to_owned(), created_at: now }).await?;
    let terms = DeliveryTerms { fee: Amount::from_minor(100), minimum_order: Amount::ZERO, free_from: None };
    for seller in sellers {
        let Some(record) = store.seller(*seller).await? else { continue };
        store.save_seller(&record, &[SellerAreaRecord { area, terms }]).await?;
    }
    let mut couriers = Vec::with_capacity(count);
    for index in 0..count {
        let record = user(Role::Courier, format!("+2556{index:08}"), hashes, None, now);
        let wallet = new_account(AccountOwner::User(record.id), AccountKind::CustomerWallet, USD.code, now);
        let id: UserId = record.id;
        store.enroll(&Enrollment { users: vec![record], accounts: vec![wallet], ..Enrollment::default() }).await?;
        let courier = CourierRecord {
            user: id,
            vehicle: Vehicle::Motorbike,
            home_area: Some(area),
            only_for: None,
            state: CourierState::Offline,
            position: None,
            created_at: now,
            updated_at: now,
        };
        store.insert_courier(&courier).await?;
        couriers.push(BenchCourier { auth: open_session(store.clone(), id, ttl_seconds, now).await? });
    }
    Ok(Fleet { area, couriers })
}

/// A courier on a job: where their phone sends fixes.
#[derive(Clone)]
pub(super) struct OnJob {
    auth: HeaderValue,
    url: String,
}

impl Network {
    /// Puts every courier on a job of their own through the API, before the measured window:
    /// shopper `n` checks out a delivery from the next shelf's seller, the seller accepts, and
    /// courier `n` goes online and claims its job. `base` is the server's API root.
    pub(super) async fn put_couriers_on_jobs(&self, base: &str, run: &str) -> Fallible<Vec<OnJob>> {
        let Some(fleet) = &self.fleet else { return Ok(Vec::new()) };
        let client = reqwest::Client::builder().no_proxy().build()?;
        let json = HeaderValue::from_static("application/json");
        let mut on_job = Vec::with_capacity(fleet.couriers.len());
        for (index, courier) in fleet.couriers.iter().enumerate() {
            let shopper = self.senders.get(index).ok_or("fewer shoppers than couriers")?;
            let shelf = self.shelves.get(index % self.shelves.len().max(1)).ok_or("no shelves")?;
            let till = self.tills.iter().find(|till| till.merchant == shelf.seller).ok_or("a shelf without a till")?;
            let post = |path: String, auth: &HeaderValue, body: String| {
                client
                    .post(format!("{base}{path}"))
                    .header(AUTHORIZATION, auth.clone())
                    .header(CONTENT_TYPE, json.clone())
                    .body(body)
            };
            let cart = format!(r#"{{"product_id":"{}","quantity":1}}"#, shelf.product.0);
            expect(post("/me/cart/lines".into(), shopper, cart).send().await?, 200, "a cart line").await?;
            let checkout = format!(
                r#"{{"payment":{{"method":"wallet","pin":"{PIN}"}},"fulfilments":[{{"seller_id":"{}","kind":"delivery","area_id":"{}","address":"Bench lane {index}"}}]}}"#,
                shelf.seller.0, fleet.area.0
            );
            let placed = post("/me/checkout".into(), shopper, checkout)
                .header("idempotency-key", format!("{run}-delivery-{index}"))
                .send()
                .await?;
            let placed = expect(placed, 201, "a delivery checkout").await?;
            // The answer is the checkout's orders, the one order's id first.
            let order = placed
                .split(r#""id":""#)
                .nth(1)
                .and_then(|rest| rest.get(..36))
                .and_then(|id| Uuid::parse_str(id).ok())
                .ok_or("a checkout without an order")?;
            let accept = post(format!("/merchant/orders/{order}/accept"), &till.auth, r#"{"ready_minutes":10}"#.into());
            expect(accept.send().await?, 200, "the shop's acceptance").await?;
            let online = client
                .put(format!("{base}/courier/status"))
                .header(AUTHORIZATION, courier.auth.clone())
                .header(CONTENT_TYPE, json.clone())
                .body(r#"{"online":true}"#);
            expect(online.send().await?, 200, "a courier going online").await?;
            let job = JobId::of_order(OrderId(order));
            let claimed = post(format!("/courier/jobs/{job}/claim"), &courier.auth, "{}".into()).send().await?;
            let claimed = expect(claimed, 200, "a claim").await?;
            if !claimed.contains(&format!(r#""status":"{}""#, JobStatus::Claimed)) {
                return Err(format!("a claim answered {claimed}").into());
            }
            on_job.push(OnJob { auth: courier.auth.clone(), url: format!("{base}/courier/jobs/{job}/positions") });
        }
        Ok(on_job)
    }
}

/// Batch `index` of a run: the next courier's next fix, stamped now, a step on from their last.
pub(super) fn position(couriers: &[OnJob], index: usize) -> Option<Prepared> {
    let courier = couriers.get(index % couriers.len().max(1))?;
    let step = (index / couriers.len().max(1)) as f64;
    let at = rfc3339(SystemClock.now());
    let body = format!(
        r#"{{"positions":[{{"at":"{at}","latitude":{:.6},"longitude":{:.6}}}]}}"#,
        START.0 + step * STEP_DEGREES,
        START.1
    );
    Some(Prepared { auth: courier.auth.clone(), body, amount: 0, cart: None, url: Some(courier.url.clone()) })
}

/// The answer's body, if its status is the one expected.
async fn expect(response: reqwest::Response, status: u16, what: &str) -> Fallible<String> {
    let got = response.status().as_u16();
    let body = response.text().await?;
    if got != status {
        return Err(format!("positions set-up: {what} answered {got}: {body}").into());
    }
    Ok(body)
}
