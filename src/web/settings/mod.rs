//! An organization's settings, one module per tab: General ([`general`], the
//! name), Features ([`features`], toggles), Plan & seats ([`plan`]), Roles
//! ([`roles`], custom roles), Audit log ([`audit`]), API tokens
//! ([`api_tokens`]) and API ([`api_docs`], how to call the JSON API).

pub mod api_docs;
pub mod api_tokens;
pub mod audit;
pub mod features;
pub mod general;
pub mod plan;
pub mod roles;

use actix_web::{web, HttpResponse};

use crate::domain::policy;
use crate::error::{AppError, AppResult};
use crate::web::plumbing::context::OrgContext;
use crate::web::plumbing::htmx::see_other;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/orgs/{org}/settings", web::get().to(settings_index))
        .route(
            "/orgs/{org}/settings/general",
            web::get().to(general::general_show),
        )
        .route(
            "/orgs/{org}/settings/general",
            web::post().to(general::general_update),
        )
        .route(
            "/orgs/{org}/settings/features",
            web::get().to(features::features_show),
        )
        .route(
            "/orgs/{org}/settings/features/{feature}",
            web::post().to(features::feature_toggle),
        )
        .route("/orgs/{org}/settings/plan", web::get().to(plan::plan_show))
        .route(
            "/orgs/{org}/settings/plan",
            web::post().to(plan::seats_update),
        )
        .configure(roles::routes)
        .configure(audit::routes)
        .configure(api_tokens::routes)
        .route(
            "/orgs/{org}/settings/api",
            web::get().to(api_docs::api_docs),
        );
}

fn allow(ctx: &OrgContext, action: policy::Action) -> AppResult<()> {
    policy::check(&ctx.actor, action).map_err(|policy::Denied(reason)| AppError::forbidden(reason))
}

pub async fn settings_index(ctx: OrgContext) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ViewSettings)?;
    Ok(see_other(&format!("/orgs/{}/settings/general", ctx.org.id)))
}
