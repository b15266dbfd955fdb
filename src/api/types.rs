//! What the API's types share: roles and statuses as the JSON spells them,
//! and the cursor of paginated lists.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::problem::{Problem, ProblemType};
use crate::domain::{MembershipId, MembershipStatus, OrgRole, TeamRole};

/// An organization role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiOrgRole {
    Owner,
    Admin,
    Manager,
    Member,
}

impl From<ApiOrgRole> for OrgRole {
    fn from(role: ApiOrgRole) -> Self {
        match role {
            ApiOrgRole::Owner => OrgRole::Owner,
            ApiOrgRole::Admin => OrgRole::Admin,
            ApiOrgRole::Manager => OrgRole::Manager,
            ApiOrgRole::Member => OrgRole::Member,
        }
    }
}

impl From<OrgRole> for ApiOrgRole {
    fn from(role: OrgRole) -> Self {
        match role {
            OrgRole::Owner => ApiOrgRole::Owner,
            OrgRole::Admin => ApiOrgRole::Admin,
            OrgRole::Manager => ApiOrgRole::Manager,
            OrgRole::Member => ApiOrgRole::Member,
        }
    }
}

/// A membership's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiStatus {
    Pending,
    Active,
    Archived,
}

impl From<ApiStatus> for MembershipStatus {
    fn from(status: ApiStatus) -> Self {
        match status {
            ApiStatus::Pending => MembershipStatus::Pending,
            ApiStatus::Active => MembershipStatus::Active,
            ApiStatus::Archived => MembershipStatus::Archived,
        }
    }
}

impl From<MembershipStatus> for ApiStatus {
    fn from(status: MembershipStatus) -> Self {
        match status {
            MembershipStatus::Pending => ApiStatus::Pending,
            MembershipStatus::Active => ApiStatus::Active,
            MembershipStatus::Archived => ApiStatus::Archived,
        }
    }
}

/// A preset team role (custom team roles are named `custom:{id}` where a role
/// is a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiTeamRole {
    TeamManager,
    Supervisor,
    Agent,
}

impl From<ApiTeamRole> for TeamRole {
    fn from(role: ApiTeamRole) -> Self {
        match role {
            ApiTeamRole::TeamManager => TeamRole::TeamManager,
            ApiTeamRole::Supervisor => TeamRole::Supervisor,
            ApiTeamRole::Agent => TeamRole::Agent,
        }
    }
}

/// Where the next page of a list starts: how many rows came before it, and the
/// last member shown (a plain list by name is read from there by index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub offset: i64,
    pub after: MembershipId,
}

impl Cursor {
    pub fn encode(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}:{}", self.offset, self.after.0))
    }

    pub fn decode(raw: &str) -> Result<Self, Problem> {
        let bad = || {
            Problem::new(
                ProblemType::InvalidQuery,
                "cursor: pass back the next_cursor of a previous page, unchanged.",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (offset, after) = text.split_once(':').ok_or_else(bad)?;
        let offset = offset
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=10_000_000).contains(n));
        let after = after.parse::<i64>().ok().filter(|n| *n > 0);
        match (offset, after) {
            (Some(offset), Some(after)) => Ok(Self {
                offset,
                after: MembershipId(after),
            }),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_a_forged_one_is_refused() {
        let cursor = Cursor {
            offset: 150,
            after: MembershipId(42),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        for bad in ["", "xyz", "MTUwOg", "LTE6NQ", "%%%"] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }
}
