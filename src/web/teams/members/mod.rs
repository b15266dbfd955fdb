//! A team's Members tab: the member rows and what the viewer may do with them,
//! adding org members with a team role, and removing someone from the team.
//! One row's inline edit lives in `rows`, removing in `remove`, adding by
//! email in `add_by_email`.

use crate::domain::MembershipStatus;
use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

mod add_by_email;
mod remove;
mod rows;

use super::{shape_errors, team_path, TeamPage};
use crate::db::{
    self,
    presence::Shown,
    teams::members::{OrgMemberChoice, TeamMemberRow, ADDABLE_LIMIT},
    teams::Team,
    PgPool,
};
use crate::domain::{
    policy::{self, Action, TeamAction},
    team_fields::parse_preset_team_role,
    Feature, MembershipId, OrgId, PermissionSet, SearchText, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::teams::{
    self as team_service,
    members::{self as member_service, TeamAccess},
};
use crate::web::plumbing::context::{flash, Layout, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, page_or_fragment, see_other, Wants};
use crate::web::plumbing::routing::routes;
use crate::web::presence::PresenceDot;

/// The longest "add member" search (the field's `maxlength`).
const MAX_SEARCH: usize = 100;

routes! {
    POST "/orgs/{org}/teams/{team}/members" => member_add,
    GET "/orgs/{org}/teams/{team}/members/{member}" => rows::member_row,
    POST "/orgs/{org}/teams/{team}/members/{member}" => rows::member_update,
    GET "/orgs/{org}/teams/{team}/members/{member}/edit" => rows::member_edit,
    GET "/orgs/{org}/teams/{team}/members/{member}/remove" => remove::member_remove_form,
    POST "/orgs/{org}/teams/{team}/members/{member}/remove" => remove::member_remove,
    POST "/orgs/{org}/teams/{team}/add-by-email" => add_by_email::member_add_by_email,
}

/// The policy's reason when the viewer may not do `action` in this team.
pub(super) fn denied(tctx: &TeamContext, action: TeamAction) -> Option<&'static str> {
    policy::check(&tctx.ctx.actor, Action::Team(action, tctx.permissions))
        .err()
        .map(|policy::Denied(reason)| reason)
}

pub(super) fn access(tctx: &TeamContext) -> TeamAccess {
    TeamAccess {
        actor: tctx.ctx.actor,
        permissions: tctx.permissions,
    }
}

/// One member row and what the viewer may do with it.
pub struct MemberRowView {
    pub row: TeamMemberRow,
    pub role_label: &'static str,
    /// Edit and Remove are offered.
    pub editable: bool,
    /// Why not, when the viewer manages members but not this one (themselves).
    pub denied: Option<&'static str>,
    /// Active members' presence, when the organization shows it.
    pub presence: Option<PresenceDot>,
}

/// The presence of `rows`' members, when the Presence feature is on (one statement).
pub(super) fn presence_of(
    conn: &mut diesel::PgConnection,
    org: OrgId,
    on: bool,
    rows: &[TeamMemberRow],
) -> AppResult<Vec<Shown>> {
    if !on {
        return Ok(Vec::new());
    }
    let ids: Vec<MembershipId> = rows
        .iter()
        .filter(|r| r.status == MembershipStatus::Active)
        .map(|r| r.membership_id)
        .collect();
    Ok(db::presence::find_for_members(conn, org, &ids)?)
}

/// Puts each shown member's dot on their row.
pub(super) fn attach_presence(views: &mut [MemberRowView], shown: &[Shown]) {
    let now = chrono::Utc::now();
    for s in shown {
        if let Some(v) = views
            .iter_mut()
            .find(|v| v.row.membership_id.0 == s.membership_id)
        {
            v.presence = Some(PresenceDot::new(
                s.membership_id,
                s.status.as_deref(),
                s.last_active_at,
                now,
            ));
        }
    }
}

pub(super) fn row_view(tctx: &TeamContext, row: TeamMemberRow) -> MemberRowView {
    let manages = denied(tctx, TeamAction::ManageMembers).is_none() && !tctx.team.is_archived();
    // Removing is granting nothing: the same check as any change to their access.
    let refusal = manages
        .then(|| {
            denied(
                tctx,
                TeamAction::GrantTeamPermissions {
                    target: row.account_id,
                    target_role: row.org_role,
                    granted: PermissionSet::default(),
                },
            )
        })
        .flatten();
    MemberRowView {
        role_label: row.team_role.label(),
        editable: manages && refusal.is_none(),
        denied: refusal,
        row,
        presence: None,
    }
}

