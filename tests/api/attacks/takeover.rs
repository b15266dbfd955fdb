//! Attack stories: takeover.
