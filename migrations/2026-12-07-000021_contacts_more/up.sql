-- The Contacts tab's "Unassigned" list by name: `IS NULL` is no equality the
-- planner can order by in contacts_team_assignee_sort_idx, so without this
-- index a page of the unassigned sorts them all.
CREATE INDEX contacts_team_unassigned_sort_idx ON contacts (team_id, sort_name, id)
    WHERE assignee_membership_id IS NULL;
