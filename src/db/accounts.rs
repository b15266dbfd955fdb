//! Accounts: people who sign in.

use chrono::{DateTime, Utc};
use diesel::{
    dsl::sql,
    prelude::*,
    sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz},
};

use super::schema::accounts;
use crate::domain::{AccountId, OrgId};

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

/// The account's active membership in the organization a request names, with
/// the organization, its custom role's permissions and the organization's
/// toggled features.
pub type Here = (
    super::organizations::Membership,
    super::organizations::Organization,
    super::organizations::RolePermissions,
    super::organizations::FeatureOverrides,
);

/// The account, its switcher's organizations, and its membership here.
pub type SignedIn = (Account, Vec<OrgEntry>, Option<Here>);

/// What every signed-in request needs, read by one statement: the account,
/// optionally the organizations it is an active member of (the switcher's
/// list, by name), and optionally its active membership in one organization.
#[derive(QueryableByName)]
pub(super) struct Signed {
    #[diesel(embed)]
    account: Account,
    #[diesel(sql_type = Nullable<Array<BigInt>>)]
    org_ids: Option<Vec<i64>>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    org_names: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    m_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    m_org: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    m_role: Option<crate::domain::OrgRole>,
    #[diesel(sql_type = Nullable<Text>)]
    m_status: Option<crate::domain::MembershipStatus>,
    #[diesel(sql_type = Nullable<BigInt>)]
    m_custom_role_id: Option<i64>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    m_permissions: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Integer>)]
    m_version: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    o_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    o_plan: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    o_seats_purchased: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    o_created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    role_permissions: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    o_feature_keys: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Array<Bool>>)]
    o_feature_enabled: Option<Vec<bool>>,
}

impl Signed {
    fn here(&mut self) -> Option<Here> {
        use super::organizations::{Membership, Organization};
        use crate::domain::{MembershipId, OrgId};
        let org = OrgId(self.m_org?);
        Some((
            Membership {
                id: MembershipId(self.m_id?),
                organization_id: org,
                account_id: self.account.id,
                role: self.m_role?,
                status: self.m_status?,
                custom_role_id: self.m_custom_role_id,
                permissions: self.m_permissions.take(),
                version: self.m_version?,
            },
            Organization {
                id: org,
                name: self.o_name.take()?,
                plan: self.o_plan.take()?,
                seats_purchased: self.o_seats_purchased?,
                created_at: self.o_created_at?,
            },
            self.role_permissions.take(),
            self.o_feature_keys
                .take()
                .unwrap_or_default()
                .into_iter()
                .zip(self.o_feature_enabled.take().unwrap_or_default())
                .collect(),
        ))
    }
}

/// Which account [`signed_in_columns`] reads.
pub(super) enum Who {
    /// This account.
    Id(AccountId),
    /// The account of the session row `live` (see `db::sessions`).
    LiveSession,
}

/// The select list, joins and filter behind [`Signed`], appended to `q`.
pub(super) fn signed_in_columns<'a>(
    q: super::sql::Statement<'a>,
    who: Who,
    with_orgs: bool,
    org: Option<OrgId>,
) -> super::sql::Statement<'a> {
    let q = q
        .sql("a.id, a.email, a.display_name, a.password_hash, a.created_at, a.last_seen_at, ")
        // The switcher's list comes unordered: sorting a hundred names by the
        // database's collation cost more than reading them; they are ordered here.
        .sql(if with_orgs {
            "orgs.ids AS org_ids, orgs.names AS org_names, "
        } else {
            "NULL::bigint[] AS org_ids, NULL::text[] AS org_names, "
        })
        .sql(
            "m.id AS m_id, m.organization_id AS m_org, m.role AS m_role, m.status AS m_status, \
               m.custom_role_id AS m_custom_role_id, m.permissions AS m_permissions, m.version AS m_version, \
               o.name AS o_name, o.plan AS o_plan, o.seats_purchased AS o_seats_purchased, \
               o.created_at AS o_created_at, cr.permissions AS role_permissions, \
               features.keys AS o_feature_keys, features.enabled AS o_feature_enabled \
             FROM accounts a ",
        )
        .sql(if with_orgs {
            "LEFT JOIN LATERAL (SELECT array_agg(o.id) AS ids, array_agg(o.name) AS names \
               FROM memberships m JOIN organizations o ON o.id = m.organization_id \
               WHERE m.account_id = a.id AND m.status = 'active') orgs ON true "
        } else {
            ""
        })
        .sql("LEFT JOIN memberships m ON m.account_id = a.id AND m.status = 'active' AND m.organization_id = ")
        .bind::<Nullable<BigInt>, _>(org.map(|o| o.0))
        .sql(
            " LEFT JOIN organizations o ON o.id = m.organization_id \
             LEFT JOIN custom_roles cr ON cr.id = m.custom_role_id \
             LEFT JOIN LATERAL (SELECT array_agg(f.feature) AS keys, array_agg(f.enabled) AS enabled \
               FROM organization_features f WHERE f.organization_id = o.id) features ON true \
             WHERE a.id = ",
        );
    match who {
        Who::Id(id) => q.bind::<BigInt, _>(id.0),
        Who::LiveSession => q.sql("live.account_id"),
    }
}

