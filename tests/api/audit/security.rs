//! The profile's security activity: the account's own events of no organization.
