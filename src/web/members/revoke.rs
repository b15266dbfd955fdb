//! Revoking members from the organization: the dialog that first shows what a
//! member holds (teams, groups, services, contacts per team, invitations they
//! sent, and whether the policy allows it) with a contacts choice per team,
//! and its confirm, for one member or for a selection from the bulk bar.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;

use crate::db::{self, PgPool};
use crate::domain::{policy, MembershipId, TeamId, TeamRole};
use crate::error::{AppError, AppResult};
use crate::services::members::lifecycle::{self as svc, Handover, Handovers, RevokePreview};
use crate::web::plumbing::context::{flash, Layout, OrgContext};
use crate::web::plumbing::forms::pairs;
use crate::web::plumbing::htmx::{org_page_or_fragment, redirect, Toast, Wants};

/// One team the member is in, as the dialog lists it.
pub struct TeamHeld {
    pub name: String,
    pub role: String,
    pub groups: Vec<String>,
    pub services: Vec<String>,
}

/// The contacts choice for one team where the member has contacts.
pub struct ContactsChoice {
    pub team_id: i64,
    pub team_name: String,
    pub count: i64,
    /// The team's contacts tab, narrowed to this member.
    pub link: String,
    /// Active members of the team who could take them.
    pub candidates: Vec<Candidate>,
    pub reassign: bool,
    pub to: Option<i64>,
}

/// A member who could take over contacts, as the menu offers them.
pub struct Candidate {
    pub id: i64,
    /// "Name (email)".
    pub label: String,
}

impl From<&crate::db::offboarding::Candidate> for Candidate {
    fn from(c: &crate::db::offboarding::Candidate) -> Self {
        Self {
            id: c.membership_id,
            label: format!("{} ({})", c.display_name, c.email),
        }
    }
}

/// An open invitation the member sent.
pub struct SentInvitation {
    pub email: String,
    pub sent: String,
    pub expires: String,
}

/// The dialog for one member.
pub struct RevokeView {
    pub member_id: i64,
    pub name: String,
    pub email: String,
    pub role_label: String,
    pub teams: Vec<TeamHeld>,
    pub contacts: Vec<ContactsChoice>,
    /// Open invitations they sent.
    pub invitations: Vec<SentInvitation>,
    pub refused: Option<String>,
    pub error: Option<String>,
    /// Field names start with this (`m{id}_` in a bulk dialog, else empty).
    pub prefix: String,
}

fn team_role_label(role: TeamRole, custom: Option<&str>) -> String {
    match (role, custom) {
        (TeamRole::Custom, Some(name)) => format!("{name} (custom)"),
        (r, _) => r.label().to_owned(),
    }
}

fn day(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

impl RevokeView {
    pub fn new(org: i64, p: RevokePreview, chosen: &Handovers, bulk: bool) -> Self {
        let m = &p.member;
        let role_label = match &m.custom_role_name {
            Some(name) => format!("{name} (custom)"),
            None => m.role.label().to_owned(),
        };
        let contacts = p
            .contacts
            .iter()
            .map(|c| {
                let handover = chosen.of(TeamId(c.team_id));
                ContactsChoice {
                    team_id: c.team_id,
                    team_name: c.team_name.clone(),
                    count: c.contacts,
                    link: format!("/orgs/{org}/teams/{}/contacts?assignee={}", c.team_id, m.id),
                    candidates: p
                        .candidates
                        .iter()
                        .filter(|k| k.team_id == c.team_id)
                        .map(Candidate::from)
                        .collect(),
                    reassign: matches!(handover, Handover::Reassign(_)),
                    to: match handover {
                        Handover::Reassign(to) => Some(to.0),
                        Handover::Unassign => None,
                    },
                }
            })
            .collect();
        Self {
            member_id: m.id,
            name: m.display_name.clone(),
            email: m.email.clone(),
            role_label,
            teams: p
                .teams
                .iter()
                .map(|t| TeamHeld {
                    name: t.name.clone(),
                    role: team_role_label(t.role, t.custom_role_name.as_deref()),
                    groups: t.group_list().into_iter().map(|g| g.1).collect(),
                    services: t.services.clone(),
                })
                .collect(),
            contacts,
            invitations: p
                .invitations
                .iter()
                .map(|i| SentInvitation {
                    email: i.email.clone(),
                    sent: day(i.created_at),
                    expires: day(i.expires_at),
                })
                .collect(),
            refused: p.refused,
            error: None,
            prefix: if bulk {
                format!("m{}_", m.id)
            } else {
                String::new()
            },
        }
    }
}

#[derive(Template)]
#[template(path = "fragments/members/_revoke.html")]
pub struct RevokeFragment<'a> {
    pub org_id: i64,
    pub v: &'a RevokeView,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "pages/members/revoke.html")]
pub struct RevokePage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub v: &'a RevokeView,
}

