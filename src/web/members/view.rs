//! View models of the members page: rows and the inline edit form, with the
//! policy's reasons attached to whatever the viewer may not do.

use crate::db::members::{MemberRow, TeamOption};
use crate::db::roles::CustomRole;
use crate::domain::policy::{self, Action, Actor, Target};
use crate::domain::{
    AccountId, MembershipStatus, OrgRole, Permission, PermissionSet, Scope, TeamRole,
};
use crate::services::groups::GROUPS_OFF;
use crate::services::members::{groups_locked, GroupsLocked, TeamRights};
use crate::web::presence::PresenceDot;

#[derive(Debug, Clone)]
pub struct Chip {
    pub id: i64,
    pub name: String,
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct MemberView {
    pub id: i64,
    pub display_name: String,
    pub email: String,
    pub role_label: String,
    pub status: MembershipStatus,
    pub teams: Vec<Chip>,
    pub groups: Vec<Chip>,
    pub services: Vec<String>,
    pub last_seen: String,
    /// `last_seen` as RFC 3339, for `<time datetime>` (the page shows it relative).
    pub last_seen_at: Option<String>,
    pub is_me: bool,
    pub version: i32,
    /// Why the viewer may not edit this member, if they may not.
    pub edit_denied: Option<&'static str>,
    /// Revoke is offered: an active member, and the viewer may revoke members
    /// (the dialog gives the policy's reason when not this one).
    pub may_revoke: bool,
    /// A pending member's invitation, when the list loaded it.
    pub invitation: Option<crate::web::invitations::view::PendingView>,
    /// Active members' presence dot (shown when the Presence feature is on);
    /// pending and archived members have none.
    pub presence: Option<PresenceDot>,
}

impl MemberView {
    /// The status badge's words: a pending member's expired invitation says so.
    pub fn status_label(&self) -> &'static str {
        match (&self.invitation, self.status) {
            (Some(inv), MembershipStatus::Pending) if inv.expired => "Expired",
            (_, status) => status.label(),
        }
    }
}

/// The row's member as the policy sees them.
pub fn target_of(row: &MemberRow, active_owners: i64) -> Target {
    Target::of(
        AccountId(row.account_id),
        row.role,
        row.status,
        active_owners,
    )
}

pub fn member_view(row: &MemberRow, actor: &Actor, active_owners: i64) -> MemberView {
    let target = target_of(row, active_owners);
    let role_label = match &row.custom_role_name {
        Some(name) => name.clone(),
        None => target.role.label().to_owned(),
    };
    let role_label = if row.permissions.is_some() {
        format!("{role_label} (custom permissions)")
    } else {
        role_label
    };
    MemberView {
        id: row.id,
        display_name: row.display_name.clone(),
        email: row.email.clone(),
        role_label,
        status: row.status,
        teams: row
            .teams
            .iter()
            .map(|t| Chip {
                id: t.team_id,
                name: t.name.clone(),
                detail: t.role.label().to_owned(),
            })
            .collect(),
        groups: row
            .groups
            .iter()
            .map(|g| Chip {
                id: g.group_id,
                name: g.name.clone(),
                detail: g.team.clone(),
            })
            .collect(),
        services: row.services.clone(),
        last_seen: row
            .last_seen_at
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|| "Never".into()),
        last_seen_at: row.last_seen_at.map(|t| t.to_rfc3339()),
        is_me: row.account_id == actor.account_id.0,
        version: row.version,
        edit_denied: policy::check(actor, Action::EditMember(target))
            .err()
            .map(|d| d.0),
        may_revoke: target.active && actor.has(Permission::MembersRevoke),
        invitation: None,
        presence: (row.status == MembershipStatus::Active).then(|| {
            let now = chrono::Utc::now();
            if row.account_id == actor.account_id.0 {
                // The viewer is on this page: online, whatever the page's own
                // first heartbeat (which may land after this render) says.
                return PresenceDot::new(row.id, Some("online"), Some(now), now);
            }
            PresenceDot::new(
                row.id,
                row.presence_status.as_deref(),
                row.presence_active_at.or(row.last_seen_at),
                now,
            )
        }),
    }
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
    pub denied: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct TeamEdit {
    pub id: i64,
    pub name: String,
    pub choices: Vec<Choice>,
    pub groups: Vec<Choice>,
}

#[derive(Debug, Clone)]
pub struct EditForm {
    pub member: MemberView,
    pub roles: Vec<Choice>,
    pub own_permissions: bool,
    pub permissions: Vec<Choice>,
    pub teams: Vec<TeamEdit>,
    /// Why groups cannot be chosen, when they cannot.
    pub groups_note: Option<&'static str>,
    pub error: Option<String>,
}

impl EditForm {
    /// The distinct reasons permission boxes are disabled, each shown once
    /// beneath them; a box points at its own with `aria-describedby`.
    pub fn permission_reasons(&self) -> Vec<&'static str> {
        let mut reasons: Vec<&'static str> = Vec::new();
        for reason in self.permissions.iter().filter_map(|c| c.denied) {
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        reasons
    }

    /// The element id of a permission box's shown reason.
    pub fn permission_reason_id(&self, reason: &str) -> String {
        let index = self
            .permission_reasons()
            .iter()
            .position(|r| *r == reason)
            .unwrap_or_default();
        format!("perm-why-{}-{index}", self.member.id)
    }

    /// The element id of the note under the groups.
    pub fn groups_note_id(&self) -> String {
        format!("groups-note-{}", self.member.id)
    }
}

/// From how many groups a team's group picker gets a "Find a group" field.
pub const GROUP_FILTER_FROM: usize = 7;

impl TeamEdit {
    /// Whether this team has enough groups to want a filter over its picker.
    pub fn searchable(&self) -> bool {
        self.groups.len() >= GROUP_FILTER_FROM
    }

