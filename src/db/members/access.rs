//! A member's access as a change reads and writes it: the membership locked
//! for the rest of the transaction with its team places and groups, the
//! conditional quick save, and the writes of teams and groups.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Text},
};

use super::super::sql::{from_json, Statement};
use super::counts::Count;
use super::row::MemberBase;
use crate::domain::{AccountId, MembershipId, MembershipStatus, OrgId, OrgRole};

/// A membership row locked for the rest of the transaction.
#[derive(Debug, Clone, QueryableByName)]
pub struct LockedMember {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub role: OrgRole,
    #[diesel(sql_type = Text)]
    pub status: MembershipStatus,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub custom_role_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<Text>>)]
    pub permissions: Option<Vec<String>>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub version: i32,
}

/// The same columns as a list row has them: what the quick save compares its
/// conditional update with (nothing is locked then).
impl From<&MemberBase> for LockedMember {
    fn from(row: &MemberBase) -> Self {
        Self {
            id: row.id,
            account_id: row.account_id,
            role: row.role,
            status: row.status,
            custom_role_id: row.custom_role_id,
            permissions: row.permissions.clone(),
            version: row.version,
        }
    }
}

#[derive(QueryableByName)]
struct LockedRow {
    #[diesel(embed)]
    member: LockedMember,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    teams: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    groups: serde_json::Value,
}

/// A team place as [`lock`] reads it, by name.
#[derive(serde::Deserialize)]
struct LockedPlace {
    id: i64,
    team_id: i64,
    role: String,
    custom_role_id: Option<i64>,
}

/// A group membership as [`lock`] reads it, by name.
#[derive(serde::Deserialize)]
struct LockedGroup {
    group_id: i64,
    team_membership_id: i64,
}

/// A membership locked for the rest of the transaction, with its team places
/// and groups as they were: one statement.
pub type Locked = (LockedMember, Vec<TeamPlace>, Vec<(i64, i64)>);

pub fn lock(conn: &mut PgConnection, org: OrgId, id: MembershipId) -> QueryResult<Option<Locked>> {
    let row: Option<LockedRow> = Statement::prepared(
        "SELECT m.id, m.account_id, m.role, m.status, m.custom_role_id, m.permissions, m.version, \
           COALESCE((SELECT jsonb_agg(jsonb_build_object('id', tm.id, 'team_id', tm.team_id, 'role', tm.role, \
                                                         'custom_role_id', tm.custom_role_id) ORDER BY tm.id) \
                     FROM team_memberships tm WHERE tm.membership_id = m.id), '[]') AS teams, \
           COALESCE((SELECT jsonb_agg(jsonb_build_object('group_id', gm.group_id, 'team_membership_id', gm.team_membership_id) \
                                      ORDER BY gm.group_id, gm.team_membership_id) \
                     FROM group_members gm JOIN team_memberships tm ON tm.id = gm.team_membership_id \
                     WHERE tm.membership_id = m.id), '[]') AS groups \
         FROM memberships m WHERE m.organization_id = ",
    )
    .bind::<BigInt, _>(org.0)
    .sql(" AND m.id = ")
    .bind::<BigInt, _>(id.0)
    .sql(" FOR UPDATE OF m")
    .get_result(conn)
    .optional()?;
    row.map(|r| {
        let teams: Vec<LockedPlace> = from_json(r.teams)?;
        let groups: Vec<LockedGroup> = from_json(r.groups)?;
        Ok((
            r.member,
            teams
                .into_iter()
                .map(|t| (t.id, t.team_id, t.role, t.custom_role_id))
                .collect(),
            groups
                .into_iter()
                .map(|g| (g.group_id, g.team_membership_id))
                .collect(),
        ))
    })
    .transpose()
}

/// The organization's active Owners, with their count row locked until the
/// transaction ends: two demotions of the last two Owners take turns, and the
/// second sees the first's.
pub fn lock_active_owners(conn: &mut PgConnection, org: OrgId) -> QueryResult<i64> {
    let row: Option<Count> =
        Statement::prepared("SELECT n FROM membership_counts WHERE organization_id = ")
            .bind::<BigInt, _>(org.0)
            .sql(" AND status = 'active' AND owner FOR UPDATE")
            .get_result(conn)
            .optional()?;
    Ok(row.map_or(0, |c| c.n))
}

pub fn update_access(
    conn: &mut PgConnection,
    id: MembershipId,
    role: &str,
    custom_role_id: Option<i64>,
    permissions: Option<Vec<String>>,
) -> QueryResult<usize> {
    set_access(
        Statement::prepared("UPDATE memberships SET "),
        role,
        custom_role_id,
        permissions,
    )
    .bind::<BigInt, _>(id.0)
    .execute(conn)
}

/// `SET`'s list for a change of access, a version bump, then `WHERE id = `.
fn set_access<'a>(
    q: Statement<'a>,
    role: &'a str,
    custom_role_id: Option<i64>,
    permissions: Option<Vec<String>>,
) -> Statement<'a> {
    use diesel::sql_types::{Array, Nullable};
    q.sql("role = ")
        .bind::<Text, _>(role)
        .sql(", custom_role_id = ")
        .bind::<Nullable<BigInt>, _>(custom_role_id)
        .sql(", permissions = ")
        .bind::<Nullable<Array<Text>>, _>(permissions)
        .sql(", version = version + 1, updated_at = now() WHERE id = ")
}

