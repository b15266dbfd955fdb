//! Settings → General: the organization's name.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::allow;
use crate::db::{self, PgPool};
use crate::domain::{policy, OrgName};
use crate::error::AppResult;
use crate::services::orgs as org_service;
use crate::web::plumbing::context::{flash, Layout, OrgContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, page_or_fragment, see_other, Wants};

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
    wants: Wants,
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
    if wants.is_fragment() {
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
