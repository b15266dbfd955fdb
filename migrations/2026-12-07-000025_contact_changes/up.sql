-- The Contacts tab keeps the pages of the searches it has run (the ids on the
-- page) per server and team, and reuses one while the team's version is what
-- it was: the count and newest id of its rows in team_roster_changes
-- (migration 000022), which so far moved with everything the member menus
-- show. Contacts now add a row too, one per statement that inserts, updates
-- or deletes any of a team's contacts (both teams when one moves), so the
-- same version moves with everything a search's page depends on: which
-- contacts exist, their text, name order and assignee. The menus are then
-- read again after a contact change as well, which costs one statement.
CREATE FUNCTION team_contacts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO team_roster_changes (team_id) SELECT DISTINCT team_id FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO team_roster_changes (team_id) SELECT DISTINCT team_id FROM old_rows;
    ELSE
        INSERT INTO team_roster_changes (team_id)
        SELECT team_id FROM new_rows UNION SELECT team_id FROM old_rows;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER team_contacts_inserted AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION team_contacts_changed();
CREATE TRIGGER team_contacts_deleted AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION team_contacts_changed();
CREATE TRIGGER team_contacts_updated AFTER UPDATE ON contacts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION team_contacts_changed();
