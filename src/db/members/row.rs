//! A member's row as the list shows it: the membership and account
//! ([`MemberBase`], the columns every statement over the list selects), their
//! teams, their groups and the services those groups provide. [`find_row`]
//! reads one member's row in one statement; a page's rows are decorated by
//! [`decorate`] in one statement for all of them.

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Text},
};

use super::super::sql::{from_json, Statement};
use super::counts::kept_counts_sql;
use crate::domain::{MembershipId, MembershipStatus, OrgId, OrgRole, TeamRole};

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
    pub role: OrgRole,
    #[diesel(sql_type = Text)]
    pub status: MembershipStatus,
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
    pub role: TeamRole,
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

/// The name a member is shown by (see [`BASE_COLUMNS`] for why a pending
/// member's is their address), over `memberships m JOIN accounts a`.
macro_rules! shown_name {
    () => {
        "CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.display_name END"
    };
}

/// A pending member is shown by the address they were invited at and nothing of
/// their account: its name and last-seen time are what the person told and did
/// in other organizations (migration 000012 keeps `sort_name` and `search_text`
/// to the address likewise; the test `attacks::takeover::an_invitation_shows_nothing_the_invitee_has_elsewhere`).
/// One invited by account ID is shown by that ID, not even the address
/// (`memberships.invited_as`, migration 000016; the test
/// `members::joining::the_inviter_sees_only_the_account_id_until_the_invitation_is_accepted`).
pub const BASE_COLUMNS: &str = concat!(
    "SELECT m.id, m.account_id, ",
    shown_name!(),
    " AS display_name, \
     CASE WHEN m.status = 'pending' THEN COALESCE(m.invited_as, a.email) ELSE a.email END AS email, \
     CASE WHEN m.status = 'pending' THEN NULL ELSE a.last_seen_at END AS last_seen_at, m.role, m.status, \
     m.custom_role_id, cr.name AS custom_role_name, m.permissions, m.version, \
     CASE WHEN m.status = 'active' THEN p.status END AS presence_status, \
     CASE WHEN m.status = 'active' THEN p.last_active_at END AS presence_active_at"
);
pub(super) const BASE_FROM: &str =
    " FROM memberships m JOIN accounts a ON a.id = m.account_id LEFT JOIN custom_roles cr ON cr.id = m.custom_role_id \
     LEFT JOIN presence p ON p.organization_id = m.organization_id AND p.account_id = m.account_id";

/// One of a member's teams, with one of their groups in it (if any) and that
/// group's active services. A page reads these as rows; one member's row reads
/// them as a JSON array of objects, decoded by these field names.
#[derive(QueryableByName, serde::Deserialize)]
struct Decoration {
    #[diesel(sql_type = BigInt)]
    membership_id: i64,
    #[diesel(sql_type = BigInt)]
    team_id: i64,
    #[diesel(sql_type = Text)]
    team_name: String,
    #[diesel(sql_type = Text)]
    role: TeamRole,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    custom_role_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    group_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    group_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<Text>>)]
    services: Option<Vec<String>>,
}

/// The columns of a [`Decoration`], each under its field's name (the page's
/// rows and the JSON object of [`find_row`] alike).
const DECORATION_COLUMNS: &str =
    "tm.membership_id, t.id AS team_id, t.name AS team_name, tm.role, \
     tm.custom_role_id, g.id AS group_id, g.name AS group_name, ";

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
pub(super) fn decorate(
    conn: &mut PgConnection,
    base: Vec<MemberBase>,
) -> QueryResult<Vec<MemberRow>> {
    if base.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = base.iter().map(|m| m.id).collect();
    let decorations: Vec<Decoration> = Statement::prepared("SELECT ")
        .sql(DECORATION_COLUMNS)
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
                role: d.role,
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
    let found: Option<FoundRow> = row_statement(org, id).get_result(conn).optional()?;
    found
        .map(|f| {
            let decorations: Vec<Decoration> = from_json(f.decorations)?;
            Ok((assemble(f.base, &decorations), f.owners))
        })
        .transpose()
}

/// The statement of [`find_row`]: the member's teams, groups and services come
/// as a JSON array of [`Decoration`] objects.
pub(super) fn row_statement(org: OrgId, id: MembershipId) -> Statement<'static> {
    let q = Statement::prepared(BASE_COLUMNS)
        .sql(", counts.owners, COALESCE((SELECT jsonb_agg(to_jsonb(d)) FROM (SELECT ")
        .sql(DECORATION_COLUMNS)
        .sql(GROUP_SERVICES)
        .sql(" AS services")
        .sql(DECORATION_FROM)
        .sql("= m.id) d), '[]') AS decorations")
        .sql(BASE_FROM)
        .sql(" CROSS JOIN (");
    kept_counts_sql(q, org, None)
        .sql(") counts WHERE m.organization_id = ")
        .bind::<BigInt, _>(org.0)
        .sql(" AND m.id = ")
        .bind::<BigInt, _>(id.0)
}

/// A member's id and the name the list shows them by.
#[derive(Debug, Clone, QueryableByName)]
pub struct MemberName {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub display_name: String,
}

/// The names of the organization's members among `ids` (others are left
/// out): one statement, for a bulk action's results.
pub fn names_of(
    conn: &mut PgConnection,
    org: OrgId,
    ids: &[MembershipId],
) -> QueryResult<Vec<MemberName>> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    Statement::prepared(concat!(
        "SELECT m.id, ",
        shown_name!(),
        " AS display_name FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.organization_id = "
    ))
    .bind::<BigInt, _>(org.0)
    .sql(" AND m.id = ANY(")
    .bind::<diesel::sql_types::Array<BigInt>, _>(ids)
    .sql(")")
    .load(conn)
}
