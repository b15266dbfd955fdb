//! `POST /api/v1/workflows/{workflow_id}/calls`: calls streamed to a team.
//! The token authenticates (it needs the `workflows.ingest` scope of the
//! team's organization); the workflow ID only says which team.
//!
//! The body is one call, answered `201` when stored or `200` when the team had
//! that external id already (with the call as it was stored first), or
//! `{"calls": [ … ]}` with 1 to 1,000 calls, answered `200` with a result per
//! call in the batch's order: `stored`, `duplicate` (with the existing call's
//! id) or `refused` (with the errors of each field). A batch is one
//! transaction. An agent who is not an active member of the team leaves the
//! call unassigned, with a warning in its result.

use actix_web::{http::header, http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::ApiActor;
use super::json::MAX_BODY_BYTES;
use super::problem::{ApiResult, FieldError, Problem, ProblemBody, ProblemType};
use crate::db::{self, calls::Call, PgPool};
use crate::domain::{
    call_input::{self, BodyError, CallInput, Submission, BATCH_MAX},
    Permission,
};
use crate::services::calls::{self as call_service, Detail, ItemOutcome, Status};
use crate::web::plumbing::routing::routes;

routes! {
    POST "/workflows/{workflow_id}/calls" => calls_ingest,
}

#[derive(Debug, Deserialize)]
pub struct WorkflowPath {
    pub workflow_id: String,
}

/// Several calls in one request, stored in one transaction.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallBatch {
    /// 1 to 1,000 calls.
    pub calls: Vec<CallInput>,
}

/// The body: one call, or a batch. (Read by `domain::call_input::parse_body`,
/// which judges each call of a batch on its own; these types describe it.)
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum CallsBody {
    One(CallInput),
    Batch(CallBatch),
}

/// A stored call, as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallJson {
    pub id: i64,
    pub external_id: String,
    pub started_at: DateTime<Utc>,
    pub duration_seconds: i32,
    /// `inbound` or `outbound`.
    #[schema(value_type = String)]
    pub direction: &'static str,
    pub from_number: String,
    pub to_number: String,
    /// The org member id of the agent, or null when unassigned.
    pub agent_member_id: Option<i64>,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<Call> for CallJson {
    fn from(c: Call) -> Self {
        Self {
            id: c.id.0,
            external_id: c.external_id,
            started_at: c.started_at,
            duration_seconds: c.duration_seconds,
            direction: c.direction.as_str(),
            from_number: c.from_number,
            to_number: c.to_number,
            agent_member_id: c.agent_membership_id.map(|m| m.0),
            metadata: c.metadata,
            created_at: c.created_at,
        }
    }
}

/// The answer to one call.
#[derive(Debug, Serialize, ToSchema)]
pub struct OneResult {
    /// `stored` or `duplicate`.
    #[schema(value_type = String)]
    pub status: &'static str,
    pub call: CallJson,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What became of one call of a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResult {
    /// The call's place in the batch, from 0.
    pub index: usize,
    /// `stored`, `duplicate` or `refused`.
    #[schema(value_type = String)]
    pub status: &'static str,
    /// The stored call's id, or the existing one's for a duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Why the call was refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The answer to a batch.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchResult {
    pub stored: usize,
    pub duplicates: usize,
    pub refused: usize,
    pub results: Vec<ItemResult>,
}

fn field_errors(errors: Vec<call_input::FieldError>, prefix: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| FieldError::new(format!("{prefix}{}", e.field), e.message))
        .collect()
}

fn too_large(detail: String) -> Problem {
    Problem::new(ProblemType::TooLarge, detail)
}

/// The body, refused as soon as it is known to pass [`MAX_BODY_BYTES`]: by its
/// `Content-Length`, or while it streams in without one.
async fn read_body(req: &HttpRequest, mut payload: web::Payload) -> ApiResult<web::BytesMut> {
    let over = || {
        too_large(format!(
            "The body is larger than {MAX_BODY_BYTES} bytes; send at most {BATCH_MAX} calls of moderate size per request."
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(over());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(8 * 1024));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::new(
                ProblemType::MalformedJson,
                format!("The body could not be read: {e}."),
            )
        })?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(over());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn require_json(req: &HttpRequest) -> ApiResult<()> {
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime_guess::mime::Mime>().ok())
        .is_some_and(|m| m.essence_str() == "application/json");
    if json {
        Ok(())
    } else {
        Err(Problem::new(
            ProblemType::UnsupportedMediaType,
            "Send the body as Content-Type: application/json.",
        ))
    }
}

