//! The Services tab of a team: each service with the groups (and so the
//! members) that provide it; create, edit (inline with htmx, or on its own page
//! without JavaScript), switch on and off, delete. Its templates are in `view`.

mod view;

use actix_web::{http::StatusCode, web, HttpResponse};
use diesel::PgConnection;
use serde::Deserialize;
use validator::Validate;

use crate::db::{organizations::Organization, services::Service, PgPool};
use crate::domain::{
    group_fields::{ServiceDescription, ServiceName},
    policy::TeamAction,
    Feature, ServiceId,
};
use crate::error::{AppError, AppResult};
use crate::services::team_services as service_uc;
use crate::web::plumbing::context::{flash, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, render_status, see_other, Wants};
use crate::web::plumbing::routing::routes;
use crate::web::teams::groups::{allow_change, change_and_load, Outcome};
use view::{loader, render_edit, render_services, row, row_done, section, services_path};

routes! {
    GET "/orgs/{org}/teams/{team}/services" => services_index,
    POST "/orgs/{org}/teams/{team}/services" => services_create,
    GET "/orgs/{org}/teams/{team}/services/{service}" => services_show,
    POST "/orgs/{org}/teams/{team}/services/{service}" => services_update,
    GET "/orgs/{org}/teams/{team}/services/{service}/edit" => services_edit,
    POST "/orgs/{org}/teams/{team}/services/{service}/active" => services_toggle,
    POST "/orgs/{org}/teams/{team}/services/{service}/delete" => services_delete,
}

const NEEDS: &[Feature] = &[Feature::Services];

// ---- Handlers --------------------------------------------------------------

#[derive(Debug, Deserialize)]
pub struct ServicePath {
    pub service: i64,
}

/// The create and edit form, as typed (shown again with messages when refused).
#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(default)]
pub struct ServiceFormData {
    #[validate(length(max = 1000, message = "Service name can be at most 100 characters."))]
    pub name: String,
    #[validate(length(max = 4000, message = "Description can be at most 1000 characters."))]
    pub description: String,
}

impl ServiceFormData {
    fn of(service: &Service) -> Self {
        Self {
            name: service.name.clone(),
            description: service.description.clone(),
        }
    }

    /// The domain values, or every field's message.
    fn parse(&self) -> Result<(ServiceName, ServiceDescription), FormErrors> {
        let mut errors = FormErrors::default();
        if self.validate().is_err() {
            // Oversize input: say so at the field, not in a generic banner.
            if self.name.chars().count() > 1000 {
                errors.add("name", "Service name can be at most 100 characters.");
            }
            if self.description.chars().count() > 4000 {
                errors.add("description", "Description can be at most 1000 characters.");
            }
        }
        let name = errors.check("name", ServiceName::parse(&self.name));
        let description = errors.check("description", ServiceDescription::parse(&self.description));
        match (name, description) {
            (Some(name), Some(description)) if errors.is_empty() => Ok((name, description)),
            _ => Err(errors),
        }
    }
}

/// The field a refusal belongs to: the name (a duplicate) unless the parsed
/// form already named its fields.
fn refusal_errors(
    parsed: &Result<(ServiceName, ServiceDescription), FormErrors>,
    message: String,
) -> FormErrors {
    match parsed {
        Err(errors) => errors.clone(),
        Ok(_) => {
            let mut errors = FormErrors::default();
            errors.add("name", message);
            errors
        }
    }
}

fn invalid(
    parsed: &Result<(ServiceName, ServiceDescription), FormErrors>,
) -> AppResult<(ServiceName, ServiceDescription)> {
    parsed
        .clone()
        .map_err(|_| AppError::Validation("Check the service's name and description.".into()))
}

pub async fn services_index(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
) -> AppResult<HttpResponse> {
    show(wants, &pool, &tctx, None).await
}

/// One service's row for htmx (Cancel of an inline edit); the tab otherwise.
pub async fn services_show(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ServicePath>,
) -> AppResult<HttpResponse> {
    show(wants, &pool, &tctx, Some(ServiceId(path.service))).await
}

/// The tab; or, when htmx asks about one service, its row.
async fn show(
    wants: Wants,
    pool: &PgPool,
    tctx: &TeamContext,
    id: Option<ServiceId>,
) -> AppResult<HttpResponse> {
    let (org, team) = (tctx.ctx.org.clone(), tctx.team.id);
    let only = id.filter(|_| wants.is_fragment());
    let view = crate::db::run(pool, move |conn| {
        let view = service_uc::load(conn, &org, team, only)?;
        // The whole tab for one service still needs it to be one of the team's.
        match id {
            Some(id) if !view.rows.iter().any(|r| r.service.id == id) => Err(AppError::NotFound),
            _ => Ok(view),
        }
    })
    .await?;
    if only.is_some() {
        return render_status(StatusCode::OK, &row(tctx, &view)?);
    }
    let (form, errors) = (ServiceFormData::default(), FormErrors::default());
    render_services(wants, tctx, &view, StatusCode::OK, &form, &errors)
}

