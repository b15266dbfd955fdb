//! Presence over HTTP: the heartbeat every signed-in page of an organization
//! posts (`static/presence.js`), the live stream its lists listen to, the dot
//! they show, and the per-instance fan-out behind the stream.

pub mod dot;
pub mod hub;
pub mod limit;
pub mod stream;

use std::time::Duration;

use actix_web::{http::header, web, HttpResponse};
use serde::Deserialize;

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::presence::{Report, TabId};
use crate::domain::Feature;
use crate::error::{AppError, AppResult};
use crate::services::presence::{self as svc, Heartbeat};
use crate::web::plumbing::context::OrgContext;
use crate::web::plumbing::routing::routes;

pub use dot::PresenceDot;
pub use hub::Hub;
pub use limit::ReportLimiter;

pub const PRESENCE_OFF: &str = "Presence is switched off for this organization.";

routes! {
    POST "/orgs/{org}/presence" => presence_heartbeat,
    GET "/orgs/{org}/presence/stream" => stream::presence_stream,
}

/// Refuses presence requests while the feature is off.
fn require_presence(ctx: &OrgContext) -> AppResult<()> {
    if ctx.feature_on(Feature::Presence) {
        Ok(())
    } else {
        Err(AppError::forbidden(PRESENCE_OFF))
    }
}

#[derive(Debug, Deserialize)]
struct HeartbeatForm {
    tab: String,
    state: String,
    /// Seconds since the tab's last input.
    #[serde(default)]
    idle: u64,
}

/// The longest idle time a page may claim; beyond it, a day.
const MAX_IDLE_SECS: u64 = 86_400;

/// `POST /orgs/{org}/presence`: `tab`, `state` (active, idle, hidden) and
/// `idle` seconds. 204 when taken; a bare 429 with `Retry-After` past the
/// limit, before any database work.
pub async fn presence_heartbeat(
    ctx: OrgContext,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    limiter: web::Data<ReportLimiter>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    require_presence(&ctx)?;
    let form: HeartbeatForm = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::Validation("A heartbeat needs a tab and a state.".into()))?;
    let tab = TabId::parse(&form.tab).map_err(|e| AppError::Validation(e.0))?;
    let report = Report::parse(&form.state).map_err(|e| AppError::Validation(e.0))?;
    if let Err(wait) = limiter.check(ctx.org.id.0, ctx.actor.account_id.0, tab.as_str()) {
        return Ok(HttpResponse::TooManyRequests()
            .insert_header((header::RETRY_AFTER, wait.to_string()))
            .finish());
    }
    let beat = Heartbeat {
        org: ctx.org.id,
        account: ctx.actor.account_id,
        member: ctx.membership.id,
        tab,
        report,
        idle: Duration::from_secs(form.idle.min(MAX_IDLE_SECS)),
    };
    let thresholds = settings.presence.thresholds;
    db::run(&pool, move |conn| {
        svc::report(conn, &beat, chrono::Utc::now(), &thresholds)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Someone signed out: they go offline everywhere at once. Signing out
/// succeeds even if this fails (the ticker takes them offline later).
pub async fn signed_out(pool: &PgPool, account: crate::domain::AccountId) {
    if let Err(error) = db::run(pool, move |conn| svc::end(conn, account)).await {
        tracing::warn!(%error, "could not end presence at sign-out");
    }
}
