DROP TRIGGER team_roster_accounts ON accounts;
DROP TRIGGER team_roster_memberships ON memberships;
DROP TRIGGER team_roster_members ON team_memberships;
DROP FUNCTION team_roster_changed();
DROP TABLE team_roster_changes;
