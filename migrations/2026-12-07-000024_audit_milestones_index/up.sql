-- The member page's status line names who invited, added, archived, revoked
-- and restored the member, and when: the latest event of each of those six
-- actions (`db::audit::log::milestones`). Without an index of its own the
-- query read every event about the member: 20-40 ms for a member with
-- 10,000 events. This one holds only those actions, a few rows per member.
-- The list must stay the same as `MILESTONES` in src/db/audit/log.rs, whose
-- query repeats it literally so PostgreSQL can use this partial index.
CREATE INDEX audit_events_member_milestones_idx
    ON audit_events (organization_id, member_id, action, created_at DESC, id DESC)
    WHERE action IN ('invitation.created', 'member.added', 'invitation.accepted',
                     'member.archived', 'member.revoked', 'member.restored');
