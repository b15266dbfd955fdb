//! Invitations: inviting (a pending membership, the invitation and its email in
//! one transaction), resending, revoking, and accepting through the emailed
//! link. Tokens are 256 bits from the OS, kept only as SHA-256 hashes.

use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::db::{self, audit::NewEvent, invitations as q, organizations as orgs};
use crate::domain::policy::{self, Action, Actor, TeamAction};
use crate::domain::{
    AccountId, DisplayName, EmailAddress, Feature, MembershipId, OrgId, OrgRole, Permission,
    PermissionSet, Scope, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::{demo::NO_PASSWORD, orgs::features};

pub mod bulk;
pub mod lifecycle;
pub mod upkeep;

/// A new token for a link, and the hash that is stored.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// What a manager asks for: who, with which org role, in which teams.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    pub email: EmailAddress,
    pub role: OrgRole,
    pub teams: Vec<(i64, TeamRole)>,
    /// Organization permissions the member gets instead of the role's, if any.
    pub permissions: Option<PermissionSet>,
}

impl InviteRequest {
    /// What the invitation grants, for the policy: the role's preset and any own set.
    fn granted(&self) -> PermissionSet {
        granted(self.role, self.permissions)
    }

    fn permission_keys(&self) -> Option<Vec<String>> {
        self.permissions.map(PermissionSet::keys)
    }
}

pub(crate) fn granted(role: OrgRole, permissions: Option<PermissionSet>) -> PermissionSet {
    role.permissions().union(permissions.unwrap_or_default())
}

/// Where links point and how long they live.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub public_url: url::Url,
    pub ttl: std::time::Duration,
}

impl LinkSettings {
    fn expires_at(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::days(7))
    }
}

/// Only organization permissions can be given with an invitation.
pub(crate) fn check_permissions(set: Option<PermissionSet>) -> AppResult<()> {
    if set.is_some_and(|s| s.iter().any(|p| p.scope() != Scope::Org)) {
        return Err(AppError::Validation(
            "Only organization permissions can be given with an invitation.".into(),
        ));
    }
    Ok(())
}

fn denied(d: policy::Denied) -> AppError {
    AppError::forbidden(d.0)
}

/// Refuses unless User management is on (which needs Pro).
fn require_user_management(conn: &mut PgConnection, org: &orgs::Organization) -> AppResult<()> {
    let state = features(conn, org)?
        .into_iter()
        .find(|f| f.feature == Feature::UserManagement);
    match state {
        Some(f) if f.enabled => Ok(()),
        Some(f) if f.available => Err(AppError::forbidden(
            "Inviting needs the User management feature: an Owner or Admin can switch it on in Settings → Features.",
        )),
        _ => Err(AppError::forbidden(
            "Inviting needs the User management feature, which comes with the Pro plan.",
        )),
    }
}

/// The actor's permissions in each team, for what they may grant there.
struct ActorTeams {
    /// Through `teams.manage`: every team permission in every team.
    everywhere: bool,
    sets: Vec<(i64, PermissionSet)>,
}

impl ActorTeams {
    fn load(conn: &mut PgConnection, actor: &Actor, org: OrgId) -> AppResult<Self> {
        if actor.has(Permission::TeamsManage) {
            return Ok(Self {
                everywhere: true,
                sets: Vec::new(),
            });
        }
        let roles = db::members::team_roles_of_account(conn, org, actor.account_id)?;
        let sets = roles
            .into_iter()
            .map(|(team, role, custom, own)| {
                let preset = TeamRole::parse(&role)
                    .map(TeamRole::permissions)
                    .unwrap_or_default();
                let set =
                    crate::domain::effective_permissions(preset, custom.as_deref(), own.as_deref());
                (team, set)
            })
            .collect();
        Ok(Self {
            everywhere: false,
            sets,
        })
    }

    fn of(&self, team: i64) -> PermissionSet {
        if self.everywhere {
            return PermissionSet::scope_all(Scope::Team);
        }
        self.sets
            .iter()
            .find(|t| t.0 == team)
            .map(|t| t.1)
            .unwrap_or_default()
    }

    /// May the actor put an invitee with `role` into `team` as `team_role`?
    fn may_grant(
        &self,
        actor: &Actor,
        target: AccountId,
        role: OrgRole,
        team: i64,
        team_role: TeamRole,
    ) -> Result<(), policy::Denied> {
        // The invitee joins with the invitation's org role.
        let action = TeamAction::GrantTeamPermissions {
            target,
            target_role: role,
            granted: team_role.permissions(),
        };
        policy::check(actor, Action::Team(action, self.of(team)))
    }
}

/// A new account's name until the invitee sets one: the address's local part.
fn invitee_name(email: &str) -> String {
    email.split('@').next().unwrap_or("Invitee").to_owned()
}

