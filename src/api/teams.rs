//! `/api/v1/teams`: the organization's teams, creating one, its settings, and
//! adding or removing its members with a team role, through the team services
//! and the policy's team actions as on the team pages.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiActor;
use super::problem::{ApiResult, FieldError, Problem, ProblemBody};
use super::types::ApiTeamRole;
use crate::db::{self, teams::Team, PgPool};
use crate::domain::{
    policy::{Action, TeamAction},
    team_fields::{GoalThreshold, TeamDescription, TeamName, TeamToggle},
    MembershipId, Permission, PermissionSet, Scope, TeamId, TeamRole,
};
use crate::error::AppError;
use crate::services::teams::{self as svc, members::TeamAccess};
use crate::web::plumbing::routing::routes;

routes! {
    GET "/teams" => teams_list,
    POST "/teams" => teams_create,
    GET "/teams/{team}" => teams_get,
    PATCH "/teams/{team}" => teams_update,
    POST "/teams/{team}/members" => team_members_add,
    DELETE "/teams/{team}/members/{member}" => team_members_remove,
}

/// A team of the organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub calibration: bool,
    pub self_review: bool,
    pub goal_threshold: i32,
    pub archived: bool,
    /// Shown only to tokens that may change the team's settings.
    pub workflow_id: Option<String>,
}

/// The token's permissions in a team: every team permission through
/// `teams.manage` (the policy keeps them within its scopes); a token is no
/// team's member.
fn team_permissions(api: &ApiActor) -> PermissionSet {
    if api.actor.has(Permission::TeamsManage) {
        PermissionSet::scope_all(Scope::Team)
    } else {
        PermissionSet::default()
    }
}

pub(super) fn allow_team(api: &ApiActor, action: TeamAction) -> ApiResult<()> {
    api.allow(Action::Team(action, team_permissions(api)))
}

impl TeamOut {
    fn of(team: Team, api: &ApiActor) -> Self {
        let may_edit = allow_team(api, TeamAction::EditSettings).is_ok();
        Self {
            id: team.id.0,
            archived: team.is_archived(),
            workflow_id: may_edit.then_some(team.workflow_id),
            name: team.name,
            description: team.description,
            calibration: team.calibration,
            self_review: team.self_review,
            goal_threshold: team.goal_threshold,
        }
    }
}

