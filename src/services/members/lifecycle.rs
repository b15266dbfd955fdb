//! The way out of an organization and back: what a member holds (the revoke
//! preview), revoking them (archived, out of every team and group, what they
//! held kept, their contacts handed over), restoring an archived member, and
//! deleting one for good. Each change is one transaction with its audit event.
//!
//! Two Owners revoking each other at once: each locks its target's row, then
//! the organization's count of active Owners ([`q::lock_active_owners`]), so
//! the second reads the count the first left and finds its target the last
//! Owner (`members::lifecycle::two_owners_revoking_each_other_leave_one_owner`).

use diesel::{Connection, PgConnection};

mod archived;
pub use archived::{delete, no_seat_message, restore, Deleted, Restore};
use serde_json::{json, Value};

use crate::db::{
    self,
    audit::NewEvent,
    members as q,
    offboarding::{self as off, Held, KeptTeam},
};
use crate::domain::policy::{self, Action, Actor, Target};
use crate::domain::{AccountId, MembershipId, MembershipStatus, OrgId, OrgRole, TeamId};
use crate::error::{AppError, AppResult};

/// What happens to a leaving member's contacts in one team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Handover {
    /// Nobody's (the default).
    #[default]
    Unassign,
    /// To this active member of the same team.
    Reassign(MembershipId),
}

/// The handover chosen per team; a team without a choice is unassigned.
#[derive(Debug, Clone, Default)]
pub struct Handovers(pub Vec<(TeamId, Handover)>);

impl Handovers {
    pub fn of(&self, team: TeamId) -> Handover {
        self.0
            .iter()
            .find(|(t, _)| *t == team)
            .map(|(_, h)| *h)
            .unwrap_or_default()
    }
}

/// What one team's handover did: the contacts that moved, and to whom.
#[derive(Debug, Clone)]
pub struct HandedOver {
    pub team_id: TeamId,
    pub team: String,
    pub contacts: usize,
    /// The new assignee's name; `None` when unassigned.
    pub to: Option<String>,
    /// The new assignee's membership; `None` when unassigned.
    pub to_member: Option<MembershipId>,
}

impl HandedOver {
    pub fn json(&self, team: TeamId, handover: Handover) -> Value {
        match handover {
            Handover::Unassign => json!({"team": team, "unassigned": self.contacts}),
            Handover::Reassign(to) => {
                json!({"team": team, "reassigned": self.contacts, "to": to})
            }
        }
    }
}

/// Gives `member`'s contacts in `team` to nobody or to an active member of the
/// same team in the same organization. Any other target (archived, pending,
/// outside the team, another organization's, the member themselves) is a
/// `Validation` error naming the problem; the caller's transaction then
/// changes nothing.
pub fn hand_over(
    conn: &mut PgConnection,
    org: OrgId,
    (team, team_name): (TeamId, &str),
    member: MembershipId,
    handover: Handover,
) -> AppResult<HandedOver> {
    let to = match handover {
        Handover::Unassign => None,
        Handover::Reassign(to) => {
            let refuse = |why: String| {
                Err(AppError::Validation(format!(
                    "{why} Choose an active member of {team_name} to take over the contacts, or leave them unassigned."
                )))
            };
            if to == member {
                return refuse("The contacts cannot go to the person who is leaving.".into());
            }
            let Some(assignee) = off::lock_assignee(conn, org, team, to)? else {
                return refuse("That person is not a member of this organization.".into());
            };
            let name = assignee.display_name;
            match MembershipStatus::parse(&assignee.status) {
                Some(MembershipStatus::Archived) => {
                    return refuse(format!("{name}'s access is archived."))
                }
                Some(MembershipStatus::Pending) => {
                    return refuse(format!("{name} has not accepted their invitation yet."))
                }
                _ if !assignee.in_team => return refuse(format!("{name} is not in {team_name}.")),
                _ => Some((to, name)),
            }
        }
    };
    let contacts = off::hand_over_contacts(conn, team, member, to.as_ref().map(|t| t.0))?;
    Ok(HandedOver {
        team_id: team,
        team: team_name.to_owned(),
        contacts,
        to_member: to.as_ref().map(|t| t.0),
        to: to.map(|t| t.1),
    })
}

/// Two handovers that lock the same members in opposite orders (Bob's
/// contacts going to Carl while Carl's go to Bob) deadlock, and PostgreSQL
/// ends one of them: that one changed nothing, and is told so rather than
/// shown a 500 (`members::lifecycle::two_revokes_handing_contacts_to_each_other_at_once_never_half_write`).
pub fn collided(e: AppError) -> AppError {
    use diesel::result::{DatabaseErrorKind, Error};
    let AppError::Unexpected(err) = &e else {
        return e;
    };
    match err.downcast_ref::<Error>() {
        Some(Error::DatabaseError(kind, info))
            if matches!(kind, DatabaseErrorKind::SerializationFailure)
                || info.message().contains("deadlock detected") =>
        {
            AppError::Conflict(
                "Someone changed these members at the same moment, so nothing was changed. Please try again."
                    .into(),
            )
        }
        _ => e,
    }
}

/// The policy's target for a member as locked or listed (see [`Target::of`]).
pub(super) fn target(
    account: i64,
    role: OrgRole,
    status: MembershipStatus,
    active_owners: i64,
) -> Target {
    Target::of(AccountId(account), role, status, active_owners)
}

