//! The members list (search, filters, sort, pages) and the rows it shows, built
//! so that one organization of 10,000 members is ordered and searched by index:
//! `memberships.sort_name` and `search_text` copy the account's name and email.
//! A page costs the same statements whatever its size: the rows with the
//! counts around them and the pending rows' invitations, then the rows' teams,
//! groups and services (one statement for all rows).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Text},
};

use super::invitations::{PendingDetails, OPEN_INVITATION_OF_M};
use super::sql::Statement;

use crate::domain::{AccountId, MembershipId, OrgId, TeamId};

pub mod profile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    fn needs_accounts(self) -> bool {
        !matches!(self, Self::Name | Self::NameDesc)
    }
    fn order_by(self) -> &'static str {
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
    pub role: Option<String>,
    /// `None` shows pending and active members; archived ones have their own filter.
    pub status: Option<String>,
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

impl MemberFilter {
    /// A plain list (its length a kept count) ordered by name: its pages may
    /// start at an [`Anchor`], or be read from the list's end.
    pub fn plain_by_name(&self) -> bool {
        count_is_kept(self) && matches!(self.sort, MemberSort::Name | MemberSort::NameDesc)
    }
}

#[derive(Debug, Clone, QueryableByName)]
pub struct MemberBase {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub last_seen_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub custom_role_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub custom_role_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<Text>>)]
    pub permissions: Option<Vec<String>>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub version: i32,
    /// Presence here, for active members only: the status last announced
    /// (`None` when they never reported) and their last input.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    pub presence_status: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub presence_active_at: Option<DateTime<Utc>>,
}

/// A member's place in one team, as a row shows it.
#[derive(Debug, Clone)]
pub struct TeamChip {
    pub team_id: i64,
    pub name: String,
    pub role: String,
    pub custom_role_id: Option<i64>,
}

/// A group the member is in, with its team's name.
#[derive(Debug, Clone)]
pub struct GroupChip {
    pub group_id: i64,
    pub name: String,
    pub team: String,
}

/// A member as the list shows them: the membership and account, their teams,
/// their groups, and the services those groups provide.
#[derive(Debug, Clone)]
pub struct MemberRow {
    pub base: MemberBase,
    pub teams: Vec<TeamChip>,
    pub groups: Vec<GroupChip>,
    pub services: Vec<String>,
}

impl std::ops::Deref for MemberRow {
    type Target = MemberBase;
    fn deref(&self) -> &MemberBase {
        &self.base
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

fn with_filters<'a>(mut q: Statement<'a>, org: OrgId, filter: &MemberFilter) -> Statement<'a> {
    q = q
        .sql(" WHERE m.organization_id = ")
        .bind::<BigInt, _>(org.0);
    // A substring test the trigram index cannot serve: the list counts every
    // match, so it reads all of the organization's entries anyway, and walking
    // the name index (search_text is included) was measured faster than the
    // trigram bitmap for a common name. With no index choice left to make, the
    // statement's generic plan is that walk for every organization and search.
    if let Some(search) = &filter.search {
        q = q
            .sql(" AND strpos(m.search_text, ")
            .bind::<Text, _>(search.clone())
            .sql(") > 0");
    }
    if let Some(role) = &filter.role {
        q = q.sql(" AND m.role = ").bind::<Text, _>(role.clone());
    }
    match &filter.status {
        Some(status) => q = q.sql(" AND m.status = ").bind::<Text, _>(status.clone()),
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

/// A pending member is shown by the address they were invited at and nothing of
/// their account: its name and last-seen time are what the person told and did
/// in other organizations (migration 000012 keeps `sort_name` and `search_text`
/// to the address likewise; the test `attacks::takeover::an_invitation_shows_nothing_the_invitee_has_elsewhere`).
/// One invited by account ID is shown by that ID, not even the address
/// (`memberships.invited_as`, migration 000016; the test
/// `members::joining::the_inviter_sees_only_the_account_id_until_the_invitation_is_accepted`).
const BASE_COLUMNS: &str =
    "SELECT m.id, m.account_id, \
     CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.display_name END AS display_name, \
     CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.email END AS email, \
     CASE WHEN m.status = 'pending' THEN NULL ELSE a.last_seen_at END AS last_seen_at, m.role, m.status, \
     m.custom_role_id, cr.name AS custom_role_name, m.permissions, m.version, \
     CASE WHEN m.status = 'active' THEN p.status END AS presence_status, \
     CASE WHEN m.status = 'active' THEN p.last_active_at END AS presence_active_at";
const BASE_FROM: &str =
    " FROM memberships m JOIN accounts a ON a.id = m.account_id LEFT JOIN custom_roles cr ON cr.id = m.custom_role_id \
     LEFT JOIN presence p ON p.organization_id = m.organization_id AND p.account_id = m.account_id";

/// One of a member's teams, with one of their groups in it (if any) and that
/// group's active services. A page reads these as rows; one member's row reads
/// them as a JSON array of arrays, in this field order.
#[derive(QueryableByName, serde::Deserialize)]
struct Decoration {
    #[diesel(sql_type = BigInt)]
    membership_id: i64,
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = Text)]
    team_name: String,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    custom_role_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    group_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    group_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<Text>>)]
    services: Option<Vec<String>>,
}

