//! The outbox worker: a task in the same binary that claims due messages in a
//! short transaction (`FOR UPDATE SKIP LOCKED`, so instances never share a row),
//! sends them outside it, several at once over pooled SMTP connections, then
//! marks each sent, or due again with exponential backoff, or failed after the
//! last attempt. A revoked or expired invitation's message, or a used or
//! replaced password reset's, is cancelled instead of sent. The database work of
//! a batch is a few statements, whatever its size. A failure's row keeps only its
//! category's sentence (tenants read it); the raw error goes to the log.
//! Told to stop (SIGTERM), it lets the sends under way finish and records them,
//! and gives the rest of its claimed batch back to the queue: nothing is sent
//! twice and nothing waits for the lease.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use diesel::{Connection, PgConnection, QueryResult};
use futures_util::StreamExt;
use tokio::sync::watch;

use super::transport::{DeliveryFailure, Mailer, Outgoing, SendError};
use super::TOKEN_PLACEHOLDER;
use crate::config::Settings;
use crate::db::{
    self,
    invitations::Invitation,
    outbox::{Attempt, Claimed},
    password_resets::PasswordReset,
    PgPool,
};
use crate::metrics::Metrics;
use crate::services::invitations::new_token;

/// Rows claimed per round for each message in flight: enough that the last
/// messages of a round rarely leave connections idle for long.
const BATCH_PER_SLOT: i64 = 4;
const MIN_BATCH: i64 = 50;
/// A claimed row whose sender vanished is due again after this long.
const LEASE_SECS: i64 = 300;

#[derive(Clone)]
pub struct WorkerConfig {
    pub poll: Duration,
    pub retry_base: Duration,
    pub max_attempts: i32,
    /// Messages sent at once.
    pub concurrency: usize,
}

impl WorkerConfig {
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            poll: settings.outbox_poll,
            retry_base: settings.outbox_retry_base,
            max_attempts: settings.outbox_max_attempts.max(1),
            concurrency: settings.outbox_concurrency.max(1),
        }
    }

    fn batch(&self) -> i64 {
        (self.concurrency as i64 * BATCH_PER_SLOT).max(MIN_BATCH)
    }

    /// What a send's result means for its row: sent, due again with exponential
    /// backoff, or failed after the last attempt; the row keeps the category's
    /// sentence, never the server's words.
    fn attempt(&self, attempts: i32, result: Result<(), DeliveryFailure>) -> Attempt {
        let Err(failure) = result else {
            return Attempt::Sent;
        };
        let error = failure.tenant_message().to_owned();
        if attempts >= self.max_attempts {
            return Attempt::Failed(error);
        }
        let factor = 2u32.saturating_pow((attempts - 1).clamp(0, 16) as u32);
        let delay = chrono::Duration::from_std(self.retry_base * factor)
            .unwrap_or(chrono::Duration::hours(1));
        Attempt::Retry(Utc::now() + delay, error)
    }
}

/// The running worker.
pub struct Worker {
    task: tokio::task::JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl Worker {
    /// Tells the worker to stop and waits for it: sends under way finish and are
    /// recorded, the rest of the batch goes back to the queue. Past `within`
    /// (a send hanging on the server) it is dropped, and its claimed rows are
    /// due again when their lease runs out.
    pub async fn shutdown(self, within: Duration) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(within, &mut task).await.is_err() {
            tracing::warn!("outbox worker still sending after the shutdown timeout; its claimed messages are due again after their lease");
            task.abort();
        }
    }
}

/// Starts the worker on the current runtime.
pub fn spawn(
    pool: PgPool,
    settings: &Settings,
    metrics: Option<Arc<Metrics>>,
) -> anyhow::Result<Worker> {
    let mailer = Mailer::from_settings(settings)?;
    let config = WorkerConfig::from_settings(settings);
    let (stop, stopping) = watch::channel(false);
    let task = tokio::spawn(run(pool, mailer, config, metrics, stopping));
    Ok(Worker { task, stop })
}

