//! `/api/v1/members/{member}/revoke` and `…/restore`: a member's way out of
//! the organization and back, through the same lifecycle services and policy
//! as the revoke dialog and the Archived tab's Restore.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiActor;
use super::members::{load, Member};
use super::problem::{ApiResult, FieldError, Problem, ProblemBody, ProblemType};
use crate::db::{self, PgPool};
use crate::domain::{policy::Action, MembershipId, Permission, TeamId};
use crate::services::members::lifecycle::{self as svc, Handover, Handovers, Restore};
use crate::web::plumbing::routing::routes;

routes! {
    POST "/members/{member}/revoke" => members_revoke,
    POST "/members/{member}/restore" => members_restore,
}

/// At most this many teams' handovers in one revoke.
const MAX_HANDOVERS: usize = 200;

/// Who takes over the leaving member's contacts in one team.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactsHandover {
    /// The team's id.
    pub team: i64,
    /// An active member of that team (membership id) who takes the contacts.
    pub reassign_to: i64,
}

/// How to revoke: where the member's contacts go. Teams not named here are
/// unassigned; a team where they hold no contacts has nothing to hand over.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Reassignments per team (at most 200, each team once).
    #[serde(default)]
    pub contacts: Vec<ContactsHandover>,
}

impl RevokeRequest {
    fn handovers(self) -> ApiResult<Handovers> {
        if self.contacts.len() > MAX_HANDOVERS {
            return Err(Problem::field(
                "contacts",
                format!("At most {MAX_HANDOVERS} teams."),
            ));
        }
        let mut errors = Vec::new();
        let mut chosen: Vec<(TeamId, Handover)> = Vec::new();
        for (i, c) in self.contacts.iter().enumerate() {
            let team = TeamId(c.team);
            if chosen.iter().any(|(t, _)| *t == team) {
                errors.push(FieldError::new(
                    format!("contacts/{i}/team"),
                    "Name each team once.",
                ));
            }
            chosen.push((team, Handover::Reassign(MembershipId(c.reassign_to))));
        }
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        Ok(Handovers(chosen))
    }
}

/// What a revoke did with the member's contacts in one team.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactsHandedOver {
    pub team_id: i64,
    pub team: String,
    /// How many of their contacts there went to `reassigned_to`, or are unassigned.
    pub contacts: usize,
    /// The membership id of who took them; null when they are unassigned.
    pub reassigned_to: Option<i64>,
}

/// A revoked member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRevoked {
    /// The member, now archived, out of every team and group.
    pub member: Member,
    /// Their contacts, per team where they had any.
    pub contacts: Vec<ContactsHandedOver>,
}

/// A restored member.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberRestored {
    /// The member, active again with their role, permissions, teams and groups.
    pub member: Member,
    /// What they held that was deleted meanwhile, in words.
    pub skipped: Vec<String>,
}

/// Both need `members.revoke`, and `members.view` as the page does (the
/// answer is the member as `GET /members/{member}` shows them).
fn may_see_and_revoke(api: &ApiActor) -> ApiResult<()> {
    api.require(Permission::MembersRevoke)?;
    api.require(Permission::MembersView)?;
    api.allow(Action::ViewMembers)
}

/// Revoke a member's access: archived, out of every team and group (kept
/// for a restore), their contacts handed over per team, their seat freed.
/// Needs the `members.revoke` and `members.view` scopes. Refused with 409
/// when they are already archived or still pending, 403 with the policy's
/// reason (your own access, the last Owner, an Owner by a non-Owner), 422
/// when a reassignment target is not an active member of that team; a
/// refusal changes nothing.
#[utoipa::path(
    post,
    path = "/api/v1/members/{member}/revoke",
    tag = "members",
    params(("member" = i64, Path, description = "The membership id")),
    request_body(content = RevokeRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Revoked; what happened to their contacts", body = MemberRevoked),
        (status = 409, description = "Already archived, or not yet joined", body = ProblemBody, content_type = "application/problem+json"),
        (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn members_revoke(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
    body: web::Json<RevokeRequest>,
) -> ApiResult<HttpResponse> {
    may_see_and_revoke(&api)?;
    let handovers = body.into_inner().handovers()?;
    let (actor, org, member) = (api.actor, api.org, MembershipId(path.into_inner()));
    let revoked = db::run(&pool, move |conn| {
        svc::revoke(conn, &actor, org, member, &handovers)
    })
    .await?;
    let row = load(&pool, &api, member.0).await?;
    Ok(HttpResponse::Ok().json(MemberRevoked {
        member: Member::of(row)?,
        contacts: revoked
            .handed_over
            .into_iter()
            .map(|h| ContactsHandedOver {
                team_id: h.team_id.0,
                team: h.team,
                contacts: h.contacts,
                reassigned_to: h.to_member.map(|m| m.0),
            })
            .collect(),
    }))
}

/// Restore an archived member as they were: their role and permissions,
/// teams, team roles and groups (what was deleted meanwhile is skipped and
/// named). Contacts handed over at the revoke stay where they went. Needs
/// the `members.revoke` and `members.view` scopes and a free seat: 409 when
/// every seat is taken or the member is not archived.
#[utoipa::path(
    post,
    path = "/api/v1/members/{member}/restore",
    tag = "members",
    params(("member" = i64, Path, description = "The membership id")),
    responses(
        (status = 200, description = "Restored; what could not be put back", body = MemberRestored),
        (status = 409, description = "No free seat, or not archived", body = ProblemBody, content_type = "application/problem+json"),
        (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn members_restore(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    may_see_and_revoke(&api)?;
    let (actor, org, member) = (api.actor, api.org, MembershipId(path.into_inner()));
    let restored = db::run(&pool, move |conn| svc::restore(conn, &actor, org, member)).await?;
    let skipped = match restored {
        Restore::Restored { skipped, .. } => skipped,
        Restore::NoSeat { name, purchased } => {
            return Err(Problem::new(
                ProblemType::Conflict,
                svc::no_seat_message(&name, purchased),
            ))
        }
    };
    let row = load(&pool, &api, member.0).await?;
    Ok(HttpResponse::Ok().json(MemberRestored {
        member: Member::of(row)?,
        skipped,
    }))
}
