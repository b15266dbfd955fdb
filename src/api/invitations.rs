//! `/api/v1/invitations`: pending members with the state of their invitation
//! email, inviting one address or a list (the invite dialog's rules: the User
//! management feature, seats, roles the token may grant, the invitation
//! limits), resending and revoking, through the invitation services.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::ApiActor;
use super::members::{load, parse_list, read_page, Member, MemberQuery};
use super::problem::{ApiResult, FieldError, Problem, ProblemBody};
use super::types::{ApiOrgRole, ApiTeamRole, Cursor};
use crate::config::Settings;
use crate::db::{self, members as q, PgPool};
use crate::domain::{EmailAddress, MembershipId, OrgRole, Permission, PermissionSet, TeamRole};
use crate::services::invitations::{
    self as svc,
    bulk::{self, BulkRequest, LineInput, MAX_LINES},
    InviteRequest,
};
use crate::services::limits;
use crate::web::plumbing::context::client_ip;
use crate::web::plumbing::routing::routes;

routes! {
    GET "/invitations" => invitations_list,
    POST "/invitations" => invitations_create,
    POST "/invitations/bulk" => invitations_bulk,
    POST "/invitations/{member}/resend" => invitations_resend,
    DELETE "/invitations/{member}" => invitations_revoke,
}

/// A pending member and their open invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub member: Member,
    pub invited_by: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// pending, or expired
    pub status: String,
    /// The latest email's state: queued, sending, sent or failed (null before one is queued).
    pub delivery: Option<String>,
    pub delivery_attempts: i32,
    /// Why the latest delivery failed, in general terms.
    pub delivery_error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationPage {
    pub data: Vec<Invitation>,
    pub next_cursor: Option<String>,
    pub total: i64,
}

/// Paging through pending members.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InvitationQuery {
    /// Part of a name or email address.
    pub q: Option<String>,
    /// 1 to 200 (50 when absent).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

fn may_see_invitations(api: &ApiActor) -> ApiResult<()> {
    api.require(Permission::MembersView)?;
    api.require(Permission::MembersInvite)
}

#[utoipa::path(get, path = "/api/v1/invitations", tag = "invitations", params(InvitationQuery),
    responses((status = 200, description = "Pending members with their invitation", body = InvitationPage),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn invitations_list(
    api: ApiActor,
    pool: web::Data<PgPool>,
    counts: web::Data<q::SearchCounts>,
    query: web::Query<InvitationQuery>,
) -> ApiResult<HttpResponse> {
    may_see_invitations(&api)?;
    let query = query.into_inner();
    let members = MemberQuery {
        q: query.q,
        status: Some(super::types::ApiStatus::Pending),
        limit: query.limit,
        cursor: query.cursor,
        ..MemberQuery::default()
    };
    let (filter, limit, cursor) = parse_list(&members)?;
    let (page, next) = {
        let api = api.clone();
        db::run(&pool, move |conn| {
            read_page(conn, &api, &filter, limit, cursor, &counts)
        })
        .await?
    };
    let mut data = Vec::with_capacity(page.rows.len());
    for row in page.rows {
        let id = row.base.id;
        let Some(inv) = page.invitations.iter().find(|i| i.membership_id == id) else {
            continue;
        };
        data.push(Invitation {
            member: Member::of(row)?,
            invited_by: inv.inviter.clone(),
            created_at: inv.created_at,
            expires_at: inv.expires_at,
            status: inv.status.as_str().to_owned(),
            delivery: inv.delivery.clone(),
            delivery_attempts: inv.attempts,
            delivery_error: inv.last_error.clone(),
        });
    }
    Ok(HttpResponse::Ok().json(InvitationPage {
        data,
        next_cursor: next.map(Cursor::encode),
        total: page.total,
    }))
}

/// A team the invitee joins on accepting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteTeam {
    pub team_id: i64,
    pub role: ApiTeamRole,
}

/// What every invitee gets.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Grants {
    pub role: ApiOrgRole,
    /// At most 200.
    #[serde(default)]
    pub teams: Vec<InviteTeam>,
    /// Organization permissions instead of the role's.
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
}

/// One address to invite.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    pub email: String,
    pub role: ApiOrgRole,
    #[serde(default)]
    pub teams: Vec<InviteTeam>,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
}

type Parsed = (OrgRole, Vec<(i64, TeamRole)>, Option<PermissionSet>);

fn parse_grants(
    role: ApiOrgRole,
    teams: &[InviteTeam],
    permissions: Option<&[String]>,
    errors: &mut Vec<FieldError>,
) -> Parsed {
    if teams.len() > 200 {
        errors.push(FieldError::new("teams", "At most 200 teams."));
    }
    let permissions = match permissions {
        Some(keys) if keys.len() > Permission::ALL.len() => {
            errors.push(FieldError::new("permissions", "Too many permissions."));
            None
        }
        Some(keys) => PermissionSet::from_keys(keys)
            .map_err(|m| errors.push(FieldError::new("permissions", m)))
            .ok()
            .filter(|set| !set.is_empty()),
        None => None,
    };
    let teams = teams
        .iter()
        .map(|t| (t.team_id, TeamRole::from(t.role)))
        .collect();
    (role.into(), teams, permissions)
}

