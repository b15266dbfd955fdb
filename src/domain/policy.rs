//! The authorization policy: one pure function answering "may this actor do
//! this?" with a reason when not. The web layer loads the actor (and any target)
//! from the database on every request and asks here; templates show the same
//! reasons on disabled controls.
//!
//! Who may manage whom: an Owner manages anyone; everyone else manages only
//! members of a lower org role. Nobody changes their own access, nobody grants
//! what they do not hold, and the last active Owner stays an Owner.
//!
//! A team's contacts: everyone in the team sees the contacts assigned to
//! them, and edits their details (they work them); `contacts.view_all` sees
//! all of the team's (Supervisors, Team managers); `contacts.assign` adds,
//! deletes, assigns, unassigns and reassigns them and edits any of them (Team
//! managers, and every team's through `teams.manage`). A contact one may not
//! see is answered as if it did not exist.

use super::roles::{OrgRole, Permission, PermissionSet};
use super::AccountId;

/// Who is acting: an active member of the organization the request is about,
/// or an API token of it, acting for the member who made it.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub account_id: AccountId,
    pub role: OrgRole,
    /// Effective org-level permissions (preset, custom role or own set).
    pub permissions: PermissionSet,
    /// What the actor may use at all, wherever a permission comes from: every
    /// permission for a member, its scopes for an API token (so a token's
    /// `teams.manage` does not bring team permissions it was not given).
    ceiling: PermissionSet,
    /// An API token of the organization, not a member's session: it belongs
    /// to the organization and keeps working when its creator leaves.
    token: bool,
}

impl Actor {
    pub fn new(account_id: AccountId, role: OrgRole) -> Self {
        Self::with_permissions(account_id, role, role.permissions())
    }
    pub fn with_permissions(
        account_id: AccountId,
        role: OrgRole,
        permissions: PermissionSet,
    ) -> Self {
        Self {
            account_id,
            role,
            permissions,
            ceiling: PermissionSet::all(),
            token: false,
        }
    }
    /// An API token: it acts with the rank its creator had when it was made,
    /// and with its scopes and nothing else.
    pub fn for_token(creator: AccountId, role: OrgRole, scopes: PermissionSet) -> Self {
        Self {
            account_id: creator,
            role,
            permissions: scopes,
            ceiling: scopes,
            token: true,
        }
    }
    /// An API token rather than a member's session.
    pub fn is_token(&self) -> bool {
        self.token
    }
    pub fn has(&self, perm: Permission) -> bool {
        self.permissions.contains(perm) && self.ceiling.contains(perm)
    }
    fn is_owner(&self) -> bool {
        self.role == OrgRole::Owner
    }
}

/// The member an action is about.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub account_id: AccountId,
    pub role: OrgRole,
    /// An active member, not pending or archived.
    pub active: bool,
    /// The only active Owner of the organization.
    pub last_active_owner: bool,
}

