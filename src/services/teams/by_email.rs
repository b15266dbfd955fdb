//! Adding someone to a team by email (DESIGN rule 5: adding to a team adds to
//! the organization). An active org member is added like one picked from the
//! list; an address new to the organization is invited through the
//! invitations service (its feature, seat, plan and grant rules, its email)
//! and joins the team as a pending member until they accept.

use diesel::{Connection, PgConnection};

use super::members::{self as team_members, TeamAccess};
use crate::db::{self, teams::members::TeamMemberRow};
use crate::domain::{
    EmailAddress, MembershipId, MembershipStatus, OrgId, OrgRole, TeamId, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::invitations::{self, InviteRequest, LinkSettings};
use crate::services::limits::{self, Bucket};

/// What adding by email did.
#[derive(Debug)]
pub enum Added {
    /// An active member of the organization joined the team.
    Member(TeamMemberRow),
    /// The address was invited to the organization with this team; they show
    /// in the team as pending until they accept.
    Invited(TeamMemberRow),
}

/// What inviting needs when the address is new to the organization: where the
/// link points, and the invite rate limits it counts against.
pub struct Inviting<'a> {
    pub links: &'a LinkSettings,
    pub buckets: &'a [Bucket],
}

/// Adds `email` to the team as `role`, in one transaction. Someone pending or
/// archived in the organization is a `Validation` error saying what to do
/// instead.
pub fn add(
    conn: &mut PgConnection,
    access: &TeamAccess,
    (org, team): (OrgId, TeamId),
    email: &EmailAddress,
    role: TeamRole,
    inviting: &Inviting<'_>,
) -> AppResult<Added> {
    conn.transaction(|conn| {
        super::lock_editable(conn, org, team)?;
        let account = db::accounts::find_by_email(conn, email.as_str())?;
        let membership = match &account {
            Some(account) => db::invitations::membership_of(conn, org, account.id)?,
            None => None,
        };
        if let Some((member, status)) = membership {
            let member = MembershipId(member);
            return match status {
                MembershipStatus::Active => {
                    team_members::add(conn, access, org, team, member, role).map(Added::Member)
                }
                MembershipStatus::Pending => Err(AppError::Validation(format!(
                    "{} is invited to the organization and has not accepted yet. \
                     Pick them from the list above to add them to this team, \
                     or use Resend on their row in the Members list.",
                    email.as_str()
                ))),
                MembershipStatus::Archived => Err(AppError::Validation(format!(
                    "{}'s access to the organization is archived; restore it before adding them to a team.",
                    email.as_str()
                ))),
            };
        }
        limits::hit(conn, inviting.buckets, 1)?;
        let request = InviteRequest {
            email: email.clone(),
            role: OrgRole::Member,
            teams: vec![(team.0, role)],
            permissions: None,
        };
        let member = invitations::invite(conn, &access.actor, org, &request, inviting.links)?;
        // The invitation carries the team for its accept; the row shows them
        // in the team meanwhile (a revoked invitation takes it away).
        team_members::add(conn, access, org, team, member, role).map(Added::Invited)
    })
}
