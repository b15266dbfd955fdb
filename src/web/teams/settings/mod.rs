//! A team's Settings tab: name and description, the on/off toggles (swapped row
//! by row), the goal threshold with its colour scale, the workflow ID with copy
//! and regenerate, and archive, unarchive and delete (those handlers are in
//! `lifecycle`; what the tab renders is in `view`).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use validator::Validate;

mod lifecycle;
mod view;

use super::shape_errors;
use crate::db::PgPool;
use crate::domain::{
    policy::TeamAction,
    team_fields::{GoalThreshold, TeamDescription, TeamName, TeamToggle},
};
use crate::error::{AppError, AppResult};
use crate::services::teams::{self as team_service, TeamRefusal};
use crate::web::plumbing::context::{flash, TeamContext};
use crate::web::plumbing::htmx::{redirect, Wants};
use crate::web::plumbing::routing::routes;
use view::{changed, render_settings, settings_path, Section, SettingsForms, ToggleState};

routes! {
    GET "/orgs/{org}/teams/{team}/settings" => settings_show,
    POST "/orgs/{org}/teams/{team}/settings" => settings_update,
    POST "/orgs/{org}/teams/{team}/settings/goal" => goal_update,
    POST "/orgs/{org}/teams/{team}/settings/toggle" => toggle_update,
    POST "/orgs/{org}/teams/{team}/settings/workflow-id" => lifecycle::workflow_regenerate,
    POST "/orgs/{org}/teams/{team}/archive" => lifecycle::team_archive,
    POST "/orgs/{org}/teams/{team}/unarchive" => lifecycle::team_unarchive,
    POST "/orgs/{org}/teams/{team}/delete" => lifecycle::team_delete,
}

pub async fn settings_show(wants: Wants, tctx: TeamContext) -> AppResult<HttpResponse> {
    let forms = SettingsForms::of(&tctx.team);
    render_settings(wants, &tctx, &forms, StatusCode::OK, Section::Details)
}

// ---- Name and description -------------------------------------------------

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct DetailsForm {
    #[validate(length(max = 1000, message = "Team name can be at most 100 characters."))]
    pub name: String,
    #[validate(length(max = 10000, message = "Description can be at most 1000 characters."))]
    pub description: String,
}

pub async fn settings_update(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    form: web::Form<DetailsForm>,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::EditSettings)?;
    let mut errors = shape_errors(&*form);
    let name = errors.check("name", TeamName::parse(&form.name));
    let description = errors.check("description", TeamDescription::parse(&form.description));
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Some(name), Some(description), true) = (name, description, errors.is_empty()) {
        let (actor, org, team) = (tctx.ctx.actor, tctx.ctx.org.id, tctx.team.id);
        let saved = crate::db::run(&pool, move |conn| {
            team_service::update_details(conn, &actor, org, team, &name, &description)
        })
        .await;
        match saved {
            // The name shows in the header and tabs: reload the whole tab.
            Ok(Ok(team)) => {
                flash(&tctx.ctx.me.session, "success", "Team details saved.");
                return Ok(redirect(&req, &settings_path(&team)));
            }
            Ok(Err(refusal @ TeamRefusal::Archived)) => {
                status = StatusCode::CONFLICT;
                errors.add("form", refusal.message());
            }
            Ok(Err(refusal @ TeamRefusal::NameTaken(_))) => errors.add("name", refusal.message()),
            Err(other) => return Err(other),
        }
    }
    let forms = SettingsForms {
        name: form.name.clone(),
        description: form.description.clone(),
        details_errors: errors,
        ..SettingsForms::of(&tctx.team)
    };
    render_settings(wants, &tctx, &forms, status, Section::Details)
}

// ---- Goal threshold -------------------------------------------------------

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct GoalForm {
    #[validate(length(
        max = 100,
        message = "Enter the goal threshold as a whole number from 0 to 100."
    ))]
    pub goal_threshold: String,
}

pub async fn goal_update(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    form: web::Form<GoalForm>,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::EditSettings)?;
    let mut errors = shape_errors(&*form);
    let threshold = errors.check("goal_threshold", GoalThreshold::parse(&form.goal_threshold));
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Some(threshold), true) = (threshold, errors.is_empty()) {
        let (actor, org, team) = (tctx.ctx.actor, tctx.ctx.org.id, tctx.team.id);
        let saved = crate::db::run(&pool, move |conn| {
            team_service::set_goal_threshold(conn, &actor, org, team, threshold)
        })
        .await;
        match saved {
            Ok(team) => {
                let message = format!("Goal threshold set to {}%.", team.goal_threshold);
                return changed(wants, &tctx, &team, &message, Section::Goal);
            }
            Err(AppError::Conflict(message)) => {
                status = StatusCode::CONFLICT;
                errors.add("goal_threshold", message);
            }
            Err(other) => return Err(other),
        }
    }
    let forms = SettingsForms {
        goal_value: form.goal_threshold.clone(),
        goal_errors: errors,
        ..SettingsForms::of(&tctx.team)
    };
    render_settings(wants, &tctx, &forms, status, Section::Goal)
}

// ---- Toggles --------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ToggleForm {
    pub toggle: String,
    pub enabled: String,
}

pub async fn toggle_update(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    form: web::Form<ToggleForm>,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::EditSettings)?;
    let toggle = TeamToggle::parse(&form.toggle).ok_or_else(|| {
        AppError::Validation("Choose a setting to switch: calibration or self_review.".into())
    })?;
    let on = match form.enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AppError::Validation(
                "Say whether to switch the setting on (true) or off (false).".into(),
            ))
        }
    };
    let (actor, org, team) = (tctx.ctx.actor, tctx.ctx.org.id, tctx.team.id);
    let team = crate::db::run(&pool, move |conn| {
        team_service::set_toggle(conn, &actor, org, team, toggle, on)
    })
    .await?;
    let message = format!("{} {}.", toggle.label(), if on { "on" } else { "off" });
    let state = ToggleState { t: toggle, on };
    changed(wants, &tctx, &team, &message, Section::Toggle(&state))
}
