-- Account IDs and in-app invitations (issue 14, items 5 and 6).
--
-- Every account gets a public, non-sequential ID a manager can add it by: "acct_"
-- and 16 characters of Crockford's base32 (no I, L, O or U), drawn from
-- gen_random_uuid()'s random bytes (79 random bits: the low five bits of each of
-- the first 16 bytes, less the version nibble). The column's default makes one
-- for every account, whichever path creates it; existing rows get theirs here.
CREATE FUNCTION new_account_public_id() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT 'acct_' || string_agg(
               substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', get_byte(r.b, i) % 32 + 1, 1), '' ORDER BY i)
    FROM (SELECT uuid_send(gen_random_uuid()) AS b) r, generate_series(0, 15) AS i
$$;
ALTER TABLE accounts ADD COLUMN public_id TEXT NOT NULL DEFAULT new_account_public_id();
CREATE UNIQUE INDEX accounts_public_id_key ON accounts (public_id);

-- A member invited by account ID is known to the inviting organization by that
-- ID, not by the account's address or name, until they accept: `invited_as`
-- holds it (NULL: known by the address). Pending rows sort and search by it.
ALTER TABLE memberships ADD COLUMN invited_as TEXT;

CREATE OR REPLACE FUNCTION memberships_copy_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT CASE WHEN NEW.status = 'pending' THEN lower(COALESCE(NEW.invited_as, a.email)) ELSE lower(a.display_name) END,
           CASE WHEN NEW.status = 'pending' THEN lower(COALESCE(NEW.invited_as, a.email))
                ELSE lower(a.display_name || ' ' || a.email) END
    INTO NEW.sort_name, NEW.search_text
    FROM accounts a WHERE a.id = NEW.account_id;
    RETURN NEW;
END $$;
DROP TRIGGER memberships_copy_account ON memberships;
CREATE TRIGGER memberships_copy_account BEFORE INSERT OR UPDATE OF status, invited_as ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_copy_account();

CREATE OR REPLACE FUNCTION accounts_sync_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.display_name IS DISTINCT FROM OLD.display_name OR NEW.email IS DISTINCT FROM OLD.email THEN
        UPDATE memberships
        SET sort_name = CASE WHEN status = 'pending' THEN lower(COALESCE(invited_as, NEW.email)) ELSE lower(NEW.display_name) END,
            search_text = CASE WHEN status = 'pending' THEN lower(COALESCE(invited_as, NEW.email))
                               ELSE lower(NEW.display_name || ' ' || NEW.email) END
        WHERE account_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;

-- The invitee may decline an invitation from their home page.
ALTER TABLE invitations DROP CONSTRAINT invitations_status_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_status_check
    CHECK (status IN ('pending', 'accepted', 'revoked', 'expired', 'declined'));
