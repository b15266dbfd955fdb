//! Settings → Features: each feature with its plan and an on/off toggle,
//! swapped row by row.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::allow;
use crate::db::{self, PgPool};
use crate::domain::{policy, Feature};
use crate::error::{AppError, AppResult};
use crate::services::orgs::{self as org_service, FeatureState};
use crate::web::plumbing::context::{flash, Layout, OrgContext};
use crate::web::plumbing::htmx::{fragment_with_toast, see_other, Wants};

#[derive(Template)]
#[template(path = "pages/settings/features.html")]
pub struct FeaturesPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub features: &'a [FeatureState],
    pub can_toggle: bool,
    pub plan: &'a str,
}

#[derive(Template)]
#[template(path = "fragments/settings/_feature_row.html")]
pub struct FeatureRow<'a> {
    pub org_id: i64,
    pub f: &'a FeatureState,
    pub can_toggle: bool,
    pub csrf: &'a str,
}

pub async fn features_show(pool: web::Data<PgPool>, ctx: OrgContext) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ViewSettings)?;
    let org = ctx.org.clone();
    let features = db::run(&pool, move |conn| org_service::features(conn, &org)).await?;
    let can_toggle = policy::check(&ctx.actor, policy::Action::ToggleFeatures).is_ok();
    let plan = if ctx.org.plan == "pro" { "Pro" } else { "Free" };
    crate::web::plumbing::htmx::render(&FeaturesPage {
        org_id: ctx.org.id.0,
        features: &features,
        can_toggle,
        plan,
        layout: Layout::in_org(&ctx, "settings-features"),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ToggleForm {
    pub enabled: String,
}

pub async fn feature_toggle(
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    path: web::Path<(i64, String)>,
    form: web::Form<ToggleForm>,
) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ToggleFeatures)?;
    let feature = Feature::parse(&path.1).ok_or(AppError::NotFound)?;
    let enabled = match form.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AppError::Validation(
                "Say whether to enable (true) or disable (false) the feature.".into(),
            ))
        }
    };
    let (actor, org_id) = (ctx.actor, ctx.org.id);
    let state = db::run(&pool, move |conn| {
        org_service::set_feature(conn, &actor, org_id, feature, enabled)
    })
    .await?;
    let message = format!(
        "{} {}.",
        feature.label(),
        if state.enabled { "enabled" } else { "disabled" }
    );
    if wants.is_fragment() {
        let csrf = crate::web::plumbing::csrf::token(&ctx.me.session);
        return fragment_with_toast(
            &FeatureRow {
                org_id: org_id.0,
                f: &state,
                can_toggle: true,
                csrf: &csrf,
            },
            "success",
            &message,
        );
    }
    flash(&ctx.me.session, "success", message);
    Ok(see_other(&format!("/orgs/{org_id}/settings/features")))
}
