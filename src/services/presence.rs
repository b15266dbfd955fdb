//! Presence use cases: a page's report, the ticker's pass over members
//! crossing a threshold, and signing out. Each is one transaction that writes
//! the member's row and, when the status changed, announces it on
//! `roster_presence` (delivered to every instance when the transaction commits).
//! The clock is a parameter, so tests move it by hand.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};

use crate::db::presence::{self as q, Change, Update};
use crate::domain::presence::{Report, Status, TabId, Tabs, Thresholds};
use crate::domain::{AccountId, MembershipId, OrgId};
use crate::error::AppResult;

/// Rows the ticker handles per transaction.
const TICK_BATCH: i64 = 500;

/// Who reports, from which tab, what.
#[derive(Debug, Clone)]
pub struct Heartbeat {
    pub org: OrgId,
    pub account: AccountId,
    pub member: MembershipId,
    pub tab: TabId,
    pub report: Report,
    /// Time since the tab's last input.
    pub idle: Duration,
}

fn change(org: i64, member: i64, account: i64, saved: Saved) -> Change {
    Change {
        org,
        membership: member,
        account,
        status: saved.0.as_str().to_owned(),
        last_active_ms: saved.1.map(|t| t.timestamp_millis()),
    }
}

/// A row as written: its status and last seen.
type Saved = (Status, Option<DateTime<Utc>>);

/// Writes the member's tabs with what follows from them as of `now`: the
/// status, last seen and the next deadline.
fn save(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    tabs: &Tabs,
    now: DateTime<Utc>,
    th: &Thresholds,
) -> AppResult<Saved> {
    let status = tabs.status(now, th);
    let last_active = q::save(
        conn,
        org,
        account,
        Update {
            status,
            tabs,
            last_active_at: tabs.last_active(),
            next_change_at: tabs.next_change(now, th),
        },
    )?;
    Ok((status, last_active))
}

/// Records a page's report as of `now`. Nothing is written when the tab said
/// the same within the heartbeat; the transition, if any, is returned.
pub fn report(
    conn: &mut PgConnection,
    beat: &Heartbeat,
    now: DateTime<Utc>,
    th: &Thresholds,
) -> AppResult<Option<Change>> {
    conn.transaction(|conn| {
        let stored = q::lock(conn, beat.org, beat.account)?;
        let mut tabs = stored.tabs;
        if !tabs.record(&beat.tab, beat.report, beat.idle, now, th) {
            return Ok(None);
        }
        let saved = save(conn, beat.org, beat.account, &tabs, now, th)?;
        if saved.0 == stored.status {
            return Ok(None);
        }
        let change = change(beat.org.0, beat.member.0, beat.account.0, saved);
        q::notify(conn, &change)?;
        Ok(Some(change))
    })
}

/// Announces every member whose status changed by `now` with nobody
/// reporting (away after the input grew old, offline after the pages went
/// silent). Safe on every instance at once: rows one holds, another skips.
pub fn tick(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    th: &Thresholds,
) -> AppResult<Vec<Change>> {
    let mut changes = Vec::new();
    loop {
        let batch = conn.transaction(|conn| -> AppResult<(usize, Vec<Change>)> {
            let due = q::lock_due(conn, now, TICK_BATCH)?;
            let mut changes = Vec::new();
            for row in &due {
                let stored = row.stored();
                let mut tabs = stored.tabs;
                tabs.prune(now, th);
                let (org, account) = (OrgId(row.organization_id), AccountId(row.account_id));
                let saved = save(conn, org, account, &tabs, now, th)?;
                if saved.0 != stored.status {
                    let change = change(org.0, row.membership_id, account.0, saved);
                    q::notify(conn, &change)?;
                    changes.push(change);
                }
            }
            Ok((due.len(), changes))
        })?;
        changes.extend(batch.1);
        if (batch.0 as i64) < TICK_BATCH {
            return Ok(changes);
        }
    }
}

/// Signing out: the account is offline everywhere at once, for everyone watching.
pub fn end(conn: &mut PgConnection, account: AccountId) -> AppResult<Vec<Change>> {
    conn.transaction(|conn| {
        let ended = q::end_for_account(conn, account)?;
        let mut changes = Vec::with_capacity(ended.len());
        for row in ended {
            let change = Change {
                org: row.organization_id,
                membership: row.membership_id,
                account: account.0,
                status: Status::Offline.as_str().to_owned(),
                last_active_ms: row.last_active_at.map(|t| t.timestamp_millis()),
            };
            q::notify(conn, &change)?;
            changes.push(change);
        }
        Ok(changes)
    })
}

/// The ticker: every `tick`, announces members crossing a threshold. One per
/// instance; stopped with the application.
pub fn spawn_ticker(
    pool: crate::db::PgPool,
    settings: &crate::config::PresenceSettings,
) -> tokio::task::JoinHandle<()> {
    let (every, th) = (settings.tick, settings.thresholds);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            let result = crate::db::run(&pool, move |conn| tick(conn, Utc::now(), &th)).await;
            if let Err(error) = result {
                tracing::warn!(%error, "presence tick failed");
            }
        }
    })
}
