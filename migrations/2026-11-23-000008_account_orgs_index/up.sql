-- Every full page lists the signed-in account's organizations in the header's
-- switcher. With the organization and status in the index, that list is read
-- from the index alone instead of one heap page per membership (an account in
-- a hundred organizations touched a hundred pages on every page view).
CREATE INDEX memberships_account_status_idx ON memberships (account_id, status) INCLUDE (organization_id);
DROP INDEX memberships_account_idx;
