//! Staff helping people, on every backend: the operator finds people and sees their standing but
//! not their money; reading a history needs a grant with a reason; every action lands in the
//! person's access log; locks fall on whoever guessed, and the operator sees who it was.

use reqwest::Method;
use serde_json::{Value, json};

use quipu_domain::identity::Role;

use crate::harness::shop;
use crate::harness::{TestApp, on_each_backend, on_each_backend_with, test_config};

fn actions(log: &Value) -> Vec<String> {
    log["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn operators_find_people_and_see_their_standing_but_not_their_money() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550820001", "100.00").await;
        let amina = app.customer("+15550820002").await;
        app.cash_in(&agent, &amina.phone, "42.00").await;
        let shop = shop(app, &operator, "Panadería 50% Sol", 8201, 0).await;

        let (status, page) = app.get("/operator/people?q=%2B1555082000", &operator).await;
        assert_eq!(status, 200, "{page}");
        let phones: Vec<&str> =
            page["people"].as_array().unwrap().iter().map(|p| p["phone"].as_str().unwrap()).collect();
        assert!(phones.contains(&"+15550820002") && phones.contains(&"+15550820001"), "{page}");
        let (status, page) = app.get("/operator/people?q=test%20cust&role=customer", &operator).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["people"][0]["phone"], "+15550820002", "a part of the name, any case: {page}");
        let (status, page) = app.get("/operator/people?q=50%25%20sol", &operator).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["people"][0]["merchant_name"], "Panadería 50% Sol", "a business name, % literal: {page}");
        let (status, page) = app.get(&format!("/operator/people?q={}", amina.id), &operator).await;
        assert_eq!((status, page["people"].as_array().unwrap().len()), (200, 1), "{page}");
        let (status, page) = app.get("/operator/people?q=Test&limit=1", &operator).await;
        assert_eq!(status, 200, "{page}");
        let cursor = page["next_cursor"].as_str().unwrap();
        let (status, next) = app.get(&format!("/operator/people?q=Test&limit=1&cursor={cursor}"), &operator).await;
        assert_eq!(status, 200, "{next}");
        assert_ne!(next["people"][0]["id"], page["people"][0]["id"], "pages move on");

        // Bad searches, and people who may not search.
        for query in ["", "a", "%25%25", "__", "**", &"x".repeat(101), "Amina%E2%80%AE"] {
            let (status, body) = app.get(&format!("/operator/people?q={query}"), &operator).await;
            assert_eq!((status, body["code"].as_str()), (400, Some("invalid_search")), "{query}: {body}");
        }
        let (status, body) = app.get("/operator/people?q=Test&role=king", &operator).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_role")), "{body}");
        for token in [&amina.token, &agent.token, &shop.owner] {
            let (status, _) = app.get("/operator/people?q=Test", token).await;
            assert_eq!(status, 403);
        }

        // The summary: standing, no balance; an auditor may look too.
        let auditor = app.staff(Role::Auditor, "+15559990002").await;
        for token in [&operator, &auditor] {
            let (status, summary) = app.get(&format!("/operator/people/{}", amina.id), token).await;
            assert_eq!(status, 200, "{summary}");
            assert_eq!(summary["person"]["role"], "customer");
            assert_eq!(summary["tier"], "basic");
            assert_eq!(summary["frozen"], false);
            assert!(!summary.to_string().contains("4200") && !summary.to_string().contains("42.00"), "{summary}");
        }
        let (status, body) = app.get("/operator/people/0190a1b2-0000-7000-8000-000000000000", &operator).await;
        assert_eq!(status, 404, "{body}");
    })
    .await;
}

