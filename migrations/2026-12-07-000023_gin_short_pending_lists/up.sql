-- The trigram indexes of the two searches keep their pending lists small.
-- A GIN index queues new entries in a pending list (up to 4 MB by default)
-- and every search reads through the whole list until a vacuum or a full
-- list merges it: on the bench's Contacts tab, after 10,000 contacts were
-- handed over, a search read 438 buffers with 4,076 pending entries and 147
-- with none. Taking every entry into the tree at once (fastupdate off) made
-- that handover (10,000 rows, each re-indexed) twice as slow, past its 500 ms
-- target; a 256 kB list keeps most of the batching and bounds what a search
-- reads through to 32 pages.
ALTER INDEX contacts_search_idx SET (gin_pending_list_limit = 256);
ALTER INDEX memberships_search_idx SET (gin_pending_list_limit = 256);
SELECT gin_clean_pending_list('contacts_search_idx');
SELECT gin_clean_pending_list('memberships_search_idx');
