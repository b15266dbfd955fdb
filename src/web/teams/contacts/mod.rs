//! The Contacts tab of a team: the list (search, assignee filter, keyset pages
//! kept in the URL), create, edit (inline with htmx, or on its own page), delete
//! after a confirmation page, assign / unassign / reassign one contact from its
//! row, and the same for the selected rows at once. While the organization has
//! the module off, every route here answers that it is switched off (403).
//! Who may do what is the policy's (`TeamAction::*Contact*`); the use cases
//! ask it again about each contact as it is, inside their transaction.
//! Assigning lives in [`assign`].

mod assign;
mod state;
mod view;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use validator::Validate;

use crate::db::{self, PgPool};
use crate::domain::{policy::TeamAction, ContactId};
use crate::error::{AppError, AppResult};
use crate::services::contacts::{self as svc, ContactsView, CONTACTS_OFF};
use crate::web::plumbing::context::{flash, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{
    fragment_with_toast, redirect, render_status, see_other, HxEvent, Wants,
};
use crate::web::plumbing::routing::routes;
use crate::web::teams::groups::allow_change;
use state::{parse_assign_to, ContactForm, ListQuery, ListState};
use view::{
    create_html, list_url, render_delete, render_edit, render_list, render_off, row_html, worker,
    Shown,
};

routes! {
    GET "/orgs/{org}/teams/{team}/contacts" => contacts_index,
    POST "/orgs/{org}/teams/{team}/contacts" => contacts_create,
    // Before `{contact}`, which would otherwise take "bulk" for an id.
    POST "/orgs/{org}/teams/{team}/contacts/bulk" => assign::contacts_bulk,
    GET "/orgs/{org}/teams/{team}/contacts/{contact}" => contacts_show,
    POST "/orgs/{org}/teams/{team}/contacts/{contact}" => contacts_update,
    GET "/orgs/{org}/teams/{team}/contacts/{contact}/edit" => contacts_edit,
    GET "/orgs/{org}/teams/{team}/contacts/{contact}/delete" => contacts_delete_confirm,
    POST "/orgs/{org}/teams/{team}/contacts/{contact}/delete" => contacts_delete,
    GET "/orgs/{org}/teams/{team}/contacts/{contact}/assign" => assign::contacts_assign_form,
    POST "/orgs/{org}/teams/{team}/contacts/{contact}/assign" => assign::contacts_assign,
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
    let menus = tctx.menus.clone();
    db::run(pool, move |conn| {
        svc::load(conn, &menus, &w, org, team, &filter, anchor)
    })
    .await
}

/// One contact the viewer may see, and the team's members when they may assign it.
pub(super) async fn load_one(
    pool: &PgPool,
    tctx: &TeamContext,
    id: ContactId,
) -> AppResult<ContactsView> {
    let (w, org, team) = (worker(tctx), tctx.ctx.org.id, tctx.team.id);
    let menus = tctx.menus.clone();
    db::run(pool, move |conn| {
        let (row, members) = svc::load_one(conn, &menus, &w, org, team, id)?;
        let mut view = ContactsView {
            members,
            ..ContactsView::default()
        };
        view.page.rows.push(row);
        Ok(view)
    })
    .await
}

/// Editing this contact: its assignee may, and `contacts.assign` may (403),
/// while the team is not archived (409).
fn allow_edit(tctx: &TeamContext, c: &db::contacts::ContactRow) -> AppResult<()> {
    let mine = worker(tctx).owns(c.assignee_membership_id);
    allow_change(
        tctx,
        TeamAction::EditContact {
            assigned_to_actor: mine,
        },
    )
}

pub(super) fn only_row(view: &ContactsView) -> AppResult<&db::contacts::ContactRow> {
    view.page.rows.first().ok_or(AppError::NotFound)
}

pub async fn contacts_index(
    wants: Wants,
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
    render_list(wants, &tctx, (&state, &view), Shown::default(), status)
}

pub async fn contacts_create(
    wants: Wants,
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
                if wants == Wants::Page {
                    flash(&tctx.ctx.me.session, "success", message);
                    return Ok(see_other(&list_url(&tctx, &state)));
                }
                let view = load(&pool, &tctx, &state).await?;
                let blank = ContactForm::default();
                let none = FormErrors::default();
                let html = create_html(&tctx, &state, &view, &blank, &none);
                let res = fragment_with_toast(&html, "success", &message)?;
                return Ok(HxEvent::ContactsChanged.announce(res));
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
    if wants.is_fragment() {
        return render_status(status, &create_html(&tctx, &state, &view, &form, &errors));
    }
    let shown = Shown {
        form: Some((&form, &errors)),
        bulk: None,
    };
    render_list(wants, &tctx, (&state, &view), shown, status)
}

/// One contact's row for htmx (Cancel of an inline edit); the list otherwise.
pub async fn contacts_show(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ContactPath>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    let state = ListState::parse(&query);
    let view = load_one(&pool, &tctx, ContactId(path.contact)).await?;
    if wants == Wants::Page {
        return Ok(see_other(&list_url(&tctx, &state)));
    }
    render_status(
        StatusCode::OK,
        &row_html(&tctx, &state, &view, only_row(&view)?),
    )
}

/// The edit form of a contact the viewer may edit: in its row, or a page.
pub async fn contacts_edit(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ContactPath>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    on(&tctx)?;
    let state = ListState::parse(&query);
    let view = load_one(&pool, &tctx, ContactId(path.contact)).await?;
    let c = only_row(&view)?;
    allow_edit(&tctx, c)?;
    allow_change(
        &tctx,
        TeamAction::EditContact {
            assigned_to_actor: worker(&tctx).owns(c.assignee_membership_id),
        },
    )?;
    let form = ContactForm::of(c);
    let none = FormErrors::default();
    render_edit(wants, &tctx, &state, c, (&form, &none), StatusCode::OK)
}

pub async fn contacts_update(
    wants: Wants,
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
            allow_edit(&tctx, c)?;
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return render_edit(wants, &tctx, &state, c, (&form, &errors), status);
        }
    };
    let (w, org, team) = (worker(&tctx), tctx.ctx.org.clone(), tctx.team.id);
    let contact = db::run(&pool, move |conn| {
        svc::update(conn, &w, &org, team, id, &details)
    })
    .await?;
    let message = format!("Contact “{}” saved.", contact.name);
    row_done(wants, &pool, &tctx, &state, id, message).await
}

/// After a change to one contact: its row and a toast for htmx, a flash and
/// the list for plain forms.
async fn row_done(
    wants: Wants,
    pool: &PgPool,
    tctx: &TeamContext,
    state: &ListState,
    id: ContactId,
    message: String,
) -> AppResult<HttpResponse> {
    if wants == Wants::Page {
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
            let empty = crate::web::plumbing::htmx::Toast {
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
