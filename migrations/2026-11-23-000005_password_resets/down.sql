ALTER TABLE outbox DROP COLUMN password_reset_id;
DROP TABLE password_resets;
DROP TABLE rate_limits;
