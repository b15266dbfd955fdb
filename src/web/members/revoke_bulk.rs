//! Revoking a selection of members from the bulk bar: one dialog shows what
//! each of them holds with a contacts choice per team, and its confirm revokes
//! them one by one, each in its own transaction, with a result per member.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use super::bulk::results_response;
use super::forms::SelectedForm;
use super::revoke::{parse_handovers, revoked_message, RevokeView};
use crate::db::{self, PgPool};
use crate::domain::{policy, MembershipId};
use crate::error::{AppError, AppResult};
use crate::services::members::bulk::{each_member, Outcome};
use crate::services::members::lifecycle::{self as svc, Handovers};
use crate::web::plumbing::context::{Layout, OrgContext};
use crate::web::plumbing::forms::{pairs, parse_form};
use crate::web::plumbing::htmx::{page_or_fragment, Wants};

#[derive(Template)]
#[template(path = "fragments/members/_revoke_selected.html")]
pub struct SelectedFragment<'a> {
    pub org_id: i64,
    pub views: &'a [RevokeView],
    pub allowed: usize,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "pages/members/revoke_selected.html")]
pub struct SelectedPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub views: &'a [RevokeView],
    pub allowed: usize,
}

/// The bulk bar's "Revoke from the organization": what each selected member
/// holds, before anything changes.
pub async fn preview_selected(
    wants: Wants,
    pool: &PgPool,
    ctx: &OrgContext,
    ids: Vec<MembershipId>,
) -> AppResult<HttpResponse> {
    let (org, actor) = (ctx.org.id, ctx.actor);
    let views = db::run(pool, move |conn| {
        let mut views = Vec::with_capacity(ids.len());
        for id in ids {
            match svc::preview(conn, &actor, org, id) {
                Ok(p) => views.push(RevokeView::new(org.0, p, &Handovers::default(), true)),
                Err(AppError::NotFound) => continue,
                Err(other) => return Err(other),
            }
        }
        Ok(views)
    })
    .await?;
    let allowed = views.iter().filter(|v| v.refused.is_none()).count();
    let layout = Layout::in_org(ctx, "members");
    let csrf = layout.csrf.clone();
    page_or_fragment(
        wants,
        StatusCode::OK,
        || SelectedPage {
            layout,
            org_id: org.0,
            views: &views,
            allowed,
        },
        || SelectedFragment {
            org_id: org.0,
            views: &views,
            allowed,
            csrf: &csrf,
        },
    )
}

pub async fn members_revoke_selected(
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    policy::check(&ctx.actor, policy::Action::ViewMembers)
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))?;
    let ids = parse_form::<SelectedForm>(&body)?.ids()?;
    // Each member's contacts choice is named after them and their teams
    // (`m<member>_contacts_<team>`): read by prefix, as one member's revoke reads it.
    let fields = pairs(&body);
    let mut choices = Vec::with_capacity(ids.len());
    for id in &ids {
        let handovers =
            parse_handovers(&fields, &format!("m{id}_")).map_err(AppError::Validation)?;
        choices.push((*id, handovers));
    }
    let (org, actor) = (ctx.org.id, ctx.actor);
    let outcomes = db::run(&pool, move |conn| {
        each_member(conn, org, choices, |conn, id, handovers| {
            svc::revoke(conn, &actor, org, id, &handovers)
                .map(|r| Outcome::Changed(revoked_message(&r)))
        })
    })
    .await?;
    results_response(wants, &ctx, outcomes, "revoked")
}