fn body_problem(err: BodyError) -> Problem {
    match err {
        BodyError::NotJson(detail) => Problem::new(ProblemType::MalformedJson, detail),
        BodyError::Malformed(detail) => Problem::new(ProblemType::InvalidBody, detail),
        BodyError::TooManyCalls(n) => too_large(format!(
            "A batch holds at most {BATCH_MAX} calls; this one has {n}. Split it."
        )),
    }
}

fn one_response(outcome: ItemOutcome) -> ApiResult<HttpResponse> {
    let status = match outcome.status {
        Status::Stored => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    let call = outcome.call.ok_or_else(|| {
        Problem::from(crate::error::AppError::unexpected(anyhow::anyhow!(
            "a stored call came back without its row"
        )))
    })?;
    Ok(HttpResponse::build(status).json(OneResult {
        status: outcome.status.as_str(),
        call: call.into(),
        warnings: outcome.warnings,
    }))
}

fn batch_response(outcomes: Vec<ItemOutcome>) -> HttpResponse {
    let count = |s: Status| outcomes.iter().filter(|o| o.status == s).count();
    let (stored, duplicates, refused) = (
        count(Status::Stored),
        count(Status::Duplicate),
        count(Status::Refused),
    );
    let results = outcomes
        .into_iter()
        .enumerate()
        .map(|(index, o)| ItemResult {
            index,
            status: o.status.as_str(),
            id: o.id.map(|id| id.0),
            external_id: o.external_id,
            errors: field_errors(o.errors, ""),
            warnings: o.warnings,
        })
        .collect();
    HttpResponse::Ok().json(BatchResult {
        stored,
        duplicates,
        refused,
        results,
    })
}

/// The answer of a 200: a duplicate single call, or a batch.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CallsAnswer {
    One(OneResult),
    Batch(BatchResult),
}

/// Streams calls to the team the workflow ID names.
#[utoipa::path(
    post,
    path = "/api/v1/workflows/{workflow_id}/calls",
    tag = "calls",
    params(("workflow_id" = String, Path, description = "The team's workflow ID (Settings of the team); it routes, the token authenticates")),
    request_body(content = CallsBody, content_type = "application/json",
        description = "One call, or {\"calls\": [...]} with 1 to 1,000 calls; at most 1 MiB"),
    responses(
        (status = 201, description = "The call was stored", body = OneResult),
        (status = 200, description = "One call the team had already (the call stored first), or a batch's results in order", body = CallsAnswer),
        (status = "4XX", description = "A problem: 401 token, 403 scope, 404 workflow ID, 409 archived team, 413 too large, 422 a refused call", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn calls_ingest(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    api: ApiActor,
    path: web::Path<WorkflowPath>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    // Before the body is read: a token that may not send calls costs nothing more.
    api.require(Permission::WorkflowsIngest)?;
    require_json(&req)?;
    let body = read_body(&req, payload).await?;
    let submission = call_input::parse_body(&body).map_err(body_problem)?;
    let (items, detail) = match submission {
        Submission::One(Err(refusal)) => {
            return Err(Problem::validation(field_errors(refusal.errors, "")))
        }
        Submission::One(Ok(call)) => (vec![Ok(call)], Detail::Full),
        Submission::Batch(items) => (items, Detail::Ids),
    };
    let (actor, org, workflow) = (api.actor, api.org, path.into_inner().workflow_id);
    let outcomes = db::run(&pool, move |conn| {
        call_service::ingest(conn, &actor, org, &workflow, items, detail)
    })
    .await?;
    if detail == Detail::Ids {
        return Ok(batch_response(outcomes));
    }
    let one = outcomes.into_iter().next().ok_or_else(|| {
        Problem::from(crate::error::AppError::unexpected(anyhow::anyhow!(
            "one call sent, no result"
        )))
    })?;
    one_response(one)
}
