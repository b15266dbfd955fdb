-- Sign-in attempts are now reserved in rate_limits before the password is
-- checked (one atomic upsert per budget), so the separate failure counters go.
DROP TABLE signin_failures;
