//! Assigning contacts on the Contacts tab: one from its row, or the selected
//! rows at once (one transaction, a result per row).

use actix_web::{http::StatusCode, web, HttpResponse};
use validator::Validate;

use super::state::{parse_assign_to, AssignForm, ListQuery, ListState};
use super::view::{list_html, render_assign, render_list, worker, BulkLine, BulkView, Shown};
use super::{load, load_one, on, only_row, row_done, ContactPath};
use crate::db::{self, PgPool};
use crate::domain::{policy::TeamAction, ContactId};
use crate::error::{AppError, AppResult};
use crate::services::contacts::{self as svc, AssignOutcome, Assigned, MAX_BULK};
use crate::web::plumbing::context::TeamContext;
use crate::web::plumbing::forms::parse_form;
use crate::web::plumbing::htmx::{render_status, Wants};
use crate::web::teams::groups::allow_change;

/// One line of what an assignment did, in words.
fn assigned_message(a: &Assigned, to: Option<&str>) -> (bool, String) {
    match (a.outcome, to) {
        (None, _) => (false, "Not found.".into()),
        (Some(AssignOutcome::Changed), Some(to)) => (true, format!("Assigned to {to}.")),
        (Some(AssignOutcome::Changed), None) => (true, "Unassigned.".into()),
        (Some(AssignOutcome::Unchanged), Some(to)) => {
            (true, format!("Already assigned to {to}; unchanged."))
        }
        (Some(AssignOutcome::Unchanged), None) => (true, "Already unassigned; unchanged.".into()),
    }
}

/// The form that picks a contact's assignee among the team's members: opened
/// in its row for htmx, on its own page otherwise.
pub async fn contacts_assign_form(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ContactPath>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    let state = ListState::parse(&query);
    let view = load_one(&pool, &tctx, ContactId(path.contact)).await?;
    allow_change(&tctx, TeamAction::AssignContacts)?;
    render_assign(wants, &tctx, &state, &view, only_row(&view)?)
}

pub async fn contacts_assign(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ContactPath>,
    form: web::Form<AssignForm>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    allow_change(&tctx, TeamAction::AssignContacts)?;
    let id = ContactId(path.contact);
    let state = ListState::from_query_string(&form.state);
    let to = form
        .validate()
        .ok()
        .and_then(|_| parse_assign_to(&form.assignee).ok())
        .ok_or_else(|| {
            AppError::Validation("Choose a member of this team, or Unassigned.".into())
        })?;
    let (w, org, team) = (worker(&tctx), tctx.ctx.org.clone(), tctx.team.id);
    let (results, to_name) = db::run(&pool, move |conn| {
        svc::assign(conn, &w, &org, team, &[id], to)
    })
    .await?;
    let done = results.first().ok_or(AppError::NotFound)?;
    if done.outcome.is_none() {
        return Err(AppError::NotFound);
    }
    let (_, what) = assigned_message(done, to_name.as_deref());
    let message = format!("{}: {what}", done.name);
    row_done(wants, &pool, &tctx, &state, id, message).await
}

/// The bulk bar of the Contacts tab as sent: the selected contacts (`ids`),
/// the action and its assignee, and the list's state to come back to.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ContactsBulkForm {
    ids: Vec<String>,
    action: String,
    assignee: String,
    state: String,
}

/// Assigns or unassigns the selected contacts, all in one transaction, and
/// shows what became of each.
pub async fn contacts_bulk(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    allow_change(&tctx, TeamAction::AssignContacts)?;
    let form: ContactsBulkForm = parse_form(&body)?;
    let invalid = |m: &str| AppError::Validation(m.to_owned());
    let ids: Vec<ContactId> = form
        .ids
        .iter()
        .map(|v| v.trim().parse().map(ContactId))
        .collect::<Result<_, _>>()
        .map_err(|_| invalid("Select contacts from the list."))?;
    if ids.is_empty() {
        return Err(invalid("Select at least one contact."));
    }
    if ids.len() > MAX_BULK {
        return Err(invalid(&format!(
            "Select at most {MAX_BULK} contacts at a time."
        )));
    }
    let to = match form.action.as_str() {
        "assign" => match parse_assign_to(&form.assignee) {
            Ok(Some(member)) => Some(member),
            _ => {
                return Err(invalid(
                    "Choose the member to assign the selected contacts to.",
                ))
            }
        },
        "unassign" => None,
        _ => return Err(invalid("Choose what to do with the selected contacts.")),
    };
    let state = ListState::from_query_string(&form.state);
    let (w, org, team) = (worker(&tctx), tctx.ctx.org.clone(), tctx.team.id);
    let (results, to_name) = db::run(&pool, move |conn| {
        svc::assign(conn, &w, &org, team, &ids, to)
    })
    .await?;
    let lines: Vec<BulkLine> = results
        .iter()
        .map(|a| {
            let (ok, message) = assigned_message(a, to_name.as_deref());
            BulkLine {
                name: a.name.clone(),
                ok,
                message,
            }
        })
        .collect();
    let changed = results
        .iter()
        .filter(|a| a.outcome == Some(AssignOutcome::Changed))
        .count();
    let bulk = BulkView {
        summary: format!("{changed} of {} contacts changed.", results.len()),
        lines,
    };
    let view = load(&pool, &tctx, &state).await?;
    if wants.is_fragment() {
        return render_status(
            StatusCode::OK,
            &list_html(&tctx, &state, &view, Some(&bulk)),
        );
    }
    let shown = Shown {
        form: None,
        bulk: Some(&bulk),
    };
    render_list(wants, &tctx, (&state, &view), shown, StatusCode::OK)
}
