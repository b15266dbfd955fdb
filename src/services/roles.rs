//! Custom roles use cases: list, create, edit and delete. Each change is one
//! transaction with its audit event, and the policy decides, under a row lock,
//! whether the actor may put these permissions into (or take them out of) a role.

use diesel::{Connection, PgConnection};
use serde_json::{json, Value};

use crate::db::{self, audit::NewEvent, roles::CustomRole};
use crate::domain::{
    policy::{self, Action, Actor},
    role_fields::RoleName,
    CustomRoleId, OrgId, Permission, PermissionSet, Scope,
};
use crate::error::{AppError, AppResult};

/// The message for a name already used by another role of the same scope; the
/// handlers show it next to the name field.
pub const DUPLICATE_NAME: &str = "A role with that name already exists.";

/// A custom role with the number of memberships (org and team) that use it.
#[derive(Debug, Clone)]
pub struct RoleInUse {
    pub role: CustomRole,
    pub used_by: i64,
}

impl RoleInUse {
    /// The role's scope; the table's CHECK allows only `org` and `team`.
    pub fn scope(&self) -> Scope {
        Scope::parse(&self.role.scope).unwrap_or(Scope::Org)
    }

    /// The role's permissions; a key the catalogue no longer knows counts as none.
    pub fn permissions(&self) -> PermissionSet {
        known_permissions(&self.role.permissions)
    }
}

pub fn known_permissions(keys: &[String]) -> PermissionSet {
    let perms: Vec<Permission> = keys
        .iter()
        .filter_map(|k| Permission::from_key(k))
        .collect();
    PermissionSet::of(&perms)
}

/// The organization's custom roles of one scope, each with its usage.
pub fn list(conn: &mut PgConnection, org: OrgId, scope: Scope) -> AppResult<Vec<RoleInUse>> {
    let usage = db::roles::usage_by_role(conn, org)?;
    Ok(db::roles::list_for_org(conn, org, scope)?
        .into_iter()
        .map(|role| RoleInUse {
            used_by: usage.get(&role.id).copied().unwrap_or(0),
            role,
        })
        .collect())
}

/// One custom role of the organization with its usage; another organization's is 404.
pub fn find(conn: &mut PgConnection, org: OrgId, id: CustomRoleId) -> AppResult<RoleInUse> {
    let role = db::roles::find_in_org(conn, org, id)?.ok_or(AppError::NotFound)?;
    let used_by = db::roles::count_usage(conn, org, id)?;
    Ok(RoleInUse { role, used_by })
}

fn allow(actor: &Actor, before: PermissionSet, after: PermissionSet) -> AppResult<()> {
    policy::check(actor, Action::ChangeRole { before, after })
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))
}

fn snapshot(role: &CustomRole) -> Value {
    json!({"name": role.name, "scope": role.scope, "permissions": role.permissions})
}

fn audit(
    conn: &mut PgConnection,
    actor: &Actor,
    action: &str,
    role: &CustomRole,
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: Some(role.organization_id),
            actor: Some(actor.account_id),
            action,
            target_type: "custom_role",
            target_id: Some(role.id.to_string()),
            before,
            after,
        },
    )?;
    Ok(())
}

/// A concurrent save can still hit the unique index after our check; it gets
/// the same friendly message.
fn friendly_duplicate(err: AppError) -> AppError {
    match err {
        AppError::Conflict(_) => AppError::Validation(DUPLICATE_NAME.into()),
        other => other,
    }
}

pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    scope: Scope,
    name: &RoleName,
    permissions: PermissionSet,
) -> AppResult<CustomRole> {
    allow(actor, PermissionSet::default(), permissions)?;
    conn.transaction(|conn| {
        if db::roles::name_taken(conn, org, scope, name.as_str(), None)? {
            return Err(AppError::Validation(DUPLICATE_NAME.into()));
        }
        let role = db::roles::insert(conn, org, scope, name.as_str(), &permissions.keys())?;
        audit(
            conn,
            actor,
            "role.created",
            &role,
            None,
            Some(snapshot(&role)),
        )?;
        Ok(role)
    })
    .map_err(friendly_duplicate)
}

/// Renames a role and replaces its permissions. Saves of the same role queue on
/// the row lock, so the later one wins whole: never half of each.
pub fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    id: CustomRoleId,
    name: &RoleName,
    permissions: PermissionSet,
) -> AppResult<CustomRole> {
    conn.transaction(|conn| {
        let current =
            db::roles::find_in_org_for_update(conn, org, id)?.ok_or(AppError::NotFound)?;
        allow(actor, known_permissions(&current.permissions), permissions)?;
        let scope = Scope::parse(&current.scope).ok_or_else(|| {
            AppError::unexpected(anyhow::anyhow!("role {id} has scope {:?}", current.scope))
        })?;
        if db::roles::name_taken(conn, org, scope, name.as_str(), Some(id))? {
            return Err(AppError::Validation(DUPLICATE_NAME.into()));
        }
        let role = db::roles::update(conn, org, id, name.as_str(), &permissions.keys())?;
        audit(
            conn,
            actor,
            "role.updated",
            &role,
            Some(snapshot(&current)),
            Some(snapshot(&role)),
        )?;
        Ok(role)
    })
    .map_err(friendly_duplicate)
}

/// Deletes a role; memberships using it fall back to their built-in role (the
/// foreign keys set them to NULL). Returns the deleted role and how many used it.
pub fn delete(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    id: CustomRoleId,
) -> AppResult<RoleInUse> {
    conn.transaction(|conn| {
        let role = db::roles::find_in_org_for_update(conn, org, id)?.ok_or(AppError::NotFound)?;
        allow(
            actor,
            known_permissions(&role.permissions),
            PermissionSet::default(),
        )?;
        let used_by = db::roles::count_usage(conn, org, id)?;
        db::roles::delete(conn, org, id)?;
        let mut before = snapshot(&role);
        before["used_by"] = json!(used_by);
        audit(conn, actor, "role.deleted", &role, Some(before), None)?;
        Ok(RoleInUse { role, used_by })
    })
}
