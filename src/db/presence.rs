//! The `presence` table (one row per account and organization) and the
//! `roster_presence` notification channel every instance listens on.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz},
};
use serde::{Deserialize, Serialize};

use super::sql::Statement;
use crate::domain::presence::{Status, Tabs};
use crate::domain::{AccountId, MembershipId, OrgId};

/// The channel transitions are announced on.
pub const CHANNEL: &str = "roster_presence";

/// A member's presence as stored: the status last announced and their tabs.
#[derive(Debug, Clone)]
pub struct Stored {
    pub status: Status,
    pub tabs: Tabs,
}

#[derive(QueryableByName)]
struct StoredRow {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Jsonb)]
    tabs: serde_json::Value,
}

impl StoredRow {
    fn parse(self) -> Stored {
        Stored {
            status: Status::parse(&self.status).unwrap_or(Status::Offline),
            // A row this code did not write starts over with no tabs.
            tabs: serde_json::from_value(self.tabs).unwrap_or_default(),
        }
    }
}

/// The member's row, locked for the transaction; created (offline) if missing.
pub fn lock(conn: &mut PgConnection, org: OrgId, account: AccountId) -> QueryResult<Stored> {
    let select = || {
        Statement::prepared("SELECT status, tabs FROM presence WHERE organization_id = ")
            .bind::<BigInt, _>(org.0)
            .sql(" AND account_id = ")
            .bind::<BigInt, _>(account.0)
            .sql(" FOR UPDATE")
    };
    if let Some(row) = select().get_result::<StoredRow>(conn).optional()? {
        return Ok(row.parse());
    }
    Statement::prepared("INSERT INTO presence (organization_id, account_id) VALUES (")
        .bind::<BigInt, _>(org.0)
        .sql(", ")
        .bind::<BigInt, _>(account.0)
        .sql(") ON CONFLICT DO NOTHING")
        .execute(conn)?;
    Ok(select().get_result::<StoredRow>(conn)?.parse())
}

/// What a row becomes after a report or a tick.
pub struct Update<'a> {
    pub status: Status,
    pub tabs: &'a Tabs,
    pub last_active_at: Option<DateTime<Utc>>,
    pub next_change_at: Option<DateTime<Utc>>,
}

/// Writes a member's row; "last seen" only moves forward (tabs are
/// forgotten, the time is not). Returns it. Only `status` is indexed (the
/// partial index's predicate): an update that keeps it stays a HOT update.
pub fn save(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
    update: Update<'_>,
) -> QueryResult<Option<DateTime<Utc>>> {
    let tabs = serde_json::to_value(update.tabs)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    Statement::prepared("UPDATE presence SET status = ")
        .bind::<Text, _>(update.status.as_str())
        .sql(", tabs = ")
        .bind::<Jsonb, _>(tabs)
        .sql(", last_active_at = GREATEST(last_active_at, ")
        .bind::<Nullable<Timestamptz>, _>(update.last_active_at)
        .sql(")")
        .sql(", next_change_at = ")
        .bind::<Nullable<Timestamptz>, _>(update.next_change_at)
        .sql(" WHERE organization_id = ")
        .bind::<BigInt, _>(org.0)
        .sql(" AND account_id = ")
        .bind::<BigInt, _>(account.0)
        .sql(" RETURNING last_active_at")
        .get_result::<LastActive>(conn)
        .map(|r| r.last_active_at)
}

#[derive(QueryableByName)]
struct LastActive {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_active_at: Option<DateTime<Utc>>,
}

/// A member whose status may have changed by `now` with nobody reporting.
#[derive(QueryableByName)]
pub struct Due {
    #[diesel(sql_type = BigInt)]
    pub organization_id: i64,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = BigInt)]
    pub membership_id: i64,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Jsonb)]
    tabs: serde_json::Value,
}

impl Due {
    pub fn stored(&self) -> Stored {
        StoredRow {
            status: self.status.clone(),
            tabs: self.tabs.clone(),
        }
        .parse()
    }
}

/// Up to `limit` rows not offline whose next change is due by `now`, locked;
/// rows another instance holds are skipped (it announces them).
pub fn lock_due(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> QueryResult<Vec<Due>> {
    Statement::prepared(
        "SELECT p.organization_id, p.account_id, m.id AS membership_id, p.status, p.tabs \
         FROM presence p JOIN memberships m \
           ON m.organization_id = p.organization_id AND m.account_id = p.account_id \
         WHERE p.status <> 'offline' AND p.next_change_at <= ",
    )
    .bind::<Timestamptz, _>(now)
    .sql(" LIMIT ")
    .bind::<BigInt, _>(limit)
    .sql(" FOR UPDATE OF p SKIP LOCKED")
    .load(conn)
}

/// Ends an account's presence everywhere (signing out): every row not
/// offline goes offline with no tabs, and is returned.
pub fn end_for_account(conn: &mut PgConnection, account: AccountId) -> QueryResult<Vec<Ended>> {
    Statement::prepared(
        "UPDATE presence p SET status = 'offline', tabs = '{}', next_change_at = NULL \
         FROM memberships m WHERE p.account_id = ",
    )
    .bind::<BigInt, _>(account.0)
    .sql(
        " AND p.status <> 'offline' \
           AND m.organization_id = p.organization_id AND m.account_id = p.account_id \
         RETURNING p.organization_id, m.id AS membership_id, p.last_active_at",
    )
    .load(conn)
}

#[derive(QueryableByName)]
pub struct Ended {
    #[diesel(sql_type = BigInt)]
    pub organization_id: i64,
    #[diesel(sql_type = BigInt)]
    pub membership_id: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_active_at: Option<DateTime<Utc>>,
}

/// A member's presence as lists show it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Shown {
    #[diesel(sql_type = BigInt)]
    pub membership_id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub status: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_active_at: Option<DateTime<Utc>>,
}

/// The presence of these memberships of `org` (a team's list): one statement.
pub fn find_for_members(
    conn: &mut PgConnection,
    org: OrgId,
    members: &[MembershipId],
) -> QueryResult<Vec<Shown>> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = members.iter().map(|m| m.0).collect();
    Statement::prepared(
        "SELECT m.id AS membership_id, p.status, p.last_active_at FROM memberships m \
         LEFT JOIN presence p ON p.organization_id = m.organization_id AND p.account_id = m.account_id \
         WHERE m.organization_id = ",
    )
    .bind::<BigInt, _>(org.0)
    .sql(" AND m.id = ANY(")
    .bind::<Array<BigInt>, _>(ids)
    .sql(")")
    .load(conn)
}

/// A transition as announced on [`CHANNEL`]: short keys keep the payload small.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    #[serde(rename = "o")]
    pub org: i64,
    #[serde(rename = "m")]
    pub membership: i64,
    #[serde(rename = "a")]
    pub account: i64,
    #[serde(rename = "s")]
    pub status: String,
    /// Last active, milliseconds since the epoch.
    #[serde(rename = "l")]
    pub last_active_ms: Option<i64>,
}

/// Announces a transition to every instance, when the transaction commits.
pub fn notify(conn: &mut PgConnection, change: &Change) -> QueryResult<()> {
    let payload = serde_json::to_string(change)
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    Statement::prepared("SELECT pg_notify(")
        .bind::<Text, _>(CHANNEL)
        .sql(", ")
        .bind::<Text, _>(payload)
        .sql(")")
        .execute(conn)?;
    Ok(())
}
