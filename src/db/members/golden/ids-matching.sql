-- The ids a bulk action on every match applies to
SELECT m.id
FROM memberships m
WHERE m.organization_id = $1
AND strpos(m.search_text, $2) > 0
AND m.status <> 'archived'
ORDER BY m.sort_name, m.id
LIMIT $3
-- binds: [1, "ada", 10000]
