//! Validated fields of teams (names, descriptions, thresholds).
