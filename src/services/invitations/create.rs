//! Inviting one person: the checks before anything is written ([`admit`])
//! and the writes ([`record`]: invitation, email, audit event), shared by
//! inviting an address ([`invite`], here) and an account ID (`by_account`).

use diesel::{Connection, PgConnection};
use serde_json::json;

use super::{
    check_permissions, denied, granted, invitee_name, new_token, queue_email, render_email,
    require_user_management, seats_full, teams_json, ActorTeams, InviteRequest, LinkSettings,
};
use crate::db::{self, audit::NewEvent, invitations as q, organizations as orgs};
use crate::domain::policy::{self, Action, Actor};
use crate::domain::{
    AccountId, MembershipId, MembershipStatus, OrgId, OrgRole, PermissionSet, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::demo::NO_PASSWORD;

/// Who is being invited, as the checks before inviting see them: the account
/// when one exists, and how the inviter named them (an address or an account
/// ID) for the messages.
pub(super) struct Invitee<'a> {
    pub account: Option<AccountId>,
    pub shown: &'a str,
}

/// Everything checked before an invitation is written, with the organization
/// locked (concurrent invitations count seats one at a time): the policy, the
/// User management feature, the invitee's standing here, the seats and the
/// teams with the roles the actor may grant in them.
pub(super) fn admit(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    req: &Grant<'_>,
    invitee: &Invitee<'_>,
) -> AppResult<orgs::Organization> {
    check_permissions(req.permissions)?;
    policy::check(
        actor,
        Action::InviteMember(req.role, granted(req.role, req.permissions)),
    )
    .map_err(denied)?;
    let organization = orgs::find_for_update(conn, org)?;
    require_user_management(conn, &organization)?;
    if let Some(account) = invitee.account {
        if let Some((_, status)) = q::membership_of(conn, org, account)? {
            let shown = invitee.shown;
            return Err(AppError::Conflict(match status {
                MembershipStatus::Pending => format!(
                    "{shown} is already invited. If the link was lost or has expired, use Resend on their row in the Members list."
                ),
                MembershipStatus::Active => format!("{shown} is already a member."),
                MembershipStatus::Archived => format!("{shown} was a member and is archived; restore them instead."),
            }));
        }
    }
    let used = orgs::count_seats_used(conn, org)?;
    if used >= i64::from(organization.seats_purchased) {
        return Err(seats_full(organization.seats_purchased));
    }
    let teams = db::members::team_options(conn, org)?;
    let target = invitee.account.unwrap_or(AccountId(0));
    let actor_teams = ActorTeams::load(conn, actor, org)?;
    for (team, role) in req.teams {
        if !teams.iter().any(|t| t.id == *team && !t.archived) {
            return Err(AppError::NotFound);
        }
        actor_teams
            .may_grant(actor, target, req.role, *team, *role)
            .map_err(denied)?;
    }
    Ok(organization)
}

/// What an invitation grants: the org role, teams and own permissions.
pub(super) struct Grant<'a> {
    pub role: OrgRole,
    pub teams: &'a [(i64, TeamRole)],
    pub permissions: Option<PermissionSet>,
}

/// The invitation of a pending membership just made, its queued email to
/// `to`, and the `invitation.created` audit event, whose `after` starts from
/// `described` (how the inviter named the invitee). Returns the invitation's id.
pub(super) struct Recorded<'a> {
    pub organization: &'a orgs::Organization,
    pub membership: MembershipId,
    pub to: &'a str,
    pub grant: Grant<'a>,
    pub created_account: bool,
    pub described: serde_json::Value,
}

pub(super) fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    links: &LinkSettings,
    new: Recorded<'_>,
) -> AppResult<i64> {
    let org = new.organization.id;
    let teams_json = teams_json(new.grant.teams);
    let permissions = new.grant.permissions.map(PermissionSet::keys);
    // The real token is minted when the email is sent; this one is never shown.
    let (_, placeholder_hash) = new_token();
    let expires_at = links.expires_at();
    let invitation = q::insert(
        conn,
        q::NewInvitation {
            org,
            membership: new.membership,
            email: new.to,
            role: new.grant.role.as_str(),
            teams: teams_json.clone(),
            permissions: permissions.clone(),
            inviter: actor.account_id,
            token_hash: &placeholder_hash,
            expires_at,
            created_account: new.created_account,
        },
    )?;
    let email = render_email(
        conn,
        links,
        new.organization,
        actor.account_id,
        new.grant.role,
        expires_at,
    )?;
    queue_email(conn, invitation, new.to, &email)?;
    let mut after = new.described;
    after["role"] = json!(new.grant.role.as_str());
    after["teams"] = teams_json;
    after["permissions"] = json!(permissions);
    after["invitation"] = json!(invitation);
    after["expires_at"] = json!(expires_at);
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: Some(org),
            actor: Some(actor.account_id),
            action: "invitation.created",
            target_type: "membership",
            target_id: Some(new.membership.to_string()),
            before: None,
            after: Some(after),
        },
    )?;
    Ok(invitation)
}

/// Invites one address: a pending membership (and an account without password
/// when the address is new), the invitation, its queued email and an audit event.
pub fn invite(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    req: &InviteRequest,
    links: &LinkSettings,
) -> AppResult<MembershipId> {
    conn.transaction(|conn| {
        let grant = Grant {
            role: req.role,
            teams: &req.teams,
            permissions: req.permissions,
        };
        let account = db::accounts::find_by_email(conn, req.email.as_str())?;
        let invitee = Invitee {
            account: account.as_ref().map(|a| a.id),
            shown: req.email.as_str(),
        };
        let organization = admit(conn, actor, org, &grant, &invitee)?;
        let created_account = account.is_none();
        let account = match account {
            Some(a) => a.id,
            None => db::accounts::insert(
                conn,
                req.email.as_str(),
                &invitee_name(req.email.as_str()),
                NO_PASSWORD,
            )?,
        };
        let membership =
            orgs::insert_membership(conn, org, account, req.role, MembershipStatus::Pending)?;
        let new = Recorded {
            organization: &organization,
            membership,
            to: req.email.as_str(),
            grant,
            created_account,
            described: json!({"email": req.email.as_str()}),
        };
        record(conn, actor, links, new)?;
        Ok(membership)
    })
}
