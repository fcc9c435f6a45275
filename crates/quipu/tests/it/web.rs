//! The web pages' ground: the start page in English and Korean, under a strict policy, its
//! stylesheet at a content-hashed URL browsers may keep for a year.

use crate::harness::{TestApp, on_each_backend};

#[tokio::test]
async fn the_start_page_speaks_the_readers_language_under_a_strict_policy() {
    on_each_backend(async |app: &TestApp| {
        let base = app.base();
        let page = app.client.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let headers = page.headers().clone();
        assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_eq!(headers["cache-control"], "no-cache");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        let html = page.text().await.unwrap();
        assert!(html.contains("<html lang=\"en\">") && html.contains("The apps"), "{html}");
        assert!(!html.contains("<script"), "the start page runs nothing");

        // The browser's language, then an explicit choice that sticks in a cookie.
        let korean = app.client.get(format!("{base}/")).header("accept-language", "ko-KR,ko;q=0.9").send().await;
        let korean = korean.unwrap().text().await.unwrap();
        assert!(korean.contains("<html lang=\"ko\">") && korean.contains("앱"), "{korean}");
        let chosen = app.client.get(format!("{base}/?lang=ko")).send().await.unwrap();
        let cookie = chosen.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("lang=ko;") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        let remembered = app.client.get(format!("{base}/")).header("cookie", "lang=ko").send().await.unwrap();
        assert!(remembered.text().await.unwrap().contains("<html lang=\"ko\">"));

        // The stylesheet: at a hashed URL, cached for good; any other name is not found.
        let href = html.split("href=\"/assets/").nth(1).unwrap().split('"').next().unwrap();
        assert!(
            href.starts_with("quipu.") && href.ends_with(".css") && href.len() == "quipu..css".len() + 16,
            "{href}"
        );
        let css = app.client.get(format!("{base}/assets/{href}")).send().await.unwrap();
        assert_eq!(css.status(), 200);
        assert_eq!(css.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
        let stale = app.client.get(format!("{base}/assets/quipu.0000000000000000.css")).send().await.unwrap();
        assert_eq!(stale.status(), 404);
        // The API reference: every operation of the served document, and the webhook check.
        let reference = app.client.get(format!("{base}/reference")).send().await.unwrap();
        assert_eq!(reference.status(), 200);
        let reference = reference.text().await.unwrap();
        let (_, document) = app.get("/openapi.json", "").await;
        let operations: usize =
            document["paths"].as_object().unwrap().values().map(|item| item.as_object().unwrap().len()).sum();
        assert_eq!(reference.matches("<tr><td><code>").count(), operations, "every operation is listed");
        assert!(reference.contains("/api/v1/transfers/p2p") && reference.contains("hmac.compare_digest"));
        assert!(html.contains("href=\"/reference\""), "the start page links it");
        // The JSON API beside it answers as before.
        let (status, _) = app.get("/me", "qps_nobody").await;
        assert_eq!(status, 401);
    })
    .await;
}
