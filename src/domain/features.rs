//! Organization plans and the feature modules that can be switched on and off.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Free,
    Pro,
}

impl Plan {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Pro => "pro",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "free" => Some(Self::Free),
            "pro" => Some(Self::Pro),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Free => "Free",
            Self::Pro => "Pro",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    UserManagement,
    ApiAccess,
    Groups,
    Services,
    Contacts,
    Presence,
}

impl Feature {
    pub const ALL: [Feature; 6] = [
        Feature::UserManagement,
        Feature::ApiAccess,
        Feature::Groups,
        Feature::Services,
        Feature::Contacts,
        Feature::Presence,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::UserManagement => "user_management",
            Self::ApiAccess => "api_access",
            Self::Groups => "groups",
            Self::Services => "services",
            Self::Contacts => "contacts",
            Self::Presence => "presence",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::UserManagement => "User management",
            Self::ApiAccess => "API access",
            Self::Groups => "Groups",
            Self::Services => "Services",
            Self::Contacts => "Contacts",
            Self::Presence => "Presence",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::UserManagement => "Invite people by email and manage their access.",
            Self::ApiAccess => "Organization API tokens and the JSON API under /api/v1.",
            Self::Groups => "Group a team's members for organization and visibility.",
            Self::Services => "What each team offers, provided by the members of its groups.",
            Self::Contacts => "Records assigned to team members.",
            Self::Presence => "Online, away and last-seen indicators on the members list.",
        }
    }

    /// The plan a feature needs; features on a lesser plan cannot be enabled.
    pub fn required_plan(self) -> Plan {
        match self {
            Self::UserManagement | Self::ApiAccess => Plan::Pro,
            _ => Plan::Free,
        }
    }

    /// Whether a feature is on before anyone has toggled it.
    pub fn enabled_by_default(self) -> bool {
        self.required_plan() == Plan::Free
    }

    pub fn available_on(self, plan: Plan) -> bool {
        self.required_plan() == Plan::Free || plan == Plan::Pro
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pro_features_are_off_by_default_and_unavailable_on_free() {
        for f in Feature::ALL {
            let pro_only = f.required_plan() == Plan::Pro;
            assert_eq!(f.enabled_by_default(), !pro_only);
            assert_eq!(f.available_on(Plan::Free), !pro_only);
            assert!(f.available_on(Plan::Pro));
            assert_eq!(Feature::parse(f.key()), Some(f));
        }
        assert_eq!(Feature::parse("teleport"), None);
    }
}
