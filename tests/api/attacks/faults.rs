//! Attack stories: faults.
