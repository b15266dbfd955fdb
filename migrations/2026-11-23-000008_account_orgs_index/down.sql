CREATE INDEX memberships_account_idx ON memberships (account_id);
DROP INDEX memberships_account_status_idx;
