//! Domain types: validated newtypes built at the edge, the role and permission
//! catalogue, organization features and plans, and the authorization policy.
//! Nothing here touches the database or HTTP.

pub mod account_id;
pub mod api_tokens;
pub mod audit;
pub mod audit_story;
pub mod call_input;
pub mod calls;
pub mod contact_fields;
pub mod features;
pub mod group_fields;
pub mod ids;
pub mod names;
pub mod policy;
pub mod presence;
pub mod role_fields;
pub mod roles;
pub mod team_fields;

pub use account_id::PublicAccountId;
pub use features::{Feature, Plan};
pub use ids::{
    AccountId, ApiTokenId, CallId, ContactId, CustomRoleId, GroupId, MembershipId, OrgId,
    ServiceId, TeamId, TeamMembershipId,
};
pub use names::{DisplayName, EmailAddress, OrgName, Password, SearchText, SeatCount};
pub use roles::{MembershipStatus, OrgRole, Permission, PermissionSet, Scope, TeamRole};

/// A membership's effective permissions: its own set when it has one, else its
/// custom role's, else its built-in role's preset. Unknown stored keys count as none.
pub fn effective_permissions(
    preset: PermissionSet,
    custom_role: Option<&[String]>,
    own: Option<&[String]>,
) -> PermissionSet {
    match (own, custom_role) {
        (Some(keys), _) | (None, Some(keys)) => PermissionSet::from_keys(keys).unwrap_or_default(),
        (None, None) => preset,
    }
}

/// A value that failed validation, with the message shown next to its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
