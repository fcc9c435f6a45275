//! Who is signed in on a page. The session is the API's own (same token,
//! same expiry, same lockouts), kept in an HttpOnly cookie; every form that
//! changes something carries the session's CSRF token
//! ([`quipu_http::session`]). Forms shown before anyone signs in (sign in,
//! sign up) carry a token tied to a random cookie of their own instead.
//! [`crate::form::Posted`] checks either before a handler reads a field.

use askama::Template;
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use quipu_core::Principal;
use quipu_core::kernel::access::Session;
use quipu_domain::Timestamp;
use quipu_domain::identity::Role;
use quipu_domain::zone::Zone;
use quipu_http::problem::ApiError;
use quipu_http::session::{self, SESSION_COOKIE};

use crate::WebState;
use crate::form::FORM_COOKIE;
use crate::i18n::Lang;
use crate::page::{self, Chrome, Reader};

/// A signed-in person on a page. A page asked for without a valid session
/// sends the browser to the sign-in page, which comes back here after.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub principal: Principal,
    pub lang: Lang,
    /// The CSRF token this session's forms carry.
    pub csrf: String,
    token: String,
    /// The reader chose a language on this request (`?lang=`): the answer keeps it in a cookie.
    chose_lang: bool,
    /// The site is on HTTPS: cookies are `Secure`.
    secure: bool,
    /// The zone their pages show times in (a shop's staff, the shop's).
    pub zone: Zone,
    /// When the request came, by the injected clock.
    pub now: Timestamp,
}

impl SignedIn {
    pub fn chrome(&self) -> Chrome {
        Chrome::new(self.lang, self.csrf.clone(), self.role().map(Role::as_str).unwrap_or_default().to_owned())
            .at(self.zone.clone(), self.now)
    }

    /// This session's own token, to keep it when the person changes their password.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whom this request's page is for: the language chosen on it, and the person.
    pub fn reader(&self) -> Reader {
        Reader { chosen: self.chose_lang.then_some(self.lang), secure: self.secure, user: self.user_id() }
    }

    /// The signed-in person's id.
    fn user_id(&self) -> Option<String> {
        match self.principal {
            Principal::User { id, .. } => Some(id.0.to_string()),
            Principal::MerchantKey { .. } => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self.principal {
            Principal::User { role, .. } => Some(role),
            Principal::MerchantKey { .. } => None,
        }
    }

    /// This app is for these roles: anyone else gets a page saying so, in their language.
    pub fn refused_unless(&self, roles: &[Role]) -> Option<Response> {
        match self.role() {
            Some(role) if roles.contains(&role) => None,
            _ => {
                let error = ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this app is for another role");
                Some(crate::page::failed(self, &error))
            }
        }
    }
}

impl<S> FromRequestParts<S> for SignedIn
where
    WebState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let web = WebState::from_ref(state);
        let chosen = query_lang(parts);
        let lang = page::lang(chosen.as_deref(), &parts.headers);
        let to_sign_in = || {
            let next = parts.uri.path_and_query().map_or("/", |path| path.as_str());
            Redirect::to(&format!("/login?next={}", urlencode(next))).into_response()
        };
        let Some(token) = session::cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_sign_in());
        };
        let what = format!("{} {}", parts.method, parts.uri.path());
        match web.http.services.kernel.authenticate(token, &what).await {
            Ok(principal @ Principal::User { .. }) => {
                let chose_lang = chosen.is_some();
                let (csrf, token, secure) = (session::csrf_token(token), token.to_owned(), web.is_secure());
                let kernel = &web.http.services.kernel;
                // A zone that cannot be read costs the page its local times, not the page.
                let zone = kernel.zone_of(&principal).await.unwrap_or_else(|error| {
                    tracing::warn!(%error, "reading the reader's time zone");
                    kernel.settings.time_zone.clone()
                });
                let now = kernel.now();
                Ok(Self { principal, lang, csrf, token, chose_lang, secure, zone, now })
            }
            _ => Err(to_sign_in()),
        }
    }
}

/// A page anyone may see (the market) knows whether someone is signed in, and sends nobody away.
impl<S> OptionalFromRequestParts<S> for SignedIn
where
    WebState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if session::cookie(&parts.headers, SESSION_COOKIE).is_none() {
            return Ok(None);
        }
        Ok(<Self as FromRequestParts<S>>::from_request_parts(parts, state).await.ok())
    }
}

fn query_lang(parts: &Parts) -> Option<String> {
    let query = parts.uri.query()?;
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .ok()?
        .into_iter()
        .find_map(|(key, value)| (key == "lang").then_some(value))
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)]).map(|pair| pair.trim_start_matches('=').to_owned()).unwrap_or_default()
}

/// A page with a form shown to nobody in particular (sign in, sign up): its CSRF token is tied to a
/// random cookie of its own, set by this answer when the browser has none yet.
pub fn anonymous_form<P: Template>(
    state: &WebState,
    headers: &HeaderMap,
    lang: Lang,
    page: impl FnOnce(Chrome) -> P,
    status: StatusCode,
    chosen: Option<Lang>,
) -> Response {
    let (secret, new_cookie) = match session::cookie(headers, FORM_COOKIE) {
        Some(secret) => (secret.to_owned(), None),
        None => {
            let secret = quipu_core::kernel::random::hex(state.http.services.kernel.random.as_ref(), 16);
            let cookie = format!("{FORM_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict{}", state.secure());
            (secret, Some(cookie))
        }
    };
    let chrome = Chrome::new(lang, session::csrf_token(&secret), String::new());
    let response = page::html(&page(chrome), status, state.reader(chosen));
    match new_cookie {
        Some(cookie) => page::with_cookie(response, &cookie),
        None => response,
    }
}

/// A new session's answer: its cookie (for as long as the session lasts), and the page to go to.
pub fn signed_in_at(state: &WebState, session: &Session, landing: &str) -> Response {
    let seconds_left = (session.expires_at.0 - state.http.services.kernel.now().0) / 1_000_000;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        session.token,
        seconds_left.max(0),
        state.secure()
    );
    page::with_cookie(page::see_other(landing), &cookie)
}
