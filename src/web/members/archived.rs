//! The members page's Archived tab: who archived each member, when, and what
//! they held; Restore (a free seat needed) and Delete permanently (typed
//! confirmation).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::list::{MAX_SEARCH, PAGE_SIZE};
use super::revoke::{changed, member_id};
use crate::db::{self, members as q, offboarding as off, PgPool};
use crate::domain::{policy, MembershipStatus, OrgId, TeamRole};
use crate::error::{AppError, AppResult};
use crate::services::members::lifecycle::{self as svc, Restore};
use crate::web::plumbing::context::{Layout, OrgContext};
use crate::web::plumbing::htmx::{page_or_fragment, Wants};

/// An archived member as the tab shows them.
pub struct ArchivedRow {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role_label: String,
    pub archived_by: String,
    pub archived_at: String,
    /// "Team · team role" for each team they held.
    pub teams: Vec<String>,
    pub groups: Vec<String>,
    pub restore_denied: Option<&'static str>,
    pub delete_denied: Option<&'static str>,
}

pub struct ArchivedList {
    pub rows: Vec<ArchivedRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
    pub q: String,
    pub error: Option<String>,
}

impl ArchivedList {
    pub fn href(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            url.append_pair("q", &self.q);
        }
        url.append_pair("page", &page.borrow().to_string());
        url.finish()
    }
}

/// An archived member as the policy sees them (never active, so never the
/// last active Owner).
pub(crate) fn target_of(row: &q::MemberRow) -> policy::Target {
    super::view::target_of(row, 0)
}

fn role_label(row: &q::MemberRow) -> String {
    match &row.custom_role_name {
        Some(name) => format!("{name} (custom)"),
        None => row.role.label().to_owned(),
    }
}

fn archived_row(
    row: &q::MemberRow,
    archive: Option<&off::Archive>,
    actor: &policy::Actor,
) -> ArchivedRow {
    let held = archive.map(off::Archive::held).unwrap_or_default();
    let target = target_of(row);
    let reason = |action| policy::check(actor, action).err().map(|d| d.0);
    ArchivedRow {
        id: row.id,
        name: row.display_name.clone(),
        email: row.email.clone(),
        role_label: role_label(row),
        archived_by: archive.map_or("—".into(), |a| a.archived_by_name.clone()),
        archived_at: archive.map_or("—".into(), |a| {
            a.archived_at.format("%Y-%m-%d %H:%M").to_string()
        }),
        teams: held
            .teams
            .iter()
            .map(|t| {
                let role = match (t.role, &t.custom_role_name) {
                    (TeamRole::Custom, Some(name)) => name.clone(),
                    (r, _) => r.label().to_owned(),
                };
                format!("{} · {role}", t.name)
            })
            .collect(),
        groups: held
            .teams
            .iter()
            .flat_map(|t| {
                t.groups
                    .iter()
                    .map(move |g| format!("{} ({})", g.name, t.name))
            })
            .collect(),
        restore_denied: reason(policy::Action::RestoreMember(target)),
        delete_denied: reason(policy::Action::DeleteMember(target)),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ArchivedQuery {
    pub q: String,
    pub page: String,
}

/// One page of archived members with their archives: three statements
/// whatever the page size (the list's two, see [`q::list_page`], and the
/// page's archives).
fn load(
    conn: &mut diesel::PgConnection,
    org: OrgId,
    actor: &policy::Actor,
    search: &str,
    page: i64,
    counts: &q::SearchCounts,
) -> AppResult<ArchivedList> {
    let filter = q::MemberFilter {
        search: (!search.is_empty()).then(|| search.to_lowercase()),
        status: Some(MembershipStatus::Archived),
        ..q::MemberFilter::default()
    };
    let listed = q::list_page(
        conn,
        org,
        &filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
        None,
        counts,
    )?;
    let ids: Vec<i64> = listed.rows.iter().map(|r| r.id).collect();
    let archives = off::archives_of(conn, org, &ids)?;
    Ok(ArchivedList {
        rows: listed
            .rows
            .iter()
            .map(|r| {
                let archive = archives.iter().find(|a| a.membership_id == r.id);
                archived_row(r, archive, actor)
            })
            .collect(),
        total: listed.total,
        page,
        pages: ((listed.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        q: search.to_owned(),
        error: None,
    })
}

#[derive(Template)]
#[template(path = "fragments/members/_archived.html")]
pub struct ArchivedFragment<'a> {
    pub org_id: i64,
    pub list: &'a ArchivedList,
    pub seats: i32,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "pages/members/archived.html")]
pub struct ArchivedPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub list: &'a ArchivedList,
    pub seats: i32,
    /// A refusal shown above the list (a restore without a free seat).
    pub notice: Option<&'a Notice>,
}

/// Why a restore could not happen, with the way on.
pub struct Notice {
    pub message: String,
    pub seats_link: bool,
}

#[derive(Template)]
#[template(path = "fragments/members/_notice.html")]
pub struct NoticeFragment<'a> {
    pub org_id: i64,
    pub notice: &'a Notice,
}

