-- Presence: one row per account and organization, kept by the heartbeats of
-- open pages (src/services/presence.rs) and by each instance's ticker, which
-- announces the transitions nobody reports (away, offline).
--
-- HOT-friendly: a heartbeat rewrites tabs, last_active_at and next_change_at,
-- none of them indexed, so the update stays on its page (fillfactor leaves the
-- room) and touches no index. Only a transition changes `status`, the
-- predicate of the partial index the ticker reads.
CREATE TABLE presence (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- The status last announced (NOTIFY roster_presence).
    status TEXT NOT NULL DEFAULT 'offline' CHECK (status IN ('online', 'away', 'offline')),
    -- What each open tab last reported: {"<tab id>": {"v": visible, "i": input ms, "s": seen ms}}.
    tabs JSONB NOT NULL DEFAULT '{}',
    -- The last input in a visible tab: "last seen".
    last_active_at TIMESTAMPTZ,
    -- When the status changes next if no tab reports again (NULL: offline for good).
    next_change_at TIMESTAMPTZ,
    PRIMARY KEY (organization_id, account_id)
) WITH (fillfactor = 50);

-- The ticker's rows: everyone not offline.
CREATE INDEX presence_present ON presence (organization_id) WHERE status <> 'offline';
-- Signing out ends an account's presence in every organization.
CREATE INDEX presence_account ON presence (account_id);
