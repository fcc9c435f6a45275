//! Screens in a real browser: Debian's Chromium, driven over WebDriver
//! (chromedriver) by fantoccini, against a real server. `.ci/run` installs
//! both (`apt-get install chromium chromium-driver`).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

use crate::concurrency::free_port;
use crate::harness::{Backend, TestApp, test_config};

/// Longest first load of a screen, every file counted as transferred (compressed where it was).
const FIRST_LOAD_BUDGET: u64 = 100 * 1024;
/// Longest later load: what is not cached may cost this much.
const LATER_LOAD_BUDGET: u64 = 30 * 1024;

/// A headless Chromium behind its own chromedriver, on a port of its own; both end when this drops.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// A browser with more command-line switches (a fake camera, say).
    pub async fn start_with(extra: &[String]) -> Self {
        Self::launch(extra, json!({"binary": "/usr/bin/chromium"})).await
    }

    /// A browser whose pages are laid out as on a 360 px phone: headless Chromium keeps a window at
    /// least 500 px wide, so the phone's screen is emulated (its viewport meta honoured, too).
    pub async fn start_phone(extra: &[String]) -> Self {
        let phone = json!({"deviceMetrics": {"width": 360, "height": 640, "pixelRatio": 2.0}});
        Self::launch(extra, json!({"binary": "/usr/bin/chromium", "mobileEmulation": phone})).await
    }

    async fn launch(extra: &[String], mut options: Value) -> Self {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is not installed: apt-get install chromium chromium-driver (see .ci/run)");
        let profile = tempfile::tempdir().unwrap();
        // As the machine notes say: no background networking, a profile of its own, no sandbox as root.
        let mut args = json!([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=360,640",
            format!("--user-data-dir={}", profile.path().display()),
        ]);
        if let Some(list) = args.as_array_mut() {
            list.extend(extra.iter().map(|arg| json!(arg)));
        }
        options["args"] = args;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        let mut client = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(connected) => {
                    client = Some(connected);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
        Self { client: client.expect("chromedriver never answered"), driver, _profile: profile }
    }

    /// Bytes the page's last load transferred: the document and every resource (0 for a cache hit).
    pub async fn transferred(&self) -> u64 {
        let script = "const n = performance.getEntriesByType('navigation')[0]; \
            const r = performance.getEntriesByType('resource'); \
            return (n ? n.transferSize : 0) + r.reduce((sum, e) => sum + e.transferSize, 0);";
        match self.client.execute(script, vec![]).await.unwrap() {
            Value::Number(bytes) => bytes.as_u64().unwrap(),
            other => panic!("transfer size: {other}"),
        }
    }

    /// The page just loaded stayed within the first-load budget (pages reached by an id, which the
    /// budget test's fixed list cannot name, are checked where the journeys reach them).
    pub async fn assert_within_budget(&self, what: &str) {
        let bytes = self.transferred().await;
        assert!(bytes <= FIRST_LOAD_BUDGET, "{what}: {bytes} bytes");
    }

    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Every screen, as the role that uses it sees it.
pub(crate) const SCREENS: [(&str, &[&str]); 7] = [
    ("", &["/", "/reference", "/login", "/wallet/signup", "/signed-out", "/forgot", "/reset-password", "/market/"]),
    (
        "customer",
        &[
            "/wallet/",
            "/wallet/pay",
            "/wallet/history",
            "/wallet/send",
            "/wallet/scan",
            "/wallet/data",
            "/wallet/settings",
            "/market/",
            "/market/cart",
            "/market/checkout",
            "/market/orders",
        ],
    ),
    ("cashier", &["/till/", "/till/report", "/account/time-zone"]),
    (
        "owner",
        &[
            "/merchant/",
            "/merchant/orders",
            "/merchant/catalog",
            "/merchant/storefront",
            "/merchant/profile",
            "/merchant/cashiers",
            "/merchant/poster",
            "/merchant/payouts",
            "/merchant/api-keys",
            "/merchant/webhooks",
        ],
    ),
    ("agent", &["/agent/", "/agent/cash-out", "/agent/cards", "/agent/float", "/account/time-zone"]),
    ("courier", &["/courier/", "/account/time-zone"]),
    (
        "operator",
        &[
            "/operator/",
            "/operator/onboarding",
            "/operator/fees",
            "/operator/e-money",
            "/operator/ledger",
            "/operator/reviews",
            "/operator/deliveries",
            "/account/time-zone",
        ],
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_stays_within_its_byte_budget_in_both_languages() {
    let app = TestApp::start(Backend::Sqlite, test_config()).await;
    let operator = app.operator().await;
    app.agent(&operator, "+15550400001", "100.00").await;
    crate::harness::shop(&app, &operator, "Budget Shop", 401, 100).await;
    app.customer("+15550400021").await;
    crate::harness::delivery::courier(&app, &operator, "+15550400031", json!({"vehicle": "bicycle"})).await;
    let logins = [
        ("customer", "+15550400021", "customer-password"),
        ("cashier", "+15550710401", "cashier-password"),
        ("owner", "+15550700401", "owner-password"),
        ("agent", "+15550400001", "agent-password"),
        ("courier", "+15550400031", "courier-password"),
        ("operator", "+15559990001", "staff-password"),
    ];
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (role, pages) in SCREENS {
        let session = match logins.iter().find(|(name, _, _)| *name == role) {
            Some((_, phone, password)) => Some(crate::web::signed_in(&client, &app.base(), phone, password).await),
            None => None,
        };
        for page in pages.iter() {
            for lang in ["en", "ko"] {
                // A fresh browser per screen and language: an empty cache, so the first load pays for
                // everything the screen needs. It is signed in by its cookie, on a page that loads nothing.
                let browser = Browser::start().await;
                let client = &browser.client;
                if let Some(cookie) = session.as_deref() {
                    // WebDriver's own cookie command refuses a bare IP host; the page's script may set it.
                    client.goto(&format!("{}/healthz", app.base())).await.unwrap();
                    client.execute("document.cookie = arguments[0] + '; path=/'", vec![json!(cookie)]).await.unwrap();
                }
                let url = format!("{}{page}?lang={lang}", app.base());
                client.goto(&url).await.unwrap();
                let first = browser.transferred().await;
                assert!(first > 0 && first <= FIRST_LOAD_BUDGET, "{page} ({lang}): first load {first} bytes");
                client.goto(&url).await.unwrap();
                let later = browser.transferred().await;
                assert!(later <= LATER_LOAD_BUDGET, "{page} ({lang}): later load {later} bytes");
                let html_lang = client.execute("return document.documentElement.lang", vec![]).await.unwrap();
                assert_eq!(html_lang, json!(lang), "{page} in {lang}");
                let path = client.execute("return location.pathname", vec![]).await.unwrap();
                assert_eq!(path, json!(page), "{role} reaches {page}");
                let styled = client.execute("return getComputedStyle(document.body).maxWidth", vec![]).await.unwrap();
                assert_eq!(styled, json!("640px"), "the stylesheet loaded under the page's policy");
                eprintln!("{page} ({lang}): first load {first} bytes, later {later} bytes");
                browser.stop().await;
            }
        }
    }
    app.finish().await;
}
