-- The invitation lifecycle: one reminder before expiry, links copied by hand
-- (which no reminder may replace), and the upkeep job's scan of open invitations.

ALTER TABLE invitations
    ADD COLUMN reminded_at TIMESTAMPTZ,
    ADD COLUMN link_copied_at TIMESTAMPTZ;

-- Expiring, reminding and purging look at open invitations by expiry.
CREATE INDEX invitations_open_expiry_idx
    ON invitations (expires_at) WHERE status IN ('pending', 'expired');
