//! Attack stories: headers.
