//! Signing in and out on a page, and the ways back in: the sign-in page (which returns
//! the person where they were going), signing out, the page after, and a new password
//! from a reset code. The session itself is [`crate::auth`]'s.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use quipu_api::identity::requests::LoginRequest;
use quipu_api::support::requests::PasswordResetRequest;
use quipu_core::CoreError;
use quipu_core::kernel::access::Credentials;
use quipu_domain::identity::{PhoneNumber, Role};
use quipu_http::extract::AddressSource;
use quipu_http::problem::ApiError;
use quipu_http::session::{self, SESSION_COOKIE};

use crate::WebState;
use crate::auth::{anonymous_form, signed_in_at};
use crate::form::{Posted, SignedOut, Typed};
use crate::i18n::Lang;
use crate::page::{self, Chrome, Notice};

/// Where a role lands after signing in.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Customer => "/wallet/",
        Role::Cashier => "/till/",
        Role::MerchantOwner => "/merchant/",
        Role::Pharmacist => "/merchant/orders",
        Role::Agent => "/agent/",
        Role::Operator | Role::Auditor => "/operator/",
        Role::Courier => "/courier/",
    }
}

/// A `next` that stays on this site: a plain path (and query) on it, read as a browser would read
/// it in a `Location`. Browsers drop tabs and line breaks from a URL, read `\` as `/` and resolve
/// dot segments, so `/\t/evil.example/` or `/.//evil.example/` would leave the site: anything but
/// printable ASCII, a backslash, a fragment, an empty or dot segment is refused, never repaired.
fn local_path(next: Option<&str>) -> Option<&str> {
    let next = next?;
    let path = next.split_once('?').map_or(next, |(path, _)| path);
    let printable = next.bytes().all(|byte| byte.is_ascii_graphic() && byte != b'\\' && byte != b'#');
    // `/` alone, or segments none empty (a `//`) nor a dot segment; the last may be empty (`/wallet/`).
    let inner = path.strip_prefix('/').map(|rest| rest.strip_suffix('/').unwrap_or(rest));
    let plain = inner.is_some_and(|inner| path == "/" || inner.split('/').all(is_plain_segment));
    (printable && plain).then_some(next)
}

/// A path segment a browser keeps as it is: not empty, not `.` or `..` (even percent-encoded).
fn is_plain_segment(segment: &str) -> bool {
    let decoded = segment.to_ascii_lowercase().replace("%2e", ".");
    !segment.is_empty() && decoded != "." && decoded != ".."
}

#[derive(Debug, serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    lang: Option<String>,
    /// `reset`: a password was just set from a reset code.
    done: Option<String>,
}

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    c: Chrome,
    notice: Notice,
    /// What was typed, and where to go after (`next`).
    typed: Typed,
}

/// `GET /login`.
pub async fn login_page(State(state): State<WebState>, Query(query): Query<NextQuery>, headers: HeaderMap) -> Response {
    let lang = page::lang(query.lang.as_deref(), &headers);
    let next = local_path(query.next.as_deref()).unwrap_or("");
    let typed = Typed::from_pairs(vec![("next".to_owned(), next.to_owned())]);
    let notice = page::done_notice(crate::i18n::Tr { lang }, query.done.as_deref(), &["reset"]);
    show_login(&state, &headers, lang, notice, typed, StatusCode::OK, query.lang.is_some())
}

fn show_login(
    state: &WebState,
    headers: &HeaderMap,
    lang: Lang,
    notice: Notice,
    typed: Typed,
    status: StatusCode,
    chose_lang: bool,
) -> Response {
    let page = |c| LoginPage { c, notice, typed };
    anonymous_form(state, headers, lang, page, status, chose_lang.then_some(lang))
}

/// `POST /login`: the API's login, then the session in a cookie and the person's home (or where they were going).
pub async fn login(
    State(state): State<WebState>,
    AddressSource(source): AddressSource,
    headers: HeaderMap,
    posted: Posted<SignedOut>,
) -> Response {
    let lang = page::lang(None, &headers);
    let next = local_path(Some(posted.field("next"))).unwrap_or("").to_owned();
    let mut fields = posted.clone();
    fields.remove("next");
    let attempt = async {
        let request: LoginRequest = fields.request()?;
        // A number that is no phone number says so here; the API's login answers it as wrong
        // credentials, which would send the person to look for a password that was never wrong.
        PhoneNumber::parse(&request.phone).map_err(CoreError::from)?;
        let credentials = Credentials::try_from(&request)?;
        Ok::<_, ApiError>(state.http.services.kernel.login(&credentials, &source).await?)
    };
    match attempt.await {
        Ok(session) => {
            let landing = if next.is_empty() { home_of(session.user.role) } else { next.as_str() };
            signed_in_at(&state, &session, landing)
        }
        Err(error) => {
            let notice = Notice::refused(crate::i18n::Tr { lang }, &error);
            show_login(&state, &headers, lang, notice, posted.typed(), error.status, false)
        }
    }
}

