//! Operational metrics in Prometheus' text format: requests by route pattern
//! and status, the connection pool, the outbox and signed-in sessions. Events
//! (requests, deliveries) are counted as they happen; states (pool, backlog,
//! sessions) are read when scraped. One registry per application, no globals.

use std::time::Duration;

use prometheus::{
    Gauge, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::db::{self, outbox::Attempt, PgPool};
use crate::error::{AppError, AppResult};

/// The route label of a request that matched no route: the raw path would let
/// any scanner grow the series without bound.
pub const UNMATCHED: &str = "unmatched";

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    outbox_backlog: IntGaugeVec,
    outbox_oldest: Gauge,
    outbox_attempts: IntCounterVec,
    sessions: IntGauge,
    /// Sessions older than this have outlived their absolute lifetime.
    session_absolute: Duration,
}

impl Metrics {
    pub fn new(session_absolute: Duration) -> Self {
        let labels = &["method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new("roster_http_requests_total", "HTTP requests answered"),
            labels,
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "roster_http_request_duration_seconds",
                "Time to answer an HTTP request",
            )
            .buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            labels,
        )
        .expect("valid metric");
        let pool = IntGaugeVec::new(
            Opts::new(
                "roster_db_pool_connections",
                "Database pool: size (max), open, idle, in_use, and requests waiting for one",
            ),
            &["state"],
        )
        .expect("valid metric");
        let outbox_backlog = IntGaugeVec::new(
            Opts::new(
                "roster_outbox_messages",
                "Emails not yet sent: queued (first attempt), retrying, sending",
            ),
            &["status"],
        )
        .expect("valid metric");
        let outbox_oldest = Gauge::new(
            "roster_outbox_oldest_unsent_age_seconds",
            "Age of the oldest email not yet sent (0 when none)",
        )
        .expect("valid metric");
        let outbox_attempts = IntCounterVec::new(
            Opts::new(
                "roster_outbox_attempts_total",
                "Delivery attempts by this instance: sent, retry (failed, will try again), failed (gave up)",
            ),
            &["result"],
        )
        .expect("valid metric");
        let sessions = IntGauge::new("roster_sessions_active", "Signed-in sessions still live")
            .expect("valid metric");
        let registry = Registry::new();
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool.clone()),
            Box::new(outbox_backlog.clone()),
            Box::new(outbox_oldest.clone()),
            Box::new(outbox_attempts.clone()),
            Box::new(sessions.clone()),
        ] {
            registry
                .register(collector)
                .expect("metric names are unique");
        }
        Self {
            registry,
            requests,
            latency,
            pool,
            outbox_backlog,
            outbox_oldest,
            outbox_attempts,
            sessions,
            session_absolute,
        }
    }

    /// One answered request; `route` is the pattern it matched (`/orgs/{org}`).
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency
            .with_label_values(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// How the attempts of one outbox batch ended.
    pub fn observe_deliveries(&self, attempts: &[(i64, Attempt)]) {
        for (_, attempt) in attempts {
            let result = match attempt {
                Attempt::Sent => "sent",
                Attempt::Retry(..) => "retry",
                Attempt::Failed(_) => "failed",
            };
            self.outbox_attempts.with_label_values(&[result]).inc();
        }
    }

    /// Reads the states (pool, backlog, sessions) and renders every metric.
    pub async fn render(&self, pool: &PgPool) -> AppResult<String> {
        let state = pool.state();
        let open = i64::from(state.connections);
        let idle = i64::from(state.idle_connections);
        for (name, value) in [
            ("max", i64::from(pool.max_size())),
            ("open", open),
            ("idle", idle),
            ("in_use", open - idle),
            ("waiting", db::waiting_for_connection() as i64),
        ] {
            self.pool.with_label_values(&[name]).set(value);
        }
        let created_after = chrono::Utc::now()
            - chrono::Duration::from_std(self.session_absolute).unwrap_or(chrono::Duration::MAX);
        let (backlog, sessions) = db::run(pool, move |conn| {
            Ok((
                db::outbox::backlog(conn)?,
                db::sessions::count_signed_in(conn, created_after)?,
            ))
        })
        .await?;
        for (status, value) in [
            ("queued", backlog.queued),
            ("retrying", backlog.retrying),
            ("sending", backlog.sending),
        ] {
            self.outbox_backlog.with_label_values(&[status]).set(value);
        }
        self.outbox_oldest.set(backlog.oldest_secs.unwrap_or(0.0));
        self.sessions.set(sessions);
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .map_err(AppError::unexpected)
    }
}
