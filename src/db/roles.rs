//! Custom roles: named permission sets an organization defines for the
//! organization level or the team level. Every query is filtered by organization.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::{custom_roles, memberships, team_memberships};
use crate::domain::{CustomRoleId, OrgId, Scope};

diesel::define_sql_function!(fn lower(x: Text) -> Text);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = custom_roles)]
pub struct CustomRole {
    pub id: CustomRoleId,
    pub organization_id: OrgId,
    /// `org` or `team` (see [`Scope::parse`]).
    pub scope: String,
    pub name: String,
    pub permissions: Vec<String>,
}

/// One role, only within its organization: another organization's id matches nothing.
#[diesel::dsl::auto_type]
fn in_org(org: OrgId, id: CustomRoleId) -> _ {
    custom_roles::table
        .filter(custom_roles::id.eq(id))
        .filter(custom_roles::organization_id.eq(org))
}

/// The organization's custom roles of one scope, by name.
pub fn list_for_org(
    conn: &mut PgConnection,
    org: OrgId,
    scope: Scope,
) -> QueryResult<Vec<CustomRole>> {
    custom_roles::table
        .filter(custom_roles::organization_id.eq(org))
        .filter(custom_roles::scope.eq(scope.as_str()))
        .order((lower(custom_roles::name), custom_roles::id))
        .select(CustomRole::as_select())
        .load(conn)
}

/// Every custom role of the organization, of both scopes, by name.
pub fn list_all_for_org(conn: &mut PgConnection, org: OrgId) -> QueryResult<Vec<CustomRole>> {
    custom_roles::table
        .filter(custom_roles::organization_id.eq(org))
        .order((lower(custom_roles::name), custom_roles::id))
        .select(CustomRole::as_select())
        .load(conn)
}

/// A custom role of the organization; another organization's role is `None`.
pub fn find_in_org(
    conn: &mut PgConnection,
    org: OrgId,
    id: CustomRoleId,
) -> QueryResult<Option<CustomRole>> {
    in_org(org, id)
        .select(CustomRole::as_select())
        .first(conn)
        .optional()
}

/// Like [`find_in_org`], and locks the row for the rest of the transaction so two
/// saves of the same role run one after the other.
pub fn find_in_org_for_update(
    conn: &mut PgConnection,
    org: OrgId,
    id: CustomRoleId,
) -> QueryResult<Option<CustomRole>> {
    in_org(org, id)
        .select(CustomRole::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Whether another role of the same organization and scope has this name,
/// compared case-insensitively as the unique index does.
pub fn name_taken(
    conn: &mut PgConnection,
    org: OrgId,
    scope: Scope,
    name: &str,
    except: Option<CustomRoleId>,
) -> QueryResult<bool> {
    let mut query = custom_roles::table
        .filter(custom_roles::organization_id.eq(org))
        .filter(custom_roles::scope.eq(scope.as_str()))
        .filter(lower(custom_roles::name).eq(lower(name)))
        .select(custom_roles::id)
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(custom_roles::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(query)).get_result(conn)
}

pub fn insert(
    conn: &mut PgConnection,
    org: OrgId,
    scope: Scope,
    name: &str,
    permissions: &[String],
) -> QueryResult<CustomRole> {
    diesel::insert_into(custom_roles::table)
        .values((
            custom_roles::organization_id.eq(org),
            custom_roles::scope.eq(scope.as_str()),
            custom_roles::name.eq(name),
            custom_roles::permissions.eq(permissions),
        ))
        .returning(CustomRole::as_returning())
        .get_result(conn)
}

pub fn update(
    conn: &mut PgConnection,
    org: OrgId,
    id: CustomRoleId,
    name: &str,
    permissions: &[String],
) -> QueryResult<CustomRole> {
    diesel::update(in_org(org, id))
        .set((
            custom_roles::name.eq(name),
            custom_roles::permissions.eq(permissions),
            custom_roles::updated_at.eq(diesel::dsl::now),
        ))
        .returning(CustomRole::as_returning())
        .get_result(conn)
}

pub fn delete(conn: &mut PgConnection, org: OrgId, id: CustomRoleId) -> QueryResult<usize> {
    diesel::delete(in_org(org, id)).execute(conn)
}

/// How many org memberships and team memberships use one role.
pub fn count_usage(conn: &mut PgConnection, org: OrgId, id: CustomRoleId) -> QueryResult<i64> {
    let members: i64 = memberships::table
        .filter(memberships::organization_id.eq(org))
        .filter(memberships::custom_role_id.eq(id.0))
        .count()
        .get_result(conn)?;
    let team_members: i64 = team_memberships::table
        .filter(team_memberships::organization_id.eq(org))
        .filter(team_memberships::custom_role_id.eq(id.0))
        .count()
        .get_result(conn)?;
    Ok(members + team_members)
}

/// Usage of every custom role of the organization, in two grouped queries
/// rather than one per role.
pub fn usage_by_role(
    conn: &mut PgConnection,
    org: OrgId,
) -> QueryResult<HashMap<CustomRoleId, i64>> {
    let mut counts: Vec<(Option<i64>, i64)> = memberships::table
        .filter(memberships::organization_id.eq(org))
        .filter(memberships::custom_role_id.is_not_null())
        .group_by(memberships::custom_role_id)
        .select((memberships::custom_role_id, diesel::dsl::count_star()))
        .load(conn)?;
    counts.extend(
        team_memberships::table
            .filter(team_memberships::organization_id.eq(org))
            .filter(team_memberships::custom_role_id.is_not_null())
            .group_by(team_memberships::custom_role_id)
            .select((team_memberships::custom_role_id, diesel::dsl::count_star()))
            .load::<(Option<i64>, i64)>(conn)?,
    );
    let mut usage = HashMap::new();
    for (id, n) in counts {
        if let Some(id) = id {
            *usage.entry(CustomRoleId(id)).or_insert(0) += n;
        }
    }
    Ok(usage)
}
