//! The data layer: the connection pool, the helper that runs diesel off the async
//! workers, embedded migrations, and one module per aggregate with its queries.
//! Functions here take `&mut PgConnection` and return `QueryResult`; transactions
//! belong to `services`.

pub mod accounts;
pub mod api_tokens;
pub mod audit;
pub mod calls;
pub mod contacts;
pub mod groups;
pub mod invitation_upkeep;
pub mod invitations;
pub mod members;
pub mod offboarding;
pub mod organizations;
pub mod outbox;
pub mod password_resets;
pub mod presence;
pub mod rate_limits;
pub mod roles;
pub mod schema;
pub mod secrets;
pub mod services;
pub mod sessions;
pub mod sql;
pub mod teams;
mod tokens;

use anyhow::Context;
use diesel::{
    connection::SimpleConnection,
    pg::PgConnection,
    r2d2::{ConnectionManager, CustomizeConnection, ManageConnection, Pool, PooledConnection},
    Connection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub type PgPool = Pool<Manager>;
pub type PgConn = PooledConnection<Manager>;

/// A pooled connection, and whether a query found it dead.
pub struct Conn {
    pg: PgConnection,
    lost: bool,
}

impl std::ops::Deref for Conn {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.pg
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.pg
    }
}

/// diesel's manager, plus: a connection a query found dead (the server
/// restarted, or its backend was ended) is dropped when it comes back to the
/// pool, so the next checkout opens a fresh one instead of failing again.
/// diesel alone only notices connections broken inside a transaction.
#[derive(Debug)]
pub struct Manager(ConnectionManager<PgConnection>);

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Conn, Self::Error> {
        Ok(Conn {
            pg: self.0.connect()?,
            lost: false,
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Self::Error> {
        self.0.is_valid(&mut conn.pg)
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.lost || self.0.has_broken(&mut conn.pg)
    }
}

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Sets per-connection options when the pool opens a connection.
#[derive(Debug)]
struct SessionOptions;

impl CustomizeConnection<Conn, diesel::r2d2::Error> for SessionOptions {
    fn on_acquire(&self, conn: &mut Conn) -> Result<(), diesel::r2d2::Error> {
        // Prepared statements keep PostgreSQL's default plan cache: the ones whose
        // best plan depends on an organization's size (the members list's page,
        // search and count) are sent unprepared and planned with their values
        // every time; see `sql::Statement`.
        conn.batch_execute("SET statement_timeout = '30s'")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A pool of `size` connections; a checkout waits at most `checkout_timeout`
/// (then the request is told Roster is unavailable, 503).
pub fn build_pool(
    database_url: &str,
    size: u32,
    checkout_timeout: std::time::Duration,
) -> anyhow::Result<PgPool> {
    let manager = Manager(ConnectionManager::<PgConnection>::new(database_url));
    Pool::builder()
        .max_size(size)
        .min_idle(Some(1.min(size)))
        // A connection found dead is dropped on its return (see `Manager`); a
        // `SELECT 1` before every checkout would cost a round trip on every request.
        .test_on_check_out(false)
        .connection_timeout(checkout_timeout)
        .connection_customizer(Box::new(SessionOptions))
        .build(manager)
        .context("could not connect to PostgreSQL")
}

/// Creates the database named in `database_url` when it does not exist yet.
pub fn create_database_if_missing(database_url: &str) -> anyhow::Result<()> {
    if PgConnection::establish(database_url).is_ok() {
        return Ok(());
    }
    let mut url = url::Url::parse(database_url).context("DATABASE_URL is not a URL")?;
    let name = url.path().trim_start_matches('/').to_owned();
    anyhow::ensure!(!name.is_empty(), "DATABASE_URL names no database");
    url.set_path("/postgres");
    let mut admin = PgConnection::establish(url.as_str())
        .with_context(|| format!("could not reach PostgreSQL at {}", redact(url.as_str())))?;
    let quoted = name.replace('"', "\"\"");
    admin
        .batch_execute(&format!("CREATE DATABASE \"{quoted}\""))
        .with_context(|| format!("could not create database {name}"))?;
    tracing::info!(database = %name, "created database");
    Ok(())
}

pub fn run_migrations(conn: &mut PgConnection) -> anyhow::Result<()> {
    // Instances starting together take turns; the later ones find nothing to do.
    conn.batch_execute("SELECT pg_advisory_lock(7262000)")?;
    let result = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("migrations failed: {e}"));
    conn.batch_execute("SELECT pg_advisory_unlock(7262000)")?;
    result
}

/// A database URL with any password replaced, for messages.
pub fn redact(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => database_url.to_owned(),
    }
}

/// Checkouts waiting for a connection now, for the metrics: r2d2's `state()`
/// counts connections, not the requests queued for one. One pool per process
/// (tests aside), so one count.
static WAITING: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many requests are waiting for a pooled connection right now.
pub fn waiting_for_connection() -> usize {
    WAITING.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs `f` with a pooled connection on the blocking thread pool, never on an
/// async worker.
pub async fn run<T, F>(pool: &PgPool, f: F) -> crate::error::AppResult<T>
where
    F: FnOnce(&mut PgConnection) -> crate::error::AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        WAITING.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let conn = pool.get();
        WAITING.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        let mut conn = conn?;
        let result = f(&mut conn);
        if matches!(result, Err(crate::error::AppError::Unavailable { .. })) {
            conn.lost = true;
        }
        result
    })
    .await?
}
