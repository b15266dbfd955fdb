-- Invitations by email and the outbox that delivers their messages.

CREATE TABLE invitations (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- The pending membership the invitation stands for; gone once revoked.
    membership_id BIGINT REFERENCES memberships (id) ON DELETE SET NULL,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    -- [{"team": id, "role": "agent"}]
    teams JSONB NOT NULL DEFAULT '[]',
    permissions TEXT[],
    inviter_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    -- SHA-256 of the token; the token itself is never stored.
    token_hash BYTEA NOT NULL UNIQUE,
    expires_at TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'revoked', 'expired')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    accepted_at TIMESTAMPTZ
);
-- One open invitation per address and organization.
CREATE UNIQUE INDEX invitations_one_pending_idx
    ON invitations (organization_id, lower(email)) WHERE status = 'pending';
CREATE INDEX invitations_membership_idx ON invitations (membership_id);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error TEXT,
    invitation_id BIGINT REFERENCES invitations (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at TIMESTAMPTZ
);
-- The worker's claim: due rows, oldest first.
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id) WHERE status IN ('queued', 'sending');
CREATE INDEX outbox_invitation_idx ON outbox (invitation_id);
