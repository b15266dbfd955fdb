-- The walking skeleton: accounts, organizations, memberships, features, sessions,
-- sign-in throttling, audit events and instance-wide secrets.

CREATE TABLE accounts (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 100),
    password_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX accounts_email_lower_key ON accounts (lower(email));

CREATE TABLE organizations (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro')),
    seats_purchased INTEGER NOT NULL DEFAULT 5 CHECK (seats_purchased BETWEEN 1 AND 100000),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'member')),
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'archived')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (organization_id, account_id)
);
CREATE INDEX memberships_account_idx ON memberships (account_id);

-- A row exists only once a feature was toggled; absent rows take the feature's default.
CREATE TABLE organization_features (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    feature TEXT NOT NULL CHECK (feature IN ('user_management', 'api_access', 'groups', 'services', 'contacts', 'presence')),
    enabled BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, feature)
);

-- Server-side sessions for actix-session. The cookie holds a random key; only its
-- SHA-256 is stored, so a copy of this table signs nobody in.
CREATE TABLE sessions (
    id BIGSERIAL PRIMARY KEY,
    key_hash BYTEA NOT NULL UNIQUE,
    account_id BIGINT REFERENCES accounts (id) ON DELETE CASCADE,
    -- A random id given at sign-in, so a person can tell which listed session is this one.
    sid TEXT,
    state JSONB NOT NULL,
    user_agent TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_account_idx ON sessions (account_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Failed sign-ins per key ("email:…" or "ip:…") within a sliding window.
CREATE TABLE signin_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT REFERENCES organizations (id) ON DELETE CASCADE,
    actor_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT,
    before JSONB,
    after JSONB,
    ip TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_org_idx ON audit_events (organization_id, created_at DESC);

-- Secrets shared by every instance on this database (the cookie signing key).
CREATE TABLE instance_secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
