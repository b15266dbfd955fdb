//! Building and running the application: the pool, migrations, the session
//! middleware on PostgreSQL, and the middleware stack around the routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::{
    config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy},
    SessionMiddleware,
};
use actix_web::{
    cookie::{time::Duration as CookieDuration, Key, SameSite},
    dev::Server,
    error::InternalError,
    middleware::from_fn,
    web, App, HttpServer,
};
use anyhow::Context;

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::error::AppError;
use crate::web::presence::{hub, Hub, ReportLimiter};
use crate::web::{self as routes, csrf, htmx, middleware as mw, session_store::PgSessionStore};

pub struct Application {
    port: u16,
    server: Server,
    pool: PgPool,
    /// The outbox worker; stopped when the server stops.
    worker: tokio::task::JoinHandle<()>,
    /// The upkeep job (invitations, purges); stopped with the server too.
    upkeep: tokio::task::JoinHandle<()>,
    /// Presence: the ticker announcing thresholds crossed, and the listener
    /// fanning announcements out to this instance's streams.
    presence_ticker: tokio::task::JoinHandle<()>,
    presence_listener: tokio::task::JoinHandle<()>,
    hub: Arc<Hub>,
}

impl Application {
    /// Creates the database if needed, migrates it, and binds the listener
    /// (port 0 picks a free port, for tests).
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("could not bind {}", settings.bind))?;
        Self::build_on(settings, listener).await
    }

    /// As [`Application::build`], on a listener the caller already bound.
    pub async fn build_on(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let url = settings.database_url.clone();
        let pool_size = settings.db_pool_size;
        let checkout_timeout = settings.db_checkout_timeout;
        let pool = tokio::task::spawn_blocking(move || -> anyhow::Result<PgPool> {
            db::create_database_if_missing(&url)?;
            let pool = db::build_pool(&url, pool_size, checkout_timeout)?;
            db::run_migrations(&mut *pool.get()?)?;
            Ok(pool)
        })
        .await??;
        let port = listener.local_addr()?.port();
        let key = cookie_key(&pool).await?;
        let worker = crate::mail::worker::spawn(pool.clone(), &settings)?;
        let upkeep = crate::services::upkeep::spawn(pool.clone(), &settings);
        let hub = Arc::new(Hub::default());
        let presence_listener = hub::spawn_listener(settings.database_url.clone(), hub.clone());
        let presence_ticker =
            crate::services::presence::spawn_ticker(pool.clone(), &settings.presence);
        let server = run(listener, pool.clone(), settings, key, hub.clone())?;
        Ok(Self {
            port,
            server,
            pool,
            worker,
            upkeep,
            presence_ticker,
            presence_listener,
            hub,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// This instance's presence fan-out (open streams, for tests and benchmarks).
    pub fn presence_hub(&self) -> Arc<Hub> {
        self.hub.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.worker.abort();
        self.upkeep.abort();
        self.presence_ticker.abort();
        self.presence_listener.abort();
        result
    }
}

/// The key that signs session cookies, shared by every instance through the database.
async fn cookie_key(pool: &PgPool) -> anyhow::Result<Key> {
    let bytes = db::run(pool, |conn| {
        Ok(db::secrets::get_or_create(conn, "cookie_key", || {
            Key::generate().master().to_vec()
        })?)
    })
    .await
    .map_err(|e| anyhow::anyhow!("could not load the cookie key: {e:?}"))?;
    Key::try_from(bytes.as_slice()).context("stored cookie key is too short")
}

fn form_error(
    err: actix_web::error::UrlencodedError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError;
    let app_error = match err {
        UrlencodedError::Overflow { .. } => AppError::TooLarge("The form is too large.".into()),
        _ => AppError::Validation(
            "The form could not be read; reload the page and try again.".into(),
        ),
    };
    InternalError::from_response(err, actix_web::ResponseError::error_response(&app_error)).into()
}

fn run(
    listener: TcpListener,
    pool: PgPool,
    settings: Settings,
    key: Key,
    hub: Arc<Hub>,
) -> anyhow::Result<Server> {
    let workers = if settings.workers == 0 {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    } else {
        settings.workers
    };
    let store = PgSessionStore::new(
        pool.clone(),
        settings.session_idle,
        settings.session_absolute,
    );
    let secure = settings.secure_cookies();
    let idle = CookieDuration::seconds(settings.session_idle.as_secs() as i64);
    let pool = web::Data::new(pool);
    let setup_done = web::Data::new(mw::SetupDone::default());
    let search_counts = web::Data::new(db::members::SearchCounts::default());
    let settings = web::Data::new(settings);
    let anonymous_tokens = web::Data::new(csrf::AnonymousTokens::new(&key, secure));
    let hashing = web::Data::new(crate::services::passwords::Hashing::new(
        settings.hash_concurrency,
    ));
    let hub = web::Data::new(hub);
    let presence_limiter =
        web::Data::new(ReportLimiter::new(settings.presence.thresholds.heartbeat));
    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(store.clone(), key.clone())
            .cookie_name(if secure {
                "__Host-roster".into()
            } else {
                "roster".into()
            })
            .cookie_secure(secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_path("/".into())
            .cookie_content_security(CookieContentSecurity::Signed)
            .session_lifecycle(
                BrowserSession::default()
                    .state_ttl(idle)
                    // The store extends the idle expiry as it loads the session.
                    .state_ttl_extension_policy(TtlExtensionPolicy::OnStateChanges),
            )
            .build();
        App::new()
            .app_data(pool.clone())
            .app_data(setup_done.clone())
            .app_data(search_counts.clone())
            .app_data(settings.clone())
            .app_data(anonymous_tokens.clone())
            .app_data(hashing.clone())
            .app_data(hub.clone())
            .app_data(presence_limiter.clone())
            .app_data(
                web::FormConfig::default()
                    .limit(csrf::MAX_FORM_BYTES)
                    .error_handler(form_error),
            )
            .app_data(web::PayloadConfig::default().limit(csrf::MAX_FORM_BYTES))
            .app_data(web::JsonConfig::default().limit(csrf::MAX_FORM_BYTES))
            .configure(routes::routes)
            // Listed innermost first: the request passes them bottom to top.
            .wrap(from_fn(csrf::guard))
            .wrap(from_fn(mw::require_setup))
            .wrap(sessions)
            // Outside the sessions: the session's load reads the account too.
            .wrap(from_fn(crate::web::prefetch::scope))
            .wrap(from_fn(htmx::retarget_errors))
            .wrap(from_fn(mw::security_headers))
            .wrap(from_fn(mw::log_requests))
    })
    .workers(workers)
    .listen(listener)?
    .run();
    Ok(server)
}
