//! Deleting an archived member for good: the dialog with its irreversible
//! warning and the typed confirmation (their email), and the delete itself.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::archived::target_of;
use super::revoke::{changed, member_id};
use crate::db::{self, members as q, PgPool};
use crate::domain::{policy, MembershipId, MembershipStatus};
use crate::error::{AppError, AppResult};
use crate::services::members::lifecycle as svc;
use crate::web::plumbing::context::{Layout, OrgContext};
use crate::web::plumbing::htmx::{org_page_or_fragment, Wants};

/// The delete dialog's content for one archived member.
pub struct DeleteView {
    pub member_id: i64,
    pub name: String,
    pub email: String,
    pub typed: String,
    pub refused: Option<&'static str>,
    pub error: Option<String>,
    pub seats: i32,
}

#[derive(Template)]
#[template(path = "fragments/members/_delete.html")]
pub struct DeleteFragment<'a> {
    pub org_id: i64,
    pub v: &'a DeleteView,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "pages/members/delete.html")]
pub struct DeletePage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub v: &'a DeleteView,
}

async fn delete_view(
    pool: &PgPool,
    ctx: &OrgContext,
    member: MembershipId,
) -> AppResult<DeleteView> {
    policy::check(&ctx.actor, policy::Action::ViewMembers).map_err(|_| AppError::NotFound)?;
    let (org, actor) = (ctx.org.id, ctx.actor);
    let (row, _) = db::run(pool, move |conn| {
        q::find_row(conn, org, member)?.ok_or(AppError::NotFound)
    })
    .await?;
    if row.status != MembershipStatus::Archived {
        return Err(AppError::Conflict(format!(
            "Revoke {}'s access first: only archived members can be deleted.",
            row.display_name
        )));
    }
    Ok(DeleteView {
        member_id: row.id,
        refused: policy::check(&actor, policy::Action::DeleteMember(target_of(&row)))
            .err()
            .map(|d| d.0),
        name: row.base.display_name,
        email: row.base.email,
        typed: String::new(),
        error: None,
        seats: ctx.org.seats_purchased,
    })
}

fn render_delete(
    wants: Wants,
    ctx: &OrgContext,
    status: StatusCode,
    v: &DeleteView,
) -> AppResult<HttpResponse> {
    let org_id = ctx.org.id.0;
    org_page_or_fragment(
        wants,
        ctx,
        "members",
        status,
        |layout| DeletePage { layout, org_id, v },
        |csrf| DeleteFragment { org_id, v, csrf }.render(),
    )
}

pub async fn members_delete_form(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let v = delete_view(&pool, &ctx, member_id(&req)?).await?;
    render_delete(wants, &ctx, StatusCode::OK, &v)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeleteForm {
    pub confirm: String,
}

pub async fn members_delete(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    form: web::Form<DeleteForm>,
) -> AppResult<HttpResponse> {
    let member = member_id(&req)?;
    policy::check(&ctx.actor, policy::Action::ViewMembers).map_err(|_| AppError::NotFound)?;
    let (org, actor) = (ctx.org.id, ctx.actor);
    // The typed text is compared, never stored or echoed beyond the form.
    let typed: String = form.confirm.chars().take(300).collect();
    let attempt = typed.clone();
    let deleted = db::run(&pool, move |conn| {
        svc::delete(conn, &actor, org, member, &attempt)
    })
    .await;
    match deleted {
        Ok(d) => {
            let message = format!(
                "{} is deleted for good{}. Their seat is free for someone else; the organization still has {} seats purchased (change that under Plan & seats).",
                d.name,
                if d.account_removed { ", with their account" } else { "" },
                ctx.org.seats_purchased
            );
            changed(
                wants,
                &ctx,
                &message,
                &format!("/orgs/{org}/members/archived"),
            )
        }
        Err(AppError::Validation(message)) => {
            let mut v = delete_view(&pool, &ctx, member).await?;
            v.error = Some(message);
            v.typed = typed;
            render_delete(wants, &ctx, StatusCode::UNPROCESSABLE_ENTITY, &v)
        }
        Err(other) => Err(other),
    }
}
