//! CSRF protection for every unsafe request, in one middleware: a cross-site
//! `Origin` or `Sec-Fetch-Site` is refused, and a synchronizer token tied to the
//! session must come in the `X-CSRF-Token` header (htmx) or the `csrf_token`
//! form field (plain forms, urlencoded or multipart).

use actix_session::{Session, SessionExt};
use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::Next,
    web::Bytes,
    Error, HttpMessage,
};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::web::upload;

const SESSION_KEY: &str = "csrf";
pub const HEADER: &str = "X-CSRF-Token";
pub const FIELD: &str = "csrf_token";
/// Forms are small; anything larger is refused before it is read.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The session's token, created on first use.
pub fn token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(SESSION_KEY) {
        return token;
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    // Inserting a String cannot fail to serialize.
    let _ = session.insert(SESSION_KEY, &token);
    token
}

pub fn reset(session: &Session) {
    session.remove(SESSION_KEY);
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    // Comparing digests keeps the time independent of where the strings differ.
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn same_origin(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if let Some(site) = site {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        // A form on a page sent with `Referrer-Policy: no-referrer` (the invitation
        // page) posts with `Origin: null`; then the browser's own Sec-Fetch-Site must vouch.
        Some("null") => site == Some("same-origin"),
        Some(origin) => {
            let host = req.connection_info().host().to_owned();
            url::Url::parse(origin).ok().is_some_and(|url| {
                let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
                url.host_str().is_some_and(|h| format!("{h}{port}") == host)
            })
        }
    }
}

fn form_token(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v.into_owned())
}

pub async fn guard<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if !is_unsafe(req.method()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    if !same_origin(&req) {
        let err = AppError::forbidden("Cross-site requests are not accepted.");
        return Ok(req.error_response(err).map_into_right_body());
    }
    let expected = req.get_session().get::<String>(SESSION_KEY).ok().flatten();
    let header_token = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let limit = body_limit(&req);
    let sent = match header_token {
        Some(token) => Some(token),
        None if req.content_type() == "application/x-www-form-urlencoded"
            || upload::is_multipart(&req) =>
        {
            match read_body(&mut req, limit).await {
                Ok(body) => {
                    let token = if upload::is_multipart(&req) {
                        multipart_token(&req, body.clone()).await
                    } else {
                        form_token(&body)
                    };
                    req.set_payload(Payload::from(body));
                    token
                }
                Err(err) => return Ok(req.error_response(err).map_into_right_body()),
            }
        }
        None => None,
    };
    match (expected, sent) {
        (Some(expected), Some(sent)) if constant_time_eq(&expected, &sent) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        _ => Ok(req.error_response(AppError::Csrf).map_into_right_body()),
    }
}

/// The invite dialog takes a list of up to 1,000 addresses or a CSV file;
/// every other form is small.
fn body_limit(req: &ServiceRequest) -> usize {
    let path = req.path();
    if path.ends_with("/members/invite") || path.ends_with("/members/invite/confirm") {
        upload::MAX_INVITE_FORM_BYTES
    } else {
        MAX_FORM_BYTES
    }
}

async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<Bytes, AppError> {
    upload::check_length(req.request(), limit)?;
    upload::read_capped(req.take_payload(), limit).await
}

async fn multipart_token(req: &ServiceRequest, body: Bytes) -> Option<String> {
    let parts = upload::parts(req.headers(), body).await.ok()?;
    upload::text_fields(&parts)
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}