#[tokio::test]
async fn reading_a_history_needs_a_grant_and_every_read_is_logged_for_the_person() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let auditor = app.staff(Role::Auditor, "+15559990003").await;
        let agent = app.agent(&operator, "+15550820101", "100.00").await;
        let amina = app.customer("+15550820102").await;
        app.cash_in(&agent, &amina.phone, "12.00").await;
        let history = format!("/operator/people/{}/transactions", amina.id);

        let (status, body) = app.get(&history, &auditor).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("access_grant_required")), "{body}");
        let grants = format!("/operator/people/{}/access-grants", amina.id);
        for (reason, hours) in
            [("fraud", json!(null)), ("complaint about a payment", json!(73)), ("complaint", json!(0))]
        {
            let (status, body) = app.post(&grants, Some(&auditor), json!({"reason": reason, "hours": hours})).await;
            assert_eq!(status, 400, "{reason}: {body}");
        }
        let (status, body) =
            app.post(&grants, Some(&agent.token), json!({"reason": "I would like to look around"})).await;
        assert_eq!(status, 403, "{body}");
        let (status, grant) =
            app.post(&grants, Some(&auditor), json!({"reason": "complaint 4411: disputed cash-in"})).await;
        assert_eq!(status, 201, "{grant}");
        let (status, page) = app.get(&history, &auditor).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["entries"][0]["transfer"]["code"], "cash_in", "{page}");
        // The grant is the auditor's, not every operator's.
        let (status, _) = app.get(&history, &operator).await;
        assert_eq!(status, 403);
        // Another person's account cannot be read under this person's grant.
        let (status, _) =
            app.get(&format!("/operator/people/{}/accounts/{}/transactions", amina.id, agent.account), &auditor).await;
        assert_eq!(status, 404);
        let (status, _) =
            app.get(&format!("/operator/people/{}/accounts/{}/transactions", amina.id, amina.account), &auditor).await;
        assert_eq!(status, 200);

        let (status, log) = app.get("/me/access-log", &amina.token).await;
        assert_eq!(status, 200, "{log}");
        assert_eq!(actions(&log), ["history_read", "history_read", "access_granted"], "{log}");
        assert_eq!(log["entries"][0]["reason"], "complaint 4411: disputed cash-in");
        assert_eq!(log["entries"][0]["actor_role"], "auditor");
        assert!(log["entries"][0]["detail"].as_str().unwrap().contains(&amina.account), "what was read: {log}");

        // A grant ends by itself.
        app.clock.advance_seconds(24 * 3600 + 1);
        let (status, body) = app.get(&history, &auditor).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("access_grant_required")), "{body}");
    })
    .await;
}

