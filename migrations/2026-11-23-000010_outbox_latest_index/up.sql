-- The members page reads each pending member's latest email (WHERE invitation_id
-- = … ORDER BY id DESC LIMIT 1) inside its prepared statement. With the
-- invitation_id index alone the planner weighs that against walking the whole
-- outbox backward by id, and on stale statistics it picked the walk (seen on
-- the benchmark's database); a cached generic plan would keep it. This index
-- answers the question outright, and serves the foreign key's lookups too.
CREATE INDEX outbox_invitation_latest_idx ON outbox (invitation_id, id);
DROP INDEX outbox_invitation_idx;
