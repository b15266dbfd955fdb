//! Changing a member's access: org role or custom role, their own permission set,
//! teams with team roles, and groups. One transaction per member, checked by the
//! policy against what the actor holds, with an audit event.

use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::db::{self, audit::NewEvent, members as q};
use crate::domain::policy::{self, Action, Actor, Target, TeamAction};
use crate::domain::{
    CustomRoleId, GroupId, MembershipId, MembershipStatus, OrgId, OrgRole, PermissionSet, Scope,
    TeamId, TeamRole,
};
use crate::error::{AppError, AppResult};

pub mod bulk;
mod groups;
pub mod lifecycle;
mod quick;
use bulk::Before;
pub use groups::{groups_locked, GroupsLocked, TeamRights};
use quick::{quick_access_change, Quick};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgRoleChoice {
    Builtin(OrgRole),
    /// A custom org-scope role; the member's rank is Member.
    Custom(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRoleChoice {
    Preset(TeamRole),
    Custom(i64),
}

impl OrgRoleChoice {
    /// A built-in role's key (`manager`) or `custom:<id>`, as menus send them.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.strip_prefix("custom:") {
            Some(id) => id.parse().ok().map(Self::Custom),
            None => OrgRole::parse(raw).map(Self::Builtin),
        }
    }
}

impl TeamRoleChoice {
    /// A preset's key (`agent`) or `custom:<id>`, as menus send them.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.strip_prefix("custom:") {
            Some(id) => id.parse().ok().map(Self::Custom),
            None => TeamRole::parse(raw)
                .filter(|r| *r != TeamRole::Custom)
                .map(Self::Preset),
        }
    }

    /// The team role and custom role a member gets from this choice.
    fn stored(self) -> (TeamRole, Option<i64>) {
        match self {
            Self::Preset(role) => (role, None),
            Self::Custom(id) => (TeamRole::Custom, Some(id)),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub enum GroupsPatch {
    #[default]
    Keep,
    /// Exactly these groups.
    Set(Vec<GroupId>),
    Add(GroupId),
}

impl GroupsPatch {
    /// The groups the member should be in, given the ones they are in now.
    fn wanted(&self, now: &[q::GroupPlace]) -> Vec<i64> {
        let current = now.iter().map(|g| g.group_id);
        match self {
            Self::Keep => current.collect(),
            Self::Set(ids) => ids.iter().map(|g| g.0).collect(),
            Self::Add(id) => current.chain([id.0]).collect(),
        }
    }
}

/// What to change; `None` and empty fields leave things as they are.
#[derive(Debug, Clone, Default)]
pub struct MemberPatch {
    /// When given, the change is refused if someone saved the member since.
    pub version: Option<i32>,
    pub role: Option<OrgRoleChoice>,
    /// `Some(None)` clears the member's own set; `Some(Some(set))` gives one.
    pub own_permissions: Option<Option<PermissionSet>>,
    /// Team → new team role, or `None` to leave the team.
    pub teams: Vec<(TeamId, Option<TeamRoleChoice>)>,
    pub groups: GroupsPatch,
}

fn denied(d: policy::Denied) -> AppError {
    AppError::forbidden(d.0)
}

/// The actor's permissions in each team: all of them through `teams.manage`.
fn actor_team_permissions(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
) -> AppResult<Vec<(i64, PermissionSet)>> {
    let roles = q::held_team_roles(conn, org, actor.account_id)?;
    Ok(roles.iter().map(|h| (h.team_id, h.permissions())).collect())
}

/// The permissions of the organization's custom role `id` of `scope`; any other id is a 404.
fn custom_role(
    conn: &mut PgConnection,
    org: OrgId,
    id: i64,
    scope: Scope,
) -> AppResult<PermissionSet> {
    let role = db::roles::find_in_org(conn, org, CustomRoleId(id))?
        .filter(|r| r.scope == scope.as_str())
        .ok_or(AppError::NotFound)?;
    PermissionSet::from_keys(&role.permissions).map_err(AppError::Validation)
}

/// The org role, custom role and own permission set a patch leaves the member
/// with, each change asked of the policy.
type Access = (OrgRole, Option<i64>, Option<Vec<String>>);

fn new_access(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    current: &q::LockedMember,
    target: Target,
    patch: &MemberPatch,
) -> AppResult<Access> {
    let (mut role, mut custom_role_id, mut own) = (
        target.role,
        current.custom_role_id,
        current.permissions.clone(),
    );
    if let Some(choice) = patch.role {
        let (new_role, new_custom, granted) = match choice {
            OrgRoleChoice::Builtin(r) => (r, None, r.permissions()),
            OrgRoleChoice::Custom(id) => (
                OrgRole::Member,
                Some(id),
                custom_role(conn, org, id, Scope::Org)?,
            ),
        };
        if new_role != target.role || new_custom != current.custom_role_id {
            policy::check(actor, Action::GrantOrgRole(target, new_role, granted))
                .map_err(denied)?;
        }
        (role, custom_role_id) = (new_role, new_custom);
    }
    if let Some(set) = &patch.own_permissions {
        let before = current
            .permissions
            .as_ref()
            .map(|k| PermissionSet::from_keys(k).unwrap_or_default());
        if *set != before {
            match set {
                Some(set) => {
                    if set.iter().any(|p| p.scope() != Scope::Org) {
                        return Err(AppError::Validation(
                            "Only organization permissions can be given here.".into(),
                        ));
                    }
                    policy::check(actor, Action::GrantPermissions(target, *set)).map_err(denied)?;
                }
                None => {
                    // Clearing the set hands the member their role's permissions
                    // (as this patch leaves the role): a grant like any other.
                    let held = match custom_role_id {
                        Some(id) => custom_role(conn, org, id, Scope::Org)?,
                        None => role.permissions(),
                    };
                    policy::check(actor, Action::GrantOrgRole(target, role, held))
                        .map_err(denied)?;
                }
            }
        }
        own = set.map(PermissionSet::keys);
    }
    Ok((role, custom_role_id, own))
}

/// The member as it was: the policy's target, checked for a stale form and
/// asked whether the actor may edit them at all.
fn target_of(
    actor: &Actor,
    current: &q::LockedMember,
    patch: &MemberPatch,
    active_owners: i64,
) -> AppResult<Target> {
    if patch.version.is_some_and(|v| v != current.version) {
        return Err(AppError::Conflict(
            "Someone else changed this member while you were editing. Reload the row to see their changes.".into(),
        ));
    }
    let target = Target::of(
        crate::domain::AccountId(current.account_id),
        current.role,
        current.status,
        active_owners,
    );
    policy::check(actor, Action::EditMember(target)).map_err(denied)?;
    Ok(target)
}

/// A member's access as an audit event records it: org role, custom role, own
/// permissions, teams (team id, team role) and groups; teams and groups by id.
struct Recorded<'a> {
    role: OrgRole,
    custom_role_id: Option<i64>,
    permissions: &'a Option<Vec<String>>,
    teams: Vec<(i64, TeamRole)>,
    groups: Vec<i64>,
}

/// A role, custom role and own permissions, as [`Recorded`] takes them.
type AccessRef<'a> = (OrgRole, Option<i64>, &'a Option<Vec<String>>);

