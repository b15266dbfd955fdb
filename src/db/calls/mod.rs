//! Calls: finding the team a workflow ID routes to, resolving agents among the
//! team's members, storing a batch in one statement and reading back the ones
//! that were there already. The Calls tab's pages are in [`list`].

pub mod list;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Int4, Jsonb, Nullable, Text, Timestamptz};

use super::schema::{calls, teams};
use super::sql::Statement;
use crate::domain::{calls::CallDirection, CallId, MembershipId, OrgId, TeamId};

/// The team a workflow ID routes to, within the organization, and whether it
/// is archived. The row is held `FOR KEY SHARE` until the transaction ends (as
/// the calls' foreign key would hold it anyway): archiving, deleting or
/// regenerating the workflow ID locks it `FOR UPDATE`, so they wait for a batch
/// in flight, and a batch that starts after them finds the team as they left it.
pub fn find_team_by_workflow_id(
    conn: &mut PgConnection,
    org: OrgId,
    workflow_id: &str,
) -> QueryResult<Option<(TeamId, bool)>> {
    teams::table
        .filter(teams::workflow_id.eq(workflow_id))
        .filter(teams::organization_id.eq(org))
        .select((teams::id, teams::archived_at.is_not_null()))
        .for_key_share()
        .first(conn)
        .optional()
}

/// An active member of the team, by org member id and by address (lower case).
#[derive(Debug, QueryableByName)]
pub struct TeamAgent {
    #[diesel(sql_type = BigInt)]
    pub membership_id: MembershipId,
    #[diesel(sql_type = Text)]
    pub email: String,
}

/// Those of the named members and addresses who are active members of the
/// team. Addresses are compared in lower case, as accounts are unique.
pub fn find_team_agents(
    conn: &mut PgConnection,
    team: TeamId,
    ids: Vec<i64>,
    emails: Vec<String>,
) -> QueryResult<Vec<TeamAgent>> {
    Statement::prepared(
        "SELECT m.id AS membership_id, lower(a.email) AS email \
         FROM team_memberships tm JOIN memberships m ON m.id = tm.membership_id \
         JOIN accounts a ON a.id = m.account_id \
         WHERE tm.team_id = ",
    )
    .bind::<BigInt, _>(team)
    .sql(" AND m.status = 'active' AND (m.id = ANY(")
    .bind::<Array<BigInt>, _>(ids)
    .sql(") OR lower(a.email) = ANY(")
    .bind::<Array<Text>, _>(emails)
    .sql("))")
    .load(conn)
}

/// The columns of a batch, one entry per call, in the batch's order.
#[derive(Debug, Default)]
pub struct NewCalls {
    pub external_ids: Vec<String>,
    pub started_at: Vec<DateTime<Utc>>,
    pub durations: Vec<i32>,
    pub directions: Vec<CallDirection>,
    pub from_numbers: Vec<String>,
    pub to_numbers: Vec<String>,
    pub agents: Vec<Option<MembershipId>>,
    pub metadata: Vec<serde_json::Value>,
}

/// A call just stored.
#[derive(Debug, QueryableByName)]
pub struct Stored {
    #[diesel(sql_type = BigInt)]
    pub id: CallId,
    #[diesel(sql_type = Text)]
    pub external_id: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// Stores a batch in one statement, as arrays: its text is the same for one
/// call or a thousand, so it is prepared once per connection. A call whose
/// external id the team already has, or that an earlier call of the same batch
/// had, is skipped (`ON CONFLICT DO NOTHING`) and not returned; the caller reads
/// those with [`find_by_external_ids`]. Skipping costs an index probe, where a
/// stored call costs that plus the row and its indexes.
///
/// Rows go in by external id (then by place in the batch, so the first of a
/// repeated id is the one kept): concurrent batches sharing ids not yet
/// committed then wait on each other's unique-index entries in one order,
/// where the batch's own order let two of them deadlock (a 500, found by
/// `BENCH_ONLY=calls` with 20% repeated ids at 16 connections).
pub fn insert_batch(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    batch: NewCalls,
) -> QueryResult<Vec<Stored>> {
    Statement::prepared(
        "INSERT INTO calls (organization_id, team_id, external_id, started_at, duration_seconds, \
         direction, from_number, to_number, agent_membership_id, metadata) \
         SELECT ",
    )
    .bind::<BigInt, _>(org)
    .sql(", ")
    .bind::<BigInt, _>(team)
    .sql(
        ", u.external_id, u.started_at, u.duration_seconds, u.direction, u.from_number, \
         u.to_number, u.agent, u.metadata FROM unnest(",
    )
    .bind::<Array<Text>, _>(batch.external_ids)
    .sql(", ")
    .bind::<Array<Timestamptz>, _>(batch.started_at)
    .sql(", ")
    .bind::<Array<Int4>, _>(batch.durations)
    .sql(", ")
    .bind::<Array<Text>, _>(batch.directions)
    .sql(", ")
    .bind::<Array<Text>, _>(batch.from_numbers)
    .sql(", ")
    .bind::<Array<Text>, _>(batch.to_numbers)
    .sql(", ")
    .bind::<Array<Nullable<BigInt>>, _>(batch.agents)
    .sql(", ")
    .bind::<Array<Jsonb>, _>(batch.metadata)
    .sql(
        ") WITH ORDINALITY AS u(external_id, started_at, duration_seconds, direction, \
         from_number, to_number, agent, metadata, n) ORDER BY u.external_id, u.n \
         ON CONFLICT (team_id, external_id) DO NOTHING RETURNING id, external_id, created_at",
    )
    .load(conn)
}

/// A call as it is stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = calls)]
pub struct Call {
    pub id: CallId,
    pub external_id: String,
    pub started_at: DateTime<Utc>,
    pub duration_seconds: i32,
    pub direction: CallDirection,
    pub from_number: String,
    pub to_number: String,
    pub agent_membership_id: Option<MembershipId>,
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// The team's calls with these external ids (by the unique key's index).
pub fn find_by_external_ids(
    conn: &mut PgConnection,
    team: TeamId,
    external_ids: &[&str],
) -> QueryResult<Vec<Call>> {
    calls::table
        .filter(calls::team_id.eq(team))
        .filter(calls::external_id.eq_any(external_ids))
        .select(Call::as_select())
        .load(conn)
}

/// Only the ids of the team's calls with these external ids, for a batch's
/// answer (an index-only read when the visibility map allows).
pub fn find_ids_by_external_ids(
    conn: &mut PgConnection,
    team: TeamId,
    external_ids: &[&str],
) -> QueryResult<Vec<(CallId, String)>> {
    calls::table
        .filter(calls::team_id.eq(team))
        .filter(calls::external_id.eq_any(external_ids))
        .select((calls::id, calls::external_id))
        .load(conn)
}
