//! The Members tab's "add by email" form: an active org member joins the team
//! at once; an address new to the organization is invited with the team and
//! shows as pending (see `services::teams::by_email`).

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::{access, load, members_changed, render_members};
use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::{
    policy::{self, Action, Actor, TeamAction},
    team_fields::parse_preset_team_role,
    EmailAddress, OrgRole, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::limits;
use crate::services::teams::by_email::{self, Added, Inviting};
use crate::web::invitations::links;
use crate::web::plumbing::context::{client_ip, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::Wants;

/// The form's state on the Members tab.
#[derive(Debug, Clone)]
pub struct Input {
    pub email: String,
    pub role: String,
    /// Whether an address new to the organization can be invited by this
    /// viewer; when not, the form says that only members can be added.
    pub may_invite: bool,
}

impl Input {
    pub fn new(actor: &Actor) -> Self {
        let may_invite = policy::check(
            actor,
            Action::InviteMember(OrgRole::Member, OrgRole::Member.permissions()),
        )
        .is_ok();
        Self {
            email: String::new(),
            role: TeamRole::Agent.as_str().to_owned(),
            may_invite,
        }
    }
}

/// Both fields are checked by their parsers (an address of at most 254
/// characters, one of the preset team roles).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ByEmailForm {
    pub email: String,
    pub role: String,
}

pub async fn member_add_by_email(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    tctx: TeamContext,
    form: web::Form<ByEmailForm>,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::ManageMembers)?;
    let mut errors = FormErrors::default();
    let email = errors.check("email", EmailAddress::parse(&form.email));
    let role = errors.check("email_role", parse_preset_team_role(&form.role));
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let (Some(email), Some(role), true) = (email, role, errors.is_empty()) {
        let (access, org, team) = (access(&tctx), tctx.ctx.org.id, tctx.team.id);
        let links = links(&settings);
        let buckets = limits::invites(
            &settings.limits,
            org,
            access.actor.account_id,
            &client_ip(&req),
        );
        let added = db::run(&pool, move |conn| {
            let inviting = Inviting {
                links: &links,
                buckets: &buckets,
            };
            by_email::add(conn, &access, (org, team), &email, role, &inviting)
        })
        .await;
        match added {
            Ok(Added::Member(row)) => {
                let message = format!("{} added as {}.", row.display_name, role.label());
                return members_changed(wants, &pool, &tctx, &message).await;
            }
            Ok(Added::Invited(row)) => {
                let message = format!(
                    "{} is invited to the organization and joins this team as {} when they accept; until then they show as Pending.",
                    row.email,
                    role.label()
                );
                return members_changed(wants, &pool, &tctx, &message).await;
            }
            Err(AppError::Validation(message)) => errors.add("email", message),
            Err(AppError::Forbidden(reason)) => {
                status = StatusCode::FORBIDDEN;
                errors.add("email_form", reason);
            }
            Err(AppError::Conflict(message)) => {
                status = StatusCode::CONFLICT;
                errors.add("form", message);
            }
            Err(other) => return Err(other),
        }
    }
    let mut view = load(&pool, &tctx, "", errors).await?;
    view.by_email.email = form.email.clone();
    view.by_email.role = form.role.clone();
    render_members(wants, &tctx, &view, status)
}