impl<'a> Recorded<'a> {
    /// With team places and (group, team membership) pairs, as the locked path reads them.
    fn of(access: AccessRef<'a>, teams: &[q::TeamPlace], groups: &[q::GroupPlace]) -> Self {
        Self {
            role: access.0,
            custom_role_id: access.1,
            permissions: access.2,
            teams: teams.iter().map(|t| (t.team_id, t.role)).collect(),
            groups: groups.iter().map(|g| g.group_id).collect(),
        }
    }

    /// With the teams and groups of a member's row as the list shows it.
    fn of_row(access: AccessRef<'a>, row: &'a q::MemberRow) -> Self {
        Self {
            role: access.0,
            custom_role_id: access.1,
            permissions: access.2,
            teams: row.teams.iter().map(|t| (t.team_id, t.role)).collect(),
            groups: row.groups.iter().map(|g| g.group_id).collect(),
        }
    }

    fn json(mut self) -> serde_json::Value {
        self.teams
            .sort_unstable_by_key(|(team, role)| (*team, role.as_str()));
        self.groups.sort_unstable();
        json!({
            "role": self.role, "custom_role_id": self.custom_role_id, "permissions": self.permissions,
            "teams": self.teams.iter().map(|(team, role)| json!({"team": team, "role": role})).collect::<Vec<_>>(),
            "groups": self.groups,
        })
    }
}

/// The audit event of a member's change, from what they had to what they have.
fn member_updated(
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    before: Recorded<'_>,
    after: Recorded<'_>,
) -> NewEvent<'static> {
    NewEvent {
        organization_id: Some(org),
        actor: Some(actor.account_id),
        action: "member.updated",
        target_type: "membership",
        target_id: Some(member.to_string()),
        before: Some(before.json()),
        after: Some(after.json()),
    }
}

