//! Accounts: people who sign in.

use chrono::{DateTime, Utc};
use diesel::{dsl::sql, prelude::*, sql_types::Bool};

use super::schema::accounts;
use crate::domain::AccountId;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
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

/// An organization in the switcher: (id, name).
pub type OrgEntry = (i64, String);

#[derive(QueryableByName)]
struct AccountWithOrgs {
    #[diesel(embed)]
    account: Account,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    orgs: serde_json::Value,
}

/// The account and the organizations it is an active member of, by name (the
/// switcher's list): one statement, as every signed-in page needs both.
pub fn find_with_orgs(
    conn: &mut PgConnection,
    id: AccountId,
) -> QueryResult<Option<(Account, Vec<OrgEntry>)>> {
    let row: Option<AccountWithOrgs> = super::sql::Statement::prepared(
        "SELECT a.id, a.email, a.display_name, a.password_hash, a.created_at, a.last_seen_at, \
           COALESCE((SELECT jsonb_agg(jsonb_build_array(o.id, o.name) ORDER BY o.name, o.id) \
                     FROM memberships m JOIN organizations o ON o.id = m.organization_id \
                     WHERE m.account_id = a.id AND m.status = 'active'), '[]') AS orgs \
         FROM accounts a WHERE a.id = ",
    )
    .bind::<diesel::sql_types::BigInt, _>(id.0)
    .get_result(conn)
    .optional()?;
    row.map(|r| {
        let orgs = serde_json::from_value(r.orgs)
            .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
        Ok((r.account, orgs))
    })
    .transpose()
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
