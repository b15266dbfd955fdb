//! Team use cases: creating a team, its settings, workflow ID, archive and
//! delete. Each function is one transaction with its audit event; changes lock
//! the team row first, so an archive or delete never interleaves with an edit.
//! Member changes live in [`members`].

pub mod by_email;
pub mod members;

use diesel::{Connection, PgConnection};
use serde_json::{json, Value};

use crate::db::{self, audit::NewEvent, teams::Team};
use crate::domain::{
    policy::{self, Action, Actor, TeamAction},
    team_fields::{GoalThreshold, TeamDescription, TeamName, TeamToggle, WorkflowId},
    AccountId, MembershipId, OrgId, PermissionSet, TeamId, TeamRole,
};
use crate::error::{AppError, AppResult};

pub const ARCHIVED: &str = "This team is archived; unarchive it to make changes.";

fn snapshot(team: &Team) -> Value {
    json!({
        "name": team.name,
        "description": team.description,
        "calibration": team.calibration,
        "self_review": team.self_review,
        "goal_threshold": team.goal_threshold,
        "archived": team.is_archived(),
    })
}

fn audit_team(
    conn: &mut PgConnection,
    actor: AccountId,
    team: &Team,
    action: &str,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: Some(team.organization_id),
            actor: Some(actor),
            action,
            target_type: "team",
            target_id: Some(team.id.to_string()),
            before,
            after,
        },
    )?;
    Ok(())
}

/// The team, locked for this transaction; another organization's is a 404.
fn lock(conn: &mut PgConnection, org: OrgId, team: TeamId) -> AppResult<Team> {
    db::teams::find_in_org_for_update(conn, org, team)?.ok_or(AppError::NotFound)
}

/// The team, locked, refusing changes while it is archived.
pub(crate) fn lock_editable(conn: &mut PgConnection, org: OrgId, team: TeamId) -> AppResult<Team> {
    let team = lock(conn, org, team)?;
    if team.is_archived() {
        return Err(AppError::Conflict(ARCHIVED.into()));
    }
    Ok(team)
}

fn duplicate_name(name: &TeamName) -> AppError {
    TeamRefusal::NameTaken(name.as_str().to_owned()).into()
}

/// Why a change to a team's details was refused: a value the page shows by
/// the field it is about, never recognised by its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamRefusal {
    /// The team is archived.
    Archived,
    /// Another team of the organization has this name.
    NameTaken(String),
}

impl TeamRefusal {
    pub fn message(&self) -> String {
        match self {
            Self::Archived => ARCHIVED.to_owned(),
            Self::NameTaken(name) => {
                format!("A team named “{name}” already exists in this organization.")
            }
        }
    }
}

impl From<TeamRefusal> for AppError {
    fn from(refusal: TeamRefusal) -> Self {
        AppError::Conflict(refusal.message())
    }
}

/// Creates a team with a fresh workflow ID. Someone who may create teams but
/// could not otherwise manage this one becomes its team manager, so the team
/// they land on is theirs to set up. A duplicate name is a `Conflict`.
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    creator: MembershipId,
    org: OrgId,
    name: &TeamName,
    description: &TeamDescription,
) -> AppResult<Team> {
    conn.transaction(|conn| {
        if db::teams::name_taken(conn, org, name.as_str(), None)? {
            return Err(duplicate_name(name));
        }
        let workflow_id = WorkflowId::generate();
        let team = db::teams::insert(
            conn,
            db::teams::NewTeam {
                organization_id: org,
                name: name.as_str(),
                description: description.as_str(),
                workflow_id: workflow_id.as_str(),
            },
        )?;
        audit_team(
            conn,
            actor.account_id,
            &team,
            "team.created",
            None,
            Some(snapshot(&team)),
        )?;
        let manages_every_team = policy::check(
            actor,
            Action::Team(TeamAction::EditSettings, PermissionSet::default()),
        )
        .is_ok();
        if !manages_every_team {
            let role = TeamRole::TeamManager;
            let id = db::teams::members::insert_membership(conn, org, team.id, creator, role)?;
            members::audit_member(
                conn,
                actor.account_id,
                org,
                id,
                "team.member_added",
                None,
                Some(json!({"team_id": team.id, "membership_id": creator, "role": role.as_str()})),
            )?;
        }
        Ok(team)
    })
}

