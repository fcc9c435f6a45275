//! Browser sessions. A person who signs in on a page gets the same kind of
//! session token the API hands out as a bearer token, kept in an HttpOnly,
//! SameSite cookie that page scripts cannot read. Whatever a cookie carries
//! is sent by the browser on its own, so every request that changes
//! something must also prove it came from one of our pages: a CSRF token
//! derived from the session token, in a form field or the `X-CSRF-Token`
//! header. A page from elsewhere can neither read the cookie nor compute it.

use axum::http::{HeaderMap, header};
use quipu_core::kernel::secrets::{constant_time_eq, sha256};

/// The cookie that holds a signed-in person's session token.
pub const SESSION_COOKIE: &str = "quipu_session";
/// Where a page's script puts the CSRF token on an API call.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Longest cookie value looked at; a session token is well under this.
const MAX_COOKIE_VALUE: usize = 200;

/// The value of cookie `name`, if the request carries it once.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty() && value.len() <= MAX_COOKIE_VALUE)
}

/// The CSRF token that goes with a secret (a session token, or an anonymous form's cookie).
pub fn csrf_token(secret: &str) -> String {
    let digest = sha256(&[b"quipu.csrf\n".as_slice(), secret.as_bytes()].concat());
    hex_prefix(&digest)
}

/// Whether `offered` is the CSRF token of `secret`, compared in constant time.
pub fn csrf_matches(secret: &str, offered: &str) -> bool {
    constant_time_eq(csrf_token(secret).as_bytes(), offered.trim().as_bytes())
}

/// 128 bits are plenty for a token nobody can see.
fn hex_prefix(digest: &[u8]) -> String {
    digest.iter().take(16).map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "lang=ko; quipu_session_x=1; quipu_session=qs_abc".parse().unwrap());
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("qs_abc"));
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn a_csrf_token_belongs_to_one_secret() {
        let token = csrf_token("qs_one");
        assert_eq!(token.len(), 32);
        assert!(csrf_matches("qs_one", &token));
        assert!(!csrf_matches("qs_two", &token));
        assert!(!csrf_matches("qs_one", ""));
    }
}
