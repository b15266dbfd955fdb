//! Validated fields of groups and services: names and descriptions, each with a
//! private field and a `parse` that is the only way in (the pattern of `names.rs`,
//! whose single-line cleaning the names share).

use super::{names::clean_text, Invalid};

pub const NAME_MAX_CHARS: usize = 100;
pub const DESCRIPTION_MAX_CHARS: usize = 1000;

/// A group's name: 1 to 100 characters, unique in its team regardless of case
/// (the database's `groups_name_key` backs that up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        clean_text(raw, "Group name", NAME_MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A service's name: 1 to 100 characters, unique in its team regardless of case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceName(String);

impl ServiceName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        clean_text(raw, "Service name", NAME_MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A service's description: optional, up to 1,000 characters; line breaks and
/// tabs are fine in a paragraph, other control characters (NUL) are not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceDescription(String);

impl ServiceDescription {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > DESCRIPTION_MAX_CHARS {
            return Err(Invalid::new(format!(
                "Description can be at most {DESCRIPTION_MAX_CHARS} characters."
            )));
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(Invalid::new(
                "Description cannot contain control characters such as NUL.",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_and_service_names_are_trimmed_single_lines() {
        assert_eq!(
            GroupName::parse("  Night shift ").unwrap().as_str(),
            "Night shift"
        );
        assert_eq!(ServiceName::parse("Billing").unwrap().as_str(), "Billing");
        for bad in ["", "   ", "a\0b", "two\nlines"] {
            assert!(GroupName::parse(bad).is_err(), "{bad:?}");
            assert!(ServiceName::parse(bad).is_err(), "{bad:?}");
        }
        assert!(GroupName::parse(&"g".repeat(100)).is_ok());
        assert_eq!(
            GroupName::parse(&"g".repeat(500)).unwrap_err().0,
            "Group name can be at most 100 characters."
        );
        assert!(ServiceName::parse(&"ü".repeat(100)).is_ok());
    }

    #[test]
    fn descriptions_may_be_empty_or_paragraphs_but_not_binary() {
        assert_eq!(ServiceDescription::parse("  ").unwrap().as_str(), "");
        assert!(ServiceDescription::parse("Line one\nLine two").is_ok());
        assert!(ServiceDescription::parse("nul\0here").is_err());
        assert!(ServiceDescription::parse(&"d".repeat(1000)).is_ok());
        assert!(ServiceDescription::parse(&"d".repeat(1001)).is_err());
    }
}
