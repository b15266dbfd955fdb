//! Teams and team memberships: finding, listing, creating, changing and deleting
//! them. Every lookup is filtered by organization so another tenant's ids find nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::{custom_roles, memberships, team_memberships, teams};
use crate::domain::{
    AccountId, MembershipId, MembershipStatus, OrgId, TeamId, TeamMembershipId, TeamRole,
};

pub mod members;

diesel::define_sql_function!(fn lower(x: Text) -> Text);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = teams)]
pub struct Team {
    pub id: TeamId,
    pub organization_id: OrgId,
    pub name: String,
    pub description: String,
    pub workflow_id: String,
    pub calibration: bool,
    pub self_review: bool,
    pub goal_threshold: i32,
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Team {
    pub fn is_archived(&self) -> bool {
        self.archived_at.is_some()
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = team_memberships)]
pub struct TeamMembership {
    pub id: TeamMembershipId,
    pub team_id: TeamId,
    pub membership_id: MembershipId,
    pub role: TeamRole,
    pub custom_role_id: Option<i64>,
    pub permissions: Option<Vec<String>>,
}

/// A team of the organization; another organization's team is `None`.
pub fn find_in_org(conn: &mut PgConnection, org: OrgId, id: TeamId) -> QueryResult<Option<Team>> {
    teams::table
        .filter(teams::id.eq(id))
        .filter(teams::organization_id.eq(org))
        .select(Team::as_select())
        .first(conn)
        .optional()
}

/// Like [`find_in_org`], locking the team row for the rest of the transaction so
/// a concurrent archive or delete cannot interleave with a change.
pub fn find_in_org_for_update(
    conn: &mut PgConnection,
    org: OrgId,
    id: TeamId,
) -> QueryResult<Option<Team>> {
    teams::table
        .filter(teams::id.eq(id))
        .filter(teams::organization_id.eq(org))
        .select(Team::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The account's membership in a team, with its custom role's permissions if any.
pub fn find_membership_of_account(
    conn: &mut PgConnection,
    team: TeamId,
    account: AccountId,
) -> QueryResult<Option<(TeamMembership, Option<Vec<String>>)>> {
    team_memberships::table
        .inner_join(memberships::table)
        .left_join(
            custom_roles::table.on(custom_roles::id
                .nullable()
                .eq(team_memberships::custom_role_id)),
        )
        .filter(team_memberships::team_id.eq(team))
        .filter(memberships::account_id.eq(account))
        .select((
            TeamMembership::as_select(),
            custom_roles::permissions.nullable(),
        ))
        .first(conn)
        .optional()
}

/// The organization's teams by name, archived ones last, each with its number
/// of members (archived org members not counted). With `member`, only the teams
/// that account belongs to.
pub fn list_in_org(
    conn: &mut PgConnection,
    org: OrgId,
    member: Option<AccountId>,
) -> QueryResult<Vec<(Team, i64)>> {
    let mut query = teams::table
        .filter(teams::organization_id.eq(org))
        .select(Team::as_select())
        .order((
            teams::archived_at.is_not_null(),
            lower(teams::name),
            teams::id,
        ))
        .into_boxed();
    if let Some(account) = member {
        query = query.filter(
            teams::id.eq_any(
                team_memberships::table
                    .inner_join(memberships::table)
                    .filter(memberships::account_id.eq(account))
                    .filter(memberships::organization_id.eq(org))
                    .select(team_memberships::team_id),
            ),
        );
    }
    let found: Vec<Team> = query.load(conn)?;
    let ids: Vec<TeamId> = found.iter().map(|t| t.id).collect();
    let counts: HashMap<TeamId, i64> = team_memberships::table
        .inner_join(memberships::table)
        .filter(team_memberships::team_id.eq_any(&ids))
        .filter(memberships::status.ne(MembershipStatus::Archived))
        .group_by(team_memberships::team_id)
        .select((team_memberships::team_id, diesel::dsl::count_star()))
        .load::<(TeamId, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(found
        .into_iter()
        .map(|team| {
            let count = counts.get(&team.id).copied().unwrap_or(0);
            (team, count)
        })
        .collect())
}

/// Whether another team of the organization already has this name, ignoring case.
pub fn name_taken(
    conn: &mut PgConnection,
    org: OrgId,
    name: &str,
    except: Option<TeamId>,
) -> QueryResult<bool> {
    let mut query = teams::table
        .filter(teams::organization_id.eq(org))
        .filter(lower(teams::name).eq(lower(name)))
        .select(teams::id)
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(teams::id.ne(id));
    }
    diesel::select(diesel::dsl::exists(query)).get_result(conn)
}

pub struct NewTeam<'a> {
    pub organization_id: OrgId,
    pub name: &'a str,
    pub description: &'a str,
    pub workflow_id: &'a str,
}

pub fn insert(conn: &mut PgConnection, team: NewTeam<'_>) -> QueryResult<Team> {
    diesel::insert_into(teams::table)
        .values((
            teams::organization_id.eq(team.organization_id),
            teams::name.eq(team.name),
            teams::description.eq(team.description),
            teams::workflow_id.eq(team.workflow_id),
        ))
        .returning(Team::as_returning())
        .get_result(conn)
}

pub fn update_details(
    conn: &mut PgConnection,
    id: TeamId,
    name: &str,
    description: &str,
) -> QueryResult<Team> {
    diesel::update(teams::table.find(id))
        .set((
            teams::name.eq(name),
            teams::description.eq(description),
            teams::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Team::as_returning())
        .get_result(conn)
}

pub fn update_calibration(conn: &mut PgConnection, id: TeamId, on: bool) -> QueryResult<Team> {
    diesel::update(teams::table.find(id))
        .set((
            teams::calibration.eq(on),
            teams::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Team::as_returning())
        .get_result(conn)
}

pub fn update_self_review(conn: &mut PgConnection, id: TeamId, on: bool) -> QueryResult<Team> {
    diesel::update(teams::table.find(id))
        .set((
            teams::self_review.eq(on),
            teams::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Team::as_returning())
        .get_result(conn)
}

pub fn update_goal_threshold(
    conn: &mut PgConnection,
    id: TeamId,
    threshold: i32,
) -> QueryResult<Team> {
    diesel::update(teams::table.find(id))
        .set((
            teams::goal_threshold.eq(threshold),
            teams::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Team::as_returning())
        .get_result(conn)
}

pub fn update_workflow_id(
    conn: &mut PgConnection,
    id: TeamId,
    workflow_id: &str,
) -> QueryResult<Team> {
    diesel::update(teams::table.find(id))
        .set((
            teams::workflow_id.eq(workflow_id),
            teams::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Team::as_returning())
        .get_result(conn)
}

/// Archives the team now (`true`) or restores it (`false`).
pub fn update_archived(conn: &mut PgConnection, id: TeamId, archived: bool) -> QueryResult<Team> {
    let archived_at = archived.then(Utc::now);
    diesel::update(teams::table.find(id))
        .set((
            teams::archived_at.eq(archived_at),
            teams::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Team::as_returning())
        .get_result(conn)
}

/// Deletes the team; its groups, services and team memberships go with it by
/// foreign-key cascade. Org memberships are untouched.
pub fn delete(conn: &mut PgConnection, id: TeamId) -> QueryResult<usize> {
    diesel::delete(teams::table.find(id)).execute(conn)
}