pub fn update_details(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    team: TeamId,
    name: &TeamName,
    description: &TeamDescription,
) -> AppResult<Result<Team, TeamRefusal>> {
    conn.transaction(|conn| {
        // A refusal comes before any write: nothing to roll back.
        let current = lock(conn, org, team)?;
        if current.is_archived() {
            return Ok(Err(TeamRefusal::Archived));
        }
        if db::teams::name_taken(conn, org, name.as_str(), Some(team))? {
            return Ok(Err(TeamRefusal::NameTaken(name.as_str().to_owned())));
        }
        let updated = db::teams::update_details(conn, team, name.as_str(), description.as_str())?;
        audit_team(
            conn,
            actor.account_id,
            &updated,
            "team.updated",
            Some(json!({"name": current.name, "description": current.description})),
            Some(json!({"name": updated.name, "description": updated.description})),
        )?;
        Ok(Ok(updated))
    })
}

pub fn set_toggle(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    team: TeamId,
    toggle: TeamToggle,
    on: bool,
) -> AppResult<Team> {
    conn.transaction(|conn| {
        let current = lock_editable(conn, org, team)?;
        let (was, updated) = match toggle {
            TeamToggle::Calibration => (
                current.calibration,
                db::teams::update_calibration(conn, team, on)?,
            ),
            TeamToggle::SelfReview => (
                current.self_review,
                db::teams::update_self_review(conn, team, on)?,
            ),
        };
        audit_team(
            conn,
            actor.account_id,
            &updated,
            "team.setting_toggled",
            Some(json!({ toggle.key(): was })),
            Some(json!({ toggle.key(): on })),
        )?;
        Ok(updated)
    })
}

pub fn set_goal_threshold(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    team: TeamId,
    threshold: GoalThreshold,
) -> AppResult<Team> {
    conn.transaction(|conn| {
        let current = lock_editable(conn, org, team)?;
        let updated = db::teams::update_goal_threshold(conn, team, threshold.get())?;
        audit_team(
            conn,
            actor.account_id,
            &updated,
            "team.goal_threshold_changed",
            Some(json!({"goal_threshold": current.goal_threshold})),
            Some(json!({"goal_threshold": updated.goal_threshold})),
        )?;
        Ok(updated)
    })
}

/// Replaces the workflow ID; the old one stops working at once. The audit log
/// keeps only the ids' first characters: the ids are what senders use.
pub fn regenerate_workflow_id(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    team: TeamId,
) -> AppResult<Team> {
    conn.transaction(|conn| {
        let current = lock_editable(conn, org, team)?;
        let fresh = WorkflowId::generate();
        let updated = db::teams::update_workflow_id(conn, team, fresh.as_str())?;
        audit_team(
            conn,
            actor.account_id,
            &updated,
            "team.workflow_id_regenerated",
            Some(json!({"workflow_id": WorkflowId::redacted(&current.workflow_id)})),
            Some(json!({"workflow_id": WorkflowId::redacted(&updated.workflow_id)})),
        )?;
        Ok(updated)
    })
}

/// Archives (`true`) or unarchives (`false`) the team; doing what is already
/// done changes nothing and writes no event.
pub fn set_archived(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    team: TeamId,
    archived: bool,
) -> AppResult<Team> {
    conn.transaction(|conn| {
        let current = lock(conn, org, team)?;
        if current.is_archived() == archived {
            return Ok(current);
        }
        let updated = db::teams::update_archived(conn, team, archived)?;
        audit_team(
            conn,
            actor.account_id,
            &updated,
            if archived {
                "team.archived"
            } else {
                "team.unarchived"
            },
            Some(snapshot(&current)),
            Some(snapshot(&updated)),
        )?;
        Ok(updated)
    })
}

/// Deletes the team with its groups, services and team memberships, once the
/// person has typed its name; org memberships stay. Returns the deleted name.
pub fn delete(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    team: TeamId,
    typed_name: &str,
) -> AppResult<String> {
    conn.transaction(|conn| {
        let current = lock(conn, org, team)?;
        if typed_name.trim() != current.name {
            return Err(AppError::Validation(format!(
                "Type the team's name, {}, to confirm.",
                current.name
            )));
        }
        let members = db::teams::members::count_members(conn, team)?;
        db::teams::delete(conn, team)?;
        let mut before = snapshot(&current);
        before["members"] = json!(members);
        audit_team(
            conn,
            actor.account_id,
            &current,
            "team.deleted",
            Some(before),
            None,
        )?;
        Ok(current.name)
    })
}
