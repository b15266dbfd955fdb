//! Issuing an open invitation's link again: by email (resend, in the parent
//! module) or handed to the manager to pass on ("copy link"). Either way the
//! old link dies, the expiry starts again and the roles and teams stay.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::{lock_open, new_token, require_user_management, seats_full, LinkSettings};
use crate::db::{self, audit::NewEvent, invitations as q, organizations as orgs};
use crate::domain::policy::Actor;
use crate::domain::{InvitationStatus, MembershipId, OrgId};
use crate::error::{AppError, AppResult};
use crate::mail::{templates::invite_link, TOKEN_PLACEHOLDER};

/// An invitation with its new link.
pub struct Reissued {
    /// As it was before (old expiry and status).
    pub inv: q::Invitation,
    pub organization: orgs::Organization,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Under the organization's and the invitation's row locks: a new token and
/// expiry, open again if it had expired (which takes a free seat again), its
/// unsent email cancelled (a queued message would mint yet another token when
/// sent and kill a copied link), and due for a reminder again.
pub(super) fn reissue(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    links: &LinkSettings,
    copied: bool,
) -> AppResult<Reissued> {
    let organization = orgs::find_for_update(conn, org)?;
    let inv = lock_open(conn, actor, org, member)?;
    require_user_management(conn, &organization)?;
    let lapsed = inv.status == InvitationStatus::Expired || inv.expires_at <= Utc::now();
    if lapsed && orgs::count_seats_used(conn, org)? >= i64::from(organization.seats_purchased) {
        return Err(seats_full(organization.seats_purchased));
    }
    let (token, hash) = new_token();
    let expires_at = links.expires_at();
    q::reissue(conn, inv.id, &hash, expires_at, copied)?;
    db::outbox::cancel_unsent_of_invitation(conn, inv.id)?;
    Ok(Reissued {
        inv,
        organization,
        token,
        expires_at,
    })
}

/// A link shown once to the manager who asked for it.
#[derive(Debug, Clone)]
pub struct CopiedLink {
    pub link: String,
    pub email: String,
    pub expires_at: DateTime<Utc>,
}

/// A fresh link for a manager to pass on when email is not an option: no email
/// is queued, and no reminder will replace it.
pub fn copy_link(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    links: &LinkSettings,
) -> AppResult<CopiedLink> {
    conn.transaction(|conn| {
        let Reissued {
            inv,
            token,
            expires_at,
            ..
        } = reissue(conn, actor, org, member, links, true)?;
        // The link page names the invitee's address, which an organization that
        // added them by account ID does not know (the new token rolls back).
        if q::invited_as(conn, org, member)?.is_some() {
            return Err(AppError::Conflict(
                "This invitation was made by account ID: they accept it on their home page in Roster, and no link is shown. Resend emails them again.".into(),
            ));
        }
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "invitation.link_copied",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(json!({"expires_at": inv.expires_at, "status": inv.status})),
                after: Some(json!({"expires_at": expires_at, "status": InvitationStatus::Pending})),
            },
        )?;
        Ok(CopiedLink {
            link: invite_link(&links.public_url).replace(TOKEN_PLACEHOLDER, &token),
            email: inv.email,
            expires_at,
        })
    })
}
