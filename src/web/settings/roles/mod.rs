//! Settings → Roles: the built-in roles as a read-only permission grid, and the
//! organization's custom roles (create, inline or page edit, delete with
//! confirmation). What the viewer may not grant is shown disabled with the
//! policy's reason.

mod view;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use validator::Validate;

use crate::db::{self, PgPool};
use crate::domain::{
    policy::{self, Action},
    role_fields::{parse_permissions, parse_scope, scope_label, RoleName},
    CustomRoleId, Invalid, OrgId, PermissionSet, Scope,
};
use crate::error::{AppError, AppResult};
use crate::services::roles::{self as role_service, known_permissions, RoleInUse};
use crate::web::plumbing::context::{flash, Layout, OrgContext};
use crate::web::plumbing::forms::{parse_form, FormErrors};
use crate::web::plumbing::htmx::{fragment_with_toast, redirect, render, render_status, Wants};
use crate::web::plumbing::routing::routes;
use view::{
    colspan, section, DeletePage, EditPage, EditRowFragment, FormFragment, IndexPage, RoleForm,
    RoleRow, RowFragment,
};

routes! {
    GET "/orgs/{org}/settings/roles" => roles_index,
    POST "/orgs/{org}/settings/roles" => roles_create,
    GET "/orgs/{org}/settings/roles/{role}" => roles_edit,
    POST "/orgs/{org}/settings/roles/{role}" => roles_update,
    GET "/orgs/{org}/settings/roles/{role}/row" => roles_row,
    GET "/orgs/{org}/settings/roles/{role}/delete" => roles_delete_confirm,
    POST "/orgs/{org}/settings/roles/{role}/delete" => roles_delete,
}

fn allow(ctx: &OrgContext, action: Action) -> AppResult<()> {
    policy::check(&ctx.actor, action).map_err(|policy::Denied(reason)| AppError::forbidden(reason))
}

// ---- Form input ------------------------------------------------------------

/// A role form as sent (`permissions` repeats, which `web::Form` would not
/// collect into a list).
#[derive(Debug, Default, Validate, serde::Deserialize)]
#[serde(default)]
pub struct RoleFields {
    #[validate(length(max = 1000, message = "Role name can be at most 60 characters."))]
    pub name: String,
    pub scope: String,
    #[validate(length(max = 100, message = "Too many permissions were sent."))]
    pub permissions: Vec<String>,
    /// `row` when the form is an edit row swapped in by htmx.
    pub view: String,
}

impl RoleFields {
    /// The name and permission set, or the reasons next to their fields.
    fn validate_for(
        &self,
        scope: Scope,
        errors: &mut FormErrors,
    ) -> Option<(RoleName, PermissionSet)> {
        if let Err(e) = self.validate() {
            // Oversize input, before any parsing; `permissions` comes back as "form".
            let shape = FormErrors::from_validation(&e);
            if let Some(message) = shape.get("name") {
                errors.add("name", message);
            }
            if let Some(message) = shape.get("form") {
                errors.add("permissions", message);
            }
        }
        let name = errors.check("name", RoleName::parse(&self.name));
        let perms = errors.check("permissions", parse_permissions(scope, &self.permissions));
        name.zip(perms).filter(|_| errors.is_empty())
    }

    /// What to tick again when the form comes back with errors.
    fn checked(&self) -> PermissionSet {
        known_permissions(&self.permissions)
    }
}

/// A refusal from the service, put next to its field with its status; anything
/// else is an error page.
fn refusal_to_field(err: AppError, errors: &mut FormErrors) -> AppResult<StatusCode> {
    match err {
        AppError::Validation(message) => {
            errors.add("name", message);
            Ok(StatusCode::UNPROCESSABLE_ENTITY)
        }
        AppError::Forbidden(message) => {
            errors.add("permissions", message);
            Ok(StatusCode::FORBIDDEN)
        }
        other => Err(other),
    }
}

