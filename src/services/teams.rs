//! teams use cases.
