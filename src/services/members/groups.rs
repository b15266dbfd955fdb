//! Who may change a member's groups through the member form, and the change
//! itself: both adding and removing need the team's `groups.manage` (or every
//! team's through `teams.manage`), the Groups feature on and the team not
//! archived, as on the team's Groups tab. The form shows the same reasons.

use diesel::PgConnection;

use super::{actor_team_permissions, denied, GroupsPatch};
use crate::db::{self, members as q};
use crate::domain::policy::{self, Action, Actor, TeamAction};
use crate::domain::{MembershipId, OrgId, Permission, PermissionSet, Scope};
use crate::error::{AppError, AppResult};
use crate::services::groups::{modules, GROUPS_OFF};
use crate::services::teams::ARCHIVED;

/// What the actor holds in each team: everything with `teams.manage`, else
/// their team roles' permissions (read only when needed).
pub struct TeamRights {
    manages_all: bool,
    teams: Vec<(i64, PermissionSet)>,
}

impl TeamRights {
    pub fn load(conn: &mut PgConnection, actor: &Actor, org: OrgId) -> AppResult<Self> {
        let manages_all = actor.has(Permission::TeamsManage);
        let teams = if manages_all {
            Vec::new()
        } else {
            actor_team_permissions(conn, actor, org)?
        };
        Ok(Self { manages_all, teams })
    }

    /// Nothing in any team: for a patch that touches no team.
    pub fn none() -> Self {
        Self {
            manages_all: false,
            teams: Vec::new(),
        }
    }

    pub fn in_team(&self, team: i64) -> PermissionSet {
        if self.manages_all {
            return PermissionSet::scope_all(Scope::Team);
        }
        self.teams
            .iter()
            .find(|t| t.0 == team)
            .map(|t| t.1)
            .unwrap_or_default()
    }
}

/// Why a team's groups cannot be changed from the member form.
#[derive(Debug, Clone, Copy)]
pub enum GroupsLocked {
    FeatureOff,
    Archived,
    Denied(policy::Denied),
}

impl GroupsLocked {
    pub fn reason(self) -> &'static str {
        match self {
            Self::FeatureOff => GROUPS_OFF,
            Self::Archived => ARCHIVED,
            Self::Denied(d) => d.0,
        }
    }
}

impl From<GroupsLocked> for AppError {
    fn from(locked: GroupsLocked) -> Self {
        match locked {
            GroupsLocked::Archived => AppError::Conflict(ARCHIVED.into()),
            GroupsLocked::FeatureOff => AppError::forbidden(GROUPS_OFF),
            GroupsLocked::Denied(d) => denied(d),
        }
    }
}

/// Whether the actor may change who is in `team`'s groups, and why not.
pub fn groups_locked(
    actor: &Actor,
    rights: &TeamRights,
    team: &q::TeamOption,
    groups_on: bool,
) -> Option<GroupsLocked> {
    if !groups_on {
        return Some(GroupsLocked::FeatureOff);
    }
    if team.archived {
        return Some(GroupsLocked::Archived);
    }
    let in_team = rights.in_team(team.id);
    policy::check(actor, Action::Team(TeamAction::ManageGroups, in_team))
        .err()
        .map(GroupsLocked::Denied)
}

/// Whether the Groups feature is on for the organization.
fn groups_on(conn: &mut PgConnection, org: OrgId) -> AppResult<bool> {
    let org = db::organizations::find_by_id(conn, org)?.ok_or(AppError::NotFound)?;
    Ok(modules(conn, &org)?.groups)
}

/// Puts the member into the groups `patch` asks for and out of the others,
/// each group's team checked first. Only once they are active can they join.
pub(super) fn apply(
    conn: &mut PgConnection,
    actor: &Actor,
    (org, member, active): (OrgId, MembershipId, bool),
    patch: &GroupsPatch,
    (team_options, rights): (&[q::TeamOption], &TeamRights),
) -> AppResult<()> {
    // Team changes may have taken the member out of groups: read them again.
    let teams_now = q::team_memberships_of(conn, member)?;
    let groups_now = q::groups_of(conn, member)?;
    let wanted = patch.wanted(&groups_now);
    let leaving: Vec<q::GroupPlace> = groups_now
        .iter()
        .filter(|g| !wanted.contains(&g.group_id))
        .copied()
        .collect();
    let joining: Vec<i64> = wanted
        .iter()
        .filter(|g| !groups_now.iter().any(|have| have.group_id == **g))
        .copied()
        .collect();
    if leaving.is_empty() && joining.is_empty() {
        return Ok(());
    }
    let on = groups_on(conn, org)?;
    let may_change = |team: &q::TeamOption| match groups_locked(actor, rights, team, on) {
        Some(locked) => Err(AppError::from(locked)),
        None => Ok(()),
    };
    for place in leaving {
        let team = teams_now
            .iter()
            .find(|t| t.id == place.team_membership_id)
            .and_then(|tm| team_options.iter().find(|t| t.id == tm.team_id))
            .ok_or(AppError::NotFound)?;
        may_change(team)?;
        q::remove_from_group(conn, place.group_id, place.team_membership_id)?;
    }
    for group in joining {
        let team = team_options
            .iter()
            .find(|t| t.groups.iter().any(|g| g.id == group))
            .ok_or(AppError::NotFound)?;
        if !active {
            return Err(AppError::Validation(
                "Pending and archived members can join groups once they are active.".into(),
            ));
        }
        let tm = teams_now
            .iter()
            .find(|t| t.team_id == team.id)
            .ok_or_else(|| {
                AppError::Validation(format!(
                    "Add the member to the team {} before adding them to its groups.",
                    team.name
                ))
            })?;
        may_change(team)?;
        q::add_to_group(conn, group, tm.id)?;
    }
    Ok(())
}
