//! Services a team offers, and which groups provide them (`group_services`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::groups::lower_text;
use super::schema::{group_services, groups, services};
use crate::domain::{GroupId, OrgId, ServiceId, TeamId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = services)]
pub struct Service {
    pub id: ServiceId,
    pub organization_id: OrgId,
    pub team_id: TeamId,
    pub name: String,
    pub description: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// A service attached to a group, with both names, for either page to show.
#[derive(Debug, Clone, Queryable)]
pub struct Attachment {
    pub group_id: GroupId,
    pub group_name: String,
    pub service_id: ServiceId,
    pub service_name: String,
    pub service_active: bool,
}

pub fn list_for_team(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
) -> QueryResult<Vec<Service>> {
    services::table
        .filter(services::organization_id.eq(org))
        .filter(services::team_id.eq(team))
        .order((lower_text(services::name), services::id))
        .select(Service::as_select())
        .load(conn)
}

/// The team's service `id`, if it is of this team of this organization: the one
/// filter both [`find_in_team`] and [`lock_in_team`] load through.
#[diesel::dsl::auto_type(no_type_alias)]
fn one_in_team(org: OrgId, team: TeamId, id: ServiceId) -> _ {
    services::table
        .filter(services::id.eq(id))
        .filter(services::organization_id.eq(org))
        .filter(services::team_id.eq(team))
}

/// A service of this team of this organization; anything else is `None`.
pub fn find_in_team(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: ServiceId,
) -> QueryResult<Option<Service>> {
    one_in_team(org, team, id)
        .select(Service::as_select())
        .first(conn)
        .optional()
}

/// Like [`find_in_team`], locking the row until the transaction ends, so two
/// saves of one service take turns and the later one wins whole.
pub fn lock_in_team(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: ServiceId,
) -> QueryResult<Option<Service>> {
    one_in_team(org, team, id)
        .select(Service::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Whether another service of the team already has this name, ignoring case.
pub fn name_taken(
    conn: &mut PgConnection,
    team: TeamId,
    name: &str,
    except: Option<ServiceId>,
) -> QueryResult<bool> {
    let mut query = services::table
        .filter(services::team_id.eq(team))
        .filter(lower_text(services::name).eq(lower_text(name)))
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(services::id.ne(except));
    }
    diesel::select(diesel::dsl::exists(query.select(services::id))).get_result(conn)
}

pub fn insert(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    name: &str,
    description: &str,
) -> QueryResult<Service> {
    diesel::insert_into(services::table)
        .values((
            services::organization_id.eq(org),
            services::team_id.eq(team),
            services::name.eq(name),
            services::description.eq(description),
        ))
        .returning(Service::as_returning())
        .get_result(conn)
}

pub fn update(
    conn: &mut PgConnection,
    id: ServiceId,
    name: &str,
    description: &str,
) -> QueryResult<Service> {
    diesel::update(services::table.find(id))
        .set((
            services::name.eq(name),
            services::description.eq(description),
        ))
        .returning(Service::as_returning())
        .get_result(conn)
}

pub fn set_active(conn: &mut PgConnection, id: ServiceId, active: bool) -> QueryResult<Service> {
    diesel::update(services::table.find(id))
        .set(services::active.eq(active))
        .returning(Service::as_returning())
        .get_result(conn)
}

/// Deletes the service; its attachments to groups go with it (cascade).
pub fn delete(conn: &mut PgConnection, id: ServiceId) -> QueryResult<usize> {
    diesel::delete(services::table.find(id)).execute(conn)
}

/// Every attachment between the team's groups and services, ordered by group
/// name, then service name.
pub fn list_attachments_for_team(
    conn: &mut PgConnection,
    team: TeamId,
) -> QueryResult<Vec<Attachment>> {
    group_services::table
        .inner_join(groups::table)
        .inner_join(services::table)
        .filter(groups::team_id.eq(team))
        .order((
            lower_text(groups::name),
            groups::id,
            lower_text(services::name),
            services::id,
        ))
        .select((
            groups::id,
            groups::name,
            services::id,
            services::name,
            services::active,
        ))
        .load(conn)
}

/// Attaches a service to a group; attaching twice changes nothing (returns 0).
pub fn attach(conn: &mut PgConnection, group: GroupId, service: ServiceId) -> QueryResult<usize> {
    diesel::insert_into(group_services::table)
        .values((
            group_services::group_id.eq(group),
            group_services::service_id.eq(service),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
}

pub fn detach(conn: &mut PgConnection, group: GroupId, service: ServiceId) -> QueryResult<usize> {
    diesel::delete(
        group_services::table
            .filter(group_services::group_id.eq(group))
            .filter(group_services::service_id.eq(service)),
    )
    .execute(conn)
}

/// The names of the groups a service is attached to (for the audit trail).
pub fn group_names_of(conn: &mut PgConnection, service: ServiceId) -> QueryResult<Vec<String>> {
    group_services::table
        .inner_join(groups::table)
        .filter(group_services::service_id.eq(service))
        .order(lower_text(groups::name))
        .select(groups::name)
        .load(conn)
}
