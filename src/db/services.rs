//! Services a team offers, and which groups provide them.
