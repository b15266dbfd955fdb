//! Fan-out of presence transitions to this instance's open streams.
//!
//! Every transition, whichever instance made it, is announced with NOTIFY on
//! `roster_presence`. Each instance keeps one connection of its own (not from
//! the pool) listening there; what it hears is rendered once into an SSE frame
//! and sent through a tokio broadcast channel to all of the instance's streams.
//! A stream holds a receiver, never a database connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use askama::Template;
use chrono::{DateTime, Utc};
use diesel::{connection::SimpleConnection, Connection, PgConnection};
use tokio::sync::broadcast;

use super::dot::{DotFragment, PresenceDot};
use crate::db::presence::{Change, CHANNEL};

/// Frames waiting for the slowest stream; one further behind skips ahead.
const BACKLOG: usize = 4096;
/// How often the listening connection is read. PostgreSQL's notifications sit
/// in its socket until then; diesel offers no way to wait on them.
const LISTEN_POLL: Duration = Duration::from_millis(20);
/// How often the listening connection is asked whether it still works.
const LISTEN_CHECK: Duration = Duration::from_secs(30);

/// One transition, rendered as an SSE frame for the organization's streams.
#[derive(Debug)]
pub struct Frame {
    pub org: i64,
    pub account: i64,
    pub bytes: Bytes,
}

pub struct Hub {
    frames: broadcast::Sender<Arc<Frame>>,
    open: AtomicUsize,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            frames: broadcast::channel(BACKLOG).0,
            open: AtomicUsize::new(0),
        }
    }
}

/// Counts a stream as open until dropped (the browser went away, or the
/// stream ended).
pub struct OpenStream(Arc<Hub>);

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Hub {
    pub fn subscribe(self: &Arc<Self>) -> (broadcast::Receiver<Arc<Frame>>, OpenStream) {
        self.open.fetch_add(1, Ordering::Relaxed);
        (self.frames.subscribe(), OpenStream(self.clone()))
    }

    /// Streams open on this instance right now.
    pub fn open_streams(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Renders a transition and hands it to every stream of this instance.
    pub fn publish(&self, change: &Change, now: DateTime<Utc>) {
        let dot = PresenceDot::new(
            change.membership,
            Some(&change.status),
            change
                .last_active_ms
                .and_then(DateTime::from_timestamp_millis),
            now,
        );
        let html = match (DotFragment { dot: &dot }).render() {
            Ok(html) => html,
            Err(e) => {
                tracing::error!(error = %e, "could not render a presence dot");
                return;
            }
        };
        let frame = Frame {
            org: change.org,
            account: change.account,
            bytes: sse_frame(&format!("presence-{}", change.membership), &html),
        };
        // No receivers is not an error: nobody is watching.
        let _ = self.frames.send(Arc::new(frame));
    }
}

/// An SSE event: its name, and its data one `data:` line per line.
pub fn sse_frame(event: &str, data: &str) -> Bytes {
    let mut out = format!("event: {event}\n");
    for line in data.trim_end().lines() {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// Listens on `roster_presence` with a connection of its own, reconnecting
/// after a failure, until the task is aborted (the application stopped).
pub fn spawn_listener(database_url: String, hub: Arc<Hub>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let url = database_url.clone();
            let connected = tokio::task::spawn_blocking(move || -> anyhow::Result<PgConnection> {
                let mut conn = PgConnection::establish(&url)?;
                conn.batch_execute(&format!("LISTEN {CHANNEL}"))?;
                Ok(conn)
            })
            .await;
            match connected {
                Ok(Ok(conn)) => {
                    tracing::info!("listening for presence changes");
                    let error = listen(conn, &hub).await;
                    tracing::warn!(%error, "presence listener lost its connection; reconnecting");
                }
                Ok(Err(error)) => {
                    tracing::warn!(%error, "presence listener could not connect; retrying");
                }
                Err(error) => tracing::error!(%error, "presence listener failed"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

/// Reads notifications until the connection fails; returns why.
async fn listen(mut conn: PgConnection, hub: &Hub) -> anyhow::Error {
    let mut checked = tokio::time::Instant::now();
    loop {
        // Reading what already arrived does not block (libpq's sockets are
        // non-blocking), so it runs here rather than on a blocking thread.
        for notification in conn.notifications_iter() {
            match notification {
                Ok(n) => match serde_json::from_str::<Change>(&n.payload) {
                    Ok(change) => hub.publish(&change, Utc::now()),
                    Err(e) => tracing::warn!(error = %e, "unreadable presence notification"),
                },
                Err(e) => return e.into(),
            }
        }
        if checked.elapsed() >= LISTEN_CHECK {
            let checked_conn =
                tokio::task::spawn_blocking(move || conn.batch_execute("SELECT 1").map(|()| conn))
                    .await;
            conn = match checked_conn {
                Ok(Ok(conn)) => conn,
                Ok(Err(e)) => return e.into(),
                Err(e) => return e.into(),
            };
            checked = tokio::time::Instant::now();
        }
        tokio::time::sleep(LISTEN_POLL).await;
    }
}
