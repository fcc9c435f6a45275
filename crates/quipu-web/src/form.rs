//! A posted form, taken apart at the edge. The fields a form posts are the
//! API's own request fields, and they are parsed into the API's own request
//! types, so a form refuses exactly what the API refuses. Beside them ride
//! the CSRF token and, on a form that moves money, the idempotency key the
//! page was rendered with (a double tap posts the same key twice, and the
//! second is answered with the first's result).
//!
//! The CSRF check is the extractor's, not the handler's: a [`Posted`] exists
//! only once its token matched the session's (or, for a form shown before
//! anyone signs in, [`Posted<SignedOut>`], the form cookie's), so a handler
//! cannot read a field of a form that did not come from one of our pages.

use std::marker::PhantomData;

use axum::body::Bytes;
use axum::extract::FromRef;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use quipu_domain::identity::{CallingCode, PhoneNumber};
use quipu_http::extract::IdempotencyKey;
use quipu_http::problem::ApiError;
use quipu_http::session::{self, SESSION_COOKIE};
use serde::de::DeserializeOwned;

use crate::WebState;
use crate::i18n::Tr;
use crate::page::{self, Chrome, FailedPage, Notice, Reader};

/// Fields a form never shows again when it comes back with an error.
const SECRET_FIELDS: [&str; 9] = [
    "password",
    "pin",
    "customer_pin",
    "old_pin",
    "new_pin",
    "holder_pin",
    "old_password",
    "new_password",
    "owner_password",
];
/// Fields that are the page's, not the request's.
const CSRF_FIELD: &str = "csrf";
const KEY_FIELD: &str = "idempotency_key";

/// The cookie behind the CSRF token of a form shown to nobody in particular.
pub const FORM_COOKIE: &str = "quipu_form";

/// Whose secret a form's CSRF token is derived from: the cookie that holds it.
pub trait FormSecret {
    const COOKIE: &'static str;
    /// The form's page is a GET of the path it posts to, so a refusal can link back to a fresh copy.
    const SHOWN_WHERE_POSTED: bool;
}

/// A form a signed-in person posts: its token is the session's.
#[derive(Debug, Clone, Default)]
pub struct SignedInForm;

/// A form shown before anyone signs in (sign in, sign up, a password reset): its token is the
/// form cookie's. Never accepted for a signed-in form: a cookie someone else managed to set must
/// not stand in for a session.
#[derive(Debug, Clone, Default)]
pub struct SignedOut;

impl FormSecret for SignedInForm {
    const COOKIE: &'static str = SESSION_COOKIE;
    const SHOWN_WHERE_POSTED: bool = false;
}

impl FormSecret for SignedOut {
    const COOKIE: &'static str = FORM_COOKIE;
    const SHOWN_WHERE_POSTED: bool = true;
}

/// A posted form whose CSRF token matched: its fields in order, empty ones dropped (an empty
/// optional field is an absent one).
#[derive(Debug, Clone, Default)]
pub struct Posted<F = SignedInForm> {
    fields: Vec<(String, String)>,
    key: String,
    from: PhantomData<F>,
}

impl<S: Send + Sync, F: FormSecret + Send> FromRequest<S> for Posted<F>
where
    WebState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let default_code = WebState::from_ref(state).http.services.kernel.settings.default_country_code.clone();
        let headers = request.headers().clone();
        let again = if F::SHOWN_WHERE_POSTED { request.uri().path().to_owned() } else { String::new() };
        let unreadable = || ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", "the form could not be read");
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(refusal(&headers, &unreadable()));
        }
        let body = Bytes::from_request(request, state).await.map_err(|_| refusal(&headers, &unreadable()))?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&body).map_err(|_| refusal(&headers, &unreadable()))?;
        let mut posted = Posted::<F> { fields: Vec::new(), key: String::new(), from: PhantomData };
        let mut csrf = String::new();
        for (name, value) in pairs {
            match name.as_str() {
                CSRF_FIELD => csrf = value,
                KEY_FIELD => posted.key = value,
                _ if value.trim().is_empty() => {}
                _ if is_phone_field(&name) => posted.fields.push((name, local_phone(value, default_code.as_ref()))),
                _ => posted.fields.push((name, value)),
            }
        }
        match session::cookie(&headers, F::COOKIE) {
            Some(secret) if session::csrf_matches(secret, &csrf) => Ok(posted),
            _ => Err(refusal_with(&headers, &csrf_refused(), again)),
        }
    }
}

