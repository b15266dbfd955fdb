//! Teams: the list with its create form and a team's page (here), and the
//! team's tabs, one module each: Members ([`members`], the page's first tab),
//! Groups ([`groups`]), Services ([`services`]), Contacts ([`contacts`]),
//! Calls ([`calls`]) and Settings ([`settings`]).

mod calls;
mod contacts;
mod groups;
mod members;
mod services;
mod settings;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::db::{self, teams::Team, PgPool};
use crate::domain::{
    policy::{self, Action, TeamAction},
    team_fields::{TeamDescription, TeamName},
    PermissionSet,
};
use crate::error::{AppError, AppResult};
use crate::services::teams as team_service;
use crate::web::plumbing::context::{flash, Layout, OrgContext, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{page_or_fragment, redirect, Wants};
use crate::web::plumbing::routing::routes;

pub use members::MembersView;

routes! {
    GET "/orgs/{org}/teams" => teams_index,
    POST "/orgs/{org}/teams" => teams_create,
    GET "/orgs/{org}/teams/{team}" => team_show,
    configure members,
    configure contacts,
    configure calls,
    configure settings,
    configure groups,
    configure services,
}

/// Shape errors from `validator` (oversize input) under the fields of the team forms.
fn shape_errors(form: &impl Validate) -> FormErrors {
    let mut out = FormErrors::default();
    let Err(errors) = form.validate() else {
        return out;
    };
    for (field, errs) in errors.field_errors() {
        let field: &'static str = match field.as_ref() {
            "name" => "name",
            "description" => "description",
            "goal_threshold" => "goal_threshold",
            "member" => "member",
            "role" => "role",
            "confirm_name" => "confirm_name",
            _ => "form",
        };
        if let Some(err) = errs.first() {
            let message = err
                .message
                .as_deref()
                .unwrap_or("This value is not accepted.");
            out.add(field, message.to_owned());
        }
    }
    out
}

fn team_path(team: &Team) -> String {
    format!("/orgs/{}/teams/{}", team.organization_id, team.id)
}

// ---- List and create ------------------------------------------------------

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct TeamForm {
    #[validate(length(max = 1000, message = "Team name can be at most 100 characters."))]
    pub name: String,
    #[validate(length(max = 10000, message = "Description can be at most 1000 characters."))]
    pub description: String,
}

#[derive(Template)]
#[template(path = "pages/teams/index.html")]
pub struct TeamsPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub teams: &'a [(Team, i64)],
    /// Everyone's teams, or only the viewer's own.
    pub sees_all: bool,
    pub can_create: bool,
    pub create_denied: &'a str,
    pub form: &'a TeamForm,
    pub errors: &'a FormErrors,
}

#[derive(Template)]
#[template(path = "fragments/teams/_create_form.html")]
pub struct CreateFormFragment<'a> {
    pub org_id: i64,
    pub form: &'a TeamForm,
    pub errors: &'a FormErrors,
    pub csrf: &'a str,
}

async fn teams_page(
    wants: Wants,
    pool: &PgPool,
    ctx: &OrgContext,
    form: &TeamForm,
    errors: &FormErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let create = policy::check(&ctx.actor, Action::CreateTeam);
    // Seeing a team one is not in is what `View { is_member: false }` answers.
    let sees_all = policy::check(
        &ctx.actor,
        Action::Team(
            TeamAction::View { is_member: false },
            PermissionSet::default(),
        ),
    )
    .is_ok();
    let (org, only) = (ctx.org.id, (!sees_all).then_some(ctx.actor.account_id));
    let teams = db::run(pool, move |conn| {
        Ok(db::teams::list_in_org(conn, org, only)?)
    })
    .await?;
    let layout = Layout::in_org(ctx, "teams");
    let csrf = layout.csrf.clone();
    page_or_fragment(
        wants,
        status,
        || TeamsPage {
            layout,
            org_id: org.0,
            teams: &teams,
            sees_all,
            can_create: create.is_ok(),
            create_denied: create.err().map(|d| d.0).unwrap_or_default(),
            form,
            errors,
        },
        || CreateFormFragment {
            org_id: org.0,
            form,
            errors,
            csrf: &csrf,
        },
    )
}

pub async fn teams_index(
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let empty = TeamForm::default();
    teams_page(
        wants,
        &pool,
        &ctx,
        &empty,
        &FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn teams_create(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    form: web::Form<TeamForm>,
) -> AppResult<HttpResponse> {
    policy::check(&ctx.actor, Action::CreateTeam)
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))?;
    let mut errors = shape_errors(&*form);
    let name = errors.check("name", TeamName::parse(&form.name));
    let description = errors.check("description", TeamDescription::parse(&form.description));
    if let (Some(name), Some(description), true) = (name, description, errors.is_empty()) {
        let (actor, creator, org) = (ctx.actor, ctx.membership.id, ctx.org.id);
        let created = db::run(&pool, move |conn| {
            team_service::create(conn, &actor, creator, org, &name, &description)
        })
        .await;
        match created {
            Ok(team) => {
                flash(
                    &ctx.me.session,
                    "success",
                    format!("Team {} created.", team.name),
                );
                return Ok(redirect(&req, &team_path(&team)));
            }
            Err(AppError::Conflict(message)) => errors.add("name", message),
            Err(other) => return Err(other),
        }
    }
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    teams_page(wants, &pool, &ctx, &form, &errors, status).await
}

// ---- One team: the Members tab --------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TeamQuery {
    /// Narrows the "add member" list by name or email.
    pub q: String,
}

#[derive(Template)]
#[template(path = "pages/teams/show.html")]
pub struct TeamPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub members: &'a MembersView,
}

pub async fn team_show(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    query: web::Query<TeamQuery>,
) -> AppResult<HttpResponse> {
    let view = members::load(&pool, &tctx, &query.q, FormErrors::default()).await?;
    let status = if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    members::render_members(wants, &tctx, &view, status)
}