#[utoipa::path(post, path = "/api/v1/invitations", tag = "invitations",
    request_body(content = NewInvitation, content_type = "application/json"),
    responses((status = 201, description = "The invited (pending) member", body = Member),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn invitations_create(
    req: HttpRequest,
    api: ApiActor,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    body: web::Json<NewInvitation>,
) -> ApiResult<HttpResponse> {
    api.require(Permission::MembersInvite)?;
    let mut errors = Vec::new();
    let email = EmailAddress::parse(&body.email)
        .map_err(|e| errors.push(FieldError::new("email", e.0)))
        .ok();
    let (role, teams, permissions) = parse_grants(
        body.role,
        &body.teams,
        body.permissions.as_deref(),
        &mut errors,
    );
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Err(Problem::validation(errors));
    };
    let request = InviteRequest {
        email,
        role,
        teams,
        permissions,
    };
    let links = crate::web::invitations::links(&settings);
    let (org, actor) = (api.org, api.actor);
    let buckets = limits::invites(&settings.limits, org, actor.account_id, &client_ip(&req));
    let member = db::run(&pool, move |conn| {
        limits::hit(conn, &buckets, 1)?;
        svc::invite(conn, &actor, org, &request, &links)
    })
    .await?;
    let row = load(&pool, &api, member.0).await?;
    Ok(HttpResponse::Created().json(Member::of(row)?))
}

/// A list to invite, with what every address gets.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInvitation {
    /// 1 to 1,000 addresses.
    pub emails: Vec<String>,
    pub role: ApiOrgRole,
    #[serde(default)]
    pub teams: Vec<InviteTeam>,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
}

/// What happened to one address of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkLine {
    /// 1-based.
    pub line: usize,
    pub email: String,
    pub invited: bool,
    /// "Will be invited" for those invited, else why not.
    pub outcome: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    pub invited: usize,
    pub lines: Vec<BulkLine>,
}

#[utoipa::path(post, path = "/api/v1/invitations/bulk", tag = "invitations",
    request_body(content = BulkInvitation, content_type = "application/json"),
    responses((status = 200, description = "Each address's outcome; all invitable addresses are invited, or none when seats run short", body = BulkResult),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn invitations_bulk(
    req: HttpRequest,
    api: ApiActor,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    body: web::Json<BulkInvitation>,
) -> ApiResult<HttpResponse> {
    api.require(Permission::MembersInvite)?;
    let body = body.into_inner();
    let mut errors = Vec::new();
    if body.emails.is_empty() || body.emails.len() > MAX_LINES {
        errors.push(FieldError::new(
            "emails",
            format!("Send 1 to {MAX_LINES} addresses."),
        ));
    }
    let (role, teams, permissions) = parse_grants(
        body.role,
        &body.teams,
        body.permissions.as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    let request = BulkRequest {
        lines: body
            .emails
            .into_iter()
            .map(|email| LineInput {
                email,
                ..LineInput::default()
            })
            .collect(),
        role,
        teams,
        permissions,
    };
    let links = crate::web::invitations::links(&settings);
    let (org, actor) = (api.org, api.actor);
    let buckets = limits::invites(&settings.limits, org, actor.account_id, &client_ip(&req));
    let plan = db::run(&pool, move |conn| {
        bulk::confirm(conn, &actor, org, &request, &links, &buckets)
    })
    .await?;
    let lines: Vec<BulkLine> = plan
        .lines
        .iter()
        .map(|l| BulkLine {
            line: l.number,
            email: l.email.clone(),
            invited: l.standing.invitable(),
            outcome: l.standing.describe(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(BulkResult {
        invited: plan.seats_needed() as usize,
        lines,
    }))
}

#[utoipa::path(post, path = "/api/v1/invitations/{member}/resend", tag = "invitations",
    params(("member" = i64, Path, description = "The pending member's id")),
    responses((status = 204, description = "Sent again with a new link; the old link no longer works"),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn invitations_resend(
    req: HttpRequest,
    api: ApiActor,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    api.require(Permission::MembersInvite)?;
    let links = crate::web::invitations::links(&settings);
    let (org, actor, member) = (api.org, api.actor, MembershipId(path.into_inner()));
    let buckets = limits::resends(&settings.limits, org, actor.account_id, &client_ip(&req));
    db::run(&pool, move |conn| {
        limits::hit(conn, &buckets, 1)?;
        svc::resend(conn, &actor, org, member, &links)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/v1/invitations/{member}", tag = "invitations",
    params(("member" = i64, Path, description = "The pending member's id")),
    responses((status = 204, description = "Revoked: the link no longer works and the seat is free"),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn invitations_revoke(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    api.require(Permission::MembersInvite)?;
    let (org, actor, member) = (api.org, api.actor, MembershipId(path.into_inner()));
    db::run(&pool, move |conn| svc::revoke(conn, &actor, org, member)).await?;
    Ok(HttpResponse::NoContent().finish())
}
