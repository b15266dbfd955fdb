//! The members list's forms as the browser sends them — the inline save of a
//! row and the bulk bar — read by `serde_html_form` (repeated keys into
//! `Vec`s), then turned into the service's types with readable messages.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use crate::domain::{GroupId, MembershipId, PermissionSet, TeamId};
use crate::error::AppError;
use crate::services::members::bulk::BulkChange;
use crate::services::members::{GroupsPatch, MemberPatch, OrgRoleChoice, TeamRoleChoice};

/// The most rows one bulk action takes: one page of the list.
pub const MAX_BULK: usize = 50;

/// The inline edit form of a member's row. Each section says it was sent
/// (`permissions_form`, `groups_form`), so an empty checkbox list clears, and
/// a form without the section leaves it alone. Teams come as one field per
/// team, `team_<id>` = its role or "" to leave it.
#[derive(Debug, Default)]
pub struct MemberForm {
    version: Option<String>,
    role: Option<String>,
    permissions_form: bool,
    own_permissions: bool,
    perm: Vec<String>,
    teams: Vec<(String, String)>,
    groups_form: bool,
    group: Vec<String>,
}

/// Written out because the team fields' names carry the team's id, which a
/// derived struct cannot name (and `serde(flatten)` loses `serde_html_form`'s
/// lists); every other field is read as a derive would.
impl<'de> Deserialize<'de> for MemberForm {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;

        impl<'de> Visitor<'de> for Fields {
            type Value = MemberForm;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the member form's fields")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MemberForm, A::Error> {
                let mut form = MemberForm::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "version" => form.version = Some(map.next_value()?),
                        "role" => form.role = Some(map.next_value()?),
                        "perm" => form.perm = map.next_value()?,
                        "group" => form.group = map.next_value()?,
                        "permissions_form" | "own_permissions" | "groups_form" => {
                            map.next_value::<IgnoredAny>()?;
                            match key.as_str() {
                                "permissions_form" => form.permissions_form = true,
                                "own_permissions" => form.own_permissions = true,
                                _ => form.groups_form = true,
                            }
                        }
                        other => match other.strip_prefix("team_") {
                            Some(team) => form.teams.push((team.to_owned(), map.next_value()?)),
                            None => {
                                map.next_value::<IgnoredAny>()?;
                            }
                        },
                    }
                }
                Ok(form)
            }
        }

        deserializer.deserialize_map(Fields)
    }
}

/// The form's values as a patch; an unknown value is refused by name.
impl TryFrom<MemberForm> for MemberPatch {
    type Error = AppError;

    fn try_from(form: MemberForm) -> Result<Self, AppError> {
        let invalid = AppError::Validation;
        let version = form
            .version
            .map(|v| v.parse())
            .transpose()
            .map_err(|_| invalid("The form is out of date; reload the page.".into()))?;
        let role = form
            .role
            .map(|role| {
                OrgRoleChoice::parse(&role)
                    .ok_or_else(|| invalid(format!("Unknown role {role:?}.")))
            })
            .transpose()?;
        let own_permissions = match (form.permissions_form, form.own_permissions) {
            (false, _) => None,
            (true, false) => Some(None),
            (true, true) => Some(Some(PermissionSet::from_keys(&form.perm).map_err(invalid)?)),
        };
        let teams = form
            .teams
            .into_iter()
            .map(|(team, value)| {
                let id = team
                    .parse()
                    .map(TeamId)
                    .map_err(|_| invalid(format!("Unknown team {team:?}.")))?;
                let choice = match value.as_str() {
                    "" => None,
                    raw => Some(
                        TeamRoleChoice::parse(raw)
                            .ok_or_else(|| invalid(format!("Unknown team role {raw:?}.")))?,
                    ),
                };
                Ok((id, choice))
            })
            .collect::<Result<_, AppError>>()?;
        let groups = if form.groups_form {
            let ids = form.group.iter().map(|g| g.parse().map(GroupId));
            GroupsPatch::Set(
                ids.collect::<Result<_, _>>()
                    .map_err(|_| invalid("Unknown group.".into()))?,
            )
        } else {
            GroupsPatch::Keep
        };
        Ok(MemberPatch {
            version,
            role,
            own_permissions,
            teams,
            groups,
        })
    }
}

/// The bulk bar's form: the selected members (`ids`, or `matching=all` with
/// the list's filter and the total the bar showed) and the action with its
/// choice.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BulkForm {
    ids: Vec<String>,
    action: String,
    role: String,
    team: String,
    team_role: String,
    group: String,
    matching: String,
    matching_filter: String,
    matching_total: String,
}

/// Which members a bulk action is for.
pub enum Selection {
    /// The rows ticked, between one and [`MAX_BULK`].
    Ids(Vec<MembershipId>),
    /// Every member the list's filter (its query string) matches; the total
    /// the confirmation showed, when it was sent.
    Matching {
        filter: String,
        total: Option<usize>,
    },
}

/// What a bulk action does.
pub enum BulkAction {
    /// Shows what revoking them would take, before anything changes.
    Revoke,
    Change(BulkChange),
}

impl BulkForm {
    pub fn selection(&self) -> Result<Selection, AppError> {
        if self.matching == "all" {
            return Ok(Selection::Matching {
                filter: self.matching_filter.clone(),
                total: self.matching_total.parse().ok(),
            });
        }
        selected_ids(&self.ids).map(Selection::Ids)
    }

