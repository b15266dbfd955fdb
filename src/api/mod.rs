//! The JSON API under `/api/v1`: bearer-token authentication ([`auth`]),
//! RFC 9457 errors ([`problem`]), and handlers that call the same services and
//! the same policy as the pages.

pub mod auth;
pub mod calls;
pub mod problem;

use actix_web::web;

use problem::{ApiResult, Problem, ProblemType};

async fn not_found() -> ApiResult<actix_web::HttpResponse> {
    Err(Problem::new(
        ProblemType::NotFound,
        "There is no such endpoint under /api/v1.",
    ))
}

/// The API's routes, under `/api/v1`. Paths here are relative to that scope;
/// the route-walk test prefixes them.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(calls::routes)
            .default_service(web::to(not_found)),
    );
}
