//! Attack stories: holes.
