//! The JSON API under `/api/v1`: bearer-token authentication ([`auth`]),
//! RFC 9457 errors ([`problem`]), the edge's body and query rules ([`json`]),
//! and handlers that call the same services and the same policy as the pages.
//! The OpenAPI document is generated from these modules' types ([`openapi`]).

pub mod auth;
pub mod calls;
pub mod groups;
pub mod invitations;
pub mod json;
pub mod members;
pub mod members_lifecycle;
pub mod openapi;
pub mod problem;
pub mod teams;
pub mod types;

use actix_web::web;

use crate::web::plumbing::routing::Route;
use problem::{ApiResult, Problem, ProblemType};

async fn not_found() -> ApiResult<actix_web::HttpResponse> {
    Err(Problem::new(
        ProblemType::NotFound,
        "There is no such endpoint; see /api/v1/openapi.json.",
    ))
}

/// The API's routes, under `/api/v1`; the paths in [`v1`] are relative to it.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(SCOPE)
            .app_data(json::json_config())
            .app_data(json::query_config())
            .app_data(json::path_config())
            .configure(v1::routes)
            .default_service(web::to(not_found)),
    );
}

/// Every route of the API, with its full path.
pub fn route_table() -> Vec<Route> {
    v1::route_table()
        .into_iter()
        .map(|route| route.under(SCOPE))
        .collect()
}

const SCOPE: &str = "/api/v1";

/// The routes inside the `/api/v1` scope.
mod v1 {
    use super::{calls, groups, invitations, members, members_lifecycle, openapi, teams};
    use crate::web::plumbing::routing::routes;

    routes! {
        GET "/openapi.json" => openapi::openapi_json,
        GET "/problems/{slug}" => openapi::problem_type,
        configure members,
        configure members_lifecycle,
        configure calls,
        configure teams,
        configure invitations,
        configure groups,
    }
}
