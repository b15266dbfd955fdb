//! members use cases.
