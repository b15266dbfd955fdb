//! Invitations. Inviting from the Members page: the invite dialog (a fragment
//! for htmx, a full page without JavaScript), and resending or revoking a
//! pending member's invitation (here); a list of addresses ([`bulk`]), adding
//! by account ID ([`by_id`]), copying an invitation's link ([`link`]). One's
//! own invitations ([`inbox`]), and the accept pages behind the emailed link
//! ([`accept`]).

pub mod accept;
pub mod bulk;
pub mod by_id;
pub mod inbox;
pub mod link;
pub mod view;

use actix_session::Session;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::{EmailAddress, MembershipId, OrgRole, PermissionSet, TeamRole};
use crate::error::{AppError, AppResult};
use crate::services::invitations::{self as svc, InviteRequest, LinkSettings};
use crate::services::limits;
use crate::web::plumbing::context::{client_ip, flash, Layout, OrgContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{org_page_or_fragment, redirect, HxEvent, Toast, Wants};
use crate::web::plumbing::routing::routes;
use view::{invite_options, may_invite_any, InviteForm};

routes! {
    GET "/orgs/{org}/members/invite" => invite_form,
    POST "/orgs/{org}/members/invite" => invite_submit,
    POST "/orgs/{org}/members/invite/confirm" => bulk::invite_confirm,
    POST "/orgs/{org}/members/{member}/invitation/resend" => invitation_resend,
    POST "/orgs/{org}/members/{member}/invitation/revoke" => invitation_revoke,
    POST "/orgs/{org}/members/{member}/invitation/link" => link::invitation_copy_link,
    GET "/orgs/{org}/members/add-by-id" => by_id::add_by_id_form,
    POST "/orgs/{org}/members/add-by-id" => by_id::add_by_id_submit,
    GET "/invitations" => inbox::invitations_index,
    POST "/invitations/{id}/accept" => inbox::invitation_accept,
    POST "/invitations/{id}/decline" => inbox::invitation_decline,
    GET "/invite/{token}" => accept::accept_page,
    POST "/invite/{token}" => accept::accept_submit,
}

#[derive(Template)]
#[template(path = "pages/invitations/new.html")]
pub struct InvitePage<'a> {
    pub layout: Layout,
    pub form: &'a InviteForm,
}

#[derive(Template)]
#[template(path = "fragments/invitations/_form.html")]
pub struct InviteFormFragment<'a> {
    pub form: &'a InviteForm,
    pub csrf: &'a str,
}

pub fn links(settings: &Settings) -> LinkSettings {
    LinkSettings {
        public_url: settings.public_url.clone(),
        ttl: settings.invitation_ttl,
    }
}

pub fn render_form(
    wants: Wants,
    ctx: &OrgContext,
    status: StatusCode,
    form: &InviteForm,
) -> AppResult<HttpResponse> {
    org_page_or_fragment(
        wants,
        ctx,
        "members",
        status,
        |layout| InvitePage { layout, form },
        |csrf| InviteFormFragment { form, csrf }.render(),
    )
}

pub async fn load_form(pool: &PgPool, ctx: &OrgContext) -> AppResult<InviteForm> {
    let (org, actor) = (ctx.org.id, ctx.actor);
    db::run(pool, move |conn| invite_options(conn, &actor, org)).await
}

pub async fn invite_form(
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    may_invite_any(&ctx.actor)?;
    let form = load_form(&pool, &ctx).await?;
    render_form(wants, &ctx, StatusCode::OK, &form)
}

/// The most a form of this dialog can hold, per field (but the list of addresses).
const MAX_FIELD: usize = 1000;

/// What every invitation of one submission gets: the org role, teams and permissions.
pub struct Grants {
    pub role: OrgRole,
    pub teams: Vec<(i64, TeamRole)>,
    pub permissions: Option<PermissionSet>,
}

pub(crate) fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The role, team and permission fields, or the messages for each.
pub fn parse_grants(fields: &[(String, String)], errors: &mut FormErrors) -> Option<Grants> {
    if fields
        .iter()
        .any(|(k, v)| k != "email" && k != "lines" && v.len() > MAX_FIELD)
    {
        errors.add("form", "A field is too long.");
        return None;
    }
    let role = OrgRole::parse(field(fields, "role"));
    if role.is_none() {
        errors.add("role", "Choose one of the listed roles.");
    }
    let mut teams = Vec::new();
    for (key, value) in fields {
        let Some(team) = key.strip_prefix("team_") else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        match (
            team.parse::<i64>(),
            TeamRole::parse(value).filter(|r| *r != TeamRole::Custom),
        ) {
            (Ok(team), Some(role)) => teams.push((team, role)),
            _ => errors.add("teams", "Choose one of the listed team roles."),
        }
    }
    let keys: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "perm")
        .map(|(_, v)| v.as_str())
        .collect();
    let permissions = match PermissionSet::from_keys(&keys) {
        Ok(set) if set.is_empty() => None,
        Ok(set) => Some(set),
        Err(message) => {
            errors.add("permissions", message);
            None
        }
    };
    Some(Grants {
        role: role?,
        teams,
        permissions,
    })
    .filter(|_| errors.is_empty())
}

/// The single address of the form, when it is not a list.
fn parse_single(
    fields: &[(String, String)],
    grants: Option<Grants>,
    errors: &mut FormErrors,
) -> Option<InviteRequest> {
    if field(fields, "email").len() > MAX_FIELD {
        errors.add("form", "A field is too long.");
        return None;
    }
    let email = errors.check("email", EmailAddress::parse(field(fields, "email")));
    let grants = grants?;
    Some(InviteRequest {
        email: email?,
        role: grants.role,
        teams: grants.teams,
        permissions: grants.permissions,
    })
    .filter(|_| errors.is_empty())
}