fn csrf_refused() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "csrf_token_invalid", "the form is out of date: reload the page and try again")
}

/// A form refused before its handler saw it, as a page in the reader's language.
fn refusal(headers: &HeaderMap, error: &ApiError) -> Response {
    refusal_with(headers, error, String::new())
}

/// As [`refusal`], with a link to the form again at `again` (when not empty).
fn refusal_with(headers: &HeaderMap, error: &ApiError, again: String) -> Response {
    let lang = page::lang(None, headers);
    let notice = Notice::refused(Tr { lang }, error);
    let c = Chrome::new(lang, String::new(), String::new());
    page::html(&FailedPage { c, notice, again }, error.status, Reader::default())
}

/// A posted file (a shop's catalog as CSV) from a `multipart/form-data` form whose first field is
/// the session's CSRF token: the token is checked before a byte of the file is read, so, as with
/// [`Posted`], a handler never sees a file that did not come from one of our pages. Anything else
/// (another encoding, the token after the file, a wrong token) is refused as an out-of-date form.
#[derive(Debug, Clone, Default)]
pub struct PostedFile {
    pub bytes: Vec<u8>,
}

/// The file's field in an upload form.
const FILE_FIELD: &str = "file";

impl<S: Send + Sync> FromRequest<S> for PostedFile
where
    WebState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::extract::Multipart;
        let headers = request.headers().clone();
        let refused = || refusal(&headers, &csrf_refused());
        let Some(secret) = session::cookie(&headers, SESSION_COOKIE).map(str::to_owned) else {
            return Err(refused());
        };
        let mut multipart = Multipart::from_request(request, state).await.map_err(|_| refused())?;
        let token = match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some(CSRF_FIELD) => field.text().await.map_err(|_| refused())?,
            _ => return Err(refused()),
        };
        if !session::csrf_matches(&secret, &token) {
            return Err(refused());
        }
        let too_big = || ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the file is too large");
        while let Some(field) = multipart.next_field().await.map_err(|_| refusal(&headers, &too_big()))? {
            if field.name() == Some(FILE_FIELD) {
                let bytes = field.bytes().await.map_err(|_| refusal(&headers, &too_big()))?;
                return Ok(Self { bytes: bytes.to_vec() });
            }
        }
        let missing = ApiError::new(StatusCode::BAD_REQUEST, "file_missing", "choose a file first");
        Err(refusal(&headers, &missing))
    }
}

impl<F> Posted<F> {
    /// The form's fields as the API request `T`; a missing or surplus field is the API's refusal too.
    pub fn request<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let encoded = serde_urlencoded::to_string(&self.fields)
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", "the form could not be read"))?;
        let fields = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        serde_path_to_error::deserialize(fields).map_err(|error| unfit(&error))
    }

    /// A form that moves money: its request `T`, with the idempotency key its page was rendered with.
    pub fn money_request<T: DeserializeOwned>(&self) -> Result<(IdempotencyKey, T), ApiError> {
        Ok((self.idempotency_key()?, self.request()?))
    }

    /// The key the page was rendered with, checked as the API checks its header.
    pub fn idempotency_key(&self) -> Result<IdempotencyKey, ApiError> {
        let valid = !self.key.is_empty()
            && self.key.len() <= 64
            && self.key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if valid {
            Ok(IdempotencyKey(self.key.clone()))
        } else {
            Err(ApiError::new(StatusCode::BAD_REQUEST, "idempotency_key_required", "reload the page and try again"))
        }
    }

    /// What the person typed, to show again beside an error; never a secret.
    pub fn typed(&self) -> Typed {
        Typed(self.fields.iter().filter(|(name, _)| !SECRET_FIELDS.contains(&name.as_str())).cloned().collect())
    }

    /// The named fields only: one form may carry two requests (sign-up and its billing details).
    pub fn only(&self, names: &[&str]) -> Self {
        let fields = self.fields.iter().filter(|(key, _)| names.contains(&key.as_str())).cloned().collect();
        Self { fields, key: self.key.clone(), from: PhantomData }
    }

    /// Drops a field that is the page's (such as where to go next), not the request's.
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|(key, _)| key != name);
    }

    /// Every value of a field that may come more than once (a group of checkboxes).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields.iter().filter(|(key, _)| key == name).map(|(_, value)| value.clone()).collect()
    }

    /// One field's value, or "".
    pub fn field(&self, name: &str) -> &str {
        self.fields.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
    }
}

/// A field the API takes a phone number in (`phone`, `to_phone`, `customer_phone`, …).
fn is_phone_field(name: &str) -> bool {
    name == "phone" || name.ends_with("_phone")
}

