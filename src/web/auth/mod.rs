//! Who may come in: first-run setup, sign-in, sign-out and where `/` leads
//! (here), and the forgotten-password reset ([`password_reset`]).

pub mod password_reset;

use actix_session::Session;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use rand::RngCore;
use serde::Deserialize;
use validator::Validate;

use crate::db::{self, PgPool};
use crate::domain::{DisplayName, EmailAddress, OrgName};
use crate::error::{AppError, AppResult};
use crate::services::{self, limits, passwords::Hashing};
use crate::web::invitations::inbox::open_items;
use crate::web::plumbing::context::{flash, signed_in_account_id, Layout};
use crate::web::plumbing::forms::{safe_next, FormErrors};
use crate::web::plumbing::htmx::{page_or_fragment, redirect, see_other, Wants};
use crate::web::plumbing::middleware::SetupDone;
use crate::web::plumbing::routing::routes;
use crate::web::plumbing::session_store::{ACCOUNT_ID, SID, USER_AGENT};

routes! {
    GET "/" => root,
    GET "/setup" => setup_form,
    POST "/setup" => setup_submit,
    GET "/signin" => signin_form,
    POST "/signin" => signin_submit,
    POST "/signout" => signout,
    configure password_reset,
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct SetupForm {
    #[validate(length(max = 1000, message = "Name can be at most 100 characters."))]
    pub display_name: String,
    #[validate(length(max = 1000, message = "Email can be at most 254 characters."))]
    pub email: String,
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub password: String,
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub password_confirm: String,
    #[validate(length(
        max = 1000,
        message = "Organization name can be at most 100 characters."
    ))]
    pub org_name: String,
}

#[derive(Template)]
#[template(path = "fragments/auth/_setup_form.html")]
pub struct SetupFormFragment<'a> {
    pub form: &'a SetupForm,
    pub errors: &'a FormErrors,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "pages/auth/setup.html")]
pub struct SetupPage<'a> {
    pub layout: Layout,
    pub form: &'a SetupForm,
    pub errors: &'a FormErrors,
}

async fn setup_available(pool: &PgPool) -> AppResult<()> {
    if db::run(pool, |conn| Ok(db::accounts::any_exist(conn)?)).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

pub async fn setup_form(pool: web::Data<PgPool>, session: Session) -> AppResult<HttpResponse> {
    setup_available(&pool).await?;
    let form = SetupForm::default();
    crate::web::plumbing::htmx::render(&SetupPage {
        layout: Layout::anonymous(&session),
        form: &form,
        errors: &FormErrors::default(),
    })
}

fn render_setup(
    wants: Wants,
    session: &Session,
    form: &SetupForm,
    errors: &FormErrors,
) -> AppResult<HttpResponse> {
    let layout = Layout::anonymous(session);
    let csrf = layout.csrf.clone();
    page_or_fragment(
        wants,
        StatusCode::UNPROCESSABLE_ENTITY,
        || SetupPage {
            layout,
            form,
            errors,
        },
        || SetupFormFragment {
            form,
            errors,
            csrf: &csrf,
        },
    )
}

pub async fn setup_submit(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    setup_done: web::Data<SetupDone>,
    hashing: web::Data<Hashing>,
    session: Session,
    form: web::Form<SetupForm>,
) -> AppResult<HttpResponse> {
    setup_available(&pool).await?;
    let form = form.into_inner();
    let mut errors = form
        .validate()
        .err()
        .map(|e| FormErrors::from_validation(&e))
        .unwrap_or_default();
    let name = errors.check("display_name", DisplayName::parse(&form.display_name));
    let email = errors.check("email", EmailAddress::parse(&form.email));
    let password = errors.new_password(&form.password, &form.password_confirm);
    let org_name = errors.check("org_name", OrgName::parse(&form.org_name));
    let (Some(display_name), Some(email), Some(password), Some(org_name), true) =
        (name, email, password, org_name, errors.is_empty())
    else {
        return render_setup(wants, &session, &form, &errors);
    };
    let password_hash = hashing.hash(password).await?;
    let setup = services::auth::Setup {
        display_name,
        email,
        password_hash,
        org_name,
    };
    let (account, org) = db::run(&pool, move |conn| services::auth::setup(conn, setup)).await?;
    setup_done.mark();
    start_signed_in_session(&req, &session, account)?;
    flash(
        &session,
        "success",
        "Welcome to Roster. Your organization is ready.",
    );
    Ok(redirect(&req, &format!("/orgs/{org}")))
}

/// Renews the session key (against fixation) and records who is signed in.
pub fn start_signed_in_session(
    req: &HttpRequest,
    session: &Session,
    account: crate::domain::AccountId,
) -> AppResult<()> {
    session.renew();
    // A new token after sign-in, so one seen before cannot be replayed.
    crate::web::plumbing::csrf::reset(session);
    let mut sid = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut sid);
    let user_agent: String = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Unknown device")
        .chars()
        .take(300)
        .collect();
    put(session, ACCOUNT_ID, &account.0)?;
    put(session, SID, &hex::encode(sid))?;
    put(session, USER_AGENT, &user_agent)
}

