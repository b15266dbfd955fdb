//! The Services tab's templates and the responses built from them: the whole
//! tab, the `#services` section, one service's row, and the edit form.

use actix_web::{http::StatusCode, HttpResponse};
use askama::Template;
use diesel::PgConnection;

use super::ServiceFormData;
use crate::db::{organizations::Organization, services::Service, teams::Team};
use crate::domain::{policy::TeamAction, ServiceId, TeamId};
use crate::error::{AppError, AppResult};
use crate::services::groups::SERVICES_OFF;
use crate::services::team_services::{self as service_uc, ServiceRow, ServicesView};
use crate::web::plumbing::context::{flash, Layout, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, page_or_fragment, see_other, Wants};
use crate::web::teams::groups::Controls;

#[derive(Template)]
#[template(path = "pages/services/index.html")]
pub struct ServicesPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub csrf: String,
    pub view: &'a ServicesView,
    pub ctl: Controls,
    pub form: &'a ServiceFormData,
    pub errors: &'a FormErrors,
}

#[derive(Template)]
#[template(path = "fragments/services/_services.html")]
pub struct ServicesFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: String,
    pub view: &'a ServicesView,
    pub ctl: Controls,
    pub form: &'a ServiceFormData,
    pub errors: &'a FormErrors,
}

#[derive(Template)]
#[template(path = "fragments/services/_service_row.html")]
pub struct RowFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: String,
    pub row: &'a ServiceRow,
    pub ctl: Controls,
}

#[derive(Template)]
#[template(path = "pages/services/edit.html")]
pub struct EditPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub csrf: String,
    pub service: &'a Service,
    pub form: &'a ServiceFormData,
    pub errors: &'a FormErrors,
    pub inline: bool,
}

#[derive(Template)]
#[template(path = "fragments/services/_service_edit_row.html")]
pub struct EditRowFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: String,
    pub service: &'a Service,
    pub form: &'a ServiceFormData,
    pub errors: &'a FormErrors,
    pub inline: bool,
}

pub(super) fn controls(tctx: &TeamContext, view: &ServicesView) -> Controls {
    let off = (!view.modules.services).then_some(SERVICES_OFF);
    Controls::new(tctx, TeamAction::ManageServices, off)
}

pub(super) fn services_path(tctx: &TeamContext) -> String {
    format!("/orgs/{}/teams/{}/services", tctx.ctx.org.id, tctx.team.id)
}

pub(super) fn csrf(tctx: &TeamContext) -> String {
    crate::web::plumbing::csrf::token(&tctx.ctx.me.session)
}

pub(super) fn render_services(
    wants: Wants,
    tctx: &TeamContext,
    view: &ServicesView,
    status: StatusCode,
    form: &ServiceFormData,
    errors: &FormErrors,
) -> AppResult<HttpResponse> {
    let (org_id, team) = (tctx.ctx.org.id.0, &tctx.team);
    page_or_fragment(
        wants,
        status,
        || ServicesPage {
            layout: Layout::in_team(tctx),
            org_id,
            team,
            tab: "services",
            csrf: csrf(tctx),
            view,
            ctl: controls(tctx, view),
            form,
            errors,
        },
        || ServicesFragment {
            org_id,
            team,
            csrf: csrf(tctx),
            view,
            ctl: controls(tctx, view),
            form,
            errors,
        },
    )
}

pub(super) fn section<'a>(
    tctx: &'a TeamContext,
    view: &'a ServicesView,
    form: &'a ServiceFormData,
    errors: &'a FormErrors,
) -> ServicesFragment<'a> {
    ServicesFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        csrf: csrf(tctx),
        view,
        ctl: controls(tctx, view),
        form,
        errors,
    }
}

pub(super) fn row<'a>(tctx: &'a TeamContext, view: &'a ServicesView) -> AppResult<RowFragment<'a>> {
    Ok(RowFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        csrf: csrf(tctx),
        row: view.rows.first().ok_or(AppError::NotFound)?,
        ctl: controls(tctx, view),
    })
}

pub(super) fn render_edit(
    wants: Wants,
    tctx: &TeamContext,
    service: &Service,
    status: StatusCode,
    form: &ServiceFormData,
    errors: &FormErrors,
) -> AppResult<HttpResponse> {
    let (org_id, team) = (tctx.ctx.org.id.0, &tctx.team);
    page_or_fragment(
        wants,
        status,
        || EditPage {
            layout: Layout::in_team(tctx),
            org_id,
            team,
            tab: "services",
            csrf: csrf(tctx),
            service,
            form,
            errors,
            inline: false,
        },
        || EditRowFragment {
            org_id,
            team,
            csrf: csrf(tctx),
            service,
            form,
            errors,
            inline: true,
        },
    )
}

/// Loads all services for a page or the section, only `service` for its row.
pub(super) fn loader(
    only: Option<ServiceId>,
) -> impl FnOnce(&mut PgConnection, &Organization, TeamId) -> AppResult<ServicesView> + Send + 'static
{
    move |conn, org, team| service_uc::load(conn, org, team, only)
}

/// After a change to one row: htmx gets the row and a toast, plain forms a
/// flash and the tab.
pub(super) fn row_done(
    tctx: &TeamContext,
    id: ServiceId,
    message: String,
    view: Option<ServicesView>,
) -> AppResult<HttpResponse> {
    match view {
        Some(view) => fragment_with_toast(&row(tctx, &view)?, "success", &message),
        None => {
            flash(&tctx.ctx.me.session, "success", message);
            Ok(see_other(&format!("{}#service-{id}", services_path(tctx))))
        }
    }
}
