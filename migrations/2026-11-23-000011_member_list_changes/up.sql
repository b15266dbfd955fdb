-- A search's count over a large organization reads every one of its entries.
-- The server keeps the counts it has made, each with the organization's
-- `changes` as they were then (the sum over its rows here), and reuses a count
-- only while that sum is unchanged. It moves with everything that can change
-- which members a search by name or email and status matches: a membership
-- added, deleted or moved, its status, and its name or email (search_text).
-- A role change other than to or from Owner still leaves the counts alone, so
-- the inline save's usual update stays a HOT update that touches no other row.
ALTER TABLE membership_counts ADD COLUMN changes BIGINT NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION memberships_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.organization_id = NEW.organization_id AND OLD.status = NEW.status
       AND (OLD.role = 'owner') = (NEW.role = 'owner') THEN
        IF OLD.search_text IS DISTINCT FROM NEW.search_text THEN
            UPDATE membership_counts SET changes = changes + 1
            WHERE organization_id = NEW.organization_id AND status = NEW.status
              AND owner = (NEW.role = 'owner');
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE membership_counts SET n = n - 1, changes = changes + 1
        WHERE organization_id = OLD.organization_id AND status = OLD.status AND owner = (OLD.role = 'owner');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO membership_counts (organization_id, status, owner, n, changes)
        VALUES (NEW.organization_id, NEW.status, NEW.role = 'owner', 1, 1)
        ON CONFLICT (organization_id, status, owner)
        DO UPDATE SET n = membership_counts.n + 1, changes = membership_counts.changes + 1;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER memberships_count ON memberships;
CREATE TRIGGER memberships_count AFTER INSERT OR DELETE OR UPDATE OF status, organization_id, role, search_text ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_count();