impl Target {
    /// The member as a row or a lock reads them: the one conversion from a
    /// membership to the policy's target. `active_owners` is the
    /// organization's count of active Owners (the last one is protected).
    pub fn of(
        account_id: AccountId,
        role: OrgRole,
        status: super::MembershipStatus,
        active_owners: i64,
    ) -> Self {
        let active = status == super::MembershipStatus::Active;
        Self {
            account_id,
            role,
            active,
            last_active_owner: role == OrgRole::Owner && active && active_owners <= 1,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Action {
    ViewSettings,
    RenameOrg,
    ToggleFeatures,
    ChangeSeats,
    ManageRoles,
    /// Create, edit or delete a custom role: `before` is the role as it is (empty
    /// when creating), `after` as it will be (empty when deleting). Both must be
    /// within what the actor holds.
    ChangeRole {
        before: PermissionSet,
        after: PermissionSet,
    },
    /// See every member (without it, the members page shows only yourself).
    ViewMembers,
    /// Read the organization's audit log and export it.
    ViewAudit,
    /// Read a member's timeline: one's own, or anyone's with the audit log.
    ViewTimeline {
        own: bool,
    },
    /// Change how long the audit log keeps events (a purge is a deletion of
    /// evidence: it takes both the log and the organization's settings).
    ChangeAuditRetention,
    /// Open a member's edit form at all.
    EditMember(Target),
    /// Give a member an org role (built-in), with the permissions it carries.
    GrantOrgRole(Target, OrgRole, PermissionSet),
    /// Give a member a custom permission set (own set or custom role).
    GrantPermissions(Target, PermissionSet),
    /// Revoke a member from the organization (archive them).
    RevokeMember(Target),
    /// Bring an archived member back with what they held.
    RestoreMember(Target),
    /// Remove an archived member for good.
    DeleteMember(Target),
    /// Invite someone (or resend or revoke their invitation) with an org role
    /// and the permissions it carries.
    InviteMember(OrgRole, PermissionSet),
    CreateTeam,
    /// Send calls to a team of the organization by its workflow ID (an API
    /// token's scopes are the actor's permissions).
    IngestCalls,
    /// See, list and revoke the organization's API tokens.
    ManageApiTokens,
    /// Make an API token with these scopes: only what the maker holds (team
    /// permissions through managing every team), and no expiry only for an Owner.
    CreateApiToken {
        scopes: PermissionSet,
        never_expires: bool,
    },
    /// Anything scoped to one team; `team` is the actor's permissions in that team
    /// (from the team role, or all of them through `teams.manage`).
    Team(TeamAction, PermissionSet),
}

#[derive(Debug, Clone, Copy)]
pub enum TeamAction {
    View {
        is_member: bool,
    },
    EditSettings,
    ManageMembers,
    /// Give a team member a team role or set; the set must be held by the actor.
    GrantTeamPermissions {
        target: AccountId,
        /// The target's org role: team managers do not touch Owners or Admins.
        target_role: OrgRole,
        granted: PermissionSet,
    },
    ManageGroups,
    ManageServices,
    /// See every member and all data of the team, not only one's own.
    ViewAll,
    /// See one contact of the team: the actor's own (assigned to them) always,
    /// any other with `contacts.view_all`.
    ViewContact {
        assigned_to_actor: bool,
    },
    /// See every contact of the team (and filter them by assignee).
    ViewAllContacts,
    /// Add contacts to the team, or delete them.
    ManageContacts,
    /// Change a contact's name, email, phone or note.
    EditContact {
        assigned_to_actor: bool,
    },
    /// Assign, unassign or reassign the team's contacts.
    AssignContacts,
    /// See every call of the team on its Calls tab; without it, only the
    /// calls assigned to oneself.
    ViewAllCalls,
}

/// Why an action is refused, in words shown to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Denied(pub &'static str);

fn need(actor: &Actor, perm: Permission, reason: &'static str) -> Result<(), Denied> {
    if actor.has(perm) {
        Ok(())
    } else {
        Err(Denied(reason))
    }
}

fn may_manage(actor: &Actor, target: &Target) -> Result<(), Denied> {
    if actor.account_id == target.account_id {
        return Err(Denied(
            "You cannot change your own access; ask another Owner or Admin.",
        ));
    }
    if target.role == OrgRole::Owner && !actor.is_owner() {
        return Err(Denied("Only an Owner can change an Owner."));
    }
    if !actor.is_owner() && target.role.rank() >= actor.role.rank() {
        return Err(Denied(
            "You can only change members whose role is below yours.",
        ));
    }
    Ok(())
}

/// What an actor may put into a role: their own permissions, and every team
/// permission when they manage every team.
fn held_for_roles(actor: &Actor) -> PermissionSet {
    let held = if actor.has(Permission::TeamsManage) {
        actor
            .permissions
            .union(PermissionSet::scope_all(super::roles::Scope::Team))
    } else {
        actor.permissions
    };
    held.intersection(actor.ceiling)
}

pub fn check(actor: &Actor, action: Action) -> Result<(), Denied> {
    use Permission as P;
    match action {
        Action::ViewSettings | Action::RenameOrg => need(
            actor,
            P::OrgSettings,
            "Only Owners and Admins can change organization settings.",
        ),
        Action::ToggleFeatures => need(
            actor,
            P::FeaturesManage,
            "Only Owners and Admins can switch features.",
        ),
        Action::ChangeSeats => need(
            actor,
            P::BillingManage,
            "Only an Owner can change the plan and seats.",
        ),
        Action::ManageRoles => need(
            actor,
            P::RolesManage,
            "Only Owners and Admins can manage roles.",
        ),
        Action::ChangeRole { before, after } => {
            check(actor, Action::ManageRoles)?;
            let held = held_for_roles(actor);
            if !before.is_subset_of(held) {
                return Err(Denied(
                    "You cannot change a role with permissions you do not hold yourself.",
                ));
            }
            if !after.is_subset_of(held) {
                return Err(Denied(
                    "You cannot grant permissions you do not hold yourself.",
                ));
            }
            Ok(())
        }
        Action::ViewMembers => need(
            actor,
            P::MembersView,
            "You can see only your own membership.",
        ),
        Action::ViewAudit => need(
            actor,
            P::AuditView,
            "Only those who may see the audit log can open it.",
        ),
        Action::ViewTimeline { own } => {
            if own {
                Ok(())
            } else {
                need(
                    actor,
                    P::AuditView,
                    "Only those who may see the audit log see other members' timelines.",
                )
            }
        }
        Action::ChangeAuditRetention => {
            check(actor, Action::ViewAudit)?;
            need(
                actor,
                P::OrgSettings,
                "Only Owners and Admins can change how long the audit log keeps events.",
            )
        }
        Action::EditMember(target) => {
            need(
                actor,
                P::MembersEditRoles,
                "You do not have permission to change members.",
            )?;
            may_manage(actor, &target)
        }
        Action::GrantOrgRole(target, role, permissions) => {
            check(actor, Action::EditMember(target))?;
            if role == OrgRole::Owner && !actor.is_owner() {
                return Err(Denied("Only an Owner can grant Owner."));
            }
            if target.last_active_owner && role != OrgRole::Owner {
                return Err(Denied(
                    "The last Owner cannot be demoted; make someone else an Owner first.",
                ));
            }
            if !permissions.is_subset_of(actor.permissions) {
                return Err(Denied(
                    "You cannot grant permissions you do not hold yourself.",
                ));
            }
            Ok(())
        }
        Action::GrantPermissions(target, permissions) => {
            check(actor, Action::EditMember(target))?;
            if target.last_active_owner {
                return Err(Denied(
                    "The last Owner cannot be demoted; make someone else an Owner first.",
                ));
            }
            if !permissions.is_subset_of(actor.permissions) {
                return Err(Denied(
                    "You cannot grant permissions you do not hold yourself.",
                ));
            }
            Ok(())
        }
        Action::RevokeMember(target) => {
            if actor.account_id == target.account_id {
                return Err(Denied(
                    "You cannot revoke your own access; ask another Owner or Admin.",
                ));
            }
            need(
                actor,
                P::MembersRevoke,
                "You do not have permission to revoke members.",
            )?;
            if target.last_active_owner {
                return Err(Denied("The last Owner cannot be removed."));
            }
            may_manage(actor, &target)
        }
        Action::RestoreMember(target) => {
            need(
                actor,
                P::MembersRevoke,
                "You do not have permission to restore members.",
            )?;
            may_manage(actor, &target)
        }
        Action::DeleteMember(target) => {
            if actor.account_id == target.account_id {
                return Err(Denied(
                    "You cannot delete your own membership; ask another Owner or Admin.",
                ));
            }
            need(
                actor,
                P::MembersRevoke,
                "You do not have permission to delete members.",
            )?;
            if target.last_active_owner {
                return Err(Denied("The last Owner cannot be removed."));
            }
            may_manage(actor, &target)
        }
        Action::InviteMember(role, permissions) => {
            need(
                actor,
                P::MembersInvite,
                "You do not have permission to invite members.",
            )?;
            if role == OrgRole::Owner && !actor.is_owner() {
                return Err(Denied("Only an Owner can invite an Owner."));
            }
            if !actor.is_owner() && role.rank() >= actor.role.rank() {
                return Err(Denied("You can only invite with a role below yours."));
            }
            if !permissions.is_subset_of(actor.permissions) {
                return Err(Denied(
                    "You cannot grant permissions you do not hold yourself.",
                ));
            }
            Ok(())
        }
        Action::CreateTeam => need(
            actor,
            P::TeamsCreate,
            "You do not have permission to create teams.",
        ),
        Action::IngestCalls => need(
            actor,
            P::WorkflowsIngest,
            "This token does not carry the workflows.ingest scope.",
        ),
        Action::ManageApiTokens => need(
            actor,
            P::ApiManage,
            "Only Owners and Admins can manage API tokens.",
        ),
        Action::CreateApiToken {
            scopes,
            never_expires,
        } => {
            check(actor, Action::ManageApiTokens)?;
            if scopes.is_empty() {
                return Err(Denied("Choose at least one scope."));
            }
            if !scopes.is_subset_of(held_for_roles(actor)) {
                return Err(Denied(
                    "A token can only have permissions you hold yourself.",
                ));
            }
            if never_expires && !actor.is_owner() {
                return Err(Denied("Only an Owner can make a token that never expires."));
            }
            Ok(())
        }
        Action::Team(team_action, team) => check_team(actor, team_action, team),
    }
}

fn check_team(actor: &Actor, action: TeamAction, team: PermissionSet) -> Result<(), Denied> {
    let has = |p: Permission| {
        (team.contains(p)
            || actor.has(Permission::TeamsManage) && p.scope() == super::roles::Scope::Team)
            && actor.ceiling.contains(p)
    };
    let need =
        |p: Permission, reason: &'static str| if has(p) { Ok(()) } else { Err(Denied(reason)) };
    match action {
        TeamAction::View { is_member } => {
            if is_member || actor.has(Permission::TeamsManage) || actor.has(Permission::MembersView)
            {
                Ok(())
            } else {
                Err(Denied("You are not a member of this team."))
            }
        }
        TeamAction::EditSettings => need(
            Permission::TeamSettings,
            "Only the team's managers can change its settings.",
        ),
        TeamAction::ManageMembers => need(
            Permission::TeamMembers,
            "Only the team's managers can change its members.",
        ),
        TeamAction::GrantTeamPermissions {
            target,
            target_role,
            granted,
        } => {
            if target == actor.account_id {
                return Err(Denied(
                    "You cannot change your own access; ask another manager.",
                ));
            }
            if target_role == OrgRole::Owner && actor.role != OrgRole::Owner {
                return Err(Denied("Only an Owner can change an Owner."));
            }
            if target_role.rank() >= OrgRole::Admin.rank()
                && actor.role.rank() < OrgRole::Admin.rank()
            {
                return Err(Denied(
                    "Only Owners and Admins can change an Admin's team access.",
                ));
            }
            need(
                Permission::TeamMembers,
                "Only the team's managers can change its members.",
            )?;
            if granted.iter().all(has) {
                Ok(())
            } else {
                Err(Denied(
                    "You cannot grant permissions you do not hold yourself.",
                ))
            }
        }
        TeamAction::ManageGroups => need(
            Permission::GroupsManage,
            "You do not have permission to manage groups.",
        ),
        TeamAction::ManageServices => need(
            Permission::ServicesManage,
            "You do not have permission to manage services.",
        ),
        TeamAction::ViewAll => need(
            Permission::TeamViewAll,
            "You see only your own membership in this team.",
        ),
        TeamAction::ViewContact { assigned_to_actor } => {
            if assigned_to_actor {
                Ok(())
            } else {
                need(
                    Permission::ContactsViewAll,
                    "You see only the contacts assigned to you.",
                )
            }
        }
        TeamAction::ViewAllContacts => need(
            Permission::ContactsViewAll,
            "You see only the contacts assigned to you.",
        ),
        TeamAction::ManageContacts => need(
            Permission::ContactsAssign,
            "Only the team's managers can add or delete contacts.",
        ),
        TeamAction::EditContact { assigned_to_actor } => {
            if assigned_to_actor {
                Ok(())
            } else {
                need(
                    Permission::ContactsAssign,
                    "You can edit only the contacts assigned to you.",
                )
            }
        }
        TeamAction::AssignContacts => need(
            Permission::ContactsAssign,
            "Only the team's managers can assign contacts.",
        ),
        TeamAction::ViewAllCalls => need(
            Permission::TeamViewAll,
            "You see only the calls assigned to you.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::TeamRole;

    fn actor(id: i64, role: OrgRole) -> Actor {
        Actor::new(AccountId(id), role)
    }

    fn target(id: i64, role: OrgRole) -> Target {
        Target {
            account_id: AccountId(id),
            role,
            active: true,
            last_active_owner: false,
        }
    }

    #[test]
    fn settings_actions_by_role() {
        use Action::*;
        // (role, view settings, rename, toggle features, change seats, manage roles, view members, create team)
        let table = [
            (OrgRole::Owner, true, true, true, true, true, true, true),
            (OrgRole::Admin, true, true, true, false, true, true, true),
            (
                OrgRole::Manager,
                false,
                false,
                false,
                false,
                false,
                true,
                true,
            ),
            (
                OrgRole::Member,
                false,
                false,
                false,
                false,
                false,
                false,
                false,
            ),
        ];
        for (role, view, rename, toggle, seats, roles, members, teams) in table {
            let a = actor(1, role);
            assert_eq!(check(&a, ViewSettings).is_ok(), view, "{role:?} view");
            assert_eq!(check(&a, RenameOrg).is_ok(), rename, "{role:?} rename");
            assert_eq!(check(&a, ToggleFeatures).is_ok(), toggle, "{role:?} toggle");
            assert_eq!(check(&a, ChangeSeats).is_ok(), seats, "{role:?} seats");
            assert_eq!(check(&a, ManageRoles).is_ok(), roles, "{role:?} roles");
            assert_eq!(check(&a, ViewMembers).is_ok(), members, "{role:?} members");
            assert_eq!(check(&a, CreateTeam).is_ok(), teams, "{role:?} teams");
        }
    }

    #[test]
    fn the_audit_log_takes_audit_view_and_its_retention_also_org_settings() {
        use crate::domain::Permission as P;
        // (permissions held, may view, may change retention)
        let table = [
            (OrgRole::Owner.permissions(), true, true),
            (OrgRole::Admin.permissions(), true, true),
            (OrgRole::Manager.permissions(), false, false),
            (OrgRole::Member.permissions(), false, false),
            (PermissionSet::of(&[P::AuditView]), true, false),
            (PermissionSet::of(&[P::OrgSettings]), false, false),
            (
                PermissionSet::of(&[P::AuditView, P::OrgSettings]),
                true,
                true,
            ),
        ];
        for (held, view, retention) in table {
            let a = Actor::with_permissions(AccountId(1), OrgRole::Member, held);
            assert_eq!(check(&a, Action::ViewAudit).is_ok(), view, "{held:?} view");
            let timeline = check(&a, Action::ViewTimeline { own: false }).is_ok();
            assert_eq!(timeline, view, "{held:?} timeline");
            assert!(check(&a, Action::ViewTimeline { own: true }).is_ok());
            assert_eq!(
                check(&a, Action::ChangeAuditRetention).is_ok(),
                retention,
                "{held:?} retention"
            );
        }
    }

    #[test]
    fn who_may_grant_which_org_role_to_whom() {
        use OrgRole::*;
        // (actor, target's role, new role, allowed, reason fragment)
        let table: &[(OrgRole, OrgRole, OrgRole, bool, &str)] = &[
            (Owner, Admin, Owner, true, ""),
            (Owner, Owner, Admin, true, ""),
            (Owner, Member, Manager, true, ""),
            (Admin, Member, Manager, true, ""),
            (Admin, Manager, Admin, true, ""),
            (
                Admin,
                Member,
                Owner,
                false,
                "Only an Owner can grant Owner.",
            ),
            (
                Admin,
                Owner,
                Member,
                false,
                "Only an Owner can change an Owner.",
            ),
            (Admin, Admin, Member, false, "below yours"),
            (Manager, Member, Manager, true, ""),
            (Manager, Member, Admin, false, "do not hold"),
            (Manager, Admin, Member, false, "below yours"),
            (
                Manager,
                Owner,
                Member,
                false,
                "Only an Owner can change an Owner.",
            ),
            (Member, Member, Member, false, "do not have permission"),
        ];
        for &(actor_role, target_role, new_role, allowed, reason) in table {
            let result = check(
                &actor(1, actor_role),
                Action::GrantOrgRole(target(2, target_role), new_role, new_role.permissions()),
            );
            assert_eq!(
                result.is_ok(),
                allowed,
                "{actor_role:?} sets {target_role:?} to {new_role:?}: {result:?}"
            );
            if let Err(Denied(text)) = result {
                assert!(
                    text.contains(reason),
                    "{actor_role:?} → {target_role:?}: {text}"
                );
            }
        }
    }

    #[test]
    fn nobody_changes_or_revokes_themselves() {
        for role in OrgRole::ALL {
            let a = actor(7, role);
            let me = target(7, role);
            let Denied(reason) = check(&a, Action::EditMember(me)).unwrap_err();
            assert!(
                reason.contains("your own") || reason.contains("permission"),
                "{role:?}: {reason}"
            );
            let Denied(reason) = check(&a, Action::RevokeMember(me)).unwrap_err();
            assert!(reason.contains("your own"), "{role:?}: {reason}");
        }
    }

    #[test]
    fn the_last_owner_cannot_be_demoted_or_revoked() {
        let owner = actor(1, OrgRole::Owner);
        let last = Target {
            last_active_owner: true,
            ..target(2, OrgRole::Owner)
        };
        let demote = check(
            &owner,
            Action::GrantOrgRole(last, OrgRole::Admin, OrgRole::Admin.permissions()),
        );
        assert_eq!(
            demote,
            Err(Denied(
                "The last Owner cannot be demoted; make someone else an Owner first."
            ))
        );
        assert_eq!(
            check(&owner, Action::RevokeMember(last)),
            Err(Denied("The last Owner cannot be removed."))
        );
        assert!(check(
            &owner,
            Action::GrantOrgRole(last, OrgRole::Owner, OrgRole::Owner.permissions())
        )
        .is_ok());
    }

    #[test]
    fn who_may_revoke_restore_and_delete_whom() {
        use OrgRole::*;
        let revoke = |t| Action::RevokeMember(t);
        let restore = |t| Action::RestoreMember(t);
        let delete = |t| Action::DeleteMember(t);
        let last_owner = Target {
            last_active_owner: true,
            ..target(2, Owner)
        };
        let me = target(1, Owner);
        // (actor, action, allowed, reason fragment)
        let table: Vec<(Actor, Action, bool, &str)> = vec![
            (actor(1, Owner), revoke(target(2, Owner)), true, ""),
            (actor(1, Owner), revoke(target(2, Member)), true, ""),
            (actor(1, Owner), revoke(me), false, "your own"),
            (actor(1, Owner), revoke(last_owner), false, "last Owner"),
            (
                actor(1, Admin),
                revoke(target(2, Owner)),
                false,
                "Only an Owner",
            ),
            (
                actor(1, Admin),
                revoke(target(2, Admin)),
                false,
                "below yours",
            ),
            (actor(1, Admin), revoke(target(2, Manager)), true, ""),
            (actor(1, Manager), revoke(target(2, Member)), true, ""),
            (
                actor(1, Manager),
                revoke(target(2, Manager)),
                false,
                "below yours",
            ),
            (
                actor(1, Member),
                revoke(target(2, Member)),
                false,
                "permission",
            ),
            (actor(1, Owner), restore(target(2, Owner)), true, ""),
            (
                actor(1, Admin),
                restore(target(2, Owner)),
                false,
                "Only an Owner",
            ),
            (actor(1, Admin), restore(target(2, Member)), true, ""),
            (
                actor(1, Member),
                restore(target(2, Member)),
                false,
                "permission",
            ),
            (actor(1, Owner), delete(target(2, Member)), true, ""),
            (actor(1, Owner), delete(me), false, "your own"),
            (actor(1, Owner), delete(last_owner), false, "last Owner"),
            (
                actor(1, Admin),
                delete(target(2, Owner)),
                false,
                "Only an Owner",
            ),
            (actor(1, Manager), delete(target(2, Member)), true, ""),
            (
                actor(1, Member),
                delete(target(2, Member)),
                false,
                "permission",
            ),
        ];
        for (who, action, allowed, reason) in table {
            let result = check(&who, action);
            assert_eq!(result.is_ok(), allowed, "{who:?} {action:?}: {result:?}");
            if let Err(Denied(text)) = result {
                assert!(text.contains(reason), "{action:?}: {text}");
            }
        }
        // A custom set with members.revoke counts, not the role's name.
        let delegate = Actor::with_permissions(
            AccountId(3),
            Manager,
            PermissionSet::of(&[Permission::MembersView]),
        );
        assert!(check(&delegate, restore(target(2, Member))).is_err());
        assert!(check(&delegate, delete(target(2, Member))).is_err());
    }

    #[test]
    fn team_managers_do_not_touch_owners_or_admins_in_their_team() {
        let team_manager = actor(1, OrgRole::Member);
        let tm = TeamRole::TeamManager.permissions();
        for (target_role, allowed) in [
            (OrgRole::Owner, false),
            (OrgRole::Admin, false),
            (OrgRole::Manager, true),
            (OrgRole::Member, true),
        ] {
            let grant = TeamAction::GrantTeamPermissions {
                target: AccountId(2),
                target_role,
                granted: PermissionSet::default(),
            };
            assert_eq!(
                check(&team_manager, Action::Team(grant, tm)).is_ok(),
                allowed,
                "{target_role:?}"
            );
        }
        let admin = actor(3, OrgRole::Admin);
        let on_owner = TeamAction::GrantTeamPermissions {
            target: AccountId(2),
            target_role: OrgRole::Owner,
            granted: PermissionSet::default(),
        };
        assert_eq!(
            check(&admin, Action::Team(on_owner, tm)),
            Err(Denied("Only an Owner can change an Owner."))
        );
    }

    #[test]
    fn nobody_grants_a_permission_they_lack() {
        let admin = actor(1, OrgRole::Admin);
        let billing = PermissionSet::of(&[Permission::BillingManage]);
        let result = check(
            &admin,
            Action::GrantPermissions(target(2, OrgRole::Member), billing),
        );
        assert_eq!(
            result,
            Err(Denied(
                "You cannot grant permissions you do not hold yourself."
            ))
        );
        let invite = PermissionSet::of(&[Permission::MembersInvite]);
        assert!(check(
            &admin,
            Action::GrantPermissions(target(2, OrgRole::Member), invite)
        )
        .is_ok());
    }

    #[test]
    fn custom_roles_hold_only_what_their_author_holds() {
        use Permission::*;
        let none = PermissionSet::default();
        let set = |perms: &[Permission]| PermissionSet::of(perms);
        // (actor, before, after, allowed, reason fragment)
        let table: &[(OrgRole, PermissionSet, PermissionSet, bool, &str)] = &[
            (
                OrgRole::Owner,
                none,
                set(&[BillingManage, OrgDelete]),
                true,
                "",
            ),
            (
                OrgRole::Admin,
                none,
                set(&[MembersInvite, AuditView]),
                true,
                "",
            ),
            (
                OrgRole::Admin,
                none,
                set(&[BillingManage]),
                false,
                "do not hold",
            ),
            // Team permissions come with managing every team.
            (
                OrgRole::Admin,
                none,
                set(&[GroupsManage, ContactsAssign]),
                true,
                "",
            ),
            (
                OrgRole::Admin,
                set(&[BillingManage]),
                none,
                false,
                "change a role",
            ),
            (
                OrgRole::Admin,
                set(&[AuditView]),
                set(&[MembersView]),
                true,
                "",
            ),
            (
                OrgRole::Manager,
                none,
                set(&[MembersView]),
                false,
                "manage roles",
            ),
            (OrgRole::Member, none, none, false, "manage roles"),
        ];
        for &(role, before, after, allowed, reason) in table {
            let result = check(&actor(1, role), Action::ChangeRole { before, after });
            assert_eq!(result.is_ok(), allowed, "{role:?} {before:?} → {after:?}");
            if let Err(Denied(text)) = result {
                assert!(text.contains(reason), "{role:?}: {text}");
            }
        }
        // A custom permission set counts, not the role's name.
        let delegate = Actor::with_permissions(
            AccountId(3),
            OrgRole::Member,
            set(&[RolesManage, MembersView]),
        );
        assert!(check(
            &delegate,
            Action::ChangeRole {
                before: none,
                after: set(&[MembersView])
            }
        )
        .is_ok());
        assert!(check(
            &delegate,
            Action::ChangeRole {
                before: none,
                after: set(&[TeamSettings])
            }
        )
        .is_err());
    }

    #[test]
    fn team_actions_follow_team_roles_and_org_wide_team_management() {
        use TeamAction::*;
        let member = actor(1, OrgRole::Member);
        let tm = TeamRole::TeamManager.permissions();
        let sup = TeamRole::Supervisor.permissions();
        let agent = TeamRole::Agent.permissions();
        // (team permissions, action, allowed)
        let table = [
            (tm, EditSettings, true),
            (tm, ManageMembers, true),
            (tm, ManageGroups, true),
            (tm, ManageServices, true),
            (sup, EditSettings, false),
            (sup, ManageGroups, false),
            (agent, ManageMembers, false),
            (agent, ViewAll, false),
            (sup, ViewAll, true),
            (agent, View { is_member: true }, true),
            (PermissionSet::default(), View { is_member: false }, false),
        ];
        for (team, action, allowed) in table {
            assert_eq!(
                check(&member, Action::Team(action, team)).is_ok(),
                allowed,
                "{action:?} with {team:?}"
            );
        }
        // A Manager manages every team without being in it.
        let manager = actor(2, OrgRole::Manager);
        assert!(check(
            &manager,
            Action::Team(EditSettings, PermissionSet::default())
        )
        .is_ok());
        assert!(check(
            &manager,
            Action::Team(View { is_member: false }, PermissionSet::default())
        )
        .is_ok());
        // A supervisor cannot hand out team-manager rights.
        let grant = GrantTeamPermissions {
            target: AccountId(9),
            target_role: OrgRole::Member,
            granted: tm,
        };
        assert!(check(&member, Action::Team(grant, sup)).is_err());
        let grant = GrantTeamPermissions {
            target: AccountId(1),
            target_role: OrgRole::Member,
            granted: agent,
        };
        assert!(
            check(&member, Action::Team(grant, tm)).is_err(),
            "not on oneself"
        );
    }

    #[test]
    fn contacts_follow_the_contacts_permissions_never_role_names() {
        use TeamAction::*;
        let member = actor(1, OrgRole::Member);
        let tm = TeamRole::TeamManager.permissions();
        let sup = TeamRole::Supervisor.permissions();
        let agent = TeamRole::Agent.permissions();
        let none = PermissionSet::default();
        let assigner = PermissionSet::of(&[Permission::ContactsAssign]);
        let mine = true;
        // (team permissions, action, allowed, reason fragment when refused)
        let table: &[(PermissionSet, TeamAction, bool, &str)] = &[
            // The agent works only their own contacts.
            (
                agent,
                ViewContact {
                    assigned_to_actor: mine,
                },
                true,
                "",
            ),
            (
                agent,
                ViewContact {
                    assigned_to_actor: !mine,
                },
                false,
                "assigned to you",
            ),
            (agent, ViewAllContacts, false, "assigned to you"),
            (
                agent,
                EditContact {
                    assigned_to_actor: mine,
                },
                true,
                "",
            ),
            (
                agent,
                EditContact {
                    assigned_to_actor: !mine,
                },
                false,
                "only the contacts assigned",
            ),
            (agent, ManageContacts, false, "add or delete"),
            (agent, AssignContacts, false, "assign contacts"),
            // The supervisor reads all of them and changes none.
            (
                sup,
                ViewContact {
                    assigned_to_actor: !mine,
                },
                true,
                "",
            ),
            (sup, ViewAllContacts, true, ""),
            (
                sup,
                EditContact {
                    assigned_to_actor: !mine,
                },
                false,
                "only the contacts assigned",
            ),
            (sup, ManageContacts, false, "add or delete"),
            (sup, AssignContacts, false, "assign contacts"),
            // The team manager does everything.
            (tm, ViewAllContacts, true, ""),
            (
                tm,
                EditContact {
                    assigned_to_actor: !mine,
                },
                true,
                "",
            ),
            (tm, ManageContacts, true, ""),
            (tm, AssignContacts, true, ""),
            // A custom set: what it holds, nothing more.
            (assigner, AssignContacts, true, ""),
            (assigner, ManageContacts, true, ""),
            (assigner, ViewAllContacts, false, "assigned to you"),
            (
                none,
                ViewContact {
                    assigned_to_actor: !mine,
                },
                false,
                "assigned to you",
            ),
        ];
        for &(team, action, allowed, reason) in table {
            let result = check(&member, Action::Team(action, team));
            assert_eq!(result.is_ok(), allowed, "{action:?} with {team:?}");
            if let Err(Denied(text)) = result {
                assert!(text.contains(reason), "{action:?}: {text}");
            }
        }
        // Managing every team (Owner, Admin, Manager) sees and changes every
        // team's contacts without being in the team.
        for role in [OrgRole::Owner, OrgRole::Admin, OrgRole::Manager] {
            for action in [
                ViewContact {
                    assigned_to_actor: false,
                },
                ViewAllContacts,
                ManageContacts,
                EditContact {
                    assigned_to_actor: false,
                },
                AssignContacts,
            ] {
                assert!(
                    check(&actor(2, role), Action::Team(action, none)).is_ok(),
                    "{role:?} {action:?}"
                );
            }
        }
    }

    #[test]
    fn who_sees_all_of_a_teams_calls_and_who_only_their_own() {
        use crate::domain::roles::Scope;
        let custom = PermissionSet::of(&[Permission::TeamViewAll]);
        // (org role, team permissions, sees every call)
        let table = [
            (OrgRole::Owner, PermissionSet::default(), true),
            (OrgRole::Admin, PermissionSet::default(), true),
            (OrgRole::Manager, PermissionSet::default(), true),
            (OrgRole::Member, TeamRole::TeamManager.permissions(), true),
            (OrgRole::Member, TeamRole::Supervisor.permissions(), true),
            (OrgRole::Member, custom, true),
            (OrgRole::Member, TeamRole::Agent.permissions(), false),
            (OrgRole::Member, PermissionSet::default(), false),
            (
                OrgRole::Member,
                PermissionSet::of(&[Permission::GroupsManage, Permission::ContactsAssign]),
                false,
            ),
        ];
        for (role, team, all) in table {
            // As `TeamContext` gives them: every team permission through teams.manage.
            let a = actor(1, role);
            let team = if a.has(Permission::TeamsManage) {
                PermissionSet::scope_all(Scope::Team)
            } else {
                team
            };
            let result = check(&a, Action::Team(TeamAction::ViewAllCalls, team));
            assert_eq!(result.is_ok(), all, "{role:?} with {team:?}");
            if !all {
                assert_eq!(
                    result,
                    Err(Denied("You see only the calls assigned to you."))
                );
            }
        }
    }

    #[test]
    fn ingesting_calls_needs_the_workflows_ingest_permission_not_a_role() {
        let scoped = |perms: &[Permission]| {
            Actor::with_permissions(AccountId(1), OrgRole::Owner, PermissionSet::of(perms))
        };
        assert!(check(&scoped(&[Permission::WorkflowsIngest]), Action::IngestCalls).is_ok());
        assert_eq!(
            check(&scoped(&[Permission::MembersView]), Action::IngestCalls),
            Err(Denied(
                "This token does not carry the workflows.ingest scope."
            ))
        );
        assert!(check(&scoped(&[]), Action::IngestCalls).is_err());
        // The presets: Owners and Admins may make ingest tokens, no one else.
        for (role, allowed) in [
            (OrgRole::Owner, true),
            (OrgRole::Admin, true),
            (OrgRole::Manager, false),
            (OrgRole::Member, false),
        ] {
            assert_eq!(
                check(&actor(1, role), Action::IngestCalls).is_ok(),
                allowed,
                "{role:?}"
            );
        }
    }

    #[test]
    fn inviting_needs_members_invite_and_a_role_below_ones_own_unless_owner() {
        let member = |r: OrgRole| r.permissions();
        let invite = |a: &Actor, r: OrgRole| check(a, Action::InviteMember(r, member(r)));
        let owner = actor(1, OrgRole::Owner);
        let admin = actor(2, OrgRole::Admin);
        let plain = actor(3, OrgRole::Member);
        assert!(invite(&owner, OrgRole::Owner).is_ok());
        assert!(invite(&admin, OrgRole::Manager).is_ok());
        assert!(invite(&admin, OrgRole::Owner).is_err());
        assert!(invite(&admin, OrgRole::Admin).is_err());
        assert!(invite(&plain, OrgRole::Member).is_err());
    }

    #[test]
    fn api_tokens_hold_only_what_their_maker_holds() {
        use Permission::*;
        let set = |perms: &[Permission]| PermissionSet::of(perms);
        // (maker, scopes, never expires, allowed, reason fragment)
        let table: &[(OrgRole, PermissionSet, bool, bool, &str)] = &[
            (
                OrgRole::Owner,
                set(&[BillingManage, MembersView]),
                true,
                true,
                "",
            ),
            (OrgRole::Owner, set(&[WorkflowsIngest]), false, true, ""),
            (
                OrgRole::Admin,
                set(&[MembersView, WorkflowsIngest]),
                false,
                true,
                "",
            ),
            // Team permissions come with managing every team.
            (
                OrgRole::Admin,
                set(&[GroupsManage, TeamMembers]),
                false,
                true,
                "",
            ),
            (
                OrgRole::Admin,
                set(&[BillingManage]),
                false,
                false,
                "hold yourself",
            ),
            (
                OrgRole::Admin,
                set(&[MembersView]),
                true,
                false,
                "Only an Owner",
            ),
            (
                OrgRole::Admin,
                PermissionSet::default(),
                false,
                false,
                "at least one",
            ),
            (
                OrgRole::Manager,
                set(&[MembersView]),
                false,
                false,
                "Owners and Admins",
            ),
            (
                OrgRole::Member,
                set(&[MembersView]),
                false,
                false,
                "Owners and Admins",
            ),
        ];
        for &(role, scopes, never_expires, allowed, reason) in table {
            let result = check(
                &actor(1, role),
                Action::CreateApiToken {
                    scopes,
                    never_expires,
                },
            );
            assert_eq!(
                result.is_ok(),
                allowed,
                "{role:?} {scopes:?} {never_expires}"
            );
            if let Err(Denied(text)) = result {
                assert!(text.contains(reason), "{role:?}: {text}");
            }
        }
        assert!(!OrgRole::Manager.permissions().contains(WorkflowsIngest));
        assert!(OrgRole::Admin.permissions().contains(WorkflowsIngest));
        // A delegate holding api.manage by an own set counts, not the role's name.
        let delegate =
            Actor::with_permissions(AccountId(3), OrgRole::Member, set(&[ApiManage, AuditView]));
        let scopes = set(&[AuditView]);
        assert!(check(
            &delegate,
            Action::CreateApiToken {
                scopes,
                never_expires: false
            }
        )
        .is_ok());
    }

    #[test]
    fn a_token_acts_with_its_scopes_and_nothing_more() {
        use Permission::*;
        use TeamAction::*;
        let set = |perms: &[Permission]| PermissionSet::of(perms);
        let every_team = PermissionSet::scope_all(crate::domain::Scope::Team);
        let token = Actor::for_token(
            AccountId(1),
            OrgRole::Admin,
            set(&[TeamsManage, MembersView]),
        );
        // (action, allowed)
        let table = [
            (Action::ViewMembers, true),
            (Action::Team(View { is_member: false }, every_team), true),
            (Action::Team(ManageGroups, every_team), false),
            (Action::Team(EditSettings, every_team), false),
            (
                Action::InviteMember(OrgRole::Member, PermissionSet::default()),
                false,
            ),
            (Action::ManageApiTokens, false),
            (Action::CreateTeam, false),
        ];
        for (action, allowed) in table {
            assert_eq!(check(&token, action).is_ok(), allowed, "{action:?}");
        }
        let groups = Actor::for_token(
            AccountId(1),
            OrgRole::Admin,
            set(&[TeamsManage, GroupsManage]),
        );
        assert!(check(&groups, Action::Team(ManageGroups, every_team)).is_ok());
        assert!(check(&groups, Action::Team(ManageServices, every_team)).is_err());
        // What it grants must be within its scopes too, whatever its maker's rank.
        let inviter = Actor::for_token(AccountId(1), OrgRole::Owner, set(&[MembersInvite]));
        assert!(check(
            &inviter,
            Action::InviteMember(OrgRole::Member, PermissionSet::default())
        )
        .is_ok());
        assert!(check(
            &inviter,
            Action::InviteMember(OrgRole::Manager, OrgRole::Manager.permissions())
        )
        .is_err());
    }
}
