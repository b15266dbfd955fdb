ALTER TABLE organizations DROP COLUMN audit_retention_days;
DROP INDEX audit_events_account_idx;
DROP INDEX audit_events_action_idx;
DROP INDEX audit_events_org_group_idx;
DROP INDEX audit_events_org_member_idx;
DROP INDEX audit_events_org_actor_idx;
DROP INDEX audit_events_org_time_idx;
ALTER TABLE audit_events DROP COLUMN member_id, DROP COLUMN action_group;
CREATE INDEX audit_events_org_idx ON audit_events (organization_id, created_at DESC);
