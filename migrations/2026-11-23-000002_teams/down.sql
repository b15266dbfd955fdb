DROP TABLE group_services;
DROP TABLE services;
DROP TABLE group_members;
DROP TABLE groups;
DROP TABLE team_memberships;
DROP TABLE teams;
DROP TRIGGER accounts_sync_memberships ON accounts;
DROP FUNCTION accounts_sync_memberships();
DROP TRIGGER memberships_copy_account ON memberships;
DROP FUNCTION memberships_copy_account();
DROP INDEX memberships_search_idx;
DROP INDEX memberships_org_role_sort_idx;
DROP INDEX memberships_org_status_sort_idx;
DROP INDEX memberships_org_sort_idx;
ALTER TABLE memberships DROP COLUMN version, DROP COLUMN search_text, DROP COLUMN sort_name,
    DROP COLUMN permissions, DROP COLUMN custom_role_id;
DROP TABLE custom_roles;
