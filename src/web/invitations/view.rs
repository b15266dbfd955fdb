//! View models: the invite dialog (roles the viewer may grant, teams, seats
//! left, and why inviting is refused if it is) and the invitation details of
//! pending rows on the members page. No token ever reaches these.

use chrono::Utc;
use diesel::PgConnection;

use crate::db::{self, organizations as orgs};
use crate::domain::policy::{self, Action, Actor};
use crate::domain::{Feature, InvitationStatus, OrgId, OrgRole, Permission, Scope, TeamRole};
use crate::error::AppResult;
use crate::web::plumbing::forms::FormErrors;

pub struct RoleChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub denied: Option<&'static str>,
}

pub struct TeamChoice {
    pub id: i64,
    pub name: String,
    /// The chosen team role, empty for none.
    pub role: String,
}

/// One organization permission the invitee may be given instead of the role's.
pub struct PermissionChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub checked: bool,
    pub denied: Option<&'static str>,
}

pub struct InviteForm {
    pub org_id: i64,
    /// One address or a list.
    pub email: String,
    pub role: String,
    pub roles: Vec<RoleChoice>,
    pub teams: Vec<TeamChoice>,
    /// The team roles offered, the least first: the default grants least.
    pub team_roles: Vec<TeamRole>,
    pub permissions: Vec<PermissionChoice>,
    pub seats_left: i64,
    pub seats_purchased: i32,
    /// Why inviting is not possible right now (feature, permission, seats).
    pub blocked: Option<String>,
    pub errors: FormErrors,
}

impl InviteForm {
    /// Puts the submitted values back after a refusal.
    pub fn keep_input(&mut self, fields: &[(String, String)], errors: FormErrors) {
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        // A list is kept as typed, within what the form may carry anyway.
        self.email = get("email").chars().take(64 * 1024).collect();
        self.role = get("role");
        for team in &mut self.teams {
            team.role = get(&format!("team_{}", team.id));
        }
        for choice in &mut self.permissions {
            choice.checked = fields.iter().any(|(k, v)| k == "perm" && v == choice.key);
        }
        self.errors = errors;
    }
}

/// Refuses those who may invite with no role at all.
pub fn may_invite_any(actor: &Actor) -> crate::error::AppResult<()> {
    let mut denied = None;
    for role in OrgRole::ALL {
        match policy::check(actor, Action::InviteMember(role, role.permissions())) {
            Ok(()) => return Ok(()),
            Err(d) => denied = denied.or(Some(d.0)),
        }
    }
    Err(crate::error::AppError::forbidden(
        denied.unwrap_or("You do not have permission to invite members."),
    ))
}

pub fn invite_options(conn: &mut PgConnection, actor: &Actor, org: OrgId) -> AppResult<InviteForm> {
    let organization = orgs::find_by_id(conn, org)?.ok_or(crate::error::AppError::NotFound)?;
    let feature = crate::services::orgs::features(conn, &organization)?
        .into_iter()
        .find(|f| f.feature == Feature::UserManagement);
    let seats = crate::services::orgs::seats(conn, &organization)?;
    let seats_left = (i64::from(seats.purchased) - seats.used).max(0);
    let roles: Vec<RoleChoice> = OrgRole::ALL
        .iter()
        .map(|r| RoleChoice {
            value: r.as_str(),
            label: r.label(),
            denied: policy::check(actor, Action::InviteMember(*r, r.permissions()))
                .err()
                .map(|d| d.0),
        })
        .collect();
    let blocked = match feature {
        _ if roles.iter().all(|r| r.denied.is_some()) => {
            Some("You do not have permission to invite members.".to_owned())
        }
        Some(f) if !f.available => Some(
            "Inviting needs the User management feature, which comes with the Pro plan.".to_owned(),
        ),
        Some(f) if !f.enabled => Some(
            "Inviting needs the User management feature: switch it on in Settings → Features."
                .to_owned(),
        ),
        _ if seats_left == 0 => Some(format!(
            "All {} seats are in use. Buy more seats or remove a member before inviting.",
            seats.purchased
        )),
        _ => None,
    };
    let teams = db::members::team_options(conn, org)?
        .into_iter()
        .filter(|t| !t.archived)
        .map(|t| TeamChoice {
            id: t.id,
            name: t.name,
            role: String::new(),
        })
        .collect();
    Ok(InviteForm {
        org_id: org.0,
        email: String::new(),
        role: OrgRole::Member.as_str().to_owned(),
        roles,
        teams,
        team_roles: TeamRole::MENU.to_vec(),
        permissions: Permission::in_scope(Scope::Org)
            .map(|p| PermissionChoice {
                key: p.key(),
                label: p.label(),
                checked: false,
                denied: (!actor.has(p))
                    .then_some("You cannot grant permissions you do not hold yourself."),
            })
            .collect(),
        seats_left,
        seats_purchased: seats.purchased,
        blocked,
        errors: FormErrors::default(),
    })
}

/// A pending member's invitation as their row shows it.
#[derive(Debug, Clone)]
pub struct PendingView {
    pub inviter: String,
    pub invited_on: String,
    pub expires: String,
    pub expired: bool,
    /// queued, sending, retrying, sent, failed
    pub delivery: &'static str,
    pub last_error: Option<String>,
    /// When a manager last copied the link (no email carries the live link then).
    pub link_copied: Option<String>,
    /// When the one reminder was queued.
    pub reminded: Option<String>,
    /// Why the viewer may not resend or revoke, if they may not.
    pub denied: Option<&'static str>,
    /// Made by account ID: accepted in-app, and no link is shown.
    pub in_app: bool,
}

/// What the viewer sees of the pending rows' invitations (`rows`: membership
/// id, role), from the details the page's statement read with them.
pub fn pending_views(
    actor: &Actor,
    rows: &[(i64, OrgRole)],
    details: Vec<db::invitations::PendingDetails>,
) -> Vec<(i64, PendingView)> {
    details
        .into_iter()
        .map(|d| {
            let role = rows
                .iter()
                .find(|r| r.0 == d.membership_id)
                .map_or(OrgRole::Member, |r| r.1);
            let delivery = match d.delivery.as_deref() {
                Some("queued") if d.attempts > 0 => "retrying",
                Some("queued") => "queued",
                Some("sending") => "sending",
                Some("sent") => "sent",
                Some("failed") => "failed",
                _ => "not sent",
            };
            let view = PendingView {
                inviter: d.inviter.unwrap_or_else(|| "—".into()),
                invited_on: d.created_at.format("%Y-%m-%d").to_string(),
                expires: d.expires_at.format("%Y-%m-%d %H:%M").to_string(),
                expired: d.status == InvitationStatus::Expired || d.expires_at <= Utc::now(),
                delivery,
                last_error: d
                    .last_error
                    .filter(|_| matches!(delivery, "retrying" | "failed")),
                link_copied: d
                    .link_copied_at
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
                reminded: d.reminded_at.map(|t| t.format("%Y-%m-%d").to_string()),
                denied: policy::check(actor, Action::InviteMember(role, role.permissions()))
                    .err()
                    .map(|x| x.0),
                in_app: d.in_app,
            };
            (d.membership_id, view)
        })
        .collect()
}
