//! The members list and the member edit queries.
