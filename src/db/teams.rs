//! Teams and team memberships.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{custom_roles, memberships, team_memberships, teams};
use crate::domain::{AccountId, MembershipId, OrgId, TeamId, TeamMembershipId};

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

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = team_memberships)]
pub struct TeamMembership {
    pub id: TeamMembershipId,
    pub team_id: TeamId,
    pub membership_id: MembershipId,
    pub role: String,
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
