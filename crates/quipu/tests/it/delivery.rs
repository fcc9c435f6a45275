//! Delivery on both databases: the operator signs couriers up; a shop's acceptance offers a job to
//! the couriers who work where it goes; one claims it (of fifty claiming at once, exactly one
//! wins); the courier steps it to the door, sending positions the customer and the shop read as a
//! distance, while the shop and the operator read and reassign the job;
//! an order that ends before pickup ends its job, one whose goods a courier has cannot end. Every
//! refusal is a clear problem and `ledger verify` is clean after each story (the harness checks).

use serde_json::{Value, json};

use crate::harness::delivery::{accepted_delivery, courier, set_online};
use quipu_core::kernel::text::rfc3339;

use crate::harness::market::{Market, market};
use crate::harness::{Api, Person, TestApp, on_each_backend};

async fn job_of(app: &TestApp, token: &str, order: &str) -> Value {
    let (status, job) = app.get(&format!("/merchant/orders/{order}/delivery"), token).await;
    assert_eq!(status, 200, "{job}");
    job
}

async fn step(app: &TestApp, courier: &Person, job: &str, to: &str, reason: Option<&str>) -> (u16, Value) {
    app.post(&format!("/courier/jobs/{job}/step"), Some(&courier.token), json!({"to": to, "reason": reason})).await
}

async fn claim(app: &TestApp, courier: &Person, job: &str) -> (u16, Value) {
    app.post(&format!("/courier/jobs/{job}/claim"), Some(&courier.token), json!({})).await
}

