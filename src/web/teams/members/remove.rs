//! Removing someone from one team: a dialog that shows their contacts in this
//! team with the choice for them (left unassigned, the default, or reassigned
//! to another active member of the team), and the removal itself. They stay
//! in the organization and in their other teams.

use actix_web::{http::StatusCode, web, HttpResponse};
use askama::Template;

use super::rows::find_row;
use super::{access, members_changed, MemberRowView};
use crate::db::{self, offboarding as off, teams::Team, PgPool};
use crate::domain::{policy::TeamAction, MembershipId};
use crate::error::{AppError, AppResult};
use crate::services::members::lifecycle::{Handover, Handovers};
use crate::services::teams::{self as team_service, members as member_service};
use crate::web::members::revoke::{parse_handovers, Candidate};
use crate::web::plumbing::context::{Layout, TeamContext};
use crate::web::plumbing::forms::pairs;
use crate::web::plumbing::htmx::{page_or_fragment, Wants};
use crate::web::teams::team_path;

/// The remove dialog of one team member.
pub struct RemoveView {
    pub v: MemberRowView,
    /// Their contacts in this team.
    pub contacts: i64,
    pub link: String,
    /// Active members of the team who could take them.
    pub candidates: Vec<Candidate>,
    pub reassign: bool,
    pub to: Option<i64>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "fragments/teams/_member_remove.html")]
pub struct RemoveFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub r: &'a RemoveView,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "pages/teams/member_remove.html")]
pub struct RemovePage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub r: &'a RemoveView,
}

/// The member's row if the viewer may remove them from this team; the same
/// refusals as the edit form.
async fn removable(pool: &PgPool, tctx: &TeamContext, member: i64) -> AppResult<MemberRowView> {
    tctx.allow(TeamAction::ManageMembers)?;
    let v = find_row(pool, tctx, member).await?;
    if tctx.team.is_archived() {
        return Err(AppError::Conflict(team_service::ARCHIVED.into()));
    }
    if let Some(reason) = v.denied {
        return Err(AppError::forbidden(reason));
    }
    Ok(v)
}

async fn load(
    pool: &PgPool,
    tctx: &TeamContext,
    v: MemberRowView,
    handover: Handover,
) -> AppResult<RemoveView> {
    let (org, team, member) = (tctx.ctx.org.id, tctx.team.id, v.row.membership_id);
    let (contacts, candidates) = db::run(pool, move |conn| {
        let contacts = off::count_contacts_in_team(conn, team, member)?;
        let candidates = off::candidates(conn, org, &[team.0], member)?;
        Ok((contacts, candidates))
    })
    .await?;
    Ok(RemoveView {
        link: format!("{}/contacts?assignee={}", team_path(&tctx.team), member),
        contacts,
        candidates: candidates.iter().map(Candidate::from).collect(),
        reassign: matches!(handover, Handover::Reassign(_)),
        to: match handover {
            Handover::Reassign(to) => Some(to.0),
            Handover::Unassign => None,
        },
        error: None,
        v,
    })
}

fn render(
    wants: Wants,
    tctx: &TeamContext,
    r: &RemoveView,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let layout = Layout::in_org(&tctx.ctx, "teams");
    let csrf = layout.csrf.clone();
    let org_id = tctx.ctx.org.id.0;
    let mut res = page_or_fragment(
        wants,
        status,
        || RemovePage {
            layout,
            org_id,
            team: &tctx.team,
            tab: "members",
            r,
        },
        || RemoveFragment {
            org_id,
            team: &tctx.team,
            r,
            csrf: &csrf,
        },
    )?;
    // The dialog's form swaps the whole Members section when it succeeds; a
    // refusal shows the dialog again in its place.
    res.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("hx-retarget"),
        actix_web::http::header::HeaderValue::from_static("#team-member-dialog"),
    );
    Ok(res)
}

pub(super) async fn member_remove_form(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<(i64, i64, i64)>,
) -> AppResult<HttpResponse> {
    let v = removable(&pool, &tctx, path.2).await?;
    let r = load(&pool, &tctx, v, Handover::Unassign).await?;
    render(wants, &tctx, &r, StatusCode::OK)
}

pub(super) async fn member_remove(
    wants: Wants,
    pool: web::Data<PgPool>,
    tctx: TeamContext,
    path: web::Path<(i64, i64, i64)>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    tctx.allow(TeamAction::ManageMembers)?;
    let (access, org, team, member) = (
        access(&tctx),
        tctx.ctx.org.id,
        tctx.team.id,
        MembershipId(path.2),
    );
    let chosen = parse_handovers(&pairs(&body), "");
    let handover = chosen
        .as_ref()
        .map_or(Handover::Unassign, |h: &Handovers| h.of(team));
    let removed = match chosen {
        Ok(_) => {
            db::run(&pool, move |conn| {
                member_service::remove(conn, &access, org, team, member, handover)
            })
            .await
        }
        Err(message) => Err(AppError::Validation(message)),
    };
    match removed {
        Ok((row, handed)) => {
            let mut message = format!(
                "{} was removed from {}; they stay in the organization and their other teams.",
                row.display_name, tctx.team.name
            );
            let n = handed.contacts;
            let s = if n == 1 { "" } else { "s" };
            match (&handed.to, n) {
                (_, 0) => {}
                (Some(to), _) => message.push_str(&format!(" {n} contact{s} went to {to}.")),
                (None, _) => message.push_str(&format!(" {n} contact{s} are unassigned.")),
            }
            members_changed(wants, &pool, &tctx, &message).await
        }
        Err(AppError::Validation(message)) => {
            let v = removable(&pool, &tctx, path.2).await?;
            let mut r = load(&pool, &tctx, v, handover).await?;
            r.error = Some(message);
            render(wants, &tctx, &r, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(other) => Err(other),
    }
}
