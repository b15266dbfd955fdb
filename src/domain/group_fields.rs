//! Validated fields of groups and services.
