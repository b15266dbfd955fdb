//! A signed-in account's own invitations: the open ones its home page lists,
//! accepting one there (no email round trip) and declining one. Only the
//! account an invitation is addressed to finds it; anyone else gets a 404.

use chrono::Utc;
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::accept::activate;
use crate::db::{self, audit::NewEvent, invitations as q};
use crate::domain::{AccountId, InvitationStatus, MembershipId, OrgId, OrgRole};
use crate::error::{AppError, AppResult};

pub use q::OpenInvitation;

pub fn list_open(conn: &mut PgConnection, account: AccountId) -> AppResult<Vec<OpenInvitation>> {
    Ok(q::list_open_for_account(conn, account)?)
}

/// The invitation, locked, if it is `account`'s and still open; an expired or
/// finished one is a `Conflict` saying so.
fn lock_open(conn: &mut PgConnection, account: AccountId, id: i64) -> AppResult<q::Invitation> {
    let inv = q::lock_for_account(conn, id, account)?.ok_or(AppError::NotFound)?;
    match inv.status {
        InvitationStatus::Pending if inv.expires_at > Utc::now() => Ok(inv),
        InvitationStatus::Pending | InvitationStatus::Expired => Err(AppError::Conflict(
            "This invitation has expired; ask the organization to send it again.".into(),
        )),
        InvitationStatus::Accepted => Err(AppError::Conflict(
            "You have already accepted this invitation.".into(),
        )),
        _ => Err(AppError::Conflict("This invitation was withdrawn.".into())),
    }
}

fn org_name(conn: &mut PgConnection, org: OrgId) -> AppResult<String> {
    Ok(db::organizations::find_by_id(conn, org)?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// What accepting or declining was about, for the message.
#[derive(Debug, Clone)]
pub struct Answered {
    pub org: OrgId,
    pub org_name: String,
    pub role: OrgRole,
}

/// Accepts in-app, in one transaction under the invitation's lock: the same
/// accepting half as the emailed link (membership active, teams and
/// permissions applied, invitation used up, `invitation.accepted`).
pub fn accept(conn: &mut PgConnection, account: AccountId, id: i64) -> AppResult<Answered> {
    conn.transaction(|conn| {
        let inv = lock_open(conn, account, id)?;
        if !activate(conn, &inv, account)? {
            return Err(AppError::Conflict("This invitation was withdrawn.".into()));
        }
        let org = OrgId(inv.organization_id);
        Ok(Answered {
            org,
            org_name: org_name(conn, org)?,
            role: inv.role,
        })
    })
}

/// Declines: the invitation ends (`declined`, its unsent emails cancelled),
/// the pending membership goes and with it its seat, and the organization's
/// audit log records who declined.
pub fn decline(conn: &mut PgConnection, account: AccountId, id: i64) -> AppResult<Answered> {
    conn.transaction(|conn| {
        let inv = lock_open(conn, account, id)?;
        let org = OrgId(inv.organization_id);
        let member = inv
            .membership_id
            .map(MembershipId)
            .ok_or(AppError::NotFound)?;
        super::close(conn, &inv, org, member, InvitationStatus::Declined)?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(account),
                action: "invitation.declined",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(json!({"status": InvitationStatus::Pending, "role": inv.role, "invitation": inv.id})),
                after: Some(json!({"status": InvitationStatus::Declined})),
            },
        )?;
        Ok(Answered {
            org,
            org_name: org_name(conn, org)?,
            role: inv.role,
        })
    })
}
