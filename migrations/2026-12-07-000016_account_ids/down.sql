-- Back to 000012's triggers, without account IDs or declined invitations.
UPDATE invitations SET status = 'revoked' WHERE status = 'declined';
ALTER TABLE invitations DROP CONSTRAINT invitations_status_check;
ALTER TABLE invitations ADD CONSTRAINT invitations_status_check
    CHECK (status IN ('pending', 'accepted', 'revoked', 'expired'));

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
UPDATE memberships m SET sort_name = lower(a.email), search_text = lower(a.email)
FROM accounts a WHERE a.id = m.account_id AND m.status = 'pending' AND m.invited_as IS NOT NULL;
ALTER TABLE memberships DROP COLUMN invited_as;

DROP INDEX accounts_public_id_key;
ALTER TABLE accounts DROP COLUMN public_id;
DROP FUNCTION new_account_public_id();
