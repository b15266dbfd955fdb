//! What a member holds when they leave, and handing it over: their teams with
//! team roles, groups and services, the contacts assigned to them per team
//! (unassigned or reassigned when they go), the open invitations they sent,
//! and the archive that keeps what an archived member held so a restore can
//! bring it back. Every lookup is filtered by organization.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Bool, Jsonb, Nullable, Text},
};

use super::sql::Statement;

mod archive;
use crate::domain::{AccountId, MembershipId, OrgId, TeamId};
pub use archive::*;

/// One of the member's teams as the revoke preview shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct HeldTeam {
    #[diesel(sql_type = BigInt)]
    pub team_id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub role: crate::domain::TeamRole,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub custom_role_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub custom_role_name: Option<String>,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    pub permissions: Option<Vec<String>>,
    /// `[[group id, group name], …]` by name.
    #[diesel(sql_type = Jsonb)]
    pub groups: serde_json::Value,
    /// The active services their groups in this team provide, by name.
    #[diesel(sql_type = Array<Text>)]
    pub services: Vec<String>,
}

impl HeldTeam {
    pub fn group_list(&self) -> Vec<(i64, String)> {
        serde_json::from_value(self.groups.clone()).unwrap_or_default()
    }
}

/// The member's teams, with their team role, groups and services: one statement.
pub fn held_teams(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
) -> QueryResult<Vec<HeldTeam>> {
    Statement::prepared(
        "SELECT t.id AS team_id, t.name, tm.role, tm.custom_role_id, cr.name AS custom_role_name, \
                tm.permissions, \
                COALESCE((SELECT jsonb_agg(jsonb_build_array(g.id, g.name) ORDER BY g.name, g.id) \
                          FROM group_members gm JOIN groups g ON g.id = gm.group_id \
                          WHERE gm.team_membership_id = tm.id), '[]') AS groups, \
                COALESCE((SELECT array_agg(DISTINCT s.name) \
                          FROM group_members gm JOIN group_services gs ON gs.group_id = gm.group_id \
                          JOIN services s ON s.id = gs.service_id \
                          WHERE gm.team_membership_id = tm.id AND s.active), '{}') AS services \
         FROM team_memberships tm JOIN teams t ON t.id = tm.team_id \
         LEFT JOIN custom_roles cr ON cr.id = tm.custom_role_id \
         WHERE tm.organization_id = ",
    )
    .bind::<BigInt, _>(org.0)
    .sql(" AND tm.membership_id = ")
    .bind::<BigInt, _>(member.0)
    .sql(" ORDER BY t.name, t.id")
    .load(conn)
}

/// Contacts assigned to one member in one team.
#[derive(Debug, Clone, QueryableByName)]
pub struct ContactCount {
    #[diesel(sql_type = BigInt)]
    pub team_id: i64,
    #[diesel(sql_type = Text)]
    pub team_name: String,
    #[diesel(sql_type = BigInt)]
    pub contacts: i64,
}

/// The contacts assigned to the member, counted per team (by the assignee
/// index), whether or not they are still in that team.
pub fn contacts_per_team(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
) -> QueryResult<Vec<ContactCount>> {
    Statement::prepared(
        "SELECT c.team_id, t.name AS team_name, c.n AS contacts \
         FROM (SELECT team_id, count(*) AS n FROM contacts WHERE assignee_membership_id = ",
    )
    .bind::<BigInt, _>(member.0)
    .sql(" AND organization_id = ")
    .bind::<BigInt, _>(org.0)
    .sql(" GROUP BY team_id) c JOIN teams t ON t.id = c.team_id ORDER BY t.name, t.id")
    .load(conn)
}

/// The contacts the member holds in one team.
pub fn count_contacts_in_team(
    conn: &mut PgConnection,
    team: TeamId,
    member: MembershipId,
) -> QueryResult<i64> {
    use super::schema::contacts;
    contacts::table
        .filter(contacts::assignee_membership_id.eq(member.0))
        .filter(contacts::team_id.eq(team))
        .count()
        .get_result(conn)
}

/// Someone the member's contacts in a team can go to.
#[derive(Debug, Clone, QueryableByName)]
pub struct Candidate {
    #[diesel(sql_type = BigInt)]
    pub team_id: i64,
    #[diesel(sql_type = BigInt)]
    pub membership_id: i64,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Text)]
    pub email: String,
}

/// At most this many people are offered per team to take over contacts.
pub const CANDIDATE_LIMIT: i64 = 200;

