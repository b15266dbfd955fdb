DROP TRIGGER memberships_count ON memberships;
CREATE OR REPLACE FUNCTION memberships_count() RETURNS trigger LANGUAGE plpgsql AS $$
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
ALTER TABLE membership_counts DROP CONSTRAINT membership_counts_pkey;
DELETE FROM membership_counts;
ALTER TABLE membership_counts DROP COLUMN owner;
INSERT INTO membership_counts (organization_id, status, n)
SELECT organization_id, status, count(*) FROM memberships GROUP BY organization_id, status;
ALTER TABLE membership_counts ADD PRIMARY KEY (organization_id, status);

DROP INDEX memberships_org_sort_idx;
CREATE INDEX memberships_org_sort_idx ON memberships (organization_id, sort_name, id) INCLUDE (status);
ALTER TABLE memberships RESET (fillfactor);
CREATE INDEX memberships_org_role_sort_idx ON memberships (organization_id, role, sort_name, id);
