//! The Contacts tab's templates and the responses built from them: the whole
//! tab, the `#contacts` list, one contact's row and its edit form, the create
//! form, the delete confirmation, and the page shown while the module is off.

use actix_web::{http::StatusCode, HttpResponse};
use askama::Template;

use super::state::{ContactForm, ListState};
use crate::db::{contacts::ContactRow, teams::Team};
use crate::domain::{policy::TeamAction, MembershipId};
use crate::error::AppResult;
use crate::services::contacts::{ContactsView, Worker};
use crate::services::teams::ARCHIVED;
use crate::web::plumbing::context::{Layout, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{page_or_fragment, render_status, Wants};

/// What the viewer may do on the tab, and why not.
pub struct Ctl {
    pub worker: Worker,
    /// The team is not archived: changes are offered at all.
    pub shown: bool,
    pub sees_all: bool,
    pub may_manage: bool,
    pub may_assign: bool,
    /// Why adding or assigning is not offered.
    pub reason: String,
}

impl Ctl {
    pub fn new(tctx: &TeamContext) -> Self {
        let worker = worker(tctx);
        let shown = !tctx.team.is_archived();
        let refused = if shown {
            tctx.allow(TeamAction::ManageContacts)
                .err()
                .map(|e| e.to_string())
        } else {
            Some(ARCHIVED.to_owned())
        };
        Self {
            worker,
            shown,
            sees_all: worker.may(TeamAction::ViewAllContacts),
            may_manage: shown && worker.may(TeamAction::ManageContacts),
            may_assign: shown && worker.may(TeamAction::AssignContacts),
            reason: refused.unwrap_or_default(),
        }
    }

    pub fn may_edit(&self, c: &ContactRow) -> bool {
        self.shown && self.worker.may_edit(c.assignee_membership_id)
    }

    pub fn is_me(&self, member: &MembershipId) -> bool {
        *member == self.worker.membership
    }
}

pub fn worker(tctx: &TeamContext) -> Worker {
    Worker {
        actor: tctx.ctx.actor,
        membership: tctx.ctx.membership.id,
        team: tctx.permissions,
    }
}

pub fn contacts_path(tctx: &TeamContext) -> String {
    format!("/orgs/{}/teams/{}/contacts", tctx.ctx.org.id, tctx.team.id)
}

/// The list at `state`.
pub fn list_url(tctx: &TeamContext, state: &ListState) -> String {
    let query = state.query();
    if query.is_empty() {
        contacts_path(tctx)
    } else {
        format!("{}?{query}", contacts_path(tctx))
    }
}

/// What came of a bulk assignment, row by row.
pub struct BulkView {
    pub summary: String,
    pub lines: Vec<BulkLine>,
}

pub struct BulkLine {
    pub name: String,
    pub ok: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "pages/teams/contacts.html")]
pub struct ContactsPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub csrf: String,
    pub state: &'a ListState,
    pub view: &'a ContactsView,
    pub ctl: Ctl,
    pub form: ContactForm,
    pub errors: FormErrors,
    pub bulk: Option<&'a BulkView>,
}

#[derive(Template)]
#[template(path = "fragments/contacts/_contacts.html")]
pub struct ListFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: String,
    pub state: &'a ListState,
    pub view: &'a ContactsView,
    pub ctl: Ctl,
    pub bulk: Option<&'a BulkView>,
}

#[derive(Template)]
#[template(path = "fragments/contacts/_create.html")]
pub struct CreateFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: String,
    pub state: &'a ListState,
    pub view: &'a ContactsView,
    pub ctl: Ctl,
    pub form: &'a ContactForm,
    pub errors: &'a FormErrors,
}

#[derive(Template)]
#[template(path = "fragments/contacts/_row.html")]
pub struct RowFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: String,
    pub state: &'a ListState,
    pub view: &'a ContactsView,
    pub ctl: Ctl,
    pub c: &'a ContactRow,
    /// Its assign form is open (fetched when the manager asks for it, so a
    /// page does not carry the team's whole member list once per row).
    pub assigning: bool,
}

#[derive(Template)]
#[template(path = "pages/teams/contact_assign.html")]
pub struct AssignPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub csrf: String,
    pub state: &'a ListState,
    pub view: &'a ContactsView,
    pub c: &'a ContactRow,
    pub inline: bool,
}

#[derive(Template)]
#[template(path = "fragments/contacts/_edit_row.html")]
pub struct EditRowFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: String,
    pub state: &'a ListState,
    pub c: &'a ContactRow,
    pub form: &'a ContactForm,
    pub errors: &'a FormErrors,
    pub inline: bool,
}

#[derive(Template)]
#[template(path = "pages/teams/contact_edit.html")]
pub struct EditPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub csrf: String,
    pub state: &'a ListState,
    pub c: &'a ContactRow,
    pub form: &'a ContactForm,
    pub errors: &'a FormErrors,
    pub inline: bool,
}

