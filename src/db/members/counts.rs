//! Where a page's "of N" comes from. What a count depends on is decided once,
//! by [`basis`]; the trigger-kept counts and the search counts this server
//! remembers ([`SearchCounts`]) are read here.

use diesel::{
    prelude::*,
    sql_types::{BigInt, Text},
};

use super::super::sql::Statement;
use super::filter::{with_filters, MemberFilter};
use super::plan::statement;
use crate::domain::{MembershipStatus, OrgId};
use crate::kept::Kept;

/// What the number of members a filter matches depends on, and so where the
/// list may read it from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountBasis {
    /// The plain list, or one narrowed by status only: its length is a count
    /// that a trigger keeps in `membership_counts` (migration 000002's
    /// `memberships_count`), read by the page's own statement.
    Kept,
    /// A search by name or email (and status). Which members it matches
    /// changes only when the organization's `changes` moves, so a count made
    /// at some `changes` is exact for as long as `changes` has not moved.
    ///
    /// **The invariant the [`SearchCounts`] cache rests on**: the trigger
    /// `memberships_count` (migration 000011, `member_list_changes`) bumps
    /// `membership_counts.changes` on every insert, delete, move between
    /// organizations, change of status or of Owner-ness, and change of
    /// `search_text` (name or email) of a membership, which is everything a
    /// search's matches depend on. Proved by the test
    /// `members::list::a_searchs_count_follows_every_change_to_whom_it_matches`.
    /// A filter that reads anything else (role, team, one account) cannot be
    /// remembered: those change without `changes` moving.
    Search,
    /// A role, team or own-row filter: counted each time (a window over the
    /// page's rows, or a count of its own).
    Counted,
}

/// What the count of `filter`'s matches depends on (see [`CountBasis`]).
pub fn basis(filter: &MemberFilter) -> CountBasis {
    match filter {
        MemberFilter {
            search: None,
            role: None,
            team: None,
            only_account: None,
            ..
        } => CountBasis::Kept,
        MemberFilter {
            search: Some(_),
            role: None,
            team: None,
            only_account: None,
            ..
        } => CountBasis::Search,
        _ => CountBasis::Counted,
    }
}

/// The searches' counts this server has made, each with the organization's
/// `changes` when it was made. A count is reused only while `changes` is the
/// same, so it is what counting again would say (the invariant is stated at
/// [`CountBasis::Search`]); a page of a search it knows reads its rows without
/// the window that counts every match.
#[derive(Debug, Default)]
pub struct SearchCounts(Kept<SearchKey, Counted, 10_000>);

/// (organization, search text, status).
pub(super) type SearchKey = (i64, String, Option<MembershipStatus>);

/// A search's count and the organization's `changes` it was made at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub changes: i64,
    pub total: i64,
}

impl SearchCounts {
    /// The key a count of `filter` is remembered under: only a search's.
    pub(super) fn key(org: OrgId, filter: &MemberFilter) -> Option<SearchKey> {
        match (basis(filter), &filter.search) {
            (CountBasis::Search, Some(search)) => Some((org.0, search.clone(), filter.status)),
            _ => None,
        }
    }

    pub(super) fn get(&self, key: &SearchKey) -> Option<Counted> {
        self.0.get(key)
    }

    pub(super) fn put(&self, key: SearchKey, counted: Counted) {
        self.0.put(key, counted);
    }
}

/// A count from one statement.
#[derive(QueryableByName)]
pub(super) struct Count {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The members a search or filter matches, counted apart: for a page past the
/// last, where the page's own count saw no rows, and for a search whose
/// remembered count is out of date.
pub(super) fn count_matches(
    conn: &mut PgConnection,
    org: OrgId,
    filter: &MemberFilter,
) -> QueryResult<i64> {
    Ok(count_statement(org, filter).get_result::<Count>(conn)?.n)
}

/// The statement of [`count_matches`].
pub(super) fn count_statement(org: OrgId, filter: &MemberFilter) -> Statement<'static> {
    let start = statement(filter, "SELECT count(*) AS n FROM memberships m");
    with_filters(start, org, filter)
}

#[derive(QueryableByName)]
pub(super) struct KeptCounts {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub owners: i64,
    /// Moves whenever which members a search matches may have changed.
    #[diesel(sql_type = BigInt)]
    pub changes: i64,
}

/// From the trigger-kept counts: the members of one status (or the active and
/// pending ones), and the active Owners.
pub(super) fn kept_counts(
    conn: &mut PgConnection,
    org: OrgId,
    status: Option<MembershipStatus>,
) -> QueryResult<KeptCounts> {
    kept_counts_sql(Statement::prepared(""), org, status).get_result(conn)
}

/// The statement of [`kept_counts`], appended to `q`.
pub(super) fn kept_counts_sql<'a>(
    q: Statement<'a>,
    org: OrgId,
    status: Option<MembershipStatus>,
) -> Statement<'a> {
    let statuses: Vec<MembershipStatus> = match status {
        Some(status) => vec![status],
        None => vec![MembershipStatus::Active, MembershipStatus::Pending],
    };
    q.sql("SELECT COALESCE(sum(n) FILTER (WHERE status = ANY(")
        .bind::<diesel::sql_types::Array<Text>, _>(statuses)
        .sql(
            ")), 0)::bigint AS n, \
             COALESCE(sum(n) FILTER (WHERE status = 'active' AND owner), 0)::bigint AS owners, \
             COALESCE(sum(changes), 0)::bigint AS changes \
             FROM membership_counts WHERE organization_id = ",
        )
        .bind::<BigInt, _>(org.0)
}