/// Applies a patch to one member. Returns the member's row as saved (with the
/// Owner count) when that is already known, else `None` and the caller reloads it.
pub fn update_member(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    patch: MemberPatch,
) -> AppResult<Option<(q::MemberRow, i64)>> {
    update_member_seen(conn, actor, org, member, patch, &mut None)
}

/// [`update_member`], leaving in `seen` the member as it read them (once
/// they were found), refused or not.
fn update_member_seen(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    patch: MemberPatch,
    seen: &mut Option<Before>,
) -> AppResult<Option<(q::MemberRow, i64)>> {
    let access_only = patch.teams.is_empty() && matches!(patch.groups, GroupsPatch::Keep);
    if access_only {
        if let Quick::Done(row) = quick_access_change(conn, actor, org, member, &patch, seen)? {
            return Ok(row.map(|saved| *saved));
        }
    }
    conn.transaction(|conn| {
        let locked = q::lock(conn, org, member)?.ok_or(AppError::NotFound)?;
        *seen = Some(Before::of_locked(&locked));
        let q::Locked {
            member: current,
            teams: before_teams,
            groups: before_groups,
        } = locked;
        // An Owner's change waits on the Owners' count (see lock_active_owners).
        let owners = if current.role == OrgRole::Owner {
            q::lock_active_owners(conn, org)?
        } else {
            0
        };
        let target = target_of(actor, &current, &patch, owners)?;
        let (role, custom_role_id, own) = new_access(conn, actor, org, &current, target, &patch)?;
        let access_changed = role != target.role
            || custom_role_id != current.custom_role_id
            || own != current.permissions;
        if access_changed {
            q::update_access(conn, member, role, custom_role_id, own.clone())?;
        }

        // Teams: the options and the actor's team rights are read only when the
        // patch touches teams or groups.
        let touches_teams = !patch.teams.is_empty() || !matches!(patch.groups, GroupsPatch::Keep);
        let (team_options, rights) = if touches_teams {
            (
                q::team_options(conn, org)?,
                TeamRights::load(conn, actor, org)?,
            )
        } else {
            (Vec::new(), TeamRights::none())
        };
        for &(TeamId(team), choice) in &patch.teams {
            let Some(option) = team_options.iter().find(|t| t.id == team) else {
                return Err(AppError::NotFound);
            };
            let current_in_team = before_teams.iter().find(|t| t.team_id == team);
            let new = choice.map(TeamRoleChoice::stored);
            let granted = match choice {
                Some(TeamRoleChoice::Preset(r)) => r.permissions(),
                Some(TeamRoleChoice::Custom(id)) => custom_role(conn, org, id, Scope::Team)?,
                None => PermissionSet::default(),
            };
            let unchanged = current_in_team.map(|t| (t.role, t.custom_role_id)) == new;
            if unchanged {
                continue;
            }
            let action = TeamAction::GrantTeamPermissions {
                target: target.account_id,
                target_role: target.role,
                granted,
            };
            policy::check(actor, Action::Team(action, rights.in_team(team))).map_err(denied)?;
            // An archived team's members are read-only, as on its Members tab.
            if option.archived {
                return Err(AppError::Conflict(crate::services::teams::ARCHIVED.into()));
            }
            match new {
                Some((r, custom)) => q::upsert_team_membership(conn, org, team, member, r, custom)?,
                None => q::delete_team_membership(conn, team, member)?,
            };
        }

        if !matches!(patch.groups, GroupsPatch::Keep) {
            let active = current.status == MembershipStatus::Active;
            groups::apply(
                conn,
                actor,
                (org, member, active),
                &patch.groups,
                (&team_options, &rights),
            )?;
        }

        let (teams_after, groups_after) = if touches_teams {
            (
                q::team_memberships_of(conn, member)?,
                q::groups_of(conn, member)?,
            )
        } else {
            (before_teams.clone(), before_groups.clone())
        };
        if !access_changed && teams_after == before_teams && groups_after == before_groups {
            // Saving an unchanged row changes nothing: no version bump, no audit event.
            return Ok(None);
        }
        db::audit::insert(
            conn,
            member_updated(
                actor,
                org,
                member,
                Recorded::of(
                    (current.role, current.custom_role_id, &current.permissions),
                    &before_teams,
                    &before_groups,
                ),
                Recorded::of((role, custom_role_id, &own), &teams_after, &groups_after),
            ),
        )?;
        Ok(None)
    })
}
