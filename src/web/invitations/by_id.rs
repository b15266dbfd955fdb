//! "Add by account ID" on the Members page: a dialog (a fragment for htmx, a
//! full page without JavaScript) taking the ID from the person's profile, the
//! org role and teams; it invites that account in-app (`services::invitations::by_account`).

use actix_session::Session;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;

use super::view::{may_invite_any, InviteForm};
use super::{after_inviting, field, links, load_form, parse_grants};
use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::PublicAccountId;
use crate::error::{AppError, AppResult};
use crate::services::invitations::by_account::{self, AddByIdRequest};
use crate::services::limits;
use crate::web::plumbing::context::{client_ip, Layout, OrgContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{org_page_or_fragment, Wants};

#[derive(Template)]
#[template(path = "pages/members/add_by_id.html")]
pub struct AddByIdPage<'a> {
    pub layout: Layout,
    pub form: &'a InviteForm,
}

#[derive(Template)]
#[template(path = "fragments/members/_add_by_id.html")]
pub struct AddByIdFragment<'a> {
    pub form: &'a InviteForm,
    pub csrf: &'a str,
}

fn render(
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
        |layout| AddByIdPage { layout, form },
        |csrf| AddByIdFragment { form, csrf }.render(),
    )
}

pub async fn add_by_id_form(
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    may_invite_any(&ctx.actor)?;
    let form = load_form(&pool, &ctx).await?;
    render(wants, &ctx, StatusCode::OK, &form)
}

/// The longest account ID field read (anything longer is malformed anyway).
const MAX_ID_FIELD: usize = 1000;

pub async fn add_by_id_submit(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    session: Session,
    ctx: OrgContext,
    fields: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    may_invite_any(&ctx.actor)?;
    let fields = fields.into_inner();
    let mut errors = FormErrors::default();
    let grants = parse_grants(&fields, &mut errors);
    let raw = field(&fields, "account_id");
    let account = if raw.len() > MAX_ID_FIELD {
        errors.add("account_id", "An account ID is 21 characters long.");
        None
    } else {
        errors.check("account_id", PublicAccountId::parse(raw))
    };
    let (Some(grants), Some(account), true) = (grants, account, errors.is_empty()) else {
        return refused(
            wants,
            &pool,
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            &fields,
        )
        .await;
    };
    let request = AddByIdRequest {
        account,
        role: grants.role,
        teams: grants.teams,
        permissions: grants.permissions,
    };
    let shown = request.account.as_str().to_owned();
    let (org, actor, links) = (ctx.org.id, ctx.actor, links(&settings));
    let buckets = limits::invites(&settings.limits, org, actor.account_id, &client_ip(&req));
    let result = db::run(&pool, move |conn| {
        limits::hit(conn, &buckets, 1)?;
        by_account::invite_by_id(conn, &actor, org, &request, &links)
    })
    .await;
    let status = match result {
        Ok(_) => return invited(wants, &session, &ctx, &pool, &shown).await,
        Err(AppError::NotFound) => {
            errors.add("teams", "That team does not exist.");
            StatusCode::NOT_FOUND
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            errors.add("account_id", e.to_string());
            actix_web::ResponseError::status_code(&e)
        }
        Err(AppError::Forbidden(reason)) => {
            errors.add("form", reason);
            StatusCode::FORBIDDEN
        }
        Err(other) => return Err(other),
    };
    refused(wants, &pool, &ctx, status, errors, &fields).await
}

/// The dialog again with what was typed and why it was refused.
async fn refused(
    wants: Wants,
    pool: &PgPool,
    ctx: &OrgContext,
    status: StatusCode,
    errors: FormErrors,
    fields: &[(String, String)],
) -> AppResult<HttpResponse> {
    let mut form = load_form(pool, ctx).await?;
    form.keep_input(fields, errors);
    form.email = field(fields, "account_id").chars().take(100).collect();
    render(wants, ctx, status, &form)
}

/// After inviting: what the inviter may know is the ID they typed.
async fn invited(
    wants: Wants,
    session: &Session,
    ctx: &OrgContext,
    pool: &PgPool,
    shown: &str,
) -> AppResult<HttpResponse> {
    let message = format!(
        "Invitation sent to account {shown}; it shows as Pending until they accept it in Roster."
    );
    after_inviting(wants, session, ctx, pool, &message, |form, csrf| {
        AddByIdFragment { form, csrf }.render()
    })
    .await
}
