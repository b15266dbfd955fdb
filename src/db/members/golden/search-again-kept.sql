-- The same page of it again: its members as this server kept them, by id
-- MemberFilter { search: Some("ada"), role: None, status: None, team: None, only_account: None, sort: Name }
-- Plan { limit: 50, start: Kept, count: Remembered(Counted { changes: 7, total: 123, approximate: false }), prepared: true, accounts: false }
WITH counts AS MATERIALIZED (SELECT COALESCE(sum(n) FILTER (WHERE status = ANY($1)), 0)::bigint AS n, COALESCE(sum(n) FILTER (WHERE status = 'active'
AND owner), 0)::bigint AS owners, COALESCE(sum(changes), 0)::bigint AS changes
FROM membership_counts
WHERE organization_id = $2), page AS (SELECT m.id
FROM memberships m
WHERE m.organization_id = $3
AND m.id = ANY($4)
ORDER BY m.sort_name, m.id
LIMIT 50)
SELECT m.id, m.account_id, CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.display_name END AS display_name, CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.email END AS email, CASE WHEN m.status = 'pending' THEN NULL ELSE a.last_seen_at END AS last_seen_at, m.role, m.status, m.custom_role_id, cr.name AS custom_role_name, m.permissions, m.version, CASE WHEN m.status = 'active' THEN p.status END AS presence_status, CASE WHEN m.status = 'active' THEN p.last_active_at END AS presence_active_at, NULL::bigint AS total, counts.n, counts.owners, counts.changes, (SELECT jsonb_build_object( 'membership_id', i.membership_id, 'inviter', COALESCE(ia.display_name, i.inviter_name), 'created_at', i.created_at, 'expires_at', i.expires_at, 'delivery', o.status, 'attempts', COALESCE(o.attempts, 0), 'last_error', o.last_error, 'status', i.status, 'link_copied_at', i.link_copied_at, 'reminded_at', i.reminded_at, 'in_app', m.invited_as IS NOT NULL)
FROM invitations i
LEFT JOIN accounts ia ON ia.id = i.inviter_account_id
LEFT JOIN LATERAL (SELECT status, attempts, last_error
FROM outbox
WHERE invitation_id = i.id
AND status <> 'cancelled'
ORDER BY id DESC
LIMIT 1) o ON true
WHERE m.status = 'pending'
AND i.membership_id = m.id
AND i.organization_id = m.organization_id
AND i.status IN ('pending', 'expired')
ORDER BY i.id DESC
LIMIT 1) AS invitation
FROM memberships m
JOIN accounts a ON a.id = m.account_id
LEFT JOIN custom_roles cr ON cr.id = m.custom_role_id
LEFT JOIN presence p ON p.organization_id = m.organization_id
AND p.account_id = m.account_id
JOIN page ON page.id = m.id
CROSS JOIN counts
ORDER BY m.sort_name, m.id
-- binds: [[Active, Pending], 1, 1, [3, 5, 8]]
