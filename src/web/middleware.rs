//! Cross-cutting middleware: one log line per request, security headers, and the
//! first-run redirect to `/setup`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header,
    middleware::{DefaultHeaders, Next},
    web, Error, HttpResponse,
};

use crate::db::{self, PgPool};

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

pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
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
    path == "/setup" || path == "/healthz" || path.starts_with("/static/")
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
