-- The sample that estimates a search's matches (0.4 % of the table's pages)
SELECT count(*) FILTER (WHERE strpos(m.search_text, $1) > 0) AS hits, count(*) AS seen, COALESCE(min(counts.n), 0)::bigint AS n
FROM memberships m TABLESAMPLE SYSTEM ($2) REPEATABLE (0)
CROSS JOIN (SELECT COALESCE(sum(n) FILTER (WHERE status = ANY($3)), 0)::bigint AS n, COALESCE(sum(n) FILTER (WHERE status = 'active'
AND owner), 0)::bigint AS owners, COALESCE(sum(changes), 0)::bigint AS changes
FROM membership_counts
WHERE organization_id = $4) counts
WHERE m.organization_id = $5
AND m.status <> 'archived'
-- binds: ["an", 0.4, [Active, Pending], 1, 1]
