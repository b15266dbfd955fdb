//! An audit event as a row shows it: when, who, the sentence and the diff.
//! Shared by the audit log, a member's timeline and the profile's security activity.

use crate::db::audit::log::EventRow;
use crate::domain::audit::action_label;
use crate::domain::audit_story::{tell, Change, Event, Names, Story};

#[derive(Debug, Clone)]
pub struct EventView {
    pub id: i64,
    /// ISO-8601 UTC, for `<time datetime>` and the CSV.
    pub at_iso: String,
    pub at: String,
    pub actor_member_id: Option<i64>,
    pub member_id: Option<i64>,
    pub action: String,
    pub action_label: String,
    pub sentence: String,
    pub changes: Vec<Change>,
    pub ip: String,
}

pub fn story_of(row: &EventRow, names: &Names) -> Story {
    let null = serde_json::Value::Null;
    tell(
        &Event {
            action: &row.action,
            target_type: &row.target_type,
            target_id: row.target_id.as_deref(),
            actor: row.actor_name.as_deref(),
            member: row.member_name.as_deref(),
            before: row.before.as_ref().unwrap_or(&null),
            after: row.after.as_ref().unwrap_or(&null),
        },
        names,
    )
}

pub fn iso(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn event_view(row: &EventRow, names: &Names) -> EventView {
    let Story { sentence, changes } = story_of(row, names);
    EventView {
        id: row.id,
        at_iso: iso(row.created_at),
        at: row.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        actor_member_id: row.actor_member_id,
        member_id: row.member_id,
        action_label: action_label(&row.action),
        action: row.action.clone(),
        sentence,
        changes,
        ip: row.ip.clone().unwrap_or_default(),
    }
}
