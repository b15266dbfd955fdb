//! Attack stories: signin.
