//! The edge of the API: JSON bodies (at most 1 MiB, `application/json` only,
//! unknown fields refused by each type's `deny_unknown_fields`), query strings
//! and path ids, each failure as a problem the client can act on.

use actix_web::{error::JsonPayloadError, web, HttpRequest};

use super::problem::{Problem, ProblemType};

/// The largest body any endpoint reads; endpoints cap their item counts below it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

fn body_problem(err: JsonPayloadError) -> Problem {
    match err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            Problem::new(
                ProblemType::TooLarge,
                format!("The body is larger than {MAX_BODY_BYTES} bytes."),
            )
        }
        JsonPayloadError::ContentType => Problem::new(
            ProblemType::UnsupportedMediaType,
            "Send the body as Content-Type: application/json.",
        ),
        JsonPayloadError::Deserialize(err) if err.is_data() => {
            Problem::new(ProblemType::InvalidBody, err.to_string())
        }
        JsonPayloadError::Deserialize(err) => Problem::new(
            ProblemType::MalformedJson,
            format!("The body is not valid JSON: {err}."),
        ),
        other => Problem::new(
            ProblemType::MalformedJson,
            format!("The body could not be read: {other}."),
        ),
    }
}

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .content_type_required(true)
        .error_handler(|err, _: &HttpRequest| body_problem(err).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _: &HttpRequest| {
        Problem::new(ProblemType::InvalidQuery, err.to_string()).into()
    })
}

/// A path id that is not a number names nothing.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _: &HttpRequest| Problem::not_found().into())
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a
/// value (`Some(Some(v))`); use with `#[serde(default)]`.
pub fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(de).map(Some)
}
