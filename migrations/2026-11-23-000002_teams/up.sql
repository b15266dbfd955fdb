-- Teams, team memberships, custom roles, groups and services, and what the
-- members page needs to list, search and sort 10,000 members by index.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- Custom roles an organization defines: a name and a set of permission keys,
-- for the organization level or the team level.
CREATE TABLE custom_roles (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    scope TEXT NOT NULL CHECK (scope IN ('org', 'team')),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 60),
    permissions TEXT[] NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX custom_roles_name_key ON custom_roles (organization_id, scope, lower(name));

-- A membership's org permissions: its own set when given, else its custom role's,
-- else its built-in role's preset. `role` stays the built-in rank either way.
ALTER TABLE memberships
    ADD COLUMN custom_role_id BIGINT REFERENCES custom_roles (id) ON DELETE SET NULL,
    ADD COLUMN permissions TEXT[],
    -- Copies of the account's name and email, so one index orders and searches
    -- an organization's members; kept in step by the trigger below.
    ADD COLUMN sort_name TEXT NOT NULL DEFAULT '',
    ADD COLUMN search_text TEXT NOT NULL DEFAULT '',
    -- Optimistic concurrency for inline edits: bumped on every change.
    ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

UPDATE memberships m
SET sort_name = lower(a.display_name), search_text = lower(a.display_name || ' ' || a.email)
FROM accounts a WHERE a.id = m.account_id;

CREATE FUNCTION memberships_copy_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT lower(a.display_name), lower(a.display_name || ' ' || a.email)
    INTO NEW.sort_name, NEW.search_text
    FROM accounts a WHERE a.id = NEW.account_id;
    RETURN NEW;
END $$;
CREATE TRIGGER memberships_copy_account BEFORE INSERT ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_copy_account();

CREATE FUNCTION accounts_sync_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.display_name IS DISTINCT FROM OLD.display_name OR NEW.email IS DISTINCT FROM OLD.email THEN
        UPDATE memberships
        SET sort_name = lower(NEW.display_name), search_text = lower(NEW.display_name || ' ' || NEW.email)
        WHERE account_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER accounts_sync_memberships AFTER UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION accounts_sync_memberships();

-- INCLUDE lets deep pages and counts skip archived rows from the index alone.
CREATE INDEX memberships_org_sort_idx ON memberships (organization_id, sort_name, id) INCLUDE (status);
CREATE INDEX memberships_org_status_sort_idx ON memberships (organization_id, status, sort_name, id);
CREATE INDEX memberships_org_role_sort_idx ON memberships (organization_id, role, sort_name, id);
CREATE INDEX memberships_search_idx ON memberships USING gin (organization_id, search_text gin_trgm_ops);

CREATE TABLE teams (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    -- Public and unguessable: records are sent to a team by it.
    workflow_id TEXT NOT NULL UNIQUE,
    calibration BOOLEAN NOT NULL DEFAULT false,
    self_review BOOLEAN NOT NULL DEFAULT false,
    goal_threshold INTEGER NOT NULL DEFAULT 80 CHECK (goal_threshold BETWEEN 0 AND 100),
    archived_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_name_key ON teams (organization_id, lower(name));

-- An org member in a team. Pointing at the membership row means leaving the
-- organization leaves every team, and leaving a team leaves its groups.
CREATE TABLE team_memberships (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    membership_id BIGINT NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('team_manager', 'supervisor', 'agent', 'custom')),
    custom_role_id BIGINT REFERENCES custom_roles (id) ON DELETE SET NULL,
    permissions TEXT[],
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (team_id, membership_id)
);
CREATE INDEX team_memberships_membership_idx ON team_memberships (membership_id);

CREATE TABLE groups (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_name_key ON groups (team_id, lower(name));

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    team_membership_id BIGINT NOT NULL REFERENCES team_memberships (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, team_membership_id)
);
CREATE INDEX group_members_team_membership_idx ON group_members (team_membership_id);

CREATE TABLE services (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX services_name_key ON services (team_id, lower(name));

CREATE TABLE group_services (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    service_id BIGINT NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, service_id)
);
CREATE INDEX group_services_service_idx ON group_services (service_id);

-- Members per organization and status, kept by trigger, so the members page's
-- unfiltered total is a lookup rather than a count over 10,000 index entries.
CREATE TABLE membership_counts (
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (organization_id, status)
);
INSERT INTO membership_counts (organization_id, status, n)
SELECT organization_id, status, count(*) FROM memberships GROUP BY organization_id, status;

CREATE FUNCTION memberships_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE membership_counts SET n = n - 1
        WHERE organization_id = OLD.organization_id AND status = OLD.status;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO membership_counts (organization_id, status, n) VALUES (NEW.organization_id, NEW.status, 1)
        ON CONFLICT (organization_id, status) DO UPDATE SET n = membership_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER memberships_count AFTER INSERT OR DELETE OR UPDATE OF status, organization_id ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_count();
