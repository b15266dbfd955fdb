//! Calls streamed to a team: the validated fields of one call (external id,
//! start, duration, direction, numbers, agent, metadata) and the direction
//! enum. The wire shape and how a request body becomes these is in
//! [`super::call_input`].

use std::fmt;

use chrono::{DateTime, Utc};
use diesel::{deserialize::FromSqlRow, expression::AsExpression, sql_types::Text};
use serde_json::{Map, Value};

use super::{EmailAddress, Invalid, MembershipId};

pub const EXTERNAL_ID_MAX: usize = 200;
pub const PHONE_NUMBER_MAX: usize = 40;
/// The metadata object, serialized without spaces, in bytes.
pub const METADATA_MAX_BYTES: usize = 16 * 1024;
/// A week: no call lasts longer, so a bigger number is a sender's mistake.
pub const DURATION_MAX_SECONDS: i64 = 7 * 24 * 3600;

/// The sender's own key for a call, unique per team: sending the same one again
/// stores nothing new. 1 to 200 characters, no control characters, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExternalId(String);

impl ExternalId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        if raw.trim().is_empty() {
            return Err(Invalid::new("external_id cannot be empty."));
        }
        if raw.chars().count() > EXTERNAL_ID_MAX {
            return Err(Invalid::new(format!(
                "external_id can be at most {EXTERNAL_ID_MAX} characters."
            )));
        }
        if raw.chars().any(char::is_control) {
            return Err(Invalid::new(
                "external_id cannot contain control characters such as NUL or line breaks.",
            ));
        }
        Ok(Self(raw.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn into_string(self) -> String {
        self.0
    }
}

/// Which way a call went; stored as its `as_str` text (a CHECK holds the values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub enum CallDirection {
    Inbound,
    Outbound,
}

impl CallDirection {
    pub const ALL: [CallDirection; 2] = [CallDirection::Inbound, CallDirection::Outbound];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inbound => "inbound",
            Self::Outbound => "outbound",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == raw)
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Inbound => "Inbound",
            Self::Outbound => "Outbound",
        }
    }
}

stored_as_text!(CallDirection, "call direction");

impl fmt::Display for CallDirection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// How long a call lasted, in whole seconds: 0 to a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallDuration(i32);

impl CallDuration {
    pub fn parse(seconds: i64) -> Result<Self, Invalid> {
        if seconds < 0 {
            return Err(Invalid::new("duration_seconds cannot be negative."));
        }
        if seconds > DURATION_MAX_SECONDS {
            return Err(Invalid::new(format!(
                "duration_seconds can be at most {DURATION_MAX_SECONDS} (a week)."
            )));
        }
        i32::try_from(seconds)
            .map(Self)
            .map_err(|_| Invalid::new("duration_seconds is out of range."))
    }
    pub fn seconds(self) -> i32 {
        self.0
    }
}

/// A phone number or other caller address as the sender's system wrote it:
/// up to 40 characters, no control characters; empty when not known.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(field: &str, raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > PHONE_NUMBER_MAX {
            return Err(Invalid::new(format!(
                "{field} can be at most {PHONE_NUMBER_MAX} characters."
            )));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(Invalid::new(format!(
                "{field} cannot contain control characters."
            )));
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

/// When the call started: an RFC 3339 date and time with its offset
/// (`2026-12-07T09:30:00Z`), kept in UTC.
pub fn parse_started_at(raw: &str) -> Result<DateTime<Utc>, Invalid> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Invalid::new(
                "started_at must be a date and time with its offset, such as 2026-12-07T09:30:00Z.",
            )
        })
}

/// Free-form data about the call: a JSON object of at most 16 KiB. PostgreSQL
/// cannot store the NUL character in JSON, so no key or string may hold one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallMetadata(Map<String, Value>);

impl CallMetadata {
    pub fn parse(object: Map<String, Value>) -> Result<Self, Invalid> {
        let mut counter = ByteCounter(0);
        serde_json::to_writer(&mut counter, &object)
            .map_err(|_| Invalid::new("metadata must be a JSON object."))?;
        if counter.0 > METADATA_MAX_BYTES {
            return Err(Invalid::new(format!(
                "metadata can be at most 16 KiB ({METADATA_MAX_BYTES} bytes as compact JSON); this is {} bytes.",
                counter.0
            )));
        }
        if object.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)) {
            return Err(Invalid::new(
                "metadata cannot contain the NUL character (\\u0000).",
            ));
        }
        Ok(Self(object))
    }
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

