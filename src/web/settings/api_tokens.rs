//! Settings → API tokens: the organization's tokens with their scopes, creator,
//! expiry and last use; a form to make one (its secret shown once, with a copy
//! button) and one-click revoke. Settings → API explains the JSON API with the
//! organization's real ids.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

use crate::db::{self, PgPool};
use crate::domain::{
    api_tokens::{Expiry, TokenName, DEFAULT_EXPIRY_DAYS},
    policy::{self, Action},
    ApiTokenId, Feature, MembershipStatus, OrgRole, Permission, PermissionSet, Scope,
};
use crate::error::{AppError, AppResult};
use crate::services::api_tokens::{self as service, NewApiToken};
use crate::web::plumbing::context::{flash, Layout, OrgContext};
use crate::web::plumbing::forms::{parse_form, FormErrors};
use crate::web::plumbing::htmx::{fragment_with_toast, org_page_or_fragment, see_other, Wants};
use crate::web::plumbing::routing::routes;

routes! {
    GET "/orgs/{org}/settings/api-tokens" => tokens_index,
    POST "/orgs/{org}/settings/api-tokens" => tokens_create,
    POST "/orgs/{org}/settings/api-tokens/{token}/revoke" => tokens_revoke,
}

pub(crate) fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// One row of the list.
pub struct TokenRow {
    pub id: ApiTokenId,
    pub name: String,
    pub scopes: Vec<String>,
    pub creator: String,
    pub creator_archived: bool,
    pub created: String,
    pub expires: String,
    pub last_used: Option<(String, String)>,
    /// "active", "expired" or "revoked".
    pub state: &'static str,
}

impl TokenRow {
    fn of((token, creator, status): db::api_tokens::Listed, now: DateTime<Utc>) -> Self {
        let state = if token.revoked_at.is_some() {
            "revoked"
        } else if token.expires_at.is_some_and(|at| at <= now) {
            "expired"
        } else {
            "active"
        };
        let creator_archived =
            status.as_deref().and_then(MembershipStatus::parse) != Some(MembershipStatus::Active);
        Self {
            id: token.id,
            name: token.name,
            scopes: token.scopes,
            creator,
            creator_archived,
            created: when(token.created_at),
            expires: token.expires_at.map_or_else(|| "never".into(), when),
            last_used: token
                .last_used_at
                .map(|at| (when(at), token.last_used_ip.unwrap_or_default())),
            state,
        }
    }
}

/// A scope's checkbox: checked when asked for, disabled with the policy's
/// reason when the person does not hold it.
pub struct ScopeChoice {
    pub key: &'static str,
    pub label: &'static str,
    pub team: bool,
    pub checked: bool,
    pub denied: Option<&'static str>,
}

/// The form as sent (`scopes` repeats), and what it shows again after a refusal.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
pub struct TokenForm {
    pub name: String,
    pub expires_days: String,
    #[serde(deserialize_with = "crate::web::plumbing::forms::checkbox")]
    pub never: bool,
    pub scopes: Vec<String>,
}

/// A token just made: its secret, shown this once.
pub struct Fresh {
    pub name: String,
    pub secret: String,
}

#[derive(Template)]
#[template(path = "pages/settings/api_tokens.html")]
pub struct TokensPage<'a> {
    pub layout: Layout,
    pub v: &'a TokensView,
}

#[derive(Template)]
#[template(path = "fragments/settings/_api_tokens.html")]
pub struct TokensFragment<'a> {
    pub v: &'a TokensView,
    pub csrf: &'a str,
}

pub struct TokensView {
    pub org_id: i64,
    pub api_on: bool,
    pub may_never_expire: bool,
    pub rows: Vec<TokenRow>,
    pub choices: Vec<ScopeChoice>,
    pub form: TokenForm,
    pub errors: FormErrors,
    pub fresh: Option<Fresh>,
    pub expiry_options: [i64; 5],
    pub default_expiry: i64,
}

fn choices(ctx: &OrgContext, chosen: &[String]) -> Vec<ScopeChoice> {
    Permission::in_scope(Scope::Org)
        .chain(Permission::in_scope(Scope::Team))
        .map(|p| {
            let one = policy::check(
                &ctx.actor,
                Action::CreateApiToken {
                    scopes: PermissionSet::of(&[p]),
                    never_expires: false,
                },
            );
            ScopeChoice {
                key: p.key(),
                label: p.label(),
                team: p.scope() == Scope::Team,
                checked: chosen.iter().any(|k| k == p.key()),
                denied: one.err().map(|policy::Denied(reason)| reason),
            }
        })
        .collect()
}

