//! Archived members: restoring one as they were (a free seat needed; what was
//! deleted meanwhile is skipped and named), and deleting one for good (typed
//! email; the account goes too unless it belongs elsewhere).

use diesel::{Connection, PgConnection};
use serde_json::json;

use super::{denied, target, who};
use crate::db::{
    self,
    audit::NewEvent,
    members as q,
    offboarding::{self as off, Held},
    organizations as orgs,
};
use crate::domain::policy::{self, Action, Actor};
use crate::domain::{AccountId, MembershipId, MembershipStatus, OrgId};
use crate::error::{AppError, AppResult};

/// What a restore did, or why it could not.
pub enum Restore {
    Restored {
        name: String,
        /// Teams, groups and roles deleted meanwhile, in words.
        skipped: Vec<String>,
    },
    /// Every purchased seat is taken: nothing changed.
    NoSeat { name: String, purchased: i32 },
}

/// Why a restore found no free seat, and the way on.
pub fn no_seat_message(name: &str, purchased: i32) -> String {
    format!(
        "All {purchased} seats are in use, so {name} cannot be restored. Free a seat, or buy more under Plan & seats."
    )
}

/// Brings an archived member back: active again, with their org role and
/// own permissions (kept on the membership) and their teams, team roles and
/// groups as they were; whatever was deleted meanwhile is skipped and named.
/// Needs a free seat. Contacts handed over at the revoke stay where they went.
pub fn restore(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
) -> AppResult<Restore> {
    conn.transaction(|conn| {
        // Seats are counted under the organization's lock, as invitations do.
        let organization = orgs::find_for_update(conn, org)?;
        let current = q::lock(conn, org, member)?
            .ok_or(AppError::NotFound)?
            .member;
        let (name, email) = who(conn, current.account_id)?;
        if current.status != MembershipStatus::Archived {
            return Err(AppError::Conflict(format!(
                "{name} is not archived; there is nothing to restore."
            )));
        }
        let target = target(current.account_id, current.role, current.status, 0);
        policy::check(actor, Action::RestoreMember(target)).map_err(denied)?;
        if orgs::count_seats_used(conn, org)? >= i64::from(organization.seats_purchased) {
            return Ok(Restore::NoSeat {
                name,
                purchased: organization.seats_purchased,
            });
        }
        let held = off::archives_of(conn, org, &[member.0])?
            .first()
            .map(off::Archive::held)
            .unwrap_or_default();
        let skipped = put_back(conn, org, member, &held)?;
        let mut skipped = skipped;
        if held.custom_role_name.is_some() && current.custom_role_id.is_none() {
            skipped.push(format!(
                "the custom role {} (deleted; they have the {} role's permissions)",
                held.custom_role_name.as_deref().unwrap_or_default(),
                current.role.label()
            ));
        }
        off::delete_archive(conn, member)?;
        off::set_status(conn, member, MembershipStatus::Active)?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "member.restored",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(
                    json!({"name": name, "email": email, "status": MembershipStatus::Archived}),
                ),
                after: Some(
                    json!({"status": MembershipStatus::Active, "held": held, "skipped": skipped}),
                ),
            },
        )?;
        Ok(Restore::Restored { name, skipped })
    })
}

/// Puts the member back into the teams and groups they held that still
/// exist; the ones that do not, in words.
fn put_back(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
    held: &Held,
) -> AppResult<Vec<String>> {
    let team_ids: Vec<i64> = held.teams.iter().map(|t| t.team).collect();
    let teams = off::existing_teams(conn, org, &team_ids)?;
    let role_ids: Vec<i64> = held.teams.iter().filter_map(|t| t.custom_role_id).collect();
    let roles = off::existing_roles(conn, org, &role_ids)?;
    let group_ids: Vec<i64> = held
        .teams
        .iter()
        .flat_map(|t| t.groups.iter().map(|g| g.id))
        .collect();
    let groups = off::existing_groups(conn, org, &group_ids)?;
    let mut skipped = Vec::new();
    for place in &held.teams {
        if !teams.iter().any(|t| t.0 == place.team) {
            skipped.push(format!("the team {} (deleted)", place.name));
            continue;
        }
        let mut place = place.clone();
        if let Some(role) = place.custom_role_id.filter(|id| !roles.contains(id)) {
            skipped.push(format!(
                "the custom team role {} in {} (deleted)",
                place
                    .custom_role_name
                    .as_deref()
                    .unwrap_or(&role.to_string()),
                place.name
            ));
            place.custom_role_id = None;
        }
        let tm = off::insert_team_place(conn, org, member, &place)?;
        for group in &place.groups {
            if groups.contains(&(group.id, place.team)) {
                q::add_to_group(conn, group.id, tm)?;
            } else {
                skipped.push(format!(
                    "the group {} in {} (deleted)",
                    group.name, place.name
                ));
            }
        }
    }
    Ok(skipped)
}

/// What a permanent delete did.
pub struct Deleted {
    pub name: String,
    /// The account went too (it belonged to no other organization).
    pub account_removed: bool,
}

/// Deletes an archived member for good: the membership and its archive go,
/// and the account with its sessions unless it belongs to another
/// organization. The audit event keeps the name and email as they were;
/// purchased seats stay as they are. `typed` must be the member's email.
pub fn delete(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    typed: &str,
) -> AppResult<Deleted> {
    conn.transaction(|conn| {
        let current = q::lock(conn, org, member)?
            .ok_or(AppError::NotFound)?
            .member;
        let account = AccountId(current.account_id);
        // Locked: an invitation accepted meanwhile cannot give it a new membership.
        let found = db::accounts::lock_by_id(conn, account)?.ok_or(AppError::NotFound)?;
        let (name, email) = (found.display_name, found.email);
        if current.status != MembershipStatus::Archived {
            return Err(AppError::Conflict(format!(
                "Revoke {name}'s access first: only archived members can be deleted."
            )));
        }
        let target = target(current.account_id, current.role, current.status, 0);
        policy::check(actor, Action::DeleteMember(target)).map_err(denied)?;
        if !typed.trim().eq_ignore_ascii_case(&email) {
            return Err(AppError::Validation(format!(
                "To delete {name} for good, type their email address, {email}, exactly."
            )));
        }
        let archive = off::archives_of(conn, org, &[member.0])?;
        let held = archive.first().map(off::Archive::held).unwrap_or_default();
        let elsewhere = db::accounts::count_other_memberships(conn, account, member)? > 0;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "member.deleted",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(json!({
                    "name": name, "email": email, "status": current.status,
                    "role": current.role, "permissions": current.permissions,
                    "archived_by": archive.first().map(|a| &a.archived_by_name),
                    "archived_at": archive.first().map(|a| a.archived_at),
                    "held": held,
                })),
                after: Some(json!({"account_removed": !elsewhere})),
            },
        )?;
        off::delete_membership(conn, member)?;
        if !elsewhere {
            off::keep_inviter_name(conn, account, &name)?;
            off::delete_account(conn, account)?;
        }
        Ok(Deleted {
            name,
            account_removed: !elsewhere,
        })
    })
}
