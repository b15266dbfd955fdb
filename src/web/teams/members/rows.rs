//! One row of a team's Members tab: the row itself (htmx's Cancel), its inline
//! role form, the full edit page used without JavaScript, and saving the role.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use super::{access, attach_presence, denied, presence_of, row_view, MemberRowView};
use crate::db::{
    self,
    teams::{members::TeamMemberRow, Team},
    PgPool,
};
use crate::domain::{
    policy::TeamAction, team_fields::parse_preset_team_role, MembershipId, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::teams::{self as team_service, members as member_service};
use crate::web::plumbing::context::{flash, Layout, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, page_or_fragment, see_other, Wants};
use crate::web::teams::{shape_errors, team_path};

#[derive(Template)]
#[template(path = "fragments/teams/_member_row.html")]
pub struct MemberRowFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub v: &'a MemberRowView,
}

#[derive(Template)]
#[template(path = "fragments/teams/_member_edit_row.html")]
pub struct MemberEditRow<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub v: &'a MemberRowView,
    pub role: &'a str,
    pub roles: &'a [TeamRole],
    pub errors: &'a FormErrors,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "pages/teams/member_edit.html")]
pub struct MemberEditPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub v: &'a MemberRowView,
    pub role: &'a str,
    pub roles: &'a [TeamRole],
    pub errors: &'a FormErrors,
}

/// The member's row, if the viewer may see it: someone without `team.view_all`
/// sees only their own, and anyone else's is a 404 like an unknown id.
pub(super) async fn find_row(
    pool: &PgPool,
    tctx: &TeamContext,
    member: i64,
) -> AppResult<MemberRowView> {
    let (team, member) = (tctx.team.id, MembershipId(member));
    let only_own = denied(tctx, TeamAction::ViewAll).is_some();
    if only_own && member != tctx.ctx.membership.id {
        return Err(AppError::NotFound);
    }
    let (org, presence) = (
        tctx.ctx.org.id,
        tctx.ctx.feature_on(crate::domain::Feature::Presence),
    );
    let (row, shown) = db::run(pool, move |conn| {
        let row = db::teams::members::find_member(conn, team, member)?.ok_or(AppError::NotFound)?;
        let shown = presence_of(conn, org, presence, std::slice::from_ref(&row))?;
        Ok((row, shown))
    })
    .await?;
    let mut views = [row_view(tctx, row)];
    attach_presence(&mut views, &shown);
    let [view] = views;
    Ok(view)
}

/// The roles the edit form offers: the presets, and `custom` for a member who has one.
fn role_choices(v: &MemberRowView) -> Vec<TeamRole> {
    let mut roles = TeamRole::PRESETS.to_vec();
    if v.row.team_role == TeamRole::Custom {
        roles.push(TeamRole::Custom);
    }
    roles
}

fn render_edit(
    wants: Wants,
    tctx: &TeamContext,
    v: &MemberRowView,
    role: &str,
    errors: &FormErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let layout = Layout::in_team(tctx);
    let csrf = layout.csrf.clone();
    let (org_id, roles) = (tctx.ctx.org.id.0, role_choices(v));
    page_or_fragment(
        wants,
        status,
        || MemberEditPage {
            layout,
            org_id,
            team: &tctx.team,
            tab: "members",
            v,
            role,
            roles: &roles,
            errors,
        },
        || MemberEditRow {
            org_id,
            team: &tctx.team,
            v,
            role,
            roles: &roles,
            errors,
            csrf: &csrf,
        },
    )
}

/// The plain row again (htmx's Cancel); without htmx, back to the team page.
pub(super) async fn member_row(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<(i64, i64, i64)>,
) -> AppResult<HttpResponse> {
    let v = find_row(&pool, &tctx, path.2).await?;
    if wants == Wants::Page {
        return Ok(see_other(&team_path(&tctx.team)));
    }
    crate::web::plumbing::htmx::render(&MemberRowFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        v: &v,
    })
}

pub(super) async fn member_edit(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<(i64, i64, i64)>,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::ManageMembers)?;
    let v = find_row(&pool, &tctx, path.2).await?;
    if tctx.team.is_archived() {
        return Err(AppError::Conflict(team_service::ARCHIVED.into()));
    }
    if let Some(reason) = v.denied {
        return Err(AppError::forbidden(reason));
    }
    let role = v.row.team_role;
    render_edit(
        wants,
        &tctx,
        &v,
        role.as_str(),
        &FormErrors::default(),
        StatusCode::OK,
    )
}

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct RoleForm {
    #[validate(length(max = 30, message = "Choose Team manager, Supervisor or Agent."))]
    pub role: String,
}

pub(super) async fn member_update(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<(i64, i64, i64)>,
    form: web::Form<RoleForm>,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::ManageMembers)?;
    let mut errors = shape_errors(&*form);
    let v = find_row(&pool, &tctx, path.2).await?;
    let keeps_custom =
        form.role == TeamRole::Custom.as_str() && v.row.team_role == TeamRole::Custom;
    if keeps_custom {
        return member_saved(wants, &tctx, v.row);
    }
    let role = errors.check("role", parse_preset_team_role(&form.role));
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Some(role), true) = (role, errors.is_empty()) {
        let (access, org, team, member) = (
            access(&tctx),
            tctx.ctx.org.id,
            tctx.team.id,
            v.row.membership_id,
        );
        let saved = db::run(&pool, move |conn| {
            member_service::change_role(conn, &access, org, team, member, role)
        })
        .await;
        match saved {
            Ok(row) => return member_saved(wants, &tctx, row),
            Err(AppError::Forbidden(reason)) => {
                status = StatusCode::FORBIDDEN;
                errors.add("form", reason);
            }
            Err(AppError::Conflict(message)) => {
                status = StatusCode::CONFLICT;
                errors.add("form", message);
            }
            Err(other) => return Err(other),
        }
    }
    render_edit(wants, &tctx, &v, &form.role, &errors, status)
}

fn member_saved(wants: Wants, tctx: &TeamContext, row: TeamMemberRow) -> AppResult<HttpResponse> {
    let v = row_view(tctx, row);
    let message = if v.row.team_role == TeamRole::Custom {
        format!("{} keeps their custom permissions.", v.row.display_name)
    } else {
        format!(
            "{} is now {} in this team.",
            v.row.display_name, v.role_label
        )
    };
    if wants == Wants::Page {
        flash(&tctx.ctx.me.session, "success", message);
        return Ok(see_other(&team_path(&tctx.team)));
    }
    let fragment = MemberRowFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        v: &v,
    };
    fragment_with_toast(&fragment, "success", &message)
}
