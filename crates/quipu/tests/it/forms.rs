//! Posting the web pages' forms as a browser without scripts would: the page first, for its CSRF
//! token, idempotency key and (for a page shown to nobody in particular) its form cookie.

use crate::harness::TestApp;

/// A client that shows redirects instead of following them, as the tests check where a form leads.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The value of `name="<field>" value="..."` in a page (the first such field).
pub fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    html.split(&marker).nth(1).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_owned()
}

/// `name=value` of a `Set-Cookie` answer header.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    let cookies = response.headers().get_all("set-cookie");
    let found =
        cookies.iter().filter_map(|value| value.to_str().ok()).find(|value| value.starts_with(&format!("{name}=")));
    found.and_then(|value| value.split(';').next()).unwrap_or_default().to_owned()
}

/// Posts the form `page` shows to `action` with `fields`, as `cookie` (a session, a language);
/// status and page. A form whose idempotency key is on its confirmation page (sending money) is
/// posted at its last step directly, with a key of the test's own.
pub async fn post_form(
    app: &TestApp,
    cookie: &str,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let client = client();
    let base = app.base();
    let shown = client.get(format!("{base}{page}")).header("cookie", cookie).send().await.unwrap();
    let form_cookie = set_cookie(&shown, "quipu_form");
    let html = shown.text().await.unwrap();
    let (csrf, mut key) = (field(&html, "csrf"), field(&html, "idempotency_key"));
    if key.is_empty() {
        key = uuid::Uuid::from_u128(rand::random()).to_string();
    }
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf), ("idempotency_key", &key)];
    form.extend_from_slice(fields);
    let cookies =
        [cookie, form_cookie.as_str()].iter().filter(|c| !c.is_empty()).copied().collect::<Vec<_>>().join("; ");
    let answer = client.post(format!("{base}{action}")).header("cookie", cookies).form(&form).send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}