/// The joins behind [`Decoration`], for the team memberships the caller picks.
const DECORATION_FROM: &str = " FROM team_memberships tm JOIN teams t ON t.id = tm.team_id \
     LEFT JOIN group_members gm ON gm.team_membership_id = tm.id \
     LEFT JOIN groups g ON g.id = gm.group_id \
     WHERE tm.membership_id ";

/// A group's active services, for [`Decoration::services`].
const GROUP_SERVICES: &str =
    "(SELECT array_agg(s.name) FROM group_services gs JOIN services s ON s.id = gs.service_id \
     WHERE gs.group_id = g.id AND s.active)";

/// Teams, groups and services of a page of members: one statement for the
/// page, walking each member's team memberships by index; ordering is done here.
fn decorate(conn: &mut PgConnection, base: Vec<MemberBase>) -> QueryResult<Vec<MemberRow>> {
    if base.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = base.iter().map(|m| m.id).collect();
    let decorations: Vec<Decoration> = Statement::prepared(
        "SELECT tm.membership_id, t.id AS team_id, t.name AS team_name, tm.role, tm.custom_role_id, \
                g.id AS group_id, g.name AS group_name, ",
    )
    .sql(GROUP_SERVICES)
    .sql(" AS services")
    .sql(DECORATION_FROM)
    .sql("= ANY(")
    .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
    .sql(")")
    .load(conn)?;
    Ok(base
        .into_iter()
        .map(|base| assemble(base, &decorations))
        .collect())
}

/// A member's row from their base columns and whichever of `decorations` are theirs.
fn assemble(base: MemberBase, decorations: &[Decoration]) -> MemberRow {
    let mut row = MemberRow {
        teams: Vec::new(),
        groups: Vec::new(),
        services: Vec::new(),
        base,
    };
    for d in decorations
        .iter()
        .filter(|d| d.membership_id == row.base.id)
    {
        if !row.teams.iter().any(|t| t.team_id == d.team_id) {
            row.teams.push(TeamChip {
                team_id: d.team_id,
                name: d.team_name.clone(),
                role: d.role.clone(),
                custom_role_id: d.custom_role_id,
            });
        }
        if let (Some(group_id), Some(name)) = (d.group_id, &d.group_name) {
            row.groups.push(GroupChip {
                group_id,
                name: name.clone(),
                team: d.team_name.clone(),
            });
            row.services.extend(d.services.iter().flatten().cloned());
        }
    }
    row.teams
        .sort_by(|a, b| (&a.name, a.team_id).cmp(&(&b.name, b.team_id)));
    row.groups
        .sort_by(|a, b| (&a.name, &a.team).cmp(&(&b.name, &b.team)));
    row.services.sort();
    row.services.dedup();
    row
}

