-- Rate-limit counters shared by every instance, and password reset links.

-- One fixed window per key (e.g. "invite:org:42"): hits counted since window_started_at.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    hits INTEGER NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE password_resets (
    id BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- SHA-256 of the token; the token itself is never stored.
    token_hash BYTEA NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX password_resets_account_idx ON password_resets (account_id);

-- A reset email's link gets its token when the worker sends it, as invitations do.
ALTER TABLE outbox
    ADD COLUMN password_reset_id BIGINT REFERENCES password_resets (id) ON DELETE CASCADE;
