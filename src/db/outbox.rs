//! The outbox: messages written in the same transaction as the change that
//! causes them, and claimed by the delivery worker with `FOR UPDATE SKIP LOCKED`
//! so that several instances never take the same row.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};

use super::schema::outbox;
use super::sql::Statement;

pub struct NewMessage<'a> {
    pub kind: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    pub invitation: Option<i64>,
}

pub fn insert(conn: &mut PgConnection, m: NewMessage<'_>) -> QueryResult<i64> {
    only(insert_rows(conn, vec![m], None)?)
}

/// A message whose link belongs to a password reset: the worker gives it its
/// token when sending.
pub fn insert_for_password_reset(
    conn: &mut PgConnection,
    m: NewMessage<'_>,
    reset: i64,
) -> QueryResult<i64> {
    only(insert_rows(conn, vec![m], Some(reset))?)
}

/// Many messages in one statement; their ids, in order.
pub fn insert_many(
    conn: &mut PgConnection,
    messages: Vec<NewMessage<'_>>,
) -> QueryResult<Vec<i64>> {
    insert_rows(conn, messages, None)
}

fn only(ids: Vec<i64>) -> QueryResult<i64> {
    ids.first().copied().ok_or(diesel::result::Error::NotFound)
}

fn insert_rows(
    conn: &mut PgConnection,
    messages: Vec<NewMessage<'_>>,
    password_reset: Option<i64>,
) -> QueryResult<Vec<i64>> {
    let rows: Vec<_> = messages
        .into_iter()
        .map(|m| {
            (
                outbox::kind.eq(m.kind),
                outbox::to_address.eq(m.to),
                outbox::subject.eq(m.subject),
                outbox::text_body.eq(m.text),
                outbox::html_body.eq(m.html),
                outbox::invitation_id.eq(m.invitation),
                outbox::password_reset_id.eq(password_reset),
            )
        })
        .collect();
    diesel::insert_into(outbox::table)
        .values(rows)
        .returning(outbox::id)
        .get_results(conn)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub to_address: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub text_body: String,
    #[diesel(sql_type = Text)]
    pub html_body: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub invitation_id: Option<i64>,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub password_reset_id: Option<i64>,
}

/// Takes up to `limit` due messages and marks them `sending` with a lease: a row
/// whose sender died is due again once the lease has run out.
pub fn claim_due(
    conn: &mut PgConnection,
    limit: i64,
    lease_secs: i64,
) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(
        "WITH due AS (
             SELECT id FROM outbox
             WHERE status IN ('queued', 'sending') AND next_attempt_at <= now()
             ORDER BY next_attempt_at, id
             LIMIT $1
             FOR UPDATE SKIP LOCKED)
         UPDATE outbox o
         SET status = 'sending', attempts = o.attempts + 1,
             next_attempt_at = now() + make_interval(secs => $2)
         FROM due WHERE o.id = due.id
         RETURNING o.id, o.to_address, o.subject, o.text_body, o.html_body, o.invitation_id, o.attempts,
                   o.password_reset_id",
    )
    .bind::<BigInt, _>(limit)
    .bind::<diesel::sql_types::Double, _>(lease_secs as f64)
    .load(conn)
}

/// How one attempt to send a message ended.
pub enum Attempt {
    Sent,
    /// Not sent; due again at this time.
    Retry(DateTime<Utc>, String),
    /// Not sent, and no attempts left.
    Failed(String),
}

