//! CSRF protection for every unsafe request, in one middleware: a cross-site
//! `Origin` or `Sec-Fetch-Site` is refused, and a token must come in the
//! `X-CSRF-Token` header (htmx) or the `csrf_token` form field (plain forms,
//! urlencoded or multipart).
//!
//! Two kinds of token, one rule each, and the guard picks by the session:
//! - signed in: a synchronizer token kept in the session (renewed at sign-in);
//! - anonymous: a signed double-submit token, an HMAC of a random value that the
//!   visitor holds in its own cookie, keyed by a key derived from the cookie key.
//!   Nothing is stored on the server, so an anonymous visitor loading a form
//!   page never makes actix-session write a session row.
//!
//! The guard knows which token it expects before it reads any body: a request
//! with neither a session token nor the anonymous cookie is refused at once, and
//! an anonymous form may be no larger than [`MAX_FORM_BYTES`].

use std::cell::RefCell;
use std::rc::Rc;

use actix_session::{Session, SessionExt};
use actix_web::{
    body::{EitherBody, MessageBody},
    cookie::{Cookie, Key, SameSite},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::Next,
    web::{self, Bytes},
    Error, HttpMessage,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::web::plumbing::{session_store::ACCOUNT_ID, upload};

const SESSION_KEY: &str = "csrf";
pub const HEADER: &str = "X-CSRF-Token";
pub const FIELD: &str = "csrf_token";
/// Forms are small; anything larger is refused before it is read.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Signs anonymous visitors' tokens: app data, built from the cookie key.
pub struct AnonymousTokens {
    key: Vec<u8>,
    cookie_name: &'static str,
    secure: bool,
}

impl AnonymousTokens {
    pub fn new(cookie_key: &Key, secure: bool) -> Self {
        // A key of its own, so a token is never a MAC some cookie also carries.
        let key = mac(cookie_key.master(), b"roster anonymous csrf v1");
        Self {
            key,
            // `__Host-` stops a sibling subdomain from planting its own value.
            cookie_name: if secure {
                "__Host-roster-csrf"
            } else {
                "roster-csrf"
            },
            secure,
        }
    }

    fn token(&self, nonce: &str) -> String {
        hex::encode(mac(&self.key, nonce.as_bytes()))
    }

    fn cookie(&self, nonce: String) -> Cookie<'static> {
        Cookie::build(self.cookie_name, nonce)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .finish()
    }
}

fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// This request's anonymous visitor: the value its cookie holds (or one made
/// for it while rendering, sent back as a cookie by the guard).
struct Visitor {
    tokens: web::Data<AnonymousTokens>,
    nonce: Option<String>,
    minted: bool,
}

tokio::task_local! {
    static VISITOR: Rc<RefCell<Visitor>>;
}

fn signed_in(session: &Session) -> bool {
    matches!(session.get::<i64>(ACCOUNT_ID), Ok(Some(_)))
}

/// The token a form on this page carries: the session's for a signed-in
/// account, else the anonymous visitor's (see the module docs).
pub fn token(session: &Session) -> String {
    if !signed_in(session) {
        let anonymous = VISITOR.try_with(|visitor| {
            let mut visitor = visitor.borrow_mut();
            let nonce = match visitor.nonce.clone() {
                Some(nonce) => nonce,
                None => {
                    let nonce = new_secret();
                    visitor.nonce = Some(nonce.clone());
                    visitor.minted = true;
                    nonce
                }
            };
            visitor.tokens.token(&nonce)
        });
        if let Ok(token) = anonymous {
            return token;
        }
    }
    session_token(session)
}

/// The session's synchronizer token, created on first use.
fn session_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(SESSION_KEY) {
        return token;
    }
    let token = new_secret();
    // Inserting a String cannot fail to serialize.
    let _ = session.insert(SESSION_KEY, &token);
    token
}

/// A new synchronizer token for a session that was just signed in. Minted
/// here rather than on the first page, so that two pages opened at once after
/// signing in cannot each mint one and leave the other's forms refused.
pub fn reset(session: &Session) {
    // Inserting a String cannot fail to serialize.
    let _ = session.insert(SESSION_KEY, new_secret());
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

/// The JSON API authenticates with `Authorization: Bearer` alone and never
/// reads a session or a cookie (`api::auth`), so a cross-site request cannot
/// borrow a signed-in browser's authority there: it needs the token, which a
/// page on another site cannot set without a CORS preflight we never grant.
fn is_api(req: &ServiceRequest) -> bool {
    let path = req.path();
    path == "/api/v1" || path.starts_with("/api/v1/")
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

/// The anonymous cookie's value, when it looks like one we made.
fn nonce_in(req: &ServiceRequest, tokens: &AnonymousTokens) -> Option<String> {
    let cookie = req.cookie(tokens.cookie_name)?;
    let value = cookie.value();
    (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())).then(|| value.to_owned())
}

pub async fn guard<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let Some(tokens) = req.app_data::<web::Data<AnonymousTokens>>().cloned() else {
        let err = AppError::unexpected(anyhow::anyhow!("no CSRF key configured"));
        return Ok(req.error_response(err).map_into_right_body());
    };
    let visitor = Rc::new(RefCell::new(Visitor {
        nonce: nonce_in(&req, &tokens),
        tokens,
        minted: false,
    }));
    let res = VISITOR.scope(visitor.clone(), check(req, next)).await;
    let visitor = visitor.borrow();
    match (res, &visitor.nonce) {
        (Ok(mut res), Some(nonce)) if visitor.minted => {
            res.response_mut()
                .add_cookie(&visitor.tokens.cookie(nonce.clone()))
                .map_err(|e| AppError::unexpected(anyhow::anyhow!("{e}")))?;
            Ok(res)
        }
        (res, _) => res,
    }
}

/// The token this request must carry, or `None` when it can carry none that
/// would do; and the largest body that may be read to find it.
fn expected(req: &ServiceRequest) -> (Option<String>, usize) {
    let session = req.get_session();
    if signed_in(&session) {
        let token = session.get::<String>(SESSION_KEY).ok().flatten();
        return (token, body_limit(req));
    }
    let token = VISITOR
        .try_with(|v| {
            let v = v.borrow();
            v.nonce.as_deref().map(|nonce| v.tokens.token(nonce))
        })
        .ok()
        .flatten();
    (token, MAX_FORM_BYTES)
}

async fn check<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if !is_unsafe(req.method()) || is_api(&req) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    if !same_origin(&req) {
        let err = AppError::forbidden("Cross-site requests are not accepted.");
        return Ok(req.error_response(err).map_into_right_body());
    }
    // Decided before any body is read: nothing a request without a session
    // or the anonymous cookie sends is ever buffered.
    let (Some(expected), limit) = expected(&req) else {
        return Ok(req.error_response(AppError::Csrf).map_into_right_body());
    };
    let header_token = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
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
    match sent {
        Some(sent) if constant_time_eq(&expected, &sent) => next
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
