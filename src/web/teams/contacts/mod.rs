//! The Contacts tab of a team: the list (search, assignee filter, keyset pages
//! kept in the URL), create, edit (inline with htmx, or on its own page), delete
//! after a confirmation page, assign / unassign / reassign one contact from its
//! row, and the same for the selected rows at once. While the organization has
//! the module off, every route here answers that it is switched off (403).
//! Who may do what is the policy's (`TeamAction::*Contact*`); the use cases
//! ask it again about each contact as it is, inside their transaction.

mod state;
mod view;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use validator::Validate;

use crate::db::{self, PgPool};
use crate::domain::{policy::TeamAction, ContactId};
use crate::error::{AppError, AppResult};
use crate::services::contacts::{
    self as svc, AssignOutcome, Assigned, ContactsView, CONTACTS_OFF, MAX_BULK,
};
use crate::web::context::{flash, TeamContext};
use crate::web::forms::{pairs, FormErrors};
use crate::web::groups::allow_change;
use crate::web::htmx::{fragment_with_toast, is_htmx, redirect, render_status, see_other};
use state::{parse_assign_to, AssignForm, ContactForm, ListQuery, ListState};
use view::{
    create_html, list_html, list_url, render_delete, render_edit, render_list, render_off,
    row_html, worker, BulkLine, BulkView, Shown,
};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/orgs/{org}/teams/{team}/contacts",
        web::get().to(contacts_index),
    )
    .route(
        "/orgs/{org}/teams/{team}/contacts",
        web::post().to(contacts_create),
    )
    // Before `{contact}`, which would otherwise take "bulk" for an id.
    .route(
        "/orgs/{org}/teams/{team}/contacts/bulk",
        web::post().to(contacts_bulk),
    )
    .route(
        "/orgs/{org}/teams/{team}/contacts/{contact}",
        web::get().to(contacts_show),
    )
    .route(
        "/orgs/{org}/teams/{team}/contacts/{contact}",
        web::post().to(contacts_update),
    )
    .route(
        "/orgs/{org}/teams/{team}/contacts/{contact}/edit",
        web::get().to(contacts_edit),
    )
    .route(
        "/orgs/{org}/teams/{team}/contacts/{contact}/delete",
        web::get().to(contacts_delete_confirm),
    )
    .route(
        "/orgs/{org}/teams/{team}/contacts/{contact}/delete",
        web::post().to(contacts_delete),
    )
    .route(
        "/orgs/{org}/teams/{team}/contacts/{contact}/assign",
        web::post().to(contacts_assign),
    );
}

#[derive(Debug, Deserialize)]
pub struct ContactPath {
    pub contact: i64,
}

/// Every route answers "switched off" while the module is.
fn on(tctx: &TeamContext) -> AppResult<()> {
    if tctx.contacts_on {
        Ok(())
    } else {
        Err(AppError::forbidden(CONTACTS_OFF))
    }
}

/// A page of the list as the viewer may see it (a refused search lists all).
async fn load(pool: &PgPool, tctx: &TeamContext, state: &ListState) -> AppResult<ContactsView> {
    let (w, org, team) = (worker(tctx), tctx.ctx.org.id, tctx.team.id);
    let (filter, anchor) = (state.filter(), state.anchor);
    db::run(pool, move |conn| {
        svc::load(conn, &w, org, team, &filter, anchor)
    })
    .await
}

/// One contact the viewer may see, and the team's members when they may assign it.
async fn load_one(pool: &PgPool, tctx: &TeamContext, id: ContactId) -> AppResult<ContactsView> {
    let (w, org, team) = (worker(tctx), tctx.ctx.org.id, tctx.team.id);
    db::run(pool, move |conn| {
        let (row, members) = svc::load_one(conn, &w, org, team, id)?;
        let mut view = ContactsView {
            members,
            ..ContactsView::default()
        };
        view.page.rows.push(row);
        Ok(view)
    })
    .await
}

fn only_row(view: &ContactsView) -> AppResult<&db::contacts::ContactRow> {
    view.page.rows.first().ok_or(AppError::NotFound)
}

