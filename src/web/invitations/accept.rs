//! The page behind the emailed link, `/invite/{token}`. Opening it (GET) only
//! reads: mail scanners follow links. Only the form posted from the page (with
//! its CSRF token) accepts. The page sends `Referrer-Policy: no-referrer` so the
//! token never leaves in a Referer header.

use actix_session::Session;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::{AccountId, DisplayName};
use crate::error::AppResult;
use crate::services::invitations::{self as svc, Accepting, Invite, Problem};
use crate::services::{limits, passwords::Hashing};
use crate::web::auth::start_signed_in_session;
use crate::web::plumbing::context::{client_ip, flash, signed_in_account_id, Layout};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{redirect, render_token_page};

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct AcceptForm {
    #[validate(length(max = 1000, message = "Name can be at most 100 characters."))]
    pub display_name: String,
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub password: String,
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub password_confirm: String,
}

#[derive(Template)]
#[template(path = "pages/invitations/accept.html")]
pub struct AcceptPage<'a> {
    pub layout: Layout,
    pub token: &'a str,
    pub invite: Option<&'a Invite>,
    /// new (set name and password), signin, join, wrong, or problem
    pub mode: &'static str,
    pub heading: String,
    pub message: String,
    pub signed_in_as: Option<String>,
    pub display_name: &'a str,
    pub errors: &'a FormErrors,
}

/// The token in the link's path, cut short if someone pastes a novel.
pub fn token_of(req: &HttpRequest) -> String {
    req.match_info()
        .get("token")
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

fn problem_text(problem: Problem, invite: Option<&Invite>) -> (StatusCode, String, String) {
    let ask = match invite {
        Some(i) => format!("Ask {} at {} for a new invitation.", i.inviter, i.org_name),
        None => "Ask the person who invited you for a new invitation.".to_owned(),
    };
    match problem {
        Problem::Unknown => (
            StatusCode::NOT_FOUND,
            "This invitation link is not valid".into(),
            format!("The link may be mistyped or cut off, or replaced by a newer one. {ask}"),
        ),
        Problem::Expired => (StatusCode::GONE, "This invitation has expired".into(), ask),
        Problem::Revoked => (StatusCode::GONE, "This invitation was withdrawn".into(), ask),
        Problem::Used => (
            StatusCode::GONE,
            "This invitation has already been used".into(),
            "Each link works once. If it was you, sign in; otherwise ".to_owned() + &ask[..1].to_lowercase() + &ask[1..],
        ),
        Problem::WrongAccount => (
            StatusCode::FORBIDDEN,
            "You are signed in as someone else".into(),
            format!(
                "This invitation is for {}. Sign out, then open the link again. Nothing was accepted.",
                invite.map(|i| i.email.as_str()).unwrap_or("another address")
            ),
        ),
        Problem::MustSignIn => (
            StatusCode::CONFLICT,
            "Sign in to accept".into(),
            format!(
                "To accept, sign in as {} first. Never set a password? Use Forgot password on the sign-in page: it emails that address a link to set one. Nothing was accepted.",
                invite.map(|i| i.email.as_str()).unwrap_or("the invited address")
            ),
        ),
    }
}

struct PageData {
    found: Result<Invite, svc::Refused>,
    signed_in_email: Option<(AccountId, String)>,
}

async fn load(pool: &PgPool, token: String, session: &Session) -> AppResult<PageData> {
    let me = signed_in_account_id(session);
    db::run(pool, move |conn| {
        let found = svc::lookup(conn, &token)?;
        let signed_in_email = match me {
            Some(id) => db::accounts::find_by_id(conn, id)?.map(|a| (a.id, a.email)),
            None => None,
        };
        Ok(PageData {
            found,
            signed_in_email,
        })
    })
    .await
}

fn render(
    session: &Session,
    token: &str,
    data: &PageData,
    display_name: &str,
    errors: &FormErrors,
    status: Option<StatusCode>,
) -> AppResult<HttpResponse> {
    let signed_in_as = data.signed_in_email.as_ref().map(|(_, e)| e.clone());
    let (code, mode, heading, message, invite) = match &data.found {
        Err((problem, invite)) => {
            let (code, heading, message) = problem_text(*problem, invite.as_ref());
            (code, "problem", heading, message, invite.as_ref())
        }
        Ok(invite) => {
            let heading = format!("Join {}", invite.org_name);
            let message = format!(
                "{} invited you to join {} as {}.",
                invite.inviter, invite.org_name, invite.role
            );
            let mode = match &signed_in_as {
                Some(email) if email.eq_ignore_ascii_case(&invite.email) => "join",
                Some(_) => "wrong",
                None if invite.may_set_password => "new",
                None => "signin",
            };
            let code = if mode == "wrong" {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::OK
            };
            (code, mode, heading, message, Some(invite))
        }
    };
    let page = AcceptPage {
        layout: Layout::anonymous(session),
        token,
        invite,
        mode,
        heading,
        message,
        signed_in_as,
        display_name,
        errors,
    };
    render_token_page(status.unwrap_or(code), &page)
}

pub async fn accept_page(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    session: Session,
) -> AppResult<HttpResponse> {
    let token = token_of(&req);
    let data = load(&pool, token.clone(), &session).await?;
    render(&session, &token, &data, "", &FormErrors::default(), None)
}

pub async fn accept_submit(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    session: Session,
    settings: web::Data<Settings>,
    hashing: web::Data<Hashing>,
    form: web::Form<AcceptForm>,
) -> AppResult<HttpResponse> {
    let token = token_of(&req);
    // Counted before the password is hashed: refusals cost next to nothing.
    let buckets = limits::redeems(&settings.limits, &client_ip(&req), &svc::hash_token(&token));
    db::run(&pool, move |conn| limits::hit(conn, &buckets, 1)).await?;
    let form = form.into_inner();
    let how = match signed_in_account_id(&session) {
        Some(account) => Accepting::SignedIn(account),
        None => {
            let mut errors = form
                .validate()
                .err()
                .map(|e| FormErrors::from_validation(&e))
                .unwrap_or_default();
            let name = errors.check("display_name", DisplayName::parse(&form.display_name));
            let password = errors.new_password(&form.password, &form.password_confirm);
            let (Some(name), Some(password), true) = (name, password, errors.is_empty()) else {
                let data = load(&pool, token.clone(), &session).await?;
                let status = data
                    .found
                    .is_ok()
                    .then_some(StatusCode::UNPROCESSABLE_ENTITY);
                return render(&session, &token, &data, &form.display_name, &errors, status);
            };
            let password_hash = hashing.hash(password).await?;
            Accepting::NewAccount {
                name,
                password_hash,
            }
        }
    };
    let signed_in = matches!(how, Accepting::SignedIn(_));
    let t = token.clone();
    let result = db::run(&pool, move |conn| svc::accept(conn, &t, how)).await?;
    match result {
        Ok((invite, account)) => {
            if !signed_in {
                start_signed_in_session(&req, &session, account)?;
            }
            flash(
                &session,
                "success",
                format!("Welcome to {}.", invite.org_name),
            );
            Ok(redirect(&req, &format!("/orgs/{}", invite.org)))
        }
        Err(refused) => {
            let mut data = load(&pool, token.clone(), &session).await?;
            data.found = Err(refused);
            render(&session, &token, &data, "", &FormErrors::default(), None)
        }
    }
}
