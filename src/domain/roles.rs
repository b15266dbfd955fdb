//! The permission catalogue, the built-in org roles as presets of it, and
//! the team roles. Checks ask for permissions, never for role names; the
//! role's rank only orders who may manage whom.

use std::fmt;

use diesel::{deserialize::FromSqlRow, expression::AsExpression, sql_types::Text};

macro_rules! permissions {
    ($($variant:ident = $bit:literal, $key:literal, $label:literal;)*) => {
        /// One thing a member may be allowed to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Permission { $($variant,)* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            pub fn key(self) -> &'static str {
                match self { $(Permission::$variant => $key,)* }
            }

            pub fn label(self) -> &'static str {
                match self { $(Permission::$variant => $label,)* }
            }

            fn bit(self) -> u64 {
                match self { $(Permission::$variant => 1 << $bit,)* }
            }

            pub fn from_key(key: &str) -> Option<Self> {
                match key { $($key => Some(Permission::$variant),)* _ => None }
            }
        }
    };
}

permissions! {
    // Organization scope.
    OrgSettings = 0, "org.settings", "Edit organization settings";
    FeaturesManage = 1, "features.manage", "Enable and disable features";
    BillingManage = 2, "billing.manage", "Change plan and seats";
    OrgDelete = 3, "org.delete", "Delete the organization";
    MembersView = 4, "members.view", "See all members";
    MembersInvite = 5, "members.invite", "Invite members";
    MembersEditRoles = 6, "members.edit_roles", "Change members' roles";
    MembersRevoke = 7, "members.revoke", "Revoke members";
    TeamsCreate = 8, "teams.create", "Create teams";
    TeamsManage = 9, "teams.manage", "Manage every team";
    RolesManage = 10, "roles.manage", "Manage custom roles";
    AuditView = 11, "audit.view", "See the audit log";
    ApiManage = 12, "api.manage", "Manage API tokens";
    WorkflowsIngest = 13, "workflows.ingest", "Send calls to teams by workflow ID";
    // Team scope: held per team (or in every team through `teams.manage`).
    TeamSettings = 32, "team.settings", "Edit the team's settings";
    TeamMembers = 33, "team.members", "Add, edit and remove team members";
    TeamViewAll = 34, "team.view_all", "See all of the team's data";
    GroupsManage = 35, "groups.manage", "Manage groups";
    ServicesManage = 36, "services.manage", "Manage services";
    ContactsViewAll = 37, "contacts.view_all", "See all contacts";
    ContactsAssign = 38, "contacts.assign", "Assign contacts";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Org,
    Team,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Org => "org",
            Self::Team => "team",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "org" => Some(Self::Org),
            "team" => Some(Self::Team),
            _ => None,
        }
    }
}

impl Permission {
    pub fn scope(self) -> Scope {
        if self.bit() >= 1 << 32 {
            Scope::Team
        } else {
            Scope::Org
        }
    }

    pub fn in_scope(scope: Scope) -> impl Iterator<Item = Permission> {
        Self::ALL
            .iter()
            .copied()
            .filter(move |p| p.scope() == scope)
    }
}

/// A set of permissions, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PermissionSet(u64);

impl PermissionSet {
    pub fn of(perms: &[Permission]) -> Self {
        Self(perms.iter().fold(0, |acc, p| acc | p.bit()))
    }
    pub fn all() -> Self {
        Self::of(Permission::ALL)
    }
    pub fn contains(self, perm: Permission) -> bool {
        self.0 & perm.bit() != 0
    }
    pub fn is_subset_of(self, other: PermissionSet) -> bool {
        self.0 & !other.0 == 0
    }
    pub fn union(self, other: PermissionSet) -> Self {
        Self(self.0 | other.0)
    }
    pub fn intersection(self, other: PermissionSet) -> Self {
        Self(self.0 & other.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .iter()
            .copied()
            .filter(move |p| self.contains(*p))
    }
    /// All permissions of one scope.
    pub fn scope_all(scope: Scope) -> Self {
        Self::of(&Permission::in_scope(scope).collect::<Vec<_>>())
    }
    /// Parses stored or submitted keys; unknown keys are an error, never ignored.
    pub fn from_keys<S: AsRef<str>>(keys: &[S]) -> Result<Self, String> {
        let mut set = Self::default();
        for key in keys {
            let perm = Permission::from_key(key.as_ref())
                .ok_or_else(|| format!("Unknown permission {:?}.", key.as_ref()))?;
            set = set.union(Self::of(&[perm]));
        }
        Ok(set)
    }
    pub fn keys(self) -> Vec<String> {
        self.iter().map(|p| p.key().to_owned()).collect()
    }
}

/// The built-in organization roles, from most to least privileged; stored as
/// `memberships.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum OrgRole {
    Owner,
    Admin,
    Manager,
    Member,
}

