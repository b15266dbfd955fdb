//! A member's page, `/orgs/{org}/members/{member}`: who they are, their status
//! and who changed it, where each permission comes from, their teams, groups,
//! services and contacts, what the viewer may do (with the policy's reasons),
//! and their timeline of audit events by keyset. Viewers without
//! `members.view` see only their own page, as on the members list.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::view::{member_view, MemberView};
use crate::db::members::profile::{HeldTeam, NamedRole, TeamCount};
use crate::db::{self, audit::log as log_q, members as q, PgPool};
use crate::domain::audit::{cursor_key, parse_cursor_key, EventCursor};
use crate::domain::policy::{self, Action, Actor};
use crate::domain::{
    effective_permissions, MembershipId, MembershipStatus, OrgId, Permission, PermissionSet, Scope,
    TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::web::invitations::view::{pending_views, PendingView};
use crate::web::plumbing::context::{Layout, OrgContext};
use crate::web::plumbing::htmx::page_or_fragment;
use crate::web::settings::audit::view::{event_view, EventView};

pub const TIMELINE_PAGE: i64 = 20;

#[derive(Debug, Clone)]
pub struct TeamPlace {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// The labels of their permissions in this team, all from `source`.
    pub permissions: Vec<&'static str>,
    /// Where they come from: the team role, a custom one or their own set.
    pub source: String,
    pub contacts: i64,
}

/// The member's timeline page, or why the viewer may not read it.
pub struct Timeline {
    pub rows: Vec<EventView>,
    pub next: Option<String>,
    pub prev: Option<String>,
    pub denied: Option<&'static str>,
}

pub struct Profile {
    pub m: MemberView,
    /// Their account ID (`acct_…`), which a manager of another organization
    /// adds them by; not shown while they are pending.
    pub account_ref: Option<String>,
    pub pending: bool,
    /// "Invited by Ada on 2026-12-01", "Archived by …": the status's history.
    pub history: Vec<String>,
    pub role_source: String,
    pub permissions: Vec<&'static str>,
    /// Every team permission in every team, through `teams.manage`.
    pub every_team: bool,
    pub teams: Vec<TeamPlace>,
    pub invitation: Option<PendingView>,
    /// Their live presence dot, when the organization has Presence on (never
    /// for a pending member: what they do elsewhere is not this org's).
    pub dot: Option<crate::web::presence::PresenceDot>,
    pub may_see_log: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TimelineParams {
    pub after: String,
    pub before: String,
}

fn cursor(p: &TimelineParams) -> Option<EventCursor> {
    match (parse_cursor_key(&p.after), parse_cursor_key(&p.before)) {
        (Some((at, id)), _) => Some(EventCursor::Older(at, id)),
        (None, Some((at, id))) => Some(EventCursor::Newer(at, id)),
        _ => None,
    }
}

fn labels(set: PermissionSet, scope: Scope) -> Vec<&'static str> {
    set.iter()
        .filter(|p| p.scope() == scope)
        .map(|p| p.label())
        .collect()
}

/// The org permissions and the words for where they come from.
fn org_access(row: &q::MemberRow, custom: Option<&NamedRole>) -> (String, Vec<&'static str>, bool) {
    let role = row.role;
    let custom = custom.filter(|_| row.custom_role_id.is_some());
    let (source, set) = match (&row.permissions, custom) {
        (Some(own), _) => (
            "Their own permission set".to_owned(),
            PermissionSet::from_keys(own).unwrap_or_default(),
        ),
        (None, Some(c)) => (
            format!("Custom role {}", c.name),
            PermissionSet::from_keys(&c.permissions).unwrap_or_default(),
        ),
        (None, None) => (
            format!("Built-in role {}", role.label()),
            role.permissions(),
        ),
    };
    let every_team = set.contains(Permission::TeamsManage);
    (source, labels(set, Scope::Org), every_team)
}

fn team_places(row: &q::MemberRow, held: &[HeldTeam], contacts: &[TeamCount]) -> Vec<TeamPlace> {
    row.teams
        .iter()
        .map(|t| {
            let own = held.iter().find(|h| h.team_id == t.team_id);
            let custom = own
                .filter(|_| t.custom_role_id.is_some())
                .and_then(|h| h.role_name.as_deref());
            let role = match (t.role, custom) {
                (TeamRole::Custom, Some(name)) => format!("{name} (custom)"),
                (preset, _) => preset.label().to_owned(),
            };
            let own_set = own.and_then(|h| h.own_permissions.as_deref());
            let source = match (own_set, custom) {
                (Some(_), _) => "Their own set in this team".to_owned(),
                (None, Some(name)) => format!("Custom team role {name}"),
                (None, None) => format!("Team role {role}"),
            };
            let set = effective_permissions(
                t.role.permissions(),
                own.and_then(|h| h.role_permissions.as_deref()),
                own_set,
            );
            TeamPlace {
                id: t.team_id,
                name: t.name.clone(),
                role,
                permissions: labels(set, Scope::Team),
                source,
                contacts: contacts
                    .iter()
                    .find(|c| c.team_id == t.team_id)
                    .map_or(0, |c| c.count),
            }
        })
        .collect()
}

fn history(milestones: &[log_q::Milestone], pending: bool) -> Vec<String> {
    let words = [
        ("invitation.created", "Invited"),
        ("member.added", "Added"),
        ("invitation.accepted", "Joined"),
        ("member.archived", "Archived"),
        ("member.revoked", "Revoked"),
        ("member.restored", "Restored"),
    ];
    words
        .iter()
        .filter(|(action, _)| !(pending && *action == "invitation.accepted"))
        .filter_map(|(action, word)| {
            let m = milestones.iter().find(|m| m.action == *action)?;
            let day = m.created_at.format("%Y-%m-%d");
            Some(match (&m.actor_name, *action) {
                (_, "invitation.accepted") => format!("{word} on {day}"),
                (Some(who), _) => format!("{word} by {who} on {day}"),
                (None, _) => format!("{word} by Roster on {day}"),
            })
        })
        .collect()
}

fn load(
    conn: &mut diesel::PgConnection,
    org: OrgId,
    actor: &Actor,
    member: MembershipId,
    cursor: Option<EventCursor>,
    presence_on: bool,
) -> AppResult<(Profile, Timeline)> {
    let (row, owners) = q::find_row(conn, org, member)?.ok_or(AppError::NotFound)?;
    let own = row.account_id == actor.account_id.0;
    if !own && policy::check(actor, Action::ViewMembers).is_err() {
        return Err(AppError::NotFound);
    }
    let pending = row.status == MembershipStatus::Pending;
    let may_see_timeline = policy::check(actor, Action::ViewTimeline { own });
    let mut around = q::profile::around(conn, org, member, may_see_timeline.is_ok())?
        .ok_or(AppError::NotFound)?;
    // The row reads the member's presence with them.
    let dot = (presence_on && row.status == MembershipStatus::Active).then(|| {
        crate::web::presence::PresenceDot::new(
            row.id,
            row.presence_status.as_deref(),
            row.presence_active_at,
            chrono::Utc::now(),
        )
    });
    let invitation = around
        .invitation
        .take()
        .filter(|_| pending)
        .and_then(|details| {
            pending_views(actor, &[(row.id, row.role)], vec![details])
                .into_iter()
                .next()
                .map(|(_, v)| v)
        });
    let timeline = match may_see_timeline {
        Err(d) => Timeline {
            rows: Vec::new(),
            next: None,
            prev: None,
            denied: Some(d.0),
        },
        Ok(()) => {
            let names = around.names.take().unwrap_or_default();
            let query = log_q::LogQuery {
                cursor,
                limit: TIMELINE_PAGE,
                ..Default::default()
            };
            let source =
                log_q::Source::Timeline(org, crate::domain::AccountId(row.account_id), member);
            let (rows, more) = log_q::page(conn, source, &query)?;
            let key = |r: &log_q::EventRow| cursor_key(r.created_at, r.id);
            let older = more || matches!(cursor, Some(EventCursor::Newer(..)));
            let newer = match cursor {
                None => false,
                Some(EventCursor::Older(..)) => true,
                Some(EventCursor::Newer(..)) => more,
            };
            Timeline {
                next: rows
                    .last()
                    .filter(|_| older)
                    .map(|r| format!("after={}", key(r))),
                prev: rows
                    .first()
                    .filter(|_| newer)
                    .map(|r| format!("before={}", key(r))),
                rows: rows.iter().map(|r| event_view(r, &names)).collect(),
                denied: None,
            }
        }
    };
    let (role_source, permissions, every_team) = org_access(&row, around.org_role.as_ref());
    let profile = Profile {
        account_ref: around.account_ref.take(),
        pending,
        history: history(&around.milestones, pending),
        role_source,
        permissions,
        every_team,
        teams: team_places(&row, &around.teams, &around.contacts),
        invitation,
        dot,
        may_see_log: policy::check(actor, Action::ViewAudit).is_ok(),
        m: member_view(&row, actor, owners),
    };
    Ok((profile, timeline))
}

#[derive(Template)]
#[template(path = "pages/members/show.html")]
pub struct MemberPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub p: &'a Profile,
    pub timeline: &'a Timeline,
}

#[derive(Template)]
#[template(path = "fragments/members/_timeline.html")]
pub struct TimelineFragment<'a> {
    pub org_id: i64,
    pub p: &'a Profile,
    pub timeline: &'a Timeline,
}

pub async fn members_show(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    params: web::Query<TimelineParams>,
) -> AppResult<HttpResponse> {
    let member = req
        .match_info()
        .get("member")
        .and_then(|v| v.parse().ok())
        .map(MembershipId)
        .ok_or(AppError::NotFound)?;
    let (org, actor, cursor) = (ctx.org.id, ctx.actor, cursor(&params));
    let presence_on = ctx.presence.is_some();
    let (profile, timeline) = db::run(&pool, move |conn| {
        load(conn, org, &actor, member, cursor, presence_on)
    })
    .await?;
    page_or_fragment(
        &req,
        StatusCode::OK,
        || MemberPage {
            layout: Layout::in_org(&ctx, "members"),
            org_id: org.0,
            p: &profile,
            timeline: &timeline,
        },
        || TimelineFragment {
            org_id: org.0,
            p: &profile,
            timeline: &timeline,
        },
    )
}