pub async fn services_create(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    form: web::Form<ServiceFormData>,
) -> AppResult<HttpResponse> {
    allow_change(&tctx, TeamAction::ManageServices)?;
    let parsed = form.parse();
    let values = invalid(&parsed);
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        let (name, description) = values?;
        service_uc::create(conn, actor, org, team, &name, &description)
    };
    let htmx = wants.is_fragment();
    match change_and_load(&pool, &tctx, htmx, NEEDS, change, loader(None)).await? {
        Outcome::Done(service, view) => {
            let message = format!("Service “{}” created.", service.name);
            let Some(view) = view else {
                flash(&tctx.ctx.me.session, "success", message);
                return Ok(see_other(&format!(
                    "{}#service-{}",
                    services_path(&tctx),
                    service.id
                )));
            };
            let (blank, none) = (ServiceFormData::default(), FormErrors::default());
            fragment_with_toast(&section(&tctx, &view, &blank, &none), "success", &message)
        }
        Outcome::Refused(status, message, view) => {
            let errors = refusal_errors(&parsed, message);
            render_services(wants, &tctx, &view, status, &form, &errors)
        }
    }
}

/// Edit form: inline for htmx (the row turns into the form), a page otherwise.
pub async fn services_edit(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ServicePath>,
) -> AppResult<HttpResponse> {
    allow_change(&tctx, TeamAction::ManageServices)?;
    let (org, team, id) = (tctx.ctx.org.clone(), tctx.team.id, ServiceId(path.service));
    let service = crate::db::run(&pool, move |conn| {
        crate::services::groups::require(conn, &org, NEEDS)?;
        crate::db::services::find_in_team(conn, org.id, team, id)?.ok_or(AppError::NotFound)
    })
    .await?;
    let form = ServiceFormData::of(&service);
    render_edit(
        wants,
        &tctx,
        &service,
        StatusCode::OK,
        &form,
        &FormErrors::default(),
    )
}

pub async fn services_update(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ServicePath>,
    form: web::Form<ServiceFormData>,
) -> AppResult<HttpResponse> {
    allow_change(&tctx, TeamAction::ManageServices)?;
    let id = ServiceId(path.service);
    let parsed = form.parse();
    let values = invalid(&parsed);
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        let (name, description) = values?;
        service_uc::update(conn, actor, org, team, id, &name, &description)
    };
    let htmx = wants.is_fragment();
    match change_and_load(&pool, &tctx, htmx, NEEDS, change, loader(Some(id))).await? {
        Outcome::Done(service, view) => row_done(
            &tctx,
            id,
            format!("Service “{}” saved.", service.name),
            view,
        ),
        Outcome::Refused(status, message, view) => {
            let service = &view.rows.first().ok_or(AppError::NotFound)?.service;
            let errors = refusal_errors(&parsed, message);
            render_edit(wants, &tctx, service, status, &form, &errors)
        }
    }
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct ActiveForm {
    #[validate(length(max = 10))]
    pub active: String,
}

pub async fn services_toggle(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ServicePath>,
    form: web::Form<ActiveForm>,
) -> AppResult<HttpResponse> {
    allow_change(&tctx, TeamAction::ManageServices)?;
    let id = ServiceId(path.service);
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AppError::Validation(
                "Say whether the service is active (true) or not (false).".into(),
            ))
        }
    };
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        service_uc::set_active(conn, actor, org, team, id, active)
    };
    let htmx = wants.is_fragment();
    let outcome = change_and_load(&pool, &tctx, htmx, NEEDS, change, loader(Some(id))).await?;
    let (service, view) = outcome.done()?;
    let state = if service.active { "active" } else { "inactive" };
    row_done(&tctx, id, format!("{} is now {state}.", service.name), view)
}

pub async fn services_delete(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<ServicePath>,
) -> AppResult<HttpResponse> {
    allow_change(&tctx, TeamAction::ManageServices)?;
    let id = ServiceId(path.service);
    let change = move |conn: &mut PgConnection, actor, org: &Organization, team| {
        service_uc::delete(conn, actor, org, team, id)
    };
    let htmx = wants.is_fragment();
    let outcome = change_and_load(&pool, &tctx, htmx, NEEDS, change, loader(None)).await?;
    let (service, view) = outcome.done()?;
    let message = format!("Service “{}” deleted.", service.name);
    match view {
        Some(view) => {
            let (blank, none) = (ServiceFormData::default(), FormErrors::default());
            fragment_with_toast(&section(&tctx, &view, &blank, &none), "success", &message)
        }
        None => {
            flash(&tctx.ctx.me.session, "success", message);
            Ok(see_other(&services_path(&tctx)))
        }
    }
}
