//! Building and running the application: the pool, migrations, the session
//! middleware on PostgreSQL, the middleware stack around the routes, the
//! metrics listener when asked for, and the graceful stop on SIGTERM.

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
use crate::metrics::Metrics;
use crate::web as routes;
use crate::web::plumbing::{csrf, htmx, middleware as mw, session_store::PgSessionStore};
use crate::web::presence::{hub, Hub, ReportLimiter};

pub struct Application {
    port: u16,
    server: Server,
    pool: PgPool,
    /// The metrics listener (`ROSTER_METRICS`) and its port.
    metrics: Option<(Server, u16)>,
    /// The outbox worker; stopped when the server stops.
    worker: crate::mail::worker::Worker,
    /// The upkeep job (invitations, purges); stopped with the server too.
    upkeep: tokio::task::JoinHandle<()>,
    shutdown_timeout: std::time::Duration,
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
        let metrics = settings
            .metrics
            .then(|| Arc::new(Metrics::new(settings.session_absolute)));
        let metrics_server = match &metrics {
            Some(metrics) => {
                let listener = TcpListener::bind(settings.metrics_bind).with_context(|| {
                    format!("could not bind {} for metrics", settings.metrics_bind)
                })?;
                let port = listener.local_addr()?.port();
                let server =
                    crate::web::plumbing::metrics::server(listener, metrics.clone(), pool.clone())?;
                Some((server, port))
            }
            None => None,
        };
        let worker = crate::mail::worker::spawn(pool.clone(), &settings, metrics.clone())?;
        let upkeep = crate::services::upkeep::spawn(pool.clone(), &settings);
        let shutdown_timeout = settings.shutdown_timeout;
        let hub = Arc::new(Hub::default());
        let presence_listener = hub::spawn_listener(settings.database_url.clone(), hub.clone());
        let presence_ticker =
            crate::services::presence::spawn_ticker(pool.clone(), &settings.presence);
        let server = run(listener, pool.clone(), settings, key, metrics, hub.clone())?;
        Ok(Self {
            port,
            server,
            pool,
            metrics: metrics_server,
            worker,
            upkeep,
            shutdown_timeout,
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

    /// The metrics listener's port, when metrics are on.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Serves until the server stops. On SIGTERM actix stops accepting and lets
    /// requests under way finish (within the shutdown timeout); then the
    /// metrics listener closes and the outbox worker finishes its sends under
    /// way and releases the rest of its batch (within the timeout too).
    /// This instance's presence fan-out (open streams, for tests and benchmarks).
    pub fn presence_hub(&self) -> Arc<Hub> {
        self.hub.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(server, _)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let result = self.server.await;
        tracing::info!("HTTP server stopped; stopping the outbox worker");
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        self.upkeep.abort();
        self.presence_ticker.abort();
        self.presence_listener.abort();
        self.worker.shutdown(self.shutdown_timeout).await;
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
    metrics: Option<Arc<Metrics>>,
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
    let leases = web::Data::new(crate::services::limits::Leases::default());
    let menus = web::Data::new(crate::services::contacts::Menus::default());
    let settings = web::Data::new(settings);
    let anonymous_tokens = web::Data::new(csrf::AnonymousTokens::new(&key, secure));
    let hashing = web::Data::new(crate::services::passwords::Hashing::new(
        settings.hash_concurrency,
    ));
    let shutdown_timeout = settings.shutdown_timeout.as_secs();
    let metrics = metrics.map(web::Data::new);
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
        let mut app = App::new();
        if let Some(metrics) = &metrics {
            app = app.app_data(metrics.clone());
        }
        app.app_data(pool.clone())
            .app_data(setup_done.clone())
            .app_data(search_counts.clone())
            .app_data(leases.clone())
            .app_data(menus.clone())
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
            // Inside the sessions: it asks who is signed in.
            .wrap(from_fn(crate::web::plumbing::error_layout::in_app))
            .wrap(sessions)
            // Outside the sessions: the session's load reads the account too.
            .wrap(from_fn(crate::web::plumbing::prefetch::scope))
            .wrap(from_fn(htmx::retarget_errors))
            .wrap(from_fn(mw::security_headers))
            .wrap(from_fn(mw::log_requests))
            .wrap(from_fn(crate::web::plumbing::metrics::observe))
    })
    .workers(workers)
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run();
    Ok(server)
}
