//! Invitations: inviting (a pending membership, the invitation and its email in
//! one transaction), resending and revoking. Accepting through the emailed
//! link is in `accept`, inviting an account by its ID in `by_account`, and an
//! invitee's own answers from their home page in `inbox`. Tokens are 256 bits
//! from the OS, kept only as SHA-256 hashes.

use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::{self, audit::NewEvent, invitations as q, organizations as orgs};
use crate::domain::policy::{self, Action, Actor, TeamAction};
use crate::domain::{
    AccountId, EmailAddress, Feature, InvitationStatus, MembershipId, OrgId, OrgRole, Permission,
    PermissionSet, Scope, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::orgs::features;

mod accept;
pub mod bulk;
pub mod by_account;
mod create;
pub mod inbox;
pub mod lifecycle;
pub mod upkeep;

pub use accept::{accept, lookup, Accepting, Invite, Problem, Refused};
pub use create::invite;

/// A new token for a link, and the hash that is stored.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// What a manager asks for: who, with which org role, in which teams.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    pub email: EmailAddress,
    pub role: OrgRole,
    pub teams: Vec<(i64, TeamRole)>,
    /// Organization permissions the member gets instead of the role's, if any.
    pub permissions: Option<PermissionSet>,
}

pub(crate) fn granted(role: OrgRole, permissions: Option<PermissionSet>) -> PermissionSet {
    role.permissions().union(permissions.unwrap_or_default())
}

/// Where links point and how long they live.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub public_url: url::Url,
    pub ttl: std::time::Duration,
}

impl LinkSettings {
    fn expires_at(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::days(7))
    }
}

/// Only organization permissions can be given with an invitation.
pub(crate) fn check_permissions(set: Option<PermissionSet>) -> AppResult<()> {
    if set.is_some_and(|s| s.iter().any(|p| p.scope() != Scope::Org)) {
        return Err(AppError::Validation(
            "Only organization permissions can be given with an invitation.".into(),
        ));
    }
    Ok(())
}

fn denied(d: policy::Denied) -> AppError {
    AppError::forbidden(d.0)
}

/// Refuses unless User management is on (which needs Pro).
fn require_user_management(conn: &mut PgConnection, org: &orgs::Organization) -> AppResult<()> {
    let state = features(conn, org)?
        .into_iter()
        .find(|f| f.feature == Feature::UserManagement);
    match state {
        Some(f) if f.enabled => Ok(()),
        Some(f) if f.available => Err(AppError::forbidden(
            "Inviting needs the User management feature: an Owner or Admin can switch it on in Settings → Features.",
        )),
        _ => Err(AppError::forbidden(
            "Inviting needs the User management feature, which comes with the Pro plan.",
        )),
    }
}

/// The actor's permissions in each team, for what they may grant there.
struct ActorTeams {
    /// Through `teams.manage`: every team permission in every team.
    everywhere: bool,
    sets: Vec<(i64, PermissionSet)>,
}

impl ActorTeams {
    fn load(conn: &mut PgConnection, actor: &Actor, org: OrgId) -> AppResult<Self> {
        if actor.has(Permission::TeamsManage) {
            return Ok(Self {
                everywhere: true,
                sets: Vec::new(),
            });
        }
        let roles = db::members::held_team_roles(conn, org, actor.account_id)?;
        let sets = roles.iter().map(|h| (h.team_id, h.permissions())).collect();
        Ok(Self {
            everywhere: false,
            sets,
        })
    }

    fn of(&self, team: i64) -> PermissionSet {
        if self.everywhere {
            return PermissionSet::scope_all(Scope::Team);
        }
        self.sets
            .iter()
            .find(|t| t.0 == team)
            .map(|t| t.1)
            .unwrap_or_default()
    }

    /// May the actor put an invitee with `role` into `team` as `team_role`?
    fn may_grant(
        &self,
        actor: &Actor,
        target: AccountId,
        role: OrgRole,
        team: i64,
        team_role: TeamRole,
    ) -> Result<(), policy::Denied> {
        // The invitee joins with the invitation's org role.
        let action = TeamAction::GrantTeamPermissions {
            target,
            target_role: role,
            granted: team_role.permissions(),
        };
        policy::check(actor, Action::Team(action, self.of(team)))
    }
}

/// A new account's name until the invitee sets one: the address's local part.
fn invitee_name(email: &str) -> String {
    email.split('@').next().unwrap_or("Invitee").to_owned()
}

/// The teams of an invitation as stored: `[{"team": id, "role": "agent"}]`.
fn teams_json(teams: &[(i64, TeamRole)]) -> serde_json::Value {
    json!(teams
        .iter()
        .map(|(t, r)| json!({"team": t, "role": r.as_str()}))
        .collect::<Vec<_>>())
}

