//! How a page of the members list is read, decided before any SQL is written:
//! where its first row is found, where its "of N" comes from, whether its
//! statement may be prepared, and whether finding its ids reads the accounts.
//! [`plan`] is a pure function of the filter, the page asked for and what is
//! already known, so the table of its choices is tested without a database
//! (see the tests below) and `list::page_statement` only writes the plan out.

use super::super::sql::Statement;
use super::counts::{basis, CountBasis, Counted, APPROXIMATE_FROM, LARGE_FROM};
use super::filter::{Anchor, MemberFilter, MemberSort};

/// How far into a plain list by name a page by number must be before it is
/// worth reading the list's length first, to come at the page from its end.
pub const FROM_THE_END_PAST: i64 = 1_000;

/// The page asked for: its size, how many rows come before it, and the member
/// beside it when a Next or Previous link named one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: i64,
    pub offset: i64,
    pub anchor: Option<Anchor>,
}

impl PageRequest {
    /// The same page found by its number: what is read when an anchor's
    /// member has left (or was never here) and the anchored read found no rows.
    pub fn by_number(self) -> Self {
        Self {
            anchor: None,
            ..self
        }
    }
}

/// What is known before the page is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known {
    /// The plain list's length, when [`wants_length`] asked for it.
    pub length: Option<i64>,
    /// A count of this search made earlier (see `SearchCounts`).
    pub remembered: Option<Counted>,
    /// About how many members the organization has (the last page this
    /// server read of it said so); `None` before the first.
    pub size: Option<i64>,
    /// The trigram index found more than [`TRIGRAM_MOST`](super::counts::TRIGRAM_MOST) matches.
    pub overflowed: bool,
    /// A sample's estimate of the search's matches, when [`wants_estimate`]
    /// asked for it.
    pub estimate: Option<i64>,
    /// This server kept the members of this very page of this search (see
    /// `SearchCounts`), read at these `changes`.
    pub kept_page: Option<i64>,
}

/// How the page's first row is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Skip this many in the list's order.
    Skip(i64),
    /// Read backward from the list's end, skipping `skip` there; of what comes
    /// back, the last `keep` rows in the list's order are the page (the last
    /// page may be short, and the rows before belong to the page before it).
    FromTheEnd { skip: i64, keep: i64 },
    /// From the anchor's place in the name index (keyset).
    At(Anchor),
    /// The members this server kept for this page of a search it read before
    /// at the same `changes` as its remembered count: read by their ids, and
    /// used only if the statement's `changes` are still those.
    Kept,
}

/// Where the page's "of N" comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountSource {
    /// A trigger-kept count, read by the page's statement.
    Kept,
    /// A count of this search made earlier: used if the `changes` the page's
    /// statement reads are still those it was made at, else counted apart.
    Remembered(Counted),
    /// A window over every match, in the page's statement.
    Window,
    /// A window over the matches the trigram index finds, at most
    /// [`TRIGRAM_MOST`](super::counts::TRIGRAM_MOST) + 1 of them, in the page's statement (a new search of
    /// three letters or more in a large organization). More than
    /// [`TRIGRAM_MOST`](super::counts::TRIGRAM_MOST) means the page must be read again by an estimate.
    Trigram,
    /// A sample's estimate, shown as "about" (a new common search in a large
    /// organization); the page reads only its own rows.
    Estimated(i64),
}

/// What reading one page will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub limit: i64,
    pub start: Start,
    pub count: CountSource,
    /// Whether the statement is prepared (one plan for every organization and
    /// search) or planned afresh with its values (see [`prepared`]).
    pub prepared: bool,
    /// Whether finding the page's ids joins the accounts (to order by them).
    pub accounts: bool,
}

/// Whether the list's length must be known before [`plan`] can choose: a page
/// deep into a plain list by name, found by its number, may be nearer the end.
pub fn wants_length(filter: &MemberFilter, request: &PageRequest) -> bool {
    anchor_of(filter, request).is_none()
        && request.offset >= FROM_THE_END_PAST
        && filter.plain_by_name()
}

/// Whether a sample's estimate must be read before [`plan`] can choose: a new
/// search in a large organization that the trigram index cannot count (fewer
/// than three letters, or more than [`TRIGRAM_MOST`](super::counts::TRIGRAM_MOST) matches).
pub fn wants_estimate(filter: &MemberFilter, known: &Known) -> bool {
    new_large_search(filter, known)
        && known.estimate.is_none()
        && (known.overflowed || !trigram_searchable(filter))
}

/// A search (by name or email only) not counted before, in an organization of
/// at least [`LARGE_FROM`] members.
fn new_large_search(filter: &MemberFilter, known: &Known) -> bool {
    basis(filter) == CountBasis::Search && known.remembered.is_none() && known.large()
}

