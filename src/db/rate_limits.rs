//! Rate-limit counters: one fixed window per key, shared by every instance on
//! the database. A hit is counted only when it fits under the limit, in one
//! atomic upsert, so concurrent requests can never overshoot it together.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamptz};

use super::schema::rate_limits;

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    hits: i32,
    #[diesel(sql_type = Timestamptz)]
    window_started_at: DateTime<Utc>,
}

/// Adds `n` hits to `key` when the total stays within `limit`, starting a new
/// window when the old one began before `window_start`: the new count and
/// when its window began, or `None` when the hits did not fit (and nothing
/// was counted).
fn add(
    conn: &mut PgConnection,
    key: &str,
    n: i32,
    limit: i32,
    window_start: DateTime<Utc>,
) -> QueryResult<Option<Counted>> {
    if n > limit {
        return Ok(None);
    }
    diesel::sql_query(
        "INSERT INTO rate_limits AS r (key, hits, window_started_at) VALUES ($1, $2, now())
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN r.window_started_at > $3 THEN r.hits + $2 ELSE $2 END,
             window_started_at = CASE WHEN r.window_started_at > $3 THEN r.window_started_at ELSE now() END
         WHERE r.window_started_at <= $3 OR r.hits + $2 <= $4
         RETURNING hits, window_started_at",
    )
    .bind::<Text, _>(key)
    .bind::<Integer, _>(n)
    .bind::<Timestamptz, _>(window_start)
    .bind::<Integer, _>(limit)
    .get_result(conn)
    .optional()
}

/// [`add`]'s new count.
pub fn try_add(
    conn: &mut PgConnection,
    key: &str,
    n: i32,
    limit: i32,
    window_start: DateTime<Utc>,
) -> QueryResult<Option<i32>> {
    Ok(add(conn, key, n, limit, window_start)?.map(|c| c.hits))
}

/// [`add`], answering when the window that took the hits began.
pub fn try_reserve(
    conn: &mut PgConnection,
    key: &str,
    n: i32,
    limit: i32,
    window_start: DateTime<Utc>,
) -> QueryResult<Option<DateTime<Utc>>> {
    Ok(add(conn, key, n, limit, window_start)?.map(|c| c.window_started_at))
}

/// When the current window of `key` began.
pub fn window_started_at(conn: &mut PgConnection, key: &str) -> QueryResult<Option<DateTime<Utc>>> {
    rate_limits::table
        .find(key)
        .select(rate_limits::window_started_at)
        .first(conn)
        .optional()
}

/// Gives back `n` hits of `key` (an attempt that turned out fine).
pub fn refund(conn: &mut PgConnection, key: &str, n: i32) -> QueryResult<usize> {
    diesel::sql_query("UPDATE rate_limits SET hits = greatest(hits - $2, 0) WHERE key = $1")
        .bind::<Text, _>(key)
        .bind::<Integer, _>(n)
        .execute(conn)
}

/// Forgets `key`, and every key that starts with `prefix` when one is given.
pub fn clear(conn: &mut PgConnection, key: &str, prefix: Option<&str>) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM rate_limits
         WHERE key = $1 OR ($2::text IS NOT NULL AND left(key, length($2)) = $2)",
    )
    .bind::<Text, _>(key)
    .bind::<diesel::sql_types::Nullable<Text>, _>(prefix)
    .execute(conn)
}

/// Forgets windows that began before `before`, at most `limit` of them;
/// returns how many.
pub fn delete_older_than(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM rate_limits WHERE key IN
             (SELECT key FROM rate_limits WHERE window_started_at < $1 LIMIT $2)",
    )
    .bind::<Timestamptz, _>(before)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .execute(conn)
}
