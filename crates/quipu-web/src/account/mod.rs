//! The person's own account, whatever their app: signing in and out and the ways back in
//! ([`sign_in`]), and the time zone their pages read in ([`zones`]).

pub mod sign_in;
pub mod zones;

use axum::Router;
use axum::routing::{get, post};

use crate::WebState;

pub fn routes(http: &quipu_http::Http) -> Router<WebState> {
    Router::new()
        // Wrong passwords are guessed here as at the API's login: limited per address alike.
        .route("/login", get(sign_in::login_page).merge(crate::limited_post(sign_in::login, http)))
        .route("/logout", post(sign_in::logout))
        .route("/signed-out", get(sign_in::signed_out))
        .merge(sign_in::ways_back_in(http))
        .merge(zones::routes())
}
