CREATE INDEX outbox_invitation_idx ON outbox (invitation_id);
DROP INDEX outbox_invitation_latest_idx;
