//! Who is asking: extractors that load the signed-in account and its membership
//! in the organization named in the URL from the database on every request
//! (nothing about roles lives in the session), and the layout data every page shows.

use std::future::Future;
use std::pin::Pin;

use actix_session::{Session, SessionExt};
use actix_web::{
    dev::Payload,
    http::{header, Method},
    web, FromRequest, HttpRequest,
};
use serde::{Deserialize, Serialize};

use crate::db::{self, accounts::Account, organizations as orgs, PgPool};
use crate::domain::{
    effective_permissions,
    policy::{self, Actor, TeamAction},
    AccountId, Feature, OrgId, Permission, PermissionSet, Scope, TeamId,
};
use crate::error::{AppError, AppResult};
use crate::web::plumbing::{csrf, htmx::Wants, prefetch, session_store};

pub fn signed_in_account_id(session: &Session) -> Option<AccountId> {
    session
        .get::<i64>(session_store::ACCOUNT_ID)
        .ok()
        .flatten()
        .map(AccountId)
}

/// The client's address, for limits and sign-in budgets: the connection's
/// peer, or behind trusted proxies the hop they report (see `web::plumbing::proxy`).
pub fn client_ip(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let address = match req.app_data::<web::Data<crate::config::Settings>>() {
        Some(settings) if settings.proxy.enabled => {
            let values = |name: header::HeaderName| -> Vec<&str> {
                req.headers()
                    .get_all(name)
                    .filter_map(|v| v.to_str().ok())
                    .collect()
            };
            settings.proxy.client(
                peer,
                &values(header::FORWARDED),
                &values(header::HeaderName::from_static("x-forwarded-for")),
            )
        }
        _ => peer,
    };
    address.to_string()
}

fn unauthenticated(req: &HttpRequest) -> AppError {
    let next = (req.method() == Method::GET).then(|| {
        let uri = req.uri();
        uri.path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_else(|| uri.path().to_owned())
    });
    AppError::Unauthenticated { next }
}

fn pool(req: &HttpRequest) -> AppResult<PgPool> {
    req.app_data::<web::Data<PgPool>>()
        .map(|p| p.get_ref().clone())
        .ok_or_else(|| AppError::unexpected(anyhow::anyhow!("no database pool configured")))
}

/// An organization the account can switch to.
#[derive(Debug, Clone)]
pub struct OrgLink {
    pub id: OrgId,
    pub name: String,
}

/// The signed-in account, freshly loaded, with the organizations it belongs to.
pub struct SignedIn {
    pub account: Account,
    pub orgs: Vec<OrgLink>,
    pub session: Session,
}

/// Last seen moves at most once a minute: most requests skip the write.
fn seen_long_ago(account: &Account) -> bool {
    account
        .last_seen_at
        .is_none_or(|seen| chrono::Utc::now() - seen > chrono::Duration::minutes(1))
}

impl SignedIn {
    /// Loads the signed-in account and its active membership in `org`, in one
    /// statement. A session whose account is gone is ended.
    async fn load(
        req: &HttpRequest,
        org: Option<OrgId>,
    ) -> AppResult<(Self, Option<db::accounts::Here>)> {
        let session = req.get_session();
        let account_id = signed_in_account_id(&session).ok_or_else(|| unauthenticated(req))?;
        // The organization switcher is part of the layout; an htmx request gets a
        // fragment without it, so its list is not read (an account may belong to
        // a hundred organizations).
        let with_orgs = Wants::of(req) == Wants::Page;
        // Usually read with the session, in its statement (see `prefetch`).
        let found = match prefetch::take(account_id, prefetch::Ask { org, with_orgs }) {
            Some(found) => Some(found),
            None => {
                db::run(&pool(req)?, move |conn| {
                    Ok(db::accounts::find_signed_in(
                        conn, account_id, with_orgs, org,
                    )?)
                })
                .await?
            }
        };
        let Some((account, orgs, here)) = found else {
            session.purge();
            return Err(unauthenticated(req));
        };
        if seen_long_ago(&account) {
            db::run(&pool(req)?, move |conn| {
                Ok(db::accounts::touch_last_seen(conn, account_id)?)
            })
            .await?;
        }
        let orgs = orgs
            .into_iter()
            .map(|(id, name)| OrgLink {
                id: OrgId(id),
                name,
            })
            .collect();
        Ok((
            Self {
                account,
                orgs,
                session,
            },
            here,
        ))
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Self::load(&req, None).await?.0) })
    }
}

