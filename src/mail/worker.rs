//! The outbox worker: a task in the same binary that claims due messages in a
//! short transaction (`FOR UPDATE SKIP LOCKED`, so instances never share a row),
//! sends them outside it, then marks each sent, or due again with exponential
//! backoff, or failed after the last attempt. A revoked or expired invitation's
//! message, or a used or replaced password reset's, is cancelled instead of sent.

use std::time::Duration;

use chrono::Utc;
use diesel::{Connection, PgConnection, QueryResult};

use super::transport::{Mailer, Outgoing};
use super::TOKEN_PLACEHOLDER;
use crate::config::Settings;
use crate::db::{self, outbox::Claimed, PgPool};
use crate::services::invitations::new_token;

const BATCH: i64 = 50;
/// A claimed row whose sender vanished is due again after this long.
const LEASE_SECS: i64 = 300;

#[derive(Clone)]
pub struct WorkerConfig {
    pub poll: Duration,
    pub retry_base: Duration,
    pub max_attempts: i32,
}

impl WorkerConfig {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            poll: settings.outbox_poll,
            retry_base: settings.outbox_retry_base,
            max_attempts: settings.outbox_max_attempts.max(1),
        }
    }
}

/// Starts the worker on the current runtime; abort the handle to stop it.
pub fn spawn(pool: PgPool, settings: &Settings) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let mailer = Mailer::from_settings(settings)?;
    let config = WorkerConfig::from_settings(settings);
    Ok(tokio::spawn(run(pool, mailer, config)))
}

async fn run(pool: PgPool, mailer: Mailer, config: WorkerConfig) {
    loop {
        match tick(&pool, &mailer, &config).await {
            // A full batch: there may be more waiting.
            Ok(n) if n as i64 == BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, "outbox worker"),
        }
        tokio::time::sleep(config.poll).await;
    }
}

/// A claimed message with the invitation token minted for it, if any.
struct Ready {
    row: Claimed,
    token: Option<String>,
}

fn claim(conn: &mut PgConnection) -> anyhow::Result<Vec<Ready>> {
    conn.transaction(|conn| {
        let rows = db::outbox::claim_due(conn, BATCH, LEASE_SECS)?;
        let mut ready = Vec::with_capacity(rows.len());
        for row in rows {
            match mint(conn, &row)? {
                Ok(token) => ready.push(Ready { row, token }),
                Err(reason) => {
                    db::outbox::mark_cancelled(conn, row.id, &reason)?;
                }
            }
        }
        Ok(ready)
    })
}

/// The token for the link of a claimed message, minted now so that it is never
/// stored (a fresh one per send: the link in an earlier copy dies). `Err` says
/// why the message is no longer wanted.
fn mint(conn: &mut PgConnection, row: &Claimed) -> QueryResult<Result<Option<String>, String>> {
    if let Some(invitation) = row.invitation_id {
        return Ok(match db::invitations::lock_by_id(conn, invitation)? {
            Some(inv) if inv.status == "pending" && inv.expires_at > Utc::now() => {
                let (token, hash) = new_token();
                db::invitations::set_token(conn, invitation, &hash, None)?;
                Ok(Some(token))
            }
            Some(inv) => Err(format!("invitation {}", inv.status)),
            None => Err("invitation deleted".into()),
        });
    }
    if let Some(reset) = row.password_reset_id {
        return Ok(match db::password_resets::lock_by_id(conn, reset)? {
            Some(r) if r.is_open() => {
                let (token, hash) = new_token();
                db::password_resets::set_token_hash(conn, reset, &hash)?;
                Ok(Some(token))
            }
            Some(_) => Err("password reset link used or replaced".into()),
            None => Err("password reset deleted".into()),
        });
    }
    Ok(Ok(None))
}

/// One round: claim, send, record. Returns how many messages were claimed.
async fn tick(pool: &PgPool, mailer: &Mailer, config: &WorkerConfig) -> anyhow::Result<usize> {
    let p = pool.clone();
    let ready = tokio::task::spawn_blocking(move || claim(&mut *p.get()?)).await??;
    if ready.is_empty() {
        return Ok(0);
    }
    let claimed = ready.len();
    // One at a time over the pooled connection: a local server takes thousands a minute.
    let mut results = Vec::with_capacity(claimed);
    for r in &ready {
        let fill = |body: &str| match &r.token {
            Some(token) => body.replace(TOKEN_PLACEHOLDER, token),
            None => body.to_owned(),
        };
        let link = r.token.as_ref().and_then(|token| {
            fill(&r.row.text_body)
                .lines()
                .find(|l| l.contains(token.as_str()))
                .map(|l| l.trim().to_owned())
        });
        let sent = mailer
            .send(Outgoing {
                to: &r.row.to_address,
                subject: &r.row.subject,
                text: fill(&r.row.text_body),
                html: fill(&r.row.html_body),
                link,
            })
            .await;
        results.push(sent);
    }
    let outcomes: Vec<(i64, i32, Result<(), String>)> = ready
        .iter()
        .zip(results)
        .map(|(r, res)| (r.row.id, r.row.attempts, res))
        .collect();
    let config = config.clone();
    let p = pool.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = p.get()?;
        for (id, attempts, result) in outcomes {
            match result {
                Ok(()) => {
                    db::outbox::mark_sent(&mut conn, id)?;
                }
                Err(error) => {
                    tracing::warn!(outbox_id = id, attempts, error = %error, "email not sent");
                    let retry_at = (attempts < config.max_attempts).then(|| {
                        let factor = 2u32.saturating_pow((attempts - 1).clamp(0, 16) as u32);
                        Utc::now()
                            + chrono::Duration::from_std(config.retry_base * factor)
                                .unwrap_or(chrono::Duration::hours(1))
                    });
                    db::outbox::mark_failed_attempt(&mut conn, id, &error, retry_at)?;
                }
            }
        }
        Ok(())
    })
    .await??;
    Ok(claimed)
}
