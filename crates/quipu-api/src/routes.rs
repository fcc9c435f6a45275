//! A context's routes, declared once, each under the HTTP policy it needs (`quipu_http::Policy`):
//! the served router and the OpenAPI document both come from them.

use axum::Router;
use quipu_http::{Http, Policy};
use utoipa::openapi::{OpenApi, OpenApiBuilder};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::AppState;

/// Routes grouped by policy: `Routes::under(Policy::writes()).routes(routes!(a)).under(..)`.
#[derive(Default)]
pub struct Routes(Vec<(Policy, OpenApiRouter<AppState>)>);

impl Routes {
    /// Starts a group of routes under `policy`.
    pub fn under(policy: Policy) -> Self {
        Self(vec![(policy, OpenApiRouter::new())])
    }

    /// Starts another group, under `policy`.
    pub fn then_under(mut self, policy: Policy) -> Self {
        self.0.push((policy, OpenApiRouter::new()));
        self
    }

    /// Adds one path's operations (`utoipa_axum::routes!`, one path per call) to the current group
    /// (a group under [`Policy::writes`] if none was started).
    pub fn routes(mut self, routes: UtoipaMethodRouter<AppState>) -> Self {
        let (policy, group) = self.0.pop().unwrap_or_else(|| (Policy::writes(), OpenApiRouter::new()));
        self.0.push((policy, group.routes(routes)));
        self
    }

    /// Adds another context's routes.
    pub fn merge(mut self, other: Self) -> Self {
        self.0.extend(other.0);
        self
    }

    /// The router to serve, each group under its policy, and the document of its routes.
    pub fn serve(self, http: &Http) -> (Router<AppState>, OpenApi) {
        let mut served = Router::new();
        let mut document = OpenApiBuilder::new().build();
        for (policy, group) in self.0 {
            let (router, paths) = group.split_for_parts();
            served = served.merge(policy.route_layer(router, http));
            document.merge(paths);
        }
        (served, document)
    }

    /// The document of the routes, for those who need it without serving them.
    pub fn document(self) -> OpenApi {
        let mut document = OpenApiBuilder::new().build();
        for (_, group) in self.0 {
            document.merge(group.into_openapi());
        }
        document
    }
}