/// The teams of an invitation as stored: `[{"team": id, "role": "agent"}]`.
fn teams_json(teams: &[(i64, TeamRole)]) -> serde_json::Value {
    json!(teams
        .iter()
        .map(|(t, r)| json!({"team": t, "role": r.as_str()}))
        .collect::<Vec<_>>())
}

/// The name an email gives the inviter.
fn inviter_name(conn: &mut PgConnection, inviter: Option<AccountId>) -> AppResult<String> {
    Ok(match inviter {
        Some(id) => db::accounts::find_by_id(conn, id)?.map(|a| a.display_name),
        None => None,
    }
    .unwrap_or_else(|| "Someone".into()))
}

/// The refusal when every purchased seat is taken.
fn seats_full(purchased: i32) -> AppError {
    AppError::Validation(format!(
        "All {purchased} seats are in use. Buy more seats or remove a member before inviting."
    ))
}

fn render_email(
    conn: &mut PgConnection,
    links: &LinkSettings,
    org: &orgs::Organization,
    inviter: AccountId,
    role: OrgRole,
    expires: DateTime<Utc>,
) -> AppResult<crate::mail::Rendered> {
    let inviter_name = inviter_name(conn, Some(inviter))?;
    crate::mail::templates::invitation(
        &links.public_url,
        &org.name,
        &inviter_name,
        role.label(),
        expires,
    )
}

fn queue_email(
    conn: &mut PgConnection,
    invitation: i64,
    to: &str,
    email: &crate::mail::Rendered,
) -> AppResult<()> {
    queue_emails(conn, "invitation", &[(invitation, to, email)])
}

/// Queues one email of `kind` (an invitation or its reminder) for an invitation.
fn queue_kind(
    conn: &mut PgConnection,
    kind: &str,
    invitation: i64,
    to: &str,
    email: &crate::mail::Rendered,
) -> AppResult<()> {
    queue_emails(conn, kind, &[(invitation, to, email)])
}

/// Queues one email per (invitation, address, message), in one statement.
fn queue_emails(
    conn: &mut PgConnection,
    kind: &str,
    messages: &[(i64, &str, &crate::mail::Rendered)],
) -> AppResult<()> {
    let rows = messages
        .iter()
        .map(|(invitation, to, email)| db::outbox::NewMessage {
            kind,
            to,
            subject: &email.subject,
            text: &email.text,
            html: &email.html,
            invitation: Some(*invitation),
        })
        .collect();
    db::outbox::insert_many(conn, rows)?;
    Ok(())
}

/// Invites one address: a pending membership (and an account without password
/// when the address is new), the invitation, its queued email and an audit event.
pub fn invite(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    req: &InviteRequest,
    links: &LinkSettings,
) -> AppResult<MembershipId> {
    conn.transaction(|conn| {
        check_permissions(req.permissions)?;
        policy::check(actor, Action::InviteMember(req.role, req.granted())).map_err(denied)?;
        // Locks the organization: concurrent invitations count seats one at a time.
        let organization = orgs::find_for_update(conn, org)?;
        require_user_management(conn, &organization)?;
        let account = db::accounts::find_by_email(conn, req.email.as_str())?;
        if let Some(account) = &account {
            if let Some((_, status)) = q::membership_of(conn, org, account.id)? {
                return Err(AppError::Conflict(match status.as_str() {
                    "pending" => format!(
                        "{} is already invited. If the link was lost or has expired, use Resend on their row in the Members list.",
                        req.email.as_str()
                    ),
                    "active" => format!("{} is already a member.", req.email.as_str()),
                    _ => format!(
                        "{} was a member and is archived; restore them instead.",
                        req.email.as_str()
                    ),
                }));
            }
        }
        let used = orgs::count_seats_used(conn, org)?;
        if used >= i64::from(organization.seats_purchased) {
            return Err(seats_full(organization.seats_purchased));
        }
        let teams = db::members::team_options(conn, org)?;
        let target = account.as_ref().map(|a| a.id).unwrap_or(AccountId(0));
        let actor_teams = ActorTeams::load(conn, actor, org)?;
        for (team, role) in &req.teams {
            if !teams.iter().any(|t| t.0 == *team && !t.2) {
                return Err(AppError::NotFound);
            }
            actor_teams
                .may_grant(actor, target, req.role, *team, *role)
                .map_err(denied)?;
        }
        let created_account = account.is_none();
        let account = match account {
            Some(a) => a.id,
            None => db::accounts::insert(
                conn,
                req.email.as_str(),
                &invitee_name(req.email.as_str()),
                NO_PASSWORD,
            )?,
        };
        let membership = orgs::insert_membership(conn, org, account, req.role.as_str(), "pending")?;
        let teams_json = teams_json(&req.teams);
        // The real token is minted when the email is sent; this one is never shown.
        let (_, placeholder_hash) = new_token();
        let expires_at = links.expires_at();
        let invitation = q::insert(
            conn,
            q::NewInvitation {
                org,
                membership,
                email: req.email.as_str(),
                role: req.role.as_str(),
                teams: teams_json.clone(),
                permissions: req.permission_keys(),
                inviter: actor.account_id,
                token_hash: &placeholder_hash,
                expires_at,
                created_account,
            },
        )?;
        let email = render_email(
            conn,
            links,
            &organization,
            actor.account_id,
            req.role,
            expires_at,
        )?;
        queue_email(conn, invitation, req.email.as_str(), &email)?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "invitation.created",
                target_type: "membership",
                target_id: Some(membership.to_string()),
                before: None,
                after: Some(json!({
                    "email": req.email.as_str(), "role": req.role.as_str(), "teams": teams_json,
                    "permissions": req.permission_keys(), "invitation": invitation,
                    "expires_at": expires_at,
                })),
            },
        )?;
        Ok(membership)
    })
}

