//! Groups of a team's members.
