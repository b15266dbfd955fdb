//! Domain types: validated newtypes built at the edge, the role and permission
//! catalogue, organization features and plans, and the authorization policy.
//! Nothing here touches the database or HTTP, except that the enums stored as
//! text convert themselves to and from their SQL column ([`stored_as_text!`]).

/// Reads and writes an enum as its `as_str` text (a CHECK in the schema holds
/// the values): `FromSql`/`ToSql` written once, so rows carry the enum, never
/// a string. The enum derives `AsExpression` and `FromSqlRow` with
/// `#[diesel(sql_type = Text)]`, and has `as_str` and `parse`.
macro_rules! stored_as_text {
    ($name:ident, $what:literal) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        /// Written as its `as_str` text (in audit events' JSON, for one).
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        /// Read from its `as_str` text (JSON a statement builds, for one).
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse(&raw).ok_or_else(|| {
                    serde::de::Error::custom(format!(concat!("unknown ", $what, " {:?}"), raw))
                })
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let raw = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                Self::parse(&raw)
                    .ok_or_else(|| format!(concat!("unknown ", $what, " {:?}"), raw).into())
            }
        }
    };
}

pub mod account_id;
pub mod api_tokens;
pub mod audit;
pub mod audit_story;
pub mod browser;
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
pub mod status;
pub mod team_fields;

pub use account_id::PublicAccountId;
pub use features::{Feature, Plan};
pub use ids::{
    AccountId, ApiTokenId, CallId, ContactId, CustomRoleId, GroupId, MembershipId, OrgId,
    ServiceId, TeamId, TeamMembershipId,
};
pub use names::{DisplayName, EmailAddress, OrgName, Password, SearchText, SeatCount};
pub use roles::{OrgRole, Permission, PermissionSet, Scope, TeamRole};
pub use status::{InvitationStatus, MembershipStatus};

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