/// Records how each attempt of a batch ended, in one statement.
pub fn record_attempts(conn: &mut PgConnection, attempts: &[(i64, Attempt)]) -> QueryResult<usize> {
    if attempts.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(attempts.len());
    let mut statuses = Vec::with_capacity(attempts.len());
    let mut retry_at = Vec::with_capacity(attempts.len());
    let mut errors = Vec::with_capacity(attempts.len());
    for (id, attempt) in attempts {
        let (status, at, error) = match attempt {
            Attempt::Sent => ("sent", None, None),
            Attempt::Retry(at, error) => ("queued", Some(*at), Some(error)),
            Attempt::Failed(error) => ("failed", None, Some(error)),
        };
        ids.push(*id);
        statuses.push(status);
        retry_at.push(at);
        errors.push(error.map(|e| e.chars().take(500).collect::<String>()));
    }
    Statement::prepared(
        "UPDATE outbox o
         SET status = v.status,
             sent_at = CASE WHEN v.status = 'sent' THEN now() ELSE o.sent_at END,
             next_attempt_at = COALESCE(v.retry_at, o.next_attempt_at),
             last_error = v.error
         FROM UNNEST(",
    )
    .bind::<Array<BigInt>, _>(ids)
    .sql(", ")
    .bind::<Array<Text>, _>(statuses)
    .sql(", ")
    .bind::<Array<Nullable<Timestamptz>>, _>(retry_at)
    .sql(", ")
    .bind::<Array<Nullable<Text>>, _>(errors)
    .sql(") AS v(id, status, retry_at, error) WHERE o.id = v.id")
    .execute(conn)
}

/// Cancels claimed messages no longer wanted: `(id, reason)` pairs, in one statement.
pub fn cancel_claimed(conn: &mut PgConnection, cancelled: &[(i64, String)]) -> QueryResult<usize> {
    if cancelled.is_empty() {
        return Ok(0);
    }
    let (ids, reasons): (Vec<i64>, Vec<&str>) =
        cancelled.iter().map(|(id, r)| (*id, r.as_str())).unzip();
    Statement::prepared(
        "UPDATE outbox o SET status = 'cancelled', last_error = v.reason FROM UNNEST(",
    )
    .bind::<Array<BigInt>, _>(ids)
    .sql(", ")
    .bind::<Array<Text>, _>(reasons)
    .sql(") AS v(id, reason) WHERE o.id = v.id")
    .execute(conn)
}

/// Cancels an invitation's messages not yet sent (on revoke, or before a resend).
pub fn cancel_unsent_of_invitation(conn: &mut PgConnection, invitation: i64) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::invitation_id.eq(invitation))
            .filter(outbox::status.eq_any(["queued", "failed"])),
    )
    .set(outbox::status.eq("cancelled"))
    .execute(conn)
}

/// The messages not yet sent, for the metrics: read through the index of due
/// messages (`outbox_due_idx`), so its cost follows the backlog, not the history.
#[derive(Debug, Clone, QueryableByName)]
pub struct Backlog {
    /// Waiting for their first attempt.
    #[diesel(sql_type = BigInt)]
    pub queued: i64,
    /// Waiting for another attempt after a failed one.
    #[diesel(sql_type = BigInt)]
    pub retrying: i64,
    /// Claimed by a worker and being sent.
    #[diesel(sql_type = BigInt)]
    pub sending: i64,
    /// Seconds since the oldest of them was written.
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    pub oldest_secs: Option<f64>,
}

pub fn backlog(conn: &mut PgConnection) -> QueryResult<Backlog> {
    diesel::sql_query(
        "SELECT count(*) FILTER (WHERE status = 'queued' AND attempts = 0) AS queued,
                count(*) FILTER (WHERE status = 'queued' AND attempts > 0) AS retrying,
                count(*) FILTER (WHERE status = 'sending') AS sending,
                EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS oldest_secs
         FROM outbox
         WHERE status IN ('queued', 'sending')",
    )
    .get_result(conn)
}

/// Gives claimed messages that were not sent back to the queue, due now, as if
/// never claimed: a worker stopping mid-batch leaves them for another instance
/// (or its own restart) instead of to the lease, and sends none of them twice.
pub fn release_claimed(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::sql_query(
        "UPDATE outbox SET status = 'queued', attempts = attempts - 1, next_attempt_at = now()
         WHERE id = ANY($1) AND status = 'sending'",
    )
    .bind::<Array<BigInt>, _>(ids)
    .execute(conn)
}
