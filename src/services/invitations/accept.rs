//! Accepting through the emailed link: what the link leads to (read only),
//! and accepting it as a new account or a signed-in one. The accepting half
//! itself ([`activate`]) also serves accepting in-app (`inbox`).

use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde_json::json;

use super::hash_token;
use crate::db::{self, audit::NewEvent, invitations as q};
use crate::domain::{
    AccountId, DisplayName, InvitationStatus, MembershipId, MembershipStatus, OrgId, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::demo::NO_PASSWORD;

/// Why a link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Unknown,
    Expired,
    Revoked,
    Used,
    /// Someone else is signed in.
    WrongAccount,
    /// The link may not set this account's credentials: sign in as it first.
    MustSignIn,
}

/// A link that cannot be used: why, and the invitation when the token is known.
pub type Refused = (Problem, Option<Invite>);

/// An open invitation as its accept page shows it.
#[derive(Debug, Clone)]
pub struct Invite {
    pub org: OrgId,
    pub org_name: String,
    pub inviter: String,
    pub role: String,
    pub email: String,
    pub expires_at: DateTime<Utc>,
    /// The link may give the invitee's account its name and first password
    /// (see [`may_set_credentials`]); otherwise the invitee signs in first.
    pub may_set_password: bool,
}

/// Whether the link may give the invitee's account its first name and password:
/// only an account this very invitation created, still without a password,
/// holding no other membership anywhere. Any other account, with or without a
/// password, must sign in (or reset its password by email) before it accepts,
/// so whoever holds a copied link cannot take over someone else's account.
fn may_set_credentials(
    conn: &mut PgConnection,
    inv: &q::Invitation,
    account: Option<&db::accounts::Account>,
) -> AppResult<bool> {
    let (Some(account), Some(member)) = (account, inv.membership_id) else {
        return Ok(false);
    };
    if !inv.created_account || account.password_hash != NO_PASSWORD {
        return Ok(false);
    }
    Ok(db::accounts::count_other_memberships(conn, account.id, MembershipId(member))? == 0)
}

fn describe(conn: &mut PgConnection, token: &str) -> AppResult<Result<Invite, Refused>> {
    let Some((inv, org_name, inviter)) = q::find_by_hash(conn, &hash_token(token))? else {
        return Ok(Err((Problem::Unknown, None)));
    };
    let account = db::accounts::find_by_email(conn, &inv.email)?;
    let may_set_password = may_set_credentials(conn, &inv, account.as_ref())?;
    let view = Invite {
        org: OrgId(inv.organization_id),
        org_name,
        inviter: inviter.unwrap_or_else(|| "an administrator".into()),
        role: inv.role.label().to_owned(),
        email: inv.email.clone(),
        expires_at: inv.expires_at,
        may_set_password,
    };
    let problem = match inv.status {
        InvitationStatus::Accepted => Some(Problem::Used),
        // Declined by its invitee from their home page: withdrawn all the same.
        InvitationStatus::Revoked | InvitationStatus::Declined => Some(Problem::Revoked),
        InvitationStatus::Expired => Some(Problem::Expired),
        _ if inv.expires_at <= Utc::now() => Some(Problem::Expired),
        _ => None,
    };
    Ok(match problem {
        Some(p) => Err((p, Some(view))),
        None => Ok(view),
    })
}

/// What the link leads to, read only: opening it never uses it up.
pub fn lookup(conn: &mut PgConnection, token: &str) -> AppResult<Result<Invite, Refused>> {
    describe(conn, token)
}

/// How the invitee accepts.
pub enum Accepting {
    /// The account created for this invitation sets its name and first password.
    NewAccount {
        name: DisplayName,
        password_hash: String,
    },
    /// Signed in already, as this account.
    SignedIn(AccountId),
}

/// Accepts in one transaction under the invitation's row lock: the membership
/// becomes active, its teams are applied, the invitation is used up.
pub fn accept(
    conn: &mut PgConnection,
    token: &str,
    how: Accepting,
) -> AppResult<Result<(Invite, AccountId), Refused>> {
    conn.transaction(|conn| {
        let Some(inv) = q::lock_by_hash(conn, &hash_token(token))? else {
            return Ok(Err((Problem::Unknown, None)));
        };
        // Read again under the lock: a concurrent accept or revoke has finished.
        let view = match describe(conn, token)? {
            Ok(view) => view,
            Err(refused) => return Ok(Err(refused)),
        };
        let account = db::accounts::find_by_email(conn, &inv.email)?.ok_or(AppError::NotFound)?;
        match how {
            Accepting::SignedIn(id) if id != account.id => {
                return Ok(Err((Problem::WrongAccount, Some(view))))
            }
            Accepting::SignedIn(_) => {}
            Accepting::NewAccount {
                name,
                password_hash,
            } => {
                // Checked again under the account's lock: a racing link, a second
                // invitation or a reset may have changed it since the page was read.
                let locked = db::accounts::lock_by_id(conn, account.id)?;
                if !may_set_credentials(conn, &inv, locked.as_ref())? {
                    return Ok(Err((Problem::MustSignIn, Some(view))));
                }
                db::accounts::update_display_name(conn, account.id, name.as_str())?;
                db::accounts::update_password_hash(conn, account.id, &password_hash)?;
            }
        }
        if !activate(conn, &inv, account.id)? {
            return Ok(Err((Problem::Revoked, Some(view))));
        }
        Ok(Ok((view, account.id)))
    })
}

/// The accepting half of an invitation, under its row lock, by `account` (the
/// invitee): the pending membership becomes active, the invitation's teams
/// and permissions are applied, the invitation is used up and the audit event
/// written. `false` when the membership is no longer pending.
pub(super) fn activate(
    conn: &mut PgConnection,
    inv: &q::Invitation,
    account: AccountId,
) -> AppResult<bool> {
    let org = OrgId(inv.organization_id);
    let member = inv
        .membership_id
        .map(MembershipId)
        .ok_or(AppError::NotFound)?;
    if q::activate_membership(conn, org, member)? == 0 {
        return Ok(false);
    }
    let teams = db::members::team_options(conn, org)?;
    for entry in inv.teams.as_array().cloned().unwrap_or_default() {
        let (Some(team), Some(role)) = (
            entry["team"].as_i64(),
            entry["role"].as_str().and_then(TeamRole::parse),
        ) else {
            continue;
        };
        // A team deleted since the invitation is skipped.
        if teams.iter().any(|t| t.id == team) {
            db::members::upsert_team_membership(conn, org, team, member, role, None)?;
        }
    }
    if let Some(keys) = &inv.permissions {
        q::set_member_permissions(conn, member, keys)?;
    }
    q::set_status(conn, inv.id, InvitationStatus::Accepted)?;
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: Some(org),
            actor: Some(account),
            action: "invitation.accepted",
            target_type: "membership",
            target_id: Some(member.to_string()),
            before: Some(json!({"status": MembershipStatus::Pending})),
            after: Some(json!({
                "status": MembershipStatus::Active, "teams": inv.teams, "permissions": inv.permissions,
            })),
        },
    )?;
    Ok(true)
}
