DROP TRIGGER team_contacts_updated ON contacts;
DROP TRIGGER team_contacts_deleted ON contacts;
DROP TRIGGER team_contacts_inserted ON contacts;
DROP FUNCTION team_contacts_changed();
