//! Services of a team: what the services page shows (each service with the
//! groups that provide it and thereby the members), and its use cases. Each
//! change is one transaction with its audit event, opened by
//! [`crate::services::groups::open`] (which refuses an archived team); the
//! caller asked the policy.

use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::db::{self, organizations::Organization, services::Service};
use crate::domain::{
    group_fields::{ServiceDescription, ServiceName},
    AccountId, Feature, OrgId, ServiceId, TeamId, TeamMembershipId,
};
use crate::error::{AppError, AppResult};
use crate::services::groups::{keep_only, modules, open, record, Modules};

/// A person who provides a service through one of its groups.
#[derive(Debug, Clone)]
pub struct Provider {
    pub team_membership_id: TeamMembershipId,
    pub display_name: String,
}

/// One service as its row shows it.
#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub service: Service,
    /// The groups it is attached to, by name.
    pub groups: Vec<String>,
    /// The active members of those groups, each once, by name.
    pub providers: Vec<Provider>,
}

#[derive(Debug, Clone)]
pub struct ServicesView {
    pub modules: Modules,
    pub rows: Vec<ServiceRow>,
}

/// The team's services, or only `only` (a 404 when it is not one of them), in
/// four queries whatever the team's size.
pub fn load(
    conn: &mut PgConnection,
    org: &Organization,
    team: TeamId,
    only: Option<ServiceId>,
) -> AppResult<ServicesView> {
    let modules = modules(conn, org)?;
    let mut services = db::services::list_for_team(conn, org.id, team)?;
    keep_only(&mut services, only, |s| s.id)?;
    let attachments = db::services::list_attachments_for_team(conn, team)?;
    // Ordered by name, so providers come out ordered too.
    let members = db::groups::list_members_for_team(conn, team)?;
    let rows = services
        .into_iter()
        .map(|service| {
            let groups: Vec<_> = attachments
                .iter()
                .filter(|a| a.service_id == service.id)
                .collect();
            let mut providers: Vec<Provider> = Vec::new();
            for m in &members {
                let provides = groups.iter().any(|a| a.group_id == m.group_id);
                let seen = providers
                    .iter()
                    .any(|p| p.team_membership_id == m.member.team_membership_id);
                if provides && !seen && m.member.is_active() {
                    providers.push(Provider {
                        team_membership_id: m.member.team_membership_id,
                        display_name: m.member.display_name.clone(),
                    });
                }
            }
            ServiceRow {
                groups: groups.iter().map(|a| a.group_name.clone()).collect(),
                service,
                providers,
            }
        })
        .collect();
    Ok(ServicesView { modules, rows })
}

fn service_or_404(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: ServiceId,
) -> AppResult<Service> {
    db::services::lock_in_team(conn, org, team, id)?.ok_or(AppError::NotFound)
}

fn duplicate(name: &ServiceName) -> AppError {
    AppError::Conflict(format!(
        "This team already has a service named “{}”.",
        name.as_str()
    ))
}

pub fn create(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    name: &ServiceName,
    description: &ServiceDescription,
) -> AppResult<Service> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Services])?;
        if db::services::name_taken(conn, team, name.as_str(), None)? {
            return Err(duplicate(name));
        }
        let service =
            db::services::insert(conn, org.id, team, name.as_str(), description.as_str())?;
        record(
            conn,
            org.id,
            actor,
            "service.created",
            ("service", service.id.to_string()),
            None,
            Some(json!({
                "team_id": team,
                "name": service.name,
                "description": service.description,
            })),
        )?;
        Ok(service)
    })
}

/// Saves name and description whole: concurrent saves of one service take
/// turns on its row lock, and the later one wins.
pub fn update(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    id: ServiceId,
    name: &ServiceName,
    description: &ServiceDescription,
) -> AppResult<Service> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Services])?;
        let before = service_or_404(conn, org.id, team, id)?;
        if db::services::name_taken(conn, team, name.as_str(), Some(id))? {
            return Err(duplicate(name));
        }
        let after = db::services::update(conn, id, name.as_str(), description.as_str())?;
        record(
            conn,
            org.id,
            actor,
            "service.updated",
            ("service", id.to_string()),
            Some(json!({"name": before.name, "description": before.description})),
            Some(json!({"name": after.name, "description": after.description})),
        )?;
        Ok(after)
    })
}

pub fn set_active(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    id: ServiceId,
    active: bool,
) -> AppResult<Service> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Services])?;
        let before = service_or_404(conn, org.id, team, id)?;
        let after = db::services::set_active(conn, id, active)?;
        record(
            conn,
            org.id,
            actor,
            if active {
                "service.activated"
            } else {
                "service.deactivated"
            },
            ("service", id.to_string()),
            Some(json!({"active": before.active})),
            Some(json!({"active": after.active})),
        )?;
        Ok(after)
    })
}

/// Deletes the service; the groups that provided it stop providing it.
pub fn delete(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    id: ServiceId,
) -> AppResult<Service> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Services])?;
        let service = service_or_404(conn, org.id, team, id)?;
        let groups = db::services::group_names_of(conn, id)?;
        db::services::delete(conn, id)?;
        record(
            conn,
            org.id,
            actor,
            "service.deleted",
            ("service", id.to_string()),
            Some(json!({
                "team_id": team,
                "name": service.name,
                "description": service.description,
                "active": service.active,
                "groups": groups,
            })),
            None,
        )?;
        Ok(service)
    })
}
