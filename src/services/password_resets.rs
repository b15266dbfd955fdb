//! Forgot password: a reset link by email through the outbox (its token minted
//! by the worker when sending, kept only as a SHA-256 hash, single use, short
//! expiry), and setting a new password with it. Asking never reveals whether an
//! account exists: the caller gives the same answer either way.

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use crate::db::{self, audit::NewEvent, password_resets as q};
use crate::domain::{AccountId, EmailAddress};
use crate::error::AppResult;
use crate::services::demo::NO_PASSWORD;
use crate::services::invitations::{hash_token, new_token};

/// Where reset links point and how long they live.
#[derive(Debug, Clone)]
pub struct ResetLinks {
    pub public_url: url::Url,
    pub ttl: std::time::Duration,
}

/// Why a reset link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Unknown,
    /// Past its hour, or replaced by a newer link.
    Expired,
    Used,
}

fn problem(reset: Option<&q::PasswordReset>) -> Option<Problem> {
    match reset {
        None => Some(Problem::Unknown),
        Some(r) if r.used_at.is_some() => Some(Problem::Used),
        Some(r) if !r.is_open() => Some(Problem::Expired),
        Some(_) => None,
    }
}

/// Queues a reset email when `email` belongs to an account with a password.
/// Accounts still waiting to accept an invitation have none, and get nothing:
/// they join through their invitation. A new link ends the older ones.
pub fn request(conn: &mut PgConnection, email: &EmailAddress, links: &ResetLinks) -> AppResult<()> {
    conn.transaction(|conn| {
        let Some(account) = db::accounts::find_by_email(conn, email.as_str())? else {
            return Ok(());
        };
        if account.password_hash == NO_PASSWORD {
            return Ok(());
        }
        q::expire_open_of_account(conn, account.id)?;
        // The real token is minted when the email is sent; this one is never shown.
        let (_, placeholder_hash) = new_token();
        let expires_at: DateTime<Utc> = Utc::now()
            + chrono::Duration::from_std(links.ttl).unwrap_or(chrono::Duration::hours(1));
        let reset = q::insert(conn, account.id, &placeholder_hash, expires_at)?;
        let message = crate::mail::templates::password_reset(
            &links.public_url,
            &account.display_name,
            &account.email,
            expires_at,
        )?;
        db::outbox::insert_for_password_reset(
            conn,
            db::outbox::NewMessage {
                kind: "password_reset",
                to: &account.email,
                subject: &message.subject,
                text: &message.text,
                html: &message.html,
                invitation: None,
            },
            reset,
        )?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: None,
                actor: None,
                action: "account.password_reset_requested",
                target_type: "account",
                target_id: Some(account.id.to_string()),
                before: None,
                after: Some(json!({ "reset": reset, "expires_at": expires_at })),
            },
        )?;
        Ok(())
    })
}

/// Whether a link can be used, read only: opening it never uses it up.
pub fn check(conn: &mut PgConnection, token: &str) -> AppResult<Option<Problem>> {
    Ok(problem(q::find_by_hash(conn, &hash_token(token))?.as_ref()))
}

/// Sets the new password under the link's row lock, uses the link up (and any
/// other open one), ends every session of the account and lifts its sign-in
/// throttle, in one transaction.
pub fn reset(
    conn: &mut PgConnection,
    token: &str,
    password_hash: &str,
) -> AppResult<Result<AccountId, Problem>> {
    conn.transaction(|conn| {
        let reset = match q::lock_by_hash(conn, &hash_token(token))? {
            Some(r) if r.is_open() => r,
            other => return Ok(Err(problem(other.as_ref()).unwrap_or(Problem::Unknown))),
        };
        let account = AccountId(reset.account_id);
        let email = db::accounts::find_by_id(conn, account)?
            .map(|a| a.email)
            .unwrap_or_default();
        db::accounts::update_password_hash(conn, account, password_hash)?;
        q::mark_used(conn, reset.id)?;
        q::expire_open_of_account(conn, account)?;
        let sessions_ended = db::sessions::delete_all_for_account(conn, account, None)?;
        crate::services::auth::record_signin_success(conn, &email)?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: None,
                actor: Some(account),
                action: "account.password_reset",
                target_type: "account",
                target_id: Some(account.to_string()),
                before: None,
                after: Some(json!({ "reset": reset.id, "sessions_ended": sessions_ended })),
            },
        )?;
        Ok(Ok(account))
    })
}