fn put<T: serde::Serialize>(session: &Session, key: &str, value: &T) -> AppResult<()> {
    session
        .insert(key, value)
        .map_err(|e| AppError::unexpected(anyhow::anyhow!("{e}")))
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct SigninForm {
    #[validate(length(max = 1000, message = "Email can be at most 254 characters."))]
    pub email: String,
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub password: String,
    pub next: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "fragments/auth/_signin_form.html")]
pub struct SigninFormFragment<'a> {
    pub email: &'a str,
    pub next: &'a str,
    pub error: Option<&'a str>,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "pages/auth/signin.html")]
pub struct SigninPage<'a> {
    pub layout: Layout,
    pub email: &'a str,
    pub next: &'a str,
    pub error: Option<&'a str>,
}

pub async fn signin_form(
    session: Session,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    if signed_in_account_id(&session).is_some() {
        return Ok(see_other(
            &safe_next(query.next.as_deref()).unwrap_or_else(|| "/".into()),
        ));
    }
    let next = safe_next(query.next.as_deref()).unwrap_or_default();
    crate::web::plumbing::htmx::render(&SigninPage {
        layout: Layout::anonymous(&session),
        email: "",
        next: &next,
        error: None,
    })
}

fn render_signin(
    wants: Wants,
    session: &Session,
    status: StatusCode,
    email: &str,
    next: &str,
    error: &str,
) -> AppResult<HttpResponse> {
    let layout = Layout::anonymous(session);
    let csrf = layout.csrf.clone();
    page_or_fragment(
        wants,
        status,
        || SigninPage {
            layout,
            email,
            next,
            error: Some(error),
        },
        || SigninFormFragment {
            email,
            next,
            error: Some(error),
            csrf: &csrf,
        },
    )
}

pub const WRONG_CREDENTIALS: &str = "That email and password do not match an account.";

pub async fn signin_submit(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    hashing: web::Data<Hashing>,
    session: Session,
    form: web::Form<SigninForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref()).unwrap_or_default();
    // No account's address holds a control character (and PostgreSQL refuses
    // NUL), so such an address is a wrong answer without asking the database.
    if form.validate().is_err() || form.email.chars().any(char::is_control) {
        return render_signin(
            wants,
            &session,
            StatusCode::UNAUTHORIZED,
            &form.email,
            &next,
            WRONG_CREDENTIALS,
        );
    }
    let ip = crate::web::plumbing::context::client_ip(&req);
    let (email, ip2) = (form.email.clone(), ip.clone());
    // The attempt is reserved before the password is checked, in one atomic
    // upsert per budget: parallel guesses get no more than sequential ones.
    let found = db::run(&pool, move |conn| {
        limits::hit(conn, &limits::signins(&email, &ip2), 1)?;
        Ok(db::accounts::find_by_email(conn, email.trim())?)
    })
    .await;
    let account = match found {
        Err(AppError::TooMany {
            message,
            retry_after,
        }) => {
            let mut res = render_signin(
                wants,
                &session,
                StatusCode::TOO_MANY_REQUESTS,
                &form.email,
                &next,
                &message,
            )?;
            res.headers_mut()
                .insert(actix_web::http::header::RETRY_AFTER, retry_after.into());
            return Ok(res);
        }
        other => other?,
    };
    let password = form.password.clone();
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    // Unknown emails and accounts without a password verify against a dummy
    // hash: same work, same answer.
    let ok = hashing.verify(password, stored).await?;
    let email = form.email.clone();
    match (ok, account) {
        (true, Some(account)) => {
            db::run(&pool, move |conn| {
                limits::signin_was_right(conn, &email, &ip)
            })
            .await?;
            start_signed_in_session(&req, &session, account.id)?;
            let target = if next.is_empty() {
                "/".to_owned()
            } else {
                next
            };
            Ok(redirect(&req, &target))
        }
        _ => render_signin(
            wants,
            &session,
            StatusCode::UNAUTHORIZED,
            &form.email,
            &next,
            WRONG_CREDENTIALS,
        ),
    }
}

pub async fn signout(pool: web::Data<PgPool>, session: Session) -> HttpResponse {
    let account = signed_in_account_id(&session);
    session.purge();
    if let Some(account) = account {
        crate::web::presence::signed_out(&pool, account).await;
    }
    see_other("/signin")
}

/// `/`: the first organization of a signed-in account (its home shows any
/// open invitations), else its invitations, else creating one; or sign-in.
pub async fn root(pool: web::Data<PgPool>, session: Session) -> AppResult<HttpResponse> {
    let Some(account) = signed_in_account_id(&session) else {
        return Ok(see_other("/signin"));
    };
    let orgs = db::run(&pool, move |conn| {
        Ok(db::organizations::list_for_account(conn, account)?)
    })
    .await?;
    if let Some((id, _)) = orgs.first() {
        return Ok(see_other(&format!("/orgs/{id}")));
    }
    // No organization yet: its invitations if it has any, else make one.
    let invited = !open_items(&pool, account).await?.is_empty();
    Ok(see_other(if invited {
        "/invitations"
    } else {
        "/orgs/new"
    }))
}
