//! Bulk actions on selected members: the service applies the change member by
//! member and says what it did to each; this renders the results.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use super::forms::{BulkAction, BulkForm, Selection, MAX_BULK};
use super::list::{ListQuery, ListState};
use crate::db::{self, members as q, PgPool};
use crate::domain::{policy, MembershipId};
use crate::error::{AppError, AppResult};
use crate::services::members::bulk::{self as svc, MemberOutcome, Outcome};
use crate::web::plumbing::context::{Layout, OrgContext};
use crate::web::plumbing::forms::HtmlForm;
use crate::web::plumbing::htmx::{render_status, HxEvent, Wants};

/// The most members "every member matching this filter" takes at once.
pub const MAX_MATCHING: usize = 10_000;

/// One member's result as the list of results shows it.
pub struct BulkResult {
    pub name: String,
    pub ok: bool,
    /// Allowed, but the member already had what was asked.
    pub unchanged: bool,
    pub message: String,
}

impl From<MemberOutcome> for BulkResult {
    fn from(m: MemberOutcome) -> Self {
        let (ok, unchanged, message) = match m.outcome {
            Outcome::Changed(message) => (true, false, message),
            Outcome::Unchanged(message) => (true, true, message),
            Outcome::Refused(message) => (false, false, message),
        };
        Self {
            name: m.name,
            ok,
            unchanged,
            message,
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

pub async fn members_bulk(
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    HtmlForm(form): HtmlForm<BulkForm>,
) -> AppResult<HttpResponse> {
    // Each row's answer names the member: only someone who sees every member
    // may ask, or the endpoint would tell names to anyone holding ids.
    policy::check(&ctx.actor, policy::Action::ViewMembers)
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))?;
    let ids = match form.selection()? {
        Selection::Ids(ids) => ids,
        Selection::Matching { filter, total } => matching_ids(&pool, &ctx, &filter, total).await?,
    };
    let change = match form.action()? {
        BulkAction::Revoke if ids.len() > MAX_BULK => {
            return Err(AppError::Validation(format!(
                "Revoking asks about each member's contacts: select at most {MAX_BULK} members at a time, not {}.",
                ids.len()
            )));
        }
        BulkAction::Revoke => {
            return super::revoke_bulk::preview_selected(wants, &pool, &ctx, ids).await
        }
        BulkAction::Change(change) => change,
    };
    let (org, actor) = (ctx.org.id, ctx.actor);
    let mut outcomes = db::run(&pool, move |conn| {
        svc::change_each(conn, &actor, org, change, ids)
    })
    .await?;
    // Refusals first: in a list of hundreds they are what needs reading.
    outcomes.sort_by_key(|o| !matches!(o.outcome, Outcome::Refused(_)));
    results_response(wants, &ctx, outcomes, "changed")
}

/// "3 of 5 changed; 1 unchanged; 1 refused."
fn summary(results: &[BulkResult], verb: &str) -> String {
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

/// Every member the bulk bar's "Select all N matching" names: its filter (the
/// list's query string) run again here, refused past [`MAX_MATCHING`] or when
/// it no longer matches the `total` the confirmation showed.
async fn matching_ids(
    pool: &PgPool,
    ctx: &OrgContext,
    filter: &str,
    total: Option<usize>,
) -> AppResult<Vec<MembershipId>> {
    let invalid = |message: &str| AppError::Validation(message.to_owned());
    let query = web::Query::<ListQuery>::from_query(filter)
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
    match total {
        Some(shown) if shown != ids.len() => Err(AppError::Conflict(format!(
            "The list changed: this filter now matches {} members, not {shown}. \
             Reload the list and try again. Nobody was changed.",
            ids.len()
        ))),
        _ => Ok(ids),
    }
}

/// The result per member, summed up with `verb`: a fragment that also reloads
/// the table for htmx, else a page.
pub fn results_response(
    wants: Wants,
    ctx: &OrgContext,
    outcomes: Vec<MemberOutcome>,
    verb: &str,
) -> AppResult<HttpResponse> {
    let results: Vec<BulkResult> = outcomes.into_iter().map(BulkResult::from).collect();
    let summary = &summary(&results, verb);
    let results = &results[..];
    if wants.is_fragment() {
        let res = render_status(StatusCode::OK, &BulkFragment { results, summary })?;
        return Ok(HxEvent::MembersChanged.announce(res));
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