/// The active members of each of `teams` other than `member`, by name, at
/// most [`CANDIDATE_LIMIT`] per team: who may take over the contacts.
pub fn candidates(
    conn: &mut PgConnection,
    org: OrgId,
    teams: &[i64],
    member: MembershipId,
) -> QueryResult<Vec<Candidate>> {
    if teams.is_empty() {
        return Ok(Vec::new());
    }
    Statement::prepared(
        "SELECT team_id, membership_id, display_name, email FROM ( \
           SELECT tm.team_id, m.id AS membership_id, a.display_name, a.email, \
                  row_number() OVER (PARTITION BY tm.team_id ORDER BY m.sort_name, m.id) AS n \
           FROM team_memberships tm JOIN memberships m ON m.id = tm.membership_id \
           JOIN accounts a ON a.id = m.account_id \
           WHERE tm.organization_id = ",
    )
    .bind::<BigInt, _>(org.0)
    .sql(" AND tm.team_id = ANY(")
    .bind::<Array<BigInt>, _>(teams.to_vec())
    .sql(") AND m.status = 'active' AND m.id <> ")
    .bind::<BigInt, _>(member.0)
    .sql(") c WHERE n <= ")
    .bind::<BigInt, _>(CANDIDATE_LIMIT)
    .sql(" ORDER BY team_id, n")
    .load(conn)
}

/// A proposed new assignee, as found in the organization, row-shared until
/// the transaction ends so they cannot be archived while they take contacts.
#[derive(Debug, Clone, QueryableByName)]
pub struct Assignee {
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Bool)]
    pub in_team: bool,
}

/// `candidate` in `org`, with whether they are in `team`; `None` for an id of
/// no membership of this organization.
pub fn lock_assignee(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    candidate: MembershipId,
) -> QueryResult<Option<Assignee>> {
    Statement::prepared(
        "SELECT a.display_name, m.status, EXISTS (SELECT 1 FROM team_memberships tm \
                WHERE tm.membership_id = m.id AND tm.team_id = ",
    )
    .bind::<BigInt, _>(team.0)
    .sql(") AS in_team FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.organization_id = ")
    .bind::<BigInt, _>(org.0)
    .sql(" AND m.id = ")
    .bind::<BigInt, _>(candidate.0)
    .sql(" FOR SHARE OF m")
    .get_result(conn)
    .optional()
}

/// Gives the member's contacts in `team` to `to` (or to nobody): how many moved.
pub fn hand_over_contacts(
    conn: &mut PgConnection,
    team: TeamId,
    member: MembershipId,
    to: Option<MembershipId>,
) -> QueryResult<usize> {
    use super::schema::contacts;
    diesel::update(
        contacts::table
            .filter(contacts::assignee_membership_id.eq(member.0))
            .filter(contacts::team_id.eq(team)),
    )
    .set((
        contacts::assignee_membership_id.eq(to.map(|m| m.0)),
        contacts::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
}

/// Unassigns every contact still assigned to the member, in any team.
pub fn unassign_all_contacts(conn: &mut PgConnection, member: MembershipId) -> QueryResult<usize> {
    use super::schema::contacts;
    diesel::update(contacts::table.filter(contacts::assignee_membership_id.eq(member.0)))
        .set((
            contacts::assignee_membership_id.eq(None::<i64>),
            contacts::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}

/// An open invitation the member sent on the organization's behalf.
#[derive(Debug, Clone, Queryable)]
pub struct SentInvitation {
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// At most this many of a member's open invitations are listed.
pub const SENT_LIMIT: i64 = 50;

pub fn open_invitations_sent(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
) -> QueryResult<Vec<SentInvitation>> {
    use super::schema::invitations as i;
    i::table
        .filter(i::organization_id.eq(org))
        .filter(i::inviter_account_id.eq(account))
        .filter(i::status.eq(crate::domain::InvitationStatus::Pending))
        .order((i::created_at.desc(), i::id.desc()))
        .select((i::email, i::created_at, i::expires_at))
        .limit(SENT_LIMIT)
        .load(conn)
}

/// Keeps the sender's name on their invitations before their account goes.
pub fn keep_inviter_name(
    conn: &mut PgConnection,
    account: AccountId,
    name: &str,
) -> QueryResult<usize> {
    use super::schema::invitations as i;
    diesel::update(i::table.filter(i::inviter_account_id.eq(account)))
        .set(i::inviter_name.eq(name))
        .execute(conn)
}