pub async fn invite_submit(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    session: Session,
    ctx: OrgContext,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    may_invite_any(&ctx.actor)?;
    let submitted = bulk::read_submission(&req, payload).await?;
    let fields = &submitted.fields;
    let mut errors = FormErrors::default();
    let grants = parse_grants(fields, &mut errors);
    if let Some(lines) = bulk::lines_of(&submitted, &mut errors) {
        return bulk::preview(&req, &pool, &ctx, grants, lines, errors, fields).await;
    }
    let parsed = parse_single(fields, grants, &mut errors);
    let result = match parsed {
        Some(request) => {
            let (org, actor, links) = (ctx.org.id, ctx.actor, links(&settings));
            let buckets =
                limits::invites(&settings.limits, org, actor.account_id, &client_ip(&req));
            db::run(&pool, move |conn| {
                limits::hit(conn, &buckets, 1)?;
                svc::invite(conn, &actor, org, &request, &links).map(|_| request.email)
            })
            .await
        }
        None => Err(AppError::Validation(String::new())),
    };
    match result {
        Ok(email) => invited(wants, &session, &ctx, &pool, email).await,
        Err(e) => refused(wants, &pool, &ctx, e, errors, fields).await,
    }
}

/// The form again with the submitted values and why it was refused.
pub async fn refused(
    wants: Wants,
    pool: &PgPool,
    ctx: &OrgContext,
    error: AppError,
    mut errors: FormErrors,
    fields: &[(String, String)],
) -> AppResult<HttpResponse> {
    let status = match error {
        AppError::NotFound => {
            errors.add("teams", "That team does not exist.");
            StatusCode::NOT_FOUND
        }
        e @ (AppError::Validation(_) | AppError::Forbidden(_) | AppError::Conflict(_)) => {
            if !e.to_string().is_empty() {
                errors.add("form", e.to_string());
            }
            actix_web::ResponseError::status_code(&e)
        }
        other => return Err(other),
    };
    let mut form = load_form(pool, ctx).await?;
    form.keep_input(fields, errors);
    render_form(wants, ctx, status, &form)
}

/// After an invitation: htmx gets a fresh form, a toast and a nudge for the
/// members table to reload; a plain form goes back to the members list.
async fn invited(
    wants: Wants,
    session: &Session,
    ctx: &OrgContext,
    pool: &PgPool,
    email: EmailAddress,
) -> AppResult<HttpResponse> {
    let message = format!(
        "Invitation to {} queued; it shows as Pending until accepted.",
        email.as_str()
    );
    after_inviting(wants, session, ctx, pool, &message, |form, csrf| {
        InviteFormFragment { form, csrf }.render()
    })
    .await
}

/// What every way of inviting answers once it has: htmx gets its dialog
/// again (`fresh`, empty), a toast and a nudge for the members table to
/// reload; a plain form goes back to the members list with the message.
pub async fn after_inviting(
    wants: Wants,
    session: &Session,
    ctx: &OrgContext,
    pool: &PgPool,
    message: &str,
    fresh: impl FnOnce(&InviteForm, &str) -> askama::Result<String>,
) -> AppResult<HttpResponse> {
    if wants == Wants::Page {
        flash(session, "success", message);
        return Ok(redirect(wants, &format!("/orgs/{}/members", ctx.org.id)));
    }
    let form = load_form(pool, ctx).await?;
    let csrf = crate::web::plumbing::csrf::token(session);
    let mut body = fresh(&form, &csrf)?;
    body.push_str(
        &Toast {
            kind: "success",
            message,
            oob: true,
        }
        .render()?,
    );
    Ok(changed(body))
}

/// `body` (a toast, a dialog) answering a change of the members list, which
/// reloads its table.
pub fn changed(body: String) -> HttpResponse {
    HxEvent::MembersChanged.announce(
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body),
    )
}

fn member_id(req: &HttpRequest) -> AppResult<MembershipId> {
    req.match_info()
        .get("member")
        .and_then(|v| v.parse().ok())
        .map(MembershipId)
        .ok_or(AppError::NotFound)
}

fn done(
    wants: Wants,
    session: &Session,
    ctx: &OrgContext,
    message: &str,
) -> AppResult<HttpResponse> {
    if wants.is_fragment() {
        return Ok(changed(
            Toast {
                kind: "success",
                message,
                oob: true,
            }
            .render()?,
        ));
    }
    flash(session, "success", message);
    Ok(redirect(wants, &format!("/orgs/{}/members", ctx.org.id)))
}

pub async fn invitation_resend(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    session: Session,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let member = member_id(&req)?;
    let (org, actor, links) = (ctx.org.id, ctx.actor, links(&settings));
    let buckets = limits::resends(&settings.limits, org, actor.account_id, &client_ip(&req));
    db::run(&pool, move |conn| {
        limits::hit(conn, &buckets, 1)?;
        svc::resend(conn, &actor, org, member, &links)
    })
    .await?;
    done(
        wants,
        &session,
        &ctx,
        "Invitation sent again with a new link; the old link no longer works.",
    )
}

pub async fn invitation_revoke(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    session: Session,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let member = member_id(&req)?;
    let (org, actor) = (ctx.org.id, ctx.actor);
    let email = db::run(&pool, move |conn| svc::revoke(conn, &actor, org, member)).await?;
    done(
        wants,
        &session,
        &ctx,
        &format!("Invitation for {email} revoked; its link no longer works."),
    )
}
