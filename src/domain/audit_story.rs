//! Audit events told as sentences ("Ada changed Bob's role from Member to
//! Manager") with the fields that changed, rendered from the stored
//! before/after values and today's names: nothing is stored as prose, so a
//! renamed team reads with its new name and a new action needs only a line here.

use std::collections::HashMap;

use serde_json::Value;

use super::features::{Feature, Plan};
use super::{OrgRole, Permission, TeamRole};

/// Today's names of what events refer to by id.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Names {
    pub teams: HashMap<i64, String>,
    pub groups: HashMap<i64, String>,
    pub roles: HashMap<i64, String>,
    pub services: HashMap<i64, String>,
}

/// One event, as read with the names of who acted and whom it is about.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<&'a str>,
    /// The actor's name; `None` for Roster itself (upkeep, the command line).
    pub actor: Option<&'a str>,
    /// The member the event is about, as the viewer may see them (a pending
    /// member by address).
    pub member: Option<&'a str>,
    pub before: &'a Value,
    pub after: &'a Value,
}

/// A field that changed, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    pub sentence: String,
    pub changes: Vec<Change>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "on" } else { "off" }.into()),
        _ => None,
    }
}

fn int(v: &Value, key: &str) -> Option<i64> {
    v.get(key)?.as_i64()
}

fn org_role(raw: &str) -> String {
    OrgRole::parse(raw).map_or_else(|| raw.to_owned(), |r| r.label().to_owned())
}

fn team_role(raw: &str) -> String {
    TeamRole::parse(raw).map_or_else(|| raw.to_owned(), |r| r.label().to_owned())
}