/// The name an email gives the inviter.
fn inviter_name(conn: &mut PgConnection, inviter: Option<AccountId>) -> AppResult<String> {
    Ok(match inviter {
        Some(id) => db::accounts::find_by_id(conn, id)?.map(|a| a.display_name),
        None => None,
    }
    .unwrap_or_else(|| "Someone".into()))
}

/// The refusal when every purchased seat is taken.
fn seats_full(purchased: i32) -> AppError {
    AppError::Validation(format!(
        "All {purchased} seats are in use. Buy more seats or remove a member before inviting."
    ))
}

fn render_email(
    conn: &mut PgConnection,
    links: &LinkSettings,
    org: &orgs::Organization,
    inviter: AccountId,
    role: OrgRole,
    expires: DateTime<Utc>,
) -> AppResult<crate::mail::Rendered> {
    let inviter_name = inviter_name(conn, Some(inviter))?;
    crate::mail::templates::invitation(
        &links.public_url,
        &org.name,
        &inviter_name,
        role.label(),
        expires,
    )
}

fn queue_email(
    conn: &mut PgConnection,
    invitation: i64,
    to: &str,
    email: &crate::mail::Rendered,
) -> AppResult<()> {
    queue_emails(conn, "invitation", &[(invitation, to, email)])
}

/// Queues one email of `kind` (an invitation or its reminder) for an invitation.
fn queue_kind(
    conn: &mut PgConnection,
    kind: &str,
    invitation: i64,
    to: &str,
    email: &crate::mail::Rendered,
) -> AppResult<()> {
    queue_emails(conn, kind, &[(invitation, to, email)])
}

/// Queues one email per (invitation, address, message), in one statement.
fn queue_emails(
    conn: &mut PgConnection,
    kind: &str,
    messages: &[(i64, &str, &crate::mail::Rendered)],
) -> AppResult<()> {
    let rows = messages
        .iter()
        .map(|(invitation, to, email)| db::outbox::NewMessage {
            kind,
            to,
            subject: &email.subject,
            text: &email.text,
            html: &email.html,
            invitation: Some(*invitation),
        })
        .collect();
    db::outbox::insert_many(conn, rows)?;
    Ok(())
}

fn lock_open(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
) -> AppResult<q::Invitation> {
    let inv = q::lock_pending_of_member(conn, org, member)?.ok_or(AppError::NotFound)?;
    let role = inv.role;
    let own = inv
        .permissions
        .as_ref()
        .map(|keys| PermissionSet::from_keys(keys).unwrap_or_default());
    policy::check(actor, Action::InviteMember(role, granted(role, own))).map_err(denied)?;
    Ok(inv)
}

/// A new token and expiry (the old link dies at once) and a new email; roles
/// and teams stay as they are.
pub fn resend(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    links: &LinkSettings,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let lifecycle::Reissued {
            inv,
            organization,
            expires_at,
            ..
        } = lifecycle::reissue(conn, actor, org, member, links, false)?;
        let role = inv.role;
        let email = render_email(
            conn,
            links,
            &organization,
            actor.account_id,
            role,
            expires_at,
        )?;
        queue_email(conn, inv.id, &inv.email, &email)?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "invitation.resent",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(json!({"expires_at": inv.expires_at})),
                after: Some(json!({"expires_at": expires_at})),
            },
        )?;
        Ok(())
    })
}

/// Ends an open invitation as `status` (revoked, declined): its unsent
/// emails are cancelled and its pending membership goes, freeing the seat.
fn close(
    conn: &mut PgConnection,
    inv: &q::Invitation,
    org: OrgId,
    member: MembershipId,
    status: InvitationStatus,
) -> AppResult<()> {
    q::set_status(conn, inv.id, status)?;
    db::outbox::cancel_unsent_of_invitation(conn, inv.id)?;
    q::delete_pending_membership(conn, org, member)?;
    Ok(())
}

/// Revokes an open invitation: the pending membership goes (freeing its seat),
/// unsent emails are cancelled, and the link stops working.
pub fn revoke(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
) -> AppResult<String> {
    conn.transaction(|conn| {
        let inv = lock_open(conn, actor, org, member)?;
        // One invited by account ID stays known by the ID, not the address.
        let (key, shown) = match q::invited_as(conn, org, member)? {
            Some(id) => ("account_id", id),
            None => ("email", inv.email.clone()),
        };
        close(conn, &inv, org, member, InvitationStatus::Revoked)?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "invitation.revoked",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(
                    json!({key: shown, "role": inv.role, "status": InvitationStatus::Pending}),
                ),
                after: Some(json!({"status": InvitationStatus::Revoked})),
            },
        )?;
        Ok(shown)
    })
}
