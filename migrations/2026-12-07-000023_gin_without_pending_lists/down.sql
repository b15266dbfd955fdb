ALTER INDEX contacts_search_idx RESET (fastupdate);
ALTER INDEX memberships_search_idx RESET (fastupdate);
