//! Cross-cutting middleware: one log line per request, security headers on
//! every response (error pages from other middleware too), and the first-run
//! redirect to `/setup`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use actix_web::{
    body::{BoxBody, EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    error::InternalError,
    http::header::{self, HeaderMap, HeaderName, HeaderValue},
    middleware::Next,
    web, Error, HttpResponse, ResponseError,
};

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::error::AppError;

/// Paths are logged without secrets: invitation and reset tokens are cut out.
pub fn loggable_path(path: &str) -> String {
    for prefix in ["/invite/", "/password/reset/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            let tail = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
            return format!("{prefix}<token>{tail}");
        }
    }
    path.to_owned()
}

pub async fn log_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let path = loggable_path(req.path());
    let res = next.call(req).await;
    let status = match &res {
        Ok(res) => res.status().as_u16(),
        Err(err) => err.as_response_error().status_code().as_u16(),
    };
    tracing::info!(
        target: "roster::http",
        %method,
        path,
        status,
        ms = format_args!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        "request"
    );
    res
}

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), \
     interest-cohort=()";

/// The page for an error that a middleware raised instead of answering (a
/// session store that cannot reach the database, a failing setup check): the
/// same error page and status a handler's `AppError` gets, never actix's bare
/// 500. Errors of other kinds are logged and shown as "something went wrong".
fn error_page(err: &Error) -> HttpResponse {
    match err.as_error::<AppError>() {
        Some(app) => app.error_response(),
        None if err.as_response_error().status_code().is_server_error() => {
            AppError::unexpected(anyhow::anyhow!("{err:?}")).error_response()
        }
        None => err.error_response(),
    }
}

/// Security headers on every response. `Cache-Control: no-store` on all but
/// the static files (whose handler sets its own), since pages and fragments
/// carry members' data and CSRF tokens; HSTS when Roster is served over https.
///
/// An error raised by an inner middleware has no request left to answer
/// with, so it goes on as an error whose response is the finished page,
/// headers included (actix sends an `InternalError`'s response as it is).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let https = req
        .app_data::<web::Data<Settings>>()
        .is_some_and(|s| s.secure_cookies());
    let static_file = req.path().starts_with("/static/");
    match next.call(req).await {
        Ok(res) => {
            let mut res = res.map_into_boxed_body();
            add_headers(res.headers_mut(), https, static_file);
            Ok(res)
        }
        Err(err) => {
            let mut page = error_page(&err);
            add_headers(page.headers_mut(), https, static_file);
            Err(InternalError::from_response(err.to_string(), page).into())
        }
    }
}

fn add_headers(headers: &mut HeaderMap, https: bool, static_file: bool) {
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in fixed {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !static_file {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Set once an account exists; until then every page leads to `/setup`.
#[derive(Default)]
pub struct SetupDone(AtomicBool);

impl SetupDone {
    pub fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn exempt_from_setup(path: &str) -> bool {
    path == "/setup" || path == "/healthz" || path == "/readyz" || path.starts_with("/static/")
}

pub async fn require_setup<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let flag = req.app_data::<web::Data<SetupDone>>().cloned();
    let pool = req.app_data::<web::Data<PgPool>>().cloned();
    if let (Some(flag), Some(pool)) = (flag, pool) {
        if !flag.0.load(Ordering::Relaxed) && !exempt_from_setup(req.path()) {
            let exists = db::run(&pool, |conn| Ok(db::accounts::any_exist(conn)?)).await?;
            if exists {
                flag.mark();
            } else {
                let res = HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/setup"))
                    .finish();
                return Ok(req.into_response(res).map_into_right_body());
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::loggable_path;

    #[test]
    fn tokens_never_reach_the_log() {
        assert_eq!(loggable_path("/invite/abcdef"), "/invite/<token>");
        assert_eq!(
            loggable_path("/invite/abcdef/accept"),
            "/invite/<token>/accept"
        );
        assert_eq!(
            loggable_path("/password/reset/xyz"),
            "/password/reset/<token>"
        );
        assert_eq!(loggable_path("/password/forgot"), "/password/forgot");
        assert_eq!(loggable_path("/orgs/1/members"), "/orgs/1/members");
    }
}
