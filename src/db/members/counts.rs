//! Where a page's "of N" comes from. What a count depends on is decided once,
//! by [`basis`]; the trigger-kept counts and the search counts this server
//! remembers ([`SearchCounts`]) are read here.

use diesel::{
    prelude::*,
    sql_types::{BigInt, Text},
};

use super::super::sql::Statement;
use super::filter::{with_filters, MemberFilter, MemberSort};
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
    ///
    /// The search pages [`SearchCounts`] keeps (their members' ids) rest on
    /// the same invariant: a page of a search by name holds the matches in
    /// `sort_name` order, and `sort_name` is made from the same name, email
    /// and status as `search_text` (migration 000016,
    /// `memberships_copy_account` and `accounts_sync_memberships`), so no
    /// member enters, leaves or moves within such a page while `changes`
    /// stays. Proved by `members::list::a_kept_search_page_follows_every_change_to_whom_it_shows`.
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
/// the window that counts every match. Beside them, how many members each
/// organization had when this server last read a page of it: what decides
/// whether a new search may count every match ([`LARGE_FROM`]).
#[derive(Debug, Default)]
pub struct SearchCounts {
    counts: Kept<SearchKey, Counted, 10_000>,
    sizes: Kept<i64, i64, 10_000>,
    /// The pages of searches this server has read: which members each held,
    /// at which `changes` (see [`CountBasis::Search`]). A search asked again
    /// reads its page's members by id instead of walking the organization's
    /// names to find them: at 1,000,000 members a common name's page walks
    /// some 17,000 entries.
    pages: Kept<PageKey, KeptPage, 10_000>,
    /// Each large organization's common words ([`common_words`]), learned
    /// once by this server: which words nearly every member shares (a domain,
    /// a prefix) changes with the organization's make-up, not with each change.
    words: Kept<i64, std::sync::Arc<[String]>, 10_000>,
}

/// (organization, search text, status).
pub(super) type SearchKey = (i64, String, Option<MembershipStatus>);

/// A page of a search: the search, its order by name, the rows it skips and
/// how many it shows.
pub(super) type PageKey = (SearchKey, MemberSort, i64, i64);

/// A search's page as read at the organization's `changes`: its members'
/// ids, in the list's order.
#[derive(Debug, Clone)]
pub(super) struct KeptPage {
    pub changes: i64,
    pub ids: std::sync::Arc<[i64]>,
}

/// A search's count and the organization's `changes` it was made at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted {
    pub changes: i64,
    pub total: i64,
    /// An estimate from a sample ([`estimate`]), shown as "about".
    pub approximate: bool,
}

/// From this many members on, an organization's new search does not count
/// every match by walking all of its members: a search of three letters or
/// more counts its matches from the trigram index (up to [`TRIGRAM_MOST`]),
/// and a shorter or commoner one is estimated from a sample.
pub const LARGE_FROM: i64 = 50_000;

/// The most matches a new search in a large organization counts exactly from
/// the trigram index; past this, its count is estimated.
pub const TRIGRAM_MOST: i64 = 10_000;

/// An estimate of at least this many matches is shown as one ("about
/// 250,000"); below it, the matches are counted.
pub const APPROXIMATE_FROM: i64 = 10_000;

/// About how many of the organization's members a sample reads to estimate.
const SAMPLE_ROWS: f32 = 4_000.0;

/// The share of the table's pages (`TABLESAMPLE SYSTEM`'s percent) that holds
/// about [`SAMPLE_ROWS`] of an organization of `size` members.
fn sample_percent(size: i64) -> f32 {
    (100.0 * SAMPLE_ROWS / size.max(1) as f32).clamp(0.01, 100.0)
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
        self.counts.get(key)
    }

    pub(super) fn put(&self, key: SearchKey, counted: Counted) {
        self.counts.put(key, counted);
    }

    /// The key a page of `filter` is kept under: a search's, by name.
    pub(super) fn page_key(
        org: OrgId,
        filter: &MemberFilter,
        offset: i64,
        limit: i64,
    ) -> Option<PageKey> {
        let key = Self::key(org, filter)?;
        (!filter.sort.needs_accounts()).then_some((key, filter.sort, offset, limit))
    }

    pub(super) fn kept_page(&self, key: &PageKey) -> Option<KeptPage> {
        self.pages.get(key)
    }

    pub(super) fn keep_page(&self, key: PageKey, page: KeptPage) {
        self.pages.put(key, page);
    }

    /// Forgets the count of `filter`'s search, so that the next page of it
    /// counts as a new search would: the benchmark's "first-time search"
    /// scenarios ask for this (only in a `--features bench` build).
    #[cfg(feature = "bench")]
    pub fn forget(&self, org: OrgId, filter: &MemberFilter) {
        if let Some(key) = Self::key(org, filter) {
            self.counts.remove(&key);
        }
    }

    /// The organization's members (active and pending) when this server last
    /// read a page of it; `None` before the first.
    pub(super) fn size(&self, org: OrgId) -> Option<i64> {
        self.sizes.get(&org.0)
    }

    pub(super) fn put_size(&self, org: OrgId, members: i64) {
        self.sizes.put(org.0, members);
    }

    /// The organization's common words, read from a sample the first time.
    pub(super) fn common_words(
        &self,
        conn: &mut PgConnection,
        org: OrgId,
        size: i64,
    ) -> QueryResult<std::sync::Arc<[String]>> {
        if let Some(words) = self.words.get(&org.0) {
            return Ok(words);
        }
        let words: std::sync::Arc<[String]> = common_words(conn, org, size)?.into();
        self.words.put(org.0, words.clone());
        Ok(words)
    }
}