/// The team `id` of the token's organization that the token may see, or 404.
pub(super) async fn load(pool: &PgPool, api: &ApiActor, id: i64) -> ApiResult<Team> {
    allow_team(api, TeamAction::View { is_member: false }).map_err(|_| Problem::not_found())?;
    let org = api.org;
    let team = db::run(pool, move |conn| {
        Ok(db::teams::find_in_org(conn, org, TeamId(id))?)
    })
    .await?;
    team.ok_or_else(Problem::not_found)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamList {
    pub data: Vec<TeamOut>,
}

#[utoipa::path(get, path = "/api/v1/teams", tag = "teams",
    responses((status = 200, description = "The organization's teams", body = TeamList),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn teams_list(api: ApiActor, pool: web::Data<PgPool>) -> ApiResult<HttpResponse> {
    if allow_team(&api, TeamAction::View { is_member: false }).is_err() {
        return Err(Problem::insufficient_scope(Permission::TeamsManage.key()));
    }
    let org = api.org;
    let teams = db::run(&pool, move |conn| {
        Ok(db::teams::list_in_org(conn, org, None)?)
    })
    .await?;
    let data = teams
        .into_iter()
        .map(|(t, _)| TeamOut::of(t, &api))
        .collect();
    Ok(HttpResponse::Ok().json(TeamList { data }))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}", tag = "teams",
    params(("team" = i64, Path, description = "The team's id")),
    responses((status = 200, description = "The team", body = TeamOut),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn teams_get(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let team = load(&pool, &api, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(TeamOut::of(team, &api)))
}

/// A new team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

fn field<T>(
    errors: &mut Vec<FieldError>,
    name: &str,
    parsed: Result<T, crate::domain::Invalid>,
) -> Option<T> {
    parsed
        .map_err(|e| errors.push(FieldError::new(name, e.0)))
        .ok()
}

#[utoipa::path(post, path = "/api/v1/teams", tag = "teams",
    request_body(content = NewTeam, content_type = "application/json"),
    responses((status = 201, description = "The new team", body = TeamOut),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn teams_create(
    api: ApiActor,
    pool: web::Data<PgPool>,
    body: web::Json<NewTeam>,
) -> ApiResult<HttpResponse> {
    api.allow(Action::CreateTeam)?;
    let mut errors = Vec::new();
    let name = field(&mut errors, "name", TeamName::parse(&body.name));
    let description = field(
        &mut errors,
        "description",
        TeamDescription::parse(&body.description),
    );
    let (Some(name), Some(description)) = (name, description) else {
        return Err(Problem::validation(errors));
    };
    let (actor, org) = (api.actor, api.org);
    let team = db::run(&pool, move |conn| {
        // Someone who may not manage every team becomes the new team's manager.
        let creator = db::invitations::membership_of(conn, org, actor.account_id)?
            .map(|(id, _)| MembershipId(id))
            .ok_or(crate::error::AppError::NotFound)?;
        svc::create(conn, &actor, creator, org, &name, &description)
    })
    .await?;
    Ok(HttpResponse::Created().json(TeamOut::of(team, &api)))
}

/// The team's settings to change; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub calibration: Option<bool>,
    #[serde(default)]
    pub self_review: Option<bool>,
    /// 0 to 100.
    #[serde(default)]
    pub goal_threshold: Option<i64>,
}

#[utoipa::path(patch, path = "/api/v1/teams/{team}", tag = "teams",
    params(("team" = i64, Path, description = "The team's id")),
    request_body(content = TeamUpdate, content_type = "application/json"),
    responses((status = 200, description = "The team as saved", body = TeamOut),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn teams_update(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
    body: web::Json<TeamUpdate>,
) -> ApiResult<HttpResponse> {
    let team = load(&pool, &api, path.into_inner()).await?;
    allow_team(&api, TeamAction::EditSettings)?;
    let body = body.into_inner();
    let mut errors = Vec::new();
    let details = match (&body.name, &body.description) {
        (None, None) => None,
        (name, description) => {
            let name = field(
                &mut errors,
                "name",
                TeamName::parse(name.as_deref().unwrap_or(&team.name)),
            );
            let description = field(
                &mut errors,
                "description",
                TeamDescription::parse(description.as_deref().unwrap_or(&team.description)),
            );
            name.zip(description)
        }
    };
    let goal = body
        .goal_threshold
        .and_then(|n| field(&mut errors, "goal_threshold", GoalThreshold::new(n)));
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let (actor, org, id) = (api.actor, api.org, team.id);
    let toggles = [
        (TeamToggle::Calibration, body.calibration),
        (TeamToggle::SelfReview, body.self_review),
    ];
    let saved = db::run(&pool, move |conn| {
        use diesel::Connection;
        // One transaction: all of the change or none of it.
        conn.transaction(|conn| {
            let mut saved = None;
            if let Some((name, description)) = &details {
                saved = Some(
                    svc::update_details(conn, &actor, org, id, name, description)?
                        .map_err(AppError::from)?,
                );
            }
            for (toggle, on) in toggles {
                if let Some(on) = on {
                    saved = Some(svc::set_toggle(conn, &actor, org, id, toggle, on)?);
                }
            }
            if let Some(goal) = goal {
                saved = Some(svc::set_goal_threshold(conn, &actor, org, id, goal)?);
            }
            Ok(saved)
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(TeamOut::of(saved.unwrap_or(team), &api)))
}

/// Someone to add to the team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamMemberAdd {
    /// The org membership id (see /api/v1/members).
    pub member_id: i64,
    pub role: ApiTeamRole,
}

/// A member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamMemberOut {
    pub member_id: i64,
    pub name: String,
    pub email: String,
    /// team_manager, supervisor, agent or custom
    pub team_role: String,
}

fn access(api: &ApiActor) -> TeamAccess {
    TeamAccess {
        actor: api.actor,
        permissions: team_permissions(api),
    }
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/members", tag = "teams",
    params(("team" = i64, Path, description = "The team's id")),
    request_body(content = TeamMemberAdd, content_type = "application/json"),
    responses((status = 201, description = "The member, now in the team", body = TeamMemberOut),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn team_members_add(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
    body: web::Json<TeamMemberAdd>,
) -> ApiResult<HttpResponse> {
    let team = load(&pool, &api, path.into_inner()).await?;
    let (access, org, member, role) = (
        access(&api),
        api.org,
        MembershipId(body.member_id),
        TeamRole::from(body.role),
    );
    let row = db::run(&pool, move |conn| {
        crate::services::teams::members::add(conn, &access, org, team.id, member, role)
    })
    .await?;
    Ok(HttpResponse::Created().json(TeamMemberOut {
        member_id: row.membership_id.0,
        name: row.display_name,
        email: row.email,
        team_role: row.team_role.as_str().to_owned(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}/members/{member}", tag = "teams",
    params(("team" = i64, Path, description = "The team's id"),
           ("member" = i64, Path, description = "The org membership id")),
    responses((status = 204, description = "Removed from the team; still in the organization; their contacts in the team are unassigned"),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn team_members_remove(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<(i64, i64)>,
) -> ApiResult<HttpResponse> {
    let (team, member) = path.into_inner();
    let team = load(&pool, &api, team).await?;
    let (access, org) = (access(&api), api.org);
    db::run(&pool, move |conn| {
        // As on the page without a choice: their contacts in this team are unassigned.
        crate::services::teams::members::remove(
            conn,
            &access,
            org,
            team.id,
            MembershipId(member),
            crate::services::members::lifecycle::Handover::Unassign,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
