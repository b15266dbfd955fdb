//! The members table's sortable column headings: each says how the list is
//! sorted (`aria-sort`) and links to the list sorted by it, the sort kept in
//! the URL like every other part of the list's state.

use super::list::ListState;
use crate::db::members::MemberSort;

/// A heading of the members table that sorts the list.
#[derive(Debug, Clone)]
pub struct SortHeading {
    /// The `th`'s `aria-sort`: "ascending", "descending" or "none".
    pub aria_sort: &'static str,
    pub links: Vec<SortLink>,
}

/// One way to sort from a heading; the Name column sorts by name or by email.
#[derive(Debug, Clone)]
pub struct SortLink {
    /// The element id, kept across swaps so focus can return to it.
    pub id: &'static str,
    pub label: &'static str,
    /// The list's query string, sorted this way (from page 1).
    pub query: String,
    /// "▲" or "▼" when the list is sorted by this link's key, else empty.
    pub arrow: &'static str,
    /// What following the link does, for screen readers.
    pub action: &'static str,
}

/// A sort key of a heading: its two directions, ascending first.
struct Key {
    id: &'static str,
    label: &'static str,
    ascending: MemberSort,
    descending: MemberSort,
    /// The direction a first click picks (the most recent first for dates).
    first: MemberSort,
}

const NAME: Key = Key {
    id: "sort-name",
    label: "Name",
    ascending: MemberSort::Name,
    descending: MemberSort::NameDesc,
    first: MemberSort::Name,
};
const EMAIL: Key = Key {
    id: "sort-email",
    label: "Email",
    ascending: MemberSort::Email,
    descending: MemberSort::EmailDesc,
    first: MemberSort::Email,
};
/// Ascending in time is the oldest first.
const LAST_SEEN: Key = Key {
    id: "sort-last-seen",
    label: "Last seen",
    ascending: MemberSort::LastSeenOldest,
    descending: MemberSort::LastSeen,
    first: MemberSort::LastSeen,
};

fn describe(sort: MemberSort) -> &'static str {
    match sort {
        MemberSort::Name => ", sort A to Z",
        MemberSort::NameDesc => ", sort Z to A",
        MemberSort::Email => ", sort by email A to Z",
        MemberSort::EmailDesc => ", sort by email Z to A",
        MemberSort::LastSeen => ", sort most recently seen first",
        MemberSort::LastSeenOldest => ", sort least recently seen first",
    }
}

fn heading(state: &ListState, keys: &[Key]) -> SortHeading {
    let mut aria_sort = "none";
    let links = keys
        .iter()
        .map(|key| {
            let (arrow, next) = if state.sort == key.ascending {
                aria_sort = "ascending";
                ("▲", key.descending)
            } else if state.sort == key.descending {
                aria_sort = "descending";
                ("▼", key.ascending)
            } else {
                ("", key.first)
            };
            SortLink {
                id: key.id,
                label: key.label,
                query: state.sorted_by(next),
                arrow,
                action: describe(next),
            }
        })
        .collect();
    SortHeading { aria_sort, links }
}

impl ListState {
    /// The Name column's heading: sorted by name or by the email beneath it.
    pub fn name_heading(&self) -> SortHeading {
        heading(self, &[NAME, EMAIL])
    }

    pub fn last_seen_heading(&self) -> SortHeading {
        heading(self, &[LAST_SEEN])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(sort: MemberSort) -> ListState {
        ListState {
            sort,
            page: 3,
            ..ListState::default()
        }
    }

    #[test]
    fn the_sorted_column_says_its_direction_and_the_others_none() {
        let cases = [
            (MemberSort::Name, "ascending", "none"),
            (MemberSort::NameDesc, "descending", "none"),
            (MemberSort::Email, "ascending", "none"),
            (MemberSort::EmailDesc, "descending", "none"),
            (MemberSort::LastSeen, "none", "descending"),
            (MemberSort::LastSeenOldest, "none", "ascending"),
        ];
        for (sort, name, seen) in cases {
            let state = sorted(sort);
            assert_eq!(state.name_heading().aria_sort, name, "{sort:?}");
            assert_eq!(state.last_seen_heading().aria_sort, seen, "{sort:?}");
        }
    }

    #[test]
    fn a_heading_link_reverses_its_own_sort_and_starts_at_page_one() {
        let name = sorted(MemberSort::Name).name_heading();
        assert_eq!(name.links[0].query, "sort=-name");
        assert_eq!(name.links[0].arrow, "▲");
        assert_eq!(name.links[1].query, "sort=email");
        assert_eq!(name.links[1].arrow, "");
        let by_name_desc = sorted(MemberSort::NameDesc).name_heading();
        // Back to the default order, which the URL leaves out.
        assert_eq!(by_name_desc.links[0].query, "");
        let seen = sorted(MemberSort::Name).last_seen_heading();
        assert_eq!(seen.links[0].query, "sort=last_seen");
        let seen = sorted(MemberSort::LastSeen).last_seen_heading();
        assert_eq!(seen.links[0].query, "sort=-last_seen");
    }
}
