//! Signing up on the wallet's page is one service call: the customer, their wallet and the bank
//! account they top up from are written together or not at all, and the person is signed in.

use quipu_store::{Enrollment, FundingSourceRecord, UserRecord};

use crate::forms::{client, field, set_cookie};
use crate::harness::{TestApp, on_each_backend};

const PHONE: &str = "+15550600001";

/// Posts the sign-up form as a browser would (the page first, for its cookie and token); the status,
/// the session cookie if one was set, and the page.
async fn sign_up(app: &TestApp, bank: &[(&str, &str)]) -> (u16, String, String) {
    let (client, base) = (client(), app.base());
    let shown = client.get(format!("{base}/wallet/signup")).send().await.unwrap();
    let form_cookie = set_cookie(&shown, "quipu_form");
    let csrf = field(&shown.text().await.unwrap(), "csrf");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("phone", PHONE),
        ("full_name", "Noor Haddad"),
        ("password", "noor-password"),
        ("pin", "2468"),
    ];
    form.extend_from_slice(bank);
    let answer = client
        .post(format!("{base}/wallet/signup"))
        .header("cookie", format!("{form_cookie}; lang=en"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let session = set_cookie(&answer, "quipu_session");
    (answer.status().as_u16(), session, answer.text().await.unwrap())
}

#[tokio::test]
async fn a_refused_bank_account_leaves_nobody_behind_and_a_good_one_signs_in_with_it() {
    on_each_backend(async |app: &TestApp| {
        // Bank details that do not parse: the page says why, nobody is signed in or left behind.
        let (status, session, page) = sign_up(app, &[("bank_name", "Kookmin"), ("account_number", "12")]).await;
        assert_eq!(status, 400, "{page}");
        assert!(session.is_empty(), "nobody is signed in");
        assert!(page.contains("An account number is 4 to 34 letters or digits."), "{page}");
        assert!(page.contains("value=\"Noor Haddad\"") && !page.contains("2468"), "typed kept, PIN not");
        assert!(app.storage.store.user_by_phone(PHONE).await.unwrap().is_none(), "no half-made account");

        // The same phone signs up again with good details: signed in, the bank account there.
        let (status, session, page) =
            sign_up(app, &[("bank_name", "Kookmin"), ("account_number", "1234-5678-9012")]).await;
        assert_eq!(status, 303, "{page}");
        assert!(session.starts_with("quipu_session=qps_"), "{session}");
        let token = session.trim_start_matches("quipu_session=");
        let (status, sources) = app.get("/me/funding-sources", token).await;
        assert_eq!(status, 200, "{sources}");
        let sources = sources.as_array().unwrap();
        assert_eq!(sources.len(), 1, "{sources:?}");
        assert_eq!(
            (sources[0]["bank_name"].as_str(), sources[0]["account_number"].as_str()),
            (Some("Kookmin"), Some("••••9012"))
        );
        let (status, me) = app.get("/me", token).await;
        assert_eq!((status, me["accounts"].as_array().map(Vec::len)), (200, Some(1)), "{me}");
        let home = client().get(format!("{}/wallet/", app.base())).header("cookie", &session).send().await.unwrap();
        assert_eq!(home.status(), 200);

        // Without a bank account is fine too (most people top up in cash at agents).
        let other = crate::forms::post_form(
            app,
            "lang=en",
            "/wallet/signup",
            "/wallet/signup",
            &[("phone", "+15550600002"), ("full_name", "Ama"), ("password", "ama-password"), ("pin", "1357")],
        )
        .await;
        assert_eq!(other.0, 303, "{}", other.1);
        let ama = app.login("+15550600002", "ama-password").await;
        let (_, sources) = app.get("/me/funding-sources", &ama).await;
        assert_eq!(sources.as_array().map(Vec::len), Some(0), "{sources}");
    })
    .await;
}

/// The store writes an enrollment and its funding sources in one transaction: when the funding
/// source cannot be written, the user and their wallet are not either.
#[tokio::test]
async fn an_enrollment_whose_funding_source_fails_writes_nothing() {
    on_each_backend(async |app: &TestApp| {
        let store = &app.storage.store;
        let amina = app.customer("+15550600011").await;
        let (status, _) = app
            .post(
                "/me/funding-sources",
                Some(&amina.token),
                serde_json::json!({"bank_name": "Shinhan", "account_number": "110-234-567890"}),
            )
            .await;
        assert_eq!(status, 201);
        let taken: UserRecord = store.user_by_phone("+15550600011").await.unwrap().unwrap();
        let existing: Vec<FundingSourceRecord> = store.funding_sources(taken.id).await.unwrap();
        let kernel = &app.services.kernel;
        let user =
            UserRecord { id: quipu_domain::identity::UserId(kernel.new_id()), phone: "+15550600012".into(), ..taken };
        let account = kernel.new_account(
            quipu_store::AccountOwner::User(user.id),
            quipu_domain::ledger::AccountKind::CustomerWallet,
            kernel.settings.currencies.default_currency().code,
        );
        // The same id as a source already written: its insert fails, inside the transaction.
        let clash = FundingSourceRecord { user_id: user.id, ..existing[0].clone() };
        let enrolled = store
            .enroll(&Enrollment {
                users: vec![user],
                accounts: vec![account.clone()],
                funding_sources: vec![clash],
                ..Enrollment::default()
            })
            .await;
        assert!(enrolled.is_err(), "{enrolled:?}");
        assert!(store.user_by_phone("+15550600012").await.unwrap().is_none(), "the user was not written");
        assert!(store.account(account.account.id).await.unwrap().is_none(), "nor their wallet");
    })
    .await;
}
