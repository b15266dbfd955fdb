//! What the roles pages show: the permission grids, custom role rows and role
//! forms, built from the policy's answers for the viewer, and their templates.

use askama::Template;

use super::index_path;
use crate::domain::{
    policy::{self, Action, Actor},
    CustomRoleId, OrgId, OrgRole, Permission, PermissionSet, Scope, TeamRole,
};
use crate::services::roles::RoleInUse;
use crate::web::plumbing::context::{Layout, OrgContext};
use crate::web::plumbing::forms::FormErrors;

/// A permission offered in a role form: disabled, with the policy's reason, when
/// the viewer does not hold it.
pub struct PermOption {
    pub key: &'static str,
    pub label: &'static str,
    pub checked: bool,
    pub denied: Option<&'static str>,
}

/// The create or edit form of one role.
pub struct RoleForm {
    pub html_id: String,
    pub action: String,
    /// The roles page, where Cancel leads without JavaScript.
    pub index: String,
    pub scope: Scope,
    pub role_id: Option<CustomRoleId>,
    pub name: String,
    pub options: Vec<PermOption>,
    /// The reason shared by the disabled options, shown once under the grid.
    pub denied_note: Option<&'static str>,
    pub errors: FormErrors,
    /// An edit form swapped into its table row by htmx.
    pub inline: bool,
}

impl RoleForm {
    pub(super) fn new(actor: &Actor, org: OrgId, scope: Scope, checked: PermissionSet) -> Self {
        let options: Vec<PermOption> = Permission::in_scope(scope)
            .map(|p| PermOption {
                key: p.key(),
                label: p.label(),
                checked: checked.contains(p),
                denied: denial(actor, PermissionSet::default(), PermissionSet::of(&[p])),
            })
            .collect();
        Self {
            html_id: format!("new-role-{}", scope.as_str()),
            action: index_path(org),
            index: index_path(org),
            scope,
            role_id: None,
            name: String::new(),
            denied_note: options.iter().find_map(|o| o.denied),
            options,
            errors: FormErrors::default(),
            inline: false,
        }
    }

    pub(super) fn edit(
        actor: &Actor,
        role: &RoleInUse,
        name: &str,
        checked: PermissionSet,
    ) -> Self {
        let scope = role.scope();
        let id = role.role.id;
        Self {
            html_id: format!("role-{id}-form"),
            action: format!("/orgs/{}/settings/roles/{id}", role.role.organization_id),
            role_id: Some(id),
            name: name.to_owned(),
            ..Self::new(actor, role.role.organization_id, scope, checked)
        }
    }

    pub(super) fn inline(self, inline: bool) -> Self {
        Self { inline, ..self }
    }

    pub(super) fn with_errors(self, errors: FormErrors) -> Self {
        Self { errors, ..self }
    }
}

/// A custom role as a row of its scope's grid.
pub struct RoleRow {
    pub id: CustomRoleId,
    pub org_id: OrgId,
    pub name: String,
    pub cells: Vec<bool>,
    pub used_by: i64,
    /// Why the viewer may not edit or delete it.
    pub locked: Option<&'static str>,
}

impl RoleRow {
    pub(super) fn new(actor: &Actor, role: &RoleInUse) -> Self {
        let scope = role.scope();
        let perms = role.permissions();
        Self {
            id: role.role.id,
            org_id: role.role.organization_id,
            name: role.role.name.clone(),
            cells: Permission::in_scope(scope)
                .map(|p| perms.contains(p))
                .collect(),
            used_by: role.used_by,
            locked: denial(actor, perms, PermissionSet::default()),
        }
    }
}

pub struct BuiltinRow {
    pub label: &'static str,
    pub cells: Vec<bool>,
}

/// One scope's grid: built-in presets, custom roles, and the form for a new one.
pub struct Section {
    pub scope: &'static str,
    pub title: &'static str,
    pub columns: Vec<Permission>,
    pub builtins: Vec<BuiltinRow>,
    pub customs: Vec<RoleRow>,
    pub form: RoleForm,
}

pub(super) fn section(
    ctx: &OrgContext,
    scope: Scope,
    roles: &[RoleInUse],
    form: Option<RoleForm>,
) -> Section {
    let columns: Vec<Permission> = Permission::in_scope(scope).collect();
    let presets: Vec<(&'static str, PermissionSet)> = match scope {
        Scope::Org => OrgRole::ALL.map(|r| (r.label(), r.permissions())).to_vec(),
        Scope::Team => TeamRole::PRESETS
            .map(|r| (r.label(), r.permissions()))
            .to_vec(),
    };
    Section {
        scope: scope.as_str(),
        title: match scope {
            Scope::Org => "Organization roles",
            Scope::Team => "Team roles",
        },
        builtins: presets
            .into_iter()
            .map(|(label, perms)| BuiltinRow {
                label,
                cells: columns.iter().map(|p| perms.contains(*p)).collect(),
            })
            .collect(),
        columns,
        customs: roles.iter().map(|r| RoleRow::new(&ctx.actor, r)).collect(),
        form: form.unwrap_or_else(|| {
            RoleForm::new(&ctx.actor, ctx.org.id, scope, PermissionSet::default())
        }),
    }
}

/// The policy's reason when the actor may not turn `before` into `after`.
pub(super) fn denial(
    actor: &Actor,
    before: PermissionSet,
    after: PermissionSet,
) -> Option<&'static str> {
    policy::check(actor, Action::ChangeRole { before, after })
        .err()
        .map(|policy::Denied(reason)| reason)
}

/// Columns of a grid row: role name, one per permission, usage, actions.
pub(super) fn colspan(scope: Scope) -> usize {
    Permission::in_scope(scope).count() + 3
}

// Templates.

#[derive(Template)]
#[template(path = "pages/roles/index.html")]
pub struct IndexPage {
    pub layout: Layout,
    pub sections: Vec<Section>,
}

#[derive(Template)]
#[template(path = "pages/roles/edit.html")]
pub struct EditPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub form: &'a RoleForm,
    pub scope_label: &'static str,
    pub used_by: i64,
}

#[derive(Template)]
#[template(path = "pages/roles/delete.html")]
pub struct DeletePage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub role: &'a RoleInUse,
    pub scope_label: &'static str,
}

#[derive(Template)]
#[template(path = "fragments/roles/_form.html")]
pub struct FormFragment<'a> {
    pub form: &'a RoleForm,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "fragments/roles/_edit_row.html")]
pub struct EditRowFragment<'a> {
    pub form: &'a RoleForm,
    pub csrf: &'a str,
    pub colspan: usize,
}

#[derive(Template)]
#[template(path = "fragments/roles/_row.html")]
pub struct RowFragment<'a> {
    pub row: &'a RoleRow,
}
