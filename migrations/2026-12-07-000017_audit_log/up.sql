-- The audit log, readable and filterable by index (issue 15).
--
-- `action_group` is the part of the log an action belongs to (membership,
-- roles, teams, …), derived from the action's prefix so the filter by group is
-- one index range. `member_id` is the organization member an event is about,
-- whatever its target: the membership itself, or the `membership_id` its
-- before/after records (a team place, a group place). Both are generated, so
-- every writer, old or new, fills them without knowing.
ALTER TABLE audit_events
    ADD COLUMN action_group TEXT GENERATED ALWAYS AS (
        CASE split_part(action, '.', 1)
            WHEN 'member' THEN 'membership'
            WHEN 'role' THEN 'roles'
            WHEN 'team' THEN 'teams'
            WHEN 'group' THEN 'groups'
            WHEN 'service' THEN 'services'
            WHEN 'invitation' THEN 'invitations'
            WHEN 'organization' THEN 'settings'
            WHEN 'audit' THEN 'settings'
            WHEN 'contact' THEN 'contacts'
            ELSE split_part(action, '.', 1)
        END
    ) STORED,
    ADD COLUMN member_id BIGINT GENERATED ALWAYS AS (
        CASE
            WHEN target_type = 'membership' AND target_id ~ '^[0-9]{1,18}$' THEN target_id::bigint
            WHEN jsonb_typeof(after -> 'membership_id') = 'number' THEN (after ->> 'membership_id')::numeric::bigint
            WHEN jsonb_typeof(before -> 'membership_id') = 'number' THEN (before ->> 'membership_id')::numeric::bigint
        END
    ) STORED;

-- Newest first, ties by id: the keyset of every page.
DROP INDEX audit_events_org_idx;
CREATE INDEX audit_events_org_time_idx ON audit_events (organization_id, created_at DESC, id DESC);
CREATE INDEX audit_events_org_actor_idx ON audit_events (organization_id, actor_account_id, created_at DESC, id DESC);
CREATE INDEX audit_events_org_member_idx ON audit_events (organization_id, member_id, created_at DESC, id DESC)
    WHERE member_id IS NOT NULL;
CREATE INDEX audit_events_org_group_idx ON audit_events (organization_id, action_group, created_at DESC, id DESC);
CREATE INDEX audit_events_action_idx ON audit_events (action);
-- An account's own security activity (events of no organization).
CREATE INDEX audit_events_account_idx ON audit_events (target_id, created_at DESC, id DESC)
    WHERE organization_id IS NULL AND target_type = 'account';

-- How long an organization keeps its audit events; NULL keeps them forever.
ALTER TABLE organizations ADD COLUMN audit_retention_days INTEGER
    CHECK (audit_retention_days BETWEEN 1 AND 36500);
