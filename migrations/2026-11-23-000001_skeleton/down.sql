DROP TABLE instance_secrets;
DROP TABLE audit_events;
DROP TABLE signin_failures;
DROP TABLE sessions;
DROP TABLE organization_features;
DROP TABLE memberships;
DROP TABLE organizations;
DROP TABLE accounts;
