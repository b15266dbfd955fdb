CREATE OR REPLACE FUNCTION memberships_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.organization_id = NEW.organization_id AND OLD.status = NEW.status
       AND (OLD.role = 'owner') = (NEW.role = 'owner') THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE membership_counts SET n = n - 1
        WHERE organization_id = OLD.organization_id AND status = OLD.status AND owner = (OLD.role = 'owner');
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO membership_counts (organization_id, status, owner, n)
        VALUES (NEW.organization_id, NEW.status, NEW.role = 'owner', 1)
        ON CONFLICT (organization_id, status, owner) DO UPDATE SET n = membership_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER memberships_count ON memberships;
CREATE TRIGGER memberships_count AFTER INSERT OR DELETE OR UPDATE OF status, organization_id, role ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_count();
ALTER TABLE membership_counts DROP COLUMN changes;