#[derive(Template)]
#[template(path = "pages/teams/contact_delete.html")]
pub struct DeletePage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub csrf: String,
    pub state: &'a ListState,
    pub c: &'a ContactRow,
}

#[derive(Template)]
#[template(path = "pages/teams/contacts_off.html")]
pub struct OffPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
}

fn csrf(tctx: &TeamContext) -> String {
    crate::web::plumbing::csrf::token(&tctx.ctx.me.session)
}

/// The tab while the module is off: the team's header and a notice, 403.
pub fn render_off(tctx: &TeamContext) -> AppResult<HttpResponse> {
    render_status(
        StatusCode::FORBIDDEN,
        &OffPage {
            layout: Layout::in_team(tctx),
            org_id: tctx.ctx.org.id.0,
            team: &tctx.team,
            tab: "contacts",
        },
    )
}

/// What the tab shows besides the list: the create form as typed (after a
/// refusal) and what a bulk change did.
#[derive(Default)]
pub struct Shown<'a> {
    pub form: Option<(&'a ContactForm, &'a FormErrors)>,
    pub bulk: Option<&'a BulkView>,
}

/// The whole tab, or (for htmx) the `#contacts` list.
pub fn render_list(
    wants: Wants,
    tctx: &TeamContext,
    (state, view): (&ListState, &ContactsView),
    shown: Shown<'_>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (form, errors) = shown
        .form
        .map(|(form, errors)| (form.clone(), errors.clone()))
        .unwrap_or_default();
    let (org_id, team) = (tctx.ctx.org.id.0, &tctx.team);
    page_or_fragment(
        wants,
        status,
        || ContactsPage {
            layout: Layout::in_team(tctx),
            org_id,
            team,
            tab: "contacts",
            csrf: csrf(tctx),
            state,
            view,
            ctl: Ctl::new(tctx),
            form,
            errors,
            bulk: shown.bulk,
        },
        || list_html(tctx, state, view, shown.bulk),
    )
}

pub fn list_html<'a>(
    tctx: &'a TeamContext,
    state: &'a ListState,
    view: &'a ContactsView,
    bulk: Option<&'a BulkView>,
) -> ListFragment<'a> {
    ListFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        csrf: csrf(tctx),
        state,
        view,
        ctl: Ctl::new(tctx),
        bulk,
    }
}

/// The create form (htmx swaps it alone: after a refusal, or blank after success).
pub fn create_html<'a>(
    tctx: &'a TeamContext,
    state: &'a ListState,
    view: &'a ContactsView,
    form: &'a ContactForm,
    errors: &'a FormErrors,
) -> CreateFragment<'a> {
    CreateFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        csrf: csrf(tctx),
        state,
        view,
        ctl: Ctl::new(tctx),
        form,
        errors,
    }
}

pub fn row_html<'a>(
    tctx: &'a TeamContext,
    state: &'a ListState,
    view: &'a ContactsView,
    c: &'a ContactRow,
) -> RowFragment<'a> {
    RowFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        csrf: csrf(tctx),
        state,
        view,
        ctl: Ctl::new(tctx),
        c,
        assigning: false,
    }
}

/// The contact's assign form: open in its row for htmx, a page otherwise.
pub fn render_assign(
    wants: Wants,
    tctx: &TeamContext,
    state: &ListState,
    view: &ContactsView,
    c: &ContactRow,
) -> AppResult<HttpResponse> {
    page_or_fragment(
        wants,
        StatusCode::OK,
        || AssignPage {
            layout: Layout::in_team(tctx),
            org_id: tctx.ctx.org.id.0,
            team: &tctx.team,
            tab: "contacts",
            csrf: csrf(tctx),
            state,
            view,
            c,
            inline: false,
        },
        || RowFragment {
            assigning: true,
            ..row_html(tctx, state, view, c)
        },
    )
}

/// The edit form: inline in the row for htmx, a page otherwise.
pub fn render_edit(
    wants: Wants,
    tctx: &TeamContext,
    state: &ListState,
    c: &ContactRow,
    (form, errors): (&ContactForm, &FormErrors),
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (org_id, team) = (tctx.ctx.org.id.0, &tctx.team);
    page_or_fragment(
        wants,
        status,
        || EditPage {
            layout: Layout::in_team(tctx),
            org_id,
            team,
            tab: "contacts",
            csrf: csrf(tctx),
            state,
            c,
            form,
            errors,
            inline: false,
        },
        || EditRowFragment {
            org_id,
            team,
            csrf: csrf(tctx),
            state,
            c,
            form,
            errors,
            inline: true,
        },
    )
}

pub fn render_delete(
    tctx: &TeamContext,
    state: &ListState,
    c: &ContactRow,
) -> AppResult<HttpResponse> {
    render_status(
        StatusCode::OK,
        &DeletePage {
            layout: Layout::in_team(tctx),
            org_id: tctx.ctx.org.id.0,
            team: &tctx.team,
            tab: "contacts",
            csrf: csrf(tctx),
            state,
            c,
        },
    )
}
