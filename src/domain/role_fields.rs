//! Validated fields of custom roles.