/// Everything the Members tab shows, including the add form's state.
pub struct MembersView {
    pub rows: Vec<MemberRowView>,
    /// A notice above the table: archived team, no right to manage, own row only.
    pub notice: Option<&'static str>,
    pub can_manage: bool,
    /// Org members who could join, each with the policy's reason when the
    /// viewer may not add them (themselves).
    pub addable: Vec<(OrgMemberChoice, Option<&'static str>)>,
    pub truncated: bool,
    pub limit: i64,
    pub q: String,
    pub member: String,
    pub role: String,
    pub roles: [TeamRole; 3],
    pub errors: FormErrors,
    /// The add-by-email form: its address and role as typed.
    pub by_email: add_by_email::Input,
    /// Dots on the rows, live through the organization's presence stream.
    pub presence: bool,
}

pub(super) async fn load(
    pool: &PgPool,
    tctx: &TeamContext,
    q: &str,
    errors: FormErrors,
) -> AppResult<MembersView> {
    let manage_denied = denied(tctx, TeamAction::ManageMembers);
    let can_manage = manage_denied.is_none() && !tctx.team.is_archived();
    let only = denied(tctx, TeamAction::ViewAll).map(|_| tctx.ctx.membership.id);
    let mut errors = errors;
    // A refused search lists everyone, with the reason under the search box.
    let q = errors
        .check("q", SearchText::parse(q, MAX_SEARCH))
        .map(SearchText::into_string)
        .unwrap_or_default();
    let (org, team, search) = (tctx.ctx.org.id, tctx.team.id, q.clone());
    let presence = tctx.ctx.feature_on(Feature::Presence);
    let (rows, shown, mut addable) = db::run(pool, move |conn| {
        let rows = db::teams::members::list_members(conn, team, only)?;
        let shown = presence_of(conn, org, presence, &rows)?;
        let addable = if can_manage {
            db::teams::members::list_addable(conn, org, team, Some(&search))?
        } else {
            Vec::new()
        };
        Ok((rows, shown, addable))
    })
    .await?;
    let mut rows: Vec<MemberRowView> = rows.into_iter().map(|r| row_view(tctx, r)).collect();
    attach_presence(&mut rows, &shown);
    let truncated = addable.len() as i64 > ADDABLE_LIMIT;
    addable.truncate(ADDABLE_LIMIT as usize);
    let notice = if tctx.team.is_archived() {
        Some(team_service::ARCHIVED)
    } else {
        manage_denied.or(only.map(|_| "You see only your own membership in this team."))
    };
    Ok(MembersView {
        rows,
        notice,
        can_manage,
        addable: addable
            .into_iter()
            .map(|c| {
                let refusal = denied(
                    tctx,
                    TeamAction::GrantTeamPermissions {
                        target: c.account_id,
                        target_role: c.org_role,
                        granted: PermissionSet::default(),
                    },
                );
                (c, refusal)
            })
            .collect(),
        truncated,
        limit: ADDABLE_LIMIT,
        q,
        member: String::new(),
        role: TeamRole::Agent.as_str().to_owned(),
        roles: TeamRole::PRESETS,
        errors,
        by_email: add_by_email::Input::new(&tctx.ctx.actor),
        presence,
    })
}

#[derive(Template)]
#[template(path = "fragments/teams/_members.html")]
pub struct MembersFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub members: &'a MembersView,
    pub csrf: &'a str,
}

pub(super) fn render_members(
    wants: Wants,
    tctx: &TeamContext,
    view: &MembersView,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let layout = Layout::in_team(tctx);
    let csrf = layout.csrf.clone();
    let org_id = tctx.ctx.org.id.0;
    page_or_fragment(
        wants,
        status,
        || TeamPage {
            layout,
            org_id,
            team: &tctx.team,
            tab: "members",
            members: view,
        },
        || MembersFragment {
            org_id,
            team: &tctx.team,
            members: view,
            csrf: &csrf,
        },
    )
}

/// After a change: the Members section with a toast for htmx, else flash + 303.
pub(super) async fn members_changed(
    wants: Wants,
    pool: &PgPool,
    tctx: &TeamContext,
    message: &str,
) -> AppResult<HttpResponse> {
    if wants == Wants::Page {
        flash(&tctx.ctx.me.session, "success", message);
        return Ok(see_other(&team_path(&tctx.team)));
    }
    let view = load(pool, tctx, "", FormErrors::default()).await?;
    let csrf = crate::web::plumbing::csrf::token(&tctx.ctx.me.session);
    let fragment = MembersFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        members: &view,
        csrf: &csrf,
    };
    fragment_with_toast(&fragment, "success", message)
}

// ---- Add (removing is in `remove`) ------------------------------------------

#[derive(Debug, Default, Deserialize, Validate)]
#[serde(default)]
pub struct AddForm {
    #[validate(length(max = 30, message = "Choose a member of this organization."))]
    pub member: String,
    #[validate(length(max = 30, message = "Choose Team manager, Supervisor or Agent."))]
    pub role: String,
}

pub async fn member_add(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    form: web::Form<AddForm>,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::ManageMembers)?;
    let mut errors = shape_errors(&*form);
    let member = form.member.trim().parse::<i64>().map(MembershipId);
    let member = errors.check(
        "member",
        member.map_err(|_| crate::domain::Invalid::new("Choose a member of this organization.")),
    );
    let role = errors.check("role", parse_preset_team_role(&form.role));
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Some(member), Some(role), true) = (member, role, errors.is_empty()) {
        let (access, org, team) = (access(&tctx), tctx.ctx.org.id, tctx.team.id);
        let added = db::run(&pool, move |conn| {
            member_service::add(conn, &access, org, team, member, role)
        })
        .await;
        match added {
            Ok(row) => {
                let message = format!("{} added as {}.", row.display_name, role.label());
                return members_changed(wants, &pool, &tctx, &message).await;
            }
            Err(AppError::Validation(message)) => errors.add("member", message),
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
    let mut view = load(&pool, &tctx, "", errors).await?;
    view.member = form.member.clone();
    view.role = form.role.clone();
    render_members(wants, &tctx, &view, status)
}
