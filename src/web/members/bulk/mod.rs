//! Bulk actions on selected members: the policy is applied row by row, each row
//! in its own transaction, and the result is shown per row.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;

use super::list::{ListQuery, ListState};
use crate::db::{self, members as q, PgPool};
use crate::domain::{policy, MembershipId};
use crate::error::{AppError, AppResult};
use crate::services::members as svc;
use crate::web::plumbing::context::{Layout, OrgContext};
use crate::web::plumbing::forms::pairs;
use crate::web::plumbing::htmx::{is_htmx, render_status};
use change::{what_changes, Change, Names};

mod change;

/// The most rows one bulk action takes: one page of the list.
pub const MAX_BULK: usize = 50;

/// The most members "every member matching this filter" takes at once.
pub const MAX_MATCHING: usize = 10_000;

pub struct BulkResult {
    pub name: String,
    pub ok: bool,
    /// Allowed, but the member already had what was asked.
    pub unchanged: bool,
    pub message: String,
}

/// What applying the action to one member did, in words.
pub struct Applied {
    pub message: String,
    pub unchanged: bool,
}

impl Applied {
    pub fn changed(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            unchanged: false,
        }
    }
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

pub(crate) fn get<'a>(fields: &'a [(String, String)], key: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

pub(crate) fn invalid(message: &str) -> AppError {
    AppError::Validation(message.to_owned())
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
    let ids = if get(&fields, "matching") != "all" {
        selected_ids(&fields)?
    } else {
        matching_ids(&pool, &ctx, &fields).await?
    };
    if get(&fields, "action") == "revoke" {
        if ids.len() > MAX_BULK {
            return Err(AppError::Validation(format!(
                "Revoking asks about each member's contacts: select at most {MAX_BULK} members at a time, not {}.",
                ids.len()
            )));
        }
        return super::revoke_bulk::preview_selected(&req, &pool, &ctx, ids).await;
    }
    let change = Change::parse(&fields)?;
    let (org, actor) = (ctx.org.id, ctx.actor);
    let items = ids.into_iter().map(|id| (id, change)).collect();
    let results = db::run(&pool, move |conn| {
        let names = Names::load(conn, org, change)?;
        each_member(conn, org, items, |conn, before, change| {
            let applied = what_changes(before, change, &names);
            let id = MembershipId(before.id);
            svc::update_member(conn, &actor, org, id, change.patch()).map(|_| applied)
        })
    })
    .await?;
    // Refusals first: in a list of hundreds they are what needs reading.
    let mut results = results;
    results.sort_by_key(|r| r.ok);
    results_response(&req, &ctx, &results, &summary(&results, "changed"))
}

/// "3 of 5 changed; 1 unchanged; 1 refused."
pub fn summary(results: &[BulkResult], verb: &str) -> String {
    let changed = results.iter().filter(|r| r.ok && !r.unchanged).count();
    let unchanged = results.iter().filter(|r| r.ok && r.unchanged).count();
    let refused = results.iter().filter(|r| !r.ok).count();
    let mut out = format!("{changed} of {} {verb}", results.len());
    if unchanged > 0 {
        out.push_str(&format!("; {unchanged} unchanged"));
    }
    if refused > 0 {
        out.push_str(&format!("; {refused} refused"));
    }
    out.push('.');
    out
}

/// Every member the bulk bar's "Select all N matching" (`matching=all`) names:
/// its filter (`matching_filter`, the list's query string) run again here, refused past
/// [`MAX_MATCHING`] or when it no longer matches the `matching_total` the
/// confirmation showed.
async fn matching_ids(
    pool: &PgPool,
    ctx: &OrgContext,
    fields: &[(String, String)],
) -> AppResult<Vec<MembershipId>> {
    let query = web::Query::<ListQuery>::from_query(get(fields, "matching_filter"))
        .map_err(|_| invalid("That filter cannot be read: reload the list and try again."))?;
    let state = ListState::parse(&query);
    if let Some(message) = state.error {
        return Err(AppError::Validation(message));
    }
    let (org, filter) = (ctx.org.id, state.list_filter());
    let limit = MAX_MATCHING as i64 + 1;
    let ids = db::run(pool, move |conn| {
        Ok(q::ids_matching(conn, org, &filter, limit)?)
    })
    .await?;
    if ids.len() > MAX_MATCHING {
        return Err(invalid(
            "This filter matches more than 10,000 members; at most 10,000 at a time. \
             Narrow the search or the filters. Nobody was changed.",
        ));
    }
    if ids.is_empty() {
        return Err(invalid(
            "No members match this filter any more. Nobody was changed.",
        ));
    }
    match get(fields, "matching_total").parse::<usize>() {
        Ok(shown) if shown != ids.len() => Err(AppError::Conflict(format!(
            "The list changed: this filter now matches {} members, not {shown}. \
             Reload the list and try again. Nobody was changed.",
            ids.len()
        ))),
        _ => Ok(ids),
    }
}

/// Applies `apply` to each selected member in turn (each call its own
/// transaction), given the member's row as it was: what it did, or the
/// refusal, per member by name. Only an unexpected error stops the loop.
pub fn each_member<T>(
    conn: &mut diesel::PgConnection,
    org: crate::domain::OrgId,
    items: Vec<(MembershipId, T)>,
    mut apply: impl FnMut(&mut diesel::PgConnection, &q::MemberRow, T) -> AppResult<Applied>,
) -> AppResult<Vec<BulkResult>> {
    let mut results = Vec::with_capacity(items.len());
    for (id, item) in items {
        let Some((before, _)) = q::find_row(conn, org, id)? else {
            results.push(BulkResult {
                name: format!("#{id}"),
                ok: false,
                unchanged: false,
                message: "Not found.".into(),
            });
            continue;
        };
        let (ok, applied) = match apply(conn, &before, item) {
            Ok(applied) => (true, applied),
            Err(AppError::Unexpected(e)) => return Err(AppError::Unexpected(e)),
            Err(AppError::NotFound) => (false, Applied::changed("Not found.")),
            Err(refused) => (false, Applied::changed(refused.to_string())),
        };
        results.push(BulkResult {
            name: before.base.display_name,
            ok,
            unchanged: applied.unchanged,
            message: applied.message,
        });
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