/// A member's org role, custom role and own permissions, changed only if the
/// member is still as `read` (its version, role and status), with the change's
/// audit event: one statement, so one implicit transaction. Whether it saved.
pub fn update_access_if_unchanged(
    conn: &mut PgConnection,
    read: &LockedMember,
    role: &str,
    custom_role_id: Option<i64>,
    permissions: Option<Vec<String>>,
    event: super::super::audit::NewEvent<'_>,
) -> QueryResult<bool> {
    use diesel::sql_types::Integer;
    let q = Statement::prepared("WITH changed AS (UPDATE memberships SET ");
    let q = set_access(q, role, custom_role_id, permissions)
        .bind::<BigInt, _>(read.id)
        .sql(" AND version = ")
        .bind::<Integer, _>(read.version)
        .sql(" AND role = ")
        .bind::<Text, _>(read.role)
        .sql(" AND status = ")
        .bind::<Text, _>(read.status)
        .sql(" RETURNING id) ");
    let inserted = super::super::audit::insert_from(q, "changed", event).execute(conn)?;
    Ok(inserted == 1)
}

/// The organization's teams with their groups: (team id, team name, archived, [(group id, group name)]).
pub type TeamOption = (i64, String, bool, Vec<(i64, String)>);

pub fn team_options(conn: &mut PgConnection, org: OrgId) -> QueryResult<Vec<TeamOption>> {
    use super::super::schema::{groups, teams};
    // Teams with their groups in one statement: a row per group, or one
    // group-less row for a team without any.
    type Row = (
        i64,
        String,
        Option<DateTime<Utc>>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Row> = teams::table
        .left_join(groups::table)
        .filter(teams::organization_id.eq(org))
        .order((teams::name, teams::id, groups::name, groups::id))
        .select((
            teams::id,
            teams::name,
            teams::archived_at,
            groups::id.nullable(),
            groups::name.nullable(),
        ))
        .load(conn)?;
    let mut options: Vec<TeamOption> = Vec::new();
    for (id, name, archived, group_id, group_name) in rows {
        if options.last().is_none_or(|t| t.0 != id) {
            options.push((id, name, archived.is_some(), Vec::new()));
        }
        if let (Some(group_id), Some(group_name), Some(team)) =
            (group_id, group_name, options.last_mut())
        {
            team.3.push((group_id, group_name));
        }
    }
    Ok(options)
}

/// A member's place in a team: (team membership id, team id, role, custom role id).
pub type TeamPlace = (i64, i64, String, Option<i64>);

/// The member's team memberships.
pub fn team_memberships_of(
    conn: &mut PgConnection,
    id: MembershipId,
) -> QueryResult<Vec<TeamPlace>> {
    use super::super::schema::team_memberships as tm;
    tm::table
        .filter(tm::membership_id.eq(id))
        .select((tm::id, tm::team_id, tm::role, tm::custom_role_id))
        .order(tm::id)
        .load(conn)
}

/// The actor's own team roles, to know what they may grant in each team:
/// (team id, role, custom role permissions, own permissions).
pub type ActorTeamRole = (i64, String, Option<Vec<String>>, Option<Vec<String>>);

pub fn team_roles_of_account(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
) -> QueryResult<Vec<ActorTeamRole>> {
    use super::super::schema::{custom_roles, memberships, team_memberships as tm};
    tm::table
        .inner_join(memberships::table)
        .left_join(custom_roles::table.on(custom_roles::id.nullable().eq(tm::custom_role_id)))
        .filter(memberships::organization_id.eq(org))
        .filter(memberships::account_id.eq(account))
        .select((
            tm::team_id,
            tm::role,
            custom_roles::permissions.nullable(),
            tm::permissions,
        ))
        .load(conn)
}

pub fn upsert_team_membership(
    conn: &mut PgConnection,
    org: OrgId,
    team: i64,
    member: MembershipId,
    role: &str,
    custom_role_id: Option<i64>,
) -> QueryResult<usize> {
    use super::super::schema::team_memberships as tm;
    diesel::insert_into(tm::table)
        .values((
            tm::organization_id.eq(org),
            tm::team_id.eq(team),
            tm::membership_id.eq(member),
            tm::role.eq(role),
            tm::custom_role_id.eq(custom_role_id),
        ))
        .on_conflict((tm::team_id, tm::membership_id))
        .do_update()
        .set((tm::role.eq(role), tm::custom_role_id.eq(custom_role_id)))
        .execute(conn)
}

pub fn delete_team_membership(
    conn: &mut PgConnection,
    team: i64,
    member: MembershipId,
) -> QueryResult<usize> {
    use super::super::schema::team_memberships as tm;
    diesel::delete(
        tm::table
            .filter(tm::team_id.eq(team))
            .filter(tm::membership_id.eq(member)),
    )
    .execute(conn)
}

/// The member's groups: (group id, team membership id).
pub fn groups_of(conn: &mut PgConnection, member: MembershipId) -> QueryResult<Vec<(i64, i64)>> {
    use super::super::schema::{group_members as gm, team_memberships as tm};
    gm::table
        .inner_join(tm::table)
        .filter(tm::membership_id.eq(member))
        .select((gm::group_id, gm::team_membership_id))
        .order((gm::group_id, gm::team_membership_id))
        .load(conn)
}

pub fn add_to_group(
    conn: &mut PgConnection,
    group: i64,
    team_membership: i64,
) -> QueryResult<usize> {
    use super::super::schema::group_members as gm;
    diesel::insert_into(gm::table)
        .values((
            gm::group_id.eq(group),
            gm::team_membership_id.eq(team_membership),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
}

pub fn remove_from_group(
    conn: &mut PgConnection,
    group: i64,
    team_membership: i64,
) -> QueryResult<usize> {
    use super::super::schema::group_members as gm;
    diesel::delete(
        gm::table
            .filter(gm::group_id.eq(group))
            .filter(gm::team_membership_id.eq(team_membership)),
    )
    .execute(conn)
}
