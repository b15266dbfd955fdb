//! Forgot password: `/password/forgot` asks for an email and always gives the
//! same answer; `/password/reset/{token}` behind the emailed link shows a form
//! for a new password (GET never uses the link up) and sets it (POST with CSRF).

use actix_session::Session;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::EmailAddress;
use crate::error::AppResult;
use crate::services::password_resets::{self as svc, Problem, ResetLinks};
use crate::services::{limits, passwords::Hashing};
use crate::web::invitations::accept::token_of;
use crate::web::plumbing::context::{client_ip, flash, Layout};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{redirect, render, render_status, render_token_page};
use crate::web::plumbing::routing::routes;

routes! {
    GET "/password/forgot" => forgot_form,
    POST "/password/forgot" => forgot_submit,
    GET "/password/reset/{token}" => reset_form,
    POST "/password/reset/{token}" => reset_submit,
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct ForgotForm {
    #[validate(length(max = 1000, message = "Email can be at most 254 characters."))]
    pub email: String,
}

#[derive(Template)]
#[template(path = "pages/auth/forgot.html")]
pub struct ForgotPage<'a> {
    pub layout: Layout,
    /// The request was taken: the page says what happens next, the same for every address.
    pub sent: bool,
    pub email: &'a str,
    pub errors: &'a FormErrors,
}

pub async fn forgot_form(session: Session) -> AppResult<HttpResponse> {
    render(&ForgotPage {
        layout: Layout::anonymous(&session),
        sent: false,
        email: "",
        errors: &FormErrors::default(),
    })
}

pub async fn forgot_submit(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    session: Session,
    form: web::Form<ForgotForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = FormErrors::of(&form);
    let email = errors.check("email", EmailAddress::parse(&form.email));
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ForgotPage {
                layout: Layout::anonymous(&session),
                sent: false,
                email: &form.email,
                errors: &errors,
            },
        );
    };
    let buckets = limits::resets(&settings.limits, email.as_str(), &client_ip(&req));
    let links = ResetLinks {
        public_url: settings.public_url.clone(),
        ttl: settings.password_reset_ttl,
    };
    db::run(&pool, move |conn| {
        limits::hit(conn, &buckets, 1)?;
        svc::request(conn, &email, &links)
    })
    .await?;
    render(&ForgotPage {
        layout: Layout::anonymous(&session),
        sent: true,
        email: "",
        errors: &FormErrors::default(),
    })
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct ResetForm {
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub password: String,
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub password_confirm: String,
}

#[derive(Template)]
#[template(path = "pages/auth/reset.html")]
pub struct ResetPage<'a> {
    pub layout: Layout,
    pub token: &'a str,
    /// Set when the link cannot be used: the heading and what to do.
    pub problem: Option<(&'static str, &'static str)>,
    pub errors: &'a FormErrors,
}

fn problem_text(problem: Problem) -> (StatusCode, &'static str, &'static str) {
    match problem {
        Problem::Unknown => (
            StatusCode::NOT_FOUND,
            "This reset link is not valid",
            "The link may be mistyped or cut off. Ask for a new link below.",
        ),
        Problem::Expired => (
            StatusCode::GONE,
            "This reset link has expired",
            "A reset link works for one hour, and only the newest one works. Ask for a new link below.",
        ),
        Problem::Used => (
            StatusCode::GONE,
            "This reset link has already been used",
            "Each link works once. If you just chose a new password, sign in with it; otherwise ask for a new link below.",
        ),
    }
}

fn render_reset(
    session: &Session,
    token: &str,
    problem: Option<Problem>,
    errors: &FormErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (status, problem) = match problem.map(problem_text) {
        Some((code, heading, message)) => (code, Some((heading, message))),
        None => (status, None),
    };
    render_token_page(
        status,
        &ResetPage {
            layout: Layout::anonymous(session),
            token,
            problem,
            errors,
        },
    )
}

async fn check(pool: &PgPool, token: &str) -> AppResult<Option<Problem>> {
    let token = token.to_owned();
    db::run(pool, move |conn| svc::check(conn, &token)).await
}

pub async fn reset_form(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    session: Session,
) -> AppResult<HttpResponse> {
    let token = token_of(&req);
    let problem = check(&pool, &token).await?;
    render_reset(
        &session,
        &token,
        problem,
        &FormErrors::default(),
        StatusCode::OK,
    )
}

pub async fn reset_submit(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    hashing: web::Data<Hashing>,
    session: Session,
    form: web::Form<ResetForm>,
) -> AppResult<HttpResponse> {
    let token = token_of(&req);
    // A dead link says so before any password is looked at (or hashed).
    if let Some(problem) = check(&pool, &token).await? {
        return render_reset(
            &session,
            &token,
            Some(problem),
            &FormErrors::default(),
            StatusCode::OK,
        );
    }
    let form = form.into_inner();
    let mut errors = FormErrors::of(&form);
    let password = errors.new_password(&form.password, &form.password_confirm);
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return render_reset(
            &session,
            &token,
            None,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let hash = hashing.hash(password).await?;
    let t = token.clone();
    match db::run(&pool, move |conn| svc::reset(conn, &t, &hash)).await? {
        Ok(_) => {
            // Whoever was signed in here is signed out: the next step is signing in anew.
            session.clear();
            session.renew();
            flash(
                &session,
                "success",
                "Your password was changed and every session of your account was signed out. Sign in with your new password.",
            );
            Ok(redirect(&req, "/signin"))
        }
        Err(problem) => render_reset(
            &session,
            &token,
            Some(problem),
            &FormErrors::default(),
            StatusCode::OK,
        ),
    }
}
