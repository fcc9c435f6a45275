//! What every page shares: its language, stylesheet and CSRF token
//! ([`Chrome`]), how it is sent ([`html`]), and how a refusal from the
//! services reads in the person's language ([`Notice`]).

use askama::Template;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use quipu_domain::Timestamp;
use quipu_domain::zone::Zone;
use quipu_http::problem::ApiError;

use crate::WebState;
use crate::assets;
use crate::auth::SignedIn;
use crate::i18n::{Lang, Tr};
use crate::local::{Dated, Day, Local};

/// The pages' policy: everything from this server, scripts only as files (no inline code), never framed.
/// The wallet's scanner decodes in a worker it builds from a blob, hence `worker-src blob:`.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data: blob:; script-src 'self'; \
    connect-src 'self'; media-src 'self' blob:; worker-src 'self' blob:; manifest-src 'self'; form-action 'self'; \
    base-uri 'none'; frame-ancestors 'none'";

/// The frame of every page: its language, its stylesheet, and the CSRF token its forms carry.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub t: Tr,
    pub stylesheet: String,
    /// Empty on a page with no form.
    pub csrf: String,
    /// The signed-in person's name, shown beside "sign out"; empty when nobody is.
    pub who: String,
    /// The reader's zone and now, for the times a page shows.
    pub local: Local,
}

impl Chrome {
    /// A page for nobody in particular shows no times: UTC, at the epoch.
    pub fn new(lang: Lang, csrf: String, who: String) -> Self {
        let local = Local { lang, zone: Zone::utc(), now: Timestamp::default() };
        Self { t: Tr { lang }, stylesheet: assets::url("quipu.css"), csrf, who, local }
    }

    /// The same page, read in `zone` at `now`.
    pub fn at(mut self, zone: Zone, now: Timestamp) -> Self {
        self.local = Local { lang: self.t.lang, zone, now };
        self
    }

    /// A time (RFC 3339) as the reader says it: "Today 13:16".
    pub fn when(&self, at: &str) -> String {
        self.local.when(at)
    }

    /// A time (RFC 3339) as a spreadsheet sorts it, in the reader's zone: "2026-12-07 13:16".
    pub fn stamp(&self, at: &str) -> String {
        self.local.stamp(at)
    }

    /// A time (RFC 3339) as the clock on the reader's wall says it: "13:16".
    pub fn clock(&self, at: &str) -> String {
        self.local.clock(at)
    }

    /// Lines in runs of the same day, each under its heading.
    pub fn by_day<'a, T: Dated>(&self, items: &'a [T]) -> Vec<Day<'a, T>> {
        self.local.by_day(items)
    }

    pub fn msg(&self, key: &str) -> String {
        self.t.msg(key)
    }

    /// A word for a machine value (a status, a kind): its message `<group>-<value>`, else the value.
    pub fn word(&self, group: &str, value: &str) -> String {
        self.t.try_msg(&format!("{group}-{}", value.replace('_', "-"))).unwrap_or_else(|| value.to_owned())
    }

    /// A message with one amount in it (`{ $amount }`), such as "Refund everything (10.00 USD)".
    pub fn msg_amount(&self, key: &str, money: &quipu_api::common::views::MoneyView) -> String {
        self.t.msg_with(key, &[("amount", &format!("{} {}", money.amount, money.currency))])
    }

    /// A message with one value in it, such as "12 found" (`{ $count }`).
    pub fn msg_one(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> String {
        self.t.msg_with(key, &[(name, &value.to_string())])
    }

    /// A message with a count in it (`{ $count }`), in the plural form the number takes.
    pub fn count<N: Copy + Into<u64>>(&self, key: &str, count: &N) -> String {
        self.t.msg_counted(key, (*count).into(), &[])
    }

    /// A name given in Korean and/or English, in the reader's language when it has one.
    pub fn name(&self, korean: &Option<String>, english: &Option<String>) -> String {
        let (first, second) = match self.t.lang {
            crate::i18n::Lang::Ko => (korean, english),
            crate::i18n::Lang::En => (english, korean),
        };
        first.as_ref().or(second.as_ref()).cloned().unwrap_or_default()
    }

    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }
}

/// A message on a page: what went wrong (or right), in the reader's language.
#[derive(Debug, Clone, Default)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

impl Notice {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn ok(text: String) -> Self {
        Self { text, is_error: false }
    }

    /// A refusal as the person reads it: the message for its code in their language (with the
    /// attempts left after a wrong PIN or password). Every code has one (a test reads the sources
    /// for them); one that has not is logged and shown as a general sentence, never as the
    /// service's own English words.
    pub fn refused(t: Tr, error: &ApiError) -> Self {
        Self::problem(t, error.code, error.attempts_left, &error.detail)
    }

