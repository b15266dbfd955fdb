//! The JSON API under `/api/v1`: bearer-token authentication ([`auth`]),
//! RFC 9457 errors ([`problem`]), and handlers that call the same services and
//! the same policy as the pages.

pub mod auth;
pub mod problem;
