//! The HTTP surface, one folder per area of the product: [`auth`] (setup,
//! sign-in and -out, password reset), [`profile`], [`orgs`] (an organization's
//! home, a new one), [`members`], [`invitations`], [`teams`] (a team and its
//! tabs), [`settings`] (with roles, the audit log and API tokens) and
//! [`presence`]. What every area stands on (extractors, CSRF, sessions,
//! middleware, htmx helpers, assets) is in [`plumbing`]. [`routes`] is the
//! whole URL map: each area brings its own `routes`.

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

/// Every route of the application. The route-walk test lists these same paths.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route(
            "/static/{hash}/{path:.*}",
            web::get().to(plumbing::assets::serve),
        )
        .configure(auth::routes)
        .configure(profile::routes)
        .configure(orgs::routes)
        .configure(settings::routes)
        // Before members: `/members/invite` would otherwise match `/members/{member}`.
        .configure(invitations::routes)
        .configure(members::routes)
        .configure(teams::routes)
        .configure(presence::routes)
        .configure(crate::api::routes)
        .default_service(web::to(not_found));
}
