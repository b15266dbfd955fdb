//! Failed sign-in counters per key within a sliding window.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::signin_failures;

/// The failures counted for `key` since `window_start`, and when that count began.
pub fn find_recent(
    conn: &mut PgConnection,
    key: &str,
    window_start: DateTime<Utc>,
) -> QueryResult<Option<(i32, DateTime<Utc>)>> {
    signin_failures::table
        .find(key)
        .filter(signin_failures::window_started_at.gt(window_start))
        .select((
            signin_failures::failures,
            signin_failures::window_started_at,
        ))
        .first(conn)
        .optional()
}

/// Counts one more failure, starting a new window when the old one has passed.
pub fn record_failure(
    conn: &mut PgConnection,
    key: &str,
    window_start: DateTime<Utc>,
) -> QueryResult<usize> {
    use diesel::dsl::sql;
    use diesel::sql_types::Integer;
    diesel::insert_into(signin_failures::table)
        .values((
            signin_failures::key.eq(key),
            signin_failures::failures.eq(1),
            signin_failures::window_started_at.eq(diesel::dsl::now),
        ))
        .on_conflict(signin_failures::key)
        .do_update()
        .set((
            signin_failures::failures.eq(sql::<Integer>(
                "CASE WHEN signin_failures.window_started_at > ",
            )
            .bind::<diesel::sql_types::Timestamptz, _>(window_start)
            .sql(" THEN signin_failures.failures + 1 ELSE 1 END")),
            signin_failures::window_started_at.eq(sql(
                "CASE WHEN signin_failures.window_started_at > ",
            )
            .bind::<diesel::sql_types::Timestamptz, _>(window_start)
            .sql(" THEN signin_failures.window_started_at ELSE now() END")),
        ))
        .execute(conn)
}

pub fn clear(conn: &mut PgConnection, key: &str) -> QueryResult<usize> {
    diesel::delete(signin_failures::table.find(key)).execute(conn)
}

/// Forgets counters whose window began before `before`, at most `limit` of
/// them; returns how many.
pub fn delete_older_than(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    super::rate_limits::delete_windows_before(conn, "signin_failures", before, limit)
}
