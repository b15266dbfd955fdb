-- A search's matches counted apart
SELECT count(*) AS n
FROM memberships m
WHERE m.organization_id = $1
AND strpos(m.search_text, $2) > 0
AND m.status <> 'archived'
-- binds: [1, "ada"]
