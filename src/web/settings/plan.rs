//! Settings → Plan & seats: the plan, the seats in use and the seats
//! purchased, which an Owner may change.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::allow;
use crate::db::{self, PgPool};
use crate::domain::{policy, SeatCount};
use crate::error::{AppError, AppResult};
use crate::services::orgs::{self as org_service, Seats};
use crate::web::plumbing::context::{flash, Layout, OrgContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, page_or_fragment, see_other, Wants};

#[derive(Template)]
#[template(path = "pages/settings/plan.html")]
pub struct PlanPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub seats: &'a Seats,
    pub seats_value: &'a str,
    pub can_edit: bool,
    pub errors: &'a FormErrors,
}

#[derive(Template)]
#[template(path = "fragments/settings/_seats_form.html")]
pub struct SeatsFragment<'a> {
    pub org_id: i64,
    pub seats: &'a Seats,
    pub seats_value: &'a str,
    pub can_edit: bool,
    pub errors: &'a FormErrors,
    pub csrf: &'a str,
}

pub async fn plan_show(pool: web::Data<PgPool>, ctx: OrgContext) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ViewSettings)?;
    let org = ctx.org.clone();
    let seats = db::run(&pool, move |conn| org_service::seats(conn, &org)).await?;
    let value = seats.purchased.to_string();
    crate::web::plumbing::htmx::render(&PlanPage {
        org_id: ctx.org.id.0,
        seats: &seats,
        seats_value: &value,
        can_edit: policy::check(&ctx.actor, policy::Action::ChangeSeats).is_ok(),
        errors: &FormErrors::default(),
        layout: Layout::in_org(&ctx, "settings-plan"),
    })
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct SeatsForm {
    #[validate(length(max = 100, message = "Enter the number of seats as a whole number."))]
    pub seats: String,
}

pub async fn seats_update(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    form: web::Form<SeatsForm>,
) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ChangeSeats)?;
    let mut errors = form
        .validate()
        .err()
        .map(|e| FormErrors::from_validation(&e))
        .unwrap_or_default();
    let parsed = errors.check("seats", SeatCount::parse(&form.seats));
    let (actor, org_id) = (ctx.actor.account_id, ctx.org.id);
    let result = match parsed.filter(|_| errors.is_empty()) {
        Some(count) => match db::run(&pool, move |conn| {
            org_service::change_seats(conn, Some(actor), org_id, count)
        })
        .await
        {
            Ok(seats) => Ok(seats),
            Err(AppError::Validation(message)) => {
                errors.add("seats", message);
                Err(())
            }
            Err(other) => return Err(other),
        },
        None => Err(()),
    };
    let seats = match result {
        Ok(seats) => seats,
        Err(()) => {
            let org = ctx.org.clone();
            let seats = db::run(&pool, move |conn| org_service::seats(conn, &org)).await?;
            let layout = Layout::in_org(&ctx, "settings-plan");
            let csrf = layout.csrf.clone();
            return page_or_fragment(
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
                || PlanPage {
                    layout,
                    org_id: org_id.0,
                    seats: &seats,
                    seats_value: &form.seats,
                    can_edit: true,
                    errors: &errors,
                },
                || SeatsFragment {
                    org_id: org_id.0,
                    seats: &seats,
                    seats_value: &form.seats,
                    can_edit: true,
                    errors: &errors,
                    csrf: &csrf,
                },
            );
        }
    };
    let message = format!("Seats set to {}.", seats.purchased);
    if wants.is_fragment() {
        let csrf = crate::web::plumbing::csrf::token(&ctx.me.session);
        let value = seats.purchased.to_string();
        let fragment = SeatsFragment {
            org_id: org_id.0,
            seats: &seats,
            seats_value: &value,
            can_edit: true,
            errors: &FormErrors::default(),
            csrf: &csrf,
        };
        return fragment_with_toast(&fragment, "success", &message);
    }
    flash(&ctx.me.session, "success", message);
    Ok(see_other(&format!("/orgs/{org_id}/settings/plan")))
}
