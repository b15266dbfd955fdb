//! The Contacts tab's list: a team's contacts by name, narrowed to one
//! assignee (or the unassigned) and searched, 50 a page. A page is read from
//! the name index at the place the Next or Previous link names (keyset), so
//! the last page costs what the first does: one statement, whatever the team's
//! size. The SQL is rendered by [`page_statement`] from a [`PagePlan`]; the
//! golden tests below keep the representative plans' text.

use diesel::{
    prelude::*,
    sql_types::{BigInt, Text},
};

use super::ContactRow;
use crate::db::members::like_pattern;
use crate::db::sql::Statement;
use crate::domain::{ContactId, MembershipId, OrgId, TeamId};

/// Whose contacts the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AssigneeFilter {
    #[default]
    Any,
    Unassigned,
    Member(MembershipId),
}

/// What the list is narrowed to; values are already validated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ContactFilter {
    pub assignee: AssigneeFilter,
    /// A substring of name, email or phone, lowercased.
    pub search: Option<String>,
}

/// Where a page starts: just after the contact the previous page ended with,
/// or just before the one the next page began with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Anchor {
    After(ContactId),
    Before(ContactId),
}

/// A page of contacts, and whether there are more on either side.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub rows: Vec<ContactRow>,
    pub has_prev: bool,
    pub has_next: bool,
}

/// Everything that shapes a page's statement.
#[derive(Debug, Clone)]
pub struct PagePlan<'a> {
    pub org: OrgId,
    pub team: TeamId,
    pub filter: &'a ContactFilter,
    pub anchor: Option<Anchor>,
    pub limit: i64,
}

/// The start of a page's statement: its contacts, from the team's rows.
const PAGE_HEAD: &str =
    "WITH page AS (SELECT c.id, c.name, c.email, c.phone, c.note, c.assignee_membership_id, \
            c.sort_name FROM contacts c WHERE c.team_id = ";

const ROW_COLUMNS: &str =
    "SELECT c.id, c.name, c.email, c.phone, c.note, c.assignee_membership_id, \
     a.display_name AS assignee_name FROM page c \
     LEFT JOIN memberships m ON m.id = c.assignee_membership_id \
     LEFT JOIN accounts a ON a.id = m.account_id";

