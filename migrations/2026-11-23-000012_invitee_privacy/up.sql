-- Whether an invitation created its invitee's account (the address was new to
-- the instance). Only such an account, holding no other membership, may be given
-- its first password through the invitation's link; any other must sign in.
ALTER TABLE invitations ADD COLUMN created_account BOOLEAN NOT NULL DEFAULT false;

-- Until they accept, an invitee is known to the inviting organization by the
-- address it invited and nothing else: an account's name is what its owner told
-- other organizations. So a pending membership sorts and searches by the email
-- alone, and takes the account's name when it becomes active.
CREATE OR REPLACE FUNCTION memberships_copy_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT CASE WHEN NEW.status = 'pending' THEN lower(a.email) ELSE lower(a.display_name) END,
           CASE WHEN NEW.status = 'pending' THEN lower(a.email) ELSE lower(a.display_name || ' ' || a.email) END
    INTO NEW.sort_name, NEW.search_text
    FROM accounts a WHERE a.id = NEW.account_id;
    RETURN NEW;
END $$;
DROP TRIGGER memberships_copy_account ON memberships;
CREATE TRIGGER memberships_copy_account BEFORE INSERT OR UPDATE OF status ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_copy_account();

CREATE OR REPLACE FUNCTION accounts_sync_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.display_name IS DISTINCT FROM OLD.display_name OR NEW.email IS DISTINCT FROM OLD.email THEN
        UPDATE memberships
        SET sort_name = CASE WHEN status = 'pending' THEN lower(NEW.email) ELSE lower(NEW.display_name) END,
            search_text = CASE WHEN status = 'pending' THEN lower(NEW.email)
                               ELSE lower(NEW.display_name || ' ' || NEW.email) END
        WHERE account_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;

UPDATE memberships m SET sort_name = lower(a.email), search_text = lower(a.email)
FROM accounts a WHERE a.id = m.account_id AND m.status = 'pending';
