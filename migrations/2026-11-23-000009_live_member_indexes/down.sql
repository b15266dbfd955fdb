CREATE INDEX memberships_org_page_idx ON memberships (organization_id, sort_name, id) INCLUDE (status);
CREATE INDEX memberships_org_sort_idx ON memberships (organization_id, sort_name, id) INCLUDE (status, search_text);
DROP INDEX memberships_org_live_page_idx;
DROP INDEX memberships_org_live_sort_idx;