async fn run(
    pool: PgPool,
    mailer: Mailer,
    config: WorkerConfig,
    metrics: Option<Arc<Metrics>>,
    mut stopping: watch::Receiver<bool>,
) {
    while !*stopping.borrow() {
        match tick(&pool, &mailer, &config, metrics.as_deref(), &stopping).await {
            // A full batch: there may be more waiting.
            Ok(n) if n as i64 == config.batch() => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = ?e, "outbox worker"),
        }
        tokio::select! {
            _ = tokio::time::sleep(config.poll) => {}
            _ = stopping.changed() => {}
        }
    }
}

/// A claimed message with the token minted for its link, if any.
struct Ready {
    row: Claimed,
    token: Option<String>,
}

/// Claims a batch and, in the same transaction, mints the tokens of its links
/// or cancels the messages no longer wanted: a few statements for the batch.
fn claim(conn: &mut PgConnection, batch: i64) -> anyhow::Result<Vec<Ready>> {
    conn.transaction(|conn| {
        let rows = db::outbox::claim_due(conn, batch, LEASE_SECS)?;
        let mut links = Links::lock(conn, &rows)?;
        let mut ready = Vec::with_capacity(rows.len());
        let mut cancelled = Vec::new();
        for row in rows {
            match links.mint(&row) {
                Ok(token) => ready.push(Ready { row, token }),
                Err(reason) => cancelled.push((row.id, reason)),
            }
        }
        links.store(conn)?;
        db::outbox::cancel_claimed(conn, &cancelled)?;
        Ok(ready)
    })
}

/// The invitations and password resets a claimed batch links to, locked until
/// the claim commits, and the hashes of the tokens minted for them.
struct Links {
    invitations: HashMap<i64, Invitation>,
    resets: HashMap<i64, PasswordReset>,
    /// By id, so that of two messages for one link in a batch the later one's
    /// token is kept, as if they had been sent one after the other.
    invitation_hashes: HashMap<i64, Vec<u8>>,
    reset_hashes: HashMap<i64, Vec<u8>>,
}

impl Links {
    fn lock(conn: &mut PgConnection, rows: &[Claimed]) -> QueryResult<Self> {
        let invitation_ids: Vec<i64> = rows.iter().filter_map(|r| r.invitation_id).collect();
        let reset_ids: Vec<i64> = rows.iter().filter_map(|r| r.password_reset_id).collect();
        let mut links = Self {
            invitations: HashMap::new(),
            resets: HashMap::new(),
            invitation_hashes: HashMap::new(),
            reset_hashes: HashMap::new(),
        };
        if !invitation_ids.is_empty() {
            links.invitations = db::invitations::lock_by_ids(conn, &invitation_ids)?
                .into_iter()
                .map(|i| (i.id, i))
                .collect();
        }
        if !reset_ids.is_empty() {
            links.resets = db::password_resets::lock_by_ids(conn, &reset_ids)?
                .into_iter()
                .map(|r| (r.id, r))
                .collect();
        }
        Ok(links)
    }

    /// The token for the link of a claimed message, minted now so that it is
    /// never stored (a fresh one per send: the link in an earlier copy dies).
    /// `Err` says why the message is no longer wanted.
    fn mint(&mut self, row: &Claimed) -> Result<Option<String>, String> {
        if let Some(id) = row.invitation_id {
            return match self.invitations.get(&id) {
                Some(inv)
                    if inv.status == crate::domain::InvitationStatus::Pending
                        && inv.expires_at > Utc::now() =>
                {
                    Ok(Some(mint_into(&mut self.invitation_hashes, id)))
                }
                Some(inv) => Err(format!("invitation {}", inv.status.as_str())),
                None => Err("invitation deleted".into()),
            };
        }
        if let Some(id) = row.password_reset_id {
            return match self.resets.get(&id) {
                Some(r) if r.is_open() => Ok(Some(mint_into(&mut self.reset_hashes, id))),
                Some(_) => Err("password reset link used or replaced".into()),
                None => Err("password reset deleted".into()),
            };
        }
        Ok(None)
    }

    fn store(self, conn: &mut PgConnection) -> QueryResult<()> {
        let invitations: Vec<_> = self.invitation_hashes.into_iter().collect();
        db::invitations::set_token_hashes(conn, &invitations)?;
        let resets: Vec<_> = self.reset_hashes.into_iter().collect();
        db::password_resets::set_token_hashes(conn, &resets)?;
        Ok(())
    }
}

