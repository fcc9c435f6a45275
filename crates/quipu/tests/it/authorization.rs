//! Every resource refuses other users. Someone else's resource answers 404,
//! exactly like a missing one, so ids reveal nothing; a wrong role gets 403.

use quipu_domain::identity::Role;
use serde_json::json;

use crate::harness::on_each_backend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_resource_refuses_other_users() {
    on_each_backend(async |app| {
        let operator = app.operator().await;
        let auditor = app.staff(Role::Auditor, "+15559990002").await;
        let agent = app.agent(&operator, "+15550005001", "100.00").await;
        let other_agent = app.agent(&operator, "+15550005002", "100.00").await;
        let amina = app.customer("+15550006001").await;
        let bruno = app.customer("+15550006002").await;
        app.cash_in(&agent, &amina.phone, "30.00").await;
        let (_, sent) = app
            .post_key("/transfers/p2p", &amina.token, "a-to-b", json!({"to_phone": bruno.phone, "amount": "5.00", "pin": "1234"}))
            .await;
        let transfer = sent["id"].as_str().unwrap().to_owned();

        let (_, merchant) = app
            .post(
                "/operator/merchants",
                Some(&operator),
                json!({"name": "Corner Shop", "owner_phone": "+15550007001", "owner_full_name": "Owner", "owner_password": "owner-password"}),
            )
            .await;
        let merchant_account = merchant["accounts"][0]["id"].as_str().unwrap().to_owned();
        let owner = app.login("+15550007001", "owner-password").await;
        let (status, _) = app
            .post("/merchant/cashiers", Some(&owner), json!({"phone": "+15550007002", "full_name": "Cashier", "password": "cashier-password"}))
            .await;
        assert_eq!(status, 201);
        let cashier = app.login("+15550007002", "cashier-password").await;
        let (_, other_merchant) = app
            .post(
                "/operator/merchants",
                Some(&operator),
                json!({"name": "Other Shop", "owner_phone": "+15550007003", "owner_full_name": "Other", "owner_password": "owner-password"}),
            )
            .await;
        let other_owner = app.login("+15550007003", "owner-password").await;
        let (status, key) = app.post("/merchant/api-keys", Some(&owner), json!({})).await;
        assert_eq!(status, 201, "{key}");
        let api_key = key["key"].as_str().unwrap().to_owned();
        assert!(api_key.starts_with(key["prefix"].as_str().unwrap()));

        // Accounts, histories and statements: only the owner (and, for business accounts, staff).
        let private = [
            (format!("/accounts/{}", amina.account), vec![&amina.token], vec![&bruno.token, &agent.token, &operator, &auditor, &owner, &api_key]),
            (
                format!("/accounts/{}/transactions", amina.account),
                vec![&amina.token],
                vec![&bruno.token, &agent.token, &operator, &auditor, &cashier, &api_key],
            ),
            (format!("/accounts/{}/statement.csv", bruno.account), vec![&bruno.token], vec![&amina.token, &operator, &owner]),
            (format!("/accounts/{}", agent.account), vec![&agent.token, &operator, &auditor], vec![&other_agent.token, &amina.token, &owner]),
            (
                format!("/accounts/{merchant_account}/transactions"),
                vec![&owner, &cashier, &api_key, &operator],
                vec![&other_owner, &amina.token, &agent.token],
            ),
            (format!("/transactions/{transfer}/receipt"), vec![&amina.token, &bruno.token], vec![&agent.token, &operator, &auditor, &owner]),
        ];
        for (path, allowed, refused) in &private {
            for token in allowed {
                let (status, body) = app.get(path, token).await;
                assert_eq!(status, 200, "{path} should be visible: {body}");
            }
            for token in refused {
                let (status, body) = app.get(path, token).await;
                assert_eq!(status, 404, "{path} must be refused: {body}");
                assert_eq!(body["code"], "not_found");
            }
        }
        let (status, _) = app.get(&format!("/accounts/{}", uuid::Uuid::now_v7()), &amina.token).await;
        assert_eq!(status, 404, "a missing account looks the same");

        // Actions reserved to a role.
        let float_body = json!({"agent_id": agent.id, "amount": "1.00"});
        let actions = [
            ("/operator/issuance", float_body.clone(), vec![&agent.token, &amina.token, &auditor, &owner, &api_key]),
            ("/operator/redemption", float_body, vec![&agent.token, &amina.token, &auditor]),
            ("/agent/cash-in", json!({"customer_phone": bruno.phone, "amount": "1.00"}), vec![&amina.token, &operator, &owner, &api_key]),
            (
                "/agent/cash-out",
                json!({"customer_phone": amina.phone, "amount": "1.00", "customer_pin": "1234"}),
                vec![&bruno.token, &operator, &cashier],
            ),
            ("/transfers/p2p", json!({"to_phone": amina.phone, "amount": "1.00", "pin": "9999"}), vec![&agent.token, &operator, &owner, &api_key]),
        ];
        for (path, body, refused) in &actions {
            for (index, token) in refused.iter().enumerate() {
                let (status, problem) = app.post_key(path, token, &format!("authz-{index}"), body.clone()).await;
                assert_eq!(status, 403, "{path} must be refused: {problem}");
            }
        }
        let staff_only = [
            ("/operator/agents", json!({"phone": "+15550005999", "full_name": "X", "password": "agent-password", "pin": "1111"})),
            ("/operator/merchants", json!({"name": "X", "owner_phone": "+15550007999", "owner_full_name": "X", "owner_password": "owner-password"})),
            (&*format!("/operator/accounts/{}/freeze", amina.account), json!({})),
        ];
        for (path, body) in &staff_only {
            for token in [&amina.token, &agent.token, &auditor, &owner] {
                let (status, _) = app.post(path, Some(token), body.clone()).await;
                assert_eq!(status, 403, "{path}");
            }
        }
        for token in [&cashier, &amina.token, &api_key] {
            let (status, _) = app.post("/merchant/api-keys", Some(token), json!({})).await;
            assert_eq!(status, 403);
            let (status, _) = app.post("/merchant/cashiers", Some(token), json!({"phone": "+15550007998", "full_name": "X", "password": "cashier-password"})).await;
            assert_eq!(status, 403);
        }
        for token in [&amina.token, &agent.token, &owner] {
            let (status, _) = app.get("/operator/ledger/verify", token).await;
            assert_eq!(status, 403);
        }
        let (status, _) = app.get("/operator/ledger/verify", &auditor).await;
        assert_eq!(status, 200, "auditors may verify");
        let (_, seen) = app.get("/merchant", &api_key).await;
        assert_eq!(seen["id"], merchant["id"]);
        let (_, seen) = app.get("/merchant", &other_owner).await;
        assert_eq!(seen["id"], other_merchant["id"]);
        let (status, _) = app.get("/merchant", &amina.token).await;
        assert_eq!(status, 403);
        let (status, _) = app.get("/me/funding-sources", &agent.token).await;
        assert_eq!(status, 403);

        // Only the owning merchant's owner revokes a key; a revoked key stops working at once. Another
        // merchant's owner finds no such key (404, like a missing one); other roles may not revoke at all (403).
        let key_id = key["id"].as_str().unwrap();
        for (token, expected) in [(&other_owner, 404), (&cashier, 403), (&amina.token, 403)] {
            let (status, problem) =
                app.request(reqwest::Method::DELETE, &format!("/merchant/api-keys/{key_id}"), Some(token), None, None).await;
            assert_eq!(status, expected, "{problem}");
        }
        let (status, _) = app.request(reqwest::Method::DELETE, &format!("/merchant/api-keys/{key_id}"), Some(&owner), None, None).await;
        assert_eq!(status, 204);
        let (status, problem) = app.get("/merchant", &api_key).await;
        assert_eq!((status, problem["code"].as_str().unwrap()), (401, "invalid_api_key"));
        let (status, _) = app.request(reqwest::Method::DELETE, &format!("/merchant/api-keys/{key_id}"), Some(&owner), None, None).await;
        assert_eq!(status, 404, "already revoked");

        assert_eq!(app.balance(&amina).await, 2500, "no refused action moved money");
    })
    .await;
}
