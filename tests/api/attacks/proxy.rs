//! Attack stories: proxy.