impl Signed {
    pub(super) fn into_signed_in(mut self) -> SignedIn {
        let mut orgs: Vec<OrgEntry> = self
            .org_ids
            .take()
            .unwrap_or_default()
            .into_iter()
            .zip(self.org_names.take().unwrap_or_default())
            .collect();
        orgs.sort_by_cached_key(|(id, name)| (name.to_lowercase(), name.clone(), *id));
        let here = self.here();
        (self.account, orgs, here)
    }
}

/// The account (`None` when it is gone), the organizations it is an active
/// member of if `with_orgs` (the switcher's list, by name), and its active
/// membership in `org`: one statement, as every signed-in request needs them.
pub fn find_signed_in(
    conn: &mut PgConnection,
    id: AccountId,
    with_orgs: bool,
    org: Option<OrgId>,
) -> QueryResult<Option<SignedIn>> {
    let q = super::sql::Statement::prepared("SELECT ");
    let row: Option<Signed> = signed_in_columns(q, Who::Id(id), with_orgs, org)
        .get_result(conn)
        .optional()?;
    Ok(row.map(Signed::into_signed_in))
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

/// The account's public ID (see `domain::account_id`).
pub fn public_id_of(conn: &mut PgConnection, id: AccountId) -> QueryResult<String> {
    accounts::table
        .find(id)
        .select(accounts::public_id)
        .first(conn)
}

/// The account a public ID names, if any.
pub fn find_by_public_id(
    conn: &mut PgConnection,
    public_id: &crate::domain::PublicAccountId,
) -> QueryResult<Option<Account>> {
    accounts::table
        .filter(accounts::public_id.eq(public_id.as_str()))
        .select(Account::as_select())
        .first(conn)
        .optional()
}

/// The account with this email, row-locked: whoever sets its credentials holds
/// the lock, so two links racing for one account take turns and the second sees
/// what the first did.
pub fn lock_by_id(conn: &mut PgConnection, id: AccountId) -> QueryResult<Option<Account>> {
    accounts::table
        .find(id)
        .select(Account::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// How many memberships the account holds, in any organization and status,
/// other than `except`.
pub fn count_other_memberships(
    conn: &mut PgConnection,
    id: AccountId,
    except: crate::domain::MembershipId,
) -> QueryResult<i64> {
    use super::schema::memberships;
    memberships::table
        .filter(memberships::account_id.eq(id))
        .filter(memberships::id.ne(except.0))
        .count()
        .get_result(conn)
}

/// The accounts of `org`'s members (any status) whose hash is `placeholder`,
/// that is, which have no password yet.
pub fn without_password_in(
    conn: &mut PgConnection,
    org: OrgId,
    placeholder: &str,
) -> QueryResult<Vec<AccountId>> {
    use super::schema::memberships;
    memberships::table
        .inner_join(accounts::table)
        .filter(memberships::organization_id.eq(org))
        .filter(accounts::password_hash.eq(placeholder))
        .order(accounts::id)
        .select(accounts::id)
        .load(conn)
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
/// address that has an account by now is left as it is. Returns the addresses
/// (lower-cased) whose accounts this statement created; the caller reads the
/// ids back by address.
pub fn insert_invitees(
    conn: &mut PgConnection,
    invitees: &[(String, String)],
    password_hash: &str,
) -> QueryResult<Vec<String>> {
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
        .returning(accounts::email)
        .get_results::<String>(conn)
        .map(|emails| emails.into_iter().map(|e| e.to_lowercase()).collect())
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
