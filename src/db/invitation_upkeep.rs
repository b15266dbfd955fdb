//! Queries of the invitation upkeep job: open invitations claimed in batches
//! with `FOR UPDATE SKIP LOCKED`, so two instances running the job at once
//! never expire, remind or purge the same invitation twice.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};

/// An invitation the job acts on.
#[derive(Debug, Clone, QueryableByName)]
pub struct Due {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub organization_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub membership_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub inviter_account_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    pub expires_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "i.id, i.organization_id, i.membership_id, i.email, i.role, i.inviter_account_id, i.expires_at";

/// Marks up to `limit` pending invitations past their expiry as expired and
/// returns them.
pub fn expire_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Due>> {
    diesel::sql_query(format!(
        "WITH due AS (
             SELECT id FROM invitations
             WHERE status = 'pending' AND expires_at <= $1
             ORDER BY expires_at, id LIMIT $2
             FOR UPDATE SKIP LOCKED)
         UPDATE invitations i SET status = 'expired'
         FROM due WHERE i.id = due.id
         RETURNING {COLUMNS}"
    ))
    .bind::<Timestamptz, _>(now)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Locks up to `limit` expired invitations whose expiry is before `cutoff`.
pub fn lock_purgeable(
    conn: &mut PgConnection,
    cutoff: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Due>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM invitations i
         WHERE i.status = 'expired' AND i.expires_at <= $1
         ORDER BY i.expires_at, i.id LIMIT $2
         FOR UPDATE SKIP LOCKED"
    ))
    .bind::<Timestamptz, _>(cutoff)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Locks up to `limit` pending invitations that are due their one reminder:
/// expiring before `window_end`, not reminded yet, their link not handed out
/// by a manager, and no email of theirs queued or sent since `quiet_since`.
pub fn lock_remindable(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    window_end: DateTime<Utc>,
    quiet_since: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Due>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM invitations i
         WHERE i.status = 'pending' AND i.reminded_at IS NULL AND i.link_copied_at IS NULL
           AND i.expires_at > $1 AND i.expires_at <= $2 AND i.created_at <= $3
           AND NOT EXISTS (SELECT 1 FROM outbox o
                           WHERE o.invitation_id = i.id AND o.status <> 'cancelled'
                             AND o.created_at > $3)
         ORDER BY i.expires_at, i.id LIMIT $4
         FOR UPDATE OF i SKIP LOCKED"
    ))
    .bind::<Timestamptz, _>(now)
    .bind::<Timestamptz, _>(window_end)
    .bind::<Timestamptz, _>(quiet_since)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

pub fn mark_reminded(conn: &mut PgConnection, id: i64, now: DateTime<Utc>) -> QueryResult<usize> {
    use super::schema::invitations;
    diesel::update(invitations::table.find(id))
        .set(invitations::reminded_at.eq(now))
        .execute(conn)
}

/// Deletes a purged invitation with its pending membership, and returns the
/// account the membership belonged to.
pub fn delete_with_membership(conn: &mut PgConnection, due: &Due) -> QueryResult<Option<i64>> {
    use super::schema::{invitations, memberships};
    let account = match due.membership_id {
        Some(member) => diesel::delete(
            memberships::table
                .filter(memberships::id.eq(member))
                .filter(memberships::organization_id.eq(due.organization_id))
                .filter(memberships::status.eq(crate::domain::MembershipStatus::Pending)),
        )
        .returning(memberships::account_id)
        .get_result::<i64>(conn)
        .optional()?,
        None => None,
    };
    diesel::delete(invitations::table.find(due.id)).execute(conn)?;
    Ok(account)
}

/// Deletes an account that never set a password and belongs nowhere any more
/// (one created only for an invitation); 0 when it is kept.
pub fn delete_if_unused_without_password(
    conn: &mut PgConnection,
    account: i64,
    no_password: &str,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM accounts a
         WHERE a.id = $1 AND a.password_hash = $2
           AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = a.id)
           AND NOT EXISTS (SELECT 1 FROM invitations i
                           WHERE lower(i.email) = lower(a.email)
                             AND i.status IN ('pending', 'expired'))",
    )
    .bind::<BigInt, _>(account)
    .bind::<Text, _>(no_password)
    .execute(conn)
}
