//! Invitation queries: found by token hash (under a row lock when accepting or
//! revoking), by pending membership for the members page, and their changes.
//! Every lookup by id is also filtered by organization.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{accounts, invitations, organizations};
use crate::domain::{AccountId, InvitationStatus, MembershipId, MembershipStatus, OrgId, OrgRole};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invitations)]
pub struct Invitation {
    pub id: i64,
    pub organization_id: i64,
    pub membership_id: Option<i64>,
    pub email: String,
    pub role: OrgRole,
    pub teams: serde_json::Value,
    pub permissions: Option<Vec<String>>,
    pub inviter_account_id: Option<i64>,
    pub expires_at: DateTime<Utc>,
    pub status: InvitationStatus,
    pub created_at: DateTime<Utc>,
    /// The invitation created the invitee's account (the address was new).
    pub created_account: bool,
}

pub struct NewInvitation<'a> {
    pub org: OrgId,
    pub membership: MembershipId,
    pub email: &'a str,
    pub role: &'a str,
    pub teams: serde_json::Value,
    pub permissions: Option<Vec<String>>,
    pub inviter: AccountId,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
    /// The invitee's account is created for this invitation.
    pub created_account: bool,
}

pub fn insert(conn: &mut PgConnection, new: NewInvitation<'_>) -> QueryResult<i64> {
    insert_many(conn, vec![new])?
        .first()
        .map(|r| r.0)
        .ok_or(diesel::result::Error::NotFound)
}

/// Many invitations in one statement: (invitation id, membership id) each.
pub fn insert_many(
    conn: &mut PgConnection,
    new: Vec<NewInvitation<'_>>,
) -> QueryResult<Vec<(i64, Option<i64>)>> {
    let rows: Vec<_> = new
        .into_iter()
        .map(|new| {
            (
                invitations::organization_id.eq(new.org.0),
                invitations::membership_id.eq(new.membership.0),
                invitations::email.eq(new.email),
                invitations::role.eq(new.role),
                invitations::teams.eq(new.teams),
                invitations::permissions.eq(new.permissions),
                invitations::inviter_account_id.eq(new.inviter.0),
                invitations::token_hash.eq(new.token_hash),
                invitations::expires_at.eq(new.expires_at),
                invitations::created_account.eq(new.created_account),
            )
        })
        .collect();
    diesel::insert_into(invitations::table)
        .values(rows)
        .returning((invitations::id, invitations::membership_id))
        .get_results(conn)
}

/// Each address's account and its membership status in `org` (any status):
/// (lower-cased email, account id, membership status), for addresses that
/// have an account.
pub fn standing_of(
    conn: &mut PgConnection,
    org: OrgId,
    emails: &[String],
) -> QueryResult<Vec<(String, i64, Option<MembershipStatus>)>> {
    use super::schema::memberships;
    accounts::table
        .left_join(
            memberships::table.on(memberships::account_id
                .eq(accounts::id)
                .and(memberships::organization_id.eq(org.0))),
        )
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(accounts.email) = ANY(")
                .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(emails)
                .sql(")"),
        )
        .select((
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(accounts.email)"),
            accounts::id,
            memberships::status.nullable(),
        ))
        .load(conn)
}

/// The invitation a token stands for, as the accept page shows it: with the
/// organization's name and the inviter's name.
pub fn find_by_hash(
    conn: &mut PgConnection,
    hash: &[u8],
) -> QueryResult<Option<(Invitation, String, Option<String>)>> {
    invitations::table
        .inner_join(organizations::table)
        .left_join(accounts::table.on(accounts::id.nullable().eq(invitations::inviter_account_id)))
        .filter(invitations::token_hash.eq(hash))
        .select((
            Invitation::as_select(),
            organizations::name,
            accounts::display_name.nullable(),
        ))
        .first(conn)
        .optional()
}

