-- One member's row, as an inline save returns it
SELECT m.id, m.account_id, CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.display_name END AS display_name, CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.email END AS email, CASE WHEN m.status = 'pending' THEN NULL ELSE a.last_seen_at END AS last_seen_at, m.role, m.status, m.custom_role_id, cr.name AS custom_role_name, m.permissions, m.version, CASE WHEN m.status = 'active' THEN p.status END AS presence_status, CASE WHEN m.status = 'active' THEN p.last_active_at END AS presence_active_at, counts.owners, COALESCE((SELECT jsonb_agg(to_jsonb(d))
FROM (SELECT tm.membership_id, t.id AS team_id, t.name AS team_name, tm.role, tm.custom_role_id, g.id AS group_id, g.name AS group_name, (SELECT array_agg(s.name)
FROM group_services gs
JOIN services s ON s.id = gs.service_id
WHERE gs.group_id = g.id
AND s.active) AS services
FROM team_memberships tm
JOIN teams t ON t.id = tm.team_id
LEFT JOIN group_members gm ON gm.team_membership_id = tm.id
LEFT JOIN groups g ON g.id = gm.group_id
WHERE tm.membership_id = m.id) d), '[]') AS decorations
FROM memberships m
JOIN accounts a ON a.id = m.account_id
LEFT JOIN custom_roles cr ON cr.id = m.custom_role_id
LEFT JOIN presence p ON p.organization_id = m.organization_id
AND p.account_id = m.account_id
CROSS JOIN (SELECT COALESCE(sum(n) FILTER (WHERE status = ANY($1)), 0)::bigint AS n, COALESCE(sum(n) FILTER (WHERE status = 'active'
AND owner), 0)::bigint AS owners, COALESCE(sum(changes), 0)::bigint AS changes
FROM membership_counts
WHERE organization_id = $2) counts
WHERE m.organization_id = $3
AND m.id = $4
-- binds: [[Active, Pending], 1, 1, 42]