pub async fn contacts_index(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    if !tctx.contacts_on {
        return render_off(&tctx);
    }
    let state = ListState::parse(&query);
    let view = load(&pool, &tctx, &state).await?;
    let status = match state.error {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    render_list(&req, &tctx, (&state, &view), Shown::default(), status)
}

pub async fn contacts_create(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    form: web::Form<ContactForm>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    allow_change(&tctx, TeamAction::ManageContacts)?;
    let state = ListState::from_query_string(&form.state);
    let parsed = form.parse();
    let assign_to = parse_assign_to(&form.assignee);
    let mut errors = parsed.as_ref().err().cloned().unwrap_or_default();
    if let Err(message) = assign_to {
        errors.add("assignee", message);
    }
    if let (Ok(details), Ok(to)) = (parsed, assign_to) {
        let (w, org, team) = (worker(&tctx), tctx.ctx.org.clone(), tctx.team.id);
        let created = db::run(&pool, move |conn| {
            svc::create(conn, &w, &org, team, &details, to)
        })
        .await;
        match created {
            Ok(contact) => {
                let message = format!("Contact “{}” added.", contact.name);
                if !is_htmx(&req) {
                    flash(&tctx.ctx.me.session, "success", message);
                    return Ok(see_other(&list_url(&tctx, &state)));
                }
                let view = load(&pool, &tctx, &state).await?;
                let blank = ContactForm::default();
                let none = FormErrors::default();
                let html = create_html(&tctx, &state, &view, &blank, &none);
                let mut res = fragment_with_toast(&html, "success", &message)?;
                res.headers_mut().insert(
                    actix_web::http::header::HeaderName::from_static("hx-trigger"),
                    actix_web::http::header::HeaderValue::from_static("contacts-changed"),
                );
                return Ok(res);
            }
            // A pending, archived or unknown assignee, told at its field.
            Err(AppError::Validation(message)) => errors.add("assignee", message),
            Err(AppError::NotFound) => {
                errors.add("assignee", "Choose a member of this team, or Unassigned.")
            }
            Err(other) => return Err(other),
        }
    }
    let view = load(&pool, &tctx, &state).await?;
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    if is_htmx(&req) {
        return render_status(status, &create_html(&tctx, &state, &view, &form, &errors));
    }
    let shown = Shown {
        form: Some((&form, &errors)),
        bulk: None,
    };
    render_list(&req, &tctx, (&state, &view), shown, status)
}

/// One contact's row for htmx (Cancel of an inline edit); the list otherwise.
pub async fn contacts_show(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ContactPath>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    let state = ListState::parse(&query);
    let view = load_one(&pool, &tctx, ContactId(path.contact)).await?;
    if !is_htmx(&req) {
        return Ok(see_other(&list_url(&tctx, &state)));
    }
    render_status(
        StatusCode::OK,
        &row_html(&tctx, &state, &view, only_row(&view)?),
    )
}

/// The edit form of a contact the viewer may edit: in its row, or a page.
pub async fn contacts_edit(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ContactPath>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    let state = ListState::parse(&query);
    let view = load_one(&pool, &tctx, ContactId(path.contact)).await?;
    let c = only_row(&view)?;
    allow_change(
        &tctx,
        TeamAction::EditContact {
            assigned_to_actor: worker(&tctx).owns(c.assignee_membership_id),
        },
    )?;
    let form = ContactForm::of(c);
    let none = FormErrors::default();
    render_edit(&req, &tctx, &state, c, (&form, &none), StatusCode::OK)
}

pub async fn contacts_update(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ContactPath>,
    form: web::Form<ContactForm>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    let id = ContactId(path.contact);
    let state = ListState::from_query_string(&form.state);
    let details = match form.parse() {
        Ok(details) => details,
        Err(errors) => {
            let view = load_one(&pool, &tctx, id).await?;
            let c = only_row(&view)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_edit(&req, &tctx, &state, c, (&form, &errors), status);
        }
    };
    let (w, org, team) = (worker(&tctx), tctx.ctx.org.clone(), tctx.team.id);
    let contact = db::run(&pool, move |conn| {
        svc::update(conn, &w, &org, team, id, &details)
    })
    .await?;
    let message = format!("Contact “{}” saved.", contact.name);
    row_done(&req, &pool, &tctx, &state, id, message).await
}

/// After a change to one contact: its row and a toast for htmx, a flash and
/// the list for plain forms.
async fn row_done(
    req: &HttpRequest,
    pool: &PgPool,
    tctx: &TeamContext,
    state: &ListState,
    id: ContactId,
    message: String,
) -> AppResult<HttpResponse> {
    if !is_htmx(req) {
        flash(&tctx.ctx.me.session, "success", message);
        return Ok(see_other(&list_url(tctx, state)));
    }
    match load_one(pool, tctx, id).await {
        Ok(view) => fragment_with_toast(
            &row_html(tctx, state, &view, only_row(&view)?),
            "success",
            &message,
        ),
        // Handed to someone else, it is no longer the viewer's to see: the row goes.
        Err(AppError::NotFound) => {
            let empty = crate::web::htmx::Toast {
                kind: "success",
                message: &message,
                oob: true,
            };
            render_status(StatusCode::OK, &empty)
        }
        Err(other) => Err(other),
    }
}

pub async fn contacts_delete_confirm(
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ContactPath>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    let state = ListState::parse(&query);
    let view = load_one(&pool, &tctx, ContactId(path.contact)).await?;
    allow_change(&tctx, TeamAction::ManageContacts)?;
    render_delete(&tctx, &state, only_row(&view)?)
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct StateForm {
    #[validate(length(max = 1000))]
    pub state: String,
}

pub async fn contacts_delete(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ContactPath>,
    form: web::Form<StateForm>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    allow_change(&tctx, TeamAction::ManageContacts)?;
    let id = ContactId(path.contact);
    let state = ListState::from_query_string(&form.state);
    let (w, org, team) = (worker(&tctx), tctx.ctx.org.clone(), tctx.team.id);
    let contact = db::run(&pool, move |conn| svc::delete(conn, &w, &org, team, id)).await?;
    let message = format!("Contact “{}” deleted.", contact.name);
    flash(&tctx.ctx.me.session, "success", message);
    Ok(redirect(&req, &list_url(&tctx, &state)))
}

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

pub async fn contacts_assign(
    req: HttpRequest,
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
    row_done(&req, &pool, &tctx, &state, id, message).await
}

/// Assigns or unassigns the selected contacts, all in one transaction, and
/// shows what became of each.
pub async fn contacts_bulk(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    allow_change(&tctx, TeamAction::AssignContacts)?;
    let fields = pairs(&body);
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let invalid = |m: &str| AppError::Validation(m.to_owned());
    let ids: Vec<ContactId> = fields
        .iter()
        .filter(|(k, _)| k == "ids")
        .map(|(_, v)| v.trim().parse().map(ContactId))
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
    let to = match get("action") {
        "assign" => match parse_assign_to(get("assignee")) {
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
    let state = ListState::from_query_string(get("state"));
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
    if is_htmx(&req) {
        return render_status(
            StatusCode::OK,
            &list_html(&tctx, &state, &view, Some(&bulk)),
        );
    }
    let shown = Shown {
        form: None,
        bulk: Some(&bulk),
    };
    render_list(&req, &tctx, (&state, &view), shown, StatusCode::OK)
}
