//! Validated fields of custom roles: the name, the scope and the permission set,
//! each parsed from what a form sent.

use super::names::clean_text;
use super::roles::{Permission, PermissionSet, Scope};
use super::Invalid;

pub const ROLE_NAME_MAX_CHARS: usize = 60;

/// A custom role's name: 1 to 60 characters, trimmed, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        clean_text(raw, "Role name", ROLE_NAME_MAX_CHARS).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The scope a new role is for, as the form's `scope` field names it.
pub fn parse_scope(raw: &str) -> Result<Scope, Invalid> {
    Scope::parse(raw.trim()).ok_or_else(|| {
        Invalid::new("Choose whether the role is for the organization or for teams.")
    })
}

pub fn scope_label(scope: Scope) -> &'static str {
    match scope {
        Scope::Org => "organization",
        Scope::Team => "team",
    }
}

fn with_article(scope: Scope) -> &'static str {
    match scope {
        Scope::Org => "an organization",
        Scope::Team => "a team",
    }
}

/// Submitted permission keys for a role of `scope`: every key must be known and
/// of that scope; nothing is silently dropped.
pub fn parse_permissions<S: AsRef<str>>(
    scope: Scope,
    keys: &[S],
) -> Result<PermissionSet, Invalid> {
    let mut perms = Vec::with_capacity(keys.len());
    for key in keys {
        let key = key.as_ref();
        let Some(perm) = Permission::from_key(key) else {
            let shown: String = key.chars().take(40).collect();
            let more = if key.chars().count() > 40 { "…" } else { "" };
            return Err(Invalid::new(format!(
                "There is no permission called “{shown}{more}”."
            )));
        };
        if perm.scope() != scope {
            return Err(Invalid::new(format!(
                "“{}” is {} permission; {} role can only hold {} permissions.",
                perm.label(),
                with_article(perm.scope()),
                with_article(scope),
                scope_label(scope),
            )));
        }
        perms.push(perm);
    }
    Ok(PermissionSet::of(&perms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_trimmed_bounded_and_printable() {
        assert_eq!(RoleName::parse("  Auditor ").unwrap().as_str(), "Auditor");
        assert!(RoleName::parse("").is_err());
        assert!(RoleName::parse(" \t ").is_err());
        assert!(RoleName::parse(&"r".repeat(60)).is_ok());
        assert!(RoleName::parse(&"r".repeat(61)).is_err());
        assert!(RoleName::parse(&"é".repeat(60)).is_ok());
        assert!(RoleName::parse("a\0b").is_err());
    }

    #[test]
    fn scopes_are_org_or_team() {
        assert_eq!(parse_scope("org"), Ok(Scope::Org));
        assert_eq!(parse_scope("team"), Ok(Scope::Team));
        assert!(parse_scope("").is_err());
        assert!(parse_scope("global").is_err());
    }

    #[test]
    fn permissions_must_be_known_and_of_the_role_scope() {
        let set = parse_permissions(Scope::Org, &["members.view", "audit.view"]).unwrap();
        assert_eq!(set.keys(), vec!["members.view", "audit.view"]);
        assert!(parse_permissions::<&str>(Scope::Team, &[])
            .unwrap()
            .is_empty());
        let Invalid(message) = parse_permissions(Scope::Org, &["root"]).unwrap_err();
        assert!(message.contains("no permission called “root”"), "{message}");
        let Invalid(message) = parse_permissions(Scope::Org, &["groups.manage"]).unwrap_err();
        assert!(message.contains("is a team permission"), "{message}");
        let Invalid(message) = parse_permissions(Scope::Team, &["billing.manage"]).unwrap_err();
        assert!(
            message.contains("is an organization permission; a team role"),
            "{message}"
        );
        let long = "x".repeat(10_000);
        let Invalid(message) = parse_permissions(Scope::Team, &[long.as_str()]).unwrap_err();
        assert!(message.chars().count() < 100, "{message}");
    }
}
