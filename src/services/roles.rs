//! roles use cases.