fn statuses(job: &Value) -> Vec<String> {
    job["steps"].as_array().unwrap().iter().map(|step| step["to"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn an_accepted_delivery_is_offered_claimed_once_and_stepped_to_the_door() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let rider = courier(app, &m.operator, "+15550440001", json!({"vehicle": "motorbike", "home_area_id": m.area})).await;
        let walker = courier(app, &m.operator, "+15550440002", json!({"vehicle": "foot", "home_area_id": m.area})).await;
        let bakers = courier(app, &m.operator, "+15550440003", json!({"vehicle": "bicycle", "home_area_id": m.area, "only_for": m.bakery.id})).await;
        let (status, bad) = app.post("/operator/couriers", Some(&m.operator), json!({"phone": "+15550440009", "full_name": "X", "password": "courier-password", "pin": "4321", "vehicle": "rocket"})).await;
        assert_eq!((status, bad["code"].as_str()), (400, Some("vehicle_invalid")), "{bad}");
        let nowhere = json!({"phone": "+15550440007", "full_name": "Lost Courier", "password": "courier-password", "pin": "4321", "vehicle": "foot", "home_area_id": uuid::Uuid::nil()});
        let (status, missing) = app.post("/operator/couriers", Some(&m.operator), nowhere).await;
        assert_eq!((status, missing["code"].as_str()), (404, Some("not_found")), "{missing}");
        courier(app, &m.operator, "+15550440007", json!({"vehicle": "foot"})).await;
        let (status, _) = app.post("/operator/couriers", Some(&m.mart.owner), json!({"phone": "+15550440008", "full_name": "X", "password": "courier-password", "pin": "4321", "vehicle": "foot"})).await;
        assert_eq!(status, 403, "only the operator signs couriers up");
        let (status, listed) = app.get("/operator/couriers", &m.operator).await;
        assert_eq!((status, listed.as_array().unwrap().len()), (200, 4), "a refused sign-up wrote no login: {listed}");

        let order = accepted_delivery(app, &m, "delivery-1").await;
        let job = job_of(app, &m.mart.cashier, &order).await;
        assert_eq!((job["status"].as_str(), job["fee"]["amount"].as_str()), (Some("offered"), Some("3.00")), "{job}");
        assert_eq!(job["next_actions"], json!(["assign", "cancel"]));
        let id = job["id"].as_str().unwrap().to_owned();
        let (status, _) = app.get(&format!("/merchant/orders/{order}/delivery"), &m.bakery.owner).await;
        assert_eq!(status, 404, "another shop's job looks missing");

        // Offline couriers see nothing and claim nothing.
        let (status, offers) = app.get("/courier/offers", &rider.token).await;
        assert_eq!((status, offers.as_array().unwrap().len()), (200, 0), "{offers}");
        let (status, offline) = claim(app, &rider, &id).await;
        assert_eq!((status, offline["code"].as_str()), (422, Some("courier_offline")), "{offline}");
        for courier in [&rider, &walker, &bakers] {
            set_online(app, courier, true).await;
        }
        let (_, offers) = app.get("/courier/offers", &rider.token).await;
        assert_eq!(offers.as_array().unwrap().len(), 1, "{offers}");
        assert_eq!((offers[0]["job_id"].as_str(), offers[0]["shop_name"].as_str()), (Some(id.as_str()), Some("Mapo Mart")));
        let (_, offers) = app.get("/courier/offers", &bakers.token).await;
        assert_eq!(offers.as_array().unwrap().len(), 0, "a bakery's courier sees only its jobs: {offers}");
        let (status, _) = claim(app, &bakers, &id).await;
        assert_eq!(status, 404);

        // One claim wins; the next is told someone was first.
        let (status, claimed) = claim(app, &rider, &id).await;
        assert_eq!((status, claimed["status"].as_str()), (200, Some("claimed")), "{claimed}");
        assert_eq!(claimed["courier_id"].as_str(), Some(rider.id.as_str()));
        assert_eq!(claimed["next_actions"], json!(["drop", "arrive_at_pickup"]), "not picked up before the order is ready");
        let (status, again) = claim(app, &rider, &id).await;
        assert_eq!((status, again["status"].as_str()), (200, Some("claimed")), "a retried claim finds the job theirs: {again}");
        let (status, taken) = claim(app, &walker, &id).await;
        assert_eq!((status, taken["code"].as_str()), (409, Some("job_taken")), "{taken}");
        let (status, _) = step(app, &walker, &id, "picked_up", None).await;
        assert_eq!(status, 404, "another courier's job looks missing");
        let (_, offers) = app.get("/courier/offers", &walker.token).await;
        assert_eq!(offers.as_array().unwrap().len(), 0, "a claimed job is offered no more");

        // Goods are picked up once the shop says they are ready.
        let (status, early) = step(app, &rider, &id, "picked_up", None).await;
        assert_eq!((status, early["code"].as_str()), (409, Some("order_not_ready")), "{early}");
        let (status, _) = step(app, &rider, &id, "at_pickup", None).await;
        assert_eq!(status, 200);
        let (status, body) = app.post(&format!("/merchant/orders/{order}/ready"), Some(&m.mart.cashier), json!({})).await;
        assert_eq!(status, 200, "{body}");
        let (status, carried) = step(app, &rider, &id, "picked_up", None).await;
        assert_eq!((status, carried["status"].as_str()), (200, Some("picked_up")), "{carried}");
        track_the_courier(app, &m, &order, &id, &rider, &walker).await;
        let (status, dropped) = step(app, &rider, &id, "offered", None).await;
        assert_eq!((status, dropped["code"].as_str()), (409, Some("job_step_not_allowed")), "no dropping after pickup: {dropped}");

        // Nobody ends an order whose goods a courier has; delivering takes the customer's code.
        let (status, refused) = app.post(&format!("/merchant/orders/{order}/cancel"), Some(&m.mart.cashier), json!({"reason": "out of milk"})).await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("order_with_courier")), "{refused}");
        let (status, refused) = app.post(&format!("/merchant/orders/{order}/hand-over"), Some(&m.mart.cashier), json!({"code": "1234"})).await;
        assert_eq!((status, refused["code"].as_str()), (409, Some("order_delivered_by_courier")), "{refused}");
        let (status, codeless) = step(app, &rider, &id, "delivered", None).await;
        assert_eq!((status, codeless["code"].as_str()), (400, Some("handover_code_required")), "{codeless}");
        let (status, _) = step(app, &rider, &id, "at_drop_off", None).await;
        assert_eq!(status, 200);
        let (status, reasonless) = step(app, &rider, &id, "returning", None).await;
        assert_eq!((status, reasonless["code"].as_str()), (422, Some("reason_required")), "{reasonless}");
        let (status, nonsense) = step(app, &rider, &id, "teleported", None).await;
        assert_eq!((status, nonsense["code"].as_str()), (400, Some("job_step_invalid")), "{nonsense}");

        let (status, job) = app.get(&format!("/jobs/{id}"), &m.operator).await;
        assert_eq!(status, 200, "{job}");
        assert_eq!(statuses(&job), ["offered", "claimed", "at_pickup", "picked_up", "at_drop_off"]);
        assert_eq!(job["steps"][1]["actor"].as_str(), Some("courier"));
        assert_eq!(job["next_actions"], json!(["return"]), "the operator may call carried goods back");
        let (status, mine) = app.get("/courier/jobs?active=true", &rider.token).await;
        assert_eq!(status, 200, "{mine}");
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        let (status, _) = app.get(&format!("/jobs/{id}"), &m.customer.token).await;
        assert_eq!(status, 403, "a customer reads the order, not the job");

        // Housekeeping's three days in a shop's hands do not end an order a courier is carrying:
        // its delivery settles it, and its money stays held.
        app.clock.advance_seconds(quipu_core::market::IN_HAND_SECONDS + 60);
        quipu_core::sweep_once(&app.services, 100).await.unwrap();
        let (_, still) = app.get(&format!("/me/orders/{order}"), &m.customer.token).await;
        assert_eq!(still["status"].as_str(), Some("ready"), "{still}");
        let (_, account) = app.get(&format!("/accounts/{}", m.customer.account), &m.customer.token).await;
        assert_eq!(account["available"]["minor_units"], json!(10_000 - 600), "the hold stands: {account}");
    })
    .await;
}

