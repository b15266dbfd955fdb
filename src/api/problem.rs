//! Errors of the JSON API as RFC 9457 problem details
//! (`application/problem+json`): a stable `type` per kind of problem, its
//! title, the status, a `detail` in words (the policy's reason for a refusal)
//! and, for invalid input, the errors of each field. Every API handler returns
//! [`Problem`]; `AppError`s from the services convert into it.

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;

macro_rules! problem_types {
    ($($variant:ident = $slug:literal, $status:literal, $title:literal;)*) => {
        /// The kinds of problem the API reports; each has a stable `type` URI.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ProblemType { $($variant,)* }

        impl ProblemType {
            pub const ALL: &'static [ProblemType] = &[$(ProblemType::$variant,)*];

            pub fn slug(self) -> &'static str {
                match self { $(Self::$variant => $slug,)* }
            }

            pub fn status(self) -> StatusCode {
                let code = match self { $(Self::$variant => $status,)* };
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }

            pub fn title(self) -> &'static str {
                match self { $(Self::$variant => $title,)* }
            }

            pub fn from_slug(slug: &str) -> Option<Self> {
                match slug { $($slug => Some(Self::$variant),)* _ => None }
            }
        }
    };
}

problem_types! {
    Unauthorized = "unauthorized", 401, "Missing or invalid API token";
    InsufficientScope = "insufficient-scope", 403, "The token lacks a scope";
    Forbidden = "forbidden", 403, "Not allowed";
    ApiAccessOff = "api-access-off", 403, "API access is off";
    NotFound = "not-found", 404, "Not found";
    MethodNotAllowed = "method-not-allowed", 405, "Method not allowed";
    MalformedJson = "malformed-json", 400, "The body is not valid JSON";
    InvalidBody = "invalid-body", 400, "The body does not match the schema";
    InvalidQuery = "invalid-query", 400, "The query string does not match the schema";
    UnsupportedMediaType = "unsupported-media-type", 415, "Send JSON";
    Validation = "validation", 422, "Check your input";
    Conflict = "conflict", 409, "Conflict";
    TooLarge = "too-large", 413, "Too large";
    RateLimited = "rate-limited", 429, "Too many requests";
    Unavailable = "unavailable", 503, "Unavailable";
    Internal = "internal", 500, "Something went wrong";
}

/// Where the documentation of every problem type lives; `type` is this plus the slug.
pub const TYPE_BASE: &str = "/api/v1/problems/";

impl ProblemType {
    pub fn uri(self) -> String {
        format!("{TYPE_BASE}{}", self.slug())
    }
}

/// One field's complaint: `field` is a JSON pointer-ish path such as
/// `emails/3` or `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem: what went wrong, in words, with a stable `type`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemBody {
    /// Stable per kind of problem, e.g. /api/v1/problems/validation.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For invalid input: what is wrong with each field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false)]
    pub errors: Vec<FieldError>,
}

/// An API error: the response is built from it in one place.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{kind:?}: {detail}")]
pub struct Problem {
    pub kind: ProblemType,
    pub detail: String,
    pub errors: Vec<FieldError>,
    retry_after: Option<u64>,
    /// For 401s: the `error` of `WWW-Authenticate` (RFC 6750), when a token
    /// was presented and refused; for insufficient scope, the scope needed.
    bearer_error: Option<(&'static str, Option<&'static str>)>,
}

pub type ApiResult<T> = Result<T, Problem>;