    /// The refusal for a problem's code (and the attempts left it carries), as [`Self::refused`].
    pub fn problem(t: Tr, code: &str, attempts_left: Option<u32>, detail: &str) -> Self {
        let key = format!("error-{}", code.replace('_', "-"));
        let with_attempts = |left| t.try_msg_with(&format!("{key}-attempts"), "attempts", left);
        let text = attempts_left.and_then(with_attempts).or_else(|| t.try_msg(&key)).unwrap_or_else(|| {
            tracing::warn!(code, detail, "a refusal with no message of its own");
            t.msg("error-unknown")
        });
        Self { text, is_error: true }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

/// A page that could not be shown, and why; for a form that was out of date, a link to it again.
#[derive(Template)]
#[template(path = "failed.html")]
pub(crate) struct FailedPage {
    pub c: Chrome,
    pub notice: Notice,
    /// Where the form can be had again; empty when there is no such page.
    pub again: String,
}

/// A page that could not be shown, and why, in the reader's language.
pub(crate) fn failed(who: &SignedIn, error: &ApiError) -> Response {
    let c = who.chrome();
    let notice = Notice::refused(c.t, error);
    html(&FailedPage { c, notice, again: String::new() }, error.status, who.reader())
}

/// A fresh idempotency key for a form that moves money: one per rendering, so a double tap is one payment.
pub(crate) fn new_key(state: &WebState) -> String {
    state.http.services.kernel.new_id().to_string()
}

/// What a form just did, as the page that shows the result reads it from its URL (`?done=<word>`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

impl Done {
    pub fn notice(&self, t: Tr, known: &[&str]) -> Notice {
        done_notice(t, self.done.as_deref(), known)
    }
}

/// One of the words a page knows becomes its message `done-<word>`; anything else (free text put in
/// a URL by someone else) shows nothing.
pub fn done_notice(t: Tr, done: Option<&str>, known: &[&str]) -> Notice {
    match done {
        Some(word) if known.contains(&word) => Notice::ok(t.msg(&format!("done-{word}"))),
        _ => Notice::none(),
    }
}

/// The reader's language for this request.
pub fn lang(query: Option<&str>, headers: &HeaderMap) -> Lang {
    Lang::choose(query, headers)
}

/// Whom a page is for, as its answer needs it: the language they chose on this request (kept in a
/// cookie, `Secure` when the site is on HTTPS) and, once signed in, their id (`Quipu-User`): the
/// wallet's service worker keeps a pay screen only for the person it was made for.
#[derive(Debug, Clone, Default)]
pub struct Reader {
    pub chosen: Option<Lang>,
    pub secure: bool,
    pub user: Option<String>,
}

/// The header that names the signed-in person a page was made for.
pub const USER_HEADER: &str = "quipu-user";

/// A rendered page: kept by no cache, neither the browser's nor a proxy's (it may hold a person's
/// data, and a shared phone's next person must not find it), under the pages' policy, and when the
/// reader chose a language, a cookie that keeps it.
pub fn html(page: &impl Template, status: StatusCode, reader: Reader) -> Response {
    let Ok(body) = page.render() else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response();
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    if let Some(user) = reader.user.and_then(|user| HeaderValue::from_str(&user).ok()) {
        headers.insert(USER_HEADER, user);
    }
    if let Some(lang) = reader.chosen {
        let secure = if reader.secure { "; Secure" } else { "" };
        let cookie = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{secure}", lang.code());
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A page for nobody in particular that shows only what shops chose to show (the market's
/// browsing): kept a minute by the browser and by proxies, per language. A signed-in person's copy
/// of the same page carries their forms, and goes through [`html`] instead.
pub fn public_html(page: &impl Template, reader: Reader) -> Response {
    let mut response = html(page, StatusCode::OK, reader);
    let headers = response.headers_mut();
    if !headers.contains_key(header::SET_COOKIE) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    }
    response
}

/// After a form that changed something: a fresh GET of the page that shows the result, so a
/// reload does not post again.
pub fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// Adds a cookie to an answer.
pub fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_refusal_reads_as_its_codes_sentence_never_as_the_engines_words() {
        let english = Tr { lang: Lang::En };
        let korean = Tr { lang: Lang::Ko };
        let wrong = ApiError {
            attempts_left: Some(2),
            ..ApiError::new(StatusCode::FORBIDDEN, "wrong_pin", "wrong PIN; 2 left")
        };
        let unmark = |notice: Notice| notice.text.replace(['\u{2068}', '\u{2069}'], "");
        assert_eq!(unmark(Notice::refused(english, &wrong)), "Wrong PIN. 2 attempts left before the PIN locks.");
        assert_eq!(
            unmark(Notice::refused(korean, &wrong)),
            "PIN이 틀렸습니다. PIN이 잠기기 전까지 2번 더 시도할 수 있습니다."
        );
        let one = ApiError { attempts_left: Some(1), ..wrong.clone() };
        assert_eq!(unmark(Notice::refused(english, &one)), "Wrong PIN. 1 attempt left before the PIN locks.");
        let bare = ApiError { attempts_left: None, ..wrong };
        assert_eq!(Notice::refused(english, &bare).text, "Wrong PIN.", "without a count, the plain sentence");
        let unknown = ApiError::new(StatusCode::BAD_REQUEST, "no_such_code", "engine words");
        let notice = Notice::refused(korean, &unknown);
        assert!(notice.is_error && notice.text == korean.msg("error-unknown") && !notice.text.contains("engine"));
    }
}
