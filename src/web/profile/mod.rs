//! The signed-in person's own profile: account ID, name, password, and sessions.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::config::Settings;
use crate::db::{self, sessions::SessionInfo, PgPool};
use crate::domain::DisplayName;
use crate::error::{AppError, AppResult};
use crate::services::{self, limits, passwords::Hashing};
use crate::web::plumbing::context::{client_ip, flash, Layout, SignedIn};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, redirect, see_other, Wants};
use crate::web::plumbing::routing::routes;
use crate::web::plumbing::session_store::{absolute_cutoff, SID};

routes! {
    GET "/profile" => profile_show,
    POST "/profile/name" => profile_name,
    POST "/profile/password" => profile_password,
    POST "/profile/sessions/end-all" => sessions_end_all,
    POST "/profile/sessions/{id}/end" => session_end,
}

#[derive(Template)]
#[template(path = "pages/profile/index.html")]
pub struct ProfilePage<'a> {
    pub layout: Layout,
    pub email: &'a str,
    pub name: &'a str,
    pub errors: &'a FormErrors,
    pub sessions: &'a [SessionInfo],
    pub current_sid: &'a str,
    /// The account's public ID, with a Copy button: how a manager adds them.
    pub account_id: &'a str,
    pub activity: &'a Activity,
}

/// The account's security activity: its own events of no organization, newest first.
pub struct Activity {
    pub rows: Vec<crate::web::settings::audit::view::EventView>,
    /// The query of the Older link.
    pub older: Option<String>,
}

const ACTIVITY_PAGE: i64 = 20;

