//! One change of the bulk bar (a role, a team, a group) applied to each
//! selected member, and what it did to each: changed, unchanged, or refused
//! with the policy's reason. Each member is its own transaction, as a save of
//! their row is; each member's row is read once, by the change itself (the
//! quick save's read or the locked one), and that read says what changed.

use diesel::PgConnection;

use super::{update_member_seen, GroupsPatch, MemberPatch, OrgRoleChoice, TeamRoleChoice};
use crate::db::{self, members as q};
use crate::domain::policy::Actor;
use crate::domain::{GroupId, MembershipId, OrgId, OrgRole, TeamId, TeamRole};
use crate::error::{AppError, AppResult};

/// What the bulk bar asks of every selected member, one of its actions but
/// revoking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkChange {
    Role(OrgRoleChoice),
    Team(TeamId, TeamRoleChoice),
    Group(GroupId),
}

impl BulkChange {
    fn patch(self) -> MemberPatch {
        let mut patch = MemberPatch::default();
        match self {
            Self::Role(role) => patch.role = Some(role),
            Self::Team(team, role) => patch.teams.push((team, Some(role))),
            Self::Group(group) => patch.groups = GroupsPatch::Add(group),
        }
        patch
    }
}

/// What a bulk action did to one member, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// "Member → Manager".
    Changed(String),
    /// Allowed, but they already had it: "unchanged (already Manager)".
    Unchanged(String),
    /// The reason it was refused (the policy's, or "Not found.").
    Refused(String),
}

/// One selected member's [`Outcome`], with the name the list shows them by.
#[derive(Debug, Clone)]
pub struct MemberOutcome {
    pub name: String,
    pub outcome: Outcome,
}

/// A member's access as a change read it, before changing it: what a bulk
/// action's result describes ("Member → Manager"), from whichever read the
/// change made (the quick save's or the locked one), so nothing reads the
/// row a second time to say what happened.
#[derive(Debug, Clone)]
pub struct Before {
    pub role: OrgRole,
    pub custom_role_id: Option<i64>,
    pub teams: Vec<InTeam>,
    pub groups: Vec<i64>,
}

/// A member's role in one team, in a [`Before`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InTeam {
    pub team_id: i64,
    pub role: TeamRole,
    pub custom_role_id: Option<i64>,
}

impl Before {
    /// As the quick save read the member: their row as the list shows it.
    pub(super) fn of_row(row: &q::MemberRow) -> Self {
        Self {
            role: row.role,
            custom_role_id: row.custom_role_id,
            teams: row
                .teams
                .iter()
                .map(|t| InTeam::new(t.team_id, t.role, t.custom_role_id))
                .collect(),
            groups: row.groups.iter().map(|g| g.group_id).collect(),
        }
    }

    /// As the locked path read the member.
    pub(super) fn of_locked(locked: &q::Locked) -> Self {
        Self {
            role: locked.member.role,
            custom_role_id: locked.member.custom_role_id,
            teams: locked
                .teams
                .iter()
                .map(|t| InTeam::new(t.team_id, t.role, t.custom_role_id))
                .collect(),
            groups: locked.groups.iter().map(|g| g.group_id).collect(),
        }
    }
}

impl InTeam {
    fn new(team_id: i64, role: TeamRole, custom_role_id: Option<i64>) -> Self {
        Self {
            team_id,
            role,
            custom_role_id,
        }
    }
}

/// Applies `change` to each of `ids` in turn. Statements: three for the names
/// used in the results, then per member only what saving their row costs —
/// for a role, one read and one conditional write (the test
/// `members::cost::a_bulk_role_change_reads_each_member_once`).
pub fn change_each(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    change: BulkChange,
    ids: Vec<MembershipId>,
) -> AppResult<Vec<MemberOutcome>> {
    let names = Names::load(conn, org, change)?;
    let items = ids.into_iter().map(|id| (id, ())).collect();
    each_member(conn, org, items, |conn, id, ()| {
        let mut seen = None;
        let saved = update_member_seen(conn, actor, org, id, change.patch(), &mut seen);
        match (saved, seen) {
            (Ok(_), Some(before)) => Ok(what_changes(&before, change, &names)),
            (Ok(_), None) => Err(AppError::NotFound),
            (Err(e), _) => Err(e),
        }
    })
}

