//! A team's members: listing them, the org members who could join, and adding,
//! re-roling and removing team memberships. Lookups are scoped by team and
//! organization, so another tenant's ids find nothing.

use diesel::prelude::*;

use crate::db::members::like_pattern;
use crate::db::schema::{accounts, memberships, team_memberships};
use crate::domain::{
    AccountId, MembershipId, MembershipStatus, OrgId, OrgRole, TeamId, TeamMembershipId, TeamRole,
};

/// One member of a team as its Members tab shows them.
#[derive(Debug, Clone, Queryable)]
pub struct TeamMemberRow {
    pub team_membership_id: TeamMembershipId,
    pub membership_id: MembershipId,
    pub account_id: AccountId,
    pub display_name: String,
    pub email: String,
    pub org_role: OrgRole,
    pub status: MembershipStatus,
    pub team_role: TeamRole,
    /// The account ID a pending member was invited by, if not by address.
    pub invited_as: Option<String>,
}

/// A pending member is known by the address (or account ID) they were invited
/// by (see `db::members::BASE_COLUMNS`): their account's name is what they
/// told other organizations.
fn known_by_invitation(
    status: MembershipStatus,
    invited_as: &mut Option<String>,
    email: &mut String,
    display_name: &mut String,
) {
    if status == MembershipStatus::Pending {
        if let Some(id) = invited_as.take() {
            *email = id;
        }
        display_name.clone_from(email);
    }
}

impl TeamMemberRow {
    fn known_by_address(mut self) -> Self {
        known_by_invitation(
            self.status,
            &mut self.invited_as,
            &mut self.email,
            &mut self.display_name,
        );
        self
    }
}

type TeamMemberColumns = (
    team_memberships::id,
    memberships::id,
    accounts::id,
    accounts::display_name,
    accounts::email,
    memberships::role,
    memberships::status,
    team_memberships::role,
    memberships::invited_as,
);

const TEAM_MEMBER_COLUMNS: TeamMemberColumns = (
    team_memberships::id,
    memberships::id,
    accounts::id,
    accounts::display_name,
    accounts::email,
    memberships::role,
    memberships::status,
    team_memberships::role,
    memberships::invited_as,
);

/// The team's members by name (archived org members left out). With `only`,
/// just that org membership's row (what someone without `team.view_all` sees).
pub fn list_members(
    conn: &mut PgConnection,
    team: TeamId,
    only: Option<MembershipId>,
) -> QueryResult<Vec<TeamMemberRow>> {
    let mut query = team_memberships::table
        .inner_join(memberships::table.inner_join(accounts::table))
        .filter(team_memberships::team_id.eq(team))
        .filter(memberships::status.ne(MembershipStatus::Archived))
        .order((memberships::sort_name, memberships::id))
        .select(TEAM_MEMBER_COLUMNS)
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(memberships::id.eq(id));
    }
    let rows: Vec<TeamMemberRow> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(TeamMemberRow::known_by_address)
        .collect())
}

/// A member of the team as a menu offers them: by name, or (pending) by the
/// address they were invited by.
#[derive(Debug, Clone, Queryable)]
pub struct MemberChoice {
    pub membership_id: MembershipId,
    pub display_name: String,
    pub email: String,
    pub status: MembershipStatus,
    invited_as: Option<String>,
}

/// The team's active and pending members by name, for menus.
pub fn member_choices(conn: &mut PgConnection, team: TeamId) -> QueryResult<Vec<MemberChoice>> {
    let rows: Vec<MemberChoice> = team_memberships::table
        .inner_join(memberships::table.inner_join(accounts::table))
        .filter(team_memberships::team_id.eq(team))
        .filter(memberships::status.ne(MembershipStatus::Archived))
        .order((memberships::sort_name, memberships::id))
        .select((
            memberships::id,
            accounts::display_name,
            accounts::email,
            memberships::status,
            memberships::invited_as,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|mut m| {
            known_by_invitation(
                m.status,
                &mut m.invited_as,
                &mut m.email,
                &mut m.display_name,
            );
            m
        })
        .collect())
}

#[derive(QueryableByName)]
struct RosterVersion {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    newest: i64,
}

/// Where the team's roster stands: how many change rows it has and the newest
/// one's id (migration 000022 adds a row for every change to what
/// [`member_choices`] answers). Equal versions, equal choices.
pub fn roster_version(conn: &mut PgConnection, team: TeamId) -> QueryResult<(i64, i64)> {
    let v: RosterVersion = diesel::sql_query(
        "SELECT count(*) AS n, coalesce(max(id), 0) AS newest
         FROM team_roster_changes WHERE team_id = $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(team.0)
    .get_result(conn)?;
    Ok((v.n, v.newest))
}

/// Forgets roster changes older than `before`, keeping each team's newest;
/// at most `limit` of them, and returns how many.
pub fn purge_roster_changes(
    conn: &mut PgConnection,
    before: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM team_roster_changes WHERE id IN (
             SELECT c.id FROM team_roster_changes c
             WHERE c.changed_at < $1
               AND c.id < (SELECT max(id) FROM team_roster_changes n WHERE n.team_id = c.team_id)
             LIMIT $2)",
    )
    .bind::<diesel::sql_types::Timestamptz, _>(before)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .execute(conn)
}

