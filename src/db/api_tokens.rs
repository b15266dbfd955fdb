//! API tokens: an organization's credentials for the JSON API, looked up by
//! the SHA-256 of their secret.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::organizations::Organization;
use super::schema::{accounts, api_tokens, memberships, organization_features, organizations};
use crate::domain::{AccountId, ApiTokenId, Feature, OrgId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub organization_id: OrgId,
    pub name: String,
    pub scopes: Vec<String>,
    pub role: String,
    pub created_by_account_id: AccountId,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
}

pub struct NewToken<'a> {
    pub org: OrgId,
    pub name: &'a str,
    pub hash: &'a [u8],
    pub scopes: Vec<String>,
    pub role: &'a str,
    pub creator: AccountId,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn insert(conn: &mut PgConnection, new: NewToken<'_>) -> QueryResult<ApiToken> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::organization_id.eq(new.org),
            api_tokens::name.eq(new.name),
            api_tokens::token_hash.eq(new.hash),
            api_tokens::scopes.eq(new.scopes),
            api_tokens::role.eq(new.role),
            api_tokens::created_by_account_id.eq(new.creator),
            api_tokens::expires_at.eq(new.expires_at),
        ))
        .returning(ApiToken::as_returning())
        .get_result(conn)
}

/// A presented token with its organization and whether the organization
/// switched the API on (`None`: never toggled).
pub type Presented = (ApiToken, Organization, Option<bool>);

/// The token whose secret hashes to `hash`, whatever its state: the caller
/// tells revoked and expired ones apart.
pub fn find_by_hash(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<Presented>> {
    api_tokens::table
        .inner_join(organizations::table)
        .left_join(
            organization_features::table.on(organization_features::organization_id
                .eq(api_tokens::organization_id)
                .and(organization_features::feature.eq(Feature::ApiAccess.key()))),
        )
        .filter(api_tokens::token_hash.eq(hash))
        .select((
            ApiToken::as_select(),
            Organization::as_select(),
            organization_features::enabled.nullable(),
        ))
        .first(conn)
        .optional()
}

/// A token as Settings → API tokens lists it: with its creator's name and
/// their membership's status here (`None` when they no longer have one).
pub type Listed = (ApiToken, String, Option<String>);

pub fn list_for_org(conn: &mut PgConnection, org: OrgId) -> QueryResult<Vec<Listed>> {
    api_tokens::table
        .inner_join(accounts::table.on(accounts::id.eq(api_tokens::created_by_account_id)))
        .left_join(
            memberships::table.on(memberships::account_id
                .eq(api_tokens::created_by_account_id)
                .and(memberships::organization_id.eq(api_tokens::organization_id))),
        )
        .filter(api_tokens::organization_id.eq(org))
        .order((api_tokens::created_at.desc(), api_tokens::id.desc()))
        .select((
            ApiToken::as_select(),
            accounts::display_name,
            memberships::status.nullable(),
        ))
        .load(conn)
}

/// Locks one token of the organization for the rest of the transaction.
pub fn find_in_org_for_update(
    conn: &mut PgConnection,
    org: OrgId,
    id: ApiTokenId,
) -> QueryResult<Option<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::organization_id.eq(org))
        .filter(api_tokens::id.eq(id))
        .select(ApiToken::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn revoke(conn: &mut PgConnection, id: ApiTokenId, by: AccountId) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set((
        api_tokens::revoked_at.eq(diesel::dsl::now),
        api_tokens::revoked_by_account_id.eq(by),
    ))
    .execute(conn)
}

/// Records a use from `ip`: `true` only for the very first use of the token,
/// so that exactly one request writes its audit event.
pub fn mark_first_use(conn: &mut PgConnection, id: ApiTokenId, ip: &str) -> QueryResult<bool> {
    let n = diesel::update(
        api_tokens::table
            .find(id)
            .filter(api_tokens::last_used_at.is_null()),
    )
    .set((
        api_tokens::last_used_at.eq(diesel::dsl::now),
        api_tokens::last_used_ip.eq(ip),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a later use: the time and the client address.
pub fn mark_used(conn: &mut PgConnection, id: ApiTokenId, ip: &str) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(id))
        .set((
            api_tokens::last_used_at.eq(diesel::dsl::now),
            api_tokens::last_used_ip.eq(ip),
        ))
        .execute(conn)
}
