//! Team member use cases: add an org member to a team with a role, change their
//! team role, remove them from the team. The policy is asked here, inside the
//! transaction, once the target is loaded: nobody changes their own access and
//! nobody grants team permissions they do not hold.

use crate::domain::{MembershipStatus, OrgRole};
use diesel::{Connection, PgConnection};
use serde_json::{json, Value};

use crate::db::{self, audit::NewEvent, teams::members::TeamMemberRow};
use crate::domain::{
    policy::{self, Action, Actor, TeamAction},
    AccountId, MembershipId, OrgId, PermissionSet, TeamId, TeamMembershipId, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::members::lifecycle::{collided, hand_over, HandedOver, Handover};

/// Who acts on a team: the org actor and their permissions in that team.
#[derive(Debug, Clone, Copy)]
pub struct TeamAccess {
    pub actor: Actor,
    pub permissions: PermissionSet,
}

impl TeamAccess {
    fn allow(&self, action: TeamAction) -> AppResult<()> {
        policy::check(&self.actor, Action::Team(action, self.permissions))
            .map_err(|policy::Denied(reason)| AppError::forbidden(reason))
    }

    /// Giving `target` the permissions `granted` in this team (none, to remove them).
    fn allow_grant(
        &self,
        target: AccountId,
        target_role: OrgRole,
        granted: PermissionSet,
    ) -> AppResult<()> {
        self.allow(TeamAction::ManageMembers)?;
        self.allow(TeamAction::GrantTeamPermissions {
            target,
            target_role,
            granted,
        })
    }
}

pub(super) fn audit_member(
    conn: &mut PgConnection,
    actor: AccountId,
    org: OrgId,
    id: TeamMembershipId,
    action: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: Some(org),
            actor: Some(actor),
            action,
            target_type: "team_membership",
            target_id: Some(id.to_string()),
            before,
            after,
        },
    )?;
    Ok(())
}

fn describe(team: TeamId, row: &TeamMemberRow) -> Value {
    json!({
        "team_id": team,
        "membership_id": row.membership_id,
        "account_id": row.account_id,
        "role": row.team_role,
    })
}

fn find(conn: &mut PgConnection, team: TeamId, member: MembershipId) -> AppResult<TeamMemberRow> {
    db::teams::members::find_member(conn, team, member)?.ok_or(AppError::NotFound)
}

/// Adds an active or pending org member to the team. An unknown member, one of
/// another organization, an archived one or one already in the team is a
/// `Validation` error about the chosen member.
pub fn add(
    conn: &mut PgConnection,
    access: &TeamAccess,
    org: OrgId,
    team: TeamId,
    member: MembershipId,
    role: TeamRole,
) -> AppResult<TeamMemberRow> {
    conn.transaction(|conn| {
        super::lock_editable(conn, org, team)?;
        let Some(candidate) = db::teams::members::find_org_member(conn, org, member)? else {
            return Err(AppError::Validation(
                "Choose a member of this organization.".into(),
            ));
        };
        if candidate.status == MembershipStatus::Archived {
            return Err(AppError::Validation(format!(
                "{}'s access is archived; restore it before adding them to a team.",
                candidate.display_name
            )));
        }
        if db::teams::members::find_member(conn, team, member)?.is_some() {
            return Err(AppError::Validation(format!(
                "{} is already in this team.",
                candidate.display_name
            )));
        }
        access.allow_grant(candidate.account_id, candidate.org_role, role.permissions())?;
        let id = db::teams::members::insert_membership(conn, org, team, member, role)?;
        let row = find(conn, team, member)?;
        audit_member(
            conn,
            access.actor.account_id,
            org,
            id,
            "team.member_added",
            None,
            Some(describe(team, &row)),
        )?;
        Ok(row)
    })
}

/// Gives a team member a preset team role. Two managers saving the same row
/// take turns on its lock; the later save wins whole. Saving the role the
/// member already has changes nothing.
pub fn change_role(
    conn: &mut PgConnection,
    access: &TeamAccess,
    org: OrgId,
    team: TeamId,
    member: MembershipId,
    role: TeamRole,
) -> AppResult<TeamMemberRow> {
    conn.transaction(|conn| {
        super::lock_editable(conn, org, team)?;
        let current = find(conn, team, member)?;
        access.allow_grant(current.account_id, current.org_role, role.permissions())?;
        let locked_role = db::teams::members::lock_membership(conn, current.team_membership_id)?;
        if locked_role == role {
            return Ok(current);
        }
        db::teams::members::update_member_role(conn, current.team_membership_id, role)?;
        let updated = find(conn, team, member)?;
        audit_member(
            conn,
            access.actor.account_id,
            org,
            current.team_membership_id,
            "team.member_role_changed",
            Some(json!({"role": locked_role})),
            Some(describe(team, &updated)),
        )?;
        Ok(updated)
    })
}

/// Removes someone from this one team (their groups in it go with it); they
/// stay in the organization and in their other teams. Their contacts in this
/// team are unassigned or go to another active member of it, as chosen (a
/// refused choice changes nothing). Removing is taking all of their team
/// access, so the same rule applies: never one's own.
pub fn remove(
    conn: &mut PgConnection,
    access: &TeamAccess,
    org: OrgId,
    team: TeamId,
    member: MembershipId,
    handover: Handover,
) -> AppResult<(TeamMemberRow, HandedOver)> {
    conn.transaction(|conn| {
        let locked = super::lock_editable(conn, org, team)?;
        let current = find(conn, team, member)?;
        access.allow_grant(
            current.account_id,
            current.org_role,
            PermissionSet::default(),
        )?;
        let handed = hand_over(conn, org, (team, &locked.name), member, handover)?;
        db::teams::members::delete_membership(conn, current.team_membership_id)?;
        audit_member(
            conn,
            access.actor.account_id,
            org,
            current.team_membership_id,
            "team.member_removed",
            Some(describe(team, &current)),
            Some(json!({"contacts": handed.json(team, handover)})),
        )?;
        Ok((current, handed))
    })
    .map_err(collided)
}
