-- Calls streamed to a team through the API by its workflow ID. The external id
-- is the sender's own key for a call and makes sending idempotent: the same id
-- twice to one team stores one call (INSERT … ON CONFLICT DO NOTHING on the
-- unique key below). Sizes are checked at the edge (domain::calls); the checks
-- here hold the shape.
CREATE TABLE calls (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    started_at TIMESTAMPTZ NOT NULL,
    duration_seconds INTEGER NOT NULL CHECK (duration_seconds >= 0),
    direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    from_number TEXT NOT NULL DEFAULT '' CHECK (length(from_number) <= 40),
    to_number TEXT NOT NULL DEFAULT '' CHECK (length(to_number) <= 40),
    -- The org membership of the team member who took the call, or nobody (an
    -- agent the sender named who is not an active member of the team). A
    -- deleted membership leaves its calls unassigned.
    agent_membership_id BIGINT REFERENCES memberships (id) ON DELETE SET NULL,
    metadata JSONB NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT calls_team_external_id_key UNIQUE (team_id, external_id)
);

-- The Calls tab: the latest calls of a team by keyset (started_at, id), and
-- the same walk narrowed to one agent (or to the unassigned, where it is NULL).
CREATE INDEX calls_team_started_idx ON calls (team_id, started_at DESC, id DESC);
CREATE INDEX calls_team_agent_started_idx ON calls (team_id, agent_membership_id, started_at DESC, id DESC);
-- A membership deleted for good sets its calls' agent to NULL through this.
CREATE INDEX calls_agent_idx ON calls (agent_membership_id) WHERE agent_membership_id IS NOT NULL;
CREATE INDEX calls_org_idx ON calls (organization_id);
