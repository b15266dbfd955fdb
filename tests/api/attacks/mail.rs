//! Attack stories: mail.