fn load_activity(
    conn: &mut diesel::PgConnection,
    account: crate::domain::AccountId,
    cursor: Option<crate::domain::audit::EventCursor>,
) -> AppResult<Activity> {
    use crate::db::audit::log as q;
    let query = q::LogQuery {
        cursor,
        limit: ACTIVITY_PAGE,
        ..Default::default()
    };
    let (rows, more) = q::page(conn, q::Source::Account(account), &query)?;
    let names = crate::domain::audit_story::Names::default();
    Ok(Activity {
        older: rows.last().filter(|_| more).map(|r| {
            format!(
                "after={}",
                crate::domain::audit::cursor_key(r.created_at, r.id)
            )
        }),
        rows: rows
            .iter()
            .map(|r| crate::web::settings::audit::view::event_view(r, &names))
            .collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActivityParams {
    pub after: String,
}

#[derive(Template)]
#[template(path = "fragments/profile/_name_form.html")]
pub struct NameFragment<'a> {
    pub name: &'a str,
    pub errors: &'a FormErrors,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "fragments/profile/_password_form.html")]
pub struct PasswordFragment<'a> {
    pub errors: &'a FormErrors,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "fragments/profile/_sessions.html")]
pub struct SessionsFragment<'a> {
    pub sessions: &'a [SessionInfo],
    pub current_sid: &'a str,
    pub csrf: &'a str,
}

fn current_sid(me: &SignedIn) -> String {
    me.session
        .get::<String>(SID)
        .ok()
        .flatten()
        .unwrap_or_default()
}

async fn load_sessions(
    pool: &PgPool,
    settings: &Settings,
    me: &SignedIn,
) -> AppResult<Vec<SessionInfo>> {
    Ok(load_sessions_and_activity(pool, settings, me, None, false)
        .await?
        .0)
}

/// The live sessions and, when asked, a page of the security activity: one trip to the pool.
async fn load_sessions_and_activity(
    pool: &PgPool,
    settings: &Settings,
    me: &SignedIn,
    cursor: Option<crate::domain::audit::EventCursor>,
    with_activity: bool,
) -> AppResult<(Vec<SessionInfo>, Option<Activity>)> {
    let account = me.account.id;
    let cutoff = absolute_cutoff(settings.session_absolute);
    db::run(pool, move |conn| {
        let sessions = db::sessions::list_live_for_account(conn, account, cutoff)?;
        let activity = if with_activity {
            Some(load_activity(conn, account, cursor)?)
        } else {
            None
        };
        Ok((sessions, activity))
    })
    .await
}

async fn render_page(
    pool: &PgPool,
    settings: &Settings,
    me: &SignedIn,
    name: &str,
    errors: &FormErrors,
    status: StatusCode,
    cursor: Option<crate::domain::audit::EventCursor>,
) -> AppResult<HttpResponse> {
    let account = me.account.id;
    let cutoff = absolute_cutoff(settings.session_absolute);
    let (sessions, account_id, activity) = db::run(pool, move |conn| {
        let sessions = db::sessions::list_live_for_account(conn, account, cutoff)?;
        let account_id = db::accounts::public_id_of(conn, account)?;
        Ok((sessions, account_id, load_activity(conn, account, cursor)?))
    })
    .await?;
    let sid = current_sid(me);
    crate::web::plumbing::htmx::render_status(
        status,
        &ProfilePage {
            layout: Layout::signed_in(me, "profile"),
            email: &me.account.email,
            name,
            errors,
            sessions: &sessions,
            current_sid: &sid,
            account_id: &account_id,
            activity: &activity,
        },
    )
}

pub async fn profile_show(
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    me: SignedIn,
    params: web::Query<ActivityParams>,
) -> AppResult<HttpResponse> {
    let name = me.account.display_name.clone();
    let cursor = crate::domain::audit::parse_cursor_key(&params.after)
        .map(|(at, id)| crate::domain::audit::EventCursor::Older(at, id));
    render_page(
        &pool,
        &settings,
        &me,
        &name,
        &FormErrors::default(),
        StatusCode::OK,
        cursor,
    )
    .await
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct NameForm {
    #[validate(length(max = 1000, message = "Name can be at most 100 characters."))]
    pub display_name: String,
}

pub async fn profile_name(
    wants: Wants,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    me: SignedIn,
    form: web::Form<NameForm>,
) -> AppResult<HttpResponse> {
    let mut errors = form
        .validate()
        .err()
        .map(|e| FormErrors::from_validation(&e))
        .unwrap_or_default();
    let parsed = errors.check("display_name", DisplayName::parse(&form.display_name));
    let Some(name) = parsed.filter(|_| errors.is_empty()) else {
        if wants.is_fragment() {
            let csrf = crate::web::plumbing::csrf::token(&me.session);
            return crate::web::plumbing::htmx::render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NameFragment {
                    name: &form.display_name,
                    errors: &errors,
                    csrf: &csrf,
                },
            );
        }
        return render_page(
            &pool,
            &settings,
            &me,
            &form.display_name,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    };
    let account = me.account.id;
    let saved = name.clone();
    db::run(&pool, move |conn| {
        services::auth::rename_account(conn, account, &saved)
    })
    .await?;
    if wants.is_fragment() {
        let csrf = crate::web::plumbing::csrf::token(&me.session);
        return fragment_with_toast(
            &NameFragment {
                name: name.as_str(),
                errors: &FormErrors::default(),
                csrf: &csrf,
            },
            "success",
            "Your name was saved.",
        );
    }
    flash(&me.session, "success", "Your name was saved.");
    Ok(see_other("/profile"))
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct PasswordForm {
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub current_password: String,
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub password: String,
    #[validate(length(max = 4096, message = "Use at most 1024 characters."))]
    pub password_confirm: String,
}

pub async fn profile_password(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    hashing: web::Data<Hashing>,
    me: SignedIn,
    form: web::Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let mut errors = form
        .validate()
        .err()
        .map(|e| FormErrors::from_validation(&e))
        .unwrap_or_default();
    let new_password = errors.new_password(&form.password, &form.password_confirm);
    if errors.is_empty() {
        let stored = me.account.password_hash.clone();
        let current = form.current_password.clone();
        // The current-password check spends the sign-in budget: a stolen
        // session must not become an unthrottled password oracle.
        let (email, ip) = (me.account.email.clone(), client_ip(&req));
        let buckets = limits::signins(&email, &ip);
        db::run(&pool, move |conn| limits::hit(conn, &buckets, 1)).await?;
        if hashing.verify(current, Some(stored)).await? {
            db::run(&pool, move |conn| {
                limits::signin_was_right(conn, &email, &ip)
            })
            .await?;
        } else {
            errors.add("current_password", "That is not your current password.");
        }
    }
    let Some(new_password) = new_password.filter(|_| errors.is_empty()) else {
        let name = me.account.display_name.clone();
        if wants.is_fragment() {
            let csrf = crate::web::plumbing::csrf::token(&me.session);
            return crate::web::plumbing::htmx::render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PasswordFragment {
                    errors: &errors,
                    csrf: &csrf,
                },
            );
        }
        return render_page(
            &pool,
            &settings,
            &me,
            &name,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    };
    let hash = hashing.hash(new_password).await?;
    let (account, sid) = (me.account.id, current_sid(&me));
    let ended = db::run(&pool, move |conn| {
        services::auth::change_password(conn, account, &hash, Some(&sid))
    })
    .await?;
    let message = match ended {
        0 => "Your password was changed.".to_owned(),
        1 => "Your password was changed and your 1 other session was signed out.".to_owned(),
        n => format!("Your password was changed and your {n} other sessions were signed out."),
    };
    flash(&me.session, "success", message);
    Ok(redirect(&req, "/profile"))
}

pub async fn session_end(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    me: SignedIn,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (id, account) = (path.into_inner(), me.account.id);
    let ended = db::run(&pool, move |conn| {
        services::auth::end_sessions(conn, account, Some(id))
    })
    .await?;
    if ended == 0 {
        return Err(AppError::NotFound);
    }
    let sessions = load_sessions(&pool, &settings, &me).await?;
    let sid = current_sid(&me);
    if !sessions
        .iter()
        .any(|s| s.sid.as_deref() == Some(sid.as_str()))
    {
        // That was this session.
        me.session.purge();
        return Ok(redirect(&req, "/signin"));
    }
    let csrf = crate::web::plumbing::csrf::token(&me.session);
    if wants.is_fragment() {
        return fragment_with_toast(
            &SessionsFragment {
                sessions: &sessions,
                current_sid: &sid,
                csrf: &csrf,
            },
            "success",
            "That session was signed out.",
        );
    }
    flash(&me.session, "success", "That session was signed out.");
    Ok(see_other("/profile"))
}

pub async fn sessions_end_all(pool: web::Data<PgPool>, me: SignedIn) -> AppResult<HttpResponse> {
    let account = me.account.id;
    db::run(&pool, move |conn| {
        services::auth::end_sessions(conn, account, None)
    })
    .await?;
    me.session.purge();
    crate::web::presence::signed_out(&pool, account).await;
    Ok(see_other("/signin"))
}