/// The courier's phone sends positions; the order's customer and shop read how far away the
/// courier is (never where), and nobody else reads anything.
async fn track_the_courier(app: &TestApp, m: &Market, order: &str, job: &str, rider: &Person, walker: &Person) {
    let mine = format!("/me/orders/{order}/delivery");
    let (status, before) = app.get(&mine, &m.customer.token).await;
    assert_eq!(
        (status, before["status"].as_str(), before["metres"].as_u64()),
        (200, Some("picked_up"), None),
        "no position yet: {before}"
    );
    let at = |seconds_ago: i64| rfc3339(app.services.kernel.now().plus_seconds(-seconds_ago));
    let path = format!("/courier/jobs/{job}/positions");
    // About 1.1 km north of the door 30 s ago, then about 560 m 15 s ago.
    let batch = json!({"positions": [
        {"at": at(15), "latitude": 37.5613, "longitude": 126.922},
        {"at": at(30), "latitude": 37.5663, "longitude": 126.922},
    ]});
    let (status, taken) = app.post(&path, Some(&rider.token), batch.clone()).await;
    assert_eq!((status, taken), (200, json!({"kept": 2, "skipped": 0})));
    let (status, again) = app.post(&path, Some(&rider.token), batch.clone()).await;
    assert_eq!((status, again), (200, json!({"kept": 0, "skipped": 2})), "a batch sent twice moves nothing");
    let (status, seen) = app.get(&mine, &m.customer.token).await;
    assert_eq!(status, 200, "{seen}");
    let metres = seen["metres"].as_u64().unwrap_or_else(|| panic!("a fresh position shows a distance: {seen}"));
    assert!((530..590).contains(&metres), "{seen}");
    assert_eq!((seen["minutes"].as_u64(), seen["vehicle"].as_str()), (Some(1), Some("motorbike")), "{seen}");
    assert!(seen.get("latitude").is_none() && seen.to_string().find("37.56").is_none(), "no coordinates: {seen}");
    let (status, shop) = app.get(&format!("/merchant/orders/{order}/tracking"), &m.mart.cashier).await;
    assert_eq!((status, shop["metres"].as_u64()), (200, Some(metres)), "{shop}");

    // Nobody else reads it; nobody else writes it; bad positions move nothing.
    let stranger = app.customer("+15550440099").await;
    let (status, _) = app.get(&mine, &stranger.token).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&format!("/merchant/orders/{order}/tracking"), &m.bakery.owner).await;
    assert_eq!(status, 404);
    let one = |seconds_ago: i64, latitude: f64| json!({"positions": [{"at": at(seconds_ago), "latitude": latitude, "longitude": 126.922}]});
    let (status, _) = app.post(&path, Some(&walker.token), one(5, 37.56)).await;
    assert_eq!(status, 404, "another courier's job looks missing");
    for (body, expected) in [
        (one(0, 42.0), (422, "position_refused")),     // 500 km in 15 s
        (one(-600, 37.56), (422, "position_refused")), // ten minutes from now
        (one(7200, 37.56), (422, "position_refused")), // two hours old
        (one(5, 91.0), (422, "position_invalid")),
        (
            json!({"positions": [{"at": "yesterday", "latitude": 37.56, "longitude": 126.922}]}),
            (422, "position_invalid"),
        ),
        (json!({"positions": []}), (422, "positions_invalid")),
        (
            json!({"positions": vec![json!({"at": at(5), "latitude": 37.56, "longitude": 126.922}); 61]}),
            (422, "positions_invalid"),
        ),
    ] {
        let (status, refused) = app.post(&path, Some(&rider.token), body.clone()).await;
        assert_eq!((status, refused["code"].as_str()), (expected.0, Some(expected.1)), "{body}: {refused}");
    }
    let (_, unchanged) = app.get(&mine, &m.customer.token).await;
    assert_eq!(unchanged["metres"].as_u64(), Some(metres), "refused batches moved nothing: {unchanged}");
}