fn permissions(v: Option<&Value>) -> String {
    match v.and_then(Value::as_array) {
        None => "the role's".into(),
        Some(keys) if keys.is_empty() => "none".into(),
        Some(keys) => keys
            .iter()
            .filter_map(Value::as_str)
            .map(|k| Permission::from_key(k).map_or_else(|| k.to_owned(), |p| p.label().to_owned()))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

impl Names {
    fn team(&self, id: Option<i64>) -> String {
        id.and_then(|id| self.teams.get(&id).cloned())
            .unwrap_or_else(|| "a deleted team".into())
    }

    fn named(map: &HashMap<i64, String>, id: Option<i64>, gone: &str) -> String {
        id.and_then(|id| map.get(&id).cloned())
            .unwrap_or_else(|| gone.into())
    }

    /// A member's org role as recorded: a custom role by its name.
    fn member_role(&self, v: &Value) -> String {
        match int(v, "custom_role_id") {
            Some(id) => Self::named(&self.roles, Some(id), "a deleted custom role"),
            None => text(v, "role").map(|r| org_role(&r)).unwrap_or_default(),
        }
    }

    fn member_teams(&self, v: &Value) -> String {
        let teams: Vec<String> = v
            .get("teams")
            .and_then(Value::as_array)
            .map(|ts| {
                ts.iter()
                    .map(|t| {
                        let role = text(t, "role").map(|r| team_role(&r)).unwrap_or_default();
                        format!("{} ({role})", self.team(int(t, "team")))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if teams.is_empty() {
            "none".into()
        } else {
            teams.join(", ")
        }
    }

    fn member_groups(&self, v: &Value) -> String {
        let groups: Vec<String> = v
            .get("groups")
            .and_then(Value::as_array)
            .map(|gs| {
                gs.iter()
                    .map(|g| Self::named(&self.groups, g.as_i64(), "a deleted group"))
                    .collect()
            })
            .unwrap_or_default();
        if groups.is_empty() {
            "none".into()
        } else {
            groups.join(", ")
        }
    }
}

/// The fields of two flat records that differ, each value in words.
fn diff(before: &Value, after: &Value, skip: &[&str]) -> Vec<Change> {
    let mut keys: Vec<&String> = before
        .as_object()
        .into_iter()
        .chain(after.as_object())
        .flat_map(|o| o.keys())
        .filter(|k| !skip.contains(&k.as_str()))
        .collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| before.get(k.as_str()) != after.get(k.as_str()))
        .map(|k| Change {
            field: k.replace('_', " "),
            before: shown(before.get(k.as_str())),
            after: shown(after.get(k.as_str())),
        })
        .collect()
}

/// A plan as the Plan & seats page names it ("Pro"), else as stored.
fn plan_label(v: Option<&Value>) -> String {
    match v.and_then(Value::as_str).and_then(Plan::parse) {
        Some(plan) => plan.label().to_owned(),
        None => shown(v),
    }
}

fn shown(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "—".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => if *b { "on" } else { "off" }.into(),
        Some(other) => other.to_string(),
    }
}

/// The changes of a member's access, in words.
fn member_changes(names: &Names, before: &Value, after: &Value) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut push = |field: &str, b: String, a: String| {
        if b != a {
            changes.push(Change {
                field: field.into(),
                before: b,
                after: a,
            });
        }
    };
    push("role", names.member_role(before), names.member_role(after));
    push(
        "own permissions",
        permissions(before.get("permissions").filter(|v| !v.is_null())),
        permissions(after.get("permissions").filter(|v| !v.is_null())),
    );
    push(
        "teams",
        names.member_teams(before),
        names.member_teams(after),
    );
    push(
        "groups",
        names.member_groups(before),
        names.member_groups(after),
    );
    changes
}

pub fn tell(e: &Event<'_>, names: &Names) -> Story {
    let actor = e.actor.unwrap_or("Roster");
    let member = e
        .member
        .map(str::to_owned)
        .or_else(|| text(e.before, "email"))
        .or_else(|| text(e.after, "email"))
        .unwrap_or_else(|| "a former member".into());
    let (b, a) = (e.before, e.after);
    let name = || {
        text(a, "name")
            .or_else(|| text(b, "name"))
            .unwrap_or_default()
    };
    let target_int = e.target_id.and_then(|t| t.parse::<i64>().ok());
    let team_of = |v: &Value| names.team(int(v, "team_id"));
    let mut changes = diff(
        b,
        a,
        &[
            "membership_id",
            "team_membership_id",
            "account_id",
            "team_id",
            "members",
        ],
    );
    let sentence = match e.action {
        "organization.created" => format!("{actor} created the organization {}", name()),
        "organization.renamed" => format!(
            "{actor} renamed the organization from {} to {}",
            text(b, "name").unwrap_or_default(),
            name()
        ),
        "organization.feature_toggled" => format!(
            "{actor} switched the {} feature {}",
            // The label people see in Settings → Features, not its key.
            text(a, "feature")
                .map(|key| Feature::parse(&key).map_or(key, |f| f.label().to_owned()))
                .unwrap_or_default(),
            text(a, "enabled").unwrap_or_default()
        ),
        "organization.seats_changed" => format!(
            "{actor} changed the seats from {} to {}",
            shown(b.get("seats")),
            shown(a.get("seats"))
        ),
        "organization.plan_changed" => format!(
            "{actor} changed the plan from {} to {}",
            plan_label(b.get("plan")),
            plan_label(a.get("plan"))
        ),
        "audit.retention_changed" => format!(
            "{actor} set the audit log to keep events {}",
            match int(a, "days") {
                Some(1) => "for 1 day".into(),
                Some(n) => format!("for {n} days"),
                None => "forever".into(),
            }
        ),
        "audit.purged" => format!(
            "{actor} purged {} audit events older than {} days",
            shown(a.get("purged")),
            shown(a.get("days"))
        ),
        "member.added" => format!(
            "{actor} added {member} as {}",
            text(a, "role").map(|r| org_role(&r)).unwrap_or_default()
        ),
        "member.updated" => {
            changes = member_changes(names, b, a);
            let role = changes.iter().find(|c| c.field == "role");
            let others: Vec<&str> = changes
                .iter()
                .filter(|c| c.field != "role")
                .map(|c| c.field.as_str())
                .collect();
            match (role, others.is_empty()) {
                (Some(r), true) => format!(
                    "{actor} changed {member}'s role from {} to {}",
                    r.before, r.after
                ),
                (Some(r), false) => format!(
                    "{actor} changed {member}'s role from {} to {} and their {}",
                    r.before,
                    r.after,
                    others.join(" and ")
                ),
                (None, false) => format!("{actor} changed {member}'s {}", others.join(" and ")),
                (None, true) => format!("{actor} saved {member}'s access unchanged"),
            }
        }
        "member.archived" => format!("{actor} archived {member}"),
        "member.restored" => format!("{actor} restored {member}"),
        "member.revoked" => format!("{actor} revoked {member}'s access"),
        "member.deleted" => format!("{actor} deleted {member}"),
        "invitation.created" => format!(
            "{actor} invited {member} as {}",
            text(a, "role").map(|r| org_role(&r)).unwrap_or_default()
        ),
        "invitation.resent" => format!("Invitation to {member} resent by {actor}"),
        "invitation.revoked" => format!("{actor} revoked the invitation to {member}"),
        "invitation.accepted" => format!("{member} accepted the invitation"),
        "invitation.link_copied" => {
            format!("{actor} copied the invitation link for {member}")
        }
        "invitation.expired" => format!("The invitation to {member} expired"),
        "invitation.reminded" => format!("Roster reminded {member} of their invitation"),
        "invitation.purged" => format!("Roster removed the expired invitation to {member}"),
        "team.created" => format!("{actor} created the team {}", name()),
        "team.updated" => format!("{actor} changed the details of the team {}", name()),
        "team.setting_toggled" | "team.goal_threshold_changed" => {
            let team = names.team(target_int);
            match changes.first() {
                Some(c) => format!(
                    "{actor} changed {team}'s {} from {} to {}",
                    c.field, c.before, c.after
                ),
                None => format!("{actor} changed {team}'s settings"),
            }
        }
        "team.workflow_id_regenerated" => format!(
            "{actor} regenerated the workflow ID of {}",
            names.team(target_int)
        ),
        "team.archived" => format!("{actor} archived the team {}", names.team(target_int)),
        "team.unarchived" => format!("{actor} restored the team {}", names.team(target_int)),
        "team.deleted" => format!("{actor} deleted the team {}", name()),
        "team.member_added" => format!(
            "{actor} added {member} to {} as {}",
            team_of(a),
            text(a, "role").map(|r| team_role(&r)).unwrap_or_default()
        ),
        "team.member_role_changed" => format!(
            "{actor} changed {member}'s role in {} from {} to {}",
            team_of(a),
            text(b, "role").map(|r| team_role(&r)).unwrap_or_default(),
            text(a, "role").map(|r| team_role(&r)).unwrap_or_default()
        ),
        "team.member_removed" => format!("{actor} removed {member} from {}", team_of(b)),
        "group.created" => format!("{actor} created the group {} in {}", name(), team_of(a)),
        "group.renamed" => format!(
            "{actor} renamed the group {} to {}",
            text(b, "name").unwrap_or_default(),
            name()
        ),
        "group.deleted" => format!("{actor} deleted the group {} from {}", name(), team_of(b)),
        "group.member_added" => format!(
            "{actor} added {member} to the group {}",
            Names::named(&names.groups, target_int, "a deleted group")
        ),
        "group.member_removed" => format!(
            "{actor} removed {member} from the group {}",
            Names::named(&names.groups, target_int, "a deleted group")
        ),
        "service.created" => format!("{actor} created the service {} in {}", name(), team_of(a)),
        "service.updated" => format!("{actor} changed the service {}", name()),
        "service.activated" | "service.deactivated" => format!(
            "{actor} switched the service {} {}",
            Names::named(&names.services, target_int, "a deleted service"),
            if e.action == "service.activated" {
                "on"
            } else {
                "off"
            }
        ),
        "service.deleted" => format!("{actor} deleted the service {}", name()),
        "service.attached" => format!(
            "{actor} gave the group {} the service {}",
            text(a, "group").unwrap_or_default(),
            Names::named(&names.services, target_int, "a deleted service")
        ),
        "service.detached" => format!(
            "{actor} took the service {} from the group {}",
            Names::named(&names.services, target_int, "a deleted service"),
            text(b, "group").unwrap_or_default()
        ),
        "role.created" => format!("{actor} created the custom role {}", name()),
        "role.updated" => format!("{actor} changed the custom role {}", name()),
        "role.deleted" => format!("{actor} deleted the custom role {}", name()),
        "account.password_changed" => "Password changed".into(),
        "account.password_reset" => "Password reset with an emailed link".into(),
        "account.password_reset_requested" => "Password reset link requested".into(),
        "account.set_password_sent" => "Set-password link emailed".into(),
        "account.sessions_ended" => match int(a, "sessions_ended") {
            Some(1) => "1 session signed out".into(),
            Some(n) => format!("{n} sessions signed out"),
            None => "Sessions signed out".into(),
        },
        "account.signed_in_new_browser" => format!(
            "Signed in from a new browser ({})",
            super::browser::describe(&text(a, "user_agent").unwrap_or_default())
        ),
        other => format!(
            "{actor}: {} ({} {})",
            super::audit::action_label(other),
            e.target_type,
            e.target_id.unwrap_or("")
        ),
    };
    Story { sentence, changes }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn told(action: &str, before: Value, after: Value, names: &Names) -> Story {
        tell(
            &Event {
                action,
                target_type: "membership",
                target_id: Some("7"),
                actor: Some("Ada"),
                member: Some("Bob"),
                before: &before,
                after: &after,
            },
            names,
        )
    }

    #[test]
    fn features_and_plans_are_named_as_the_settings_name_them() {
        let names = Names::default();
        let story = told(
            "organization.feature_toggled",
            json!({"feature": "user_management", "enabled": false}),
            json!({"feature": "user_management", "enabled": true}),
            &names,
        );
        assert_eq!(
            story.sentence,
            "Ada switched the User management feature on"
        );
        let story = told(
            "organization.plan_changed",
            json!({"plan": "free"}),
            json!({"plan": "pro"}),
            &names,
        );
        assert_eq!(story.sentence, "Ada changed the plan from Free to Pro");
    }

    #[test]
    fn a_role_change_reads_as_a_sentence_with_its_diff() {
        let names = Names::default();
        let access = |role: &str| json!({"role": role, "custom_role_id": null, "permissions": null, "teams": [], "groups": []});
        let story = told(
            "member.updated",
            access("member"),
            access("manager"),
            &names,
        );
        assert_eq!(
            story.sentence,
            "Ada changed Bob's role from Member to Manager"
        );
        assert_eq!(
            story.changes,
            vec![Change {
                field: "role".into(),
                before: "Member".into(),
                after: "Manager".into()
            }]
        );
    }

    #[test]
    fn team_changes_name_the_team_as_it_is_called_today() {
        let mut names = Names::default();
        names.teams.insert(3, "Support".into());
        let before = json!({"role": "member", "teams": [], "groups": []});
        let after =
            json!({"role": "member", "teams": [{"team": 3, "role": "agent"}], "groups": []});
        let story = told("member.updated", before, after, &names);
        assert_eq!(story.sentence, "Ada changed Bob's teams");
        assert_eq!(story.changes[0].after, "Support (Agent)");
        let added = told(
            "team.member_added",
            Value::Null,
            json!({"team_id": 3, "membership_id": 7, "role": "supervisor"}),
            &names,
        );
        assert_eq!(added.sentence, "Ada added Bob to Support as Supervisor");
    }

    #[test]
    fn invitations_and_unknown_actions_still_read() {
        let names = Names::default();
        let resent = told("invitation.resent", json!({}), json!({}), &names);
        assert_eq!(resent.sentence, "Invitation to Bob resent by Ada");
        let odd = told("member.teleported", Value::Null, Value::Null, &names);
        assert_eq!(odd.sentence, "Ada: member teleported (membership 7)");
    }
}