impl OrgRole {
    pub const ALL: [OrgRole; 4] = [
        OrgRole::Owner,
        OrgRole::Admin,
        OrgRole::Manager,
        OrgRole::Member,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Member => "member",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Admin => "Admin",
            Self::Manager => "Manager",
            Self::Member => "Member",
        }
    }

    /// Higher is more privileged; explicit so that reordering the enum changes nothing.
    pub fn rank(self) -> u8 {
        match self {
            Self::Owner => 4,
            Self::Admin => 3,
            Self::Manager => 2,
            Self::Member => 1,
        }
    }

    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            Self::Owner => PermissionSet::all(),
            Self::Admin => PermissionSet::scope_all(Scope::Team).union(PermissionSet::of(&[
                OrgSettings,
                FeaturesManage,
                MembersView,
                MembersInvite,
                MembersEditRoles,
                MembersRevoke,
                TeamsCreate,
                TeamsManage,
                RolesManage,
                AuditView,
                ApiManage,
                WorkflowsIngest,
            ])),
            Self::Manager => PermissionSet::scope_all(Scope::Team).union(PermissionSet::of(&[
                MembersView,
                MembersInvite,
                MembersEditRoles,
                MembersRevoke,
                TeamsCreate,
                TeamsManage,
            ])),
            Self::Member => PermissionSet::default(),
        }
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The built-in team roles. `Custom` takes its permissions from a custom role or
/// from the team member's own set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum TeamRole {
    TeamManager,
    Supervisor,
    Agent,
    Custom,
}

impl TeamRole {
    pub const ALL: [TeamRole; 4] = [
        TeamRole::TeamManager,
        TeamRole::Supervisor,
        TeamRole::Agent,
        TeamRole::Custom,
    ];
    pub const PRESETS: [TeamRole; 3] =
        [TeamRole::TeamManager, TeamRole::Supervisor, TeamRole::Agent];
    /// The presets as menus offer them, the least first: a menu's default
    /// grants least.
    pub const MENU: [TeamRole; 3] = [TeamRole::Agent, TeamRole::Supervisor, TeamRole::TeamManager];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TeamManager => "team_manager",
            Self::Supervisor => "supervisor",
            Self::Agent => "agent",
            Self::Custom => "custom",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::TeamManager => "Team manager",
            Self::Supervisor => "Supervisor",
            Self::Agent => "Agent",
            Self::Custom => "Custom",
        }
    }

    /// The preset's permissions; `Custom` has none of its own.
    pub fn permissions(self) -> PermissionSet {
        use Permission::*;
        match self {
            Self::TeamManager => PermissionSet::scope_all(Scope::Team),
            Self::Supervisor => PermissionSet::of(&[TeamViewAll, ContactsViewAll]),
            Self::Agent | Self::Custom => PermissionSet::default(),
        }
    }
}

impl fmt::Display for TeamRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

stored_as_text!(OrgRole, "org role");
stored_as_text!(TeamRole, "team role");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_privilege_and_presets_nest() {
        let ranks: Vec<u8> = OrgRole::ALL.iter().map(|r| r.rank()).collect();
        assert!(
            ranks.windows(2).all(|w| w[0] > w[1]),
            "ALL runs from most to least privileged"
        );
        for pair in OrgRole::ALL.windows(2) {
            assert!(pair[1].permissions().is_subset_of(pair[0].permissions()));
            assert_ne!(pair[1].permissions(), pair[0].permissions());
        }
    }

    #[test]
    fn only_owners_manage_billing() {
        for role in OrgRole::ALL {
            assert_eq!(
                role.permissions().contains(Permission::BillingManage),
                role == OrgRole::Owner
            );
        }
    }

    #[test]
    fn team_presets_nest_and_stay_in_team_scope() {
        let managers = TeamRole::TeamManager.permissions();
        assert!(TeamRole::Supervisor.permissions().is_subset_of(managers));
        assert!(TeamRole::Agent.permissions().is_empty());
        assert!(managers.iter().all(|p| p.scope() == Scope::Team));
        assert!(OrgRole::Manager
            .permissions()
            .contains(Permission::GroupsManage));
        assert!(!OrgRole::Member
            .permissions()
            .contains(Permission::TeamViewAll));
    }

    #[test]
    fn unknown_permission_keys_are_refused() {
        assert!(PermissionSet::from_keys(&["members.invite", "groups.manage"]).is_ok());
        assert!(PermissionSet::from_keys(&["members.invite", "root"]).is_err());
    }

    #[test]
    fn keys_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::from_key(p.key()), Some(*p));
        }
        for r in OrgRole::ALL {
            assert_eq!(OrgRole::parse(r.as_str()), Some(r));
        }
        assert_eq!(OrgRole::parse("superuser"), None);
    }
}
