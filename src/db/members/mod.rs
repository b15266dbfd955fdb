//! Members: the list (search, filters, sort, pages), the rows it shows, and a
//! member's access as a change locks and writes it. One organization of
//! 10,000 members is ordered and searched by index: `memberships.sort_name`
//! and `search_text` copy the account's name and email.
//!
//! - [`filter`]: what the list is narrowed to and ordered by, as SQL conditions;
//! - [`plan`]: how a page is read, decided by one pure function;
//! - [`counts`]: where a page's "of N" comes from, and the search-count cache
//!   with the invariant it rests on;
//! - [`list`]: a page, its statement written out from its plan (pinned by
//!   golden SQL tests), and the ids a bulk action "on every match" applies to;
//! - [`row`]: one member's row as the list shows it;
//! - [`access`]: the membership locked for a change, and the writes of roles,
//!   teams and groups;
//! - [`profile`]: what a member's page reads beside their row.

pub mod access;
pub mod counts;
pub mod filter;
pub mod list;
pub mod plan;
pub mod profile;
pub mod row;

pub use access::{
    add_to_group, delete_team_membership, groups_of, held_team_roles, lock, lock_active_owners,
    remove_from_group, team_memberships_of, team_options, update_access,
    update_access_if_unchanged, upsert_team_membership, GroupOption, GroupPlace, HeldTeamRole,
    Locked, LockedMember, TeamOption, TeamPlace,
};
pub use counts::SearchCounts;
pub use filter::{like_pattern, Anchor, MemberFilter, MemberSort};
pub use list::{ids_matching, list_page, Page};
pub use plan::PageRequest;
pub use row::{
    find_row, names_of, GroupChip, MemberBase, MemberName, MemberRow, TeamChip, BASE_COLUMNS,
};
