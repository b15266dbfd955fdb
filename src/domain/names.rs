//! Validated text newtypes: each has a private field and a `parse` that is the
//! only way in, so a value of the type is always valid.

use super::Invalid;

pub(crate) fn clean_text(raw: &str, label: &str, max_chars: usize) -> Result<String, Invalid> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(format!("{label} cannot be empty.")));
    }
    if trimmed.chars().count() > max_chars {
        return Err(Invalid::new(format!(
            "{label} can be at most {max_chars} characters."
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Invalid::new(format!(
            "{label} cannot contain control characters such as NUL or line breaks."
        )));
    }
    Ok(trimmed.to_owned())
}

/// A person's name as shown to others: 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        clean_text(raw, "Name", 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An organization's name: 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgName(String);

impl OrgName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        clean_text(raw, "Organization name", 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, trimmed, syntactically valid and at most 254 characters.
/// Stored as typed; compared case-insensitively by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Invalid::new("Email cannot be empty."));
        }
        if trimmed.len() > 254 {
            return Err(Invalid::new("Email can be at most 254 characters."));
        }
        if trimmed.chars().any(|c| c.is_control() || c.is_whitespace())
            || !validator::ValidateEmail::validate_email(&trimmed)
        {
            return Err(Invalid::new(
                "Enter an email address such as name@example.com.",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a search box sent: trimmed, bounded, no control characters (PostgreSQL
/// refuses NUL in text, and no name or address holds the others). Every search
/// field parses through this, so they all refuse the same way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchText(String);

impl SearchText {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > max_chars {
            return Err(Invalid::new(format!(
                "Search for at most {max_chars} characters."
            )));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Invalid::new(
                "Search text cannot contain control characters.",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 1024;

/// A new password: 12 to 1,024 characters, no composition rules, never truncated.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let count = raw.chars().count();
        if count < PASSWORD_MIN_CHARS {
            return Err(Invalid::new(format!(
                "Use at least {PASSWORD_MIN_CHARS} characters; a few words make a good password."
            )));
        }
        if count > PASSWORD_MAX_CHARS {
            return Err(Invalid::new(format!(
                "Use at most {PASSWORD_MAX_CHARS} characters."
            )));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

pub const MAX_SEATS: i32 = 1_000_000;

/// A number of purchased seats, 1 to 1,000,000 (migration 000026).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeatCount(i32);

impl SeatCount {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let n: i64 = raw
            .trim()
            .parse()
            .map_err(|_| Invalid::new("Enter the number of seats as a whole number."))?;
        Self::new(n)
    }
    pub fn new(n: i64) -> Result<Self, Invalid> {
        if n < 1 {
            return Err(Invalid::new("An organization needs at least 1 seat."));
        }
        if n > i64::from(MAX_SEATS) {
            return Err(Invalid::new("At most 1,000,000 seats."));
        }
        Ok(Self(n as i32))
    }
    pub fn get(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Ada  ").unwrap().as_str(), "Ada");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"x".repeat(101)).is_err());
        assert!(DisplayName::parse(&"é".repeat(100)).is_ok());
        assert!(DisplayName::parse("a\0b").is_err());
        assert!(DisplayName::parse("\u{200f}שלום 👋").is_ok());
        assert_eq!(
            OrgName::parse("<script>x</script>").unwrap().as_str(),
            "<script>x</script>"
        );
    }

    #[test]
    fn searches_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(SearchText::parse("  ada ", 10).unwrap().as_str(), "ada");
        assert_eq!(SearchText::parse("", 10).unwrap().as_str(), "");
        assert!(SearchText::parse(&"x".repeat(11), 10).is_err());
        for bad in ["a\0b", "\0", "tab\there", "line\nbreak", "\u{7f}"] {
            let Invalid(message) = SearchText::parse(bad, 10).unwrap_err();
            assert_eq!(message, "Search text cannot contain control characters.");
        }
    }

    #[test]
    fn emails_must_look_like_emails() {
        assert!(EmailAddress::parse("ada@example.com").is_ok());
        assert_eq!(
            EmailAddress::parse(" Ada@Example.com ").unwrap().as_str(),
            "Ada@Example.com"
        );
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "a b@example.com",
            "a\0@example.com",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(10_000))).is_err());
    }

    #[test]
    fn passwords_count_characters_not_bytes() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"a".repeat(11)).is_err());
        assert!(Password::parse(&"a".repeat(12)).is_ok());
        assert!(Password::parse(&"🔑".repeat(12)).is_ok());
        assert!(Password::parse(&"a".repeat(1024)).is_ok());
        assert!(Password::parse(&"a".repeat(1025)).is_err());
        assert_eq!(
            format!("{:?}", Password::parse("correct horse battery").unwrap()),
            "Password(<hidden>)"
        );
    }

    #[test]
    fn seat_counts_are_positive_whole_numbers() {
        assert_eq!(SeatCount::parse("25").unwrap().get(), 25);
        assert_eq!(SeatCount::parse("1000000").unwrap().get(), 1_000_000);
        for bad in [
            "-1",
            "0",
            "abc",
            "",
            "1.5",
            "1000001",
            "99999999999999999999",
        ] {
            assert!(SeatCount::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
