ALTER TABLE invitations DROP COLUMN inviter_name;
DROP TABLE membership_archives;
