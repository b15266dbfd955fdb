//! The quick save: a change of org role or own permission set to a member
//! who is not an Owner, written without a transaction when the member is
//! still as read.

use diesel::PgConnection;

use super::bulk::Before;
use super::{member_updated, new_access, target_of, MemberPatch, Recorded};
use crate::db::members as q;
use crate::domain::policy::Actor;
use crate::domain::{MembershipId, OrgId, OrgRole};
use crate::error::{AppError, AppResult};

/// What the quick path did.
pub(super) enum Quick {
    /// Saved, with the member's row (and the Owner count) as it now is; `None`
    /// for a row the caller reloads (a new custom role, whose name was not read).
    Done(Option<Box<(q::MemberRow, i64)>>),
    /// Owners are involved, or the member changed since it was read: take the
    /// locked path.
    Lock,
}

/// A change of org role or own permission set to a member who is not an Owner,
/// into no Owner, without a transaction: the member's row is read, the policy
/// asked, and one statement writes the change with its audit event only if the
/// member is still as read (version, role, status). Four round trips fewer
/// than the locked path (BEGIN, COMMIT, the event's own INSERT, and reading
/// the row again); a member changed in between is left to the locked path.
pub(super) fn quick_access_change(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    patch: &MemberPatch,
    seen: &mut Option<Before>,
) -> AppResult<Quick> {
    let (row, owners) = q::find_row(conn, org, member)?.ok_or(AppError::NotFound)?;
    *seen = Some(Before::of_row(&row));
    if row.role == OrgRole::Owner {
        return Ok(Quick::Lock);
    }
    let current = q::LockedMember::from(&row.base);
    let target = target_of(actor, &current, patch, owners)?;
    let (role, custom_role_id, own) = new_access(conn, actor, org, &current, target, patch)?;
    if role == OrgRole::Owner {
        return Ok(Quick::Lock);
    }
    if role == target.role && custom_role_id == current.custom_role_id && own == current.permissions
    {
        // Saving an unchanged row changes nothing: no version bump, no audit event.
        return Ok(Quick::Done(Some(Box::new((row, owners)))));
    }
    let event = member_updated(
        actor,
        org,
        member,
        Recorded::of_row(
            (current.role, current.custom_role_id, &current.permissions),
            &row,
        ),
        Recorded::of_row((role, custom_role_id, &own), &row),
    );
    if !q::update_access_if_unchanged(conn, &current, role, custom_role_id, own.clone(), event)? {
        return Ok(Quick::Lock);
    }
    if custom_role_id.is_some() && custom_role_id != current.custom_role_id {
        return Ok(Quick::Done(None));
    }
    // The row as saved: only its access and version moved.
    let mut saved = row;
    saved.base.role = role;
    if custom_role_id.is_none() {
        saved.base.custom_role_name = None;
    }
    saved.base.custom_role_id = custom_role_id;
    saved.base.permissions = own;
    saved.base.version += 1;
    Ok(Quick::Done(Some(Box::new((saved, owners)))))
}
