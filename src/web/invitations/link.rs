//! "Copy link": a fresh invitation link shown once to the manager who asked
//! for it, as a fragment beside the pending row for htmx or a full page without
//! JavaScript. The link is not stored, listed, logged or cached anywhere.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;

use super::{links, member_id};
use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::error::AppResult;
use crate::services::invitations::lifecycle::{self, CopiedLink};
use crate::services::limits;
use crate::web::plumbing::context::{client_ip, Layout, OrgContext};
use crate::web::plumbing::htmx::page_or_fragment;

#[derive(Template)]
#[template(path = "fragments/invitations/_link.html")]
pub struct LinkFragment<'a> {
    pub member: i64,
    pub copied: &'a CopiedLink,
    pub expires: &'a str,
}

#[derive(Template)]
#[template(path = "pages/invitations/link.html")]
pub struct LinkPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub member: i64,
    pub copied: &'a CopiedLink,
    pub expires: &'a str,
}

pub async fn invitation_copy_link(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let member = member_id(&req)?;
    let (org, actor, links) = (ctx.org.id, ctx.actor, links(&settings));
    // A copied link is a resent invitation without the email: the same limits.
    let buckets = limits::resends(&settings.limits, org, actor.account_id, &client_ip(&req));
    let copied = db::run(&pool, move |conn| {
        limits::hit(conn, &buckets, 1)?;
        lifecycle::copy_link(conn, &actor, org, member, &links)
    })
    .await?;
    let expires = copied.expires_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut response = page_or_fragment(
        &req,
        StatusCode::OK,
        || LinkPage {
            layout: Layout::in_org(&ctx, "members"),
            org_id: org.0,
            member: member.0,
            copied: &copied,
            expires: &expires,
        },
        || LinkFragment {
            member: member.0,
            copied: &copied,
            expires: &expires,
        },
    )?;
    // Shown once: kept out of caches and of any referrer the page could send.
    let headers = response.headers_mut();
    headers.insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    headers.insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}
