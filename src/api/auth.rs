//! Who is calling the API: [`ApiActor`] reads `Authorization: Bearer …`, finds
//! the token by its hash on every request, and acts as an [`Actor`] of the
//! token's organization whose permissions are the token's scopes (see
//! `Actor::for_token`). No session or cookie is ever read here, which is why
//! the CSRF guard lets `/api/v1` through: a browser's cookies carry no
//! authority on these routes.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use chrono::Utc;
use diesel::Connection;
use serde_json::json;

use super::problem::{ApiResult, Problem, ProblemType};
use crate::config::Settings;
use crate::db::{self, api_tokens, organizations::Organization, PgPool};
use crate::domain::{
    api_tokens::TokenSecret,
    policy::{self, Action, Actor},
    ApiTokenId, Feature, OrgId, OrgRole, Permission, PermissionSet, Plan,
};
use crate::services::limits;
use crate::web::plumbing::context::client_ip;

/// A valid token of an organization with API access on, within its rate limit.
#[derive(Debug, Clone)]
pub struct ApiActor {
    pub org: OrgId,
    pub organization: Organization,
    pub token_id: ApiTokenId,
    pub scopes: PermissionSet,
    /// The token as the policy sees it.
    pub actor: Actor,
}

impl ApiActor {
    /// Refuses with 403 (and `WWW-Authenticate: Bearer error="insufficient_scope"`)
    /// unless the token carries `scope`.
    pub fn require(&self, scope: Permission) -> ApiResult<()> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(Problem::insufficient_scope(scope.key()))
        }
    }

    /// Asks the policy, as for a signed-in member; a refusal carries its reason.
    pub fn allow(&self, action: Action) -> ApiResult<()> {
        policy::check(&self.actor, action).map_err(Problem::from)
    }
}

/// How long a use is recorded without writing again, unless the address changes.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

fn presented(req: &HttpRequest) -> ApiResult<TokenSecret> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(Problem::unauthorized(
            "Send an API token: Authorization: Bearer roster_pat_…",
        ));
    };
    let value = value
        .to_str()
        .map_err(|_| Problem::invalid_token("The Authorization header is not readable."))?;
    let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Problem::unauthorized(
            "Only Bearer tokens are accepted: Authorization: Bearer roster_pat_…",
        ));
    }
    TokenSecret::parse(credentials.trim())
        .ok_or_else(|| Problem::invalid_token("That is not a Roster API token."))
}

fn api_enabled(org: &Organization, toggled: Option<bool>) -> bool {
    let plan = Plan::parse(&org.plan).unwrap_or(Plan::Free);
    Feature::ApiAccess.available_on(plan)
        && toggled.unwrap_or(Feature::ApiAccess.enabled_by_default())
}

/// Finds the token, refuses it when it cannot be used, counts the request
/// against its limit and records the use (the first one as an audit event).
fn authenticate(
    conn: &mut diesel::PgConnection,
    settings: &Settings,
    leases: &limits::Leases,
    secret: &TokenSecret,
    ip: &str,
) -> ApiResult<ApiActor> {
    let Some((token, organization, toggled)) = api_tokens::find_by_hash(conn, &secret.hash())?
    else {
        return Err(Problem::invalid_token("That token is not valid."));
    };
    let now = Utc::now();
    if token.revoked_at.is_some() {
        return Err(Problem::invalid_token("That token was revoked."));
    }
    if let Some(expired) = token.expires_at.filter(|at| *at <= now) {
        return Err(Problem::invalid_token(format!(
            "That token expired on {}.",
            expired.format("%Y-%m-%d %H:%M UTC")
        )));
    }
    if !api_enabled(&organization, toggled) {
        return Err(Problem::new(
            ProblemType::ApiAccessOff,
            "API access is off for this organization: an Owner or Admin can switch it on \
             in Settings → Features (Pro plan).",
        ));
    }
    leases.hit(conn, &limits::api_requests(&settings.limits, token.id))?;
    match token.last_used_at {
        None => conn.transaction(|conn| -> ApiResult<()> {
            if api_tokens::mark_first_use(conn, token.id, ip)? {
                db::audit::insert(
                    conn,
                    db::audit::NewEvent {
                        organization_id: Some(token.organization_id),
                        actor: Some(token.created_by_account_id),
                        action: "api_token.first_used",
                        target_type: "api_token",
                        target_id: Some(token.id.to_string()),
                        before: None,
                        after: Some(json!({"name": token.name, "ip": ip})),
                    },
                )?;
            }
            Ok(())
        })?,
        Some(at) => {
            let stale = (now - at).num_seconds() >= LAST_USED_RESOLUTION_SECS;
            if stale || token.last_used_ip.as_deref() != Some(ip) {
                api_tokens::mark_used(conn, token.id, ip)?;
            }
        }
    }
    let role = OrgRole::parse(&token.role).ok_or_else(|| {
        Problem::from(crate::error::AppError::unexpected(anyhow::anyhow!(
            "token {} has unknown role {:?}",
            token.id,
            token.role
        )))
    })?;
    // A key the catalogue no longer has grants nothing.
    let scopes = PermissionSet::of(
        &token
            .scopes
            .iter()
            .filter_map(|key| Permission::from_key(key))
            .collect::<Vec<_>>(),
    );
    Ok(ApiActor {
        org: organization.id,
        organization,
        token_id: token.id,
        scopes,
        actor: Actor::for_token(token.created_by_account_id, role, scopes),
    })
}

impl FromRequest for ApiActor {
    type Error = Problem;
    type Future = Pin<Box<dyn Future<Output = ApiResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let secret = presented(req);
        let ip = client_ip(req);
        let pool = req.app_data::<web::Data<PgPool>>().cloned();
        let settings = req.app_data::<web::Data<Settings>>().cloned();
        let leases = req.app_data::<web::Data<limits::Leases>>().cloned();
        Box::pin(async move {
            let secret = secret?;
            let (Some(pool), Some(settings), Some(leases)) = (pool, settings, leases) else {
                return Err(crate::error::AppError::unexpected(anyhow::anyhow!(
                    "no database pool, settings or rate-limit leases configured"
                ))
                .into());
            };
            // A lost connection goes back to `db::run` as such, so the pool drops it.
            db::run(&pool, move |conn| {
                match authenticate(conn, &settings, &leases, &secret, &ip) {
                    Err(p) if p.kind == ProblemType::Unavailable => {
                        Err(crate::error::AppError::no_database())
                    }
                    other => Ok(other),
                }
            })
            .await?
        })
    }
}
