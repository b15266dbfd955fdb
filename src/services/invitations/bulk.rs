//! Inviting a list: a pasted list or a CSV becomes one line per address, each
//! classified (new account, existing account, already a member, already
//! invited, invalid and why) for the preview. Confirming classifies again under
//! the organization's lock and invites the lines that can be, in one
//! transaction with a few multi-row statements, whatever the number of lines.

use std::collections::HashMap;

use diesel::{Connection, PgConnection};
use serde_json::json;

use super::{
    check_permissions, granted, invitee_name, new_token, queue_emails, render_email,
    require_user_management, teams_json, ActorTeams, LinkSettings,
};
use crate::db::{self, audit::NewEvent, invitations as q, organizations as orgs};
use crate::domain::policy::{self, Action, Actor};
use crate::domain::{
    AccountId, EmailAddress, MembershipStatus, OrgId, OrgRole, PermissionSet, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::demo::NO_PASSWORD;

/// The most addresses one list or CSV may hold.
pub const MAX_LINES: usize = 1000;

/// One line as submitted: the address as typed, and the CSV's role and team cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineInput {
    pub email: String,
    pub role: Option<String>,
    pub team: Option<String>,
}

/// A list to invite, with what every line gets unless its CSV cells say otherwise.
#[derive(Debug, Clone)]
pub struct BulkRequest {
    pub lines: Vec<LineInput>,
    pub role: OrgRole,
    pub teams: Vec<(i64, TeamRole)>,
    pub permissions: Option<PermissionSet>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    NewAccount,
    ExistingAccount,
    AlreadyMember,
    AlreadyInvited,
    Archived,
    Invalid(String),
}

impl Standing {
    pub fn invitable(&self) -> bool {
        matches!(self, Self::NewAccount | Self::ExistingAccount)
    }

