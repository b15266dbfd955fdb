//! Organizations as places: the organization home page, and creating one more.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::db::PgPool;
use crate::domain::{policy, OrgName};
use crate::error::AppResult;
use crate::services;
use crate::web::invitations::inbox::{open_items, InboxItem};
use crate::web::plumbing::context::{flash, Layout, OrgContext, SignedIn};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{page_or_fragment, redirect};
use crate::web::plumbing::routing::routes;

routes! {
    GET "/orgs/new" => orgs_new,
    POST "/orgs" => orgs_create,
    GET "/orgs/{org}" => org_home,
}

#[derive(Template)]
#[template(path = "pages/orgs/home.html")]
pub struct HomePage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub org_name: &'a str,
    pub role: &'a str,
    pub can_settings: bool,
    /// The account's open invitations elsewhere: a banner each.
    pub invitations: Vec<InboxItem>,
}

pub async fn org_home(pool: web::Data<PgPool>, ctx: OrgContext) -> AppResult<HttpResponse> {
    let can_settings = policy::check(&ctx.actor, policy::Action::ViewSettings).is_ok();
    let invitations = open_items(&pool, ctx.me.account.id).await?;
    crate::web::plumbing::htmx::render(&HomePage {
        org_id: ctx.org.id.0,
        org_name: &ctx.org.name,
        role: ctx.actor.role.label(),
        can_settings,
        invitations,
        layout: Layout::in_org(&ctx, "home"),
    })
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct NewOrgForm {
    #[validate(length(
        max = 1000,
        message = "Organization name can be at most 100 characters."
    ))]
    pub name: String,
}

#[derive(Template)]
#[template(path = "pages/orgs/new.html")]
pub struct NewOrgPage<'a> {
    pub layout: Layout,
    pub name: &'a str,
    pub errors: &'a FormErrors,
}

#[derive(Template)]
#[template(path = "fragments/orgs/_new_form.html")]
pub struct NewOrgFragment<'a> {
    pub name: &'a str,
    pub errors: &'a FormErrors,
    pub csrf: &'a str,
}

pub async fn orgs_new(me: SignedIn) -> AppResult<HttpResponse> {
    crate::web::plumbing::htmx::render(&NewOrgPage {
        layout: Layout::signed_in(&me, "new-org"),
        name: "",
        errors: &FormErrors::default(),
    })
}

pub async fn orgs_create(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    me: SignedIn,
    form: web::Form<NewOrgForm>,
) -> AppResult<HttpResponse> {
    let mut errors = form
        .validate()
        .err()
        .map(|e| FormErrors::from_validation(&e))
        .unwrap_or_default();
    let parsed = errors.check("name", OrgName::parse(&form.name));
    let Some(name) = parsed.filter(|_| errors.is_empty()) else {
        let layout = Layout::signed_in(&me, "new-org");
        let csrf = layout.csrf.clone();
        return page_or_fragment(
            &req,
            StatusCode::UNPROCESSABLE_ENTITY,
            || NewOrgPage {
                layout,
                name: &form.name,
                errors: &errors,
            },
            || NewOrgFragment {
                name: &form.name,
                errors: &errors,
                csrf: &csrf,
            },
        );
    };
    let account = me.account.id;
    let org = crate::db::run(&pool, move |conn| {
        services::auth::create_org(conn, account, &name)
    })
    .await?;
    flash(
        &me.session,
        "success",
        "Organization created. You are its Owner.",
    );
    let target = format!("/orgs/{org}");
    Ok(redirect(&req, &target))
}