fn index_path(org: OrgId) -> String {
    format!("/orgs/{org}/settings/roles")
}

// ---- Handlers --------------------------------------------------------------

async fn index_page(
    pool: &PgPool,
    ctx: &OrgContext,
    status: StatusCode,
    form: Option<RoleForm>,
) -> AppResult<HttpResponse> {
    let org = ctx.org.id;
    let (org_roles, team_roles) = db::run(pool, move |conn| {
        Ok((
            role_service::list(conn, org, Scope::Org)?,
            role_service::list(conn, org, Scope::Team)?,
        ))
    })
    .await?;
    let (org_form, team_form) = match form {
        Some(f) if f.scope == Scope::Team => (None, Some(f)),
        other => (other, None),
    };
    let sections = vec![
        section(ctx, Scope::Org, &org_roles, org_form),
        section(ctx, Scope::Team, &team_roles, team_form),
    ];
    render_status(
        status,
        &IndexPage {
            layout: Layout::in_org(ctx, "settings-roles"),
            sections,
        },
    )
}

pub async fn roles_index(pool: web::Data<PgPool>, ctx: OrgContext) -> AppResult<HttpResponse> {
    allow(&ctx, Action::ManageRoles)?;
    index_page(&pool, &ctx, StatusCode::OK, None).await
}

pub async fn roles_create(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    allow(&ctx, Action::ManageRoles)?;
    let fields: RoleFields = parse_form(&body)?;
    let scope = parse_scope(&fields.scope).map_err(|Invalid(m)| AppError::Validation(m))?;
    let mut errors = FormErrors::default();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some((name, perms)) = fields.validate_for(scope, &mut errors) {
        let (actor, org) = (ctx.actor, ctx.org.id);
        let saved = db::run(&pool, move |conn| {
            role_service::create(conn, &actor, org, scope, &name, perms)
        })
        .await;
        match saved {
            Ok(role) => {
                let message = format!("Role “{}” created.", role.name);
                flash(&ctx.me.session, "success", message);
                return Ok(redirect(&req, &index_path(org)));
            }
            Err(err) => status = refusal_to_field(err, &mut errors)?,
        }
    }
    let form = RoleForm::new(&ctx.actor, ctx.org.id, scope, fields.checked());
    let form = RoleForm {
        name: fields.name,
        ..form
    }
    .with_errors(errors);
    if wants.is_fragment() {
        let csrf = crate::web::plumbing::csrf::token(&ctx.me.session);
        return render_status(
            status,
            &FormFragment {
                form: &form,
                csrf: &csrf,
            },
        );
    }
    index_page(&pool, &ctx, status, Some(form)).await
}

type RolePath = web::Path<(i64, i64)>;

/// The role named in the path, with its usage; another organization's is a 404.
async fn load(pool: &PgPool, ctx: &OrgContext, path: &RolePath) -> AppResult<RoleInUse> {
    let (org, id) = (ctx.org.id, CustomRoleId(path.1));
    db::run(pool, move |conn| role_service::find(conn, org, id)).await
}

/// Renders an edit form: the edit row for htmx's inline edit, the bare form for
/// htmx on the edit page, else the whole edit page.
fn render_edit(
    wants: Wants,
    ctx: &OrgContext,
    role: &RoleInUse,
    form: &RoleForm,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let csrf = crate::web::plumbing::csrf::token(&ctx.me.session);
    match (wants.is_fragment(), form.inline) {
        (true, true) => render_status(
            status,
            &EditRowFragment {
                form,
                csrf: &csrf,
                colspan: colspan(form.scope),
            },
        ),
        (true, false) => render_status(status, &FormFragment { form, csrf: &csrf }),
        (false, _) => render_status(
            status,
            &EditPage {
                layout: Layout::in_org(ctx, "settings-roles"),
                org_id: ctx.org.id.0,
                form,
                scope_label: scope_label(role.scope()),
                used_by: role.used_by,
            },
        ),
    }
}