    /// The line's standing as this organization may know it: whether the address
    /// has an account elsewhere on the instance is never said (both are "Will be
    /// invited"), since that would tell one tenant about another's people.
    pub fn label(&self) -> &'static str {
        match self {
            Self::NewAccount | Self::ExistingAccount => "Will be invited",
            Self::AlreadyMember => "Already in this organization",
            Self::AlreadyInvited => "Already invited",
            Self::Archived => "Already in this organization (archived)",
            Self::Invalid(_) => "Invalid",
        }
    }

    /// The line's standing in words, with the reason when it is invalid.
    pub fn describe(&self) -> String {
        match self {
            Self::Archived => {
                "Already in this organization (archived): restore them instead".to_owned()
            }
            Self::Invalid(why) => format!("Invalid: {why}"),
            other => other.label().to_owned(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlannedLine {
    /// 1-based, as the person counts lines.
    pub number: usize,
    pub email: String,
    pub standing: Standing,
    pub role: OrgRole,
    pub teams: Vec<PlannedTeam>,
}

/// A team a line's invitee joins, with its name for the preview.
#[derive(Debug, Clone)]
pub struct PlannedTeam {
    pub id: i64,
    pub name: String,
    pub role: TeamRole,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub lines: Vec<PlannedLine>,
    pub seats_left: i64,
    pub seats_purchased: i32,
}

impl Plan {
    pub fn seats_needed(&self) -> i64 {
        self.lines.iter().filter(|l| l.standing.invitable()).count() as i64
    }

    /// Why confirming would be refused as a whole: more valid lines than seats.
    pub fn refusal(&self) -> Option<String> {
        let needed = self.seats_needed();
        (needed > self.seats_left).then(|| {
            format!(
                "These {needed} invitations need {needed} seats, but only {} of {} are left. \
                 Remove some addresses or buy more seats; nobody was invited.",
                self.seats_left, self.seats_purchased
            )
        })
    }
}

/// A role cell: a built-in role by its name or label, any case.
fn parse_role(cell: &str) -> Option<OrgRole> {
    let cell = cell.trim();
    OrgRole::ALL
        .into_iter()
        .find(|r| r.as_str().eq_ignore_ascii_case(cell) || r.label().eq_ignore_ascii_case(cell))
}

/// Team names in a team cell: one, or several separated by `;` or `|`.
fn team_names(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([';', '|'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// Classifies every line; reads only.
fn plan(
    conn: &mut PgConnection,
    actor: &Actor,
    organization: &orgs::Organization,
    req: &BulkRequest,
) -> AppResult<Plan> {
    let org = organization.id;
    check_permissions(req.permissions)?;
    if req.lines.len() > MAX_LINES {
        return Err(AppError::Validation(format!(
            "At most {MAX_LINES} addresses at a time; this list has {}. Nobody was invited.",
            req.lines.len()
        )));
    }
    let teams: Vec<(i64, String)> = db::members::team_options(conn, org)?
        .into_iter()
        .filter(|t| !t.archived)
        .map(|t| (t.id, t.name))
        .collect();
    let mut defaults = Vec::new();
    for (id, role) in &req.teams {
        let (_, name) = teams
            .iter()
            .find(|t| t.0 == *id)
            .ok_or(AppError::NotFound)?;
        defaults.push(PlannedTeam {
            id: *id,
            name: name.clone(),
            role: *role,
        });
    }
    let actor_teams = ActorTeams::load(conn, actor, org)?;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut lines = Vec::with_capacity(req.lines.len());
    for (i, input) in req.lines.iter().enumerate() {
        let number = i + 1;
        let mut line = PlannedLine {
            number,
            email: input.email.trim().to_owned(),
            standing: Standing::NewAccount,
            role: req.role,
            teams: defaults.clone(),
        };
        line.standing = classify(input, &mut line, &teams, &mut seen)
            .and_then(|()| may_invite(actor, &actor_teams, &line, req.permissions))
            .err()
            .map(Standing::Invalid)
            .unwrap_or(Standing::NewAccount);
        lines.push(line);
    }
    let valid: Vec<String> = lines
        .iter()
        .filter(|l| l.standing.invitable())
        .map(|l| l.email.to_lowercase())
        .collect();
    if !valid.is_empty() {
        let known: HashMap<String, Option<MembershipStatus>> = q::standing_of(conn, org, &valid)?
            .into_iter()
            .map(|(email, _, status)| (email, status))
            .collect();
        for line in lines.iter_mut().filter(|l| l.standing.invitable()) {
            line.standing = match known.get(&line.email.to_lowercase()) {
                None => Standing::NewAccount,
                Some(None) => Standing::ExistingAccount,
                Some(Some(MembershipStatus::Pending)) => Standing::AlreadyInvited,
                Some(Some(MembershipStatus::Active)) => Standing::AlreadyMember,
                Some(Some(MembershipStatus::Archived)) => Standing::Archived,
            };
        }
    }
    let used = orgs::count_seats_used(conn, org)?;
    Ok(Plan {
        lines,
        seats_left: (i64::from(organization.seats_purchased) - used).max(0),
        seats_purchased: organization.seats_purchased,
    })
}

/// The line's own cells: its address, its role and its teams.
fn classify(
    input: &LineInput,
    line: &mut PlannedLine,
    teams: &[(i64, String)],
    seen: &mut HashMap<String, usize>,
) -> Result<(), String> {
    let email = EmailAddress::parse(&input.email).map_err(|e| format!("malformed: {}", e.0))?;
    line.email = email.as_str().to_owned();
    if let Some(first) = seen.get(&email.as_str().to_lowercase()) {
        return Err(format!("duplicate of line {first}"));
    }
    seen.insert(email.as_str().to_lowercase(), line.number);
    if let Some(cell) = input.role.as_deref().filter(|c| !c.trim().is_empty()) {
        line.role = parse_role(cell).ok_or_else(|| format!("unknown role {:?}", cell.trim()))?;
    }
    for name in team_names(input.team.as_deref().unwrap_or("")) {
        let (id, name) = teams
            .iter()
            .find(|t| t.1.to_lowercase() == name.to_lowercase())
            .ok_or_else(|| format!("unknown team {name:?}"))?;
        if !line.teams.iter().any(|t| t.id == *id) {
            line.teams.push(PlannedTeam {
                id: *id,
                name: name.clone(),
                role: TeamRole::Agent,
            });
        }
    }
    Ok(())
}

/// The policy for one line: its role, its permissions and each of its teams.
fn may_invite(
    actor: &Actor,
    actor_teams: &ActorTeams,
    line: &PlannedLine,
    permissions: Option<PermissionSet>,
) -> Result<(), String> {
    let reason = |d: policy::Denied| d.0.to_owned();
    policy::check(
        actor,
        Action::InviteMember(line.role, granted(line.role, permissions)),
    )
    .map_err(reason)?;
    for PlannedTeam {
        id: team,
        role: team_role,
        ..
    } in &line.teams
    {
        actor_teams
            .may_grant(actor, AccountId(0), line.role, *team, *team_role)
            .map_err(reason)?;
    }
    Ok(())
}

/// What confirming would do, line by line; changes nothing.
/// `limits` are counted once per well-formed address looked up, as inviting
/// them would be: a preview says who is in this organization already, so it is
/// no free way around the invitation limits.
pub fn preview(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    req: &BulkRequest,
    limits: &[crate::services::limits::Bucket],
) -> AppResult<Plan> {
    let organization = orgs::find_by_id(conn, org)?.ok_or(AppError::NotFound)?;
    require_user_management(conn, &organization)?;
    let plan = plan(conn, actor, &organization, req)?;
    let looked_up = plan
        .lines
        .iter()
        .filter(|l| !matches!(l.standing, Standing::Invalid(_)))
        .count();
    if !limits.is_empty() && looked_up > 0 {
        crate::services::limits::hit(conn, limits, looked_up)?;
    }
    Ok(plan)
}

/// Invites every line that can be, in one transaction: refused as a whole when
/// the valid lines need more seats than are left. Returns the plan it followed;
/// its invitable lines are the ones invited.
/// `limits` are counted once per address invited, in the same transaction:
/// a list refused by a limit invites nobody.
pub fn confirm(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    req: &BulkRequest,
    links: &LinkSettings,
    limits: &[crate::services::limits::Bucket],
) -> AppResult<Plan> {
    conn.transaction(|conn| {
        // Locks the organization: concurrent invitations count seats one at a time.
        let organization = orgs::find_for_update(conn, org)?;
        require_user_management(conn, &organization)?;
        let plan = plan(conn, actor, &organization, req)?;
        if let Some(refusal) = plan.refusal() {
            return Err(AppError::Validation(refusal));
        }
        let invite: Vec<&PlannedLine> = plan
            .lines
            .iter()
            .filter(|l| l.standing.invitable())
            .collect();
        if invite.is_empty() {
            return Ok(plan);
        }
        crate::services::limits::hit(conn, limits, invite.len())?;
        write_invitations(conn, actor, &organization, &invite, req.permissions, links)?;
        Ok(plan)
    })
}

fn write_invitations(
    conn: &mut PgConnection,
    actor: &Actor,
    organization: &orgs::Organization,
    lines: &[&PlannedLine],
    permissions: Option<PermissionSet>,
    links: &LinkSettings,
) -> AppResult<()> {
    let org = organization.id;
    let new: Vec<(String, String)> = lines
        .iter()
        .filter(|l| l.standing == Standing::NewAccount)
        .map(|l| (l.email.clone(), invitee_name(&l.email)))
        .collect();
    let created: std::collections::HashSet<String> = if new.is_empty() {
        Default::default()
    } else {
        db::accounts::insert_invitees(conn, &new, NO_PASSWORD)?
            .into_iter()
            .collect()
    };
    let emails: Vec<String> = lines.iter().map(|l| l.email.to_lowercase()).collect();
    let accounts: HashMap<String, i64> = q::standing_of(conn, org, &emails)?
        .into_iter()
        .map(|(email, id, _)| (email, id))
        .collect();
    let account_of = |l: &PlannedLine| {
        accounts
            .get(&l.email.to_lowercase())
            .copied()
            .map(AccountId)
            .ok_or_else(|| AppError::unexpected(anyhow::anyhow!("invitee account missing")))
    };
    let mut members = Vec::with_capacity(lines.len());
    for line in lines {
        members.push((account_of(line)?, line.role));
    }
    let memberships: HashMap<AccountId, crate::domain::MembershipId> =
        orgs::insert_memberships(conn, org, &members, MembershipStatus::Pending)?
            .into_iter()
            .map(|(m, a)| (a, m))
            .collect();
    let expires_at = links.expires_at();
    let keys = permissions.map(PermissionSet::keys);
    let hashes: Vec<Vec<u8>> = lines.iter().map(|_| new_token().1).collect();
    let teams: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| teams_json(&l.teams.iter().map(|t| (t.id, t.role)).collect::<Vec<_>>()))
        .collect();
    let mut rows = Vec::with_capacity(lines.len());
    for ((line, hash), teams) in lines.iter().zip(&hashes).zip(&teams) {
        rows.push(q::NewInvitation {
            org,
            membership: memberships[&account_of(line)?],
            email: &line.email,
            role: line.role.as_str(),
            teams: teams.clone(),
            permissions: keys.clone(),
            inviter: actor.account_id,
            // The real token is minted when the email is sent; this one is never shown.
            token_hash: hash,
            expires_at,
            created_account: created.contains(&line.email.to_lowercase()),
        });
    }
    let invitations = q::insert_many(conn, rows)?;
    let mut rendered = HashMap::new();
    for line in lines {
        if let std::collections::hash_map::Entry::Vacant(slot) = rendered.entry(line.role) {
            slot.insert(render_email(
                conn,
                links,
                organization,
                actor.account_id,
                line.role,
                expires_at,
            )?);
        }
    }
    let messages: Vec<_> = lines
        .iter()
        .zip(&invitations)
        .map(|(line, (id, _))| (*id, line.email.as_str(), &rendered[&line.role]))
        .collect();
    queue_emails(conn, "invitation", &messages)?;
    let events = lines
        .iter()
        .zip(&invitations)
        .zip(&teams)
        .map(|((line, (id, membership)), teams)| NewEvent {
            organization_id: Some(org),
            actor: Some(actor.account_id),
            action: "invitation.created",
            target_type: "membership",
            target_id: membership.map(|m| m.to_string()),
            before: None,
            after: Some(json!({
                "email": line.email, "role": line.role.as_str(),
                "teams": teams, "permissions": keys, "invitation": id, "expires_at": expires_at, "bulk": true,
            })),
        })
        .collect();
    db::audit::insert_many(conn, events)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_cells_take_names_or_labels_in_any_case() {
        assert_eq!(parse_role("admin"), Some(OrgRole::Admin));
        assert_eq!(parse_role(" Manager "), Some(OrgRole::Manager));
        assert_eq!(parse_role("MEMBER"), Some(OrgRole::Member));
        assert_eq!(parse_role("emperor"), None);
    }

    #[test]
    fn team_cells_split_on_semicolons_and_bars() {
        let names: Vec<&str> = team_names(" Support; Sales |  ;").collect();
        assert_eq!(names, ["Support", "Sales"]);
    }
}
