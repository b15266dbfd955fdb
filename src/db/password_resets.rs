//! Password reset links: one row per request, the token kept only as its
//! SHA-256 hash, used once, short-lived.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::password_resets;
use crate::domain::AccountId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = password_resets)]
pub struct PasswordReset {
    pub id: i64,
    pub account_id: i64,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl PasswordReset {
    /// Not used and not expired.
    pub fn is_open(&self) -> bool {
        self.used_at.is_none() && self.expires_at > Utc::now()
    }
}

pub fn insert(
    conn: &mut PgConnection,
    account: AccountId,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> QueryResult<i64> {
    diesel::insert_into(password_resets::table)
        .values((
            password_resets::account_id.eq(account.0),
            password_resets::token_hash.eq(token_hash),
            password_resets::expires_at.eq(expires_at),
        ))
        .returning(password_resets::id)
        .get_result(conn)
}

pub fn find_by_hash(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<PasswordReset>> {
    password_resets::table
        .filter(password_resets::token_hash.eq(hash))
        .select(PasswordReset::as_select())
        .first(conn)
        .optional()
}

/// The reset of a token, row-locked so that two submits of one link take turns.
pub fn lock_by_hash(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<PasswordReset>> {
    password_resets::table
        .filter(password_resets::token_hash.eq(hash))
        .select(PasswordReset::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The resets with these ids, locked in id order; deleted ones are missing.
pub fn lock_by_ids(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<PasswordReset>> {
    password_resets::table
        .filter(password_resets::id.eq_any(ids))
        .order(password_resets::id)
        .select(PasswordReset::as_select())
        .for_update()
        .load(conn)
}

/// New token hashes for many resets in one statement: `(id, hash)` pairs
/// with distinct ids.
pub fn set_token_hashes(conn: &mut PgConnection, hashes: &[(i64, Vec<u8>)]) -> QueryResult<usize> {
    super::tokens::set_hashes(conn, "password_resets", hashes)
}

pub fn mark_used(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(password_resets::table.find(id))
        .set(password_resets::used_at.eq(diesel::dsl::now))
        .execute(conn)
}

/// Ends the account's open links (a newer one replaces them, or one was used).
pub fn expire_open_of_account(conn: &mut PgConnection, account: AccountId) -> QueryResult<usize> {
    diesel::update(
        password_resets::table
            .filter(password_resets::account_id.eq(account.0))
            .filter(password_resets::used_at.is_null())
            .filter(password_resets::expires_at.gt(diesel::dsl::now)),
    )
    .set(password_resets::expires_at.eq(diesel::dsl::now))
    .execute(conn)
}
