-- Restores 000002's copies of the account's name for every membership.
CREATE OR REPLACE FUNCTION accounts_sync_memberships() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.display_name IS DISTINCT FROM OLD.display_name OR NEW.email IS DISTINCT FROM OLD.email THEN
        UPDATE memberships
        SET sort_name = lower(NEW.display_name), search_text = lower(NEW.display_name || ' ' || NEW.email)
        WHERE account_id = NEW.id;
    END IF;
    RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION memberships_copy_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT lower(a.display_name), lower(a.display_name || ' ' || a.email)
    INTO NEW.sort_name, NEW.search_text
    FROM accounts a WHERE a.id = NEW.account_id;
    RETURN NEW;
END $$;
DROP TRIGGER memberships_copy_account ON memberships;
CREATE TRIGGER memberships_copy_account BEFORE INSERT ON memberships
    FOR EACH ROW EXECUTE FUNCTION memberships_copy_account();
UPDATE memberships m SET sort_name = lower(a.display_name), search_text = lower(a.display_name || ' ' || a.email)
FROM accounts a WHERE a.id = m.account_id AND m.status = 'pending';
ALTER TABLE invitations DROP COLUMN created_account;
