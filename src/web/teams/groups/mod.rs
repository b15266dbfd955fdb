//! The Groups tab of a team: the groups with their members and services, create,
//! rename (inline with htmx, or on its own page without JavaScript), delete, add
//! and remove members, attach and detach services. Its templates are in `view`;
//! `shared` holds what the Services tab (`teams::services`) uses too.

mod shared;
mod view;

pub use shared::{allow_change, change_and_load, parse_choice, Controls, Outcome};
pub use view::card_message;

use actix_web::{http::StatusCode, web, HttpResponse};
use diesel::PgConnection;
use serde::Deserialize;
use validator::Validate;

use crate::db::{self, organizations::Organization, PgPool};
use crate::domain::{
    group_fields::GroupName, policy::TeamAction, AccountId, Feature, GroupId, ServiceId, TeamId,
    TeamMembershipId,
};
use crate::error::{AppError, AppResult};
use crate::services::groups as groups_service;
use crate::web::plumbing::context::{flash, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, render_status, see_other, Wants};
use crate::web::plumbing::routing::routes;
use view::{
    card_html, card_response, groups_path, loader, render_groups, render_rename, section_html,
};

routes! {
    GET "/orgs/{org}/teams/{team}/groups" => groups_index,
    POST "/orgs/{org}/teams/{team}/groups" => groups_create,
    GET "/orgs/{org}/teams/{team}/groups/{group}" => groups_show,
    POST "/orgs/{org}/teams/{team}/groups/{group}" => groups_rename,
    GET "/orgs/{org}/teams/{team}/groups/{group}/edit" => groups_edit,
    POST "/orgs/{org}/teams/{team}/groups/{group}/delete" => groups_delete,
    POST "/orgs/{org}/teams/{team}/groups/{group}/members" => groups_add_member,
    POST "/orgs/{org}/teams/{team}/groups/{group}/members/{member}/remove" => groups_remove_member,
    POST "/orgs/{org}/teams/{team}/groups/{group}/services" => groups_attach_service,
    POST "/orgs/{org}/teams/{team}/groups/{group}/services/{service}/remove" => groups_detach_service,
}

// ---- Handlers --------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct GroupPath {
    pub group: i64,
}

#[derive(Debug, Deserialize)]
pub struct GroupMemberPath {
    pub group: i64,
    pub member: i64,
}

#[derive(Debug, Deserialize)]
pub struct GroupServicePath {
    pub group: i64,
    pub service: i64,
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct NameForm {
    #[validate(length(max = 1000, message = "Group name can be at most 100 characters."))]
    pub name: String,
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct MemberForm {
    #[validate(length(max = 30, message = "Choose a member of this team."))]
    pub team_membership_id: String,
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct ServiceForm {
    #[validate(length(max = 30, message = "Choose one of the team's services."))]
    pub service_id: String,
}

pub async fn groups_index(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
) -> AppResult<HttpResponse> {
    show(wants, &pool, &tctx, None).await
}

/// One group's card for htmx (Cancel of an inline rename); the tab otherwise.
pub async fn groups_show(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<GroupPath>,
) -> AppResult<HttpResponse> {
    show(wants, &pool, &tctx, Some(GroupId(path.group))).await
}

/// The tab; or, when htmx asks about one group, its card.
async fn show(
    wants: Wants,
    pool: &PgPool,
    tctx: &TeamContext,
    id: Option<GroupId>,
) -> AppResult<HttpResponse> {
    let (org, team) = (tctx.ctx.org.clone(), tctx.team.id);
    let only = id.filter(|_| wants.is_fragment());
    let with_candidates = allow_change(tctx, TeamAction::ManageGroups).is_ok();
    let view = db::run(pool, move |conn| {
        let view = groups_service::load(conn, &org, team, only, with_candidates)?;
        // The whole tab for one group still needs it to be one of the team's.
        match id {
            Some(id) if !view.cards.iter().any(|c| c.group.id == id) => Err(AppError::NotFound),
            _ => Ok(view),
        }
    })
    .await?;
    if only.is_some() {
        return render_status(StatusCode::OK, &card_html(tctx, &view, None)?);
    }
    let none = FormErrors::default();
    render_groups(wants, tctx, &view, StatusCode::OK, "", &none, None)
}

fn parse_name(form: &NameForm) -> AppResult<GroupName> {
    let mut errors = form
        .validate()
        .err()
        .map(|e| FormErrors::from_validation(&e))
        .unwrap_or_default();
    let parsed = errors.check("name", GroupName::parse(&form.name));
    match (parsed, errors.get("name")) {
        (Some(name), None) => Ok(name),
        (_, message) => Err(AppError::Validation(
            message.unwrap_or("Check the group name.").to_owned(),
        )),
    }
}

fn name_errors(message: String) -> FormErrors {
    let mut errors = FormErrors::default();
    errors.add("name", message);
    errors
}

pub async fn groups_create(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    form: web::Form<NameForm>,
) -> AppResult<HttpResponse> {
    allow_change(&tctx, TeamAction::ManageGroups)?;
    let name = parse_name(&form);
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        groups_service::create(conn, actor, org, team, &name?)
    };
    let htmx = wants.is_fragment();
    let outcome =
        change_and_load(&pool, &tctx, htmx, &[Feature::Groups], change, loader(None)).await?;
    match outcome {
        Outcome::Done(group, view) => {
            let message = format!("Group “{}” created.", group.name);
            let Some(view) = view else {
                flash(&tctx.ctx.me.session, "success", message);
                return Ok(see_other(&format!(
                    "{}#group-{}",
                    groups_path(&tctx),
                    group.id
                )));
            };
            let none = FormErrors::default();
            fragment_with_toast(&section_html(&tctx, &view, &none), "success", &message)
        }
        Outcome::Refused(status, message, view) => {
            let errors = name_errors(message);
            render_groups(wants, &tctx, &view, status, &form.name, &errors, None)
        }
    }
}

/// Rename form: inline for htmx (the card turns into the form), a page otherwise.
pub async fn groups_edit(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<GroupPath>,
) -> AppResult<HttpResponse> {
    allow_change(&tctx, TeamAction::ManageGroups)?;
    let (org, team, id) = (tctx.ctx.org.clone(), tctx.team.id, GroupId(path.group));
    let group = db::run(&pool, move |conn| {
        groups_service::require(conn, &org, &[Feature::Groups])?;
        db::groups::find_in_team(conn, org.id, team, id)?.ok_or(AppError::NotFound)
    })
    .await?;
    let name = group.name.clone();
    render_rename(
        wants,
        &tctx,
        &group,
        StatusCode::OK,
        &name,
        &FormErrors::default(),
    )
}

pub async fn groups_rename(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<GroupPath>,
    form: web::Form<NameForm>,
) -> AppResult<HttpResponse> {
    allow_change(&tctx, TeamAction::ManageGroups)?;
    let (id, name) = (GroupId(path.group), parse_name(&form));
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        groups_service::rename(conn, actor, org, team, id, &name?)
    };
    let htmx = wants.is_fragment();
    let outcome = change_and_load(
        &pool,
        &tctx,
        htmx,
        &[Feature::Groups],
        change,
        loader(Some(id)),
    )
    .await?;
    match outcome {
        Outcome::Done(group, view) => {
            let message = format!("Group renamed to “{}”.", group.name);
            card_response(wants, &tctx, id, "name", Outcome::Done(message, view))
        }
        Outcome::Refused(status, message, view) => {
            let card = view.cards.first().ok_or(AppError::NotFound)?;
            let errors = name_errors(message);
            render_rename(wants, &tctx, &card.group, status, &form.name, &errors)
        }
    }
}

pub async fn groups_delete(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<GroupPath>,
) -> AppResult<HttpResponse> {
    allow_change(&tctx, TeamAction::ManageGroups)?;
    let id = GroupId(path.group);
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        groups_service::delete(conn, actor, org, team, id)
    };
    let htmx = wants.is_fragment();
    let outcome =
        change_and_load(&pool, &tctx, htmx, &[Feature::Groups], change, loader(None)).await?;
    let (group, view) = outcome.done()?;
    let message = format!("Group “{}” deleted.", group.name);
    match view {
        Some(view) => {
            let none = FormErrors::default();
            fragment_with_toast(&section_html(&tctx, &view, &none), "success", &message)
        }
        None => {
            flash(&tctx.ctx.me.session, "success", message);
            Ok(see_other(&groups_path(&tctx)))
        }
    }
}