fn sees_all(ctx: &OrgContext) -> AppResult<()> {
    policy::check(&ctx.actor, policy::Action::ViewMembers)
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))
}

async fn archived_page(
    wants: Wants,
    pool: &PgPool,
    counts: web::Data<q::SearchCounts>,
    ctx: &OrgContext,
    query: &ArchivedQuery,
    status: StatusCode,
    notice: Option<&Notice>,
) -> AppResult<HttpResponse> {
    sees_all(ctx)?;
    let page = query
        .page
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let (org, actor) = (ctx.org.id, ctx.actor);
    let (list, status) = match crate::domain::SearchText::parse(&query.q, MAX_SEARCH) {
        Ok(search) => {
            let search = search.into_string();
            let list = db::run(pool, move |conn| {
                load(conn, org, &actor, &search, page, &counts)
            })
            .await?;
            (list, status)
        }
        Err(crate::domain::Invalid(message)) => (
            ArchivedList {
                rows: Vec::new(),
                total: 0,
                page: 1,
                pages: 1,
                q: String::new(),
                error: Some(message),
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let layout = Layout::in_org(ctx, "members");
    let csrf = layout.csrf.clone();
    let seats = ctx.org.seats_purchased;
    page_or_fragment(
        wants,
        status,
        || ArchivedPage {
            layout,
            org_id: org.0,
            list: &list,
            seats,
            notice,
        },
        || ArchivedFragment {
            org_id: org.0,
            list: &list,
            seats,
            csrf: &csrf,
        },
    )
}

pub async fn members_archived(
    wants: Wants,
    pool: web::Data<PgPool>,
    counts: web::Data<q::SearchCounts>,
    ctx: OrgContext,
    query: web::Query<ArchivedQuery>,
) -> AppResult<HttpResponse> {
    archived_page(wants, &pool, counts, &ctx, &query, StatusCode::OK, None).await
}

pub async fn members_restore(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    counts: web::Data<q::SearchCounts>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let member = member_id(&req)?;
    policy::check(&ctx.actor, policy::Action::ViewMembers).map_err(|_| AppError::NotFound)?;
    let (org, actor) = (ctx.org.id, ctx.actor);
    let restored = db::run(&pool, move |conn| svc::restore(conn, &actor, org, member)).await?;
    let back = format!("/orgs/{org}/members/archived");
    match restored {
        Restore::Restored { name, skipped } => {
            let mut message =
                format!("{name} is restored with their role, permissions, teams and groups.");
            if !skipped.is_empty() {
                message.push_str(&format!(
                    " Skipped, as deleted meanwhile: {}.",
                    skipped.join(", ")
                ));
            }
            changed(wants, &ctx, &message, &back)
        }
        Restore::NoSeat { name, purchased } => {
            let notice = Notice {
                message: svc::no_seat_message(&name, purchased),
                seats_link: true,
            };
            if wants.is_fragment() {
                return crate::web::plumbing::htmx::render_status(
                    StatusCode::CONFLICT,
                    &NoticeFragment {
                        org_id: org.0,
                        notice: &notice,
                    },
                );
            }
            let query = ArchivedQuery::default();
            archived_page(
                wants,
                &pool,
                counts,
                &ctx,
                &query,
                StatusCode::CONFLICT,
                Some(&notice),
            )
            .await
        }
    }
}
