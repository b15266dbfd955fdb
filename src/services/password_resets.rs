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

/// Queues a reset email when `email` belongs to an account, with a password
/// or without one yet (an invitee's or an operator-added account: the link is how
/// the mailbox's owner sets a first password). A new link ends the older ones.
pub fn request(conn: &mut PgConnection, email: &EmailAddress, links: &ResetLinks) -> AppResult<()> {
    conn.transaction(|conn| {
        let Some(account) = db::accounts::find_by_email(conn, email.as_str())? else {
            return Ok(());
        };
        let expires_at = expiry(links.ttl, chrono::Duration::hours(1));
        let message = crate::mail::templates::password_reset(
            &links.public_url,
            &account.display_name,
            &account.email,
            expires_at,
        )?;
        queue(conn, &account, &message, expires_at, None)
    })
}

/// Queues a "set your password" email for an account an operator added to
/// `org_name`, while it has no password: a single-use reset link that lives as
/// long as `links.ttl`. Accounts that have a password get nothing.
pub fn queue_set_password(
    conn: &mut PgConnection,
    account: AccountId,
    org_name: &str,
    links: &ResetLinks,
) -> AppResult<bool> {
    conn.transaction(|conn| {
        let Some(account) = db::accounts::lock_by_id(conn, account)? else {
            return Ok(false);
        };
        if account.password_hash != NO_PASSWORD {
            return Ok(false);
        }
        let expires_at = expiry(links.ttl, chrono::Duration::days(7));
        let message = crate::mail::templates::set_password(
            &links.public_url,
            org_name,
            &account.display_name,
            &account.email,
            expires_at,
        )?;
        queue(conn, &account, &message, expires_at, Some(org_name))?;
        Ok(true)
    })
}

fn expiry(ttl: std::time::Duration, fallback: chrono::Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(ttl).unwrap_or(fallback)
}

/// A reset link for the account, its email in the outbox and the audit event;
/// the account's older links end.
fn queue(
    conn: &mut PgConnection,
    account: &db::accounts::Account,
    message: &crate::mail::Rendered,
    expires_at: DateTime<Utc>,
    added_to: Option<&str>,
) -> AppResult<()> {
    q::expire_open_of_account(conn, account.id)?;
    // The real token is minted when the email is sent; this one is never shown.
    let (_, placeholder_hash) = new_token();
    let reset = q::insert(conn, account.id, &placeholder_hash, expires_at)?;
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
            action: if added_to.is_some() {
                "account.set_password_sent"
            } else {
                "account.password_reset_requested"
            },
            target_type: "account",
            target_id: Some(account.id.to_string()),
            before: None,
            after: Some(
                json!({ "reset": reset, "expires_at": expires_at, "organization": added_to }),
            ),
        },
    )?;
    Ok(())
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
        crate::services::limits::forget_signins(conn, &email)?;
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