pub(crate) fn member_id(req: &HttpRequest) -> AppResult<MembershipId> {
    req.match_info()
        .get("member")
        .and_then(|v| v.parse().ok())
        .map(MembershipId)
        .ok_or(AppError::NotFound)
}

/// The contacts choices of one member's form: `{prefix}contacts_{team}` is
/// `unassign` or `reassign`, and `{prefix}to_{team}` the new assignee.
pub fn parse_handovers(fields: &[(String, String)], prefix: &str) -> Result<Handovers, String> {
    let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim());
    let mut out = Vec::new();
    for (key, value) in fields {
        let Some(team) = key
            .strip_prefix(prefix)
            .and_then(|k| k.strip_prefix("contacts_"))
        else {
            continue;
        };
        let team = TeamId(team.parse().map_err(|_| "Unknown team.".to_owned())?);
        let handover = match value.as_str() {
            "unassign" => Handover::Unassign,
            "reassign" => {
                let to = get(&format!("{prefix}to_{}", team.0)).unwrap_or("");
                Handover::Reassign(MembershipId(to.parse().map_err(|_| {
                    "Choose who takes over the contacts, or leave them unassigned.".to_owned()
                })?))
            }
            _ => return Err("Choose unassign or reassign for each team's contacts.".into()),
        };
        out.push((team, handover));
    }
    Ok(Handovers(out))
}

async fn load_view(
    pool: &PgPool,
    ctx: &OrgContext,
    member: MembershipId,
    chosen: Handovers,
) -> AppResult<RevokeView> {
    let (org, actor) = (ctx.org.id, ctx.actor);
    let preview = db::run(pool, move |conn| svc::preview(conn, &actor, org, member)).await?;
    Ok(RevokeView::new(org.0, preview, &chosen, false))
}

fn render(
    wants: Wants,
    ctx: &OrgContext,
    status: StatusCode,
    v: &RevokeView,
) -> AppResult<HttpResponse> {
    let org_id = ctx.org.id.0;
    org_page_or_fragment(
        wants,
        ctx,
        "members",
        status,
        |layout| RevokePage { layout, org_id, v },
        |csrf| RevokeFragment { org_id, v, csrf }.render(),
    )
}

pub async fn members_revoke_form(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let v = load_view(&pool, &ctx, member_id(&req)?, Handovers::default()).await?;
    render(wants, &ctx, StatusCode::OK, &v)
}

/// After a change on the members page: for htmx the dialog empties, a toast
/// says what happened and the table reloads; otherwise flash and back to `to`.
pub(crate) fn changed(
    wants: Wants,
    ctx: &OrgContext,
    message: &str,
    to: &str,
) -> AppResult<HttpResponse> {
    if wants == Wants::Page {
        flash(&ctx.me.session, "success", message);
        return Ok(redirect(wants, to));
    }
    let toast = Toast {
        kind: "success",
        message,
        oob: true,
    }
    .render()?;
    Ok(crate::web::invitations::changed(toast))
}

/// What a revoke did, in one sentence.
pub fn revoked_message(r: &svc::Revoked) -> String {
    let mut message = format!(
        "{}'s access is revoked; they are in the Archived tab and can be restored.",
        r.name
    );
    for h in r.handed_over.iter().filter(|h| h.contacts > 0) {
        let n = h.contacts;
        let s = if n == 1 { "" } else { "s" };
        message.push_str(&match &h.to {
            Some(to) => format!(" {n} contact{s} in {} went to {to}.", h.team),
            None => format!(" {n} contact{s} in {} are unassigned.", h.team),
        });
    }
    message
}

pub async fn members_revoke(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let member = member_id(&req)?;
    policy::check(&ctx.actor, policy::Action::ViewMembers).map_err(|_| AppError::NotFound)?;
    let fields = pairs(&body);
    let (org, actor) = (ctx.org.id, ctx.actor);
    let result = match parse_handovers(&fields, "") {
        Ok(handovers) => {
            let chosen = handovers.clone();
            db::run(&pool, move |conn| {
                svc::revoke(conn, &actor, org, member, &handovers)
            })
            .await
            .map_err(|e| (e, chosen))
        }
        Err(message) => Err((AppError::Validation(message), Handovers::default())),
    };
    let (error, chosen) = match result {
        Ok(revoked) => {
            let to = format!("/orgs/{org}/members");
            return changed(wants, &ctx, &revoked_message(&revoked), &to);
        }
        Err((
            e @ (AppError::Validation(_) | AppError::Forbidden(_) | AppError::Conflict(_)),
            chosen,
        )) => (e, chosen),
        Err((other, _)) => return Err(other),
    };
    let status = actix_web::ResponseError::status_code(&error);
    let mut v = load_view(&pool, &ctx, member, chosen).await?;
    v.error = Some(error.to_string());
    render(wants, &ctx, status, &v)
}
