//! A page of the members list: [`list_page`] asks [`plan`] how to read it,
//! writes the plan out as one statement ([`page_statement`], whose text the
//! golden tests below pin), and decorates the rows with their teams, groups and
//! services (one more statement for all of them).

use diesel::{prelude::*, sql_types::BigInt};

use super::super::invitations::{PendingDetails, OPEN_INVITATION_OF_M};
use super::super::sql::{from_json, Statement};
use super::counts::{
    count_matches, estimate, kept_counts, kept_counts_sql, Counted, KeptCounts, KeptPage,
    SearchCounts, TRIGRAM_MOST,
};
use super::filter::{
    index_fragment, with_filters, with_filters_by, Anchor, MemberFilter, SearchBy,
};
use super::plan::{
    plan, wants_estimate, wants_length, CountSource, Known, PageRequest, Plan, Start,
};
use super::row::{decorate, MemberBase, MemberRow, BASE_COLUMNS, BASE_FROM};
use crate::domain::{MembershipId, OrgId};

/// A page of members with the numbers around it.
pub struct Page {
    pub rows: Vec<MemberRow>,
    /// How many members the filter matches.
    pub total: i64,
    /// `total` is a sample's estimate (a common new search in a large
    /// organization), to be shown as "about".
    pub approximate: bool,
    /// The organization's active Owners (the rows' reasons need them).
    pub owners: i64,
    /// The open invitations of the page's pending members.
    pub invitations: Vec<PendingDetails>,
}

/// A page row with the numbers around the page, read by the same statement:
/// the filter's matches counted by the page's window (`None` unless the plan
/// counts by [`CountSource::Window`]), and the trigger-kept counts.
#[derive(QueryableByName)]
struct PageRow {
    #[diesel(embed)]
    base: MemberBase,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    total: Option<i64>,
    #[diesel(embed)]
    kept: KeptCounts,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Jsonb>)]
    invitation: Option<serde_json::Value>,
}

/// One page of members, ordered as asked, how many members the filter matches,
/// and the organization's active Owners, as [`plan`] decides to read them: a
/// page is two statements (the page with its numbers, then its teams, groups
/// and services), plus the list's length first for a deep page by number, the
/// counts apart for a page without rows, and a search's count apart when the
/// one remembered in `counts` is out of date.
/// With an `anchor` (see [`Anchor`]) the page starts beside that member;
/// `offset` is how many to skip if the anchor does not apply.
pub fn list_page(
    conn: &mut PgConnection,
    org: OrgId,
    filter: &MemberFilter,
    limit: i64,
    offset: i64,
    anchor: Option<Anchor>,
    counts: &SearchCounts,
) -> QueryResult<Page> {
    let request = PageRequest {
        limit,
        offset,
        anchor,
    };
    let key = SearchCounts::key(org, filter);
    let page_key = SearchCounts::page_key(org, filter, offset, limit);
    let kept = page_key.as_ref().and_then(|key| counts.kept_page(key));
    let kept_ids: &[i64] = kept.as_ref().map_or(&[], |page| &page.ids);
    let mut known = Known {
        remembered: key.as_ref().and_then(|key| counts.get(key)),
        size: counts.size(org),
        kept_page: kept.as_ref().map(|page| page.changes),
        ..Known::default()
    };
    let mut request = request;
    // Read the page as planned; a few findings make the plan change, each at
    // most once, and the page is read again.
    let (plan, rows) = loop {
        let plan = read_plan(conn, org, filter, &request, &mut known)?;
        // The trigram index is not asked for the organization's common words.
        let common = match (plan.count, known.size) {
            (CountSource::Trigram, Some(size)) => counts.common_words(conn, org, size)?,
            _ => Default::default(),
        };
        let rows = page_rows(conn, org, filter, &plan, &common, kept_ids)?;
        match (rows.first(), plan.count) {
            // The organization's members changed since the page was kept (and
            // so since its count, made at the same `changes`): search anew.
            _ if plan.start == Start::Kept
                && (rows.len() != kept_ids.len()
                    || rows.first().map(|row| row.kept.changes) != known.kept_page) =>
            {
                known.kept_page = None;
                known.remembered = None;
            }
            // An anchor whose member has left (or was never here) finds no
            // rows: the page number still says where the page is. (A plan that
            // went by number already did: its empty page is past the end.)
            (None, _) if matches!(plan.start, Start::At(_)) => request = request.by_number(),
            // The trigram index found too many to count: estimate instead.
            (Some(row), CountSource::Trigram) if row.total > Some(TRIGRAM_MOST) => {
                known.overflowed = true;
            }
            // A large organization's remembered count is out of date: count
            // it as a new search rather than every match.
            (Some(row), CountSource::Remembered(counted))
                if counted.changes != row.kept.changes && known.large() =>
            {
                known.remembered = None;
            }
            _ => break (plan, rows),
        }
    };
    // The size as read with this page, noted only when it is news to this
    // server (`known.size` was read before the page): a page of a known size
    // takes no lock.
    if let (None, Some(row)) = (filter.status, rows.first()) {
        if known.size != Some(row.kept.n) {
            counts.put_size(org, row.kept.n);
        }
    }
    // A search's page found by a walk (or the trigram index) is kept, so the
    // same page asked again reads its members by id.
    if let (Some(page_key), Some(row), false) = (page_key, rows.first(), plan.start == Start::Kept)
    {
        let ids = rows.iter().map(|row| row.base.id).collect();
        counts.keep_page(
            page_key,
            KeptPage {
                changes: row.kept.changes,
                ids,
            },
        );
    }
    let (total, approximate, owners) = match rows.first() {
        Some(row) => {
            let (total, approximate) = match plan.count {
                CountSource::Kept => (row.kept.n, false),
                CountSource::Window | CountSource::Trigram => {
                    (row.total.unwrap_or_default(), false)
                }
                CountSource::Estimated(estimate) => (estimate, true),
                CountSource::Remembered(known) if known.changes == row.kept.changes => {
                    (known.total, known.approximate)
                }
                CountSource::Remembered(_) => (count_matches(conn, org, filter)?, false),
            };
            // Written only when it is news: a count remembered at these
            // `changes` is already what would be written.
            let changes = row.kept.changes;
            let unchanged =
                matches!(plan.count, CountSource::Remembered(c) if c.changes == changes);
            if let (Some(key), false) = (key, unchanged) {
                counts.put(
                    key,
                    Counted {
                        changes,
                        total,
                        approximate,
                    },
                );
            }
            (total, approximate, row.kept.owners)
        }
        None => {
            // No rows, so no numbers: read the counts apart, and past the last
            // page of a search or filter count its matches apart too.
            let counts = kept_counts(conn, org, filter.status)?;
            let (total, approximate) = match plan.count {
                CountSource::Kept => (counts.n, false),
                CountSource::Estimated(estimate) => (estimate, true),
                _ if request.offset == 0 => (0, false),
                _ => (count_matches(conn, org, filter)?, false),
            };
            (total, approximate, counts.owners)
        }
    };
    let mut invitations = Vec::new();
    let mut base = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(invitation) = row.invitation {
            invitations.push(from_json(invitation)?);
        }
        base.push(row.base);
    }
    Ok(Page {
        rows: decorate(conn, base)?,
        total,
        approximate,
        owners,
        invitations,
    })
}

