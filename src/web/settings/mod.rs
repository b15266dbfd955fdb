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

use actix_web::HttpResponse;

use crate::domain::policy;
use crate::error::{AppError, AppResult};
use crate::web::plumbing::context::OrgContext;
use crate::web::plumbing::htmx::see_other;
use crate::web::plumbing::routing::routes;

routes! {
    GET "/orgs/{org}/settings" => settings_index,
    GET "/orgs/{org}/settings/general" => general::general_show,
    POST "/orgs/{org}/settings/general" => general::general_update,
    GET "/orgs/{org}/settings/features" => features::features_show,
    POST "/orgs/{org}/settings/features/{feature}" => features::feature_toggle,
    GET "/orgs/{org}/settings/plan" => plan::plan_show,
    POST "/orgs/{org}/settings/plan" => plan::seats_update,
    configure roles,
    configure audit,
    configure api_tokens,
    GET "/orgs/{org}/settings/api" => api_docs::api_docs,
}

fn allow(ctx: &OrgContext, action: policy::Action) -> AppResult<()> {
    policy::check(&ctx.actor, action).map_err(|policy::Denied(reason)| AppError::forbidden(reason))
}

pub async fn settings_index(ctx: OrgContext) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ViewSettings)?;
    Ok(see_other(&format!("/orgs/{}/settings/general", ctx.org.id)))
}