#[tokio::test]
async fn dropped_jobs_are_offered_again_staff_reassign_and_ended_orders_end_their_jobs() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let first =
            courier(app, &m.operator, "+15550440011", json!({"vehicle": "bicycle", "home_area_id": m.area})).await;
        let second = courier(app, &m.operator, "+15550440012", json!({"vehicle": "car"})).await;
        let bakers =
            courier(app, &m.operator, "+15550440013", json!({"vehicle": "foot", "only_for": m.bakery.id})).await;
        set_online(app, &first, true).await;

        let order = accepted_delivery(app, &m, "delivery-2").await;
        let id = job_of(app, &m.mart.owner, &order).await["id"].as_str().unwrap().to_owned();
        let (status, _) = claim(app, &first, &id).await;
        assert_eq!(status, 200);
        let (status, dropped) = step(app, &first, &id, "offered", None).await;
        assert_eq!(
            (status, dropped["status"].as_str(), dropped["courier_id"].as_str()),
            (200, Some("offered"), None),
            "{dropped}"
        );

        // The shop gives it to a courier who is not in the area (staff may); not to another shop's own.
        let (status, refused) =
            app.post(&format!("/jobs/{id}/assign"), Some(&m.mart.cashier), json!({"courier_id": bakers.id})).await;
        assert_eq!((status, refused["code"].as_str()), (422, Some("courier_works_elsewhere")), "{refused}");
        let (status, assigned) =
            app.post(&format!("/jobs/{id}/assign"), Some(&m.mart.cashier), json!({"courier_id": second.id})).await;
        assert_eq!((status, assigned["courier_id"].as_str()), (200, Some(second.id.as_str())), "{assigned}");
        let (status, _) = step(app, &first, &id, "at_pickup", None).await;
        assert_eq!(status, 404, "the job is not theirs any more");
        // The operator gives it back to the first before pickup.
        let (status, reassigned) =
            app.post(&format!("/jobs/{id}/assign"), Some(&m.operator), json!({"courier_id": first.id})).await;
        assert_eq!((status, reassigned["courier_id"].as_str()), (200, Some(first.id.as_str())), "{reassigned}");
        let (status, _) =
            app.post(&format!("/jobs/{id}/assign"), Some(&m.bakery.owner), json!({"courier_id": second.id})).await;
        assert_eq!(status, 404, "another shop cannot touch it");

        // The shop cancels the order before pickup: the job ends with it.
        let (status, cancelled) = app
            .post(&format!("/merchant/orders/{order}/cancel"), Some(&m.mart.cashier), json!({"reason": "out of milk"}))
            .await;
        assert_eq!((status, cancelled["status"].as_str()), (200, Some("cancelled")), "{cancelled}");
        let job = job_of(app, &m.mart.owner, &order).await;
        assert_eq!((job["status"].as_str(), job["reason"].as_str()), (Some("cancelled"), Some("out of milk")), "{job}");
        assert_eq!(statuses(&job), ["offered", "claimed", "offered", "claimed", "claimed", "cancelled"]);
        let (status, tracking) = app.get(&format!("/me/orders/{order}/delivery"), &m.customer.token).await;
        assert_eq!((status, tracking["status"].as_str(), tracking["vehicle"].as_str()), (200, Some("cancelled"), None), "{tracking}");
        let (status, late) = app.post(&format!("/courier/jobs/{id}/positions"), Some(&first.token), json!({"positions": [{"at": rfc3339(app.services.kernel.now()), "latitude": 37.56, "longitude": 126.922}]})).await;
        assert_eq!((status, late["code"].as_str()), (422, Some("job_not_under_way")), "{late}");
        let (status, late) = step(app, &first, &id, "at_pickup", None).await;
        assert_eq!((status, late["code"].as_str()), (409, Some("job_step_not_allowed")), "{late}");

        // A pickup order never has a job.
        let (status, cart) = crate::harness::market::add(app, &m.customer, &m.milk, 1).await;
        assert_eq!(status, 200, "{cart}");
        let pickup = crate::harness::market::place(app, &m.customer, &m.mart, "pickup-1").await;
        let (status, _) = app
            .post(&format!("/merchant/orders/{pickup}/accept"), Some(&m.mart.cashier), json!({"ready_minutes": 5}))
            .await;
        assert_eq!(status, 200);
        let (status, _) = app.get(&format!("/merchant/orders/{pickup}/delivery"), &m.mart.cashier).await;
        assert_eq!(status, 404);
    })
    .await;
}

