//! `AppError`, the one error type of the application, and its mapping to HTTP.
//!
//! Every layer returns `AppError` (diesel's errors convert into it), and only
//! [`ResponseError::error_response`] decides status codes and pages. For htmx
//! requests `web::plumbing::htmx::retarget_errors` turns the page into a toast.

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
    /// Roster cannot serve this now (the database is unreachable, no connection
    /// came free in time, every password check is taken): 503 with `Retry-After`.
    #[error("{message}")]
    Unavailable { message: String, retry_after: u64 },
    #[error("Something went wrong on our side. It has been logged; please try again.")]
    Unexpected(#[source] anyhow::Error),
}

/// Carried on error responses so the htmx layer can show the message as a toast.
#[derive(Clone, Debug)]
pub struct ErrorMessage(pub String);

/// Carried on error pages beside [`ErrorMessage`]: the page's heading, so
/// `web::plumbing::error_layout` can draw the same page inside the app's layout.
#[derive(Clone, Copy, Debug)]
pub struct ErrorTitle(pub &'static str);

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
            Self::Unavailable { .. } => "Unavailable",
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
            // The connection died under the query (the server restarted, or an
            // operator ended the backend): nothing was committed.
            Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                info,
            ) => Self::database_unavailable(info.message()),
            Error::DatabaseError(DatabaseErrorKind::Unknown, info)
                if is_connection_loss(info.message()) =>
            {
                Self::database_unavailable(info.message())
            }
            Error::BrokenTransactionManager => Self::database_unavailable("broken transaction"),
            other => Self::Unexpected(other.into()),
        }
    }
}

impl AppError {
    /// The database could not be reached, or no connection came free in time.
    pub fn database_unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "database unavailable");
        Self::no_database()
    }

    /// As [`AppError::database_unavailable`], for a cause already logged.
    pub fn no_database() -> Self {
        Self::Unavailable {
            message: "Roster cannot reach its database right now. Please try again in a few \
                      seconds."
                .into(),
            retry_after: 5,
        }
    }
}

/// A checkout that timed out: the database is down, or every connection is
/// taken by slower requests. Either way, come back shortly.
impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        Self::database_unavailable(err)
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

/// libpq's words when the server went away mid-query.
fn is_connection_loss(message: &str) -> bool {
    [
        "terminating connection",
        "server closed the connection",
        "connection to server",
        "no connection to the server",
        "the database system is shutting down",
        "the database system is starting up",
    ]
    .iter()
    .any(|m| message.contains(m))
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
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
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
            if let Self::TooMany { retry_after, .. } | Self::Unavailable { retry_after, .. } = self
            {
                builder.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            builder.content_type("text/html; charset=utf-8").body(body)
        };
        response.extensions_mut().insert(ErrorMessage(message));
        response.extensions_mut().insert(ErrorTitle(self.title()));
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;