/// Locks fall on whoever guessed: five wrong PINs at one agent lock that agent out, not the owner and
/// not another agent; twenty from everywhere lock the PIN for all but the owner's own session; the
/// operator sees who did it and lifts it, and the owner reads that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockouts_hurt_the_guesser_more_than_the_owner_and_the_operator_sees_who() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let mut agents = Vec::new();
        for n in 0..5 {
            agents.push(app.agent(&operator, &format!("+1555082021{n}"), "100.00").await);
        }
        let amina = app.customer("+15550820201").await;
        let bruno = app.customer("+15550820202").await;
        app.cash_in(&agents[0], &amina.phone, "20.00").await;
        let cash_out = |agent: usize, key: String, pin: &str| {
            let body = json!({"customer_phone": amina.phone, "amount": "1.00", "customer_pin": pin});
            let token = agents[agent].token.clone();
            async move { app.post_key("/agent/cash-out", &token, &key, body).await }
        };
        for attempt in 1..=5 {
            let (status, body) = cash_out(0, format!("a0-{attempt}"), "0000").await;
            let expected = if attempt < 5 { (403, "wrong_pin") } else { (423, "pin_locked") };
            assert_eq!((status, body["code"].as_str().unwrap()), expected, "attempt {attempt}: {body}");
        }
        let (status, body) = cash_out(0, "a0-right".to_owned(), "1234").await;
        assert_eq!((status, body["code"].as_str()), (423, Some("pin_locked")), "the guesser stays locked out: {body}");
        let (status, body) = cash_out(1, "a1-right".to_owned(), "1234").await;
        assert_eq!(status, 201, "another agent is another source: {body}");
        let send = json!({"to_phone": bruno.phone, "amount": "1.00", "pin": "1234"});
        let (status, body) = app.post_key("/transfers/p2p", &amina.token, "own-1", send.clone()).await;
        assert_eq!(status, 201, "the owner is not locked out: {body}");

        // Twenty wrong from everywhere lock the PIN for everyone but the owner.
        for agent in 1..5 {
            for attempt in 1..=5 {
                let (status, _) = cash_out(agent, format!("a{agent}-{attempt}"), "0000").await;
                assert!(status == 403 || status == 423, "{status}");
            }
        }
        let (status, summary) = app.get(&format!("/operator/people/{}", amina.id), &operator).await;
        assert_eq!(status, 200, "{summary}");
        assert!(summary["pin_locked_until"].is_string(), "locked for all sources: {summary}");
        let sources: Vec<&str> =
            summary["guesses"].as_array().unwrap().iter().map(|g| g["source"].as_str().unwrap()).collect();
        assert_eq!(sources.len(), 5, "every guessing agent is named: {summary}");
        assert!(sources.contains(&format!("user:{}", agents[3].id).as_str()), "{summary}");
        let (status, body) = app.post_key("/transfers/p2p", &amina.token, "own-2", send.clone()).await;
        assert_eq!(status, 201, "the owner's own session still pays: {body}");

        // The operator lifts it with a reason; the owner reads it.
        let unlock = format!("/operator/people/{}/unlock", amina.id);
        let (status, body) = app.post(&unlock, Some(&operator), json!({"secret": "pin", "reason": "ok"})).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_reason")), "{body}");
        let (status, body) = app
            .post(&unlock, Some(&operator), json!({"secret": "face", "reason": "customer at the desk with ID"}))
            .await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_secret")), "{body}");
        let (status, summary) = app
            .post(&unlock, Some(&operator), json!({"secret": "pin", "reason": "customer at the desk with ID"}))
            .await;
        assert_eq!(status, 200, "{summary}");
        assert_eq!(summary["pin_locked_until"], Value::Null);
        assert_eq!(summary["guesses"].as_array().unwrap().len(), 0, "{summary}");
        let (status, body) = cash_out(0, "a0-after-unlock".to_owned(), "1234").await;
        assert_eq!(status, 201, "{body}");
        let (_, log) = app.get("/me/access-log", &amina.token).await;
        assert_eq!(actions(&log), ["pin_unlocked"], "{log}");
    })
    .await;
}

/// Wrong passwords lock the address that sent them; another address still signs in.
#[tokio::test]
async fn wrong_passwords_lock_out_the_address_not_the_person() {
    let mut config = test_config();
    config.http.trust_forwarded_for = true;
    on_each_backend_with(config, async |app: &TestApp| {
        let amina = app.customer("+15550820301").await;
        let login = |address: &'static str, password: &'static str| {
            let request = app
                .client
                .post(format!("{}/auth/login", app.api))
                .header("x-forwarded-for", address)
                .json(&json!({"phone": amina.phone, "password": password}));
            async move { request.send().await.unwrap().status().as_u16() }
        };
        for attempt in 1..=10 {
            let expected = if attempt < 10 { 401 } else { 423 };
            assert_eq!(login("203.0.113.9", "guess-guess").await, expected, "attempt {attempt}");
        }
        assert_eq!(login("203.0.113.9", "customer-password").await, 423, "the guessing address is locked out");
        assert_eq!(login("198.51.100.7", "customer-password").await, 200, "the owner elsewhere is not");
    })
    .await;
}

