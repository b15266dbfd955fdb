//! Domain types: validated newtypes built at the edge, the role and permission
//! catalogue, organization features and plans, and the authorization policy.
//! Nothing here touches the database or HTTP.

pub mod features;
pub mod ids;
pub mod names;
pub mod policy;
pub mod roles;

pub use features::{Feature, Plan};
pub use ids::{AccountId, MembershipId, OrgId};
pub use names::{DisplayName, EmailAddress, OrgName, Password, SeatCount};
pub use roles::{MembershipStatus, OrgRole, Permission};

/// A value that failed validation, with the message shown next to its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}
