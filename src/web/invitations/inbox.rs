//! A signed-in account's own invitations: the list on `/invitations` (where an
//! account without an organization lands) and the banner on its organization
//! home, each with Accept and Decline. Another account's invitation is a 404.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::db::{self, PgPool};
use crate::domain::{AccountId, OrgRole};
use crate::error::{AppError, AppResult};
use crate::services::invitations::inbox::{self, OpenInvitation};
use crate::web::plumbing::context::{flash, Layout, SignedIn};
use crate::web::plumbing::htmx::{redirect, Wants};

/// One open invitation as the banner and the list show it.
pub struct InboxItem {
    pub id: i64,
    pub org_name: String,
    pub inviter: String,
    pub role: &'static str,
    /// The teams it puts them in, joined for reading ("Sales, Support").
    pub teams: String,
    pub expires: String,
}

impl From<OpenInvitation> for InboxItem {
    fn from(inv: OpenInvitation) -> Self {
        Self {
            id: inv.id,
            org_name: inv.org_name,
            inviter: inv.inviter.unwrap_or_else(|| "An administrator".into()),
            role: OrgRole::parse(&inv.role).map_or("Member", OrgRole::label),
            teams: inv.teams.join(", "),
            expires: inv.expires_at.format("%Y-%m-%d").to_string(),
        }
    }
}

/// The account's open invitations, for the banner or the list.
pub async fn open_items(pool: &PgPool, account: AccountId) -> AppResult<Vec<InboxItem>> {
    let open = db::run(pool, move |conn| inbox::list_open(conn, account)).await?;
    Ok(open.into_iter().map(InboxItem::from).collect())
}

#[derive(Template)]
#[template(path = "pages/invitations/inbox.html")]
pub struct InboxPage {
    pub layout: Layout,
    pub invitations: Vec<InboxItem>,
}

pub async fn invitations_index(pool: web::Data<PgPool>, me: SignedIn) -> AppResult<HttpResponse> {
    let invitations = open_items(&pool, me.account.id).await?;
    crate::web::plumbing::htmx::render(&InboxPage {
        layout: Layout::signed_in(&me, "invitations"),
        invitations,
    })
}

/// The invitee's two answers.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Accept,
    Decline,
}

/// Accepts (landing in the organization) or declines (back home); a
/// finished or expired invitation goes back to the list with why; a missing
/// or someone else's one is the error page's 404.
async fn answer(
    wants: Wants,
    pool: &PgPool,
    me: &SignedIn,
    path: &str,
    answer: Answer,
) -> AppResult<HttpResponse> {
    let account = me.account.id;
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let result = db::run(pool, move |conn| match answer {
        Answer::Accept => inbox::accept(conn, account, id),
        Answer::Decline => inbox::decline(conn, account, id),
    })
    .await;
    let (message, to) = match (result, answer) {
        (Ok(a), Answer::Accept) => (
            format!(
                "Welcome to {}: you joined as {}.",
                a.org_name,
                a.role.label()
            ),
            format!("/orgs/{}", a.org),
        ),
        (Ok(a), Answer::Decline) => (
            format!("You declined the invitation to {}.", a.org_name),
            "/".to_owned(),
        ),
        (Err(AppError::Conflict(message)), _) => {
            flash(&me.session, "error", message);
            return Ok(redirect(wants, "/invitations"));
        }
        (Err(other), _) => return Err(other),
    };
    flash(&me.session, "success", message);
    Ok(redirect(wants, &to))
}

pub async fn invitation_accept(
    wants: Wants,
    pool: web::Data<PgPool>,
    me: SignedIn,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    answer(wants, &pool, &me, &path, Answer::Accept).await
}

pub async fn invitation_decline(
    wants: Wants,
    pool: web::Data<PgPool>,
    me: SignedIn,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    answer(wants, &pool, &me, &path, Answer::Decline).await
}