/// Runs a change to one group's card and answers with the card (htmx) or the
/// tab (plain forms); a fixable refusal is shown next to `field`.
async fn change_card<C>(
    wants: Wants,
    pool: &PgPool,
    tctx: &TeamContext,
    (id, field): (GroupId, &'static str),
    needs: &'static [Feature],
    change: C,
) -> AppResult<HttpResponse>
where
    C: FnOnce(&mut PgConnection, AccountId, &Organization, TeamId) -> AppResult<String>
        + Send
        + 'static,
{
    allow_change(tctx, TeamAction::ManageGroups)?;
    let htmx = wants.is_fragment();
    let load = loader(htmx.then_some(id));
    let outcome = change_and_load(pool, tctx, htmx, needs, change, load).await?;
    card_response(wants, tctx, id, field, outcome)
}

const BOTH: &[Feature] = &[Feature::Groups, Feature::Services];

pub async fn groups_add_member(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<GroupPath>,
    form: web::Form<MemberForm>,
) -> AppResult<HttpResponse> {
    let id = GroupId(path.group);
    let message = "Choose a member of this team.";
    let member = parse_choice(&*form, &form.team_membership_id, message).map(TeamMembershipId);
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        groups_service::add_member(conn, actor, org, team, id, member?)
            .map(|p| format!("{} added to the group.", p.display_name))
    };
    change_card(
        wants,
        &pool,
        &tctx,
        (id, "member"),
        &[Feature::Groups],
        change,
    )
    .await
}

pub async fn groups_remove_member(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<GroupMemberPath>,
) -> AppResult<HttpResponse> {
    let (id, member) = (GroupId(path.group), TeamMembershipId(path.member));
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        groups_service::remove_member(conn, actor, org, team, id, member)
            .map(|p| format!("{} removed from the group.", p.display_name))
    };
    change_card(
        wants,
        &pool,
        &tctx,
        (id, "member"),
        &[Feature::Groups],
        change,
    )
    .await
}

pub async fn groups_attach_service(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<GroupPath>,
    form: web::Form<ServiceForm>,
) -> AppResult<HttpResponse> {
    let id = GroupId(path.group);
    let message = "Choose one of the team's services.";
    let service = parse_choice(&*form, &form.service_id, message).map(ServiceId);
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        groups_service::set_service(conn, actor, org, team, id, service?, true)
            .map(|s| format!("The group now provides {}.", s.name))
    };
    change_card(wants, &pool, &tctx, (id, "service"), BOTH, change).await
}

pub async fn groups_detach_service(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<GroupServicePath>,
) -> AppResult<HttpResponse> {
    let (id, service) = (GroupId(path.group), ServiceId(path.service));
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        groups_service::set_service(conn, actor, org, team, id, service, false)
            .map(|s| format!("The group no longer provides {}.", s.name))
    };
    change_card(wants, &pool, &tctx, (id, "service"), BOTH, change).await
}
