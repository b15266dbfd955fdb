-- Revoking a member from the organization archives them: their membership
-- keeps its org role, custom role and own permissions, and leaves every team
-- and group. What they held there, and who archived them when, is kept here so
-- a restore brings it back; a permanent delete takes it with the membership.
CREATE TABLE membership_archives (
    membership_id BIGINT PRIMARY KEY REFERENCES memberships (id) ON DELETE CASCADE,
    organization_id BIGINT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    archived_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    archived_by_account_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    -- As the archiving account was named then: it may be deleted since.
    archived_by_name TEXT NOT NULL,
    -- {"teams": [{"team": id, "name", "role", "custom_role_id", "permissions",
    --             "groups": [{"id", "name"}]}], "custom_role_name": …}
    held JSONB NOT NULL
);
CREATE INDEX membership_archives_org_idx ON membership_archives (organization_id, archived_at DESC);

-- An open invitation outlives its sender's account: the name it was sent
-- under is copied here when that account is deleted.
ALTER TABLE invitations ADD COLUMN inviter_name TEXT;
