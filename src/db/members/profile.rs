//! What a member's page reads beside their list row, in one statement
//! ([`around`]): their custom roles, teams' sets, contacts per team, status
//! milestones, a pending member's open invitation and the organization's names.

use diesel::{
    prelude::*,
    sql_types::{BigInt, Jsonb, Nullable},
};

use serde::Deserialize;

use super::super::audit::log::{Milestone, MILESTONES_OF_M, NAMES_OF_M};
use super::super::invitations::{PendingDetails, OPEN_INVITATION_OF_M};
use super::super::sql::{from_json, Statement};
use crate::domain::audit_story::Names;
use crate::domain::{MembershipId, OrgId};

/// A team the member is in, with what its custom role (if any) is called
/// and grants, and the member's own set there.
#[derive(Debug, Clone, Deserialize)]
pub struct HeldTeam {
    pub team_id: i64,
    pub role_name: Option<String>,
    pub role_permissions: Option<Vec<String>>,
    pub own_permissions: Option<Vec<String>>,
}

/// The member's org-level custom role.
#[derive(Debug, Clone, Deserialize)]
pub struct NamedRole {
    pub name: String,
    pub permissions: Vec<String>,
}

/// How many contacts the member holds in a team.
#[derive(Debug, Clone, Deserialize)]
pub struct TeamCount {
    pub team_id: i64,
    pub count: i64,
}

/// What a member's page shows beside their list row, read in one statement
/// (each part is a small index read about this one member).
#[derive(Debug, Clone)]
pub struct Around {
    /// Their account's public ID (`acct_…`); `None` while they are pending:
    /// an invitation does not tell the inviters who holds the address.
    pub account_ref: Option<String>,
    pub org_role: Option<NamedRole>,
    pub teams: Vec<HeldTeam>,
    pub contacts: Vec<TeamCount>,
    pub milestones: Vec<Milestone>,
    /// A pending member's open (or expired) invitation.
    pub invitation: Option<PendingDetails>,
    /// The organization's names for telling events, when asked for.
    pub names: Option<Names>,
}

#[derive(QueryableByName)]
struct AroundRow {
    #[diesel(sql_type = Nullable<diesel::sql_types::Text>)]
    account_ref: Option<String>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    org_role: Option<serde_json::Value>,
    #[diesel(sql_type = Jsonb)]
    teams: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    contacts: serde_json::Value,
    #[diesel(sql_type = Jsonb)]
    milestones: serde_json::Value,
    #[diesel(sql_type = Nullable<Jsonb>)]
    invitation: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    names: Option<serde_json::Value>,
}

const AROUND: &str = "SELECT \
     (SELECT a.public_id FROM accounts a WHERE a.id = m.account_id AND m.status <> 'pending') \
      AS account_ref, \
     (SELECT jsonb_build_object('name', r.name, 'permissions', r.permissions) FROM custom_roles r \
      WHERE r.id = m.custom_role_id AND r.organization_id = m.organization_id) AS org_role, \
     (SELECT coalesce(jsonb_agg(jsonb_build_object('team_id', tm.team_id, 'role_name', r.name, \
      'role_permissions', r.permissions, 'own_permissions', tm.permissions) ORDER BY tm.team_id), '[]') \
      FROM team_memberships tm LEFT JOIN custom_roles r ON r.id = tm.custom_role_id \
      AND r.organization_id = m.organization_id WHERE tm.membership_id = m.id) AS teams, \
     (SELECT coalesce(jsonb_agg(jsonb_build_object('team_id', c.team_id, 'count', c.n)), '[]') \
      FROM (SELECT team_id, count(*) AS n FROM contacts WHERE organization_id = m.organization_id \
      AND assignee_membership_id = m.id GROUP BY team_id) c) AS contacts, ";

/// The member's custom roles, teams' sets, contacts per team, status
/// milestones and open invitation, with the organization's names when
/// `names` (one statement);
/// `None` for no such member of `org`.
pub fn around(
    conn: &mut PgConnection,
    org: OrgId,
    member: MembershipId,
    names: bool,
) -> QueryResult<Option<Around>> {
    let row: Option<AroundRow> = Statement::prepared(AROUND)
        .sql(MILESTONES_OF_M)
        .sql(" AS milestones, ")
        .sql(OPEN_INVITATION_OF_M)
        .sql(" AS invitation, ")
        .sql(if names { NAMES_OF_M } else { "NULL::jsonb" })
        .sql(" AS names FROM memberships m WHERE m.organization_id = ")
        .bind::<BigInt, _>(org.0)
        .sql(" AND m.id = ")
        .bind::<BigInt, _>(member.0)
        .get_result(conn)
        .optional()?;
    row.map(|r| {
        Ok(Around {
            account_ref: r.account_ref,
            org_role: r.org_role.map(from_json).transpose()?,
            teams: from_json(r.teams)?,
            contacts: from_json(r.contacts)?,
            milestones: from_json(r.milestones)?,
            invitation: r.invitation.map(from_json).transpose()?,
            names: r.names.map(from_json).transpose()?,
        })
    })
    .transpose()
}
