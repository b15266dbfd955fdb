//! Groups of a team's members: the groups, who is in them, the team members who
//! could join, and each org member's groups and services for the members page.

use chrono::{DateTime, Utc};
use diesel::expression::functions::declare_sql_function;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::{dsl::sql, expression::SqlLiteral};

use super::schema::{accounts, group_members, groups, memberships, team_memberships};
use crate::domain::{GroupId, MembershipStatus, OrgId, TeamId, TeamMembershipId};

#[declare_sql_function]
extern "SQL" {
    /// PostgreSQL's `lower(text)`, so case-insensitive comparisons use the same
    /// folding as the unique index `lower(name)`.
    #[sql_name = "lower"]
    fn lower_text(x: Text) -> Text;
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = groups)]
pub struct Group {
    pub id: GroupId,
    pub organization_id: OrgId,
    pub team_id: TeamId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A member of the team as a group shows or offers them: name, email and org status.
#[derive(Debug, Clone, Queryable)]
pub struct TeamMember {
    pub team_membership_id: TeamMembershipId,
    pub display_name: String,
    pub email: String,
    /// The org membership's status: only active members may join groups.
    pub status: MembershipStatus,
}

impl TeamMember {
    pub fn is_active(&self) -> bool {
        self.status == MembershipStatus::Active
    }
}

/// Who is in which group of a team.
#[derive(Debug, Clone)]
pub struct GroupMember {
    pub group_id: GroupId,
    pub member: TeamMember,
}

/// A pending member is shown by the address (or account ID) they were invited
/// by, not their account's name (see `db::members::BASE_COLUMNS`).
const SHOWN_NAME: &str = "CASE WHEN memberships.status = 'pending' \
     THEN COALESCE(memberships.invited_as, accounts.email) ELSE accounts.display_name END";
const SHOWN_EMAIL: &str = "CASE WHEN memberships.status = 'pending' \
     THEN COALESCE(memberships.invited_as, accounts.email) ELSE accounts.email END";

type TeamMemberColumns = (
    team_memberships::id,
    SqlLiteral<Text>,
    SqlLiteral<Text>,
    memberships::status,
);

fn team_member_columns() -> TeamMemberColumns {
    (
        team_memberships::id,
        sql(SHOWN_NAME),
        sql(SHOWN_EMAIL),
        memberships::status,
    )
}

pub fn list_for_team(conn: &mut PgConnection, org: OrgId, team: TeamId) -> QueryResult<Vec<Group>> {
    groups::table
        .filter(groups::organization_id.eq(org))
        .filter(groups::team_id.eq(team))
        .order((lower_text(groups::name), groups::id))
        .select(Group::as_select())
        .load(conn)
}

/// The team's group `id`, if it is of this team of this organization: the one
/// filter both [`find_in_team`] and [`lock_in_team`] load through.
#[diesel::dsl::auto_type(no_type_alias)]
fn one_in_team(org: OrgId, team: TeamId, id: GroupId) -> _ {
    groups::table
        .filter(groups::id.eq(id))
        .filter(groups::organization_id.eq(org))
        .filter(groups::team_id.eq(team))
}

/// A group of this team of this organization; anything else is `None`.
pub fn find_in_team(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: GroupId,
) -> QueryResult<Option<Group>> {
    one_in_team(org, team, id)
        .select(Group::as_select())
        .first(conn)
        .optional()
}

/// Like [`find_in_team`], locking the row for the rest of the transaction so
/// concurrent changes to one group (a rename, a delete, a new member) take turns.
pub fn lock_in_team(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: GroupId,
) -> QueryResult<Option<Group>> {
    one_in_team(org, team, id)
        .select(Group::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Whether another group of the team already has this name, ignoring case.
pub fn name_taken(
    conn: &mut PgConnection,
    team: TeamId,
    name: &str,
    except: Option<GroupId>,
) -> QueryResult<bool> {
    let mut query = groups::table
        .filter(groups::team_id.eq(team))
        .filter(lower_text(groups::name).eq(lower_text(name)))
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(groups::id.ne(except));
    }
    diesel::select(diesel::dsl::exists(query.select(groups::id))).get_result(conn)
}

pub fn insert(conn: &mut PgConnection, org: OrgId, team: TeamId, name: &str) -> QueryResult<Group> {
    diesel::insert_into(groups::table)
        .values((
            groups::organization_id.eq(org),
            groups::team_id.eq(team),
            groups::name.eq(name),
        ))
        .returning(Group::as_returning())
        .get_result(conn)
}

pub fn update_name(conn: &mut PgConnection, id: GroupId, name: &str) -> QueryResult<usize> {
    diesel::update(groups::table.find(id))
        .set(groups::name.eq(name))
        .execute(conn)
}

/// Deletes the group; its memberships and service attachments go with it (cascade).
pub fn delete(conn: &mut PgConnection, id: GroupId) -> QueryResult<usize> {
    diesel::delete(groups::table.find(id)).execute(conn)
}

/// Everyone in any group of the team, ordered by name.
pub fn list_members_for_team(
    conn: &mut PgConnection,
    team: TeamId,
) -> QueryResult<Vec<GroupMember>> {
    let rows: Vec<(GroupId, TeamMember)> = group_members::table
        .inner_join(groups::table)
        .inner_join(
            team_memberships::table.inner_join(memberships::table.inner_join(accounts::table)),
        )
        .filter(groups::team_id.eq(team))
        .order((memberships::sort_name, team_memberships::id))
        .select((group_members::group_id, team_member_columns()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(group_id, member)| GroupMember { group_id, member })
        .collect())
}

/// The team's members, whatever their status, ordered by name: the choices of
/// the "add to group" select (pending and archived ones are shown, disabled).
pub fn list_team_members(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
) -> QueryResult<Vec<TeamMember>> {
    team_memberships::table
        .inner_join(memberships::table.inner_join(accounts::table))
        .filter(team_memberships::organization_id.eq(org))
        .filter(team_memberships::team_id.eq(team))
        .order((memberships::sort_name, team_memberships::id))
        .select(team_member_columns())
        .load(conn)
}

/// One member of this team, share-locked so they cannot leave the team while
/// being added to a group in the same transaction.
pub fn lock_team_member(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: TeamMembershipId,
) -> QueryResult<Option<TeamMember>> {
    team_memberships::table
        .inner_join(memberships::table.inner_join(accounts::table))
        .filter(team_memberships::id.eq(id))
        .filter(team_memberships::organization_id.eq(org))
        .filter(team_memberships::team_id.eq(team))
        .select(team_member_columns())
        .for_key_share()
        .first(conn)
        .optional()
}

/// The org membership behind a team membership, for the audit event's `membership_id`.
pub fn membership_of(conn: &mut PgConnection, id: TeamMembershipId) -> QueryResult<i64> {
    team_memberships::table
        .find(id)
        .select(team_memberships::membership_id)
        .first(conn)
}

pub fn is_member(
    conn: &mut PgConnection,
    group: GroupId,
    member: TeamMembershipId,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        group_members::table
            .filter(group_members::group_id.eq(group))
            .filter(group_members::team_membership_id.eq(member)),
    ))
    .get_result(conn)
}

pub fn add_member(
    conn: &mut PgConnection,
    group: GroupId,
    member: TeamMembershipId,
) -> QueryResult<usize> {
    diesel::insert_into(group_members::table)
        .values((
            group_members::group_id.eq(group),
            group_members::team_membership_id.eq(member),
        ))
        .execute(conn)
}

pub fn remove_member(
    conn: &mut PgConnection,
    group: GroupId,
    member: TeamMembershipId,
) -> QueryResult<usize> {
    diesel::delete(
        group_members::table
            .filter(group_members::group_id.eq(group))
            .filter(group_members::team_membership_id.eq(member)),
    )
    .execute(conn)
}
