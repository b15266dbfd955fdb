//! Where a membership and an invitation stand: enums stored as text (a CHECK
//! in the schema holds the values), never compared as strings past the edge.

use diesel::{deserialize::FromSqlRow, expression::AsExpression, sql_types::Text};

/// Where a membership stands; stored as `memberships.status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum MembershipStatus {
    Pending,
    Active,
    Archived,
}

impl MembershipStatus {
    /// As the status filter offers them.
    pub const ALL: [MembershipStatus; 3] = [
        MembershipStatus::Active,
        MembershipStatus::Pending,
        MembershipStatus::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Archived => "archived",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Active => "Active",
            Self::Archived => "Archived",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Invited, not yet joined: shown by their address, kept out of groups
    /// and assignments.
    pub fn is_pending(self) -> bool {
        self == Self::Pending
    }
}

/// Where an invitation stands; stored as `invitations.status`. One that is
/// still `Pending` may have lapsed all the same: its `expires_at` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Revoked,
    Expired,
    Declined,
}

impl InvitationStatus {
    pub const ALL: [InvitationStatus; 5] = [
        InvitationStatus::Pending,
        InvitationStatus::Accepted,
        InvitationStatus::Revoked,
        InvitationStatus::Expired,
        InvitationStatus::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::Declined => "declined",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

stored_as_text!(MembershipStatus, "membership status");
stored_as_text!(InvitationStatus, "invitation status");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_stored_text() {
        for s in MembershipStatus::ALL {
            assert_eq!(MembershipStatus::parse(s.as_str()), Some(s));
        }
        for s in InvitationStatus::ALL {
            assert_eq!(InvitationStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(MembershipStatus::parse("deleted"), None);
        let read: InvitationStatus = serde_json::from_str("\"expired\"").unwrap();
        assert_eq!(read, InvitationStatus::Expired);
        assert_eq!(
            serde_json::to_string(&MembershipStatus::Archived).unwrap(),
            "\"archived\""
        );
    }
}
