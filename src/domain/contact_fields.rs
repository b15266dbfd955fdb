//! Validated fields of a team's contact: name, email, phone and note, each with
//! a private field and a `parse` that is the only way in. The migration's CHECKs
//! (000014) back up the same limits.

use super::{names::clean_text, EmailAddress, Invalid};

pub const NAME_MAX_CHARS: usize = 200;
pub const PHONE_MAX_CHARS: usize = 40;
pub const NOTE_MAX_CHARS: usize = 5000;

/// A contact's name: 1 to 200 characters on one line; any script or emoji.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactName(String);

impl ContactName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        clean_text(raw, "Name", NAME_MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact's email: optional (empty), else a valid address.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactEmail(String);

impl ContactEmail {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Ok(Self::default());
        }
        EmailAddress::parse(raw).map(|e| Self(e.as_str().to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact's phone number: optional, up to 40 of digits, spaces and `+-()`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactPhone(String);

impl ContactPhone {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > PHONE_MAX_CHARS {
            return Err(Invalid::new(format!(
                "Phone can be at most {PHONE_MAX_CHARS} characters."
            )));
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
        {
            return Err(Invalid::new(
                "Phone can hold only digits, spaces and + - ( ), such as +1 (555) 010-0199.",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A free-text note: optional, up to 5,000 characters; line breaks and tabs are
/// fine, other control characters (NUL) are not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactNote(String);

impl ContactNote {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        let count = trimmed.chars().count();
        if count > NOTE_MAX_CHARS {
            return Err(Invalid::new(format!(
                "Note can be at most {NOTE_MAX_CHARS} characters (this one has {count})."
            )));
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(Invalid::new(
                "Note cannot contain control characters such as NUL.",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A contact's details, all valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactDetails {
    pub name: ContactName,
    pub email: ContactEmail,
    pub phone: ContactPhone,
    pub note: ContactNote,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_line_of_any_script_up_to_200_characters() {
        assert_eq!(ContactName::parse("  Zoë 🦊 ").unwrap().as_str(), "Zoë 🦊");
        assert!(ContactName::parse(&"🦊".repeat(200)).is_ok());
        for bad in ["", "  ", "a\0b", "two\nlines"] {
            assert!(ContactName::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            ContactName::parse(&"n".repeat(201)).unwrap_err().0,
            "Name can be at most 200 characters."
        );
    }

    #[test]
    fn an_email_is_optional_but_valid_when_given() {
        assert_eq!(ContactEmail::parse(" ").unwrap().as_str(), "");
        assert_eq!(
            ContactEmail::parse(" kim@example.com ").unwrap().as_str(),
            "kim@example.com"
        );
        for bad in ["kim", "kim@", "@example.com", "kim @example.com"] {
            assert!(ContactEmail::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phones_hold_digits_spaces_and_plus_minus_brackets() {
        assert_eq!(ContactPhone::parse("").unwrap().as_str(), "");
        assert!(ContactPhone::parse("+1 (555) 010-0199").is_ok());
        assert!(ContactPhone::parse(&"1".repeat(40)).is_ok());
        assert!(ContactPhone::parse(&"1".repeat(41)).is_err());
        for bad in ["555-CALL", "1;DROP", "٣٣٣", "1\n2"] {
            assert!(ContactPhone::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn notes_are_paragraphs_up_to_5000_characters() {
        assert!(ContactNote::parse("Line one\nLine two\tend").is_ok());
        assert!(ContactNote::parse(&"é".repeat(5000)).is_ok());
        let long = ContactNote::parse(&"x".repeat(10_000)).unwrap_err().0;
        assert_eq!(
            long,
            "Note can be at most 5000 characters (this one has 10000)."
        );
        assert!(ContactNote::parse("nul\0here").is_err());
    }
}
