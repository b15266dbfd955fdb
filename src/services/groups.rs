//! groups use cases.
