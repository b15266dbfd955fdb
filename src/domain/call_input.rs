//! What `POST /api/v1/workflows/{workflow_id}/calls` accepts, and how its body
//! becomes calls: either one call object, or `{"calls": [ … ]}` with 1 to 1,000
//! of them. Unknown fields are refused, never ignored. In a batch each call is
//! checked on its own, so one bad call is refused with its reasons while the
//! others are stored.

use serde::{Deserialize, Serialize};
use serde_json::{value::RawValue, Map, Value};

use super::calls::{
    parse_started_at, AgentRef, CallDirection, CallDuration, CallMetadata, ExternalId, NewCall,
    PhoneNumber,
};
use super::{EmailAddress, Invalid, MembershipId};

/// The most calls one request may carry.
pub const BATCH_MAX: usize = 1_000;

/// One call as sent. Times are RFC 3339 strings and checked here, so a date
/// that is not one gets a field error rather than a parser's message. The
/// OpenAPI document describes the endpoint's body from this type.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallInput {
    /// Your own id of the call, 1 to 200 characters, unique per team: sending
    /// it again stores nothing and answers with the call stored first.
    #[schema(example = "call-0001")]
    pub external_id: String,
    /// When the call started, RFC 3339 with an offset.
    #[schema(example = "2026-12-07T09:30:00Z")]
    pub started_at: String,
    /// 0 to 604800 (a week).
    #[schema(minimum = 0, maximum = 604800)]
    pub duration_seconds: i64,
    /// `inbound` or `outbound`.
    #[schema(example = "inbound")]
    pub direction: String,
    /// At most 40 characters.
    #[serde(default)]
    pub from_number: Option<String>,
    /// At most 40 characters.
    #[serde(default)]
    pub to_number: Option<String>,
    /// The agent's org member id; or give `agent_email`, not both. Someone who
    /// is not an active member of the team leaves the call unassigned, with a
    /// warning in the answer.
    #[serde(default)]
    pub agent_member_id: Option<i64>,
    /// The agent's email address, in any case.
    #[serde(default)]
    pub agent_email: Option<String>,
    /// Anything else about the call: a JSON object of at most 16 KiB.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Map<String, Value>>,
}

/// A field of a call that is not accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Why one call was refused: its field errors, or (in a batch) the parser's
/// words for an item of the wrong shape, under the field `call`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub errors: Vec<FieldError>,
}

impl Refusal {
    fn shape(message: String) -> Self {
        Self {
            errors: vec![FieldError {
                field: "call",
                message,
            }],
        }
    }
    /// The reasons in one sentence list, for a problem's `detail`.
    pub fn summary(&self) -> String {
        self.errors
            .iter()
            .map(|e| e.message.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl TryFrom<CallInput> for NewCall {
    type Error = Refusal;

    fn try_from(input: CallInput) -> Result<Self, Refusal> {
        let mut errors = Vec::new();
        let mut c = Checker(&mut errors);
        let external_id = c.check("external_id", ExternalId::parse(&input.external_id));
        let started_at = c.check("started_at", parse_started_at(&input.started_at));
        let duration = c.check(
            "duration_seconds",
            CallDuration::parse(input.duration_seconds),
        );
        let direction = c.check(
            "direction",
            CallDirection::parse(&input.direction)
                .ok_or_else(|| Invalid::new("direction must be \"inbound\" or \"outbound\".")),
        );
        let from = input.from_number.unwrap_or_default();
        let from_number = c.check("from_number", PhoneNumber::parse("from_number", &from));
        let to = input.to_number.unwrap_or_default();
        let to_number = c.check("to_number", PhoneNumber::parse("to_number", &to));
        let agent = c.check(
            "agent",
            match (input.agent_member_id, input.agent_email) {
                (Some(_), Some(_)) => Err(Invalid::new(
                    "Name the agent by agent_member_id or by agent_email, not both.",
                )),
                (Some(id), None) => Ok(Some(AgentRef::Member(MembershipId(id)))),
                (None, Some(email)) => EmailAddress::parse(&email)
                    .map(|e| Some(AgentRef::Email(e)))
                    .map_err(|Invalid(m)| Invalid::new(format!("agent_email: {m}"))),
                (None, None) => Ok(None),
            },
        );
        let metadata = c.check(
            "metadata",
            CallMetadata::parse(input.metadata.unwrap_or_default()),
        );
        // Every field is there exactly when no error was recorded.
        let call = (|| {
            Some(NewCall {
                external_id: external_id?,
                started_at: started_at?,
                duration: duration?,
                direction: direction?,
                from_number: from_number?,
                to_number: to_number?,
                agent: agent?,
                metadata: metadata?,
            })
        })();
        call.ok_or(Refusal { errors })
    }
}

struct Checker<'a>(&'a mut Vec<FieldError>);

impl Checker<'_> {
    fn check<T>(&mut self, field: &'static str, result: Result<T, Invalid>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(Invalid(message)) => {
                self.0.push(FieldError { field, message });
                None
            }
        }
    }
}