    /// Why this team's groups cannot be changed (the same for each of them).
    pub fn groups_denied(&self) -> Option<&'static str> {
        self.groups.iter().find_map(|g| g.denied)
    }

    /// The reason to show under this team's name: none when the form's note
    /// under all the groups already says it.
    pub fn groups_reason(&self, form: &EditForm) -> Option<&'static str> {
        self.groups_denied()
            .filter(|reason| Some(*reason) != form.groups_note)
    }

    /// The id of the element that says why this team's groups are disabled.
    pub fn groups_reason_id(&self, form: &EditForm) -> String {
        match self.groups_reason(form) {
            Some(_) => format!("groups-why-{}-{}", form.member.id, self.id),
            None => form.groups_note_id(),
        }
    }
}

/// What the actor may do with groups in the member form: their team rights,
/// and whether the Groups feature is on.
pub type GroupAccess<'a> = (&'a TeamRights, bool);

pub fn edit_form(
    row: &MemberRow,
    actor: &Actor,
    active_owners: i64,
    roles: &[CustomRole],
    teams: &[TeamOption],
    (rights, groups_on): GroupAccess<'_>,
) -> EditForm {
    let member = member_view(row, actor, active_owners);
    let target = target_of(row, active_owners);
    let current = match row.custom_role_id {
        Some(id) => format!("custom:{id}"),
        None => row.role.as_str().to_owned(),
    };
    let mut role_choices: Vec<Choice> = OrgRole::ALL
        .into_iter()
        .map(|r| Choice {
            value: r.as_str().into(),
            label: r.label().into(),
            selected: current == r.as_str(),
            denied: (current != r.as_str())
                .then(|| {
                    policy::check(actor, Action::GrantOrgRole(target, r, r.permissions()))
                        .err()
                        .map(|d| d.0)
                })
                .flatten(),
        })
        .collect();
    for role in roles.iter().filter(|r| r.scope == Scope::Org.as_str()) {
        let value = format!("custom:{}", role.id);
        let granted = PermissionSet::from_keys(&role.permissions).unwrap_or_default();
        role_choices.push(Choice {
            selected: current == value,
            denied: policy::check(
                actor,
                Action::GrantOrgRole(target, OrgRole::Member, granted),
            )
            .err()
            .map(|d| d.0),
            value,
            label: format!("{} (custom)", role.name),
        });
    }
    let own = row
        .permissions
        .as_ref()
        .map(|k| PermissionSet::from_keys(k).unwrap_or_default());
    let permissions = Permission::in_scope(Scope::Org)
        .map(|p| Choice {
            value: p.key().into(),
            label: p.label().into(),
            selected: own.is_some_and(|set| set.contains(p)),
            denied: (!actor.has(p))
                .then_some("You cannot grant permissions you do not hold yourself."),
        })
        .collect();
    let in_teams: Vec<(i64, String)> = row
        .teams
        .iter()
        .map(|t| {
            let role = match t.custom_role_id {
                Some(id) if t.role == TeamRole::Custom => format!("custom:{id}"),
                _ => t.role.as_str().to_owned(),
            };
            (t.team_id, role)
        })
        .collect();
    let group_ids: Vec<i64> = row.groups.iter().map(|g| g.group_id).collect();
    let pending = (row.status != MembershipStatus::Active)
        .then_some("Pending members can join groups once they accept their invitation.");
    let team_roles: Vec<&CustomRole> = roles
        .iter()
        .filter(|r| r.scope == Scope::Team.as_str())
        .collect();
    let teams = teams
        .iter()
        .filter(|t| !t.archived || in_teams.iter().any(|(id, _)| *id == t.id))
        .map(|team| {
            let current = in_teams
                .iter()
                .find(|(id, _)| *id == team.id)
                .map(|t| t.1.clone())
                .unwrap_or_default();
            let mut choices = vec![Choice {
                value: String::new(),
                label: "Not in team".into(),
                selected: current.is_empty(),
                denied: None,
            }];
            choices.extend(TeamRole::PRESETS.into_iter().map(|r| Choice {
                value: r.as_str().into(),
                label: r.label().into(),
                selected: current == r.as_str(),
                denied: None,
            }));
            choices.extend(team_roles.iter().map(|role| Choice {
                selected: current == format!("custom:{}", role.id),
                value: format!("custom:{}", role.id),
                label: format!("{} (custom)", role.name),
                denied: None,
            }));
            let denied = groups_locked(actor, rights, team, groups_on)
                .map(GroupsLocked::reason)
                .or(pending);
            let groups = team
                .groups
                .iter()
                .map(|g| Choice {
                    value: g.id.to_string(),
                    label: g.name.clone(),
                    selected: group_ids.contains(&g.id),
                    denied,
                })
                .collect();
            TeamEdit {
                id: team.id,
                name: team.name.clone(),
                choices,
                groups,
            }
        })
        .collect();
    let groups_note = if groups_on { pending } else { Some(GROUPS_OFF) };
    EditForm {
        member,
        roles: role_choices,
        own_permissions: own.is_some(),
        permissions,
        teams,
        groups_note,
        error: None,
    }
}

impl super::list::Listing {
    /// Which members page `page` shows, as "51–100 of 10,000".
    pub fn range(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = *page.borrow();
        let first = (page - 1) * super::list::PAGE_SIZE + 1;
        let last = (first + self.rows.len() as i64 - 1).max(first);
        format!(
            "{}–{} of {}",
            thousands(first),
            thousands(last),
            thousands(self.total)
        )
    }
}

/// A count as people write it: 10000 as "10,000".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = if n < 0 { "-".to_owned() } else { String::new() };
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn counts_are_written_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