fn lock_open(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
) -> AppResult<q::Invitation> {
    let inv = q::lock_pending_of_member(conn, org, member)?.ok_or(AppError::NotFound)?;
    let role = OrgRole::parse(&inv.role).unwrap_or(OrgRole::Member);
    let own = inv
        .permissions
        .as_ref()
        .map(|keys| PermissionSet::from_keys(keys).unwrap_or_default());
    policy::check(actor, Action::InviteMember(role, granted(role, own))).map_err(denied)?;
    Ok(inv)
}

/// A new token and expiry (the old link dies at once) and a new email; roles
/// and teams stay as they are.
pub fn resend(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
    links: &LinkSettings,
) -> AppResult<()> {
    conn.transaction(|conn| {
        let lifecycle::Reissued {
            inv,
            organization,
            expires_at,
            ..
        } = lifecycle::reissue(conn, actor, org, member, links, false)?;
        let role = OrgRole::parse(&inv.role).unwrap_or(OrgRole::Member);
        let email = render_email(
            conn,
            links,
            &organization,
            actor.account_id,
            role,
            expires_at,
        )?;
        queue_email(conn, inv.id, &inv.email, &email)?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "invitation.resent",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(json!({"expires_at": inv.expires_at})),
                after: Some(json!({"expires_at": expires_at})),
            },
        )?;
        Ok(())
    })
}

/// Revokes an open invitation: the pending membership goes (freeing its seat),
/// unsent emails are cancelled, and the link stops working.
pub fn revoke(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    member: MembershipId,
) -> AppResult<String> {
    conn.transaction(|conn| {
        let inv = lock_open(conn, actor, org, member)?;
        q::set_status(conn, inv.id, "revoked")?;
        db::outbox::cancel_unsent_of_invitation(conn, inv.id)?;
        q::delete_pending_membership(conn, org, member)?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(actor.account_id),
                action: "invitation.revoked",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(json!({"email": inv.email, "role": inv.role, "status": "pending"})),
                after: Some(json!({"status": "revoked"})),
            },
        )?;
        Ok(inv.email)
    })
}

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
        role: OrgRole::parse(&inv.role)
            .map(|r| r.label().to_owned())
            .unwrap_or(inv.role.clone()),
        email: inv.email.clone(),
        expires_at: inv.expires_at,
        may_set_password,
    };
    let problem = match inv.status.as_str() {
        "accepted" => Some(Problem::Used),
        "revoked" => Some(Problem::Revoked),
        "expired" => Some(Problem::Expired),
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
        let org = OrgId(inv.organization_id);
        let member = inv
            .membership_id
            .map(MembershipId)
            .ok_or(AppError::NotFound)?;
        if q::activate_membership(conn, org, member)? == 0 {
            return Ok(Err((Problem::Revoked, Some(view))));
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
            if teams.iter().any(|t| t.0 == team) {
                db::members::upsert_team_membership(conn, org, team, member, role.as_str(), None)?;
            }
        }
        if let Some(keys) = &inv.permissions {
            q::set_member_permissions(conn, member, keys)?;
        }
        q::set_status(conn, inv.id, "accepted")?;
        db::audit::insert(
            conn,
            NewEvent {
                organization_id: Some(org),
                actor: Some(account.id),
                action: "invitation.accepted",
                target_type: "membership",
                target_id: Some(member.to_string()),
                before: Some(json!({"status": "pending"})),
                after: Some(json!({
                    "status": "active", "teams": inv.teams, "permissions": inv.permissions,
                })),
            },
        )?;
        Ok(Ok((view, account.id)))
    })
}