struct ByteCounter(usize);

impl std::io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Who took the call, as the sender names them: an org member id or an email
/// address, resolved among the team's active members when the call is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentRef {
    Member(MembershipId),
    Email(EmailAddress),
}

impl fmt::Display for AgentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Member(id) => write!(f, "member id {id}"),
            Self::Email(email) => write!(f, "email {}", email.as_str()),
        }
    }
}

/// One call, valid in every field, ready to be stored in a team.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    pub external_id: ExternalId,
    pub started_at: DateTime<Utc>,
    pub duration: CallDuration,
    pub direction: CallDirection,
    pub from_number: PhoneNumber,
    pub to_number: PhoneNumber,
    pub agent: Option<AgentRef>,
    pub metadata: CallMetadata,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn external_ids_are_bounded_and_printable_and_kept_as_sent() {
        assert_eq!(ExternalId::parse(" a-1 ").unwrap().as_str(), " a-1 ");
        assert!(ExternalId::parse("").is_err());
        assert!(ExternalId::parse("   ").is_err());
        assert!(ExternalId::parse(&"x".repeat(200)).is_ok());
        assert!(ExternalId::parse(&"é".repeat(200)).is_ok());
        assert!(ExternalId::parse(&"x".repeat(201)).is_err());
        let long = ExternalId::parse(&"x".repeat(10_000)).unwrap_err();
        assert!(long.0.contains("at most 200"), "{long}");
        assert!(ExternalId::parse("a\0b").is_err());
        assert!(ExternalId::parse("a\nb").is_err());
    }

    #[test]
    fn durations_run_from_zero_to_a_week() {
        assert_eq!(CallDuration::parse(0).unwrap().seconds(), 0);
        assert_eq!(CallDuration::parse(604_800).unwrap().seconds(), 604_800);
        assert!(CallDuration::parse(-1).unwrap_err().0.contains("negative"));
        assert!(CallDuration::parse(604_801).is_err());
        assert!(CallDuration::parse(i64::MAX).is_err());
    }

    #[test]
    fn directions_round_trip_and_nothing_else_parses() {
        for d in CallDirection::ALL {
            assert_eq!(CallDirection::parse(d.as_str()), Some(d));
        }
        assert_eq!(CallDirection::parse("Inbound"), None);
        assert_eq!(CallDirection::parse("sideways"), None);
    }

    #[test]
    fn started_at_needs_a_date_time_with_an_offset() {
        let t = parse_started_at("2026-12-07T10:30:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-07T09:30:00+00:00");
        assert!(parse_started_at("2026-12-07T09:30:00Z").is_ok());
        for bad in [
            "yesterday",
            "2026-12-07",
            "2026-12-07T09:30:00",
            "",
            "2026-13-01T00:00:00Z",
        ] {
            assert!(parse_started_at(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phone_numbers_are_short_and_printable() {
        assert_eq!(
            PhoneNumber::parse("from_number", " +44 20 ")
                .unwrap()
                .as_str(),
            "+44 20"
        );
        assert!(PhoneNumber::parse("from_number", &"1".repeat(41)).is_err());
        assert!(PhoneNumber::parse("to_number", "1\u{0}2")
            .unwrap_err()
            .0
            .contains("to_number"));
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn metadata_is_at_most_sixteen_kibibytes_of_compact_json() {
        // {"k":"…"} is 8 bytes around the string.
        let fits = object(json!({ "k": "x".repeat(METADATA_MAX_BYTES - 8) }));
        assert!(CallMetadata::parse(fits).is_ok());
        let over = object(json!({ "k": "x".repeat(METADATA_MAX_BYTES - 7) }));
        assert!(CallMetadata::parse(over).unwrap_err().0.contains("16 KiB"));
        let big = object(json!({ "k": "x".repeat(17 * 1024) }));
        assert!(CallMetadata::parse(big).is_err());
    }

    #[test]
    fn metadata_cannot_hold_nul_anywhere() {
        for bad in [
            json!({"a\u{0}": 1}),
            json!({"a": "b\u{0}"}),
            json!({"a": [1, {"b": ["\u{0}"]}]}),
        ] {
            assert!(CallMetadata::parse(object(bad.clone())).is_err(), "{bad}");
        }
        assert!(CallMetadata::parse(object(json!({"queue": "sales", "n": [1, 2]}))).is_ok());
    }
}