/// Applies `apply` to each member in turn (each call its own transaction):
/// what it did, or the refusal, per member by name. The names are read for
/// all members in one statement first, so that `apply` alone reads each
/// member's row. Only an unexpected error stops the loop.
pub fn each_member<T>(
    conn: &mut PgConnection,
    org: OrgId,
    items: Vec<(MembershipId, T)>,
    mut apply: impl FnMut(&mut PgConnection, MembershipId, T) -> AppResult<Outcome>,
) -> AppResult<Vec<MemberOutcome>> {
    let ids: Vec<MembershipId> = items.iter().map(|(id, _)| *id).collect();
    let names = q::names_of(conn, org, &ids)?;
    let mut results = Vec::with_capacity(items.len());
    for (id, item) in items {
        let Some(name) = names.iter().find(|n| n.id == id.0) else {
            results.push(MemberOutcome {
                name: format!("#{id}"),
                outcome: Outcome::Refused("Not found.".into()),
            });
            continue;
        };
        let outcome = match apply(conn, id, item) {
            Ok(outcome) => outcome,
            Err(AppError::Unexpected(e)) => return Err(AppError::Unexpected(e)),
            Err(AppError::NotFound) => Outcome::Refused("Not found.".into()),
            Err(refused) => Outcome::Refused(refused.to_string()),
        };
        results.push(MemberOutcome {
            name: name.display_name.clone(),
            outcome,
        });
    }
    Ok(results)
}

/// The names a change's results use, read once for all members.
struct Names {
    /// The role, team role or group asked for.
    wanted: String,
    /// The team asked for, when adding to a team.
    team: String,
    /// The organization's custom roles, for the role a member had.
    custom_roles: Vec<db::roles::CustomRole>,
}

impl Names {
    fn load(conn: &mut PgConnection, org: OrgId, change: BulkChange) -> AppResult<Self> {
        let teams = q::team_options(conn, org)?;
        let custom_roles = db::roles::list_all_for_org(conn, org)?;
        let custom_role = |id: i64| {
            custom_roles
                .iter()
                .find(|r| r.id.0 == id)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| "an unknown role".to_owned())
        };
        let (wanted, team) = match change {
            BulkChange::Role(OrgRoleChoice::Builtin(role)) => (role.label().to_owned(), None),
            BulkChange::Role(OrgRoleChoice::Custom(id)) => (custom_role(id), None),
            BulkChange::Team(team, choice) => (
                match choice {
                    TeamRoleChoice::Preset(role) => role.label().to_owned(),
                    TeamRoleChoice::Custom(id) => custom_role(id),
                },
                Some(
                    teams
                        .iter()
                        .find(|t| t.id == team.0)
                        .map(|t| t.name.clone())
                        .unwrap_or_else(|| "an unknown team".to_owned()),
                ),
            ),
            BulkChange::Group(group) => (
                teams
                    .iter()
                    .find_map(|t| {
                        let g = t.groups.iter().find(|g| g.id == group.0)?;
                        Some(format!("{} / {}", t.name, g.name))
                    })
                    .unwrap_or_else(|| "an unknown group".to_owned()),
                None,
            ),
        };
        Ok(Self {
            wanted,
            team: team.unwrap_or_default(),
            custom_roles,
        })
    }

    /// The custom role's name, or the built-in role's label.
    fn role_of(&self, before: &Before) -> String {
        match before.custom_role_id {
            Some(id) => self
                .custom_roles
                .iter()
                .find(|r| r.id.0 == id)
                .map_or_else(|| "an unknown role".to_owned(), |r| r.name.clone()),
            None => before.role.label().to_owned(),
        }
    }
}

/// What `change` does to the member as they were before it: "Member → Manager",
/// or unchanged when they already have it.
fn what_changes(before: &Before, change: BulkChange, names: &Names) -> Outcome {
    let unchanged = |what: String| Outcome::Unchanged(format!("unchanged (already {what})"));
    match change {
        BulkChange::Role(choice) => {
            let same = match choice {
                OrgRoleChoice::Builtin(role) => {
                    before.role == role && before.custom_role_id.is_none()
                }
                OrgRoleChoice::Custom(id) => before.custom_role_id == Some(id),
            };
            let was = names.role_of(before);
            if same {
                unchanged(was)
            } else {
                Outcome::Changed(format!("{was} → {}", names.wanted))
            }
        }
        BulkChange::Team(team, choice) => match before.teams.iter().find(|t| t.team_id == team.0) {
            None => Outcome::Changed(format!("added to {} as {}", names.team, names.wanted)),
            Some(held) => {
                let same = match choice {
                    TeamRoleChoice::Preset(role) => {
                        held.role == role && held.custom_role_id.is_none()
                    }
                    TeamRoleChoice::Custom(id) => held.custom_role_id == Some(id),
                };
                let was = match held.role {
                    TeamRole::Custom => "a custom role",
                    preset => preset.label(),
                };
                if same {
                    unchanged(format!("{was} in {}", names.team))
                } else {
                    Outcome::Changed(format!("{}: {was} → {}", names.team, names.wanted))
                }
            }
        },
        BulkChange::Group(group) => {
            if before.groups.contains(&group.0) {
                unchanged(format!("in {}", names.wanted))
            } else {
                Outcome::Changed(format!("added to {}", names.wanted))
            }
        }
    }
}