#[tokio::test]
async fn freezing_a_person_freezes_what_they_hold_and_they_read_why() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550820401", "100.00").await;
        let amina = app.customer("+15550820402").await;
        app.cash_in(&agent, &amina.phone, "5.00").await;
        let freeze = format!("/operator/people/{}/freeze", amina.id);
        let reason = json!({"reason": "fraud report 77 under investigation"});
        let (status, body) = app.post(&freeze, Some(&agent.token), reason.clone()).await;
        assert_eq!(status, 403, "{body}");
        let (status, summary) = app.post(&freeze, Some(&operator), reason.clone()).await;
        assert_eq!((status, summary["frozen"].as_bool()), (200, Some(true)), "{summary}");
        let key = "frozen-cash-in";
        let (status, body) = app
            .post_key("/agent/cash-in", &agent.token, key, json!({"customer_phone": amina.phone, "amount": "1.00"}))
            .await;
        assert_eq!(status, 422, "nothing moves into a frozen wallet: {body}");
        let unfreeze = format!("/operator/people/{}/unfreeze", amina.id);
        let (status, summary) =
            app.post(&unfreeze, Some(&operator), json!({"reason": "investigation closed, no fraud"})).await;
        assert_eq!((status, summary["frozen"].as_bool()), (200, Some(false)), "{summary}");
        let (_, log) = app.get("/me/access-log", &amina.token).await;
        assert_eq!(actions(&log), ["unfrozen", "frozen"], "{log}");
        assert_eq!(log["entries"][1]["reason"], "fraud report 77 under investigation");
        let (status, _) = app.request(Method::GET, "/me/access-log?limit=0", Some(&amina.token), None, None).await;
        assert_eq!(status, 400);
    })
    .await;
}

#[tokio::test]
async fn a_person_takes_everything_quipu_holds_about_them_in_one_call() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550820501", "100.00").await;
        let amina = app.customer("+15550820502").await;
        let bruno = app.customer("+15550820503").await;
        app.cash_in(&agent, &amina.phone, "30.00").await;
        let send = json!({"to_phone": bruno.phone, "amount": "2.50", "pin": "1234", "note": "lunch"});
        assert_eq!(app.post_key("/transfers/p2p", &amina.token, "p2p-export", send).await.0, 201);
        let source = json!({"bank_name": "First Community Bank", "account_number": "0012345678"});
        assert_eq!(app.post("/me/funding-sources", Some(&amina.token), source).await.0, 201);
        let (status, _) = app
            .post_key("/agent/cards", &agent.token, "export-card", json!({"pin": "2580", "holder_phone": amina.phone}))
            .await;
        assert_eq!(status, 201);
        let freeze = json!({"reason": "checking a report, nothing found yet"});
        app.post(&format!("/operator/people/{}/freeze", amina.id), Some(&operator), freeze).await;
        app.post(
            &format!("/operator/people/{}/unfreeze", amina.id),
            Some(&operator),
            json!({"reason": "report closed, all fine"}),
        )
        .await;

        let response = app.client.get(format!("{}/me/export", app.api)).bearer_auth(&amina.token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
        assert_eq!(response.headers()["cache-control"], "no-store");
        let export: Value = response.json().await.unwrap();
        assert_eq!(export["profile"]["user"]["phone"], amina.phone, "{export}");
        assert_eq!(export["tier"], "basic");
        assert_eq!(export["funding_sources"].as_array().unwrap().len(), 1);
        assert_eq!(export["cards"].as_array().unwrap().len(), 1);
        let codes: Vec<&str> = export["transactions"][0]["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["transfer"]["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["p2p", "cash_in"], "{export}");
        assert_eq!(export["access_log"].as_array().unwrap().len(), 2);
        assert_eq!(export["payments"].as_array().unwrap().len(), 0, "no shop payments yet");
        assert_eq!(export["complete"], true);
        assert!(!export.to_string().contains("password_hash") && !export.to_string().contains("$argon2"), "no secrets");
    })
    .await;
}