#[tokio::test]
async fn of_fifty_couriers_claiming_one_job_at_once_exactly_one_wins() {
    on_each_backend(async |app| {
        let m = market(app).await;
        let mut couriers = Vec::new();
        for n in 0..50 {
            let courier = courier(
                app,
                &m.operator,
                &format!("+1555045{n:04}"),
                json!({"vehicle": "motorbike", "home_area_id": m.area}),
            )
            .await;
            set_online(app, &courier, true).await;
            couriers.push(courier);
        }
        let order = accepted_delivery(app, &m, "delivery-race").await;
        let id = job_of(app, &m.mart.cashier, &order).await["id"].as_str().unwrap().to_owned();
        let mut claims = tokio::task::JoinSet::new();
        for (n, courier) in couriers.iter().enumerate() {
            let api = Api::new(app.addr());
            let (token, path) = (courier.token.clone(), format!("/courier/jobs/{id}/claim"));
            claims.spawn(async move { (n, api.post(&path, Some(&token), json!({})).await) });
        }
        let answers = claims.join_all().await;
        let winners: Vec<usize> = answers.iter().filter(|(_, (status, _))| *status == 200).map(|(n, _)| *n).collect();
        assert_eq!(winners.len(), 1, "{answers:?}");
        let lost = |body: &Value| body["code"].as_str() == Some("job_taken");
        assert!(
            answers.iter().all(|(_, (status, body))| *status == 200 || (*status == 409 && lost(body))),
            "{answers:?}"
        );
        let winner = winners[0];
        let job = job_of(app, &m.mart.cashier, &order).await;
        assert_eq!(job["courier_id"].as_str(), Some(couriers[winner].id.as_str()));
        assert_eq!(statuses(&job), ["offered", "claimed"], "one claim written");
    })
    .await;
}