/// A page row with the numbers around the page, read by the same statement:
/// the filter's matches counted by the page's window (`None` for a plain list),
/// and the trigger-kept counts (see [`kept_counts`]).
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

/// Whether the filter's total is one of the trigger-kept counts.
fn count_is_kept(filter: &MemberFilter) -> bool {
    filter.search.is_none()
        && filter.role.is_none()
        && filter.team.is_none()
        && filter.only_account.is_none()
}

/// The searches' counts this server has made, each with the organization's
/// `changes` when it was made (a sum kept by trigger, see migration 000011).
/// A count is reused only while `changes` is the same, so it is what counting
/// again would say; a page of a search it knows reads its rows without the
/// window that counts every match. Only a search (by organization, text and
/// status) is kept: a role or team filter's count moves without `changes`.
#[derive(Debug, Default)]
pub struct SearchCounts(Mutex<HashMap<SearchKey, Counted>>);

type SearchKey = (i64, String, Option<String>);

#[derive(Debug, Clone, Copy)]
struct Counted {
    changes: i64,
    total: i64,
}

impl SearchCounts {
    /// More searches than this and the counts start over.
    const MAX: usize = 10_000;

    fn key(org: OrgId, filter: &MemberFilter) -> Option<SearchKey> {
        match filter {
            MemberFilter {
                search: Some(search),
                role: None,
                team: None,
                only_account: None,
                status,
                ..
            } => Some((org.0, search.clone(), status.clone())),
            _ => None,
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SearchKey, Counted>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, key: &SearchKey) -> Option<Counted> {
        self.map().get(key).copied()
    }

    fn put(&self, key: SearchKey, counted: Counted) {
        let mut map = self.map();
        if map.len() >= Self::MAX && !map.contains_key(&key) {
            map.clear();
        }
        map.insert(key, counted);
    }
}

/// A page of members with the numbers around it.
pub struct Page {
    pub rows: Vec<MemberRow>,
    /// How many members the filter matches.
    pub total: i64,
    /// The organization's active Owners (the rows' reasons need them).
    pub owners: i64,
    /// The open invitations of the page's pending members.
    pub invitations: Vec<PendingDetails>,
}

/// One page of members, ordered as asked, how many members the filter matches,
/// and the organization's active Owners. The Owners, and the total of a plain
/// list (or one narrowed by status), are trigger-kept counts; a search or filter
/// counts its matches with a window over the rows it orders anyway, unless
/// `counts` holds a search's count that is still exact (see [`SearchCounts`]).
/// The page's statement reads both with the rows, so a page is two statements:
/// the page, and its teams, groups and services (the counts apart only when the
/// page has no rows; and a deep page by number reads the list's length first,
/// see [`by_number`]). With an `anchor` (see [`Anchor`]) the page starts beside
/// that member; `offset` is how many to skip if the anchor does not apply.
pub fn list_page(
    conn: &mut PgConnection,
    org: OrgId,
    filter: &MemberFilter,
    limit: i64,
    offset: i64,
    anchor: Option<Anchor>,
    counts: &SearchCounts,
) -> QueryResult<Page> {
    let anchored = match anchor.filter(|_| filter.plain_by_name()) {
        Some(anchor) => page_rows(conn, org, filter, limit, Start::At(anchor), false)?,
        None => Vec::new(),
    };
    let kept = count_is_kept(filter);
    let key = SearchCounts::key(org, filter);
    let known = key.as_ref().and_then(|key| counts.get(key));
    // An anchor whose member has left (or was never here) finds no rows: the
    // page number still says where the page is.
    let rows = if anchored.is_empty() {
        by_number(conn, org, filter, limit, offset, !kept && known.is_none())?
    } else {
        anchored
    };
    let (total, owners) = match rows.first() {
        Some(row) => {
            let total = match (row.total, known) {
                _ if kept => row.kept.n,
                (Some(total), _) => total,
                (None, Some(known)) if known.changes == row.kept.changes => known.total,
                (None, _) => count_matches(conn, org, filter)?,
            };
            if let Some(key) = key {
                let changes = row.kept.changes;
                counts.put(key, Counted { changes, total });
            }
            (total, row.kept.owners)
        }
        None => {
            // No rows, so no numbers: read the counts apart, and past the last
            // page of a search or filter count its matches apart too.
            let counts = kept_counts(conn, org, filter.status.as_deref())?;
            let total = if kept {
                counts.n
            } else if offset == 0 {
                0
            } else {
                count_matches(conn, org, filter)?
            };
            (total, counts.owners)
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
        owners,
        invitations,
    })
}

/// How far into a plain list by name a page by number must be before it is
/// worth reading the list's length first, to come at the page from its end.
const FROM_THE_END_PAST: i64 = 1_000;

/// A page by its number. Deep in a plain list by name, whose length is a kept
/// count, a page nearer the end is read backward from there: the last page
/// costs what the first does, and no page skips more than half the list.
fn by_number(
    conn: &mut PgConnection,
    org: OrgId,
    filter: &MemberFilter,
    limit: i64,
    offset: i64,
    count: bool,
) -> QueryResult<Vec<PageRow>> {
    if offset < FROM_THE_END_PAST || !filter.plain_by_name() {
        return page_rows(conn, org, filter, limit, Start::Skip(offset), count);
    }
    let length = kept_counts(conn, org, filter.status.as_deref())?.n;
    let after_page = length - offset - limit;
    if offset >= length || after_page >= offset {
        return page_rows(conn, org, filter, limit, Start::Skip(offset), count);
    }
    // The last page may be short: the backward read's first rows in the
    // list's order belong to the page before it.
    let start = Start::FromTheEnd(after_page.max(0));
    let mut rows = page_rows(conn, org, filter, limit, start, count)?;
    let on_page = usize::try_from((length - offset).min(limit)).unwrap_or(0);
    rows.drain(..rows.len().saturating_sub(on_page));
    Ok(rows)
}

/// How [`page_rows`] finds the page's first row.
#[derive(Clone, Copy)]
enum Start {
    /// Skip this many in the list's order.
    Skip(i64),
    /// Skip this many from the end of the list, reading backward.
    FromTheEnd(i64),
    At(Anchor),
}

/// A statement over the list `filter` asks for. Without a team, the best plan
/// is the same for every organization and search (walk the sort index), so the
/// statement may be prepared; a team's size decides its plan.
fn list_statement(filter: &MemberFilter, sql: &'static str) -> Statement<'static> {
    if filter.team.is_none() {
        Statement::prepared(sql)
    } else {
        Statement::unprepared(sql)
    }
}

/// The page's statement: its rows, each with the numbers around the page, and
/// if `count`, how many members the filter matches (by a window over them all).
fn page_rows(
    conn: &mut PgConnection,
    org: OrgId,
    filter: &MemberFilter,
    limit: i64,
    start_at: Start,
    count: bool,
) -> QueryResult<Vec<PageRow>> {
    let start = list_statement(filter, "WITH page AS (SELECT m.id");
    // Find the page's ids from the memberships index alone (deep pages skip
    // thousands of entries there), then join the accounts of just those 50.
    let start = start
        .sql(if count {
            ", count(*) OVER () AS total"
        } else {
            ""
        })
        .sql(if filter.sort.needs_accounts() {
            " FROM memberships m JOIN accounts a ON a.id = m.account_id"
        } else {
            " FROM memberships m"
        });
    // The page size is written into the text and the first page has no OFFSET:
    // with a parameter there, PostgreSQL's generic plan would assume it skips a
    // tenth of the organization, find that dearer than planning page 1 each time,
    // and so plan every request afresh.
    let mut q = with_filters(start, org, filter);
    // Walking the name index forward in the list's order, or backward (the
    // outer ORDER BY puts the rows back in the list's order).
    let (offset, backward, anchor) = match start_at {
        Start::Skip(offset) => (offset, false, None),
        Start::FromTheEnd(offset) => (offset, true, None),
        Start::At(Anchor::After(member)) => (0, false, Some(member)),
        Start::At(Anchor::Before(member)) => (0, true, Some(member)),
    };
    let inner_order = match (filter.sort, backward) {
        (MemberSort::Name, true) => MemberSort::NameDesc.order_by(),
        (MemberSort::NameDesc, true) => MemberSort::Name.order_by(),
        (sort, _) => sort.order_by(),
    };
    if let Some(member) = anchor {
        // From the anchor's place in the index, in the direction of the walk.
        let ascending = (filter.sort == MemberSort::NameDesc) == backward;
        q = q
            .sql(if ascending {
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
        .sql(inner_order)
        .sql(format!(" LIMIT {limit}"));
    if offset > 0 {
        q = q.sql(" OFFSET ").bind::<BigInt, _>(offset);
    }
    let q = q
        .sql(") ")
        .sql(BASE_COLUMNS)
        .sql(if count {
            ", page.total"
        } else {
            ", NULL::bigint AS total"
        })
        .sql(", counts.n, counts.owners, counts.changes, ")
        .sql(OPEN_INVITATION_OF_M)
        .sql(" AS invitation")
        .sql(BASE_FROM)
        .sql(" JOIN page ON page.id = m.id CROSS JOIN (");
    let q = kept_counts_sql(q, org, filter.status.as_deref())
        .sql(") counts ORDER BY ")
        .sql(filter.sort.order_by());
    q.load(conn)
}

/// A JSON column read into `T`; a mismatch is a deserialization error.
fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> QueryResult<T> {
    serde_json::from_value(value)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
}

/// A count from one of the statements below.
#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The members a search or filter matches, counted apart: for a page past the
/// last, where the page's own count saw no rows, and for a search whose kept
/// count is out of date.
fn count_matches(conn: &mut PgConnection, org: OrgId, filter: &MemberFilter) -> QueryResult<i64> {
    let start = list_statement(filter, "SELECT count(*) AS n FROM memberships m");
    let q = with_filters(start, org, filter);
    Ok(q.get_result::<Count>(conn)?.n)
}

#[derive(QueryableByName)]
struct KeptCounts {
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    owners: i64,
    /// Moves whenever which members a search matches may have changed.
    #[diesel(sql_type = BigInt)]
    changes: i64,
}

/// From the trigger-kept counts: the members of one status (or the active and
/// pending ones), and the active Owners.
fn kept_counts(
    conn: &mut PgConnection,
    org: OrgId,
    status: Option<&str>,
) -> QueryResult<KeptCounts> {
    kept_counts_sql(Statement::prepared(""), org, status).get_result(conn)
}

/// The statement of [`kept_counts`], appended to `q`.
fn kept_counts_sql<'a>(q: Statement<'a>, org: OrgId, status: Option<&str>) -> Statement<'a> {
    let statuses: Vec<String> = match status {
        Some(status) => vec![status.to_owned()],
        None => vec!["active".into(), "pending".into()],
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

#[derive(QueryableByName)]
struct FoundRow {
    #[diesel(embed)]
    base: MemberBase,
    #[diesel(sql_type = BigInt)]
    owners: i64,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    decorations: serde_json::Value,
}

/// One member's row, as the list shows it, with the organization's active
/// Owners (which the row's reasons need): one statement.
pub fn find_row(
    conn: &mut PgConnection,
    org: OrgId,
    id: MembershipId,
) -> QueryResult<Option<(MemberRow, i64)>> {
    let q = Statement::prepared(BASE_COLUMNS)
        .sql(
            ", counts.owners, \
               COALESCE((SELECT jsonb_agg(jsonb_build_array(tm.membership_id, t.id, t.name, tm.role, \
                                  tm.custom_role_id, g.id, g.name, ",
        )
        .sql(GROUP_SERVICES)
        .sql("))")
        .sql(DECORATION_FROM)
        .sql("= m.id), '[]') AS decorations")
        .sql(BASE_FROM)
        .sql(" CROSS JOIN (");
    let found: Option<FoundRow> = kept_counts_sql(q, org, None)
        .sql(") counts WHERE m.organization_id = ")
        .bind::<BigInt, _>(org.0)
        .sql(" AND m.id = ")
        .bind::<BigInt, _>(id.0)
        .get_result(conn)
        .optional()?;
    found
        .map(|f| {
            let decorations: Vec<Decoration> = from_json(f.decorations)?;
            Ok((assemble(f.base, &decorations), f.owners))
        })
        .transpose()
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
    let ids: Vec<Id> = with_filters(
        Statement::prepared("SELECT m.id FROM memberships m"),
        org,
        filter,
    )
    .sql(" ORDER BY m.sort_name, m.id LIMIT ")
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(ids.into_iter().map(|r| MembershipId(r.id)).collect())
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn search_metacharacters_match_literally() {
        assert_eq!(like_pattern("ada"), "%ada%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_pattern("o'brien\""), "%o'brien\"%");
    }
}

/// A membership row locked for the rest of the transaction.
#[derive(Debug, Clone, QueryableByName)]
pub struct LockedMember {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub role: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub custom_role_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<Text>>)]
    pub permissions: Option<Vec<String>>,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub version: i32,
}

/// The same columns as a list row has them: what the quick save compares its
/// conditional update with (nothing is locked then).
impl From<&MemberBase> for LockedMember {
    fn from(row: &MemberBase) -> Self {
        Self {
            id: row.id,
            account_id: row.account_id,
            role: row.role.clone(),
            status: row.status.clone(),
            custom_role_id: row.custom_role_id,
            permissions: row.permissions.clone(),
            version: row.version,
        }
    }
}

#[derive(QueryableByName)]
struct LockedRow {
    #[diesel(embed)]
    member: LockedMember,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    teams: serde_json::Value,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    groups: serde_json::Value,
}

/// A membership locked for the rest of the transaction, with its team places
/// and groups as they were: one statement.
pub type Locked = (LockedMember, Vec<TeamPlace>, Vec<(i64, i64)>);

pub fn lock(conn: &mut PgConnection, org: OrgId, id: MembershipId) -> QueryResult<Option<Locked>> {
    let row: Option<LockedRow> = Statement::prepared(
        "SELECT m.id, m.account_id, m.role, m.status, m.custom_role_id, m.permissions, m.version, \
           COALESCE((SELECT jsonb_agg(jsonb_build_array(tm.id, tm.team_id, tm.role, tm.custom_role_id) ORDER BY tm.id) \
                     FROM team_memberships tm WHERE tm.membership_id = m.id), '[]') AS teams, \
           COALESCE((SELECT jsonb_agg(jsonb_build_array(gm.group_id, gm.team_membership_id) \
                                      ORDER BY gm.group_id, gm.team_membership_id) \
                     FROM group_members gm JOIN team_memberships tm ON tm.id = gm.team_membership_id \
                     WHERE tm.membership_id = m.id), '[]') AS groups \
         FROM memberships m WHERE m.organization_id = ",
    )
    .bind::<BigInt, _>(org.0)
    .sql(" AND m.id = ")
    .bind::<BigInt, _>(id.0)
    .sql(" FOR UPDATE OF m")
    .get_result(conn)
    .optional()?;
    row.map(|r| {
        let teams = from_json(r.teams)?;
        let groups = from_json(r.groups)?;
        Ok((r.member, teams, groups))
    })
    .transpose()
}

/// The organization's active Owners, with their count row locked until the
/// transaction ends: two demotions of the last two Owners take turns, and the
/// second sees the first's.
pub fn lock_active_owners(conn: &mut PgConnection, org: OrgId) -> QueryResult<i64> {
    let row: Option<Count> =
        Statement::prepared("SELECT n FROM membership_counts WHERE organization_id = ")
            .bind::<BigInt, _>(org.0)
            .sql(" AND status = 'active' AND owner FOR UPDATE")
            .get_result(conn)
            .optional()?;
    Ok(row.map_or(0, |c| c.n))
}

pub fn update_access(
    conn: &mut PgConnection,
    id: MembershipId,
    role: &str,
    custom_role_id: Option<i64>,
    permissions: Option<Vec<String>>,
) -> QueryResult<usize> {
    set_access(
        Statement::prepared("UPDATE memberships SET "),
        role,
        custom_role_id,
        permissions,
    )
    .bind::<BigInt, _>(id.0)
    .execute(conn)
}

/// `SET`'s list for a change of access, a version bump, then `WHERE id = `.
fn set_access<'a>(
    q: Statement<'a>,
    role: &'a str,
    custom_role_id: Option<i64>,
    permissions: Option<Vec<String>>,
) -> Statement<'a> {
    use diesel::sql_types::{Array, Nullable};
    q.sql("role = ")
        .bind::<Text, _>(role)
        .sql(", custom_role_id = ")
        .bind::<Nullable<BigInt>, _>(custom_role_id)
        .sql(", permissions = ")
        .bind::<Nullable<Array<Text>>, _>(permissions)
        .sql(", version = version + 1, updated_at = now() WHERE id = ")
}

/// A member's org role, custom role and own permissions, changed only if the
/// member is still as `read` (its version, role and status), with the change's
/// audit event: one statement, so one implicit transaction. Whether it saved.
pub fn update_access_if_unchanged(
    conn: &mut PgConnection,
    read: &LockedMember,
    role: &str,
    custom_role_id: Option<i64>,
    permissions: Option<Vec<String>>,
    event: super::audit::NewEvent<'_>,
) -> QueryResult<bool> {
    use diesel::sql_types::Integer;
    let q = Statement::prepared("WITH changed AS (UPDATE memberships SET ");
    let q = set_access(q, role, custom_role_id, permissions)
        .bind::<BigInt, _>(read.id)
        .sql(" AND version = ")
        .bind::<Integer, _>(read.version)
        .sql(" AND role = ")
        .bind::<Text, _>(read.role.clone())
        .sql(" AND status = ")
        .bind::<Text, _>(read.status.clone())
        .sql(" RETURNING id) ");
    let inserted = super::audit::insert_from(q, "changed", event).execute(conn)?;
    Ok(inserted == 1)
}

/// The organization's teams with their groups: (team id, team name, archived, [(group id, group name)]).
pub type TeamOption = (i64, String, bool, Vec<(i64, String)>);

pub fn team_options(conn: &mut PgConnection, org: OrgId) -> QueryResult<Vec<TeamOption>> {
    use super::schema::{groups, teams};
    // Teams with their groups in one statement: a row per group, or one
    // group-less row for a team without any.
    type Row = (
        i64,
        String,
        Option<DateTime<Utc>>,
        Option<i64>,
        Option<String>,
    );
    let rows: Vec<Row> = teams::table
        .left_join(groups::table)
        .filter(teams::organization_id.eq(org))
        .order((teams::name, teams::id, groups::name, groups::id))
        .select((
            teams::id,
            teams::name,
            teams::archived_at,
            groups::id.nullable(),
            groups::name.nullable(),
        ))
        .load(conn)?;
    let mut options: Vec<TeamOption> = Vec::new();
    for (id, name, archived, group_id, group_name) in rows {
        if options.last().is_none_or(|t| t.0 != id) {
            options.push((id, name, archived.is_some(), Vec::new()));
        }
        if let (Some(group_id), Some(group_name), Some(team)) =
            (group_id, group_name, options.last_mut())
        {
            team.3.push((group_id, group_name));
        }
    }
    Ok(options)
}

/// A member's place in a team: (team membership id, team id, role, custom role id).
pub type TeamPlace = (i64, i64, String, Option<i64>);

/// The member's team memberships.
pub fn team_memberships_of(
    conn: &mut PgConnection,
    id: MembershipId,
) -> QueryResult<Vec<TeamPlace>> {
    use super::schema::team_memberships as tm;
    tm::table
        .filter(tm::membership_id.eq(id))
        .select((tm::id, tm::team_id, tm::role, tm::custom_role_id))
        .order(tm::id)
        .load(conn)
}

/// The actor's own team roles, to know what they may grant in each team:
/// (team id, role, custom role permissions, own permissions).
pub type ActorTeamRole = (i64, String, Option<Vec<String>>, Option<Vec<String>>);

pub fn team_roles_of_account(
    conn: &mut PgConnection,
    org: OrgId,
    account: AccountId,
) -> QueryResult<Vec<ActorTeamRole>> {
    use super::schema::{custom_roles, memberships, team_memberships as tm};
    tm::table
        .inner_join(memberships::table)
        .left_join(custom_roles::table.on(custom_roles::id.nullable().eq(tm::custom_role_id)))
        .filter(memberships::organization_id.eq(org))
        .filter(memberships::account_id.eq(account))
        .select((
            tm::team_id,
            tm::role,
            custom_roles::permissions.nullable(),
            tm::permissions,
        ))
        .load(conn)
}

pub fn upsert_team_membership(
    conn: &mut PgConnection,
    org: OrgId,
    team: i64,
    member: MembershipId,
    role: &str,
    custom_role_id: Option<i64>,
) -> QueryResult<usize> {
    use super::schema::team_memberships as tm;
    diesel::insert_into(tm::table)
        .values((
            tm::organization_id.eq(org),
            tm::team_id.eq(team),
            tm::membership_id.eq(member),
            tm::role.eq(role),
            tm::custom_role_id.eq(custom_role_id),
        ))
        .on_conflict((tm::team_id, tm::membership_id))
        .do_update()
        .set((tm::role.eq(role), tm::custom_role_id.eq(custom_role_id)))
        .execute(conn)
}

pub fn delete_team_membership(
    conn: &mut PgConnection,
    team: i64,
    member: MembershipId,
) -> QueryResult<usize> {
    use super::schema::team_memberships as tm;
    diesel::delete(
        tm::table
            .filter(tm::team_id.eq(team))
            .filter(tm::membership_id.eq(member)),
    )
    .execute(conn)
}

/// The member's groups: (group id, team membership id).
pub fn groups_of(conn: &mut PgConnection, member: MembershipId) -> QueryResult<Vec<(i64, i64)>> {
    use super::schema::{group_members as gm, team_memberships as tm};
    gm::table
        .inner_join(tm::table)
        .filter(tm::membership_id.eq(member))
        .select((gm::group_id, gm::team_membership_id))
        .order((gm::group_id, gm::team_membership_id))
        .load(conn)
}

pub fn add_to_group(
    conn: &mut PgConnection,
    group: i64,
    team_membership: i64,
) -> QueryResult<usize> {
    use super::schema::group_members as gm;
    diesel::insert_into(gm::table)
        .values((
            gm::group_id.eq(group),
            gm::team_membership_id.eq(team_membership),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
}

pub fn remove_from_group(
    conn: &mut PgConnection,
    group: i64,
    team_membership: i64,
) -> QueryResult<usize> {
    use super::schema::group_members as gm;
    diesel::delete(
        gm::table
            .filter(gm::group_id.eq(group))
            .filter(gm::team_membership_id.eq(team_membership)),
    )
    .execute(conn)
}
