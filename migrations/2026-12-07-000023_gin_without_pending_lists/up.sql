-- The trigram indexes of the two searches take each new entry at once instead
-- of queueing it in a pending list. Every search scans the whole pending list
-- (up to 4 MB) until a vacuum merges it: measured on the bench's Contacts tab
-- after 10,000 contacts were added, a search read 438 buffers with 4,076
-- pending entries and 147 without. Contacts and members are added far less
-- often than they are searched.
ALTER INDEX contacts_search_idx SET (fastupdate = off);
ALTER INDEX memberships_search_idx SET (fastupdate = off);
SELECT gin_clean_pending_list('contacts_search_idx');
SELECT gin_clean_pending_list('memberships_search_idx');
