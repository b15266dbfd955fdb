//! Bulk actions on selected members: the policy is applied row by row, each row
//! in its own transaction, and the result is shown per row.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;

use crate::db::{self, members as q, PgPool};
use crate::domain::{policy, MembershipId};
use crate::error::{AppError, AppResult};
use crate::services::members::{
    self as svc, GroupsPatch, MemberPatch, OrgRoleChoice, TeamRoleChoice,
};
use crate::web::context::{Layout, OrgContext};
use crate::web::forms::pairs;
use crate::web::htmx::{is_htmx, render_status};

/// The most rows one bulk action takes: one page of the list.
pub const MAX_BULK: usize = 50;

pub struct BulkResult {
    pub name: String,
    pub ok: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "fragments/members/_bulk_result.html")]
pub struct BulkFragment<'a> {
    pub results: &'a [BulkResult],
    pub summary: &'a str,
}

#[derive(Template)]
#[template(path = "pages/members/bulk.html")]
pub struct BulkPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub results: &'a [BulkResult],
    pub summary: &'a str,
}

fn patch_for(fields: &[(String, String)]) -> AppResult<MemberPatch> {
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let invalid = |m: &str| AppError::Validation(m.to_owned());
    let mut patch = MemberPatch::default();
    match get("action") {
        "set_role" => {
            patch.role =
                Some(OrgRoleChoice::parse(get("role")).ok_or_else(|| invalid("Choose a role."))?);
        }
        "add_team" => {
            let team = get("team").parse().map_err(|_| invalid("Choose a team."))?;
            let role = TeamRoleChoice::parse(get("team_role"))
                .ok_or_else(|| invalid("Choose a team role."))?;
            patch.teams.push((team, Some(role)));
        }
        "add_group" => {
            patch.groups = GroupsPatch::Add(
                get("group")
                    .parse()
                    .map_err(|_| invalid("Choose a group."))?,
            );
        }
        _ => return Err(invalid("Choose what to do with the selected members.")),
    }
    Ok(patch)
}

pub async fn members_bulk(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    // Each row's answer names the member: only someone who sees every member
    // may ask, or the endpoint would tell names to anyone holding ids.
    policy::check(&ctx.actor, policy::Action::ViewMembers)
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))?;
    let fields = pairs(&body);
    let ids = selected_ids(&fields)?;
    if fields.iter().any(|(k, v)| k == "action" && v == "revoke") {
        return crate::web::members_revoke_bulk::preview_selected(&req, &pool, &ctx, ids).await;
    }
    let patch = patch_for(&fields)?;
    let (org, actor) = (ctx.org.id, ctx.actor);
    let items = ids.into_iter().map(|id| (id, patch.clone())).collect();
    let results = db::run(&pool, move |conn| {
        each_member(conn, org, items, |conn, id, patch| {
            svc::update_member(conn, &actor, org, id, patch).map(|_| "Done.".to_owned())
        })
    })
    .await?;
    let done = results.iter().filter(|r| r.ok).count();
    let summary = format!("{done} of {} changed.", results.len());
    results_response(&req, &ctx, &results, &summary)
}

/// Applies `apply` to each selected member in turn (each call its own
/// transaction): its message, or the refusal, per member by name. Only an
/// unexpected error stops the loop.
pub fn each_member<T>(
    conn: &mut diesel::PgConnection,
    org: crate::domain::OrgId,
    items: Vec<(MembershipId, T)>,
    mut apply: impl FnMut(&mut diesel::PgConnection, MembershipId, T) -> AppResult<String>,
) -> AppResult<Vec<BulkResult>> {
    let mut results = Vec::with_capacity(items.len());
    for (id, item) in items {
        let Some(name) = q::find_row(conn, org, id)?.map(|(r, _)| r.base.display_name) else {
            results.push(BulkResult {
                name: format!("#{id}"),
                ok: false,
                message: "Not found.".into(),
            });
            continue;
        };
        let (ok, message) = match apply(conn, id, item) {
            Ok(message) => (true, message),
            Err(AppError::Unexpected(e)) => return Err(AppError::Unexpected(e)),
            Err(AppError::NotFound) => (false, "Not found.".to_owned()),
            Err(refused) => (false, refused.to_string()),
        };
        results.push(BulkResult { name, ok, message });
    }
    Ok(results)
}

/// The selected members' ids (`ids`), between one and [`MAX_BULK`].
pub fn selected_ids(fields: &[(String, String)]) -> AppResult<Vec<MembershipId>> {
    let ids: Vec<MembershipId> = fields
        .iter()
        .filter(|(k, _)| k == "ids")
        .map(|(_, v)| {
            v.parse()
                .map(MembershipId)
                .map_err(|_| AppError::Validation("Unknown member.".into()))
        })
        .collect::<AppResult<_>>()?;
    if ids.is_empty() {
        return Err(AppError::Validation("Select at least one member.".into()));
    }
    if ids.len() > MAX_BULK {
        return Err(AppError::Validation(format!(
            "Select at most {MAX_BULK} members at a time."
        )));
    }
    Ok(ids)
}

/// The result per member: a fragment that also reloads the table for htmx,
/// else a page.
pub fn results_response(
    req: &HttpRequest,
    ctx: &OrgContext,
    results: &[BulkResult],
    summary: &str,
) -> AppResult<HttpResponse> {
    if is_htmx(req) {
        let mut res = render_status(StatusCode::OK, &BulkFragment { results, summary })?;
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("hx-trigger"),
            actix_web::http::header::HeaderValue::from_static("members-changed"),
        );
        return Ok(res);
    }
    render_status(
        StatusCode::OK,
        &BulkPage {
            layout: Layout::in_org(ctx, "members"),
            org_id: ctx.org.id.0,
            results,
            summary,
        },
    )
}
