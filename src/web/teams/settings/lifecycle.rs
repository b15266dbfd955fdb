//! The end of a team's Settings tab: regenerating the workflow ID, archiving,
//! unarchiving and deleting the team.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use validator::Validate;

use super::view::{changed, render_settings, settings_path, Section, SettingsForms};
use crate::db::PgPool;
use crate::domain::policy::TeamAction;
use crate::error::{AppError, AppResult};
use crate::services::teams as team_service;
use crate::web::plumbing::context::{flash, TeamContext};
use crate::web::plumbing::htmx::{redirect, Wants};
use crate::web::teams::shape_errors;

pub(super) async fn workflow_regenerate(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::EditSettings)?;
    let (actor, org, team) = (tctx.ctx.actor, tctx.ctx.org.id, tctx.team.id);
    let team = crate::db::run(&pool, move |conn| {
        team_service::regenerate_workflow_id(conn, &actor, org, team)
    })
    .await?;
    let message = "New workflow ID created; the old one no longer works.";
    changed(wants, &tctx, &team, message, Section::Workflow)
}

async fn set_archived(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    archived: bool,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::EditSettings)?;
    let (actor, org, team) = (tctx.ctx.actor, tctx.ctx.org.id, tctx.team.id);
    let team = crate::db::run(&pool, move |conn| {
        team_service::set_archived(conn, &actor, org, team, archived)
    })
    .await?;
    let message = if archived {
        format!(
            "{} archived; it is read-only until you unarchive it.",
            team.name
        )
    } else {
        format!("{} unarchived.", team.name)
    };
    flash(&tctx.ctx.me.session, "success", message);
    Ok(redirect(&req, &settings_path(&team)))
}

pub(super) async fn team_archive(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
) -> AppResult<HttpResponse> {
    set_archived(req, pool, tctx, true).await
}

pub(super) async fn team_unarchive(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
) -> AppResult<HttpResponse> {
    set_archived(req, pool, tctx, false).await
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct DeleteForm {
    #[validate(length(max = 1000, message = "Type the team's name to confirm."))]
    pub confirm_name: String,
}

pub(super) async fn team_delete(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    form: web::Form<DeleteForm>,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::EditSettings)?;
    let mut errors = shape_errors(&*form);
    if errors.is_empty() {
        let (actor, org, team) = (tctx.ctx.actor, tctx.ctx.org.id, tctx.team.id);
        let typed = form.confirm_name.clone();
        let deleted = crate::db::run(&pool, move |conn| {
            team_service::delete(conn, &actor, org, team, &typed)
        })
        .await;
        match deleted {
            Ok(name) => {
                let message = format!("Team {name} deleted, with its groups and services.");
                flash(&tctx.ctx.me.session, "success", message);
                return Ok(redirect(&req, &format!("/orgs/{org}/teams")));
            }
            Err(AppError::Validation(message)) => errors.add("confirm_name", message),
            Err(other) => return Err(other),
        }
    }
    let forms = SettingsForms {
        confirm_name: form.confirm_name.clone(),
        delete_errors: errors,
        ..SettingsForms::of(&tctx.team)
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render_settings(wants, &tctx, &forms, status, Section::Lifecycle)
}
