//! The data layer: the connection pool, the helper that runs diesel off the async
//! workers, embedded migrations, and one module per aggregate with its queries.
//! Functions here take `&mut PgConnection` and return `QueryResult`; transactions
//! belong to `services`.

pub mod accounts;
pub mod audit;
pub mod groups;
pub mod invitation_upkeep;
pub mod invitations;
pub mod members;
pub mod organizations;
pub mod outbox;
pub mod password_resets;
pub mod rate_limits;
pub mod roles;
pub mod schema;
pub mod secrets;
pub mod services;
pub mod sessions;
pub mod sql;
pub mod teams;
pub mod throttle;
mod tokens;

use anyhow::Context;
use diesel::{
    connection::SimpleConnection,
    pg::PgConnection,
    r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection},
    Connection,
};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Sets per-connection options when the pool opens a connection.
#[derive(Debug)]
struct SessionOptions;

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionOptions {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        // Prepared statements keep PostgreSQL's default plan cache: the ones whose
        // best plan depends on an organization's size (the members list's page,
        // search and count) are sent unprepared and planned with their values
        // every time; see `sql::Statement`.
        conn.batch_execute("SET statement_timeout = '30s'")
            .map_err(diesel::r2d2::Error::QueryError)
    }
}

pub fn build_pool(database_url: &str, size: u32) -> anyhow::Result<PgPool> {
    let manager = ConnectionManager::<PgConnection>::new(database_url);
    Pool::builder()
        .max_size(size)
        .min_idle(Some(1.min(size)))
        // A broken connection fails its query and is replaced; a `SELECT 1` before
        // every checkout would cost a round trip on every request.
        .test_on_check_out(false)
        .connection_timeout(std::time::Duration::from_secs(10))
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

/// Runs `f` with a pooled connection on the blocking thread pool, never on an
/// async worker.
pub async fn run<T, F>(pool: &PgPool, f: F) -> crate::error::AppResult<T>
where
    F: FnOnce(&mut PgConnection) -> crate::error::AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}
