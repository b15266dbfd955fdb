//! Adding an existing account by its public ID (seed 004): an invitation like
//! any other (the same checks, seat, email and audit event), that its invitee
//! accepts or declines from their home page (`inbox`). Until then the inviting
//! organization knows them by the ID alone (`memberships.invited_as`): not
//! their name, their address or where else they are.

use diesel::{Connection, PgConnection};
use serde_json::json;

use super::create::{admit, record, Grant, Invitee, Recorded};
use super::LinkSettings;
use crate::db::{self, organizations as orgs};
use crate::domain::{
    policy::Actor, MembershipId, MembershipStatus, OrgId, OrgRole, PermissionSet, PublicAccountId,
    TeamRole,
};
use crate::error::{AppError, AppResult};

/// What a manager asks for: whose ID, with which org role, in which teams.
#[derive(Debug, Clone)]
pub struct AddByIdRequest {
    pub account: PublicAccountId,
    pub role: OrgRole,
    pub teams: Vec<(i64, TeamRole)>,
    pub permissions: Option<PermissionSet>,
}

/// Invites the account with this ID: a pending membership known by the ID,
/// the invitation, its email and the audit event, in one transaction. An
/// unknown ID or the actor's own is a `Validation` error; someone already here
/// (pending, active or archived) a `Conflict`, as for an address.
pub fn invite_by_id(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    req: &AddByIdRequest,
    links: &LinkSettings,
) -> AppResult<MembershipId> {
    conn.transaction(|conn| {
        let shown = req.account.as_str();
        let Some(account) = db::accounts::find_by_public_id(conn, &req.account)? else {
            return Err(AppError::Validation(format!(
                "No account has the ID {shown}. Check it with the person: it is on their profile page."
            )));
        };
        if account.id == actor.account_id {
            return Err(AppError::Validation(
                "That is your own account ID; ask the person for theirs.".into(),
            ));
        }
        let grant = Grant {
            role: req.role,
            teams: &req.teams,
            permissions: req.permissions,
        };
        let invitee = Invitee {
            account: Some(account.id),
            shown,
        };
        let organization = admit(conn, actor, org, &grant, &invitee)?;
        let membership =
            orgs::insert_membership(conn, org, account.id, req.role, MembershipStatus::Pending)?;
        db::invitations::set_invited_as(conn, membership, shown)?;
        let new = Recorded {
            organization: &organization,
            membership,
            to: &account.email,
            grant,
            created_account: false,
            described: json!({"account_id": shown}),
        };
        record(conn, actor, links, new)?;
        Ok(membership)
    })
}
