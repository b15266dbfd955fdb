//! What the members list is narrowed to and ordered by, and those choices as
//! SQL: the `WHERE` every statement over the list shares ([`with_filters`]) and
//! each sort's `ORDER BY`.

use diesel::sql_types::{BigInt, Text};

use super::super::sql::Statement;
use super::counts::{basis, CountBasis};
use crate::domain::{AccountId, MembershipId, MembershipStatus, OrgId, OrgRole, TeamId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MemberSort {
    #[default]
    Name,
    NameDesc,
    Email,
    EmailDesc,
    /// Most recently seen first.
    LastSeen,
    /// Least recently seen first (never-seen and pending members lead).
    LastSeenOldest,
}

impl MemberSort {
    pub const ALL: [MemberSort; 6] = [
        Self::Name,
        Self::NameDesc,
        Self::Email,
        Self::EmailDesc,
        Self::LastSeen,
        Self::LastSeenOldest,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::NameDesc => "-name",
            Self::Email => "email",
            Self::EmailDesc => "-email",
            Self::LastSeen => "last_seen",
            Self::LastSeenOldest => "-last_seen",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Name => "Name A–Z",
            Self::NameDesc => "Name Z–A",
            Self::Email => "Email A–Z",
            Self::EmailDesc => "Email Z–A",
            Self::LastSeen => "Last seen, recent first",
            Self::LastSeenOldest => "Last seen, oldest first",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == raw)
    }
    /// Whether the order reads the accounts table (the name order is kept on
    /// the membership itself).
    pub(super) fn needs_accounts(self) -> bool {
        !matches!(self, Self::Name | Self::NameDesc)
    }
    /// Whether the order's first key ascends.
    pub(super) fn ascending(self) -> bool {
        matches!(self, Self::Name | Self::Email | Self::LastSeenOldest)
    }
    pub(super) fn order_by(self) -> &'static str {
        match self {
            Self::Name => "m.sort_name, m.id",
            Self::NameDesc => "m.sort_name DESC, m.id DESC",
            Self::Email => "CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.email END, m.id",
            Self::EmailDesc => "CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.email END DESC, m.id DESC",
            Self::LastSeen => "(CASE WHEN m.status = 'pending' THEN NULL ELSE a.last_seen_at END) DESC NULLS LAST, m.id",
            Self::LastSeenOldest => "(CASE WHEN m.status = 'pending' THEN NULL ELSE a.last_seen_at END) ASC NULLS FIRST, m.id DESC",
        }
    }
}

/// What the members list is narrowed to. Values are already validated.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    /// Substring of name or email, lowercased.
    pub search: Option<String>,
    pub role: Option<OrgRole>,
    /// `None` shows pending and active members; archived ones have their own filter.
    pub status: Option<MembershipStatus>,
    pub team: Option<TeamId>,
    /// Members without `members.view` see only themselves.
    pub only_account: Option<AccountId>,
    pub sort: MemberSort,
}

/// Where a page starts when a Next or Previous link named the member beside it:
/// the page is read from the name index at that member's place (keyset), so
/// page 150 costs what page 1 does. Only a plain list by name is read this way;
/// other lists, and an anchor that no longer finds its member, skip their way
/// to the page number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The page begins just after this member (the previous page's last).
    After(MembershipId),
    /// The page ends just before this member (the next page's first).
    Before(MembershipId),
}

impl Anchor {
    /// The member beside the page.
    pub fn member(self) -> MembershipId {
        match self {
            Self::After(member) | Self::Before(member) => member,
        }
    }
}

impl MemberFilter {
    /// A plain list (its length a kept count) ordered by name: its pages may
    /// start at an [`Anchor`], or be read from the list's end.
    pub fn plain_by_name(&self) -> bool {
        basis(self) == CountBasis::Kept
            && matches!(self.sort, MemberSort::Name | MemberSort::NameDesc)
    }
}

