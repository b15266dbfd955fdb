SELECT c.id, c.external_id, c.started_at, c.duration_seconds, c.direction, c.from_number, c.to_number, c.agent_membership_id, a.display_name AS agent_name FROM calls c LEFT JOIN memberships m ON m.id = c.agent_membership_id LEFT JOIN accounts a ON a.id = m.account_id WHERE c.team_id = $1
  AND c.agent_membership_id IS NULL
  AND c.started_at >= $2
  AND c.started_at < $3
ORDER BY c.started_at DESC, c.id DESC LIMIT 51
-- binds: [TeamId(7), 2026-12-01T00:00:00Z, 2026-12-08T00:00:00Z]