/// A request body, parsed: one call, or a batch with a result per item.
#[derive(Debug)]
pub enum Submission {
    One(Result<NewCall, Refusal>),
    Batch(Vec<Result<NewCall, Refusal>>),
}

/// A body that is refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Not JSON at all: 400.
    NotJson(String),
    /// JSON, but not an object, a call of the wrong shape, or unknown fields: 400.
    Malformed(String),
    /// More than [`BATCH_MAX`] calls: 413.
    TooManyCalls(usize),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch<'a> {
    #[serde(borrow)]
    calls: Vec<&'a RawValue>,
}

const SHAPE: &str =
    "Send one call as a JSON object, or several as {\"calls\": [ … ]} (1 to 1,000 calls).";

/// Parses a body; the calls of a batch are parsed one by one, so that each
/// gets its own result.
pub fn parse_body(body: &[u8]) -> Result<Submission, BodyError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| BodyError::NotJson("The body is not UTF-8 text.".into()))?;
    let top: std::collections::HashMap<String, &RawValue> =
        serde_json::from_str(text).map_err(|e| {
            // Only on the way out: is it JSON at all, or JSON of another shape?
            match serde_json::from_str::<serde::de::IgnoredAny>(text) {
                Err(syntax) => BodyError::NotJson(format!("The body is not valid JSON: {syntax}.")),
                Ok(_) => {
                    BodyError::Malformed(format!("The body is not a JSON object: {e}. {SHAPE}"))
                }
            }
        })?;
    if !top.contains_key("calls") {
        let call: CallInput = serde_json::from_str(text)
            .map_err(|e| BodyError::Malformed(format!("The call is not accepted: {e}.")))?;
        return Ok(Submission::One(NewCall::try_from(call)));
    }
    let batch: Batch = serde_json::from_str(text)
        .map_err(|e| BodyError::Malformed(format!("The batch is not accepted: {e}. {SHAPE}")))?;
    if batch.calls.len() > BATCH_MAX {
        return Err(BodyError::TooManyCalls(batch.calls.len()));
    }
    if batch.calls.is_empty() {
        return Err(BodyError::Malformed(format!(
            "The batch holds no calls. {SHAPE}"
        )));
    }
    Ok(Submission::Batch(
        batch
            .calls
            .into_iter()
            .map(|raw| {
                serde_json::from_str::<CallInput>(raw.get())
                    .map_err(|e| Refusal::shape(format!("The call is not accepted: {e}.")))
                    .and_then(NewCall::try_from)
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn call(external_id: &str) -> Value {
        json!({
            "external_id": external_id,
            "started_at": "2026-12-07T09:30:00Z",
            "duration_seconds": 42,
            "direction": "inbound",
        })
    }

    fn parse(value: &Value) -> Result<Submission, BodyError> {
        parse_body(value.to_string().as_bytes())
    }

    #[test]
    fn one_call_or_a_batch() {
        let Ok(Submission::One(Ok(one))) = parse(&call("a")) else {
            panic!("one call")
        };
        assert_eq!(one.external_id.as_str(), "a");
        assert_eq!(one.agent, None);
        let Ok(Submission::Batch(items)) = parse(&json!({"calls": [call("a"), call("b")]})) else {
            panic!("a batch")
        };
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn the_body_is_refused_whole_when_it_is_not_json_or_has_unknown_fields() {
        for body in ["{", "{\"a\": }", ""] {
            assert!(
                matches!(parse_body(body.as_bytes()), Err(BodyError::NotJson(_))),
                "{body}"
            );
        }
        for body in [
            "[]",
            "42",
            "\"calls\"",
            "{\"calls\": 3}",
            "{\"calls\": [], \"more\": 1}",
            "{\"calls\": []}",
        ] {
            assert!(
                matches!(parse_body(body.as_bytes()), Err(BodyError::Malformed(_))),
                "{body}"
            );
        }
        let mut extra = call("a");
        extra["colour"] = json!("blue");
        let Err(BodyError::Malformed(message)) = parse(&extra) else {
            panic!("unknown field refused")
        };
        assert!(message.contains("unknown field `colour`"), "{message}");
        let mut wrong = call("a");
        wrong["duration_seconds"] = json!("long");
        assert!(matches!(parse(&wrong), Err(BodyError::Malformed(_))));
        assert!(matches!(
            parse_body(&[0xff, 0xfe]),
            Err(BodyError::NotJson(_))
        ));
    }

    #[test]
    fn a_batch_holds_at_most_a_thousand_calls() {
        let calls: Vec<Value> = (0..1_001).map(|i| call(&i.to_string())).collect();
        assert_eq!(
            parse(&json!({ "calls": calls })).unwrap_err(),
            BodyError::TooManyCalls(1_001)
        );
        let calls: Vec<Value> = (0..1_000).map(|i| call(&i.to_string())).collect();
        assert!(parse(&json!({ "calls": calls })).is_ok());
    }

    #[test]
    fn in_a_batch_each_bad_call_is_refused_with_its_reasons() {
        let mut negative = call("n");
        negative["duration_seconds"] = json!(-5);
        negative["started_at"] = json!("not a date");
        let mut shape = call("s");
        shape["unknown"] = json!(1);
        let Ok(Submission::Batch(items)) =
            parse(&json!({"calls": [call("ok"), negative, shape, 7]}))
        else {
            panic!("a batch")
        };
        assert!(items[0].is_ok());
        let fields: Vec<_> = items[1]
            .as_ref()
            .unwrap_err()
            .errors
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["started_at", "duration_seconds"]);
        assert!(items[2]
            .as_ref()
            .unwrap_err()
            .summary()
            .contains("unknown field"));
        assert!(items[3]
            .as_ref()
            .unwrap_err()
            .summary()
            .contains("invalid type"));
    }

    #[test]
    fn the_agent_is_a_member_id_or_an_email_never_both() {
        let mut by_id = call("a");
        by_id["agent_member_id"] = json!(12);
        let Ok(Submission::One(Ok(c))) = parse(&by_id) else {
            panic!()
        };
        assert_eq!(c.agent, Some(AgentRef::Member(MembershipId(12))));
        let mut both = by_id.clone();
        both["agent_email"] = json!("al@example.com");
        let Ok(Submission::One(Err(refusal))) = parse(&both) else {
            panic!()
        };
        assert_eq!(refusal.errors[0].field, "agent");
        let mut bad_email = call("a");
        bad_email["agent_email"] = json!("not an address");
        let Ok(Submission::One(Err(refusal))) = parse(&bad_email) else {
            panic!()
        };
        assert!(refusal.summary().contains("agent_email"));
    }
}
