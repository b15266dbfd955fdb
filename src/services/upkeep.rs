//! The upkeep job, a task in the same binary: one run does the invitation
//! upkeep ([`super::invitations::upkeep`]) and then purges what is spent, so
//! that no table grows with traffic alone: sessions past their idle expiry or
//! absolute lifetime, rate-limit windows (sign-in budgets among them) that
//! are over, and audit events past their organization's retention
//! ([`super::audit::purge_all`]). Purges go in batches, each its own
//! statement, so none holds locks on a large table for long.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use super::invitations::upkeep::{self as invitations, UpkeepSettings};
use super::limits::WINDOW_SECS;
use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::error::AppResult;

/// Rows deleted per statement.
const PURGE_BATCH: i64 = 5_000;

/// What one purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: usize,
    pub rate_limits: usize,
    /// Team roster changes older than a day (each team's newest kept).
    pub roster_changes: usize,
}

/// Deletes, as of `now`, the sessions no longer live (idle past expiry, or
/// created more than `session_absolute` ago) and the rate-limit windows that
/// are over.
pub fn purge_spent(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    session_absolute: Duration,
) -> AppResult<Purged> {
    let lifetime = chrono::Duration::from_std(session_absolute).unwrap_or(chrono::Duration::MAX);
    let created_before = now.checked_sub_signed(lifetime).unwrap_or(now);
    let windows_before = now - chrono::Duration::seconds(WINDOW_SECS);
    Ok(Purged {
        sessions: in_batches(|| {
            db::sessions::delete_expired(conn, now, created_before, PURGE_BATCH)
        })?,
        rate_limits: in_batches(|| {
            db::rate_limits::delete_older_than(conn, windows_before, PURGE_BATCH)
        })?,
        roster_changes: in_batches(|| {
            db::teams::members::purge_roster_changes(
                conn,
                now - chrono::Duration::days(1),
                PURGE_BATCH,
            )
        })?,
    })
}

/// Repeats one batch until a batch comes back short; the total deleted.
fn in_batches(mut batch: impl FnMut() -> diesel::QueryResult<usize>) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let n = batch()?;
        total += n;
        if (n as i64) < PURGE_BATCH {
            return Ok(total);
        }
    }
}

/// Starts the job on the current runtime; abort the handle to stop it. The
/// first run waits one interval, then one run follows another.
pub fn spawn(pool: PgPool, settings: &Settings) -> tokio::task::JoinHandle<()> {
    let cfg = UpkeepSettings::from_settings(settings);
    let session_absolute = settings.session_absolute;
    let every = settings.invitation_upkeep_every;
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let (p, c) = (pool.clone(), cfg.clone());
            let result = db::run(&p, move |conn| invitations::run(conn, Utc::now(), &c)).await;
            match result {
                Ok(report) if report != invitations::Report::default() => {
                    tracing::info!(?report, "invitation upkeep")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "invitation upkeep"),
            }
            let result = db::run(&pool, move |conn| {
                purge_spent(conn, Utc::now(), session_absolute)
            })
            .await;
            match result {
                Ok(purged) if purged != Purged::default() => tracing::info!(?purged, "purged"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = ?e, "purge"),
            }
            match db::run(&pool, |conn| super::audit::purge_all(conn, Utc::now())).await {
                Ok(0) => {}
                Ok(events) => tracing::info!(events, "purged audit events past retention"),
                Err(e) => tracing::error!(error = ?e, "audit purge"),
            }
        }
    })
}
