//! One change of the bulk bar (a role, a team, a group) and, per member, what
//! it does to them in words: "Member → Manager", "unchanged (already Manager)".

use super::{get, invalid, Applied};
use crate::db::{self, members as q};
use crate::domain::{CustomRoleId, OrgId, TeamRole};
use crate::error::AppResult;
use crate::services::members::{GroupsPatch, MemberPatch, OrgRoleChoice, TeamRoleChoice};

/// What the bulk bar asks for, one of its actions but revoking.
#[derive(Debug, Clone, Copy)]
pub enum Change {
    Role(OrgRoleChoice),
    Team(i64, TeamRoleChoice),
    Group(i64),
}

impl Change {
    pub fn parse(fields: &[(String, String)]) -> AppResult<Self> {
        match get(fields, "action") {
            "set_role" => OrgRoleChoice::parse(get(fields, "role"))
                .map(Self::Role)
                .ok_or_else(|| invalid("Choose a role.")),
            "add_team" => {
                let team = get(fields, "team")
                    .parse()
                    .map_err(|_| invalid("Choose a team."))?;
                let role = TeamRoleChoice::parse(get(fields, "team_role"))
                    .ok_or_else(|| invalid("Choose a team role."))?;
                Ok(Self::Team(team, role))
            }
            "add_group" => get(fields, "group")
                .parse()
                .map(Self::Group)
                .map_err(|_| invalid("Choose a group.")),
            _ => Err(invalid("Choose what to do with the selected members.")),
        }
    }

    pub fn patch(self) -> MemberPatch {
        let mut patch = MemberPatch::default();
        match self {
            Self::Role(role) => patch.role = Some(role),
            Self::Team(team, role) => patch.teams.push((team, Some(role))),
            Self::Group(group) => patch.groups = GroupsPatch::Add(group),
        }
        patch
    }
}

/// The names a change's results use, read once for all rows.
pub struct Names {
    /// The role, team role or group asked for.
    wanted: String,
    /// The team asked for, when adding to a team.
    team: String,
}

fn custom_role_name(conn: &mut diesel::PgConnection, org: OrgId, id: i64) -> AppResult<String> {
    Ok(db::roles::find_in_org(conn, org, CustomRoleId(id))?
        .map(|r| r.name)
        .unwrap_or_else(|| "an unknown role".to_owned()))
}

impl Names {
    pub fn load(conn: &mut diesel::PgConnection, org: OrgId, change: Change) -> AppResult<Self> {
        let teams = q::team_options(conn, org)?;
        let team_name = |id: i64| {
            teams
                .iter()
                .find(|t| t.0 == id)
                .map(|t| t.1.clone())
                .unwrap_or_else(|| "an unknown team".to_owned())
        };
        Ok(match change {
            Change::Role(OrgRoleChoice::Builtin(role)) => Self {
                wanted: role.label().to_owned(),
                team: String::new(),
            },
            Change::Role(OrgRoleChoice::Custom(id)) => Self {
                wanted: custom_role_name(conn, org, id)?,
                team: String::new(),
            },
            Change::Team(team, choice) => Self {
                wanted: match choice {
                    TeamRoleChoice::Preset(role) => role.label().to_owned(),
                    TeamRoleChoice::Custom(id) => custom_role_name(conn, org, id)?,
                },
                team: team_name(team),
            },
            Change::Group(group) => Self {
                wanted: teams
                    .iter()
                    .find_map(|t| {
                        let g = t.3.iter().find(|g| g.0 == group)?;
                        Some(format!("{} / {}", t.1, g.1))
                    })
                    .unwrap_or_else(|| "an unknown group".to_owned()),
                team: String::new(),
            },
        })
    }
}

/// What `change` does to the member as they were before it: "Member → Manager",
/// or unchanged when they already have it.
pub fn what_changes(before: &q::MemberRow, change: Change, names: &Names) -> Applied {
    let unchanged = |what: String| Applied {
        message: format!("unchanged (already {what})"),
        unchanged: true,
    };
    match change {
        Change::Role(choice) => {
            let same = match choice {
                OrgRoleChoice::Builtin(role) => {
                    before.role == role && before.custom_role_id.is_none()
                }
                OrgRoleChoice::Custom(id) => before.custom_role_id == Some(id),
            };
            let was = before
                .custom_role_name
                .clone()
                .unwrap_or_else(|| before.role.label().to_owned());
            if same {
                unchanged(was)
            } else {
                Applied::changed(format!("{was} → {}", names.wanted))
            }
        }
        Change::Team(team, choice) => match before.teams.iter().find(|t| t.team_id == team) {
            None => Applied::changed(format!("added to {} as {}", names.team, names.wanted)),
            Some(chip) => {
                let same = match choice {
                    TeamRoleChoice::Preset(role) => {
                        chip.role == role && chip.custom_role_id.is_none()
                    }
                    TeamRoleChoice::Custom(id) => chip.custom_role_id == Some(id),
                };
                let was = match chip.role {
                    TeamRole::Custom => "a custom role",
                    preset => preset.label(),
                };
                if same {
                    unchanged(format!("{was} in {}", names.team))
                } else {
                    Applied::changed(format!("{}: {was} → {}", names.team, names.wanted))
                }
            }
        },
        Change::Group(group) => {
            if before.groups.iter().any(|g| g.group_id == group) {
                unchanged(format!("in {}", names.wanted))
            } else {
                Applied::changed(format!("added to {}", names.wanted))
            }
        }
    }
}
