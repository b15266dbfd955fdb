-- The inline save's most common edit is a member's organization role. With no
-- index on `role`, that update is a HOT update: the new row version goes on the
-- same page and no index gets a new entry (the trigram index would take dozens).
-- The role filter walks the name index instead, which reads one organization's
-- entries in display order.
DROP INDEX memberships_org_role_sort_idx;
-- Room on each page for the new row versions that HOT updates write.
ALTER TABLE memberships SET (fillfactor = 90);

-- A search within one organization reads the name index alone: the substring
-- test runs over that organization's entries, already in display order, so a
-- page stops after 50 matches, instead of merging trigram posting lists that
-- span every organization. The trigram index stays for very large ones.
DROP INDEX memberships_org_sort_idx;
CREATE INDEX memberships_org_sort_idx ON memberships (organization_id, sort_name, id)
    INCLUDE (status, search_text);

-- The counts also tell Owners apart, so "how many active Owners" is a lookup
-- (role has no index any more) and its row is what a demotion of an Owner
-- locks. Other role changes leave the counts alone.
ALTER TABLE membership_counts ADD COLUMN owner BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE membership_counts DROP CONSTRAINT membership_counts_pkey;
DELETE FROM membership_counts;
INSERT INTO membership_counts (organization_id, status, owner, n)
SELECT organization_id, status, role = 'owner', count(*) FROM memberships GROUP BY 1, 2, 3;
ALTER TABLE membership_counts ADD PRIMARY KEY (organization_id, status, owner);
ALTER TABLE membership_counts ALTER COLUMN owner DROP DEFAULT;

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
