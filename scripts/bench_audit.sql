-- 1,000,000 audit events for the bench's large organization (psql -v org=ID),
-- spread over two years with a realistic mix: mostly access changes and team
-- moves by a few dozen admins and managers, fewer invitations, group and
-- service changes, and a trickle of settings. Targets are the organization's
-- members, chosen at random. One INSERT … SELECT over generate_series.
\set ON_ERROR_STOP on
CREATE TEMP TABLE bench_members AS
  SELECT row_number() OVER (ORDER BY id) AS n, id, account_id
  FROM memberships WHERE organization_id = :org AND status = 'active';
CREATE TEMP TABLE bench_actors AS
  SELECT row_number() OVER (ORDER BY id) AS n, account_id
  FROM memberships WHERE organization_id = :org AND status = 'active'
   AND (role IN ('owner', 'admin', 'manager') OR id % 200 = 0)
  ORDER BY id LIMIT 40;
CREATE TEMP TABLE bench_teams AS
  SELECT row_number() OVER (ORDER BY id) AS n, id FROM teams WHERE organization_id = :org;
-- Weighted actions: a slot in 1..100 picks one.
CREATE TEMP TABLE bench_mix (lo int, hi int, action text, target_type text);
INSERT INTO bench_mix VALUES
  (1, 35, 'member.updated', 'membership'),
  (36, 50, 'team.member_added', 'team_membership'),
  (51, 58, 'team.member_role_changed', 'team_membership'),
  (59, 63, 'team.member_removed', 'team_membership'),
  (64, 71, 'group.member_added', 'group'),
  (72, 75, 'group.member_removed', 'group'),
  (76, 83, 'invitation.created', 'membership'),
  (84, 86, 'invitation.resent', 'membership'),
  (87, 88, 'invitation.accepted', 'membership'),
  (89, 91, 'service.updated', 'service'),
  (92, 94, 'team.updated', 'team'),
  (95, 97, 'role.updated', 'custom_role'),
  (98, 99, 'organization.feature_toggled', 'organization'),
  (100, 100, 'organization.seats_changed', 'organization');
SELECT count(*) AS members FROM bench_members \gset
SELECT count(*) AS actors FROM bench_actors \gset
SELECT count(*) AS teams FROM bench_teams \gset
INSERT INTO audit_events (organization_id, actor_account_id, action, target_type, target_id, before, after, created_at)
SELECT :org, a.account_id, mix.action, mix.target_type,
       CASE mix.target_type WHEN 'membership' THEN m.id::text WHEN 'organization' THEN :'org' ELSE t.id::text END,
       CASE mix.action
         WHEN 'member.updated' THEN jsonb_build_object('role', 'member', 'custom_role_id', NULL, 'permissions', NULL, 'teams', '[]'::jsonb, 'groups', '[]'::jsonb)
         WHEN 'team.member_role_changed' THEN jsonb_build_object('role', 'agent')
         WHEN 'team.member_removed' THEN jsonb_build_object('team_id', t.id, 'membership_id', m.id, 'role', 'agent')
         WHEN 'group.member_removed' THEN jsonb_build_object('membership_id', m.id, 'email', 'big-' || m.n || '@example.test')
         WHEN 'invitation.resent' THEN jsonb_build_object('expires_at', now())
         WHEN 'team.updated' THEN jsonb_build_object('name', 'Team ' || t.n, 'description', '')
         WHEN 'organization.seats_changed' THEN jsonb_build_object('seats', 20000)
       END,
       CASE mix.action
         WHEN 'member.updated' THEN jsonb_build_object('role', 'manager', 'custom_role_id', NULL, 'permissions', NULL, 'teams', '[]'::jsonb, 'groups', '[]'::jsonb)
         WHEN 'team.member_added' THEN jsonb_build_object('team_id', t.id, 'membership_id', m.id, 'role', 'agent')
         WHEN 'team.member_role_changed' THEN jsonb_build_object('team_id', t.id, 'membership_id', m.id, 'role', 'supervisor')
         WHEN 'group.member_added' THEN jsonb_build_object('membership_id', m.id, 'email', 'big-' || m.n || '@example.test')
         WHEN 'invitation.created' THEN jsonb_build_object('email', 'big-' || m.n || '@example.test', 'role', 'member', 'teams', '[]'::jsonb)
         WHEN 'invitation.resent' THEN jsonb_build_object('expires_at', now() + interval '7 days')
         WHEN 'invitation.accepted' THEN jsonb_build_object('status', 'active')
         WHEN 'service.updated' THEN jsonb_build_object('name', 'Service', 'description', 'changed')
         WHEN 'team.updated' THEN jsonb_build_object('name', 'Team ' || t.n, 'description', 'Renamed')
         WHEN 'role.updated' THEN jsonb_build_object('name', 'Role', 'permissions', '["members.view"]'::jsonb)
         WHEN 'organization.feature_toggled' THEN jsonb_build_object('feature', 'groups', 'enabled', true)
         WHEN 'organization.seats_changed' THEN jsonb_build_object('seats', 20001)
       END,
       now() - (random() * 730 * 86400) * interval '1 second'
FROM generate_series(1::bigint, 1000000) g
JOIN bench_members m ON m.n = 1 + (g * 7919) % :members
JOIN bench_actors a ON a.n = 1 + (g * 104729) % :actors
LEFT JOIN bench_teams t ON t.n = 1 + (g * 31) % GREATEST(:teams, 1)
JOIN bench_mix mix ON 1 + (g * 2654435761) % 100 BETWEEN mix.lo AND mix.hi;
