SELECT c.id, c.external_id, c.started_at, c.duration_seconds, c.direction, c.from_number, c.to_number, c.agent_membership_id, a.display_name AS agent_name FROM calls c LEFT JOIN memberships m ON m.id = c.agent_membership_id LEFT JOIN accounts a ON a.id = m.account_id WHERE c.team_id = $1
  AND (c.started_at, c.id) < ((SELECT k.started_at FROM calls k WHERE k.id = $2
  AND k.team_id = $3), $4)
ORDER BY c.started_at DESC, c.id DESC LIMIT 51
-- binds: [TeamId(7), CallId(99), TeamId(7), CallId(99)]
