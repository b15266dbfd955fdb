//! `AppError`, the one error type of the application, and its mapping to HTTP.
//!
//! Every layer returns `AppError` (diesel's errors convert into it), and only
//! [`ResponseError::error_response`] decides status codes and pages. For htmx
//! requests `web::htmx::retarget_errors` turns the page into a toast.

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use askama::Template;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("That page does not exist.")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("Your session token is missing or out of date. Reload the page and try again.")]
    Csrf,
    #[error("Please sign in to continue.")]
    Unauthenticated { next: Option<String> },
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    Conflict(String),
    /// A limit was reached: 429 with `Retry-After` in seconds.
    #[error("{message}")]
    TooMany { message: String, retry_after: u64 },
    #[error("{0}")]
    TooLarge(String),
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Unexpected(#[source] anyhow::Error),
}

/// Carried on error responses so the htmx layer can show the message as a toast.
#[derive(Clone, Debug)]
pub struct ErrorMessage(pub String);

impl AppError {
    pub fn unexpected(err: impl Into<anyhow::Error>) -> Self {
        Self::Unexpected(err.into())
    }

    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::Forbidden(reason.into())
    }

    fn title(&self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::Forbidden(_) | Self::Csrf => "Not allowed",
            Self::Unauthenticated { .. } => "Sign in",
            Self::Validation(_) => "Check your input",
            Self::Conflict(_) => "Conflict",
            Self::TooMany { .. } => "Too many attempts",
            Self::TooLarge(_) => "Too large",
            Self::Unexpected(_) => "Something went wrong",
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match err {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::info!(constraint = ?info.constraint_name(), "unique violation");
                Self::Conflict("That already exists.".into())
            }
            other => Self::Unexpected(other.into()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        Self::Unexpected(err.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        Self::Unexpected(err.into())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        Self::Unexpected(anyhow::anyhow!("blocking task failed: {err}"))
    }
}

#[derive(Template)]
#[template(path = "pages/errors/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden(_) | Self::Csrf => StatusCode::FORBIDDEN,
            Self::Unauthenticated { .. } => StatusCode::SEE_OTHER,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Unexpected(cause) = self {
            tracing::error!(error = ?cause, "request failed");
        }
        let message = self.to_string();
        let mut response = if let Self::Unauthenticated { next } = self {
            let location = match next {
                Some(next) => format!(
                    "/signin?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                ),
                None => "/signin".to_owned(),
            };
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish()
        } else {
            let status = self.status_code();
            let page = ErrorPage {
                title: self.title(),
                message: &message,
                status: status.as_u16(),
            };
            let body = page.render().unwrap_or_else(|_| message.clone());
            let mut builder = HttpResponse::build(status);
            if let Self::TooMany { retry_after, .. } = self {
                builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            builder.content_type("text/html; charset=utf-8").body(body)
        };
        response.extensions_mut().insert(ErrorMessage(message));
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
