//! Organization settings: General (name), Features (toggles) and Plan & seats.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::db::{self, PgPool};
use crate::domain::{policy, Feature, OrgName, SeatCount};
use crate::error::{AppError, AppResult};
use crate::services::orgs::{self as org_service, FeatureState, Seats};
use crate::web::plumbing::context::{flash, Layout, OrgContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, is_htmx, page_or_fragment, see_other};

fn allow(ctx: &OrgContext, action: policy::Action) -> AppResult<()> {
    policy::check(&ctx.actor, action).map_err(|policy::Denied(reason)| AppError::forbidden(reason))
}

pub async fn settings_index(ctx: OrgContext) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ViewSettings)?;
    Ok(see_other(&format!("/orgs/{}/settings/general", ctx.org.id)))
}

// ---- General -------------------------------------------------------------

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct GeneralForm {
    #[validate(length(
        max = 1000,
        message = "Organization name can be at most 100 characters."
    ))]
    pub name: String,
}

#[derive(Template)]
#[template(path = "pages/settings/general.html")]
pub struct GeneralPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub name: &'a str,
    pub errors: &'a FormErrors,
}

#[derive(Template)]
#[template(path = "fragments/settings/_general_form.html")]
pub struct GeneralFragment<'a> {
    pub org_id: i64,
    pub name: &'a str,
    pub errors: &'a FormErrors,
    pub csrf: &'a str,
}

pub async fn general_show(ctx: OrgContext) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ViewSettings)?;
    let errors = FormErrors::default();
    crate::web::plumbing::htmx::render(&GeneralPage {
        org_id: ctx.org.id.0,
        name: &ctx.org.name,
        errors: &errors,
        layout: Layout::in_org(&ctx, "settings-general"),
    })
}

pub async fn general_update(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    form: web::Form<GeneralForm>,
) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::RenameOrg)?;
    let mut errors = form
        .validate()
        .err()
        .map(|e| FormErrors::from_validation(&e))
        .unwrap_or_default();
    let parsed = errors.check("name", OrgName::parse(&form.name));
    let org_id = ctx.org.id;
    let Some(name) = parsed.filter(|_| errors.is_empty()) else {
        let layout = Layout::in_org(&ctx, "settings-general");
        let csrf = layout.csrf.clone();
        return page_or_fragment(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            || GeneralPage {
                layout,
                org_id: org_id.0,
                name: &form.name,
                errors: &errors,
            },
            || GeneralFragment {
                org_id: org_id.0,
                name: &form.name,
                errors: &errors,
                csrf: &csrf,
            },
        );
    };
    let actor = ctx.actor;
    let saved = name.clone();
    db::run(&pool, move |conn| {
        org_service::rename(conn, &actor, org_id, &saved)
    })
    .await?;
    if is_htmx(&req) {
        let csrf = crate::web::plumbing::csrf::token(&ctx.me.session);
        let fragment = GeneralFragment {
            org_id: org_id.0,
            name: name.as_str(),
            errors: &FormErrors::default(),
            csrf: &csrf,
        };
        return fragment_with_toast(&fragment, "success", "Organization name saved.");
    }
    flash(&ctx.me.session, "success", "Organization name saved.");
    Ok(see_other(&format!("/orgs/{org_id}/settings/general")))
}

// ---- Features ------------------------------------------------------------

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
    req: HttpRequest,
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
    if is_htmx(&req) {
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

// ---- Plan & seats --------------------------------------------------------

#[derive(Template)]
#[template(path = "pages/settings/plan.html")]
pub struct PlanPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub seats: &'a Seats,
    pub seats_value: &'a str,
    pub can_edit: bool,
    pub errors: &'a FormErrors,
}

#[derive(Template)]
#[template(path = "fragments/settings/_seats_form.html")]
pub struct SeatsFragment<'a> {
    pub org_id: i64,
    pub seats: &'a Seats,
    pub seats_value: &'a str,
    pub can_edit: bool,
    pub errors: &'a FormErrors,
    pub csrf: &'a str,
}

pub async fn plan_show(pool: web::Data<PgPool>, ctx: OrgContext) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ViewSettings)?;
    let org = ctx.org.clone();
    let seats = db::run(&pool, move |conn| org_service::seats(conn, &org)).await?;
    let value = seats.purchased.to_string();
    crate::web::plumbing::htmx::render(&PlanPage {
        org_id: ctx.org.id.0,
        seats: &seats,
        seats_value: &value,
        can_edit: policy::check(&ctx.actor, policy::Action::ChangeSeats).is_ok(),
        errors: &FormErrors::default(),
        layout: Layout::in_org(&ctx, "settings-plan"),
    })
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct SeatsForm {
    #[validate(length(max = 100, message = "Enter the number of seats as a whole number."))]
    pub seats: String,
}

pub async fn seats_update(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    form: web::Form<SeatsForm>,
) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ChangeSeats)?;
    let mut errors = form
        .validate()
        .err()
        .map(|e| FormErrors::from_validation(&e))
        .unwrap_or_default();
    let parsed = errors.check("seats", SeatCount::parse(&form.seats));
    let (actor, org_id) = (ctx.actor.account_id, ctx.org.id);
    let result = match parsed.filter(|_| errors.is_empty()) {
        Some(count) => match db::run(&pool, move |conn| {
            org_service::change_seats(conn, Some(actor), org_id, count)
        })
        .await
        {
            Ok(seats) => Ok(seats),
            Err(AppError::Validation(message)) => {
                errors.add("seats", message);
                Err(())
            }
            Err(other) => return Err(other),
        },
        None => Err(()),
    };
    let seats = match result {
        Ok(seats) => seats,
        Err(()) => {
            let org = ctx.org.clone();
            let seats = db::run(&pool, move |conn| org_service::seats(conn, &org)).await?;
            let layout = Layout::in_org(&ctx, "settings-plan");
            let csrf = layout.csrf.clone();
            return page_or_fragment(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                || PlanPage {
                    layout,
                    org_id: org_id.0,
                    seats: &seats,
                    seats_value: &form.seats,
                    can_edit: true,
                    errors: &errors,
                },
                || SeatsFragment {
                    org_id: org_id.0,
                    seats: &seats,
                    seats_value: &form.seats,
                    can_edit: true,
                    errors: &errors,
                    csrf: &csrf,
                },
            );
        }
    };
    let message = format!("Seats set to {}.", seats.purchased);
    if is_htmx(&req) {
        let csrf = crate::web::plumbing::csrf::token(&ctx.me.session);
        let value = seats.purchased.to_string();
        let fragment = SeatsFragment {
            org_id: org_id.0,
            seats: &seats,
            seats_value: &value,
            can_edit: true,
            errors: &FormErrors::default(),
            csrf: &csrf,
        };
        return fragment_with_toast(&fragment, "success", &message);
    }
    flash(&ctx.me.session, "success", message);
    Ok(see_other(&format!("/orgs/{org_id}/settings/plan")))
}