    pub fn action(&self) -> Result<BulkAction, AppError> {
        let invalid = |message: &str| AppError::Validation(message.to_owned());
        let change = match self.action.as_str() {
            "revoke" => return Ok(BulkAction::Revoke),
            "set_role" => OrgRoleChoice::parse(&self.role)
                .map(BulkChange::Role)
                .ok_or_else(|| invalid("Choose a role."))?,
            "add_team" => {
                let team = self
                    .team
                    .parse()
                    .map(TeamId)
                    .map_err(|_| invalid("Choose a team."))?;
                let role = TeamRoleChoice::parse(&self.team_role)
                    .ok_or_else(|| invalid("Choose a team role."))?;
                BulkChange::Team(team, role)
            }
            "add_group" => self
                .group
                .parse()
                .map(|id| BulkChange::Group(GroupId(id)))
                .map_err(|_| invalid("Choose a group."))?,
            _ => return Err(invalid("Choose what to do with the selected members.")),
        };
        Ok(BulkAction::Change(change))
    }
}

/// The members ticked in the bulk bar's confirm of a revoke (`ids`, with each
/// member's handover fields beside them).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SelectedForm {
    ids: Vec<String>,
}

impl SelectedForm {
    pub fn ids(&self) -> Result<Vec<MembershipId>, AppError> {
        selected_ids(&self.ids)
    }
}

/// The selected members' ids, between one and [`MAX_BULK`].
fn selected_ids(raw: &[String]) -> Result<Vec<MembershipId>, AppError> {
    let ids: Vec<MembershipId> = raw
        .iter()
        .map(|v| {
            v.parse()
                .map(MembershipId)
                .map_err(|_| AppError::Validation("Unknown member.".into()))
        })
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Err(AppError::Validation("Select at least one member.".into()));
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::Validation(format!(
            "Select at most {MAX_BULK} members at a time."
        )));
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(body: &str) -> Result<MemberPatch, AppError> {
        let form: MemberForm = serde_html_form::from_str(body).expect("a form");
        MemberPatch::try_from(form)
    }

    #[test]
    fn the_member_form_reads_repeated_and_per_team_fields() {
        let p = patch(
            "version=3&role=manager&permissions_form=1&own_permissions=on&perm=members.invite\
             &perm=audit.view&team_7=agent&team_8=&groups_form=1&group=4&csrf_token=x",
        )
        .unwrap();
        assert_eq!(p.version, Some(3));
        assert_eq!(
            p.role,
            Some(OrgRoleChoice::Builtin(crate::domain::OrgRole::Manager))
        );
        assert_eq!(p.own_permissions.unwrap().unwrap().keys().len(), 2);
        assert_eq!(
            p.teams,
            vec![
                (
                    TeamId(7),
                    Some(TeamRoleChoice::Preset(crate::domain::TeamRole::Agent))
                ),
                (TeamId(8), None)
            ]
        );
        assert!(matches!(p.groups, GroupsPatch::Set(ref g) if g == &[GroupId(4)]));

        let p = patch("permissions_form=1&perm=members.invite").unwrap();
        assert_eq!(
            p.own_permissions,
            Some(None),
            "unticked: the set is cleared"
        );
        let p = patch("role=admin").unwrap();
        assert!(p.own_permissions.is_none() && matches!(p.groups, GroupsPatch::Keep));
    }

    #[test]
    fn unknown_values_in_the_member_form_are_refused_by_name() {
        for (body, message) in [
            ("role=superuser", "Unknown role \"superuser\"."),
            ("version=x", "The form is out of date; reload the page."),
            ("team_x=agent", "Unknown team \"x\"."),
            ("team_3=boss", "Unknown team role \"boss\"."),
            ("groups_form=1&group=g", "Unknown group."),
            (
                "permissions_form=1&own_permissions=1&perm=rm.rf",
                "Unknown permission \"rm.rf\".",
            ),
        ] {
            let err = patch(body).unwrap_err();
            assert!(
                matches!(&err, AppError::Validation(m) if m == message),
                "{body}: {err}"
            );
        }
    }

    #[test]
    fn a_field_sent_twice_is_a_readable_422_not_a_500() {
        use crate::web::plumbing::forms::parse_form;
        for err in [
            parse_form::<MemberForm>(b"role=admin&role=owner").err(),
            parse_form::<BulkForm>(b"ids=1&action=set_role&action=add_team").err(),
        ] {
            let err = err.expect("refused");
            assert!(
                matches!(&err, AppError::Validation(m) if m.starts_with("The form could not be read")),
                "{err}"
            );
        }
    }

    #[test]
    fn the_bulk_form_names_what_is_missing() {
        let form = |body: &str| serde_html_form::from_str::<BulkForm>(body).unwrap();
        let f = form("ids=1&ids=2&action=add_team&team=5&team_role=agent");
        assert!(matches!(f.selection(), Ok(Selection::Ids(ids)) if ids.len() == 2));
        assert!(matches!(
            f.action(),
            Ok(BulkAction::Change(BulkChange::Team(TeamId(5), _)))
        ));
        for (body, message) in [
            ("action=set_role&role=member", "Select at least one member."),
            ("ids=x", "Unknown member."),
        ] {
            assert!(matches!(form(body).selection(), Err(AppError::Validation(m)) if m == message));
        }
        for (body, message) in [
            (
                "action=explode",
                "Choose what to do with the selected members.",
            ),
            ("action=add_team&team=5", "Choose a team role."),
            ("action=add_group&group=", "Choose a group."),
        ] {
            assert!(matches!(form(body).action(), Err(AppError::Validation(m)) if m == message));
        }
    }
}
