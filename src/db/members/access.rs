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
use crate::domain::{AccountId, MembershipId, MembershipStatus, OrgId, OrgRole, TeamRole};

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

/// A membership locked for the rest of the transaction, with its team places
/// and groups as they were: one statement.
#[derive(Debug, Clone)]
pub struct Locked {
    pub member: LockedMember,
    pub teams: Vec<TeamPlace>,
    pub groups: Vec<GroupPlace>,
}

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
        Ok(Locked {
            member: r.member,
            teams: from_json(r.teams)?,
            groups: from_json(r.groups)?,
        })
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
    role: OrgRole,
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
    role: OrgRole,
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
    role: OrgRole,
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

/// One of the organization's teams, as menus offer it, with its groups.
#[derive(Debug, Clone)]
pub struct TeamOption {
    pub id: i64,
    pub name: String,
    pub archived: bool,
    pub groups: Vec<GroupOption>,
}

/// A group of a [`TeamOption`].
#[derive(Debug, Clone)]
pub struct GroupOption {
    pub id: i64,
    pub name: String,
}

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
        if options.last().is_none_or(|t| t.id != id) {
            options.push(TeamOption {
                id,
                name,
                archived: archived.is_some(),
                groups: Vec::new(),
            });
        }
        if let (Some(group_id), Some(group_name), Some(team)) =
            (group_id, group_name, options.last_mut())
        {
            team.groups.push(GroupOption {
                id: group_id,
                name: group_name,
            });
        }
    }
    Ok(options)
}

/// A member's place in a team, as a change reads it (by name, from
/// [`lock`]'s JSON too).
#[derive(Debug, Clone, PartialEq, Eq, Queryable, serde::Deserialize)]
pub struct TeamPlace {
    /// The team membership's own id.
    pub id: i64,
    pub team_id: i64,
    pub role: TeamRole,
    pub custom_role_id: Option<i64>,
}

/// A member's place in a group, through one of their team memberships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, serde::Deserialize)]
pub struct GroupPlace {
    pub group_id: i64,
    pub team_membership_id: i64,
}

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

/// An account's role in one team, to know what they may grant there.
#[derive(Debug, Clone, Queryable)]
pub struct HeldTeamRole {
    pub team_id: i64,
    pub role: TeamRole,
    /// The custom team role's permissions, when the role is custom.
    pub custom_permissions: Option<Vec<String>>,
    /// The member's own set in this team, when they have one.
    pub own_permissions: Option<Vec<String>>,
}

impl HeldTeamRole {
    /// What the role holds in the team.
    pub fn permissions(&self) -> crate::domain::PermissionSet {
        crate::domain::effective_permissions(
            self.role.permissions(),
            self.custom_permissions.as_deref(),
            self.own_permissions.as_deref(),
        )
    }
}

/// The account's own team roles in the organization.
pub fn held_team_roles(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
) -> QueryResult<Vec<HeldTeamRole>> {
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
    role: TeamRole,
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

/// The member's groups.
pub fn groups_of(conn: &mut PgConnection, member: MembershipId) -> QueryResult<Vec<GroupPlace>> {
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
