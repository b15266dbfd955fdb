//! Custom roles.
