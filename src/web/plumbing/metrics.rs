//! The metrics' HTTP side: a middleware that counts each request under its
//! route pattern, and the separate listener that serves `GET /metrics` (the
//! public listener has no such route).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::{
    body::MessageBody,
    dev::{Server, ServiceRequest, ServiceResponse},
    middleware::Next,
    web, App, Error, HttpResponse, HttpServer,
};

use crate::db::PgPool;
use crate::error::AppResult;
use crate::metrics::{Metrics, UNMATCHED};
use crate::web::plumbing::routing::routes;

// The metrics listener's routes (see `server`), never the public listener's.
routes! {
    GET "/metrics" => metrics_show,
}

/// Counts the request when metrics are on (the app then holds a `Metrics`).
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(metrics) = req.app_data::<web::Data<Arc<Metrics>>>().cloned() else {
        return next.call(req).await;
    };
    let started = Instant::now();
    let method = req.method().clone();
    // The pattern, never the path: paths carry ids and tokens.
    let route = req.match_pattern();
    let res = next.call(req).await;
    let status = match &res {
        Ok(res) => res.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    metrics.observe_request(
        method.as_str(),
        route.as_deref().unwrap_or(UNMATCHED),
        status,
        started.elapsed(),
    );
    res
}

async fn metrics_show(
    metrics: web::Data<Arc<Metrics>>,
    pool: web::Data<PgPool>,
) -> AppResult<HttpResponse> {
    let body = metrics.render(&pool).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body))
}

/// The metrics listener: one worker, no signal handling of its own (the
/// application stops it after the public server).
pub fn server(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    pool: PgPool,
) -> std::io::Result<Server> {
    let metrics = web::Data::new(metrics);
    let pool = web::Data::new(pool);
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .app_data(pool.clone())
            .configure(routes)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}
