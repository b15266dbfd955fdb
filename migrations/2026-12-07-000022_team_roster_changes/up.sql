-- The Contacts tab's member menus (a team's active and pending members, by
-- name) are read once per server and team and reused while the team's rows
-- here are as they were (`services::contacts::Menus`: their count and newest
-- id, which also catches a change that commits after a newer one). A row is
-- added, never updated, so no change waits on another's lock, for everything
-- the menus show:
--   * a member joining or leaving the team (team_memberships);
--   * a membership's status or the address it was invited by (memberships);
--   * an account's name or email (accounts).
-- The upkeep job deletes rows older than a day, keeping each team's newest.
CREATE TABLE team_roster_changes (
    id BIGSERIAL PRIMARY KEY,
    team_id BIGINT NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX team_roster_changes_team_idx ON team_roster_changes (team_id, id);

CREATE FUNCTION team_roster_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'team_memberships' THEN
        IF TG_OP <> 'DELETE' THEN
            INSERT INTO team_roster_changes (team_id) VALUES (NEW.team_id);
        END IF;
        IF TG_OP = 'DELETE' OR OLD.team_id <> NEW.team_id THEN
            INSERT INTO team_roster_changes (team_id) VALUES (OLD.team_id);
        END IF;
    ELSIF TG_TABLE_NAME = 'memberships' THEN
        INSERT INTO team_roster_changes (team_id)
        SELECT team_id FROM team_memberships WHERE membership_id = NEW.id;
    ELSE
        INSERT INTO team_roster_changes (team_id)
        SELECT tm.team_id FROM memberships m JOIN team_memberships tm ON tm.membership_id = m.id
        WHERE m.account_id = NEW.id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER team_roster_members AFTER INSERT OR DELETE OR UPDATE OF team_id, membership_id
    ON team_memberships FOR EACH ROW EXECUTE FUNCTION team_roster_changed();
CREATE TRIGGER team_roster_memberships AFTER UPDATE OF status, invited_as ON memberships
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.invited_as IS DISTINCT FROM NEW.invited_as)
    EXECUTE FUNCTION team_roster_changed();
CREATE TRIGGER team_roster_accounts AFTER UPDATE OF display_name, email ON accounts
    FOR EACH ROW
    WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name OR OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION team_roster_changed();
