-- A team's contacts: records assigned to one member of the team, or to nobody.
-- They are what a departing member hands over (unassigned or reassigned) when
-- revoked from the team or the organization.
CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    team_id BIGINT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email TEXT NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    phone TEXT NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    note TEXT NOT NULL DEFAULT '' CHECK (length(note) <= 5000),
    -- The org membership the contact is assigned to; the services keep it an
    -- active member of the same team. A deleted membership leaves it unassigned.
    assignee_membership_id BIGINT REFERENCES memberships (id) ON DELETE SET NULL,
    -- Lower-cased copies for ordering and searching by index, kept by the trigger below.
    sort_name TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE FUNCTION contacts_search_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.sort_name := lower(NEW.name);
    NEW.search_text := lower(NEW.name || ' ' || NEW.email || ' ' || NEW.phone);
    RETURN NEW;
END $$;
CREATE TRIGGER contacts_search_keys BEFORE INSERT OR UPDATE OF name, email, phone ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_search_keys();

-- A team's list by name, and the same list narrowed to one assignee (or to
-- the unassigned, where the assignee is NULL).
CREATE INDEX contacts_team_sort_idx ON contacts (team_id, sort_name, id);
CREATE INDEX contacts_team_assignee_sort_idx ON contacts (team_id, assignee_membership_id, sort_name, id);
-- What a member holds, across teams (the revoke preview counts it per team).
CREATE INDEX contacts_assignee_idx ON contacts (assignee_membership_id, team_id)
    WHERE assignee_membership_id IS NOT NULL;
CREATE INDEX contacts_search_idx ON contacts USING gin (team_id, search_text gin_trgm_ops);
CREATE INDEX contacts_org_idx ON contacts (organization_id);