/// A forgotten password: an agent or two operators hand over a one-time code; it works once, for half
/// an hour, survives five wrong tries at most, ends every session, and the person reads who issued it.
#[tokio::test]
async fn a_reset_code_sets_a_new_password_once() {
    on_each_backend(async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550820601", "100.00").await;
        let amina = app.customer("+15550820602").await;
        let reset = |phone: &str, code: &str, password: &str| {
            let body = json!({"phone": phone, "code": code, "new_password": password});
            async move { app.post("/auth/reset-password", None, body).await }
        };
        let (status, body) = app
            .post(
                "/agent/reset-codes",
                Some(&agent.token),
                json!({"phone": agent.phone, "reason": "agent forgot own password", "customer_pin": "9999"}),
            )
            .await;
        assert_eq!(status, 404, "agents reset customers only: {body}");
        let (status, body) = app
            .post(
                "/agent/reset-codes",
                Some(&amina.token),
                json!({"phone": amina.phone, "reason": "let me reset myself", "customer_pin": "1234"}),
            )
            .await;
        assert_eq!(status, 403, "{body}");
        let at_counter =
            |pin: &str| json!({"phone": amina.phone, "reason": "at the counter with ID", "customer_pin": pin});
        let (status, body) = app.post("/agent/reset-codes", Some(&agent.token), at_counter("0000")).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("wrong_pin")), "the agent cannot take over: {body}");
        let (status, issued) = app.post("/agent/reset-codes", Some(&agent.token), at_counter("1234")).await;
        assert_eq!(status, 201, "{issued}");
        let code = issued["code"].as_str().unwrap().to_owned();
        assert_eq!(code.len(), 10);

        // Five wrong tries spend the code.
        for attempt in 1..=5 {
            let (status, body) = reset(&amina.phone, "0000000000", "a-new-long-password").await;
            assert_eq!((status, body["code"].as_str()), (403, Some("reset_code_invalid")), "try {attempt}: {body}");
        }
        let (status, _) = reset(&amina.phone, &code, "a-new-long-password").await;
        assert_eq!(status, 403, "spent after five wrong tries");

        // A fresh code asked for by one operator and approved by another works once; sessions end;
        // the old password is gone.
        let second = app.staff(Role::Operator, "+15559990661").await;
        let path = format!("/operator/people/{}/reset-codes", amina.id);
        let approve = format!("{path}/approve");
        let (status, asked) =
            app.post(&path, Some(&operator), json!({"reason": "customer called, identity checked"})).await;
        assert_eq!(status, 202, "{asked}");
        let (status, issued) = app.post(&approve, Some(&second), json!({"reason": "approved: ID seen on call"})).await;
        assert_eq!(status, 201, "{issued}");
        let code = issued["code"].as_str().unwrap().to_owned();
        let (status, body) = reset(&amina.phone, &code, "short").await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_password")), "{body}");
        let (status, body) = reset("+15550829999", &code, "a-new-long-password").await;
        assert_eq!((status, body["code"].as_str()), (403, Some("reset_code_invalid")), "an unknown phone: {body}");
        let (status, body) = reset(&amina.phone, &code, "a-new-long-password").await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = app.get("/me", &amina.token).await;
        assert_eq!(status, 401, "the old session ended");
        let (status, _) = reset(&amina.phone, &code, "another-long-password").await;
        assert_eq!(status, 403, "a code works once");
        let (status, _) =
            app.post("/auth/login", None, json!({"phone": amina.phone, "password": "customer-password"})).await;
        assert_eq!(status, 401);
        let token = app.login(&amina.phone, "a-new-long-password").await;
        let (_, log) = app.get("/me/access-log", &token).await;
        assert_eq!(
            actions(&log),
            ["session_after_reset", "reset_code_issued", "reset_requested", "reset_code_issued"],
            "{log}"
        );

        // A code lapses after half an hour.
        app.post(&path, Some(&operator), json!({"reason": "customer called again, ID checked"})).await;
        let (_, issued) = app.post(&approve, Some(&second), json!({"reason": "approved: ID seen again"})).await;
        app.clock.advance_seconds(31 * 60);
        let (status, _) = reset(&amina.phone, issued["code"].as_str().unwrap(), "yet-another-password").await;
        assert_eq!(status, 403, "expired");
    })
    .await;
}
