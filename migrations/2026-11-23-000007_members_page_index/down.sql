DROP INDEX memberships_org_page_idx;