async fn view(
    pool: &PgPool,
    ctx: &OrgContext,
    form: TokenForm,
    errors: FormErrors,
    fresh: Option<Fresh>,
) -> AppResult<TokensView> {
    let (actor, org) = (ctx.actor, ctx.org.clone());
    let (listed, api_on) = db::run(pool, move |conn| {
        let listed = service::list(conn, &actor, org.id)?;
        let on = crate::services::orgs::is_enabled(conn, &org, Feature::ApiAccess)?;
        Ok((listed, on))
    })
    .await?;
    let now = Utc::now();
    Ok(TokensView {
        org_id: ctx.org.id.0,
        api_on,
        may_never_expire: ctx.actor.role == OrgRole::Owner,
        rows: listed.into_iter().map(|l| TokenRow::of(l, now)).collect(),
        choices: choices(ctx, &form.scopes),
        form,
        errors,
        fresh,
        expiry_options: [7, 30, 90, 180, 365],
        default_expiry: DEFAULT_EXPIRY_DAYS,
    })
}

fn respond(
    wants: Wants,
    ctx: &OrgContext,
    status: StatusCode,
    v: &TokensView,
) -> AppResult<HttpResponse> {
    org_page_or_fragment(
        wants,
        ctx,
        "settings-api-tokens",
        status,
        |layout| TokensPage { layout, v },
        |csrf| TokensFragment { v, csrf }.render(),
    )
}

pub async fn tokens_index(
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let v = fresh_view(&pool, &ctx, None).await?;
    respond(wants, &ctx, StatusCode::OK, &v)
}

/// The list with an empty form (and a just-made token's secret, if any).
async fn fresh_view(
    pool: &PgPool,
    ctx: &OrgContext,
    fresh: Option<Fresh>,
) -> AppResult<TokensView> {
    view(
        pool,
        ctx,
        TokenForm::default(),
        FormErrors::default(),
        fresh,
    )
    .await
}

/// The changed list as a fragment with a toast.
fn changed(ctx: &OrgContext, v: &TokensView, message: &str) -> AppResult<HttpResponse> {
    let csrf = crate::web::plumbing::csrf::token(&ctx.me.session);
    fragment_with_toast(&TokensFragment { v, csrf: &csrf }, "success", message)
}

/// The form as sent, refused when oversize.
fn read_form(body: &[u8]) -> Result<TokenForm, AppError> {
    let form: TokenForm = parse_form(body)?;
    if form.scopes.len() > Permission::ALL.len() || form.name.len() > 1000 {
        return Err(AppError::Validation("The form is too large.".into()));
    }
    Ok(form)
}

pub async fn tokens_create(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    policy::check(&ctx.actor, Action::ManageApiTokens)
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))?;
    let form = read_form(&body)?;
    let mut errors = FormErrors::default();
    let name = errors.check("name", TokenName::parse(&form.name));
    let expiry = errors.check(
        "expires_days",
        Expiry::parse(&form.expires_days, form.never),
    );
    let scopes = match PermissionSet::from_keys(&form.scopes) {
        Ok(set) if set.is_empty() => {
            errors.add("scopes", "Choose at least one scope.");
            None
        }
        Ok(set) => Some(set),
        Err(message) => {
            errors.add("scopes", message);
            None
        }
    };
    let (Some(name), Some(expiry), Some(scopes)) = (name, expiry, scopes) else {
        let v = view(&pool, &ctx, form, errors, None).await?;
        return respond(wants, &ctx, StatusCode::UNPROCESSABLE_ENTITY, &v);
    };
    let (actor, org) = (ctx.actor, ctx.org.clone());
    let creator = ctx.me.account.display_name.clone();
    let public_url = req
        .app_data::<web::Data<crate::config::Settings>>()
        .map(|s| s.public_url.clone())
        .ok_or_else(|| AppError::unexpected(anyhow::anyhow!("no settings configured")))?;
    let new = NewApiToken {
        name,
        scopes,
        expiry,
    };
    let created = db::run(&pool, move |conn| {
        service::create(conn, &actor, &org, &creator, &public_url, new)
    })
    .await?;
    let fresh = Fresh {
        name: created.token.name.clone(),
        secret: created.secret.expose().to_owned(),
    };
    let v = fresh_view(&pool, &ctx, Some(fresh)).await?;
    if wants.is_fragment() {
        return changed(
            &ctx,
            &v,
            "Token created. Copy it now: it is not shown again.",
        );
    }
    respond(wants, &ctx, StatusCode::CREATED, &v)
}

pub async fn tokens_revoke(
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let id = path
        .1
        .parse::<i64>()
        .map(ApiTokenId)
        .map_err(|_| AppError::NotFound)?;
    let (actor, org) = (ctx.actor, ctx.org.id);
    let token = db::run(&pool, move |conn| service::revoke(conn, &actor, org, id)).await?;
    let message = format!("Token “{}” revoked.", token.name);
    if wants.is_fragment() {
        let v = fresh_view(&pool, &ctx, None).await?;
        return changed(&ctx, &v, &message);
    }
    flash(&ctx.me.session, "success", message);
    Ok(see_other(&format!("/orgs/{org}/settings/api-tokens")))
}