/// The signed-in account acting inside the organization named by `{org}` in the
/// path, as an active member. Anything else is a plain 404.
pub struct OrgContext {
    pub me: SignedIn,
    pub org: orgs::Organization,
    pub membership: orgs::Membership,
    pub actor: Actor,
    /// The organization's features, read with the membership.
    pub features: Vec<crate::services::orgs::FeatureState>,
    /// What this organization's pages need to report presence, when it is on.
    pub presence: Option<PresenceClient>,
}

impl OrgContext {
    pub fn feature_on(&self, feature: crate::domain::Feature) -> bool {
        self.features
            .iter()
            .any(|f| f.feature == feature && f.enabled)
    }
}

/// The heartbeat's address and timing, for the page's script.
#[derive(Debug, Clone)]
pub struct PresenceClient {
    pub org: OrgId,
    pub away_ms: u128,
    pub heartbeat_ms: u128,
}

impl FromRequest for OrgContext {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let org_id = req
            .match_info()
            .get("org")
            .and_then(|raw| raw.parse::<i64>().ok())
            .map(OrgId);
        let req = req.clone();
        Box::pin(async move {
            // The account and its membership here come in one statement.
            let (me, found) = SignedIn::load(&req, org_id).await?;
            let account_id = me.account.id;
            let (membership, org, role_permissions, overrides) = found.ok_or(AppError::NotFound)?;
            let role = membership.role;
            let permissions = effective_permissions(
                role.permissions(),
                role_permissions.as_deref(),
                membership.permissions.as_deref(),
            );
            let actor = Actor::with_permissions(account_id, role, permissions);
            let features = crate::services::orgs::feature_states(&org, &overrides);
            let mut this = Self {
                actor,
                me,
                org,
                membership,
                features,
                presence: None,
            };
            if this.feature_on(crate::domain::Feature::Presence) {
                let thresholds = req
                    .app_data::<web::Data<crate::config::Settings>>()
                    .map(|s| s.presence.thresholds)
                    .unwrap_or_default();
                this.presence = Some(PresenceClient {
                    org: this.org.id,
                    away_ms: thresholds.away_after.as_millis(),
                    heartbeat_ms: thresholds.heartbeat.as_millis(),
                });
            }
            Ok(this)
        })
    }
}

/// An organization context narrowed to the team named by `{team}` in the path,
/// with the actor's permissions in that team. A team of another organization, or
/// one the actor may not see, is a plain 404.
pub struct TeamContext {
    pub ctx: OrgContext,
    pub team: db::teams::Team,
    /// The actor's own membership in the team, if they are in it.
    pub team_membership: Option<db::teams::TeamMembership>,
    /// What the actor may do in this team: all team permissions through
    /// `teams.manage`, else those of their team role.
    pub permissions: PermissionSet,
    /// Whether the organization has the Contacts module on (its tab shows).
    pub contacts_on: bool,
    /// The Contacts tab's member menus this server keeps.
    pub menus: web::Data<crate::services::contacts::Menus>,
}

impl TeamContext {
    /// Asks the policy about a team action, as a 403 with the reason when refused.
    pub fn allow(&self, action: TeamAction) -> AppResult<()> {
        policy::check(
            &self.ctx.actor,
            policy::Action::Team(action, self.permissions),
        )
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))
    }

    pub fn may(&self, action: TeamAction) -> bool {
        self.allow(action).is_ok()
    }
}

