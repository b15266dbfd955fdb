//! Server-side sessions: the rows behind actix-session's cookie.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::schema::sessions;
use crate::domain::AccountId;

/// What the store writes: the state and the columns derived from it.
pub struct SessionRow<'a> {
    pub key_hash: &'a [u8],
    pub account_id: Option<AccountId>,
    pub sid: Option<&'a str>,
    pub user_agent: &'a str,
    pub state: Value,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable)]
pub struct SessionInfo {
    pub id: i64,
    pub sid: Option<String>,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
}

/// The state of a live session: not idle past its expiry, not older than
/// `created_after`. In the same statement, a session last used before
/// `touch_unless_used_after` has its idle expiry moved to `expires_at`, so a
/// request reads and keeps its session alive in one round trip.
pub fn find_live_state(
    conn: &mut PgConnection,
    key_hash: &[u8],
    created_after: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    touch_unless_used_after: DateTime<Utc>,
) -> QueryResult<Option<Value>> {
    use diesel::sql_types::{Bytea, Jsonb, Timestamptz};
    #[derive(QueryableByName)]
    struct State {
        #[diesel(sql_type = Jsonb)]
        state: Value,
    }
    let row: Option<State> = super::sql::Statement::prepared(
        "WITH live AS (SELECT id, state, last_used_at FROM sessions WHERE key_hash = ",
    )
    .bind::<Bytea, _>(key_hash.to_vec())
    .sql(" AND expires_at > now() AND created_at > ")
    .bind::<Timestamptz, _>(created_after)
    .sql("), touched AS (UPDATE sessions s SET last_used_at = now(), expires_at = ")
    .bind::<Timestamptz, _>(expires_at)
    .sql(" FROM live WHERE s.id = live.id AND live.last_used_at < ")
    .bind::<Timestamptz, _>(touch_unless_used_after)
    .sql(" RETURNING s.id) SELECT state FROM live")
    .get_result(conn)
    .optional()?;
    Ok(row.map(|r| r.state))
}

pub fn insert(conn: &mut PgConnection, row: SessionRow<'_>) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(row.key_hash),
            sessions::account_id.eq(row.account_id),
            sessions::sid.eq(row.sid),
            sessions::user_agent.eq(row.user_agent),
            sessions::state.eq(row.state),
            sessions::expires_at.eq(row.expires_at),
        ))
        .execute(conn)
}

pub fn update(conn: &mut PgConnection, row: SessionRow<'_>) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::key_hash.eq(row.key_hash)))
        .set((
            sessions::account_id.eq(row.account_id),
            sessions::sid.eq(row.sid),
            sessions::user_agent.eq(row.user_agent),
            sessions::state.eq(row.state),
            sessions::expires_at.eq(row.expires_at),
            sessions::last_used_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}

/// Extends a session's idle expiry; skips the write when it was used since `unless_used_after`.
pub fn touch(
    conn: &mut PgConnection,
    key_hash: &[u8],
    expires_at: DateTime<Utc>,
    unless_used_after: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::key_hash.eq(key_hash))
            .filter(sessions::last_used_at.lt(unless_used_after)),
    )
    .set((
        sessions::expires_at.eq(expires_at),
        sessions::last_used_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
}

pub fn delete_by_key(conn: &mut PgConnection, key_hash: &[u8]) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::key_hash.eq(key_hash))).execute(conn)
}

pub fn list_live_for_account(
    conn: &mut PgConnection,
    account: AccountId,
    created_after: DateTime<Utc>,
) -> QueryResult<Vec<SessionInfo>> {
    sessions::table
        .filter(sessions::account_id.eq(account))
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .filter(sessions::created_at.gt(created_after))
        .order(sessions::last_used_at.desc())
        .select((
            sessions::id,
            sessions::sid,
            sessions::user_agent,
            sessions::created_at,
            sessions::last_used_at,
        ))
        .load(conn)
}

pub fn delete_by_id_for_account(
    conn: &mut PgConnection,
    id: i64,
    account: AccountId,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::account_id.eq(account)),
    )
    .execute(conn)
}

/// Ends every session of the account except the one with `keep_sid` (when given).
pub fn delete_all_for_account(
    conn: &mut PgConnection,
    account: AccountId,
    keep_sid: Option<&str>,
) -> QueryResult<usize> {
    let query = sessions::table.filter(sessions::account_id.eq(account));
    match keep_sid {
        Some(sid) => {
            diesel::delete(query.filter(sessions::sid.ne(sid).or(sessions::sid.is_null())))
                .execute(conn)
        }
        None => diesel::delete(query).execute(conn),
    }
}

pub fn delete_expired(
    conn: &mut PgConnection,
    created_before: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .lt(diesel::dsl::now)
                .or(sessions::created_at.lt(created_before)),
        ),
    )
    .execute(conn)
}
