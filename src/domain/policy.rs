//! The authorization policy: one pure function answering "may this actor do this?"
//! with a reason when not. The web layer loads the actor from the database on
//! every request and asks here; templates show the same reasons on disabled controls.

use super::roles::{OrgRole, Permission, PermissionSet};
use super::AccountId;

/// Who is acting: an active member of the organization the request is about.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub account_id: AccountId,
    pub role: OrgRole,
    pub permissions: PermissionSet,
}

impl Actor {
    pub fn new(account_id: AccountId, role: OrgRole) -> Self {
        Self {
            account_id,
            role,
            permissions: role.permissions(),
        }
    }
    pub fn has(&self, perm: Permission) -> bool {
        self.permissions.contains(perm)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ViewSettings,
    RenameOrg,
    ToggleFeatures,
    ChangeSeats,
}

/// Why an action is refused, in words shown to the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub &'static str);

pub fn check(actor: &Actor, action: Action) -> Result<(), Denied> {
    let (needed, reason) = match action {
        Action::ViewSettings | Action::RenameOrg => (
            Permission::OrgSettings,
            "Only Owners and Admins can change organization settings.",
        ),
        Action::ToggleFeatures => (
            Permission::FeaturesManage,
            "Only Owners and Admins can switch features.",
        ),
        Action::ChangeSeats => (
            Permission::BillingManage,
            "Only an Owner can change the plan and seats.",
        ),
    };
    if actor.has(needed) {
        Ok(())
    } else {
        Err(Denied(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_actions_by_role() {
        use Action::*;
        // (role, view settings, rename, toggle features, change seats)
        let table = [
            (OrgRole::Owner, true, true, true, true),
            (OrgRole::Admin, true, true, true, false),
            (OrgRole::Manager, false, false, false, false),
            (OrgRole::Member, false, false, false, false),
        ];
        for (role, view, rename, toggle, seats) in table {
            let actor = Actor::new(AccountId(1), role);
            assert_eq!(check(&actor, ViewSettings).is_ok(), view, "{role:?} view");
            assert_eq!(check(&actor, RenameOrg).is_ok(), rename, "{role:?} rename");
            assert_eq!(
                check(&actor, ToggleFeatures).is_ok(),
                toggle,
                "{role:?} toggle"
            );
            assert_eq!(check(&actor, ChangeSeats).is_ok(), seats, "{role:?} seats");
        }
    }

    #[test]
    fn refusals_carry_a_reason() {
        let member = Actor::new(AccountId(1), OrgRole::Member);
        let Denied(reason) = check(&member, Action::ChangeSeats).unwrap_err();
        assert!(reason.contains("Owner"));
    }
}