impl FromRequest for TeamContext {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = AppResult<Self>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let team_id = req
            .match_info()
            .get("team")
            .and_then(|raw| raw.parse::<i64>().ok())
            .map(TeamId);
        let org_ctx = OrgContext::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let ctx = org_ctx.await?;
            let team_id = team_id.ok_or(AppError::NotFound)?;
            let (org, account) = (ctx.org.clone(), ctx.actor.account_id);
            let (team, membership, contacts_on) = db::run(&pool(&req)?, move |conn| {
                let Some(team) = db::teams::find_in_org(conn, org.id, team_id)? else {
                    return Err(AppError::NotFound);
                };
                let membership = db::teams::find_membership_of_account(conn, team_id, account)?;
                let contacts_on = crate::services::orgs::is_enabled(conn, &org, Feature::Contacts)?;
                Ok((team, membership, contacts_on))
            })
            .await?;
            let permissions = if ctx.actor.has(Permission::TeamsManage) {
                PermissionSet::scope_all(Scope::Team)
            } else {
                match &membership {
                    Some((tm, role_permissions)) => effective_permissions(
                        tm.role.permissions(),
                        role_permissions.as_deref(),
                        tm.permissions.as_deref(),
                    ),
                    None => PermissionSet::default(),
                }
            };
            let menus = req
                .app_data::<web::Data<crate::services::contacts::Menus>>()
                .cloned()
                .ok_or_else(|| {
                    AppError::unexpected(anyhow::anyhow!("no contacts menus configured"))
                })?;
            let this = Self {
                team_membership: membership.map(|(tm, _)| tm),
                ctx,
                team,
                permissions,
                contacts_on,
                menus,
            };
            let is_member = this.team_membership.is_some();
            if !this.may(TeamAction::View { is_member }) {
                return Err(AppError::NotFound);
            }
            Ok(this)
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: String,
    pub message: String,
}

const FLASH: &str = "flash";

/// Leaves a message for the next page the person sees (post → redirect → get).
pub fn flash(session: &Session, kind: &str, message: impl Into<String>) {
    let _ = session.insert(
        FLASH,
        Flash {
            kind: kind.into(),
            message: message.into(),
        },
    );
}

/// What the shared layout needs: the CSRF token, who is signed in, the
/// organization switcher, the current section and any flash message.
pub struct Layout {
    pub csrf: String,
    pub account_name: Option<String>,
    pub orgs: Vec<OrgLink>,
    pub current_org: Option<OrgLink>,
    pub section: &'static str,
    pub flash: Option<Flash>,
    /// On a team's pages: whether its tabs include Contacts (the module is on).
    pub contacts_tab: bool,
    /// Set on the pages of an organization with presence on: they report.
    pub presence: Option<PresenceClient>,
    /// Which of the organization's Settings pages the viewer may open: the
    /// navigation shows no link that would answer 403.
    pub nav: NavRights,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct NavRights {
    pub settings: bool,
    pub roles: bool,
    pub audit: bool,
    pub api: bool,
}

impl Layout {
    pub fn anonymous(session: &Session) -> Self {
        Self {
            csrf: csrf::token(session),
            account_name: None,
            orgs: Vec::new(),
            current_org: None,
            section: "",
            contacts_tab: false,
            nav: NavRights::default(),
            // `remove` marks the session changed (a write) even when there is no flash.
            flash: session
                .contains_key(FLASH)
                .then(|| session.remove_as::<Flash>(FLASH).and_then(Result::ok))
                .flatten(),
            presence: None,
        }
    }

    pub fn signed_in(me: &SignedIn, section: &'static str) -> Self {
        Self {
            account_name: Some(me.account.display_name.clone()),
            orgs: me.orgs.clone(),
            section,
            ..Self::anonymous(&me.session)
        }
    }

    pub fn in_org(ctx: &OrgContext, section: &'static str) -> Self {
        let may = |action| policy::check(&ctx.actor, action).is_ok();
        Self {
            current_org: Some(OrgLink {
                id: ctx.org.id,
                name: ctx.org.name.clone(),
            }),
            presence: ctx.presence.clone(),
            nav: NavRights {
                settings: may(policy::Action::ViewSettings),
                roles: may(policy::Action::ManageRoles),
                audit: may(policy::Action::ViewAudit),
                api: may(policy::Action::ManageApiTokens),
            },
            ..Self::signed_in(&ctx.me, section)
        }
    }

    /// A team's page: its tabs show Contacts while the module is on.
    pub fn in_team(tctx: &TeamContext) -> Self {
        Self {
            contacts_tab: tctx.contacts_on,
            ..Self::in_org(&tctx.ctx, "teams")
        }
    }
}