impl Known {
    /// The organization has at least [`LARGE_FROM`] members, as far as known:
    /// too many to count a search's matches by walking them all.
    pub fn large(&self) -> bool {
        self.size.is_some_and(|size| size >= LARGE_FROM)
    }
}

/// Whether the trigram index can find the search's matches: three letters or
/// more, and a list by name (the matches are sorted by it once found).
fn trigram_searchable(filter: &MemberFilter) -> bool {
    filter
        .search
        .as_ref()
        .is_some_and(|search| search.chars().count() >= 3)
        && !filter.sort.needs_accounts()
}

/// An anchor applies to a plain list by name only; other lists go by number.
fn anchor_of(filter: &MemberFilter, request: &PageRequest) -> Option<Anchor> {
    request.anchor.filter(|_| filter.plain_by_name())
}

/// Without a team, the best plan is the same for every organization and search
/// (walk the sort index), so the statement may be prepared; how many members a
/// team holds decides its plan, so a team's list is planned with its values.
pub fn prepared(filter: &MemberFilter) -> bool {
    filter.team.is_none()
}

/// A statement over the list `filter` asks for, prepared or not as
/// [`prepared`] says.
pub(super) fn statement(filter: &MemberFilter, sql: &'static str) -> Statement<'static> {
    if prepared(filter) {
        Statement::prepared(sql)
    } else {
        Statement::unprepared(sql)
    }
}

/// How to read the page `request` of the list `filter` asks for.
pub fn plan(filter: &MemberFilter, request: &PageRequest, known: &Known) -> Plan {
    let start = match anchor_of(filter, request) {
        Some(anchor) => Start::At(anchor),
        None if kept_page_applies(filter, known) => Start::Kept,
        None => by_number(filter, request, known.length),
    };
    let count = match (basis(filter), known.remembered) {
        (CountBasis::Kept, _) => CountSource::Kept,
        (CountBasis::Search, Some(counted)) => CountSource::Remembered(counted),
        (CountBasis::Search, None) if new_large_search(filter, known) => {
            large_search(filter, known)
        }
        (CountBasis::Search | CountBasis::Counted, _) => CountSource::Window,
    };
    Plan {
        limit: request.limit,
        start,
        count,
        // A new search read from the trigram index is prepared too: its
        // generic plan is that index's bitmap (checked with EXPLAIN on the
        // bench's 1,000,000), and planning it with its words cost 3–6 ms.
        prepared: prepared(filter),
        accounts: filter.sort.needs_accounts(),
    }
}

/// Whether the page this server kept may stand in for walking the search: it
/// was read at the `changes` the remembered count was made at, and the list
/// is by name (`sort_name` is made from the same name, email and status as
/// `search_text`, so which members a search's page holds and their order by
/// name change only when `changes` moves; an order by email or last seen
/// reads the accounts, which it does not follow).
fn kept_page_applies(filter: &MemberFilter, known: &Known) -> bool {
    match (known.remembered, known.kept_page) {
        (Some(counted), Some(changes)) => {
            counted.changes == changes && !filter.sort.needs_accounts()
        }
        _ => false,
    }
}

/// How a new search in a large organization is counted: from the trigram
/// index when it can and has not overflowed; else by an estimate when the
/// sample finds it common; else (short and rare, or no sample) every match.
fn large_search(filter: &MemberFilter, known: &Known) -> CountSource {
    match known.estimate {
        _ if trigram_searchable(filter) && !known.overflowed => CountSource::Trigram,
        Some(estimate) if estimate >= APPROXIMATE_FROM => CountSource::Estimated(estimate),
        _ => CountSource::Window,
    }
}

/// A page by its number. Deep in a plain list by name whose length is known, a
/// page nearer the end is read backward from there: the last page costs what
/// the first does, and no page skips more than half the list.
fn by_number(filter: &MemberFilter, request: &PageRequest, length: Option<i64>) -> Start {
    let (limit, offset) = (request.limit, request.offset);
    let skip = Start::Skip(offset);
    let Some(length) = length.filter(|_| wants_length(filter, request)) else {
        return skip;
    };
    let after_page = length - offset - limit;
    if offset >= length || after_page >= offset {
        return skip;
    }
    Start::FromTheEnd {
        skip: after_page.max(0),
        keep: (length - offset).min(limit),
    }
}

impl Plan {
    /// Whether the rows are walked against the list's order (the statement
    /// puts them back in order).
    pub fn backward(&self) -> bool {
        matches!(
            self.start,
            Start::FromTheEnd { .. } | Start::At(Anchor::Before(_))
        )
    }

    /// The sort the page's ids are found in: the list's, or its reverse when
    /// walking backward.
    pub fn walk(&self, sort: MemberSort) -> MemberSort {
        match (sort, self.backward()) {
            (MemberSort::Name, true) => MemberSort::NameDesc,
            (MemberSort::NameDesc, true) => MemberSort::Name,
            (sort, _) => sort,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{MembershipId, TeamId};

    fn filter(search: Option<&str>, team: bool, sort: MemberSort) -> MemberFilter {
        MemberFilter {
            search: search.map(str::to_owned),
            team: team.then_some(TeamId(7)),
            sort,
            ..MemberFilter::default()
        }
    }

    /// What, the filter, offset, anchor, what is known; then the plan's start,
    /// count, prepared and accounts.
    type Case = (
        &'static str,
        MemberFilter,
        i64,
        Option<Anchor>,
        Known,
        Start,
        CountSource,
        bool,
        bool,
    );

    const COUNTED: Counted = Counted {
        changes: 3,
        total: 42,
        approximate: false,
    };

    #[test]
    fn each_list_and_page_gets_its_plan() {
        use CountSource::{Estimated, Kept, Remembered, Trigram, Window};
        use MemberSort::{LastSeen, Name, NameDesc};
        let next = Some(Anchor::After(MembershipId(9)));
        let previous = Some(Anchor::Before(MembershipId(9)));
        let none = Known::default();
        let remembered = Known {
            remembered: Some(COUNTED),
            ..none
        };
        let kept = Known {
            kept_page: Some(COUNTED.changes),
            ..remembered
        };
        let long = |length| Known {
            length: Some(length),
            ..none
        };
        let large = Known {
            size: Some(1_000_000),
            ..none
        };
        let overflowed = Known {
            overflowed: true,
            estimate: Some(20_000),
            ..large
        };
        let few = Known {
            estimate: Some(9_999),
            ..overflowed
        };
        let common = Known {
            estimate: Some(20_000),
            ..large
        };
        #[rustfmt::skip]
        let table: Vec<Case> = vec![
            // what,                           filter,                               offset, anchor,  known,       start,                                   count,                 prepared, accounts
            ("page 1",                         filter(None, false, Name),            0,      None,     none,        Start::Skip(0),                          Kept,                  true,  false),
            ("page 3 by number",               filter(None, false, Name),            100,    None,     none,        Start::Skip(100),                        Kept,                  true,  false),
            ("Next",                           filter(None, false, Name),            100,    next,     none,        Start::At(Anchor::After(MembershipId(9))), Kept,                true,  false),
            ("Previous, Z–A",                  filter(None, false, NameDesc),        100,    previous, none,        Start::At(Anchor::Before(MembershipId(9))), Kept,              true,  false),
            ("deep, nearer the end",           filter(None, false, Name),            9_000,  None,     long(10_000), Start::FromTheEnd { skip: 950, keep: 50 }, Kept,               true,  false),
            ("the last, short page",           filter(None, false, Name),            9_950,  None,     long(9_990), Start::FromTheEnd { skip: 0, keep: 40 },  Kept,                 true,  false),
            ("deep, nearer the start",         filter(None, false, Name),            4_000,  None,     long(10_000), Start::Skip(4_000),                     Kept,                  true,  false),
            ("past the end",                   filter(None, false, Name),            20_000, None,     long(10_000), Start::Skip(20_000),                    Kept,                  true,  false),
            ("a search asked first",           filter(Some("ada"), false, Name),     0,      None,     none,        Start::Skip(0),                          Window,                true,  false),
            ("a search asked again",           filter(Some("ada"), false, Name),     0,      None,     remembered,  Start::Skip(0),                          Remembered(COUNTED),   true,  false),
            ("… its page kept",                filter(Some("ada"), false, Name),     50,     None,     kept,        Start::Kept,                             Remembered(COUNTED),   true,  false),
            ("… kept at other changes",        filter(Some("ada"), false, Name),     50,     None,     Known { kept_page: Some(2), ..remembered }, Start::Skip(50), Remembered(COUNTED), true, false),
            ("… kept, Z–A",                    filter(Some("ada"), false, NameDesc), 0,      None,     kept,        Start::Kept,                             Remembered(COUNTED),   true,  false),
            ("… kept, by last seen",           filter(Some("ada"), false, LastSeen), 0,      None,     kept,        Start::Skip(0),                          Remembered(COUNTED),   true,  true),
            ("… kept, count not remembered",   filter(Some("ada"), false, Name),     0,      None,     Known { kept_page: Some(3), ..none }, Start::Skip(0), Window,         true,  false),
            ("a search ignores Next's anchor", filter(Some("ada"), false, Name),     50,     next,     none,        Start::Skip(50),                         Window,                true,  false),
            ("a deep search goes by number",   filter(Some("ada"), false, Name),     5_000,  None,     long(10_000), Start::Skip(5_000),                     Window,                true,  false),
            ("a team",                         filter(None, true, Name),             0,      None,     remembered,  Start::Skip(0),                          Window,                false, false),
            ("by last seen",                   filter(None, false, LastSeen),        50,     next,     none,        Start::Skip(50),                         Kept,                  true,  true),
            ("a new search, 1,000,000 members", filter(Some("big-42"), false, Name), 0,      None,     large,       Start::Skip(0),                          Trigram,               true,  false),
            ("… too many for the trigrams",    filter(Some("big-42"), false, Name),  0,      None,     overflowed,  Start::Skip(0),                          Estimated(20_000),     true,  false),
            ("… estimated few",                filter(Some("big-42"), false, Name),  0,      None,     few,         Start::Skip(0),                          Window,                true,  false),
            ("a new two-letter search there",  filter(Some("an"), false, Name),      0,      None,     common,      Start::Skip(0),                          Estimated(20_000),     true,  false),
            ("… by last seen",                 filter(Some("big-42"), false, LastSeen), 0,   None,     common,      Start::Skip(0),                          Estimated(20_000),     true,  true),
            ("… asked again",                  filter(Some("an"), false, Name),      0,      None,     Known { remembered: Some(COUNTED), ..large }, Start::Skip(0), Remembered(COUNTED), true, false),
            ("a new search, 49,999 members",   filter(Some("big-42"), false, Name),  0,      None,     Known { size: Some(49_999), ..none }, Start::Skip(0), Window,           true,  false),
            ("a team there",                   filter(Some("big-42"), true, Name),   0,      None,     large,       Start::Skip(0),                          Window,                false, false),
        ];
        for (what, filter, offset, anchor, known, start, count, prepared, accounts) in table {
            let request = PageRequest {
                limit: 50,
                offset,
                anchor,
            };
            assert_eq!(
                plan(&filter, &request, &known),
                Plan {
                    limit: 50,
                    start,
                    count,
                    prepared,
                    accounts
                },
                "{what}"
            );
        }
    }

    #[test]
    fn only_a_deep_page_of_a_plain_list_by_name_asks_for_the_length_first() {
        let page = |offset, anchor| PageRequest {
            limit: 50,
            offset,
            anchor,
        };
        let plain = filter(None, false, MemberSort::Name);
        assert!(!wants_length(&plain, &page(999, None)));
        assert!(wants_length(&plain, &page(1_000, None)));
        let next = Some(Anchor::After(MembershipId(1)));
        assert!(!wants_length(&plain, &page(5_000, next)));
        assert!(!wants_length(
            &filter(Some("a"), false, MemberSort::Name),
            &page(5_000, None)
        ));
        assert!(!wants_length(
            &filter(None, false, MemberSort::Email),
            &page(5_000, None)
        ));
        assert!(wants_length(&plain, &page(5_000, next).by_number()));
    }

    #[test]
    fn only_a_new_search_in_a_large_organization_the_trigrams_cannot_count_asks_for_an_estimate() {
        let large = Known {
            size: Some(50_000),
            ..Known::default()
        };
        let name = |text| filter(Some(text), false, MemberSort::Name);
        assert!(wants_estimate(&name("an"), &large));
        assert!(!wants_estimate(&name("ann"), &large), "the trigrams first");
        let overflowed = Known {
            overflowed: true,
            ..large
        };
        assert!(wants_estimate(&name("ann"), &overflowed));
        let estimated = Known {
            estimate: Some(1),
            ..overflowed
        };
        assert!(!wants_estimate(&name("ann"), &estimated), "once");
        let small = Known {
            size: Some(49_999),
            ..Known::default()
        };
        assert!(!wants_estimate(&name("an"), &small));
        assert!(
            !wants_estimate(&name("an"), &Known::default()),
            "size unknown"
        );
        let remembered = Known {
            remembered: Some(COUNTED),
            ..large
        };
        assert!(!wants_estimate(&name("an"), &remembered));
        assert!(!wants_estimate(
            &filter(None, false, MemberSort::Name),
            &large
        ));
        assert!(
            !wants_estimate(&filter(Some("an"), true, MemberSort::Name), &large),
            "a team's search is counted"
        );
    }

    #[test]
    fn a_walk_backward_reverses_the_name_order_only() {
        let plain = filter(None, false, MemberSort::Name);
        let request = PageRequest {
            limit: 50,
            offset: 0,
            anchor: Some(Anchor::Before(MembershipId(1))),
        };
        let p = plan(&plain, &request, &Known::default());
        assert!(p.backward());
        assert_eq!(p.walk(MemberSort::Name), MemberSort::NameDesc);
        assert_eq!(p.walk(MemberSort::NameDesc), MemberSort::Name);
        let forward = plan(&plain, &request.by_number(), &Known::default());
        assert!(!forward.backward());
        assert_eq!(forward.walk(MemberSort::Name), MemberSort::Name);
    }
}
