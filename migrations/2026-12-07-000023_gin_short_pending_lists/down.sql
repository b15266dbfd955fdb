ALTER INDEX contacts_search_idx RESET (gin_pending_list_limit);
ALTER INDEX memberships_search_idx RESET (gin_pending_list_limit);
