DROP INDEX invitations_open_expiry_idx;
ALTER TABLE invitations DROP COLUMN link_copied_at, DROP COLUMN reminded_at;
