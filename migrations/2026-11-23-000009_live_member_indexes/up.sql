-- The list shows active and pending members unless asked for one status (which
-- reads memberships_org_status_sort_idx). Its two name-ordered indexes now hold
-- only those members: the scan no longer tests each entry's status, and the
-- entries are narrower. Measured on the bench's 10,000-member organization
-- (pgbench, prepared): OFFSET 7450 1.28 -> 1.06 ms, the "müller" search's
-- count 3.05 -> 2.52 ms.
CREATE INDEX memberships_org_live_page_idx ON memberships (organization_id, sort_name, id)
    WHERE status <> 'archived';
CREATE INDEX memberships_org_live_sort_idx ON memberships (organization_id, sort_name, id)
    INCLUDE (search_text) WHERE status <> 'archived';
DROP INDEX memberships_org_page_idx;
DROP INDEX memberships_org_sort_idx;