impl Problem {
    pub fn new(kind: ProblemType, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            bearer_error: None,
        }
    }

    /// No usable credentials were sent at all.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(ProblemType::Unauthorized, detail)
    }

    /// A token was sent but is not (or no longer) valid.
    pub fn invalid_token(detail: impl Into<String>) -> Self {
        Self {
            bearer_error: Some(("invalid_token", None)),
            ..Self::new(ProblemType::Unauthorized, detail)
        }
    }

    pub fn insufficient_scope(scope: &'static str) -> Self {
        Self {
            bearer_error: Some(("insufficient_scope", Some(scope))),
            ..Self::new(
                ProblemType::InsufficientScope,
                format!("This token does not have the {scope} scope."),
            )
        }
    }

    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::new(ProblemType::Forbidden, reason)
    }

    pub fn not_found() -> Self {
        Self::new(
            ProblemType::NotFound,
            "There is nothing with that id in this organization.",
        )
    }

    /// Invalid input, with the complaint of each field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => one.message.clone(),
            _ => format!("{} fields are not valid.", errors.len()),
        };
        Self {
            errors,
            ..Self::new(ProblemType::Validation, detail)
        }
    }

    /// One field is not valid.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    pub fn body(&self) -> ProblemBody {
        ProblemBody {
            type_: self.kind.uri(),
            title: self.kind.title().to_owned(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl From<AppError> for Problem {
    fn from(err: AppError) -> Self {
        let detail = err.to_string();
        match err {
            AppError::NotFound => Self::not_found(),
            AppError::Forbidden(reason) => Self::forbidden(reason),
            // Neither reaches the API (it reads no session); kept exhaustive.
            AppError::Csrf => Self::forbidden(detail),
            AppError::Unauthenticated { .. } => Self::unauthorized(detail),
            AppError::Validation(message) => Self::new(ProblemType::Validation, message),
            AppError::Conflict(message) => Self::new(ProblemType::Conflict, message),
            AppError::TooMany {
                message,
                retry_after,
            } => Self::new(ProblemType::RateLimited, message).retry_after(retry_after),
            AppError::TooLarge(message) => Self::new(ProblemType::TooLarge, message),
            AppError::Unavailable {
                message,
                retry_after,
            } => Self::new(ProblemType::Unavailable, message).retry_after(retry_after),
            AppError::Unexpected(cause) => {
                tracing::error!(error = ?cause, "API request failed");
                Self::new(ProblemType::Internal, detail)
            }
        }
    }
}

impl From<diesel::result::Error> for Problem {
    fn from(err: diesel::result::Error) -> Self {
        AppError::from(err).into()
    }
}

impl From<crate::domain::policy::Denied> for Problem {
    fn from(crate::domain::policy::Denied(reason): crate::domain::policy::Denied) -> Self {
        Self::forbidden(reason)
    }
}

impl ResponseError for Problem {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/problem+json");
        if let Some(secs) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.kind == ProblemType::Unauthorized || self.bearer_error.is_some() {
            let challenge = match self.bearer_error {
                None => r#"Bearer realm="roster""#.to_owned(),
                Some((error, None)) => format!(r#"Bearer realm="roster", error="{error}""#),
                Some((error, Some(scope))) => {
                    format!(r#"Bearer realm="roster", error="{error}", scope="{scope}""#)
                }
            };
            res.insert_header((header::WWW_AUTHENTICATE, challenge));
        }
        let body = serde_json::to_string(&self.body()).unwrap_or_else(|_| {
            r#"{"type":"/api/v1/problems/internal","title":"Something went wrong","status":500,"detail":""}"#
                .to_owned()
        });
        res.body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_type_has_a_distinct_slug_that_round_trips() {
        let mut slugs: Vec<&str> = ProblemType::ALL.iter().map(|t| t.slug()).collect();
        for t in ProblemType::ALL {
            assert_eq!(ProblemType::from_slug(t.slug()), Some(*t));
            assert!(t.status().is_client_error() || t.status().is_server_error());
        }
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), ProblemType::ALL.len());
    }

    #[test]
    fn a_refused_token_says_so_in_its_challenge() {
        let res = Problem::invalid_token("This token was revoked.").error_response();
        assert_eq!(res.status(), 401);
        let challenge = res.headers().get(header::WWW_AUTHENTICATE).unwrap();
        assert_eq!(challenge, r#"Bearer realm="roster", error="invalid_token""#);
        let res = Problem::unauthorized("Send a token.").error_response();
        assert_eq!(
            res.headers().get(header::WWW_AUTHENTICATE).unwrap(),
            r#"Bearer realm="roster""#
        );
        let res = Problem::from(AppError::TooMany {
            message: "slow down".into(),
            retry_after: 7,
        })
        .error_response();
        assert_eq!(res.status(), 429);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "7");
    }
}