pub fn count_members(conn: &mut PgConnection, team: TeamId) -> QueryResult<i64> {
    team_memberships::table
        .inner_join(memberships::table)
        .filter(team_memberships::team_id.eq(team))
        .filter(memberships::status.ne(MembershipStatus::Archived))
        .count()
        .get_result(conn)
}

/// One member of the team by their org membership id; `None` when they are not
/// in this team (or the id belongs to another organization).
pub fn find_member(
    conn: &mut PgConnection,
    team: TeamId,
    membership: MembershipId,
) -> QueryResult<Option<TeamMemberRow>> {
    team_memberships::table
        .inner_join(memberships::table.inner_join(accounts::table))
        .filter(team_memberships::team_id.eq(team))
        .filter(memberships::id.eq(membership))
        .filter(memberships::status.ne(MembershipStatus::Archived))
        .select(TEAM_MEMBER_COLUMNS)
        .first(conn)
        .optional()
        .map(|row| row.map(TeamMemberRow::known_by_address))
}

/// Locks a team membership row, so two managers saving the same row take turns.
pub fn lock_membership(conn: &mut PgConnection, id: TeamMembershipId) -> QueryResult<TeamRole> {
    team_memberships::table
        .find(id)
        .select(team_memberships::role)
        .for_update()
        .first(conn)
}

/// An org member who could be added to a team.
#[derive(Debug, Clone, Queryable)]
pub struct OrgMemberChoice {
    pub membership_id: MembershipId,
    pub account_id: AccountId,
    pub display_name: String,
    pub email: String,
    pub status: MembershipStatus,
    pub org_role: OrgRole,
    /// As [`TeamMemberRow::invited_as`].
    pub invited_as: Option<String>,
}

impl OrgMemberChoice {
    fn known_by_address(mut self) -> Self {
        known_by_invitation(
            self.status,
            &mut self.invited_as,
            &mut self.email,
            &mut self.display_name,
        );
        self
    }
}

/// At most this many members are offered in the "add member" list at once.
pub const ADDABLE_LIMIT: i64 = 200;

/// Active and pending org members not yet in the team, by name, optionally
/// narrowed to those whose name or email contains `search`; one more than
/// `ADDABLE_LIMIT` is fetched so the caller knows the list was cut.
pub fn list_addable(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    search: Option<&str>,
) -> QueryResult<Vec<OrgMemberChoice>> {
    let in_team = team_memberships::table
        .filter(team_memberships::team_id.eq(team))
        .filter(team_memberships::membership_id.eq(memberships::id))
        .select(team_memberships::id);
    let mut query = memberships::table
        .inner_join(accounts::table)
        .filter(memberships::organization_id.eq(org))
        .filter(memberships::status.eq_any([MembershipStatus::Active, MembershipStatus::Pending]))
        .filter(diesel::dsl::not(diesel::dsl::exists(in_team)))
        .order((memberships::sort_name, memberships::id))
        .select((
            memberships::id,
            accounts::id,
            accounts::display_name,
            accounts::email,
            memberships::status,
            memberships::role,
            memberships::invited_as,
        ))
        .limit(ADDABLE_LIMIT + 1)
        .into_boxed();
    if let Some(needle) = search.filter(|s| !s.is_empty()) {
        query = query.filter(memberships::search_text.like(like_pattern(&needle.to_lowercase())));
    }
    let choices: Vec<OrgMemberChoice> = query.load(conn)?;
    Ok(choices
        .into_iter()
        .map(OrgMemberChoice::known_by_address)
        .collect())
}

/// An org member of this organization by membership id, whatever their status.
pub fn find_org_member(
    conn: &mut PgConnection,
    org: OrgId,
    membership: MembershipId,
) -> QueryResult<Option<OrgMemberChoice>> {
    memberships::table
        .inner_join(accounts::table)
        .filter(memberships::organization_id.eq(org))
        .filter(memberships::id.eq(membership))
        .select((
            memberships::id,
            accounts::id,
            accounts::display_name,
            accounts::email,
            memberships::status,
            memberships::role,
            memberships::invited_as,
        ))
        .first(conn)
        .optional()
        .map(|choice| choice.map(OrgMemberChoice::known_by_address))
}

pub fn insert_membership(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    membership: MembershipId,
    role: TeamRole,
) -> QueryResult<TeamMembershipId> {
    diesel::insert_into(team_memberships::table)
        .values((
            team_memberships::organization_id.eq(org),
            team_memberships::team_id.eq(team),
            team_memberships::membership_id.eq(membership),
            team_memberships::role.eq(role),
        ))
        .returning(team_memberships::id)
        .get_result(conn)
}

/// Gives a team member a preset role, dropping any custom role or own set.
pub fn update_member_role(
    conn: &mut PgConnection,
    id: TeamMembershipId,
    role: TeamRole,
) -> QueryResult<usize> {
    diesel::update(team_memberships::table.find(id))
        .set((
            team_memberships::role.eq(role),
            team_memberships::custom_role_id.eq(None::<i64>),
            team_memberships::permissions.eq(None::<Vec<String>>),
        ))
        .execute(conn)
}

/// Removes someone from one team; their group memberships in it go by cascade.
pub fn delete_membership(conn: &mut PgConnection, id: TeamMembershipId) -> QueryResult<usize> {
    diesel::delete(team_memberships::table.find(id)).execute(conn)
}
