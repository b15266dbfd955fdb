//! The archive of what an archived member held (their teams with team roles,
//! custom roles and own sets, and their groups), and the membership changes
//! around it: leaving every team, the status, a restore's team places, and
//! the permanent delete.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Jsonb, Text, Timestamptz},
};
use serde::{Deserialize, Serialize};

use super::HeldTeam;
use crate::db::sql::Statement;
use crate::domain::{AccountId, MembershipId, OrgId};

/// A group as the archive keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptGroup {
    pub id: i64,
    pub name: String,
}

/// A team place as the archive keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptTeam {
    pub team: i64,
    pub name: String,
    pub role: crate::domain::TeamRole,
    pub custom_role_id: Option<i64>,
    pub custom_role_name: Option<String>,
    pub permissions: Option<Vec<String>>,
    pub groups: Vec<KeptGroup>,
}

/// What an archived member held: the org role and permissions stay on the
/// membership row; the teams and groups they left are kept here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub custom_role_name: Option<String>,
    pub teams: Vec<KeptTeam>,
}

impl From<&HeldTeam> for KeptTeam {
    fn from(t: &HeldTeam) -> Self {
        Self {
            team: t.team_id,
            name: t.name.clone(),
            role: t.role,
            custom_role_id: t.custom_role_id,
            custom_role_name: t.custom_role_name.clone(),
            permissions: t.permissions.clone(),
            groups: t
                .group_list()
                .into_iter()
                .map(|(id, name)| KeptGroup { id, name })
                .collect(),
        }
    }
}

/// An archived member's archive row.
#[derive(Debug, Clone, QueryableByName)]
pub struct Archive {
    #[diesel(sql_type = BigInt)]
    pub membership_id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub archived_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub archived_by_name: String,
    #[diesel(sql_type = Jsonb)]
    pub held: serde_json::Value,
}

impl Archive {
    /// What they held; an unreadable archive reads as nothing kept.
    pub fn held(&self) -> Held {
        serde_json::from_value(self.held.clone()).unwrap_or_default()
    }
}

pub fn insert_archive(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
    by: (AccountId, &str),
    held: &Held,
) -> QueryResult<usize> {
    use crate::db::schema::membership_archives as ma;
    let held = serde_json::to_value(held)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(ma::table)
        .values((
            ma::membership_id.eq(member.0),
            ma::organization_id.eq(org),
            ma::archived_by_account_id.eq(by.0),
            ma::archived_by_name.eq(by.1),
            ma::held.eq(&held),
        ))
        // A stale archive (none should outlive its restore) is replaced.
        .on_conflict(ma::membership_id)
        .do_update()
        .set((
            ma::archived_at.eq(diesel::dsl::now),
            ma::archived_by_account_id.eq(by.0),
            ma::archived_by_name.eq(by.1),
            ma::held.eq(&held),
        ))
        .execute(conn)
}

const ARCHIVE_COLUMNS: &str =
    "SELECT membership_id, archived_at, archived_by_name, held FROM membership_archives WHERE organization_id = ";

/// The archives of `members` (those that have one): one statement for a page.
pub fn archives_of(
    conn: &mut PgConnection,
    org: OrgId,
    members: &[i64],
) -> QueryResult<Vec<Archive>> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    Statement::prepared(ARCHIVE_COLUMNS)
        .bind::<BigInt, _>(org.0)
        .sql(" AND membership_id = ANY(")
        .bind::<Array<BigInt>, _>(members.to_vec())
        .sql(")")
        .load(conn)
}

pub fn delete_archive(conn: &mut PgConnection, member: MembershipId) -> QueryResult<usize> {
    use crate::db::schema::membership_archives as ma;
    diesel::delete(ma::table.filter(ma::membership_id.eq(member.0))).execute(conn)
}

/// The names of `org`'s teams among `ids` that still exist: (id, name).
pub fn existing_teams(
    conn: &mut PgConnection,
    org: OrgId,
    ids: &[i64],
) -> QueryResult<Vec<(i64, String)>> {
    use crate::db::schema::teams;
    teams::table
        .filter(teams::organization_id.eq(org))
        .filter(teams::id.eq_any(ids))
        .select((teams::id, teams::name))
        .load(conn)
}

/// Which of `ids` are still groups of `org`: (group id, team id).
pub fn existing_groups(
    conn: &mut PgConnection,
    org: OrgId,
    ids: &[i64],
) -> QueryResult<Vec<(i64, i64)>> {
    use crate::db::schema::groups;
    groups::table
        .filter(groups::organization_id.eq(org))
        .filter(groups::id.eq_any(ids))
        .select((groups::id, groups::team_id))
        .load(conn)
}

/// Which of `ids` are still custom roles of `org`.
pub fn existing_roles(conn: &mut PgConnection, org: OrgId, ids: &[i64]) -> QueryResult<Vec<i64>> {
    use crate::db::schema::custom_roles;
    custom_roles::table
        .filter(custom_roles::organization_id.eq(org))
        .filter(custom_roles::id.eq_any(ids))
        .select(custom_roles::id)
        .load(conn)
}

/// Puts a restored member back into a team as they were; the team membership's id.
pub fn insert_team_place(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
    place: &KeptTeam,
) -> QueryResult<i64> {
    use crate::db::schema::team_memberships as tm;
    diesel::insert_into(tm::table)
        .values((
            tm::organization_id.eq(org),
            tm::team_id.eq(place.team),
            tm::membership_id.eq(member),
            tm::role.eq(place.role),
            tm::custom_role_id.eq(place.custom_role_id),
            tm::permissions.eq(&place.permissions),
        ))
        .returning(tm::id)
        .get_result(conn)
}

/// Leaves every team (and with them every group, by cascade).
pub fn leave_all_teams(conn: &mut PgConnection, member: MembershipId) -> QueryResult<usize> {
    use crate::db::schema::team_memberships as tm;
    diesel::delete(tm::table.filter(tm::membership_id.eq(member))).execute(conn)
}

/// Sets a membership's status, bumping its version.
pub fn set_status(
    conn: &mut PgConnection,
    member: MembershipId,
    status: crate::domain::MembershipStatus,
) -> QueryResult<usize> {
    use crate::db::schema::memberships as m;
    diesel::update(m::table.find(member))
        .set((
            m::status.eq(status.as_str()),
            m::version.eq(m::version + 1),
            m::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}

pub fn delete_membership(conn: &mut PgConnection, member: MembershipId) -> QueryResult<usize> {
    use crate::db::schema::memberships as m;
    diesel::delete(m::table.find(member)).execute(conn)
}

pub fn delete_account(conn: &mut PgConnection, account: AccountId) -> QueryResult<usize> {
    use crate::db::schema::accounts;
    diesel::delete(accounts::table.find(account)).execute(conn)
}