/// The page's statement: the page's ids walked from the name index (one more
/// than the page, to know whether the list goes on), then their assignees.
/// Each filter has its index: `contacts_team_sort_idx`, the assignee's
/// `contacts_team_assignee_sort_idx`, the unassigned ones'
/// `contacts_team_unassigned_sort_idx` (migration 000021); a search walks the
/// filter's index, or the trigram index for a rare string, so it is planned
/// with its value every time. The statement count per page is held by
/// `teams::contacts::cost::the_contacts_tab_runs_the_same_number_of_statements_for_5_or_5000_contacts`.
pub fn page_statement(plan: &PagePlan<'_>) -> Statement<'static> {
    let mut q = if plan.filter.search.is_some() {
        Statement::unprepared(PAGE_HEAD)
    } else {
        Statement::prepared(PAGE_HEAD)
    };
    q = q
        .bind::<BigInt, _>(plan.team.0)
        .sql(" AND c.organization_id = ")
        .bind::<BigInt, _>(plan.org.0);
    q = match plan.filter.assignee {
        AssigneeFilter::Any => q,
        AssigneeFilter::Unassigned => q.sql(" AND c.assignee_membership_id IS NULL"),
        AssigneeFilter::Member(member) => q
            .sql(" AND c.assignee_membership_id = ")
            .bind::<BigInt, _>(member.0),
    };
    if let Some(search) = &plan.filter.search {
        q = q
            .sql(" AND c.search_text LIKE ")
            .bind::<Text, _>(like_pattern(search));
    }
    let backward = matches!(plan.anchor, Some(Anchor::Before(_)));
    if let Some(Anchor::After(id) | Anchor::Before(id)) = plan.anchor {
        q = q
            .sql(if backward {
                " AND (c.sort_name, c.id) < ("
            } else {
                " AND (c.sort_name, c.id) > ("
            })
            .sql("(SELECT x.sort_name FROM contacts x WHERE x.id = ")
            .bind::<BigInt, _>(id.0)
            .sql(" AND x.team_id = ")
            .bind::<BigInt, _>(plan.team.0)
            .sql("), ")
            .bind::<BigInt, _>(id.0)
            .sql(")");
    }
    q.sql(if backward {
        " ORDER BY c.sort_name DESC, c.id DESC"
    } else {
        " ORDER BY c.sort_name, c.id"
    })
    // Written into the text: a parameter there would make the generic plan guess.
    .sql(format!(" LIMIT {}) ", plan.limit + 1))
    .sql(ROW_COLUMNS)
    .sql(" ORDER BY c.sort_name, c.id")
}

/// One page of the team's contacts by name. With an anchor whose contact is
/// gone (deleted meanwhile), the list starts again from the top.
pub fn list_page(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    filter: &ContactFilter,
    anchor: Option<Anchor>,
    limit: i64,
) -> QueryResult<Page> {
    let plan = PagePlan {
        org,
        team,
        filter,
        anchor,
        limit,
    };
    let mut rows: Vec<ContactRow> = page_statement(&plan).load(conn)?;
    let more = rows.len() as i64 > limit;
    let page = match anchor {
        None => {
            rows.truncate(limit as usize);
            Page {
                rows,
                has_prev: false,
                has_next: more,
            }
        }
        Some(Anchor::After(_)) => {
            rows.truncate(limit as usize);
            Page {
                rows,
                has_prev: true,
                has_next: more,
            }
        }
        Some(Anchor::Before(_)) => {
            // The extra row read backward is the first in the list's order.
            if more {
                rows.remove(0);
            }
            Page {
                rows,
                has_prev: more,
                has_next: true,
            }
        }
    };
    if page.rows.is_empty() && anchor.is_some() {
        return list_page(conn, org, team, filter, None, limit);
    }
    Ok(page)
}

/// The rows of contacts whose ids a search's page held, in the list's order:
/// what a kept search page is read back with (one statement, prepared). Ids
/// no longer in the team are left out.
pub fn rows_by_ids(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    ids: &[ContactId],
) -> QueryResult<Vec<ContactRow>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    Statement::prepared(PAGE_HEAD)
        .bind::<BigInt, _>(team.0)
        .sql(" AND c.organization_id = ")
        .bind::<BigInt, _>(org.0)
        .sql(" AND c.id = ANY(")
        .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
        .sql(")) ")
        .sql(ROW_COLUMNS)
        .sql(" ORDER BY c.sort_name, c.id")
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(filter: ContactFilter, anchor: Option<Anchor>) -> String {
        let plan = PagePlan {
            org: OrgId(1),
            team: TeamId(2),
            filter: &filter,
            anchor,
            limit: 50,
        };
        diesel::debug_query::<diesel::pg::Pg, _>(&page_statement(&plan))
            .to_string()
            .split(" -- binds")
            .next()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn the_first_page_walks_the_team_s_name_index() {
        assert_eq!(
            rendered(ContactFilter::default(), None),
            "WITH page AS (SELECT c.id, c.name, c.email, c.phone, c.note, c.assignee_membership_id, \
             c.sort_name FROM contacts c WHERE c.team_id = $1 AND c.organization_id = $2 \
             ORDER BY c.sort_name, c.id LIMIT 51) \
             SELECT c.id, c.name, c.email, c.phone, c.note, c.assignee_membership_id, \
             a.display_name AS assignee_name FROM page c \
             LEFT JOIN memberships m ON m.id = c.assignee_membership_id \
             LEFT JOIN accounts a ON a.id = m.account_id ORDER BY c.sort_name, c.id"
        );
    }

    #[test]
    fn next_from_an_assignee_s_page_starts_after_the_contact_it_names() {
        let filter = ContactFilter {
            assignee: AssigneeFilter::Member(MembershipId(9)),
            search: None,
        };
        let sql = rendered(filter, Some(Anchor::After(ContactId(77))));
        assert!(sql.contains(
            "WHERE c.team_id = $1 AND c.organization_id = $2 AND c.assignee_membership_id = $3 \
             AND (c.sort_name, c.id) > ((SELECT x.sort_name FROM contacts x WHERE x.id = $4 \
             AND x.team_id = $5), $6) ORDER BY c.sort_name, c.id LIMIT 51)"
        ), "{sql}");
    }

    #[test]
    fn previous_of_the_unassigned_searched_reads_backward() {
        let filter = ContactFilter {
            assignee: AssigneeFilter::Unassigned,
            search: Some("kim".into()),
        };
        let sql = rendered(filter, Some(Anchor::Before(ContactId(77))));
        assert!(
            sql.contains(
                "AND c.assignee_membership_id IS NULL AND c.search_text LIKE $3 \
             AND (c.sort_name, c.id) < ((SELECT x.sort_name FROM contacts x WHERE x.id = $4 \
             AND x.team_id = $5), $6) ORDER BY c.sort_name DESC, c.id DESC LIMIT 51) "
            ),
            "{sql}"
        );
        assert!(sql.ends_with("ORDER BY c.sort_name, c.id"));
    }
}
