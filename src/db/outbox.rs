//! The outbox: messages written in the same transaction as the change that
//! causes them, and claimed by the delivery worker with `FOR UPDATE SKIP LOCKED`
//! so that several instances never take the same row.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use super::schema::outbox;

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

pub fn mark_sent(conn: &mut PgConnection, id: i64) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq("sent"),
            outbox::sent_at.eq(Utc::now()),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

/// A failed attempt: due again at `retry_at`, or `failed` for good when `None`.
pub fn mark_failed_attempt(
    conn: &mut PgConnection,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> QueryResult<usize> {
    let error: String = error.chars().take(500).collect();
    match retry_at {
        Some(at) => diesel::update(outbox::table.find(id))
            .set((
                outbox::status.eq("queued"),
                outbox::next_attempt_at.eq(at),
                outbox::last_error.eq(error),
            ))
            .execute(conn),
        None => diesel::update(outbox::table.find(id))
            .set((outbox::status.eq("failed"), outbox::last_error.eq(error)))
            .execute(conn),
    }
}

pub fn mark_cancelled(conn: &mut PgConnection, id: i64, reason: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq("cancelled"),
            outbox::last_error.eq(reason),
        ))
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
