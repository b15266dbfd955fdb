//! `/api/v1/members`: the members list with the page's filters and cursor
//! pagination, one member, and changing a member's access, through the same
//! queries, services and policy as the Members page.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiActor;
use super::json::double_option;
use super::problem::{ApiResult, FieldError, Problem, ProblemBody};
use super::types::{ApiOrgRole, ApiStatus, Cursor};
use crate::db::{self, members as q, PgPool};
use crate::domain::{
    policy::Action, GroupId, MembershipId, MembershipStatus, OrgRole, Permission, PermissionSet,
    SearchText, TeamId,
};
use crate::services::members::{
    self as svc, GroupsPatch, MemberPatch, OrgRoleChoice, TeamRoleChoice,
};
use crate::web::plumbing::routing::routes;

routes! {
    GET "/members" => members_list,
    GET "/members/{member}" => members_get,
    PATCH "/members/{member}" => members_update,
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;
/// Longest search, as on the page.
const MAX_SEARCH: usize = 200;
const MAX_TEAMS: usize = 200;
const MAX_GROUPS: usize = 500;

/// A member's place in a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberTeam {
    pub team_id: i64,
    pub name: String,
    /// team_manager, supervisor, agent or custom
    pub role: String,
    pub custom_role_id: Option<i64>,
}

/// A group the member is in.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberGroup {
    pub group_id: i64,
    pub name: String,
    pub team: String,
}

/// A member of the organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct Member {
    /// The membership's id: what the other member endpoints take.
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub email: String,
    pub role: ApiOrgRole,
    pub status: ApiStatus,
    pub custom_role_id: Option<i64>,
    pub custom_role_name: Option<String>,
    /// The member's own organization permission set, when they have one.
    pub own_permissions: Option<Vec<String>>,
    pub teams: Vec<MemberTeam>,
    pub groups: Vec<MemberGroup>,
    /// Services the member's groups provide.
    pub services: Vec<String>,
    pub last_seen_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Send it back with a change to have it refused if someone saved the member since.
    pub version: i32,
}

impl Member {
    pub fn of(row: q::MemberRow) -> ApiResult<Self> {
        Ok(Self {
            role: row.base.role.into(),
            status: row.base.status.into(),
            id: row.base.id,
            account_id: row.base.account_id,
            name: row.base.display_name,
            email: row.base.email,
            custom_role_id: row.base.custom_role_id,
            custom_role_name: row.base.custom_role_name,
            own_permissions: row.base.permissions,
            teams: row
                .teams
                .into_iter()
                .map(|t| MemberTeam {
                    team_id: t.team_id,
                    name: t.name,
                    role: t.role.as_str().to_owned(),
                    custom_role_id: t.custom_role_id,
                })
                .collect(),
            groups: row
                .groups
                .into_iter()
                .map(|g| MemberGroup {
                    group_id: g.group_id,
                    name: g.name,
                    team: g.team,
                })
                .collect(),
            services: row.services,
            last_seen_at: row.base.last_seen_at,
            version: row.base.version,
        })
    }
}

/// A page of members.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberPage {
    pub data: Vec<Member>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many members the filter matches.
    pub total: i64,
    /// `total` is an estimate from a sample (a common search, not made
    /// before, in an organization of 50,000 members or more); follow
    /// `next_cursor` rather than counting pages by it.
    pub total_is_estimate: bool,
}

/// The members page's filters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Part of a name or email address.
    pub q: Option<String>,
    pub role: Option<ApiOrgRole>,
    /// Without it: pending and active members.
    pub status: Option<ApiStatus>,
    /// Only members of this team.
    pub team: Option<i64>,
    /// Members per page, 1 to 200 (50 when absent).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The filter, limit and start a query asks for.
pub fn parse_list(query: &MemberQuery) -> ApiResult<(q::MemberFilter, i64, Option<Cursor>)> {
    let mut errors = Vec::new();
    let search = match SearchText::parse(query.q.as_deref().unwrap_or(""), MAX_SEARCH) {
        Ok(s) => (!s.as_str().is_empty()).then(|| s.as_str().to_lowercase()),
        Err(e) => {
            errors.push(FieldError::new("q", e.0));
            None
        }
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        errors.push(FieldError::new(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}."),
        ));
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let cursor = query.cursor.as_deref().map(Cursor::decode).transpose()?;
    let filter = q::MemberFilter {
        search,
        role: query.role.map(OrgRole::from),
        status: query.status.map(MembershipStatus::from),
        team: query.team.map(TeamId),
        only_account: None,
        sort: q::MemberSort::Name,
    };
    Ok((filter, limit, cursor))
}

/// One page of the list and the cursor after it.
pub fn read_page(
    conn: &mut diesel::PgConnection,
    api: &ApiActor,
    filter: &q::MemberFilter,
    limit: i64,
    cursor: Option<Cursor>,
    counts: &q::SearchCounts,
) -> crate::error::AppResult<(q::Page, Option<Cursor>)> {
    let offset = cursor.map_or(0, |c| c.offset);
    let anchor = cursor.map(|c| q::Anchor::After(c.after));
    let page = q::list_page(conn, api.org, filter, limit, offset, anchor, counts)?;
    let shown = i64::try_from(page.rows.len()).unwrap_or(i64::MAX);
    let next = page
        .rows
        .last()
        .filter(|_| (page.approximate || offset + shown < page.total) && shown == limit)
        .map(|last| Cursor {
            offset: offset + shown,
            after: MembershipId(last.base.id),
        });
    Ok((page, next))
}

