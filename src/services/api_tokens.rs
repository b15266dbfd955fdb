//! API tokens: made by an Owner or Admin with scopes they hold (the policy
//! decides), listed, and revoked; each change writes its audit event, and a new
//! token is announced to every active Owner through the outbox, in the same
//! transaction.

use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::db::{self, api_tokens as q, audit::NewEvent, organizations::Organization};
use crate::domain::{
    api_tokens::{Expiry, TokenName, TokenSecret},
    policy::{self, Action, Actor},
    ApiTokenId, Feature, OrgId, PermissionSet,
};
use crate::error::{AppError, AppResult};

/// What the form (or anyone else) asks for.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub name: TokenName,
    pub scopes: PermissionSet,
    pub expiry: Expiry,
}

/// A token just made: the only moment its secret exists outside the caller.
pub struct Created {
    pub token: q::ApiToken,
    pub secret: TokenSecret,
}

fn allow(actor: &Actor, action: Action) -> AppResult<()> {
    policy::check(actor, action).map_err(|policy::Denied(reason)| AppError::forbidden(reason))
}

fn audit(
    conn: &mut PgConnection,
    org: OrgId,
    actor: &Actor,
    action: &str,
    token: ApiTokenId,
    after: serde_json::Value,
) -> AppResult<()> {
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: Some(org),
            actor: Some(actor.account_id),
            action,
            target_type: "api_token",
            target_id: Some(token.to_string()),
            before: None,
            after: Some(after),
        },
    )?;
    Ok(())
}

/// API access is a Pro feature an Owner or Admin switches on.
fn require_api_access(conn: &mut PgConnection, org: &Organization) -> AppResult<()> {
    if crate::services::orgs::is_enabled(conn, org, Feature::ApiAccess)? {
        Ok(())
    } else {
        Err(AppError::forbidden(
            "API access is off: switch it on in Settings → Features (Pro plan).",
        ))
    }
}

pub fn list(conn: &mut PgConnection, actor: &Actor, org: OrgId) -> AppResult<Vec<q::Listed>> {
    allow(actor, Action::ManageApiTokens)?;
    Ok(q::list_for_org(conn, org)?)
}

pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    org: &Organization,
    creator_name: &str,
    public_url: &url::Url,
    new: NewApiToken,
) -> AppResult<Created> {
    allow(
        actor,
        Action::CreateApiToken {
            scopes: new.scopes,
            never_expires: new.expiry == Expiry::Never,
        },
    )?;
    require_api_access(conn, org)?;
    let secret = TokenSecret::generate();
    let expires_at = new.expiry.expires_at(chrono::Utc::now());
    conn.transaction(|conn| {
        let token = q::insert(
            conn,
            q::NewToken {
                org: org.id,
                name: new.name.as_str(),
                hash: &secret.hash(),
                scopes: new.scopes.keys(),
                role: actor.role.as_str(),
                creator: actor.account_id,
                expires_at,
            },
        )?;
        audit(
            conn,
            org.id,
            actor,
            "api_token.created",
            token.id,
            json!({"name": token.name, "scopes": token.scopes, "expires_at": expires_at}),
        )?;
        let owners = db::organizations::active_owner_addresses(conn, org.id)?;
        let message = crate::mail::templates::api_token_created(
            public_url,
            &org.name,
            org.id,
            creator_name,
            &token.name,
            &token.scopes,
            expires_at,
        )?;
        db::outbox::insert_many(
            conn,
            owners
                .iter()
                .map(|(email, _)| db::outbox::NewMessage {
                    kind: "api_token_created",
                    to: email,
                    subject: &message.subject,
                    text: &message.text,
                    html: &message.html,
                    invitation: None,
                })
                .collect(),
        )?;
        Ok(Created { token, secret })
    })
}

/// Revokes a token of the organization (revoking it again changes nothing);
/// another organization's token is not found.
pub fn revoke(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    id: ApiTokenId,
) -> AppResult<q::ApiToken> {
    allow(actor, Action::ManageApiTokens)?;
    conn.transaction(|conn| {
        let token = q::find_in_org_for_update(conn, org, id)?.ok_or(AppError::NotFound)?;
        if token.revoked_at.is_none() {
            q::revoke(conn, id, actor.account_id)?;
            audit(
                conn,
                org,
                actor,
                "api_token.revoked",
                id,
                json!({"name": token.name}),
            )?;
        }
        Ok(token)
    })
}