/// The plan for `request`, reading first the list's length or a sample's
/// estimate of a search's matches if it needs them.
fn read_plan(
    conn: &mut PgConnection,
    org: OrgId,
    filter: &MemberFilter,
    request: &PageRequest,
    known: &mut Known,
) -> QueryResult<Plan> {
    if known.length.is_none() && wants_length(filter, request) {
        known.length = Some(kept_counts(conn, org, filter.status)?.n);
    }
    if let (true, Some(size)) = (wants_estimate(filter, known), known.size) {
        known.estimate = Some(estimate(conn, org, filter, size)?.unwrap_or(0));
    }
    Ok(plan(filter, request, known))
}

/// The page's rows as `plan` reads them, in the list's order.
fn page_rows(
    conn: &mut PgConnection,
    org: OrgId,
    filter: &MemberFilter,
    plan: &Plan,
    common: &[String],
    kept: &[i64],
) -> QueryResult<Vec<PageRow>> {
    let mut rows: Vec<PageRow> = page_statement(org, filter, plan, common, kept).load(conn)?;
    if let Start::FromTheEnd { keep, .. } = plan.start {
        // The last page may be short: the backward read's first rows in the
        // list's order belong to the page before it.
        let keep = usize::try_from(keep).unwrap_or(0);
        rows.drain(..rows.len().saturating_sub(keep));
    }
    Ok(rows)
}