/// Escapes `%`, `_` and `\` so a search string matches itself literally.
pub fn like_pattern(search: &str) -> String {
    let mut out = String::with_capacity(search.len() + 2);
    out.push('%');
    for c in search.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// How a search finds its matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SearchBy<'a> {
    /// A substring test the trigram index cannot serve. Where the list counts
    /// every match it reads all of the organization's entries anyway, and
    /// walking the name index (search_text is included) was measured faster
    /// than the trigram bitmap for a common name. With no index choice left to
    /// make, the statement's generic plan is that walk for every organization
    /// and search; and a page whose count is known elsewhere stops the walk
    /// after its rows.
    Walk,
    /// `LIKE '%…%'`, which the trigram index `memberships_search_idx` serves:
    /// a rare search in a large organization reads its few matches only. The
    /// index is asked for `fragment` of the search (see [`index_fragment`]),
    /// and the whole search is tested on what it finds.
    Trigram { fragment: &'a str },
}

/// The part of `search` to ask the trigram index for: its longest word (a run
/// of letters or digits, as the index splits text) of three or more that is
/// not one of the organization's `common` words; the whole search when it
/// has none. A word every member shares (an email domain, a prefix) puts a
/// posting list of the whole organization into the index's reading: for
/// "huge-123456" among a million "huge-…@example.test", asking for "123456"
/// reads 21 index pages where the whole search reads 1,163.
pub fn index_fragment<'s>(search: &'s str, common: &[String]) -> &'s str {
    search
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().count() >= 3 && !common.iter().any(|c| c == word))
        .max_by_key(|word| word.chars().count())
        .filter(|word| word.len() < search.len())
        .unwrap_or(search)
}

/// The list's conditions, appended to `q` (which ends at its `FROM`): the
/// organization, then each of the filter's narrowings.
pub(super) fn with_filters<'a>(
    q: Statement<'a>,
    org: OrgId,
    filter: &MemberFilter,
) -> Statement<'a> {
    with_filters_by(q, org, filter, SearchBy::Walk)
}

/// [`with_filters`], with the search found `by` the name walk or the trigram index.
pub(super) fn with_filters_by<'a>(
    mut q: Statement<'a>,
    org: OrgId,
    filter: &MemberFilter,
    by: SearchBy<'_>,
) -> Statement<'a> {
    // Read through the trigram index, the organization is tested on the rows
    // it finds (`+ 0` keeps it out of the index): the index's organization
    // column would add the whole organization's posting list to the read
    // (372 pages for a member of the 1,000,000, against 21).
    q = q
        .sql(match by {
            SearchBy::Walk => " WHERE m.organization_id = ",
            SearchBy::Trigram { .. } => " WHERE m.organization_id + 0 = ",
        })
        .bind::<BigInt, _>(org.0);
    match (&filter.search, by) {
        (None, _) => {}
        (Some(search), SearchBy::Walk) => {
            q = q
                .sql(" AND strpos(m.search_text, ")
                .bind::<Text, _>(search.clone())
                .sql(") > 0");
        }
        (Some(search), SearchBy::Trigram { fragment }) => {
            q = q
                .sql(" AND m.search_text LIKE ")
                .bind::<Text, _>(like_pattern(fragment));
            if fragment != search {
                q = q
                    .sql(" AND strpos(m.search_text, ")
                    .bind::<Text, _>(search.clone())
                    .sql(") > 0");
            }
        }
    }
    if let Some(role) = filter.role {
        q = q.sql(" AND m.role = ").bind::<Text, _>(role);
    }
    match filter.status {
        Some(status) => q = q.sql(" AND m.status = ").bind::<Text, _>(status),
        None => q = q.sql(" AND m.status <> 'archived'"),
    }
    if let Some(team) = filter.team {
        q = q
            .sql(" AND EXISTS (SELECT 1 FROM team_memberships tf WHERE tf.membership_id = m.id AND tf.team_id = ")
            .bind::<BigInt, _>(team.0)
            .sql(")");
    }
    if let Some(account) = filter.only_account {
        q = q.sql(" AND m.account_id = ").bind::<BigInt, _>(account.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::index_fragment;

    #[test]
    fn the_trigram_index_is_asked_for_the_searchs_longest_uncommon_word() {
        let common: Vec<String> = ["huge", "example", "test"].map(String::from).to_vec();
        for (search, fragment) in [
            ("huge-123456", "123456"),
            ("huge-123456@example", "123456"),
            ("müller", "müller"),
            ("ada müller", "müller"),
            ("huge-", "huge-"),
            ("example.test", "example.test"),
            ("ab-cd", "ab-cd"),
            ("ada-kowalski@huge", "kowalski"),
        ] {
            assert_eq!(index_fragment(search, &common), fragment, "{search}");
        }
        assert_eq!(index_fragment("huge-123456", &[]), "123456", "the longest");
    }
}
