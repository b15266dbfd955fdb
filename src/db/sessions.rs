//! Server-side sessions: the rows behind actix-session's cookie.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use super::schema::sessions;
use crate::domain::{AccountId, OrgId};

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

impl SessionInfo {
    /// The browser in words ("Firefox on Windows"); `user_agent` is the whole string.
    pub fn device(&self) -> String {
        crate::domain::browser::describe(&self.user_agent)
    }
}

/// When a session is live and when it is touched: see [`find_live_state`].
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    /// Sessions created before this have outlived their absolute lifetime.
    pub created_after: DateTime<Utc>,
    /// The idle expiry a touched session gets.
    pub expires_at: DateTime<Utc>,
    /// A session last used before this is touched.
    pub touch_unless_used_after: DateTime<Utc>,
}

/// `live` (the session, if live) and `touched` (its idle expiry moved on).
fn live_session(key_hash: &[u8], live: Liveness) -> super::sql::Statement<'static> {
    use diesel::sql_types::{Bytea, Timestamptz};
    super::sql::Statement::prepared(
        "WITH live AS (SELECT id, state, last_used_at, account_id FROM sessions WHERE key_hash = ",
    )
    .bind::<Bytea, _>(key_hash.to_vec())
    .sql(" AND expires_at > now() AND created_at > ")
    .bind::<Timestamptz, _>(live.created_after)
    .sql("), touched AS (UPDATE sessions s SET last_used_at = now(), expires_at = ")
    .bind::<Timestamptz, _>(live.expires_at)
    .sql(" FROM live WHERE s.id = live.id AND live.last_used_at < ")
    .bind::<Timestamptz, _>(live.touch_unless_used_after)
    .sql(" RETURNING s.id) ")
}

/// The state of a live session: not idle past its expiry, not older than
/// `created_after`. In the same statement, a session last used before
/// `touch_unless_used_after` has its idle expiry moved to `expires_at`, so a
/// request reads and keeps its session alive in one round trip.
pub fn find_live_state(
    conn: &mut PgConnection,
    key_hash: &[u8],
    live: Liveness,
) -> QueryResult<Option<Value>> {
    #[derive(QueryableByName)]
    struct State {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        state: Value,
    }
    let row: Option<State> = live_session(key_hash, live)
        .sql("SELECT state FROM live")
        .get_result(conn)
        .optional()?;
    Ok(row.map(|r| r.state))
}

#[derive(QueryableByName)]
struct StateAndAccount {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    state: Value,
    #[diesel(embed)]
    signed: Option<super::accounts::Signed>,
}

/// A live session's state, as [`find_live_state`], with what
/// [`super::accounts::find_signed_in`] reads for the session's account (`None`
/// without one, or when it is gone): one statement for both, as nearly every
/// request needs both.
pub fn find_live_state_and_account(
    conn: &mut PgConnection,
    key_hash: &[u8],
    live: Liveness,
    with_orgs: bool,
    org: Option<OrgId>,
) -> QueryResult<Option<(Value, Option<super::accounts::SignedIn>)>> {
    use super::accounts::{signed_in_columns, Signed, Who};
    let q = live_session(key_hash, live)
        .sql("SELECT live.state, s.* FROM live LEFT JOIN LATERAL (SELECT ");
    let row: Option<StateAndAccount> = signed_in_columns(q, Who::LiveSession, with_orgs, org)
        .sql(") s ON true")
        .get_result(conn)
        .optional()?;
    Ok(row.map(|r| (r.state, r.signed.map(Signed::into_signed_in))))
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

/// Whether the account has signed in from this user agent before: a session
/// of it still stored, or the sign-in recorded in its security activity.
pub fn browser_seen(
    conn: &mut PgConnection,
    account: AccountId,
    user_agent: &str,
) -> QueryResult<bool> {
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Seen {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        seen: bool,
    }
    let row: Seen = super::sql::Statement::prepared(
        "SELECT EXISTS (SELECT 1 FROM sessions WHERE account_id = ",
    )
    .bind::<BigInt, _>(account.0)
    .sql(" AND user_agent = ")
    .bind::<Text, _>(user_agent.to_owned())
    .sql(
        ") OR EXISTS (SELECT 1 FROM audit_events WHERE organization_id IS NULL \
         AND target_type = 'account' AND target_id = ",
    )
    .bind::<Text, _>(account.0.to_string())
    .sql(" AND action = 'account.signed_in_new_browser' AND after ->> 'user_agent' = ")
    .bind::<Text, _>(user_agent.to_owned())
    .sql(") AS seen")
    .get_result(conn)?;
    Ok(row.seen)
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

/// Deletes sessions idle past their expiry or created before `created_before`
/// (past their absolute lifetime) as of `now`, at most `limit` of them; returns how many.
pub fn delete_expired(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    created_before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Timestamptz};
    diesel::sql_query(
        "DELETE FROM sessions WHERE id IN
             (SELECT id FROM sessions WHERE expires_at < $1 OR created_at < $2 LIMIT $3)",
    )
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(created_before)
    .bind::<BigInt, _>(limit)
    .execute(conn)
}

/// Signed-in sessions still live (for the metrics): an anonymous session, which
/// holds only a CSRF token, is not counted.
pub fn count_signed_in(conn: &mut PgConnection, created_after: DateTime<Utc>) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::account_id.is_not_null())
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .filter(sessions::created_at.gt(created_after))
        .count()
        .get_result(conn)
}
