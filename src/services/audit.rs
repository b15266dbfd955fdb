//! The audit log's own changes: its retention setting, and the upkeep purge of
//! events older than it (the purge is itself an event, written in the same
//! transaction as the deletions it records).

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::db::{self, audit::NewEvent};
use crate::domain::audit::RetentionDays;
use crate::domain::policy::{self, Action, Actor};
use crate::domain::OrgId;
use crate::error::{AppError, AppResult};

/// Events deleted per statement.
const PURGE_BATCH: i64 = 10_000;

pub fn set_retention(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    days: RetentionDays,
) -> AppResult<()> {
    policy::check(actor, Action::ChangeAuditRetention)
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))?;
    conn.transaction(|conn| {
        let was = db::audit::set_retention(conn, org, days.days())?;
        if was == days.days() {
            return Ok(());
        }
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "audit.retention_changed",
                target_type: "organization",
                target_id: Some(org.to_string()),
                before: Some(json!({ "days": was })),
                after: Some(json!({ "days": days.days() })),
            },
        )?;
        Ok(())
    })
}

/// Deletes the organization's events older than `days` before `now`, in
/// batches, and records how many went: one transaction, so the record and the
/// deletions stand or fall together. Returns how many were deleted.
pub fn purge(
    conn: &mut PgConnection,
    org: OrgId,
    days: i32,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let before = now - chrono::Duration::days(i64::from(days));
    conn.transaction(|conn| {
        let mut purged = 0;
        loop {
            let n = db::audit::delete_older_than(conn, org, before, PURGE_BATCH)?;
            purged += n;
            if (n as i64) < PURGE_BATCH {
                break;
            }
        }
        if purged > 0 {
            db::audit::insert(
                conn,
                NewEvent {
                    organization_id: Some(org),
                    actor: None,
                    action: "audit.purged",
                    target_type: "organization",
                    target_id: Some(org.to_string()),
                    before: None,
                    after: Some(json!({ "days": days, "purged": purged, "older_than": before })),
                },
            )?;
        }
        Ok(purged)
    })
}

/// The upkeep's part: every organization with a retention purged as of `now`.
/// The total deleted.
pub fn purge_all(conn: &mut PgConnection, now: DateTime<Utc>) -> AppResult<usize> {
    let mut total = 0;
    for (org, days) in db::audit::retentions(conn)? {
        total += purge(conn, OrgId(org), days, now)?;
    }
    Ok(total)
}