/// `POST /logout`: the session ends on the server and its cookie in the browser, and the browser
/// is asked to drop what it kept for this person (the wallet's payment key and kept pay screen; the
/// signed-out page's script does it too where `Clear-Site-Data` is not honoured).
///
/// The form's CSRF token is not required: a session cookie on this request is enough to end that
/// session. Ending a session harms no one, a post from another site carries no session cookie
/// (SameSite=Lax), and refusing while clearing the cookie would leave alive a session the browser
/// can no longer end.
pub async fn logout(State(state): State<WebState>, headers: HeaderMap) -> Response {
    if let Some(token) = session::cookie(&headers, SESSION_COOKIE)
        && let Err(error) = state.http.services.kernel.logout(token).await
    {
        tracing::warn!(%error, "a session could not be ended");
    }
    let cleared = format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}", state.secure());
    let mut response = page::with_cookie(page::see_other("/signed-out"), &cleared);
    response.headers_mut().insert("clear-site-data", HeaderValue::from_static("\"cache\", \"storage\""));
    response
}

#[derive(Template)]
#[template(path = "account/signed-out.html")]
struct SignedOutPage {
    c: Chrome,
}

/// `GET /signed-out`: where sign-out lands. Its script drops what the browser kept for whoever was
/// signed in, as `Clear-Site-Data` asks. Someone still signed in (a link from elsewhere) is sent to the
/// start page instead, so no other site can make a person's phone forget its key.
pub async fn signed_out(State(state): State<WebState>, Query(query): Query<NextQuery>, headers: HeaderMap) -> Response {
    if let Some(token) = session::cookie(&headers, SESSION_COOKIE)
        && state.http.services.kernel.authenticate(token, "GET /signed-out").await.is_ok()
    {
        return page::see_other("/");
    }
    let lang = page::lang(query.lang.as_deref(), &headers);
    let chosen = query.lang.is_some().then_some(lang);
    page::html(
        &SignedOutPage { c: Chrome::new(lang, String::new(), String::new()) },
        StatusCode::OK,
        state.reader(chosen),
    )
}

/// The pages for a forgotten password or PIN, and the words a page's script shows for a refusal.
/// Setting a password from a reset code is limited per address, like the API's.
pub fn ways_back_in(http: &quipu_http::Http) -> axum::Router<WebState> {
    axum::Router::new()
        .route("/forgot", axum::routing::get(forgot))
        .route("/messages/problem", axum::routing::get(problem_text))
        .route("/reset-password", axum::routing::get(reset_page).merge(crate::limited_post(reset_password, http)))
}

#[derive(Template)]
#[template(path = "account/forgot.html")]
struct ForgotPage {
    c: Chrome,
}

/// `GET /forgot`: the ways back in that exist, for a forgotten password or PIN (the sign-in page
/// and every PIN form link here).
pub async fn forgot(State(state): State<WebState>, Query(query): Query<NextQuery>, headers: HeaderMap) -> Response {
    let lang = page::lang(query.lang.as_deref(), &headers);
    let chosen = query.lang.is_some().then_some(lang);
    page::html(&ForgotPage { c: Chrome::new(lang, String::new(), String::new()) }, StatusCode::OK, state.reader(chosen))
}

#[derive(Template)]
#[template(path = "account/reset-password.html")]
struct ResetPage {
    c: Chrome,
    notice: Notice,
    typed: Typed,
}

/// `GET /reset-password`: a new password with the one-time code an agent or the operator gave.
pub async fn reset_page(State(state): State<WebState>, Query(query): Query<NextQuery>, headers: HeaderMap) -> Response {
    let lang = page::lang(query.lang.as_deref(), &headers);
    let page = |c| ResetPage { c, notice: Notice::none(), typed: Typed::default() };
    anonymous_form(&state, &headers, lang, page, StatusCode::OK, query.lang.is_some().then_some(lang))
}

/// `POST /reset-password`: the API's password reset; then the sign-in page, which says it worked.
pub async fn reset_password(State(state): State<WebState>, headers: HeaderMap, posted: Posted<SignedOut>) -> Response {
    let lang = page::lang(None, &headers);
    let attempt = async {
        let body: PasswordResetRequest = posted.request()?;
        let (phone, password) = <(_, _)>::try_from(&body)?;
        state.http.services.support.reset_password(&phone, body.code.expose(), &password).await?;
        Ok::<_, ApiError>(())
    };
    match attempt.await {
        Ok(()) => page::see_other("/login?done=reset"),
        Err(error) => {
            let notice = Notice::refused(crate::i18n::Tr { lang }, &error);
            let page = |c| ResetPage { c, notice, typed: posted.typed() };
            anonymous_form(&state, &headers, lang, page, error.status, None)
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct ProblemQuery {
    code: String,
    attempts: Option<u32>,
}

/// `GET /messages/problem?code=…&attempts=…`: a refusal the API answered a page's script, in the
/// reader's words (the API's own detail is English engine text).
pub async fn problem_text(Query(query): Query<ProblemQuery>, headers: HeaderMap) -> Response {
    let lang = page::lang(None, &headers);
    let t = crate::i18n::Tr { lang };
    // Only a code with a message is looked up: anything else anyone may ask for reads as the
    // general sentence, without a warning in the log for each ask.
    let plain = query.code.len() <= 64 && query.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    let known = plain && t.try_msg(&format!("error-{}", query.code.replace('_', "-"))).is_some();
    let code = if known { query.code.as_str() } else { "unknown" };
    let text = Notice::problem(t, code, query.attempts, "from a page's script").text;
    let mut response = text.into_response();
    response
        .headers_mut()
        .insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}
