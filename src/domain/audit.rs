//! The audit log's vocabulary: the groups actions are filtered by, each
//! action's label, and the filter's dates and cursor as validated values.
//! Sentences are told in `domain::audit_story`.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use super::Invalid;

/// The parts of the log an action belongs to, as the filter offers them. The
/// database derives the same group from an action's prefix (migration 000017,
/// `audit_events.action_group`); [`ActionGroup::of`] is that mapping here, and
/// the test `settings::audit::log::every_action_lands_in_the_group_the_database_gives_it`
/// holds the two together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionGroup {
    Membership,
    Roles,
    Teams,
    Groups,
    Services,
    Invitations,
    Settings,
    Contacts,
}

impl ActionGroup {
    pub const ALL: [ActionGroup; 8] = [
        Self::Membership,
        Self::Roles,
        Self::Teams,
        Self::Groups,
        Self::Services,
        Self::Invitations,
        Self::Settings,
        Self::Contacts,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Membership => "membership",
            Self::Roles => "roles",
            Self::Teams => "teams",
            Self::Groups => "groups",
            Self::Services => "services",
            Self::Invitations => "invitations",
            Self::Settings => "settings",
            Self::Contacts => "contacts",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Membership => "Membership",
            Self::Roles => "Roles",
            Self::Teams => "Teams",
            Self::Groups => "Groups",
            Self::Services => "Services",
            Self::Invitations => "Invitations",
            Self::Settings => "Settings",
            Self::Contacts => "Contacts",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.key() == raw)
    }

    /// The group of an action, from its prefix (`team.member_added` → Teams).
    pub fn of(action: &str) -> Option<Self> {
        match action.split('.').next().unwrap_or_default() {
            "member" => Some(Self::Membership),
            "role" => Some(Self::Roles),
            "team" => Some(Self::Teams),
            "group" => Some(Self::Groups),
            "service" => Some(Self::Services),
            "invitation" => Some(Self::Invitations),
            "organization" | "audit" => Some(Self::Settings),
            "contact" => Some(Self::Contacts),
            _ => None,
        }
    }
}

/// Every action written today, with its label: what the log's rows and the
/// text filter call it.
pub const ACTIONS: &[(&str, &str)] = &[
    ("organization.created", "Organization created"),
    ("organization.renamed", "Organization renamed"),
    ("organization.feature_toggled", "Feature switched"),
    ("organization.seats_changed", "Seats changed"),
    ("organization.plan_changed", "Plan changed"),
    ("audit.retention_changed", "Audit retention changed"),
    ("audit.purged", "Old audit events purged"),
    ("member.added", "Member added"),
    ("member.updated", "Member's access changed"),
    ("member.archived", "Member archived"),
    ("member.restored", "Member restored"),
    ("member.revoked", "Member revoked"),
    ("member.deleted", "Member deleted"),
    ("invitation.created", "Invitation sent"),
    ("invitation.resent", "Invitation resent"),
    ("invitation.revoked", "Invitation revoked"),
    ("invitation.accepted", "Invitation accepted"),
    ("invitation.link_copied", "Invitation link copied"),
    ("invitation.expired", "Invitation expired"),
    ("invitation.reminded", "Invitation reminder sent"),
    ("invitation.purged", "Expired invitation removed"),
    ("team.created", "Team created"),
    ("team.updated", "Team details changed"),
    ("team.setting_toggled", "Team setting switched"),
    ("team.goal_threshold_changed", "Team goal changed"),
    ("team.workflow_id_regenerated", "Workflow ID regenerated"),
    ("team.archived", "Team archived"),
    ("team.unarchived", "Team restored"),
    ("team.deleted", "Team deleted"),
    ("team.member_added", "Added to team"),
    ("team.member_role_changed", "Team role changed"),
    ("team.member_removed", "Removed from team"),
    ("group.created", "Group created"),
    ("group.renamed", "Group renamed"),
    ("group.deleted", "Group deleted"),
    ("group.member_added", "Added to group"),
    ("group.member_removed", "Removed from group"),
    ("service.created", "Service created"),
    ("service.updated", "Service changed"),
    ("service.activated", "Service switched on"),
    ("service.deactivated", "Service switched off"),
    ("service.deleted", "Service deleted"),
    ("service.attached", "Service given to group"),
    ("service.detached", "Service taken from group"),
    ("role.created", "Custom role created"),
    ("role.updated", "Custom role changed"),
    ("role.deleted", "Custom role deleted"),
    ("account.password_changed", "Password changed"),
    ("account.password_reset", "Password reset"),
    (
        "account.password_reset_requested",
        "Password reset requested",
    ),
    ("account.set_password_sent", "Set-password email sent"),
    ("account.sessions_ended", "Sessions signed out"),
    (
        "account.signed_in_new_browser",
        "Signed in from a new browser",
    ),
];

/// An action's label; an action this build does not know is shown as written.
pub fn action_label(action: &str) -> String {
    ACTIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, label)| (*label).to_owned())
        .unwrap_or_else(|| action.replace(['.', '_'], " "))
}

/// The actions whose label contains `text` (lower-cased): the text filter
/// matches these by name as well as the events' words.
pub fn actions_labelled(text: &str) -> Vec<String> {
    ACTIONS
        .iter()
        .filter(|(_, label)| label.to_lowercase().contains(text))
        .map(|(action, _)| (*action).to_owned())
        .collect()
}

