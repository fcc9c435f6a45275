//! A posted form, taken apart at the edge. The fields a form posts are the
//! API's own request fields, and they are parsed into the API's own request
//! types, so a form refuses exactly what the API refuses. Beside them ride
//! the CSRF token and, on a form that moves money, the idempotency key the
//! page was rendered with (a double tap posts the same key twice, and the
//! second is answered with the first's result).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use quipu_http::extract::IdempotencyKey;
use quipu_http::problem::ApiError;
use serde::de::DeserializeOwned;

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

/// A posted form: its fields in order, empty ones dropped (an empty optional field is an absent one).
#[derive(Debug, Clone, Default)]
pub struct Posted {
    fields: Vec<(String, String)>,
    csrf: String,
    key: String,
}

impl<S: Send + Sync> FromRequest<S> for Posted {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let unreadable = || ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", "the form could not be read");
        let is_form = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(unreadable());
        }
        let body = Bytes::from_request(request, state).await.map_err(|_| unreadable())?;
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| unreadable())?;
        let mut posted = Posted::default();
        for (name, value) in pairs {
            match name.as_str() {
                CSRF_FIELD => posted.csrf = value,
                KEY_FIELD => posted.key = value,
                _ if value.trim().is_empty() => {}
                _ => posted.fields.push((name, value)),
            }
        }
        Ok(posted)
    }
}

impl Posted {
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// The form's fields as the API request `T`; a missing or surplus field is the API's refusal too.
    pub fn request<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        let encoded = serde_urlencoded::to_string(&self.fields)
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "invalid_form", "the form could not be read"))?;
        serde_urlencoded::from_str(&encoded)
            .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", error.to_string()))
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
    pub fn only(&self, names: &[&str]) -> Posted {
        let fields = self.fields.iter().filter(|(key, _)| names.contains(&key.as_str())).cloned().collect();
        Posted { fields, csrf: self.csrf.clone(), key: self.key.clone() }
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
    fn an_idempotency_key_is_checked_like_the_header() {
        let mut form = Posted::default();
        assert!(form.idempotency_key().is_err());
        form.key = "0193a4b0-7c1e-7000-8000-000000000000".to_owned();
        assert!(form.idempotency_key().is_ok());
        form.key = "bad key".to_owned();
        assert!(form.idempotency_key().is_err());
    }
}
