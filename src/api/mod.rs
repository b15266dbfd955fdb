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

use problem::{ApiResult, Problem, ProblemType};

async fn not_found() -> ApiResult<actix_web::HttpResponse> {
    Err(Problem::new(
        ProblemType::NotFound,
        "There is no such endpoint; see /api/v1/openapi.json.",
    ))
}

/// The API's routes, under `/api/v1`. Paths here are relative to that scope;
/// the route-walk test prefixes them.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(json::json_config())
            .app_data(json::query_config())
            .app_data(json::path_config())
            .route("/openapi.json", web::get().to(openapi::openapi_json))
            .route("/problems/{slug}", web::get().to(openapi::problem_type))
            .configure(members::routes)
            .configure(members_lifecycle::routes)
            .configure(calls::routes)
            .configure(teams::routes)
            .configure(invitations::routes)
            .configure(groups::routes)
            .default_service(web::to(not_found)),
    );
}