/// The page's statement, written out from its plan: its rows, each with the
/// numbers around the page, and with [`CountSource::Window`] how many members
/// the filter matches (by a window over them all). `common` are the
/// organization's common words (for [`CountSource::Trigram`]), `kept` the
/// kept page's members (for [`Start::Kept`]).
pub(super) fn page_statement(
    org: OrgId,
    filter: &MemberFilter,
    plan: &Plan,
    common: &[String],
    kept: &[i64],
) -> Statement<'static> {
    let window = matches!(plan.count, CountSource::Window | CountSource::Trigram);
    let start = if plan.prepared {
        Statement::prepared("WITH ")
    } else {
        Statement::unprepared("WITH ")
    };
    // A kept page reads the counts first, once: its ids are a parameter the
    // generic plan cannot count, and taking the page for one row it would read
    // the counts again for each of its rows (EXPLAIN on the bench's 10,000:
    // 1.3 ms, against 0.45 ms with the counts first and 0.66 ms for the walk).
    let kept_page = plan.start == Start::Kept;
    let start = if kept_page {
        kept_counts_sql(start.sql("counts AS MATERIALIZED ("), org, filter.status).sql("), ")
    } else {
        start
    };
    let (start, by) = if plan.count == CountSource::Trigram {
        // The matches the trigram index finds (one more than it may count, to
        // know it found too many), then the page among them.
        let hits = with_filters_by(
            start.sql("hits AS MATERIALIZED (SELECT m.id, m.sort_name FROM memberships m"),
            org,
            filter,
            SearchBy::Trigram {
                fragment: index_fragment(filter.search.as_deref().unwrap_or_default(), common),
            },
        )
        .sql(format!(" LIMIT {}), ", TRIGRAM_MOST + 1))
        .sql("page AS (SELECT m.id, (SELECT count(*) FROM hits) AS total FROM hits m");
        (hits, None)
    } else {
        // Find the page's ids from the memberships index alone (deep pages skip
        // thousands of entries there), then join the accounts of just those 50.
        let page = start
            .sql("page AS (SELECT m.id")
            .sql(if window {
                ", count(*) OVER () AS total"
            } else {
                ""
            })
            .sql(if plan.accounts {
                " FROM memberships m JOIN accounts a ON a.id = m.account_id"
            } else {
                " FROM memberships m"
            });
        // A kept page names its members; the others are found by the walk.
        let by = (!kept_page).then_some(SearchBy::Walk);
        (page, by)
    };
    // The page size is written into the text and the first page has no OFFSET:
    // with a parameter there, PostgreSQL's generic plan would assume it skips a
    // tenth of the organization, find that dearer than planning page 1 each time,
    // and so plan every request afresh.
    let mut q = match (by, plan.start) {
        (Some(by), _) => with_filters_by(start, org, filter, by),
        (None, Start::Kept) => start
            .sql(" WHERE m.organization_id = ")
            .bind::<BigInt, _>(org.0)
            .sql(" AND m.id = ANY(")
            .bind::<diesel::sql_types::Array<BigInt>, _>(kept.to_vec())
            .sql(")"),
        (None, _) => start.sql(" WHERE true"),
    };
    let (offset, anchor) = match plan.start {
        Start::Skip(offset) | Start::FromTheEnd { skip: offset, .. } => (offset, None),
        Start::At(anchor) => (0, Some(anchor.member())),
        Start::Kept => (0, None),
    };
    // Walking the name index forward in the list's order, or backward (the
    // outer ORDER BY puts the rows back in the list's order).
    let walk = plan.walk(filter.sort);
    if let Some(member) = anchor {
        // From the anchor's place in the index, in the direction of the walk.
        q = q
            .sql(if walk.ascending() {
                " AND (m.sort_name, m.id) > ("
            } else {
                " AND (m.sort_name, m.id) < ("
            })
            .sql("(SELECT c.sort_name FROM memberships c WHERE c.id = ")
            .bind::<BigInt, _>(member.0)
            .sql(" AND c.organization_id = ")
            .bind::<BigInt, _>(org.0)
            .sql("), ")
            .bind::<BigInt, _>(member.0)
            .sql(")");
    }
    q = q
        .sql(" ORDER BY ")
        .sql(walk.order_by())
        .sql(format!(" LIMIT {}", plan.limit));
    if offset > 0 {
        q = q.sql(" OFFSET ").bind::<BigInt, _>(offset);
    }
    let q = q
        .sql(") ")
        .sql(BASE_COLUMNS)
        .sql(if window {
            ", page.total"
        } else {
            ", NULL::bigint AS total"
        })
        .sql(", counts.n, counts.owners, counts.changes, ")
        .sql(OPEN_INVITATION_OF_M)
        .sql(" AS invitation")
        .sql(BASE_FROM)
        .sql(" JOIN page ON page.id = m.id CROSS JOIN ");
    let q = if kept_page {
        q.sql("counts")
    } else {
        kept_counts_sql(q.sql("("), org, filter.status).sql(") counts")
    };
    q.sql(" ORDER BY ").sql(filter.sort.order_by())
}

/// The ids of the members `filter` matches, by name, at most `limit` of them:
/// what a bulk action "on every member matching" applies to (one statement).
pub fn ids_matching(
    conn: &mut PgConnection,
    org: OrgId,
    filter: &MemberFilter,
    limit: i64,
) -> QueryResult<Vec<MembershipId>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<Id> = ids_statement(org, filter, limit).load(conn)?;
    Ok(ids.into_iter().map(|r| MembershipId(r.id)).collect())
}

/// The statement of [`ids_matching`].
fn ids_statement(org: OrgId, filter: &MemberFilter, limit: i64) -> Statement<'static> {
    with_filters(
        Statement::prepared("SELECT m.id FROM memberships m"),
        org,
        filter,
    )
    .sql(" ORDER BY m.sort_name, m.id LIMIT ")
    .bind::<BigInt, _>(limit)
}

#[cfg(test)]
mod golden;
