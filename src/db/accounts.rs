//! Accounts: people who sign in.

use chrono::{DateTime, Utc};
use diesel::{dsl::sql, prelude::*, sql_types::Bool};

use super::schema::accounts;
use crate::domain::AccountId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: AccountId,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

pub fn any_exist(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(accounts::table.select(accounts::id))).get_result(conn)
}

pub fn find_by_id(conn: &mut PgConnection, id: AccountId) -> QueryResult<Option<Account>> {
    accounts::table
        .find(id)
        .select(Account::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(
            sql::<Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email)
                .sql(")"),
        )
        .select(Account::as_select())
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut PgConnection,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> QueryResult<AccountId> {
    diesel::insert_into(accounts::table)
        .values((
            accounts::email.eq(email),
            accounts::display_name.eq(display_name),
            accounts::password_hash.eq(password_hash),
        ))
        .returning(accounts::id)
        .get_result(conn)
}

/// Accounts without a password for invited addresses, in one statement; an
/// address that has an account by now is left as it is. Returns nothing: the
/// caller reads the ids back by address.
pub fn insert_invitees(
    conn: &mut PgConnection,
    invitees: &[(String, String)],
    password_hash: &str,
) -> QueryResult<usize> {
    let rows: Vec<_> = invitees
        .iter()
        .map(|(email, name)| {
            (
                accounts::email.eq(email),
                accounts::display_name.eq(name),
                accounts::password_hash.eq(password_hash),
            )
        })
        .collect();
    diesel::insert_into(accounts::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
}

pub fn update_display_name(
    conn: &mut PgConnection,
    id: AccountId,
    name: &str,
) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::display_name.eq(name))
        .execute(conn)
}

pub fn update_password_hash(
    conn: &mut PgConnection,
    id: AccountId,
    hash: &str,
) -> QueryResult<usize> {
    diesel::update(accounts::table.find(id))
        .set(accounts::password_hash.eq(hash))
        .execute(conn)
}

/// Records activity, at most once a minute per account so busy pages do not write on every request.
pub fn touch_last_seen(conn: &mut PgConnection, id: AccountId) -> QueryResult<usize> {
    diesel::update(
        accounts::table.find(id).filter(
            accounts::last_seen_at
                .is_null()
                .or(accounts::last_seen_at.lt(sql("now() - interval '1 minute'"))),
        ),
    )
    .set(accounts::last_seen_at.eq(diesel::dsl::now))
    .execute(conn)
}
