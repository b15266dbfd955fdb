//! The HTTP surface: extractors, middleware, htmx helpers, assets, and one module
//! per area of pages. `routes` is the whole URL map.

pub mod auth;
pub mod invitations;
pub mod members;
pub mod orgs;
pub mod password_reset;
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
    cfg.route("/", web::get().to(auth::root))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route(
            "/static/{hash}/{path:.*}",
            web::get().to(plumbing::assets::serve),
        )
        .route("/setup", web::get().to(auth::setup_form))
        .route("/setup", web::post().to(auth::setup_submit))
        .route("/signin", web::get().to(auth::signin_form))
        .route("/signin", web::post().to(auth::signin_submit))
        .route("/signout", web::post().to(auth::signout))
        .configure(password_reset::routes)
        .route("/profile", web::get().to(profile::profile_show))
        .route("/profile/name", web::post().to(profile::profile_name))
        .route(
            "/profile/password",
            web::post().to(profile::profile_password),
        )
        .route(
            "/profile/sessions/end-all",
            web::post().to(profile::sessions_end_all),
        )
        .route(
            "/profile/sessions/{id}/end",
            web::post().to(profile::session_end),
        )
        .route("/orgs/new", web::get().to(orgs::orgs_new))
        .route("/orgs", web::post().to(orgs::orgs_create))
        .route("/orgs/{org}", web::get().to(orgs::org_home))
        .configure(settings::routes)
        // Before members: `/members/invite` would otherwise match `/members/{member}`.
        .configure(invitations::routes)
        .configure(members::routes)
        .configure(teams::routes)
        .configure(presence::routes)
        .configure(crate::api::routes)
        .default_service(web::to(not_found));
}
