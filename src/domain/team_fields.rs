//! Validated fields of teams (names, descriptions, thresholds), the team roles a
//! form may pick, and the team's workflow ID.

use rand::RngCore;

use super::{Invalid, TeamRole};

pub const TEAM_NAME_MAX: usize = 100;
pub const TEAM_DESCRIPTION_MAX: usize = 1000;

/// A team's name: 1 to 100 characters, trimmed, no control characters.
/// Unique per organization regardless of case (checked against the database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamName(String);

impl TeamName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Invalid::new("Team name cannot be empty."));
        }
        if trimmed.chars().count() > TEAM_NAME_MAX {
            return Err(Invalid::new(format!(
                "Team name can be at most {TEAM_NAME_MAX} characters."
            )));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Invalid::new(
                "Team name cannot contain control characters such as NUL or line breaks.",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a team is for: optional, up to 1,000 characters. Line breaks are kept
/// (it is a paragraph), other control characters are refused.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TeamDescription(String);

impl TeamDescription {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let text = raw.trim().replace("\r\n", "\n");
        if text.chars().count() > TEAM_DESCRIPTION_MAX {
            return Err(Invalid::new(format!(
                "Description can be at most {TEAM_DESCRIPTION_MAX} characters."
            )));
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(Invalid::new(
                "Description cannot contain control characters such as NUL.",
            ));
        }
        Ok(Self(text))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The score, 0 to 100, from which a result counts as reaching the team's goal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoalThreshold(i32);

impl GoalThreshold {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let message = "Enter the goal threshold as a whole number from 0 to 100.";
        let n: i64 = raw.trim().parse().map_err(|_| Invalid::new(message))?;
        Self::new(n).map_err(|_| Invalid::new(message))
    }
    pub fn new(n: i64) -> Result<Self, Invalid> {
        if !(0..=100).contains(&n) {
            return Err(Invalid::new(
                "The goal threshold is a number from 0 to 100.",
            ));
        }
        Ok(Self(n as i32))
    }
    pub fn get(self) -> i32 {
        self.0
    }
    /// A score at or above the threshold meets the goal (shown green, else red).
    pub fn is_met(self, score: i32) -> bool {
        score >= self.0
    }
}

/// The team roles a manager picks from a form; `custom` sets come from elsewhere.
pub fn parse_preset_team_role(raw: &str) -> Result<TeamRole, Invalid> {
    TeamRole::parse(raw.trim())
        .filter(|role| TeamRole::PRESETS.contains(role))
        .ok_or_else(|| Invalid::new("Choose Team manager, Supervisor or Agent."))
}

/// The team's on/off settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamToggle {
    Calibration,
    SelfReview,
}

impl TeamToggle {
    pub const ALL: [TeamToggle; 2] = [TeamToggle::Calibration, TeamToggle::SelfReview];

    pub fn key(self) -> &'static str {
        match self {
            Self::Calibration => "calibration",
            Self::SelfReview => "self_review",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == raw)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Calibration => "Calibration",
            Self::SelfReview => "Self-review",
        }
    }
    pub fn description(self) -> &'static str {
        match self {
            Self::Calibration => {
                "Reviewers score shared samples together so that everyone grades alike."
            }
            Self::SelfReview => "Members rate their own work before a reviewer does.",
        }
    }
}

/// A team's public, unguessable id for sending it records: "wf_" and 128 bits
/// from the operating system's CSPRNG, as 32 hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowId(String);

impl WorkflowId {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(format!("wf_{}", hex::encode(bytes)))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Enough to tell two ids apart in an audit log without repeating the id.
    pub fn redacted(id: &str) -> String {
        format!("{}…", id.chars().take(7).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names_are_trimmed_bounded_and_printable() {
        assert_eq!(TeamName::parse("  Support  ").unwrap().as_str(), "Support");
        assert!(TeamName::parse("").is_err());
        assert!(TeamName::parse("   ").is_err());
        assert!(TeamName::parse(&"t".repeat(100)).is_ok());
        assert!(TeamName::parse(&"t".repeat(101)).is_err());
        assert!(TeamName::parse(&"t".repeat(500)).is_err());
        assert!(TeamName::parse("a\0b").is_err());
        assert!(TeamName::parse("a\nb").is_err());
        assert!(TeamName::parse("Équipe 🚀").is_ok());
    }

    #[test]
    fn descriptions_are_optional_and_keep_line_breaks() {
        assert_eq!(TeamDescription::parse("   ").unwrap().as_str(), "");
        assert_eq!(
            TeamDescription::parse("one\r\ntwo").unwrap().as_str(),
            "one\ntwo"
        );
        assert!(TeamDescription::parse(&"d".repeat(1000)).is_ok());
        assert!(TeamDescription::parse(&"d".repeat(1001)).is_err());
        assert!(TeamDescription::parse("a\0b").is_err());
    }

    #[test]
    fn thresholds_are_whole_numbers_from_0_to_100() {
        assert_eq!(GoalThreshold::parse("0").unwrap().get(), 0);
        assert_eq!(GoalThreshold::parse(" 100 ").unwrap().get(), 100);
        for bad in ["-1", "101", "abc", "", "50.5", "99999999999999999999"] {
            assert!(GoalThreshold::parse(bad).is_err(), "{bad:?} refused");
        }
        let t = GoalThreshold::parse("80").unwrap();
        assert!(t.is_met(80) && t.is_met(100) && !t.is_met(79));
    }

    #[test]
    fn only_preset_team_roles_are_picked_in_forms() {
        assert_eq!(parse_preset_team_role("agent").unwrap(), TeamRole::Agent);
        for bad in ["custom", "owner", "", "Agent"] {
            assert!(parse_preset_team_role(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn workflow_ids_carry_128_random_bits() {
        let a = WorkflowId::generate();
        let b = WorkflowId::generate();
        assert_ne!(a, b);
        assert!(a.as_str().starts_with("wf_"));
        assert_eq!(a.as_str().len(), 35);
        assert!(a.as_str()[3..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(WorkflowId::redacted("wf_0123456789"), "wf_0123…");
    }
}
