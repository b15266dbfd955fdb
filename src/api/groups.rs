//! A team's groups and services under `/api/v1/teams/{team}`: listing and
//! creating them, and attaching a service to a group or detaching it, through
//! the groups and services use cases after the policy's team checks.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiActor;
use super::problem::{ApiResult, FieldError, Problem, ProblemBody};
use super::teams::{allow_team, load};
use crate::db::{self, PgPool};
use crate::domain::{
    group_fields::{GroupName, ServiceDescription, ServiceName},
    policy::TeamAction,
    GroupId, ServiceId,
};
use crate::services::{groups as group_svc, team_services as service_svc};
use crate::web::plumbing::routing::routes;

routes! {
    GET "/teams/{team}/groups" => groups_list,
    POST "/teams/{team}/groups" => groups_create,
    GET "/teams/{team}/services" => services_list,
    POST "/teams/{team}/services" => services_create,
    PUT "/teams/{team}/groups/{group}/services/{service}" => group_service_attach,
    DELETE "/teams/{team}/groups/{group}/services/{service}" => group_service_detach,
}

/// A group of a team, with the services it provides.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupOut {
    pub id: i64,
    pub name: String,
    pub service_ids: Vec<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupList {
    pub data: Vec<GroupOut>,
}

/// A service a team offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOut {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub active: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    pub data: Vec<ServiceOut>,
}

impl From<db::services::Service> for ServiceOut {
    fn from(s: db::services::Service) -> Self {
        Self {
            id: s.id.0,
            name: s.name,
            description: s.description,
            active: s.active,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/groups", tag = "groups",
    params(("team" = i64, Path, description = "The team's id")),
    responses((status = 200, description = "The team's groups", body = GroupList),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn groups_list(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let team = load(&pool, &api, path.into_inner()).await?;
    let org = api.org;
    let (groups, attached) = db::run(&pool, move |conn| {
        Ok((
            db::groups::list_for_team(conn, org, team.id)?,
            db::services::list_attachments_for_team(conn, team.id)?,
        ))
    })
    .await?;
    let data = groups
        .into_iter()
        .map(|g| GroupOut {
            service_ids: attached
                .iter()
                .filter(|a| a.group_id == g.id)
                .map(|a| a.service_id.0)
                .collect(),
            id: g.id.0,
            name: g.name,
        })
        .collect();
    Ok(HttpResponse::Ok().json(GroupList { data }))
}

/// A new group.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroup {
    pub name: String,
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/groups", tag = "groups",
    params(("team" = i64, Path, description = "The team's id")),
    request_body(content = NewGroup, content_type = "application/json"),
    responses((status = 201, description = "The new group", body = GroupOut),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn groups_create(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
    body: web::Json<NewGroup>,
) -> ApiResult<HttpResponse> {
    let team = load(&pool, &api, path.into_inner()).await?;
    allow_team(&api, TeamAction::ManageGroups)?;
    let name = GroupName::parse(&body.name).map_err(|e| Problem::field("name", e.0))?;
    let (actor, org) = (api.actor.account_id, api.organization.clone());
    let group = db::run(&pool, move |conn| {
        group_svc::create(conn, actor, &org, team.id, &name)
    })
    .await?;
    Ok(HttpResponse::Created().json(GroupOut {
        id: group.id.0,
        name: group.name,
        service_ids: Vec::new(),
    }))
}

#[utoipa::path(get, path = "/api/v1/teams/{team}/services", tag = "services",
    params(("team" = i64, Path, description = "The team's id")),
    responses((status = 200, description = "The team's services", body = ServiceList),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn services_list(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let team = load(&pool, &api, path.into_inner()).await?;
    let org = api.org;
    let services = db::run(&pool, move |conn| {
        Ok(db::services::list_for_team(conn, org, team.id)?)
    })
    .await?;
    let data = services.into_iter().map(ServiceOut::from).collect();
    Ok(HttpResponse::Ok().json(ServiceList { data }))
}

/// A new service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewService {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[utoipa::path(post, path = "/api/v1/teams/{team}/services", tag = "services",
    params(("team" = i64, Path, description = "The team's id")),
    request_body(content = NewService, content_type = "application/json"),
    responses((status = 201, description = "The new service", body = ServiceOut),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn services_create(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<i64>,
    body: web::Json<NewService>,
) -> ApiResult<HttpResponse> {
    let team = load(&pool, &api, path.into_inner()).await?;
    allow_team(&api, TeamAction::ManageServices)?;
    let mut errors = Vec::new();
    let name = ServiceName::parse(&body.name)
        .map_err(|e| errors.push(FieldError::new("name", e.0)))
        .ok();
    let description = ServiceDescription::parse(&body.description)
        .map_err(|e| errors.push(FieldError::new("description", e.0)))
        .ok();
    let (Some(name), Some(description)) = (name, description) else {
        return Err(Problem::validation(errors));
    };
    let (actor, org) = (api.actor.account_id, api.organization.clone());
    let service = db::run(&pool, move |conn| {
        service_svc::create(conn, actor, &org, team.id, &name, &description)
    })
    .await?;
    Ok(HttpResponse::Created().json(ServiceOut::from(service)))
}

async fn set_service(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<(i64, i64, i64)>,
    attach: bool,
) -> ApiResult<HttpResponse> {
    let (team, group, service) = path.into_inner();
    let team = load(&pool, &api, team).await?;
    allow_team(&api, TeamAction::ManageGroups)?;
    let (actor, org) = (api.actor.account_id, api.organization.clone());
    db::run(&pool, move |conn| {
        group_svc::set_service(
            conn,
            actor,
            &org,
            team.id,
            GroupId(group),
            ServiceId(service),
            attach,
        )
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(put, path = "/api/v1/teams/{team}/groups/{group}/services/{service}", tag = "groups",
    params(("team" = i64, Path, description = "The team's id"),
           ("group" = i64, Path, description = "The group's id"),
           ("service" = i64, Path, description = "The service's id")),
    responses((status = 204, description = "The group provides the service"),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn group_service_attach(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<(i64, i64, i64)>,
) -> ApiResult<HttpResponse> {
    set_service(api, pool, path, true).await
}

#[utoipa::path(delete, path = "/api/v1/teams/{team}/groups/{group}/services/{service}", tag = "groups",
    params(("team" = i64, Path, description = "The team's id"),
           ("group" = i64, Path, description = "The group's id"),
           ("service" = i64, Path, description = "The service's id")),
    responses((status = 204, description = "The group no longer provides the service"),
              (status = "4XX", description = "A problem", body = ProblemBody, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn group_service_detach(
    api: ApiActor,
    pool: web::Data<PgPool>,
    path: web::Path<(i64, i64, i64)>,
) -> ApiResult<HttpResponse> {
    set_service(api, pool, path, false).await
}