#[utoipa::path(
    get,
    path = "/api/v1/members",
    tag = "members",
    params(MemberQuery),
    responses(
        (status = 200, description = "A page of members", body = MemberPage),
        (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn members_list(
    api: ApiActor,
    pool: web::Data<PgPool>,
    counts: web::Data<q::SearchCounts>,
    query: web::Query<MemberQuery>,
) -> ApiResult<HttpResponse> {
    api.require(Permission::MembersView)?;
    api.allow(Action::ViewMembers)?;
    let (filter, limit, cursor) = parse_list(&query)?;
    let (page, next) = {
        let api = api.clone();
        db::run(&pool, move |conn| {
            read_page(conn, &api, &filter, limit, cursor, &counts)
        })
        .await?
    };
    let data = page
        .rows
        .into_iter()
        .map(Member::of)
        .collect::<ApiResult<_>>()?;
    Ok(HttpResponse::Ok().json(MemberPage {
        data,
        next_cursor: next.map(Cursor::encode),
        total: page.total,
        total_is_estimate: page.approximate,
    }))
}

/// The member `id` of the token's organization, or 404.
pub async fn load(pool: &PgPool, api: &ApiActor, id: i64) -> ApiResult<q::MemberRow> {
    let org = api.org;
    let found = db::run(pool, move |conn| {
        Ok(q::find_row(conn, org, MembershipId(id))?)
    })
    .await?;
    found.map(|(row, _)| row).ok_or_else(Problem::not_found)
}

#[utoipa::path(
    get,
    path = "/api/v1/members/{member}",
    tag = "members",
    params(("member" = i64, Path, description = "The membership id")),
    responses(
        (status = 200, description = "The member", body = Member),
        (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn members_get(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    api.require(Permission::MembersView)?;
    api.allow(Action::ViewMembers)?;
    let row = load(&pool, &api, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(Member::of(row)?))
}

/// A team to join, change or leave.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamAssignment {
    pub team_id: i64,
    /// team_manager, supervisor, agent or custom:{role id}; null leaves the team.
    #[serde(default)]
    pub role: Option<String>,
}

/// What to change; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberUpdate {
    /// The `version` you read: refused with 409 if someone saved the member since.
    #[serde(default)]
    pub version: Option<i32>,
    /// owner, admin, manager, member, or custom:{role id}.
    #[serde(default)]
    pub role: Option<String>,
    /// The member's own organization permission set; null clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>)]
    pub own_permissions: Option<Option<Vec<String>>>,
    /// Teams to join, change or leave (at most 200).
    #[serde(default)]
    pub teams: Vec<TeamAssignment>,
    /// Exactly these groups (ids; at most 500).
    #[serde(default)]
    pub groups: Option<Vec<i64>>,
}

impl MemberUpdate {
    fn patch(self) -> ApiResult<MemberPatch> {
        let mut errors = Vec::new();
        let role = self.role.as_deref().and_then(|raw| {
            let parsed = OrgRoleChoice::parse(raw);
            if parsed.is_none() {
                errors.push(FieldError::new(
                    "role",
                    "Use owner, admin, manager, member or custom:{role id}.",
                ));
            }
            parsed
        });
        let own_permissions = match self.own_permissions {
            Some(Some(keys)) if keys.len() > Permission::ALL.len() => {
                errors.push(FieldError::new("own_permissions", "Too many permissions."));
                None
            }
            Some(Some(keys)) => match PermissionSet::from_keys(&keys) {
                Ok(set) => Some(Some(set)),
                Err(message) => {
                    errors.push(FieldError::new("own_permissions", message));
                    None
                }
            },
            Some(None) => Some(None),
            None => None,
        };
        if self.teams.len() > MAX_TEAMS {
            errors.push(FieldError::new(
                "teams",
                format!("At most {MAX_TEAMS} teams."),
            ));
        }
        let mut teams = Vec::new();
        for (i, t) in self.teams.iter().enumerate() {
            match t.role.as_deref().map(TeamRoleChoice::parse) {
                Some(None) => errors.push(FieldError::new(
                    format!("teams/{i}/role"),
                    "Use team_manager, supervisor, agent or custom:{role id}.",
                )),
                Some(Some(choice)) => teams.push((TeamId(t.team_id), Some(choice))),
                None => teams.push((TeamId(t.team_id), None)),
            }
        }
        let groups = match self.groups {
            Some(ids) if ids.len() > MAX_GROUPS => {
                errors.push(FieldError::new(
                    "groups",
                    format!("At most {MAX_GROUPS} groups."),
                ));
                GroupsPatch::Keep
            }
            Some(ids) => GroupsPatch::Set(ids.into_iter().map(GroupId).collect()),
            None => GroupsPatch::Keep,
        };
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        Ok(MemberPatch {
            version: self.version,
            role,
            own_permissions,
            teams,
            groups,
        })
    }
}

#[utoipa::path(
    patch,
    path = "/api/v1/members/{member}",
    tag = "members",
    params(("member" = i64, Path, description = "The membership id")),
    request_body(content = MemberUpdate, content_type = "application/json"),
    responses(
        (status = 200, description = "The member as saved", body = Member),
        (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn members_update(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
    body: web::Json<MemberUpdate>,
) -> ApiResult<HttpResponse> {
    let patch = body.into_inner().patch()?;
    let id = MembershipId(path.into_inner());
    let (actor, org) = (api.actor, api.org);
    let saved = db::run(&pool, move |conn| {
        svc::update_member(conn, &actor, org, id, patch)
    })
    .await?;
    let row = match saved {
        Some((row, _)) => row,
        None => load(&pool, &api, id.0).await?,
    };
    Ok(HttpResponse::Ok().json(Member::of(row)?))
}