/// The invitation of a token, row-locked so that concurrent accepts and a revoke
/// take turns.
pub fn lock_by_hash(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<Invitation>> {
    invitations::table
        .filter(invitations::token_hash.eq(hash))
        .select(Invitation::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The open invitation of a pending membership (pending, or expired and not yet
/// purged: both can be resent or revoked), row-locked.
pub fn lock_pending_of_member(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
) -> QueryResult<Option<Invitation>> {
    let open = || {
        invitations::table
            .filter(invitations::organization_id.eq(org.0))
            .filter(invitations::membership_id.eq(member.0))
            .filter(
                invitations::status.eq_any([InvitationStatus::Pending, InvitationStatus::Expired]),
            )
    };
    let ids: Vec<i64> = open().select(invitations::id).load(conn)?;
    lock_messages(conn, &ids)?;
    open()
        .select(Invitation::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Locks the outbox messages of the invitations `ids` selects, which every
/// lock of an invitation for a change takes first: the delivery worker locks
/// a message and then its invitation, so a change that locks the invitation
/// and then cancels its messages must take the same order, or a revoke racing
/// a send deadlocks into a 500 (`teams::add_by_email::revoking_the_invitation…`
/// failed 2 of 12 runs under load without it).
fn lock_messages(conn: &mut PgConnection, invitations: &[i64]) -> QueryResult<()> {
    use super::schema::outbox;
    outbox::table
        .filter(outbox::invitation_id.eq_any(invitations.iter().map(|id| Some(*id))))
        .select(outbox::id)
        .order(outbox::id)
        .for_update()
        .load::<i64>(conn)
        .map(drop)
}

/// The invitations with these ids, locked in id order so that two batches
/// sharing some wait for each other rather than deadlock; deleted ones are missing.
pub fn lock_by_ids(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<Vec<Invitation>> {
    invitations::table
        .filter(invitations::id.eq_any(ids))
        .order(invitations::id)
        .select(Invitation::as_select())
        .for_update()
        .load(conn)
}

/// New token hashes for many invitations in one statement: `(id, hash)` pairs
/// with distinct ids.
pub fn set_token_hashes(conn: &mut PgConnection, hashes: &[(i64, Vec<u8>)]) -> QueryResult<usize> {
    super::tokens::set_hashes(conn, "invitations", hashes)
}

/// A link issued again: a new token and expiry, open again if it had expired,
/// due for a new reminder; `copied` says whether the link went to a manager
/// rather than out by email.
pub fn reissue(
    conn: &mut PgConnection,
    id: i64,
    hash: &[u8],
    expires_at: DateTime<Utc>,
    copied: bool,
) -> QueryResult<usize> {
    diesel::update(invitations::table.find(id))
        .set((
            invitations::token_hash.eq(hash),
            invitations::expires_at.eq(expires_at),
            invitations::status.eq(InvitationStatus::Pending),
            invitations::reminded_at.eq(None::<DateTime<Utc>>),
            invitations::link_copied_at.eq(copied.then(Utc::now)),
        ))
        .execute(conn)
}

pub fn set_status(
    conn: &mut PgConnection,
    id: i64,
    status: InvitationStatus,
) -> QueryResult<usize> {
    let accepted_at = (status == InvitationStatus::Accepted).then(Utc::now);
    diesel::update(invitations::table.find(id))
        .set((
            invitations::status.eq(status),
            invitations::accepted_at.eq(accepted_at),
        ))
        .execute(conn)
}

/// What the members page shows about a pending member's invitation.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PendingDetails {
    pub membership_id: i64,
    pub inviter: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub delivery: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// Pending, or Expired once the upkeep job has marked it.
    pub status: InvitationStatus,
    pub link_copied_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
    /// Made by account ID: accepted in-app, the invitee known by the ID.
    #[serde(default)]
    pub in_app: bool,
}

/// For a members list statement whose membership is `m`: a pending member's
/// latest open invitation with the state of its latest email, as the JSON of
/// [`PendingDetails`] (NULL for anyone not pending, without looking).
pub const OPEN_INVITATION_OF_M: &str = "(SELECT jsonb_build_object(
       'membership_id', i.membership_id, 'inviter', COALESCE(ia.display_name, i.inviter_name),
       'created_at', i.created_at, 'expires_at', i.expires_at,
       'delivery', o.status, 'attempts', COALESCE(o.attempts, 0),
       'last_error', o.last_error, 'status', i.status,
       'link_copied_at', i.link_copied_at, 'reminded_at', i.reminded_at,
       'in_app', m.invited_as IS NOT NULL)
     FROM invitations i
     LEFT JOIN accounts ia ON ia.id = i.inviter_account_id
     LEFT JOIN LATERAL (SELECT status, attempts, last_error FROM outbox
                        WHERE invitation_id = i.id AND status <> 'cancelled'
                        ORDER BY id DESC LIMIT 1) o ON true
     WHERE m.status = 'pending' AND i.membership_id = m.id
       AND i.organization_id = m.organization_id AND i.status IN ('pending', 'expired')
     ORDER BY i.id DESC LIMIT 1)";

/// The account's membership in the organization, any status: (id, status).
pub fn membership_of(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
) -> QueryResult<Option<(i64, MembershipStatus)>> {
    use super::schema::memberships;
    memberships::table
        .filter(memberships::organization_id.eq(org))
        .filter(memberships::account_id.eq(account))
        .select((memberships::id, memberships::status))
        .first(conn)
        .optional()
}

/// Pending → active; 0 when the membership is no longer pending.
pub fn activate_membership(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
) -> QueryResult<usize> {
    use super::schema::memberships;
    diesel::update(
        memberships::table
            .filter(memberships::id.eq(member))
            .filter(memberships::organization_id.eq(org))
            .filter(memberships::status.eq(MembershipStatus::Pending)),
    )
    .set((
        memberships::status.eq(MembershipStatus::Active),
        memberships::updated_at.eq(diesel::dsl::now),
        memberships::version.eq(memberships::version + 1),
    ))
    .execute(conn)
}

pub fn delete_pending_membership(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
) -> QueryResult<usize> {
    use super::schema::memberships;
    diesel::delete(
        memberships::table
            .filter(memberships::id.eq(member))
            .filter(memberships::organization_id.eq(org))
            .filter(memberships::status.eq(MembershipStatus::Pending)),
    )
    .execute(conn)
}

/// The invitation's own permission set, given to the membership on accept.
pub fn set_member_permissions(
    conn: &mut PgConnection,
    member: MembershipId,
    permissions: &[String],
) -> QueryResult<usize> {
    use super::schema::memberships;
    diesel::update(memberships::table.find(member))
        .set((
            memberships::permissions.eq(permissions),
            memberships::version.eq(memberships::version + 1),
        ))
        .execute(conn)
}

/// Marks a pending membership as invited by account ID: the organization
/// knows the invitee by `public_id` until they accept (migration 000016).
pub fn set_invited_as(
    conn: &mut PgConnection,
    member: MembershipId,
    public_id: &str,
) -> QueryResult<usize> {
    use super::schema::memberships;
    diesel::update(memberships::table.find(member))
        .set(memberships::invited_as.eq(public_id))
        .execute(conn)
}

/// The account ID a membership of `org` was invited by, if it was.
pub fn invited_as(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
) -> QueryResult<Option<String>> {
    use super::schema::memberships;
    memberships::table
        .filter(memberships::id.eq(member))
        .filter(memberships::organization_id.eq(org))
        .select(memberships::invited_as)
        .first(conn)
        .optional()
        .map(Option::flatten)
}

/// Invitation `id`, row-locked, if it is addressed to `account` (through its
/// pending membership); anyone else's, or one whose membership is gone, is `None`.
pub fn lock_for_account(
    conn: &mut PgConnection,
    id: i64,
    account: AccountId,
) -> QueryResult<Option<Invitation>> {
    use super::schema::memberships;
    lock_messages(conn, &[id])?;
    invitations::table
        .inner_join(
            memberships::table.on(memberships::id
                .nullable()
                .eq(invitations::membership_id)
                .and(memberships::organization_id.eq(invitations::organization_id))),
        )
        .filter(invitations::id.eq(id))
        .filter(memberships::account_id.eq(account))
        .select(Invitation::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// An open invitation as its invitee's home page shows it.
#[derive(Debug, Clone, QueryableByName)]
pub struct OpenInvitation {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub organization_id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub org_name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub inviter: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub role: String,
    /// The names of the teams it puts them in, by name.
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Text>)]
    pub teams: Vec<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub expires_at: DateTime<Utc>,
}

/// The open (pending, unexpired) invitations addressed to `account`, newest first.
pub fn list_open_for_account(
    conn: &mut PgConnection,
    account: AccountId,
) -> QueryResult<Vec<OpenInvitation>> {
    diesel::sql_query(
        "SELECT i.id, i.organization_id, o.name AS org_name, ia.display_name AS inviter, i.role,
                ARRAY(SELECT t.name FROM teams t
                      WHERE t.organization_id = i.organization_id AND t.archived_at IS NULL
                        AND t.id IN (SELECT (e ->> 'team')::bigint FROM jsonb_array_elements(i.teams) e)
                      ORDER BY lower(t.name), t.id) AS teams,
                i.expires_at
         FROM memberships m
         JOIN invitations i ON i.membership_id = m.id AND i.organization_id = m.organization_id
         JOIN organizations o ON o.id = i.organization_id
         LEFT JOIN accounts ia ON ia.id = i.inviter_account_id
         WHERE m.account_id = $1 AND m.status = 'pending'
           AND i.status = 'pending' AND i.expires_at > now()
         ORDER BY i.created_at DESC, i.id DESC",
    )
    .bind::<diesel::sql_types::BigInt, _>(account.0)
    .load(conn)
}