/// A calendar day typed into the filter, `YYYY-MM-DD` (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AuditDay(NaiveDate);

impl AuditDay {
    pub fn parse(raw: &str) -> Result<Option<Self>, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        let shown: String = raw.chars().take(20).collect();
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .filter(|d| raw.len() == 10 && (1970..=9999).contains(&d.year()))
            .map(|d| Some(Self(d)))
            .ok_or_else(|| {
                Invalid::new(format!(
                    "{shown:?} is not a date; use YYYY-MM-DD, e.g. 2026-02-28."
                ))
            })
    }

    pub fn as_string(self) -> String {
        self.0.format("%Y-%m-%d").to_string()
    }

    /// The day's first instant.
    pub fn start(self) -> DateTime<Utc> {
        Utc.from_utc_datetime(&self.0.and_hms_opt(0, 0, 0).unwrap_or_default())
    }

    /// The next day's first instant: a range through this day ends before it.
    pub fn end(self) -> DateTime<Utc> {
        self.0
            .succ_opt()
            .map(|d| Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default()))
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// A date range whose end is not before its start.
pub fn day_range(
    from: Option<AuditDay>,
    to: Option<AuditDay>,
) -> Result<(Option<AuditDay>, Option<AuditDay>), Invalid> {
    match (from, to) {
        (Some(f), Some(t)) if t < f => Err(Invalid::new(format!(
            "The range ends ({}) before it starts ({}).",
            t.as_string(),
            f.as_string()
        ))),
        range => Ok(range),
    }
}

/// Where a page of events starts: beside an event a Next or Previous link named,
/// by its time and id (the keyset every page is read by).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventCursor {
    /// Events older than this one (Next).
    Older(DateTime<Utc>, i64),
    /// Events newer than this one (Previous).
    Newer(DateTime<Utc>, i64),
}

/// An event's place as a link carries it: microseconds since 1970, a dot, its id.
pub fn cursor_key(at: DateTime<Utc>, id: i64) -> String {
    format!("{}.{id}", at.timestamp_micros())
}

pub fn parse_cursor_key(raw: &str) -> Option<(DateTime<Utc>, i64)> {
    let (micros, id) = raw.trim().split_once('.')?;
    let at = DateTime::<Utc>::from_timestamp_micros(micros.parse().ok()?)?;
    Some((at, id.parse().ok().filter(|id: &i64| *id > 0)?))
}

/// How long an organization keeps its events: a number of days, or forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetentionDays(Option<i32>);

impl RetentionDays {
    pub const MAX: i32 = 36_500;

    /// Empty (or "forever") keeps everything; else 1 to 36,500 days.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let raw = raw.trim();
        if raw.is_empty() || raw.eq_ignore_ascii_case("forever") {
            return Ok(Self(None));
        }
        match raw.parse::<i32>() {
            Ok(n) if (1..=Self::MAX).contains(&n) => Ok(Self(Some(n))),
            _ => Err(Invalid::new(
                "Keep events for 1 to 36,500 days, or leave it empty to keep them forever.",
            )),
        }
    }

    pub fn forever() -> Self {
        Self(None)
    }

    pub fn of(days: Option<i32>) -> Self {
        Self(days)
    }

    pub fn days(self) -> Option<i32> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_must_exist_and_ranges_run_forward() {
        assert!(AuditDay::parse("2026-02-28").unwrap().is_some());
        assert!(AuditDay::parse("").unwrap().is_none());
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "yesterday",
            "2026-2-3x",
            "0000-01-01",
        ] {
            assert!(AuditDay::parse(bad).is_err(), "{bad}");
        }
        let day = |s| AuditDay::parse(s).unwrap();
        assert!(day_range(day("2026-03-01"), day("2026-02-01")).is_err());
        assert!(day_range(day("2026-02-01"), day("2026-02-01")).is_ok());
        let d = day("2026-02-01").unwrap();
        assert_eq!(d.end() - d.start(), chrono::Duration::days(1));
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let at = DateTime::<Utc>::from_timestamp_micros(1_780_000_000_123_456).unwrap();
        assert_eq!(parse_cursor_key(&cursor_key(at, 42)), Some((at, 42)));
        for bad in ["", "1.2.3", "x.1", "1.-4", "99999999999999999999.1"] {
            assert_eq!(parse_cursor_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_known_action_has_a_group_or_is_the_accounts_own() {
        for (action, _) in ACTIONS {
            assert!(
                ActionGroup::of(action).is_some() || action.starts_with("account."),
                "{action}"
            );
        }
        assert_eq!(
            ActionGroup::of("team.member_added"),
            Some(ActionGroup::Teams)
        );
        assert_eq!(actions_labelled("resent"), vec!["invitation.resent"]);
    }

    #[test]
    fn retention_is_days_or_forever() {
        assert_eq!(RetentionDays::parse("").unwrap().days(), None);
        assert_eq!(RetentionDays::parse(" 30 ").unwrap().days(), Some(30));
        for bad in ["0", "-1", "36501", "ten", "1e3"] {
            assert!(RetentionDays::parse(bad).is_err(), "{bad}");
        }
    }
}
