//! What a member's page reads beside their list row: the open invitation of a
//! pending member, and how many contacts they hold in each team.

use diesel::{
    prelude::*,
    sql_types::{BigInt, Jsonb, Nullable},
};

use super::super::invitations::{PendingDetails, OPEN_INVITATION_OF_M};
use super::super::sql::Statement;
use crate::domain::{MembershipId, OrgId};

#[derive(QueryableByName)]
struct Invitation {
    #[diesel(sql_type = Nullable<Jsonb>)]
    invitation: Option<serde_json::Value>,
}

/// A pending member's open (or expired) invitation.
pub fn open_invitation(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
) -> QueryResult<Option<PendingDetails>> {
    let row: Option<Invitation> = Statement::prepared("SELECT ")
        .sql(OPEN_INVITATION_OF_M)
        .sql(" AS invitation FROM memberships m WHERE m.organization_id = ")
        .bind::<BigInt, _>(org.0)
        .sql(" AND m.id = ")
        .bind::<BigInt, _>(member.0)
        .get_result(conn)
        .optional()?;
    row.and_then(|r| r.invitation)
        .map(|v| {
            serde_json::from_value(v)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
        })
        .transpose()
}

/// How many contacts the member is assigned, per team: (team id, count).
pub fn contacts_per_team(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
) -> QueryResult<Vec<(i64, i64)>> {
    use crate::db::schema::contacts;
    contacts::table
        .filter(contacts::organization_id.eq(org.0))
        .filter(contacts::assignee_membership_id.eq(member.0))
        .group_by(contacts::team_id)
        .select((contacts::team_id, diesel::dsl::count_star()))
        .load(conn)
}