fn mint_into(hashes: &mut HashMap<i64, Vec<u8>>, id: i64) -> String {
    let (token, hash) = new_token();
    hashes.insert(id, hash);
    token
}

/// Sends one claimed message with its token in place of the placeholder.
async fn deliver(mailer: &Mailer, r: Ready) -> (Claimed, Result<(), SendError>) {
    let fill = |body: &str| match &r.token {
        Some(token) => body.replace(TOKEN_PLACEHOLDER, token),
        None => body.to_owned(),
    };
    let text = fill(&r.row.text_body);
    let link = r.token.as_ref().and_then(|token| {
        text.lines()
            .find(|l| l.contains(token.as_str()))
            .map(|l| l.trim().to_owned())
    });
    let sent = mailer
        .send(Outgoing {
            to: &r.row.to_address,
            subject: &r.row.subject,
            html: fill(&r.row.html_body),
            text,
            link,
        })
        .await;
    (r.row, sent)
}

/// One round: claim, send up to `concurrency` at once, record. Returns how
/// many messages were claimed. Once told to stop, no further send starts; the
/// messages not started are released.
async fn tick(
    pool: &PgPool,
    mailer: &Mailer,
    config: &WorkerConfig,
    metrics: Option<&Metrics>,
    stopping: &watch::Receiver<bool>,
) -> anyhow::Result<usize> {
    let p = pool.clone();
    let batch = config.batch();
    let ready = tokio::task::spawn_blocking(move || claim(&mut *p.get()?, batch)).await??;
    if ready.is_empty() {
        return Ok(0);
    }
    let claimed = ready.len();
    // Unordered, so that one slow message holds up only its own connection. A
    // send's future starts when a slot frees up; by then the worker may be stopping.
    let sent: Vec<(Claimed, Option<Result<(), SendError>>)> = futures_util::stream::iter(ready)
        .map(|r| async move {
            if *stopping.borrow() {
                return (r.row, None);
            }
            let (row, result) = deliver(mailer, r).await;
            (row, Some(result))
        })
        .buffer_unordered(config.concurrency)
        .collect()
        .await;
    let (sent, released): (Vec<_>, Vec<_>) = sent.into_iter().partition(|(_, r)| r.is_some());
    let released: Vec<i64> = released.into_iter().map(|(row, _)| row.id).collect();
    let attempts: Vec<(i64, Attempt)> = sent
        .into_iter()
        .filter_map(|(row, result)| Some((row, result?)))
        .map(|(row, result)| {
            let result = result.map_err(|e| {
                tracing::warn!(
                    outbox_id = row.id,
                    attempts = row.attempts,
                    failure = ?e.failure,
                    error = %e.detail,
                    "email not sent"
                );
                e.failure
            });
            (row.id, config.attempt(row.attempts, result))
        })
        .collect();
    if let Some(metrics) = metrics {
        metrics.observe_deliveries(&attempts);
    }
    if !released.is_empty() {
        tracing::info!(
            released = released.len(),
            "outbox worker stopping: unsent messages of its batch released"
        );
    }
    let p = pool.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = p.get()?;
        conn.transaction(|conn| {
            db::outbox::record_attempts(conn, &attempts)?;
            db::outbox::release_claimed(conn, &released)
        })?;
        Ok(())
    })
    .await??;
    Ok(claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(max_attempts: i32) -> WorkerConfig {
        WorkerConfig {
            poll: Duration::from_millis(100),
            retry_base: Duration::from_secs(1),
            max_attempts,
            concurrency: 1,
        }
    }

    #[test]
    fn a_failed_attempt_keeps_the_categorys_sentence_for_the_row() {
        let last = config(1).attempt(1, Err(DeliveryFailure::RecipientRefused));
        let Attempt::Failed(error) = last else {
            panic!("the last attempt fails the row");
        };
        assert_eq!(error, "The mail server refused the address.");

        let retry = config(3).attempt(1, Err(DeliveryFailure::ServerUnreachable));
        let Attempt::Retry(at, error) = retry else {
            panic!("an attempt with more left is retried");
        };
        assert!(at > Utc::now());
        assert_eq!(error, DeliveryFailure::ServerUnreachable.tenant_message());
    }

    #[test]
    fn a_sent_message_is_sent() {
        assert!(matches!(config(1).attempt(1, Ok(())), Attempt::Sent));
    }
}