/// The words (runs of letters or digits in names and emails) that more than
/// one member in ten of a sample of the organization shares: what the trigram
/// index is not asked for (see `filter::index_fragment`).
fn common_words(conn: &mut PgConnection, org: OrgId, size: i64) -> QueryResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct SampledText {
        #[diesel(sql_type = Text)]
        search_text: String,
    }
    let rows: Vec<SampledText> =
        Statement::prepared("SELECT m.search_text FROM memberships m TABLESAMPLE SYSTEM (")
            .bind::<diesel::sql_types::Float, _>(sample_percent(size))
            .sql(") REPEATABLE (0) WHERE m.organization_id = ")
            .bind::<BigInt, _>(org.0)
            .sql(format!(
                " AND m.status <> 'archived' LIMIT {}",
                SAMPLE_ROWS as i64
            ))
            .load(conn)?;
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for row in &rows {
        let mut words: Vec<&str> = row
            .search_text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 3)
            .collect();
        words.sort_unstable();
        words.dedup();
        for word in words {
            *seen.entry(word).or_default() += 1;
        }
    }
    let most = rows.len() / 10;
    Ok(seen
        .into_iter()
        .filter(|(_, n)| *n > most)
        .map(|(word, _)| word.to_owned())
        .collect())
}

/// A sample's estimate of a search's matches.
#[derive(QueryableByName)]
struct Sampled {
    #[diesel(sql_type = BigInt)]
    hits: i64,
    #[diesel(sql_type = BigInt)]
    seen: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// About how many members `filter`'s search matches in an organization of
/// about `size`: the share of matches among the members in a sample of the
/// table's pages (the same pages every time, so a search's estimate does not
/// wander between requests), times the kept count of its status. `None` when
/// the sample held none of its members. Rounded to two significant digits.
pub(super) fn estimate(
    conn: &mut PgConnection,
    org: OrgId,
    filter: &MemberFilter,
    size: i64,
) -> QueryResult<Option<i64>> {
    let q = estimate_statement(org, filter, sample_percent(size));
    let s: Sampled = q.get_result(conn)?;
    Ok((s.seen > 0).then(|| round_estimate(s.n * s.hits / s.seen)))
}

/// The statement of [`estimate`].
pub(super) fn estimate_statement(
    org: OrgId,
    filter: &MemberFilter,
    percent: f32,
) -> Statement<'static> {
    let search = filter.search.clone().unwrap_or_default();
    let q = Statement::prepared(
        "SELECT count(*) FILTER (WHERE strpos(m.search_text, ",
    )
    .bind::<Text, _>(search)
    .sql(") > 0) AS hits, count(*) AS seen, COALESCE(min(counts.n), 0)::bigint AS n FROM memberships m TABLESAMPLE SYSTEM (")
    .bind::<diesel::sql_types::Float, _>(percent)
    .sql(") REPEATABLE (0) CROSS JOIN (");
    let q = kept_counts_sql(q, org, filter.status).sql(") counts");
    let unsearched = MemberFilter {
        search: None,
        ..filter.clone()
    };
    with_filters(q, org, &unsearched)
}

/// Two significant digits: 253,412 is about 250,000.
pub fn round_estimate(n: i64) -> i64 {
    let mut unit = 1;
    while n / unit >= 100 {
        unit *= 10;
    }
    (n + unit / 2) / unit * unit
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

#[cfg(test)]
mod tests {
    use super::round_estimate;

    #[test]
    fn an_estimate_keeps_two_significant_digits() {
        for (n, about) in [
            (0, 0),
            (42, 42),
            (99, 99),
            (253, 250),
            (10_412, 10_000),
            (38_466, 38_000),
            (253_412, 250_000),
            (996_000, 1_000_000),
        ] {
            assert_eq!(round_estimate(n), about, "{n}");
        }
    }
}
