//! Attack stories: growth.
