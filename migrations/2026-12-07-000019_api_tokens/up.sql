-- An organization's API tokens: credentials for the JSON API under /api/v1.
-- A token belongs to the organization, not to the member who made it: it keeps
-- working when its creator is archived. Only the SHA-256 of the secret is kept;
-- the secret is shown once, when the token is made.
CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash BYTEA NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- Permission keys from the catalogue: a subset of what the creator held.
    scopes TEXT[] NOT NULL,
    -- The creator's org role when the token was made: the token's rank when the
    -- policy asks who may manage whom.
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'member')),
    -- Only accounts an invitation made and nobody accepted are ever deleted, and
    -- those never made a token; the cascade only keeps the reference honest.
    created_by_account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- NULL: never expires (an Owner's explicit choice).
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ,
    revoked_by_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    -- Moved at most once a minute (or when the client address changes).
    last_used_at TIMESTAMPTZ,
    last_used_ip TEXT
);

-- Settings → API tokens, newest first.
CREATE INDEX api_tokens_org_idx ON api_tokens (organization_id, created_at DESC, id DESC);