pub async fn roles_edit(
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    path: RolePath,
) -> AppResult<HttpResponse> {
    allow(&ctx, Action::ManageRoles)?;
    let role = load(&pool, &ctx, &path).await?;
    let perms = role.permissions();
    allow(
        &ctx,
        Action::ChangeRole {
            before: perms,
            after: perms,
        },
    )?;
    let form =
        RoleForm::edit(&ctx.actor, &role, &role.role.name, perms).inline(wants.is_fragment());
    render_edit(wants, &ctx, &role, &form, StatusCode::OK)
}

/// The row as it is, for Cancel on an inline edit; the grid page otherwise.
pub async fn roles_row(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    path: RolePath,
) -> AppResult<HttpResponse> {
    allow(&ctx, Action::ManageRoles)?;
    let role = load(&pool, &ctx, &path).await?;
    if wants == Wants::Page {
        return Ok(redirect(&req, &index_path(ctx.org.id)));
    }
    render(&RowFragment {
        row: &RoleRow::new(&ctx.actor, &role),
    })
}

pub async fn roles_update(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    path: RolePath,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    allow(&ctx, Action::ManageRoles)?;
    let role = load(&pool, &ctx, &path).await?;
    let scope = role.scope();
    let fields: RoleFields = parse_form(&body)?;
    let inline = wants.is_fragment() && fields.view == "row";
    let mut errors = FormErrors::default();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if let Some((name, perms)) = fields.validate_for(scope, &mut errors) {
        let (actor, org, id) = (ctx.actor, ctx.org.id, role.role.id);
        let saved = db::run(&pool, move |conn| {
            role_service::update(conn, &actor, org, id, &name, perms)
        })
        .await;
        match saved {
            Ok(saved) => {
                let message = format!("Role “{}” saved.", saved.name);
                if inline {
                    let row = RoleRow::new(
                        &ctx.actor,
                        &RoleInUse {
                            role: saved,
                            ..role
                        },
                    );
                    return fragment_with_toast(&RowFragment { row: &row }, "success", &message);
                }
                flash(&ctx.me.session, "success", message);
                return Ok(redirect(&req, &index_path(org)));
            }
            Err(err) => status = refusal_to_field(err, &mut errors)?,
        }
    }
    let form = RoleForm::edit(&ctx.actor, &role, &fields.name, fields.checked())
        .inline(inline)
        .with_errors(errors);
    render_edit(wants, &ctx, &role, &form, status)
}

pub async fn roles_delete_confirm(
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    path: RolePath,
) -> AppResult<HttpResponse> {
    allow(&ctx, Action::ManageRoles)?;
    let role = load(&pool, &ctx, &path).await?;
    let before = role.permissions();
    allow(
        &ctx,
        Action::ChangeRole {
            before,
            after: PermissionSet::default(),
        },
    )?;
    render(&DeletePage {
        layout: Layout::in_org(&ctx, "settings-roles"),
        org_id: ctx.org.id.0,
        scope_label: scope_label(role.scope()),
        role: &role,
    })
}

pub async fn roles_delete(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    path: RolePath,
) -> AppResult<HttpResponse> {
    allow(&ctx, Action::ManageRoles)?;
    let (actor, org, id) = (ctx.actor, ctx.org.id, CustomRoleId(path.1));
    let deleted = db::run(&pool, move |conn| {
        role_service::delete(conn, &actor, org, id)
    })
    .await?;
    let fallback = match deleted.used_by {
        0 => String::new(),
        1 => " The 1 member who had it fell back to their built-in role.".to_owned(),
        n => format!(" The {n} members who had it fell back to their built-in roles."),
    };
    let message = format!("Role “{}” deleted.{fallback}", deleted.role.name);
    flash(&ctx.me.session, "success", message);
    Ok(redirect(&req, &index_path(org)))
}
