//! The invitation part of the upkeep job ([`crate::services::upkeep`]): marks invitations past
//! their expiry as expired (their seat is free already), queues the one
//! reminder before expiry, and purges expired invitations after a while with
//! their pending membership and any account made only for them. Work is claimed
//! with `FOR UPDATE SKIP LOCKED`, so instances running it together never act
//! twice on one invitation.
//!
//! The reminder needs a working link while only the token's hash is stored, so
//! it goes through the outbox like every invitation email: the worker mints a
//! fresh token when it sends it, and the earlier email's link dies (the email
//! says so). An invitation whose link a manager copied gets no reminder, which
//! would kill the link they passed on. A resend or a copied link starts a new
//! expiry, and with it one new reminder.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::{inviter_name, queue_kind};
use crate::config::Settings;
use crate::db::{self, audit::NewEvent, invitation_upkeep as q};
use crate::domain::{AccountId, InvitationStatus, OrgId, OrgRole};
use crate::error::AppResult;
use crate::services::demo::NO_PASSWORD;

/// Invitations handled per transaction.
const BATCH: i64 = 100;
/// No reminder within this long of the invitation's last email.
const QUIET_HOURS: i64 = 1;

#[derive(Debug, Clone)]
pub struct UpkeepSettings {
    pub public_url: url::Url,
    pub purge_after: Duration,
    /// Zero sends no reminders.
    pub remind_before: Duration,
}

impl UpkeepSettings {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            public_url: settings.public_url.clone(),
            purge_after: settings.invitation_purge_after,
            remind_before: settings.invitation_remind_before,
        }
    }
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub expired: usize,
    pub reminded: usize,
    pub purged: usize,
    pub accounts_deleted: usize,
}

fn span(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// One run as of `now` (tests pass a time of their choosing).
pub fn run(conn: &mut PgConnection, now: DateTime<Utc>, cfg: &UpkeepSettings) -> AppResult<Report> {
    let mut report = Report::default();
    while let n @ 1.. = expire_batch(conn, now)? {
        report.expired += n;
        if (n as i64) < BATCH {
            break;
        }
    }
    if !cfg.remind_before.is_zero() {
        while let n @ 1.. = remind_batch(conn, now, cfg)? {
            report.reminded += n;
            if (n as i64) < BATCH {
                break;
            }
        }
    }
    let cutoff = now.checked_sub_signed(span(cfg.purge_after)).unwrap_or(now);
    while let (n @ 1.., accounts) = purge_batch(conn, cutoff)? {
        report.purged += n;
        report.accounts_deleted += accounts;
        if (n as i64) < BATCH {
            break;
        }
    }
    Ok(report)
}

fn event(due: &q::Due, action: &'static str, after: serde_json::Value) -> NewEvent<'static> {
    NewEvent {
        organization_id: Some(OrgId(due.organization_id)),
        actor: None,
        action,
        target_type: "membership",
        target_id: due.membership_id.map(|m| m.to_string()),
        before: Some(json!({"email": due.email, "expires_at": due.expires_at})),
        after: Some(after),
    }
}

fn expire_batch(conn: &mut PgConnection, now: DateTime<Utc>) -> AppResult<usize> {
    conn.transaction(|conn| {
        let due = q::expire_due(conn, now, BATCH)?;
        for d in &due {
            db::outbox::cancel_unsent_of_invitation(conn, d.id)?;
            db::audit::insert(
                conn,
                event(
                    d,
                    "invitation.expired",
                    json!({"status": InvitationStatus::Expired}),
                ),
            )?;
        }
        Ok(due.len())
    })
}

fn remind_batch(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    cfg: &UpkeepSettings,
) -> AppResult<usize> {
    conn.transaction(|conn| {
        let window_end = now + span(cfg.remind_before);
        let quiet_since = now - chrono::Duration::hours(QUIET_HOURS);
        let due = q::lock_remindable(conn, now, window_end, quiet_since, BATCH)?;
        for d in &due {
            let org = db::organizations::find_by_id(conn, OrgId(d.organization_id))?
                .ok_or(crate::error::AppError::NotFound)?;
            let inviter = inviter_name(conn, d.inviter_account_id.map(AccountId))?;
            let role = OrgRole::parse(&d.role).map_or(d.role.clone(), |r| r.label().to_owned());
            let email = crate::mail::templates::reminder(
                &cfg.public_url,
                &org.name,
                &inviter,
                &role,
                d.expires_at,
            )?;
            queue_kind(conn, "invitation_reminder", d.id, &d.email, &email)?;
            q::mark_reminded(conn, d.id, now)?;
            db::audit::insert(
                conn,
                event(d, "invitation.reminded", json!({"reminded_at": now})),
            )?;
        }
        Ok(due.len())
    })
}

/// Purges expired invitations whose expiry is before `cutoff`; returns how
/// many, and how many accounts went with them.
fn purge_batch(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> AppResult<(usize, usize)> {
    conn.transaction(|conn| {
        let due = q::lock_purgeable(conn, cutoff, BATCH)?;
        let mut accounts = 0;
        for d in &due {
            let account = q::delete_with_membership(conn, d)?;
            let deleted = match account {
                Some(a) => q::delete_if_unused_without_password(conn, a, NO_PASSWORD)? > 0,
                None => false,
            };
            accounts += usize::from(deleted);
            db::audit::insert(
                conn,
                event(
                    d,
                    "invitation.purged",
                    json!({"status": "purged", "account_deleted": deleted}),
                ),
            )?;
        }
        Ok((due.len(), accounts))
    })
}