pub(super) fn denied(d: policy::Denied) -> AppError {
    AppError::forbidden(d.0)
}

/// Why a member in this status cannot be revoked, if they cannot.
fn not_revocable(name: &str, status: MembershipStatus) -> Option<String> {
    match status {
        MembershipStatus::Archived => Some(format!("{name} is already archived.")),
        MembershipStatus::Pending => Some(format!(
            "{name} has not accepted their invitation yet; revoke the invitation instead."
        )),
        MembershipStatus::Active => None,
    }
}

/// Everything the revoke dialog shows about a member.
pub struct RevokePreview {
    pub member: q::MemberRow,
    pub teams: Vec<off::HeldTeam>,
    pub contacts: Vec<off::ContactCount>,
    pub candidates: Vec<off::Candidate>,
    pub invitations: Vec<off::SentInvitation>,
    /// Why the actor may not revoke them now, if they may not.
    pub refused: Option<String>,
}

/// What the member holds and whether the actor may revoke them. Members the
/// actor does not see are a 404, like any unknown id.
pub fn preview(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
) -> AppResult<RevokePreview> {
    policy::check(actor, Action::ViewMembers).map_err(|_| AppError::NotFound)?;
    let (row, owners) = q::find_row(conn, org, member)?.ok_or(AppError::NotFound)?;
    let refused = match not_revocable(&row.display_name, row.status) {
        Some(why) => Some(why),
        None => policy::check(
            actor,
            Action::RevokeMember(target(row.account_id, row.role, row.status, owners)),
        )
        .err()
        .map(|d| d.0.to_owned()),
    };
    let teams = off::held_teams(conn, org, member)?;
    let contacts = off::contacts_per_team(conn, org, member)?;
    let with_contacts: Vec<i64> = contacts.iter().map(|c| c.team_id).collect();
    Ok(RevokePreview {
        candidates: off::candidates(conn, org, &with_contacts, member)?,
        invitations: off::open_invitations_sent(conn, org, AccountId(row.account_id))?,
        member: row,
        teams,
        contacts,
        refused,
    })
}

/// What a revoke did.
pub struct Revoked {
    pub name: String,
    pub handed_over: Vec<HandedOver>,
}

/// Whether the actor is still an active member here (they may have been
/// revoked since their request was let in). An API token is the
/// organization's: it acts whether or not its creator is still a member.
fn still_active(conn: &mut PgConnection, org: OrgId, actor: &Actor) -> AppResult<()> {
    if actor.is_token() {
        return Ok(());
    }
    match db::invitations::membership_of(conn, org, actor.account_id)? {
        Some((_, MembershipStatus::Active)) => Ok(()),
        _ => Err(AppError::NotFound),
    }
}

/// The member's name and email as the account has them now.
pub(super) fn who(conn: &mut PgConnection, account: i64) -> AppResult<(String, String)> {
    let account = db::accounts::find_by_id(conn, AccountId(account))?.ok_or(AppError::NotFound)?;
    Ok((account.display_name, account.email))
}

/// Revokes a member from the organization: archived, out of every team and
/// group (what they held kept for a restore), their contacts handed over per
/// team as chosen, their seat freed; their open invitations stay. One
/// transaction with its audit event; a refused handover changes nothing.
pub fn revoke(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    handovers: &Handovers,
) -> AppResult<Revoked> {
    conn.transaction(|conn| {
        let current = q::lock(conn, org, member)?
            .ok_or(AppError::NotFound)?
            .member;
        let (name, email) = who(conn, current.account_id)?;
        if let Some(why) = not_revocable(&name, current.status) {
            return Err(AppError::Conflict(why));
        }
        let owners = if current.role == OrgRole::Owner {
            q::lock_active_owners(conn, org)?
        } else {
            0
        };
        still_active(conn, org, actor)?;
        let target = target(current.account_id, current.role, current.status, owners);
        policy::check(actor, Action::RevokeMember(target)).map_err(denied)?;

        let teams = off::held_teams(conn, org, member)?;
        let mut handed_over = Vec::new();
        let mut recorded = Vec::new();
        for count in off::contacts_per_team(conn, org, member)? {
            let team = TeamId(count.team_id);
            let handover = handovers.of(team);
            let done = hand_over(conn, org, (team, &count.team_name), member, handover)?;
            recorded.push(done.json(team, handover));
            handed_over.push(done);
        }
        let held = Held {
            custom_role_name: match current.custom_role_id {
                Some(id) => db::roles::find_in_org(conn, org, crate::domain::CustomRoleId(id))?
                    .map(|r| r.name),
                None => None,
            },
            teams: teams.iter().map(KeptTeam::from).collect(),
        };
        let actor_name = who(conn, actor.account_id.0)?.0;
        off::insert_archive(conn, org, member, (actor.account_id, &actor_name), &held)?;
        off::leave_all_teams(conn, member)?;
        off::set_status(conn, member, MembershipStatus::Archived)?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "member.revoked",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(json!({
                    "name": name, "email": email, "status": current.status,
                    "role": current.role, "custom_role_id": current.custom_role_id,
                    "permissions": current.permissions, "held": held,
                })),
                after: Some(json!({"status": MembershipStatus::Archived, "contacts": recorded})),
            },
        )?;
        Ok(Revoked { name, handed_over })
    })
    .map_err(collided)
}
