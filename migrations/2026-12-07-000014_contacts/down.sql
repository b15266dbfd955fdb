DROP TABLE contacts;
DROP FUNCTION contacts_search_keys();
