//! Attack stories: input.
