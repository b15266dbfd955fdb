//! The HTTP surface, one folder per area of the product: [`auth`] (setup,
//! sign-in and -out, password reset), [`profile`], [`orgs`] (an organization's
//! home, a new one), [`members`], [`invitations`], [`teams`] (a team and its
//! tabs), [`settings`] (with roles, the audit log and API tokens) and
//! [`presence`]. What every area stands on (extractors, CSRF, sessions,
//! middleware, htmx helpers, assets) is in [`plumbing`]. [`routes`] is the
//! whole URL map, each area bringing its own `routes!` list;
//! [`route_table`] is the same map as data.

pub mod auth;
pub mod invitations;
pub mod members;
pub mod orgs;
pub mod plumbing;
pub mod presence;
pub mod profile;
pub mod settings;
pub mod teams;

use actix_web::{web, HttpResponse};

use crate::db::{self, PgPool};
use crate::error::{AppError, AppResult};
use plumbing::routing::Route;

/// Liveness: the process answers. It asks nothing of the database, so an
/// outage there does not get a healthy process restarted.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Readiness, for load balancers: 503 while the database cannot be reached.
async fn readyz(pool: web::Data<PgPool>) -> HttpResponse {
    let ready = db::run(&pool, |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT 1").execute(conn)?;
        Ok(())
    })
    .await;
    if ready.is_ok() {
        HttpResponse::Ok().content_type("text/plain").body("ready")
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, "5"))
            .content_type("text/plain")
            .body("database unreachable")
    }
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}

/// Every route of the application; a path none of them matches is a 404.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.configure(url_map::routes)
        .default_service(web::to(not_found));
}

/// Every route served, as (method, path): the application's, in the order
/// actix tries them, then the metrics listener's. Each comes from the same
/// `routes!` list that registers it; the route-walk test walks this table.
pub fn route_table() -> Vec<Route> {
    let mut table = url_map::route_table();
    table.extend(plumbing::metrics::route_table());
    table
}

/// The URL map: the probes and the assets, then each area's own list.
mod url_map {
    use super::{
        auth, healthz, invitations, members, orgs, plumbing, presence, profile, readyz, settings,
        teams,
    };
    use crate::web::plumbing::routing::routes;

    routes! {
        GET "/healthz" => healthz,
        GET "/readyz" => readyz,
        GET "/static/{hash}/{path:.*}" => plumbing::assets::serve,
        configure auth,
        configure profile,
        configure orgs,
        configure settings,
        // Before members: `/members/invite` would otherwise match `/members/{member}`.
        configure invitations,
        configure members,
        configure teams,
        configure presence,
        configure crate::api,
    }
}
