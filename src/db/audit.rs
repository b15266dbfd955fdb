//! Audit events: append-only, written in the same transaction as the change.

use diesel::prelude::*;
use serde_json::Value;

use super::schema::{audit_events, organizations};
use crate::domain::{AccountId, OrgId};

pub mod log;

/// One audit event, built by services and written with [`insert`].
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub organization_id: Option<OrgId>,
    pub actor: Option<AccountId>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// One event: a statement PostgreSQL keeps prepared (a batch's text varies
/// with its size).
pub fn insert(conn: &mut PgConnection, event: NewEvent<'_>) -> QueryResult<usize> {
    values(
        super::sql::Statement::prepared(
            "INSERT INTO audit_events (organization_id, actor_account_id, action, target_type, target_id, before, after) \
             VALUES (",
        ),
        event,
    )
    .sql(")")
    .execute(conn)
}

/// `q` (a `WITH` clause defining `rows`) followed by an INSERT of `event` once
/// per row of `rows`: the event is written only if the change it records was.
pub fn insert_from<'a>(
    q: super::sql::Statement<'a>,
    rows: &'static str,
    event: NewEvent<'a>,
) -> super::sql::Statement<'a> {
    let q = q.sql(
        "INSERT INTO audit_events (organization_id, actor_account_id, action, target_type, target_id, before, after) \
         SELECT ",
    );
    values(q, event).sql(" FROM ").sql(rows)
}

/// The event's seven values, comma-separated.
fn values<'a>(q: super::sql::Statement<'a>, event: NewEvent<'a>) -> super::sql::Statement<'a> {
    use diesel::sql_types::{BigInt, Jsonb, Nullable, Text};
    q.bind::<Nullable<BigInt>, _>(event.organization_id.map(|o| o.0))
        .sql(", ")
        .bind::<Nullable<BigInt>, _>(event.actor.map(|a| a.0))
        .sql(", ")
        .bind::<Text, _>(event.action)
        .sql(", ")
        .bind::<Text, _>(event.target_type)
        .sql(", ")
        .bind::<Nullable<Text>, _>(event.target_id)
        .sql(", ")
        .bind::<Nullable<Jsonb>, _>(event.before)
        .sql(", ")
        .bind::<Nullable<Jsonb>, _>(event.after)
}

/// Many events in one statement (a bulk change writes one per row it changes).
pub fn insert_many(conn: &mut PgConnection, events: Vec<NewEvent<'_>>) -> QueryResult<usize> {
    let rows: Vec<_> = events
        .into_iter()
        .map(|event| {
            (
                audit_events::organization_id.eq(event.organization_id.map(|o| o.0)),
                audit_events::actor_account_id.eq(event.actor.map(|a| a.0)),
                audit_events::action.eq(event.action),
                audit_events::target_type.eq(event.target_type),
                audit_events::target_id.eq(event.target_id),
                audit_events::before.eq(event.before),
                audit_events::after.eq(event.after),
            )
        })
        .collect();
    diesel::insert_into(audit_events::table)
        .values(rows)
        .execute(conn)
}

pub fn count_by_action(conn: &mut PgConnection, org: OrgId, action: &str) -> QueryResult<i64> {
    audit_events::table
        .filter(audit_events::organization_id.eq(org.0))
        .filter(audit_events::action.eq(action))
        .count()
        .get_result(conn)
}

/// How many days the organization keeps its events; `None` keeps them forever.
pub fn retention_of(conn: &mut PgConnection, org: OrgId) -> QueryResult<Option<i32>> {
    organizations::table
        .find(org.0)
        .select(organizations::audit_retention_days)
        .first(conn)
}

/// Sets the retention, returning what it was (the row locked until the transaction ends).
pub fn set_retention(
    conn: &mut PgConnection,
    org: OrgId,
    days: Option<i32>,
) -> QueryResult<Option<i32>> {
    let was: Option<i32> = organizations::table
        .find(org.0)
        .select(organizations::audit_retention_days)
        .for_update()
        .first(conn)?;
    diesel::update(organizations::table.find(org.0))
        .set(organizations::audit_retention_days.eq(days))
        .execute(conn)?;
    Ok(was)
}

/// The organizations that keep events for a limited time, with their days.
pub fn retentions(conn: &mut PgConnection) -> QueryResult<Vec<(i64, i32)>> {
    organizations::table
        .filter(organizations::audit_retention_days.is_not_null())
        .select((
            organizations::id,
            organizations::audit_retention_days.assume_not_null(),
        ))
        .order(organizations::id)
        .load(conn)
}

/// Deletes up to `batch` of the organization's events older than `before`
/// (oldest first, by the organization's time index); how many went.
pub fn delete_older_than(
    conn: &mut PgConnection,
    org: OrgId,
    before: chrono::DateTime<chrono::Utc>,
    batch: i64,
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Timestamptz};
    super::sql::Statement::prepared(
        "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE organization_id = ",
    )
    .bind::<BigInt, _>(org.0)
    .sql(" AND created_at < ")
    .bind::<Timestamptz, _>(before)
    .sql(" ORDER BY created_at, id LIMIT ")
    .bind::<BigInt, _>(batch)
    .sql(")")
    .execute(conn)
}
