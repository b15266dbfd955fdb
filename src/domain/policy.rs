//! The authorization policy: one pure function answering "may this actor do
//! this?" with a reason when not. The web layer loads the actor (and any target)
//! from the database on every request and asks here; templates show the same
//! reasons on disabled controls.
//!
//! Who may manage whom: an Owner manages anyone; everyone else manages only
//! members of a lower org role. Nobody changes their own access, nobody grants
//! what they do not hold, and the last active Owner stays an Owner.

use super::roles::{OrgRole, Permission, PermissionSet};
use super::AccountId;

/// Who is acting: an active member of the organization the request is about.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub account_id: AccountId,
    pub role: OrgRole,
    /// Effective org-level permissions (preset, custom role or own set).
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
    pub fn with_permissions(
        account_id: AccountId,
        role: OrgRole,
        permissions: PermissionSet,
    ) -> Self {
        Self {
            account_id,
            role,
            permissions,
        }
    }
    pub fn has(&self, perm: Permission) -> bool {
        self.permissions.contains(perm)
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
    RevokeMember(Target),
    /// Invite someone (or resend or revoke their invitation) with an org role
    /// and the permissions it carries.
    InviteMember(OrgRole, PermissionSet),
    CreateTeam,
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
    if actor.has(Permission::TeamsManage) {
        actor
            .permissions
            .union(PermissionSet::scope_all(super::roles::Scope::Team))
    } else {
        actor.permissions
    }
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
        Action::Team(team_action, team) => check_team(actor, team_action, team),
    }
}

fn check_team(actor: &Actor, action: TeamAction, team: PermissionSet) -> Result<(), Denied> {
    let has = |p: Permission| {
        team.contains(p)
            || actor.has(Permission::TeamsManage) && p.scope() == super::roles::Scope::Team
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
}
