//! The pages speak the person's language about the problem they have: every refusal in their words
//! (Korean in the Korean interface), the problem it is (a hidden character, a fee that is no whole
//! number, hours that are no number, a phone number that is no phone number), the PIN attempts left;
//! phone numbers typed as people dial them at home; a sign-up without a bank account; and the way
//! back in for a forgotten password.

use serde_json::json;

use crate::browser::Browser;
use crate::forms::{client, post_form};
use crate::harness::{TestApp, TestConfig, on_each_backend_with, test_config};
use crate::web_journeys::{click, fill, text, until};

/// A network whose people dial `+1` numbers without it.
fn config() -> TestConfig {
    let mut config = test_config();
    config.settings.default_country_code = Some(quipu_domain::identity::CallingCode::parse("+1").unwrap());
    config
}

/// Whether `script` returns something truthy within a few seconds (no failure if it does not).
async fn within(client: &fantoccini::Client, script: &str) -> bool {
    for _ in 0..50 {
        if client.execute(script, vec![]).await.is_ok_and(|value| value == json!(true)) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// What a person reads: Fluent sets a number apart with invisible isolation marks.
fn read(html: &str) -> String {
    html.replace(['\u{2068}', '\u{2069}'], "")
}

#[tokio::test]
async fn refusals_name_the_problem_in_the_readers_words() {
    on_each_backend_with(config(), async |app: &TestApp| {
        let operator = app.operator().await;
        let amina = app.customer("+15550610021").await;
        let bruno = app.customer("+15550610022").await;
        let agent = app.agent(&operator, "+15550610001", "100.00").await;
        app.cash_in(&agent, &amina.phone, "20.00").await;
        let shop = crate::harness::shop(app, &operator, "Words Shop", 611, 100).await;

        // A bidirectional override in a name is named as what it is, not as a name too long.
        let signup =
            [("phone", "+15550610031"), ("full_name", "Amina\u{202E}gnp.exe"), ("password", "a-long-password")];
        let signup = [signup.as_slice(), &[("pin", "1234")]].concat();
        let (status, page) = post_form(app, "lang=en", "/wallet/signup", "/wallet/signup", &signup).await;
        assert!(status == 400 && page.contains("invisible or text-direction characters"), "{status} {page}");
        assert!(!page.contains("at most 100"), "{page}");
        // In Korean, a refused sign-up reads in Korean.
        let taken =
            [("phone", "(555) 061-0022"), ("full_name", "Bruno"), ("password", "a-long-password"), ("pin", "1234")];
        let (status, page) = post_form(app, "lang=ko", "/wallet/signup", "/wallet/signup", &taken).await;
        assert!(status == 409 && page.contains("이 전화번호로 된 지갑이 이미 있습니다."), "{status} {page}");

        // A phone typed the way it is dialled at home signs in; one that is no phone number says so.
        let client = client();
        let wallet = crate::web::signed_in(&client, &app.base(), "(555) 061-0021", "customer-password").await;
        assert!(wallet.starts_with("quipu_session="), "{wallet}");
        let hostile = [("phone", "555-O61-OO21"), ("password", "customer-password")];
        let (status, page) = post_form(app, "lang=en", "/login", "/login", &hostile).await;
        assert!(status == 400 && page.contains("This is not a phone number we can use."), "{status} {page}");
        assert!(!page.contains("Wrong phone number or password"), "{page}");

        // A wrong PIN says how many attempts are left, on the page and in the API's problem.
        let send = |pin: &'static str| [("to_phone", "555 061 0022"), ("amount", "1.00"), ("pin", pin)];
        let (status, page) = post_form(app, &wallet, "/wallet/send", "/wallet/send", &send("9999")).await;
        assert!(status == 403 && read(&page).contains("Wrong PIN. 4 attempts left before the PIN locks."), "{page}");
        let korean = format!("{wallet}; lang=ko");
        let (_, page) = post_form(app, &korean, "/wallet/send", "/wallet/send", &send("9999")).await;
        assert!(read(&page).contains("PIN이 틀렸습니다. PIN이 잠기기 전까지 3번 더 시도할 수 있습니다."), "{page}");
        let body = json!({"to_phone": bruno.phone, "amount": "1.00", "pin": "9999"});
        let (status, problem) = app.post_key("/transfers/p2p", &amina.token, "words-wrong-pin", body).await;
        assert_eq!((status, &problem["code"], &problem["attempts_left"]), (403, &json!("wrong_pin"), &json!(2)));
        // The right PIN sends to the number as typed at home.
        let (status, page) = post_form(app, &wallet, "/wallet/send", "/wallet/send", &send("1234")).await;
        assert_eq!(status, 303, "{page}");
        assert_eq!(app.balance(&bruno).await, 100);
        // At an agent's counter too, with the customer's number as dialled at home.
        let counter = crate::web::signed_in(&client, &app.base(), "+15550610001", "agent-password").await;
        let cash_out = [("customer_phone", "555 061 0021"), ("amount", "1.00"), ("customer_pin", "9999")];
        let (status, page) = post_form(app, &counter, "/agent/", "/agent/cash-out", &cash_out).await;
        assert!(status == 403 && read(&page).contains("Wrong PIN. 4 attempts left before the PIN locks."), "{page}");
        // And a card's PIN at a till.
        let card = crate::cards::issue(app, &agent, "words-card", None, "4321").await;
        let till = crate::web::signed_in(&client, &app.base(), "+15550710611", "cashier-password").await;
        let charge = [("amount", "1.00"), ("number", card.number.as_str()), ("pin", "0000")];
        let (status, page) = post_form(app, &till, "/till/", "/till/card", &charge).await;
        assert!(status == 403 && read(&page).contains("Wrong PIN. 4 attempts left before the PIN locks."), "{page}");

        // An operator's fee is typed in percent: 1.555 is finer than a basis point; hours "abc" are no hours.
        let staff = crate::web::signed_in(&client, &app.base(), "+15559990001", "staff-password").await;
        let fee = [("merchant_id", shop.id.as_str()), ("fee_percent", "1.555")];
        let fees = format!("/operator/fees?merchant_id={}", shop.id);
        let (status, page) = post_form(app, &staff, &fees, "/operator/fees", &fee).await;
        assert!(status == 400 && page.contains("A fee is a percentage from 0 to 10"), "{status} {page}");
        assert!(!page.contains("Fill in every field"), "{page}");
        let person = format!("/operator/people/{}", amina.id);
        for hours in ["abc", ""] {
            let grant = [("reason", "customer asked about a payment"), ("hours", hours)];
            let (status, page) = post_form(app, &staff, &person, &format!("{person}/access-grants"), &grant).await;
            assert!(status == 400 && page.contains("A grant lasts 1 to 72 hours"), "{hours:?}: {status} {page}");
        }
        let (_, log) = app.get("/me/access-log", &amina.token).await;
        assert_eq!(log["entries"].as_array().map(Vec::len), Some(0), "no grant was made: {log}");
        // The operator finds a person by the number as dialled at home.
        let search = client.get(format!("{}/operator/?q=(555)%20061-0022", app.base())).header("cookie", &staff);
        let page = search.send().await.unwrap().text().await.unwrap();
        assert!(page.contains("+15550610022"), "{page}");

        // A code nobody wrote a message for reads as a general sentence, never as engine text.
        let unknown = client.get(format!("{}/messages/problem?code=no_such_code", app.base())).send().await.unwrap();
        assert_eq!(unknown.text().await.unwrap(), "This could not be done. Try again, or ask the operator's support.");
        let korean = client.get(format!("{}/messages/problem?code=wrong_pin&attempts=1", app.base()));
        let korean = korean.header("accept-language", "ko").send().await.unwrap().text().await.unwrap();
        assert_eq!(read(&korean), "PIN이 틀렸습니다. PIN이 잠기기 전까지 1번 더 시도할 수 있습니다.");
    })
    .await;
}

#[tokio::test]
async fn a_forgotten_password_is_set_again_with_a_code_from_an_agent() {
    on_each_backend_with(config(), async |app: &TestApp| {
        let operator = app.operator().await;
        let amina = app.customer("+15550620021").await;
        let agent = app.agent(&operator, "+15550620001", "100.00").await;
        let client = client();
        let base = app.base();

        // The sign-in page and the PIN forms lead to the ways back in, which lead to the code's page.
        let login = client.get(format!("{base}/login?lang=en")).send().await.unwrap().text().await.unwrap();
        assert!(login.contains("href=\"/forgot\"") && login.contains("Forgot password / PIN?"), "{login}");
        let wallet = crate::web::signed_in(&client, &base, &amina.phone, "customer-password").await;
        let settings = client.get(format!("{base}/wallet/settings")).header("cookie", &wallet).send().await.unwrap();
        assert!(settings.text().await.unwrap().contains("href=\"/forgot\""));
        let forgot = client.get(format!("{base}/forgot?lang=ko")).send().await.unwrap();
        assert_eq!(forgot.status(), 200);
        let forgot = forgot.text().await.unwrap();
        assert!(forgot.contains("에이전트") && forgot.contains("href=\"/reset-password\""), "{forgot}");

        // The agent issues a code after the customer's PIN; the customer sets a new password with it.
        let body = json!({"phone": amina.phone, "reason": "customer at the counter with ID", "customer_pin": "1234"});
        let (status, issued) = app.post("/agent/reset-codes", Some(&agent.token), body).await;
        assert_eq!(status, 201, "{issued}");
        let code = issued["code"].as_str().unwrap();
        let wrong = [("phone", "555 062 0021"), ("code", "0000000000"), ("new_password", "a-new-password")];
        let (status, page) = post_form(app, "lang=en", "/reset-password", "/reset-password", &wrong).await;
        assert!(status == 403 && page.contains("The code is wrong, used or expired."), "{status} {page}");
        let right = [("phone", "555 062 0021"), ("code", code), ("new_password", "a-new-password")];
        let (status, page) = post_form(app, "lang=en", "/reset-password", "/reset-password", &right).await;
        assert_eq!(status, 303, "{page}");
        let done = client.get(format!("{base}/login?done=reset&lang=en")).send().await.unwrap().text().await.unwrap();
        assert!(done.contains("Your new password is set."), "{done}");
        crate::web::signed_in(&client, &base, &amina.phone, "a-new-password").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_korean_wallet_signs_up_without_a_bank_account_and_says_the_pin_attempts_left() {
    on_each_backend_with(config(), async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550630001", "100.00").await;
        let bruno = app.customer("+15550630022").await;
        let browser = Browser::start().await;
        let w = &browser.client;
        let base = app.base();

        // A sign-up refused in Korean: the number (typed as at home) has a wallet already.
        w.goto(&format!("{base}/wallet/signup?lang=ko")).await.unwrap();
        fill(w, "#phone", "(555) 063-0022").await;
        fill(w, "#full_name", "김민준").await;
        fill(w, "#password", "minjun-password").await;
        fill(w, "#pin", "2468").await;
        click(w, "form[action='/wallet/signup'] button[type=submit]").await;
        until(w, "return document.querySelector('.error')", "the refusal").await;
        let page = text(w).await;
        assert!(page.contains("이 전화번호로 된 지갑이 이미 있습니다."), "{page}");

        // No bank account: most people top up in cash at an agent.
        fill(w, "#phone", "555 063 0021").await;
        fill(w, "#password", "minjun-password").await;
        fill(w, "#pin", "2468").await;
        assert_eq!(w.find(fantoccini::Locator::Css("#bank_name")).await.unwrap().attr("required").await.unwrap(), None);
        click(w, "form[action='/wallet/signup'] button[type=submit]").await;
        until(w, "return location.pathname === '/wallet/'", "the wallet's home").await;
        let minjun = app.login("+15550630021", "minjun-password").await;
        let (status, sources) = app.get("/me/funding-sources", &minjun).await;
        assert_eq!((status, sources.as_array().map(Vec::len)), (200, Some(0)), "{sources}");
        app.cash_in(&agent, "+15550630021", "20.00").await;

        // A wrong PIN on P2P: the Korean sentence, with the attempts left.
        w.goto(&format!("{base}/wallet/send")).await.unwrap();
        fill(w, "#to_phone", "555-063-0022").await;
        fill(w, "#amount", "5.00").await;
        click(w, "form[action='/wallet/send/confirm'] button[type=submit]").await;
        until(w, "return document.getElementById('question') && document.getElementById('pin')", "the name read back")
            .await;
        fill(w, "#pin", "1111").await;
        click(w, "form[action='/wallet/send'] button[type=submit]").await;
        until(w, "return document.querySelector('.error')", "the wrong PIN").await;
        let page = read(&text(w).await);
        assert!(page.contains("PIN이 틀렸습니다. PIN이 잠기기 전까지 4번 더 시도할 수 있습니다."), "{page}");
        assert!(page.contains("비밀번호 / PIN을 잊으셨나요?"), "the form leads to the ways back in: {page}");
        fill(w, "#pin", "2468").await;
        click(w, "form[action='/wallet/send'] button[type=submit]").await;
        until(w, "return location.pathname === '/wallet/' && document.querySelector('.ok')", "the transfer").await;
        assert_eq!(app.balance(&bruno).await, 500);
        browser.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_korean_pay_screen_says_the_attempts_left_in_korean_not_the_apis_english() {
    on_each_backend_with(config(), async |app: &TestApp| {
        let operator = app.operator().await;
        let agent = app.agent(&operator, "+15550640001", "1000.00").await;
        let corner = crate::harness::shop(app, &operator, "Corner Shop", 641, 150).await;
        let customer = app.customer("+15550640021").await;
        app.cash_in(&agent, &customer.phone, "100.00").await;
        let base = app.base();
        let wallet = Browser::start().await;
        let w = &wallet.client;
        crate::web_journeys::sign_in(w, &base, &customer.phone, "customer-password").await;
        w.goto(&format!("{base}/wallet/pay?lang=ko")).await.unwrap();
        until(w, "return !document.getElementById('enrol').hidden", "the enrolment form").await;
        fill(w, "#enrol-pin", "1234").await;
        click(w, "#enrol button[type=submit]").await;
        // The phone hears payments once its live stream is open: a small payment it hears says it is.
        let mut used = String::new();
        for attempt in 0..9 {
            let fresh = format!("const c = document.getElementById('digits').dataset.code; return c !== '{used}' && c");
            used = until(w, &fresh, "a fresh code").await.as_str().unwrap().to_owned();
            let key = format!("words-small-{attempt}");
            let (status, body) = crate::harness::charge(app, &corner.cashier, &key, &used, "1.00").await;
            assert_eq!(status, 201, "{body}");
            if within(w, "return document.getElementById('status').textContent.includes(' 1.00 ')").await {
                break;
            }
            click(w, "#next").await;
        }
        // Above the threshold the phone asks for the PIN; a wrong one reads in Korean, with the attempts left.
        let fresh = format!("const c = document.getElementById('digits').dataset.code; return c !== '{used}' && c");
        let code = until(w, &fresh, "the next code").await;
        let (status, body) = crate::harness::charge(app, &corner.cashier, "words-pay", code.as_str().unwrap(), "30.00").await;
        assert!(status == 202 || status == 201, "{status} {body}");
        until(w, "return !document.getElementById('approve').hidden", "the approval prompt").await;
        fill(w, "#approve-pin", "9999").await;
        click(w, "#approve button[type=submit]").await;
        let said = until(
            w,
            "const s = document.getElementById('status').textContent; return s.startsWith('PIN이 틀렸') && s.replace(/[\\u2068\\u2069]/g, '')",
            "the refusal",
        )
        .await;
        assert_eq!(said, json!("PIN이 틀렸습니다. PIN이 잠기기 전까지 4번 더 시도할 수 있습니다."));
        fill(w, "#approve-pin", "1234").await;
        click(w, "#approve button[type=submit]").await;
        until(w, "return document.getElementById('approve').hidden", "the approval").await;
        let approved = "const s = document.getElementById('status').textContent; return s.includes('30.00') && !s.startsWith('PIN')";
        until(w, approved, "the payment heard as paid").await;
        wallet.stop().await;
    })
    .await;
}
