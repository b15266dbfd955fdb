//! Organizations, their memberships as seen by one account, and their features.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{memberships, organization_features, organizations};
use crate::domain::{
    AccountId, Feature, InvitationStatus, MembershipId, MembershipStatus, OrgId, OrgRole,
};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: OrgId,
    pub name: String,
    pub plan: String,
    pub seats_purchased: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = memberships)]
pub struct Membership {
    pub id: MembershipId,
    pub organization_id: OrgId,
    pub account_id: AccountId,
    pub role: OrgRole,
    pub status: MembershipStatus,
    pub custom_role_id: Option<i64>,
    pub permissions: Option<Vec<String>>,
    pub version: i32,
}

pub fn insert(conn: &mut PgConnection, name: &str) -> QueryResult<Organization> {
    diesel::insert_into(organizations::table)
        .values(organizations::name.eq(name))
        .returning(Organization::as_returning())
        .get_result(conn)
}

pub fn find_by_id(conn: &mut PgConnection, id: OrgId) -> QueryResult<Option<Organization>> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)
        .optional()
}

/// Locks the organization row for the rest of the transaction (seat changes).
pub fn find_for_update(conn: &mut PgConnection, id: OrgId) -> QueryResult<Organization> {
    organizations::table
        .find(id)
        .select(Organization::as_select())
        .for_update()
        .first(conn)
}

pub fn find_all_by_name(conn: &mut PgConnection, name: &str) -> QueryResult<Vec<Organization>> {
    organizations::table
        .filter(organizations::name.eq(name))
        .select(Organization::as_select())
        .load(conn)
}

pub fn list_all(conn: &mut PgConnection) -> QueryResult<Vec<Organization>> {
    organizations::table
        .order(organizations::id)
        .select(Organization::as_select())
        .load(conn)
}

pub fn update_name(conn: &mut PgConnection, id: OrgId, name: &str) -> QueryResult<usize> {
    diesel::update(organizations::table.find(id))
        .set(organizations::name.eq(name))
        .execute(conn)
}

pub fn update_seats(conn: &mut PgConnection, id: OrgId, seats: i32) -> QueryResult<usize> {
    diesel::update(organizations::table.find(id))
        .set(organizations::seats_purchased.eq(seats))
        .execute(conn)
}

pub fn update_plan(conn: &mut PgConnection, id: OrgId, plan: &str) -> QueryResult<usize> {
    diesel::update(organizations::table.find(id))
        .set(organizations::plan.eq(plan))
        .execute(conn)
}

pub fn insert_membership(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    role: OrgRole,
    status: MembershipStatus,
) -> QueryResult<MembershipId> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::organization_id.eq(org),
            memberships::account_id.eq(account),
            memberships::role.eq(role),
            memberships::status.eq(status),
        ))
        .returning(memberships::id)
        .get_result(conn)
}

/// Many memberships of one status in one statement: (membership id, account id) each.
pub fn insert_memberships(
    conn: &mut PgConnection,
    org: OrgId,
    members: &[(AccountId, OrgRole)],
    status: MembershipStatus,
) -> QueryResult<Vec<(MembershipId, AccountId)>> {
    let rows: Vec<_> = members
        .iter()
        .map(|(account, role)| {
            (
                memberships::organization_id.eq(org),
                memberships::account_id.eq(*account),
                memberships::role.eq(*role),
                memberships::status.eq(status),
            )
        })
        .collect();
    diesel::insert_into(memberships::table)
        .values(rows)
        .returning((memberships::id, memberships::account_id))
        .get_results(conn)
}

/// The account's active membership in an organization, with the organization.
/// Permission keys of a membership's custom role, when it has one.
pub type RolePermissions = Option<Vec<String>>;

/// Features that were toggled, as (feature key, enabled); others take their default.
pub type FeatureOverrides = Vec<(String, bool)>;

/// Organizations the account is an active member of, by name: the switcher's list.
pub fn list_for_account(
    conn: &mut PgConnection,
    account: AccountId,
) -> QueryResult<Vec<(OrgId, String)>> {
    memberships::table
        .inner_join(organizations::table)
        .filter(memberships::account_id.eq(account))
        .filter(memberships::status.eq(MembershipStatus::Active))
        .order((organizations::name, organizations::id))
        .select((organizations::id, organizations::name))
        .load(conn)
}

/// Seats in use: active members plus pending invitations.
/// Seats in use: active members, and pending ones whose invitation has not
/// lapsed (an expired invitation frees its seat until it is issued again).
pub fn count_seats_used(conn: &mut PgConnection, org: OrgId) -> QueryResult<i64> {
    use super::schema::invitations;
    use diesel::dsl::{exists, not, now};
    let lapsed = invitations::table
        .filter(invitations::membership_id.eq(memberships::id.nullable()))
        .filter(
            invitations::status
                .eq(InvitationStatus::Expired)
                .or(invitations::status
                    .eq(InvitationStatus::Pending)
                    .and(invitations::expires_at.le(now))),
        );
    memberships::table
        .filter(memberships::organization_id.eq(org))
        .filter(
            memberships::status
                .eq(MembershipStatus::Active)
                .or(memberships::status
                    .eq(MembershipStatus::Pending)
                    .and(not(exists(lapsed)))),
        )
        .count()
        .get_result(conn)
}

/// Features that were toggled; others take their default.
pub fn list_feature_overrides(
    conn: &mut PgConnection,
    org: OrgId,
) -> QueryResult<FeatureOverrides> {
    organization_features::table
        .filter(organization_features::organization_id.eq(org))
        .select((
            organization_features::feature,
            organization_features::enabled,
        ))
        .load(conn)
}

pub fn upsert_feature(
    conn: &mut PgConnection,
    org: OrgId,
    feature: Feature,
    enabled: bool,
) -> QueryResult<usize> {
    diesel::insert_into(organization_features::table)
        .values((
            organization_features::organization_id.eq(org),
            organization_features::feature.eq(feature.key()),
            organization_features::enabled.eq(enabled),
        ))
        .on_conflict((
            organization_features::organization_id,
            organization_features::feature,
        ))
        .do_update()
        .set((
            organization_features::enabled.eq(enabled),
            organization_features::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}

/// The active Owners of the organization: (email, name), for notices every
/// Owner gets.
pub fn active_owner_addresses(
    conn: &mut PgConnection,
    org: OrgId,
) -> QueryResult<Vec<(String, String)>> {
    use super::schema::accounts;
    memberships::table
        .inner_join(accounts::table)
        .filter(memberships::organization_id.eq(org))
        .filter(memberships::role.eq(crate::domain::OrgRole::Owner.as_str()))
        .filter(memberships::status.eq(MembershipStatus::Active))
        .order(accounts::id)
        .select((accounts::email, accounts::display_name))
        .load(conn)
}
