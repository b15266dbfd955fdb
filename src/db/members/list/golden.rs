//! Golden SQL: the statements the members list runs, rendered as text for a
//! dozen representative plans and compared with `src/db/members/golden/*.sql`,
//! so that any change to a query shows in review as a diff of SQL. After an
//! intended change, `UPDATE_GOLDEN=1 cargo nextest run golden` rewrites
//! the files; read their diff before committing it.

use std::path::PathBuf;

use super::super::counts::{count_statement, estimate_statement, Counted};
use super::super::filter::{Anchor, MemberFilter, MemberSort};
use super::super::plan::{plan, Known, PageRequest};
use super::super::row::row_statement;
use super::{ids_statement, page_statement};
use crate::db::sql::golden::{compare, render};
use crate::domain::{AccountId, MembershipId, MembershipStatus, OrgId, OrgRole, TeamId};

const ORG: OrgId = OrgId(1);

fn page(
    what: &str,
    filter: MemberFilter,
    (offset, anchor): (i64, Option<Anchor>),
    known: Known,
) -> (String, String) {
    let request = PageRequest {
        limit: 50,
        offset,
        anchor,
    };
    let plan = plan(&filter, &request, &known);
    let header = format!("-- {what}\n-- {filter:?}\n-- {plan:?}\n");
    let common = ["example".to_owned(), "test".to_owned(), "big".to_owned()];
    (
        header,
        render(&page_statement(ORG, &filter, &plan, &common, &[3, 5, 8])),
    )
}

fn search(text: &str) -> MemberFilter {
    MemberFilter {
        search: Some(text.into()),
        ..MemberFilter::default()
    }
}

#[test]
fn the_members_lists_statements_are_the_golden_sql() {
    let plain = MemberFilter::default();
    let next = Some(Anchor::After(MembershipId(42)));
    let previous = Some(Anchor::Before(MembershipId(42)));
    let remembered = Known {
        remembered: Some(Counted {
            changes: 7,
            total: 123,
            approximate: false,
        }),
        ..Known::default()
    };
    let long = Known {
        length: Some(10_000),
        ..Known::default()
    };
    let large = Known {
        size: Some(1_000_000),
        ..Known::default()
    };
    let cases: Vec<(&str, (String, String))> = vec![
        (
            "page-1",
            page(
                "Page 1 of the plain list by name",
                plain.clone(),
                (0, None),
                Known::default(),
            ),
        ),
        (
            "page-3",
            page(
                "Page 3, by its number",
                plain.clone(),
                (100, None),
                Known::default(),
            ),
        ),
        (
            "next",
            page(
                "Next: after the previous page's last member",
                plain.clone(),
                (50, next),
                Known::default(),
            ),
        ),
        (
            "previous-z-a",
            page(
                "Previous, in Z–A order: before the next page's first member, walked backward",
                MemberFilter {
                    sort: MemberSort::NameDesc,
                    ..plain.clone()
                },
                (50, previous),
                Known::default(),
            ),
        ),
        (
            "deep-from-the-end",
            page(
                "Page 181 of 200, read backward from the end",
                plain.clone(),
                (9_000, None),
                long,
            ),
        ),
        (
            "search-first",
            page(
                "A search asked for the first time: a window counts its matches",
                search("ada"),
                (0, None),
                Known::default(),
            ),
        ),
        (
            "search-again",
            page(
                "The same search again: its remembered count, no window",
                search("ada"),
                (0, None),
                remembered,
            ),
        ),
        (
            "search-again-kept",
            page(
                "The same page of it again: its members as this server kept them, by id",
                search("ada"),
                (50, None),
                Known {
                    kept_page: Some(7),
                    ..remembered
                },
            ),
        ),
        (
            "team-role-pending",
            page(
                "A team, a role and a status: planned with its values, counted by a window",
                MemberFilter {
                    role: Some(OrgRole::Manager),
                    status: Some(MembershipStatus::Pending),
                    team: Some(TeamId(9)),
                    ..plain.clone()
                },
                (0, None),
                Known::default(),
            ),
        ),
        (
            "last-seen",
            page(
                "Sorted by last seen, page 2: the ids are found with the accounts joined",
                MemberFilter {
                    sort: MemberSort::LastSeen,
                    ..plain.clone()
                },
                (50, None),
                Known::default(),
            ),
        ),
        (
            "only-themselves",
            page(
                "A member without members.view sees only themselves",
                MemberFilter {
                    only_account: Some(AccountId(5)),
                    ..plain.clone()
                },
                (0, None),
                Known::default(),
            ),
        ),
        (
            "search-large-trigram",
            page(
                "A new search in an organization of 1,000,000: its matches read from the trigram index by its uncommon word (4242), tested whole, at most 10,001",
                search("big-4242"),
                (0, None),
                large,
            ),
        ),
        (
            "search-large-estimated",
            page(
                "A new common search there: the page by the name walk, the count a sample's estimate",
                search("an"),
                (0, None),
                Known {
                    estimate: Some(250_000),
                    ..large
                },
            ),
        ),
        (
            "estimate",
            (
                "-- The sample that estimates a search's matches (0.4 % of the table's pages)\n".into(),
                render(&estimate_statement(ORG, &search("an"), 0.4)),
            ),
        ),
        (
            "count-search",
            (
                "-- A search's matches counted apart\n".into(),
                render(&count_statement(ORG, &search("ada"))),
            ),
        ),
        (
            "row",
            (
                "-- One member's row, as an inline save returns it\n".into(),
                render(&row_statement(ORG, MembershipId(42))),
            ),
        ),
        (
            "ids-matching",
            (
                "-- The ids a bulk action on every match applies to\n".into(),
                render(&ids_statement(ORG, &search("ada"), 10_000)),
            ),
        ),
    ];
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/db/members/golden");
    let differ: Vec<String> = cases
        .into_iter()
        .filter_map(|(name, (header, sql))| {
            compare(&dir.join(format!("{name}.sql")), &format!("{header}{sql}")).err()
        })
        .collect();
    assert!(
        differ.is_empty(),
        "the SQL differs from src/db/members/golden/ (rerun with UPDATE_GOLDEN=1 if intended):\n{}",
        differ.join("\n")
    );
}