/// A phone number as the person typed it where they live, in E.164 when it reads as one (a
/// national number gets the network's country code); otherwise as typed, for the API to refuse.
pub fn local_phone(typed: String, default_code: Option<&CallingCode>) -> String {
    PhoneNumber::parse_local(&typed, default_code).map_or(typed, |phone| phone.as_str().to_owned())
}

/// Why a form's fields are not the request: a field left empty, or the field whose value does not
/// fit, named by its own code so the page says what is wrong with it.
fn unfit(error: &serde_path_to_error::Error<serde_urlencoded::de::Error>) -> ApiError {
    let detail = error.inner().to_string();
    let field = error.path().iter().next_back().map(|segment| segment.to_string()).unwrap_or_default();
    if detail.starts_with("missing field") {
        return ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", detail);
    }
    if detail.starts_with("unknown field") {
        return ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", detail);
    }
    let code = match field.as_str() {
        "fee_bps" => "invalid_fee",
        "hours" => "invalid_hours",
        "bps" => "invalid_commission",
        "expires_in_seconds" => "invalid_expiry",
        _ => "invalid_number",
    };
    ApiError::new(StatusCode::BAD_REQUEST, code, format!("{field}: {detail}"))
}

/// Values a form shows in its fields: what was typed before, or nothing.
#[derive(Debug, Clone, Default)]
pub struct Typed(Vec<(String, String)>);

impl Typed {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(key, _)| key == name).map_or("", |(_, value)| value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Example {
        phone: String,
        hours: Option<u32>,
        note: Option<String>,
    }

    fn posted(fields: &[(&str, &str)]) -> Posted {
        Posted { fields: fields.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect(), ..Posted::default() }
    }

    #[test]
    fn fields_become_the_request_and_secrets_are_not_shown_again() {
        let form = posted(&[("phone", "+15550001"), ("hours", "24"), ("pin", "1234")]);
        assert!(form.request::<Example>().is_err(), "a surplus field is refused");
        let form = posted(&[("phone", "+15550001"), ("hours", "24")]);
        let example: Example = form.request().unwrap();
        assert_eq!((example.phone.as_str(), example.hours, example.note), ("+15550001", Some(24), None));
        let form = posted(&[("phone", "+1"), ("pin", "1234")]);
        assert_eq!(form.typed().get("phone"), "+1");
        assert_eq!(form.typed().get("pin"), "");
    }

    #[test]
    fn a_value_that_does_not_fit_is_named_by_its_field() {
        let code = |fields: &[(&str, &str)]| posted(fields).request::<Example>().map(|_| ()).unwrap_err().code;
        assert_eq!(code(&[("phone", "+15550001"), ("hours", "abc")]), "invalid_hours");
        assert_eq!(code(&[("phone", "+15550001"), ("hours", "1.5")]), "invalid_hours");
        assert_eq!(code(&[("hours", "24")]), "invalid_body", "a field left empty");
        assert_eq!(code(&[("phone", "+15550001"), ("pin", "1")]), "invalid_form", "a field no request takes");
        #[derive(Debug, serde::Deserialize)]
        struct Fee {
            #[allow(dead_code)]
            fee_bps: u32,
        }
        let error = posted(&[("fee_bps", "1.5")]).request::<Fee>().unwrap_err();
        assert_eq!(error.code, "invalid_fee", "not \"fill in every field\"");
    }

    #[test]
    fn a_phone_typed_at_home_becomes_international() {
        let code = CallingCode::parse("+1").ok();
        assert_eq!(local_phone("(555) 010-0099".into(), code.as_ref()), "+15550100099");
        assert_eq!(local_phone("+44 20 7946 0958".into(), code.as_ref()), "+442079460958");
        assert_eq!(local_phone("call me".into(), code.as_ref()), "call me", "left for the API to refuse");
        assert_eq!(local_phone("555 010 0099".into(), None), "555 010 0099");
        assert!(is_phone_field("to_phone") && is_phone_field("phone") && !is_phone_field("phones_note"));
    }

    #[test]
    fn an_idempotency_key_is_checked_like_the_header() {
        let mut form = Posted::<SignedOut>::default();
        assert!(form.idempotency_key().is_err());
        form.key = "0193a4b0-7c1e-7000-8000-000000000000".to_owned();
        assert!(form.idempotency_key().is_ok());
        form.key = "bad key".to_owned();
        assert!(form.idempotency_key().is_err());
    }
}
