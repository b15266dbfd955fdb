//! Groups of a team: what the groups page shows, and its use cases (create,
//! rename, delete, add and remove members, attach and detach services). Each
//! change is one transaction that locks the team (refusing an archived one, see
//! [`open`]) and the group it touches, and writes its audit event; the caller
//! has already asked the policy.

use diesel::{Connection, PgConnection};
use serde_json::{json, Value};

use crate::db::{
    self,
    audit::NewEvent,
    groups::{Group, TeamMember},
    organizations::Organization,
    services::{Attachment, Service},
};
use crate::domain::{
    group_fields::GroupName, AccountId, Feature, GroupId, MembershipStatus, OrgId, ServiceId,
    TeamId, TeamMembershipId,
};
use crate::error::{AppError, AppResult};
use crate::services::orgs::features;

pub const GROUPS_OFF: &str = "Groups are switched off for this organization (Settings → Features).";
pub const SERVICES_OFF: &str =
    "Services are switched off for this organization (Settings → Features).";
pub const PENDING_REFUSED: &str =
    "Pending members can join groups once they accept their invitation.";
pub const ARCHIVED_REFUSED: &str = "Archived members cannot join groups; restore them first.";

/// Which of the two modules the organization has switched on.
#[derive(Debug, Clone, Copy)]
pub struct Modules {
    pub groups: bool,
    pub services: bool,
}

pub fn modules(conn: &mut PgConnection, org: &Organization) -> AppResult<Modules> {
    let states = features(conn, org)?;
    let on = |feature| states.iter().any(|f| f.feature == feature && f.enabled);
    Ok(Modules {
        groups: on(Feature::Groups),
        services: on(Feature::Services),
    })
}

/// Refuses a change with the reason of the first needed module that is off.
pub(crate) fn require(
    conn: &mut PgConnection,
    org: &Organization,
    needed: &[Feature],
) -> AppResult<()> {
    let on = modules(conn, org)?;
    for feature in needed {
        match feature {
            Feature::Groups if !on.groups => return Err(AppError::forbidden(GROUPS_OFF)),
            Feature::Services if !on.services => return Err(AppError::forbidden(SERVICES_OFF)),
            _ => {}
        }
    }
    Ok(())
}

/// Opens a change to a team's groups or services: the needed modules on, and
/// the team locked for the transaction and not archived (a 409), as its
/// settings and members are, so an archive never interleaves with the change.
pub(crate) fn open(
    conn: &mut PgConnection,
    org: &Organization,
    team: TeamId,
    needed: &[Feature],
) -> AppResult<()> {
    require(conn, org, needed)?;
    crate::services::teams::lock_editable(conn, org.id, team)?;
    Ok(())
}

/// Writes one audit event of this area.
pub(crate) fn record(
    conn: &mut PgConnection,
    org: OrgId,
    actor: AccountId,
    action: &str,
    target: (&str, String),
    before: Option<Value>,
    after: Option<Value>,
) -> AppResult<()> {
    db::audit::insert(
        conn,
        NewEvent {
            organization_id: Some(org),
            actor: Some(actor),
            action,
            target_type: target.0,
            target_id: Some(target.1),
            before,
            after,
        },
    )?;
    Ok(())
}

/// Keeps only the item `only` names, when it names one: a 404 if it is not there.
pub(crate) fn keep_only<T, I: PartialEq>(
    items: &mut Vec<T>,
    only: Option<I>,
    id: impl Fn(&T) -> I,
) -> AppResult<()> {
    if let Some(only) = only {
        items.retain(|item| id(item) == only);
        if items.is_empty() {
            return Err(AppError::NotFound);
        }
    }
    Ok(())
}

/// One group as its card shows it.
#[derive(Debug, Clone)]
pub struct GroupCard {
    pub group: Group,
    pub members: Vec<TeamMember>,
    pub services: Vec<Attachment>,
    /// Team members not in the group yet (pending and archived ones included,
    /// so the page can show them disabled with the reason); empty for a viewer
    /// who may not add anyone.
    pub candidates: Vec<TeamMember>,
    /// The team's services not attached to the group yet.
    pub attachable: Vec<Service>,
}

/// Everything the groups page shows, in six queries whatever the team's size
/// (five without candidates).
#[derive(Debug, Clone)]
pub struct GroupsView {
    pub modules: Modules,
    pub cards: Vec<GroupCard>,
}

/// The team's groups, or only `only` (a 404 when it is not one of them). The
/// team's members are read as candidates only `with_candidates`: the picker
/// names them, and is for those who may add them.
pub fn load(
    conn: &mut PgConnection,
    org: &Organization,
    team: TeamId,
    only: Option<GroupId>,
    with_candidates: bool,
) -> AppResult<GroupsView> {
    let modules = modules(conn, org)?;
    let mut groups = db::groups::list_for_team(conn, org.id, team)?;
    keep_only(&mut groups, only, |g| g.id)?;
    let members = db::groups::list_members_for_team(conn, team)?;
    let team_members = if with_candidates {
        db::groups::list_team_members(conn, org.id, team)?
    } else {
        Vec::new()
    };
    let attachments = db::services::list_attachments_for_team(conn, team)?;
    let services = db::services::list_for_team(conn, org.id, team)?;
    let cards = groups
        .into_iter()
        .map(|group| {
            let in_group: Vec<TeamMember> = members
                .iter()
                .filter(|m| m.group_id == group.id)
                .map(|m| m.member.clone())
                .collect();
            let candidates = team_members
                .iter()
                .filter(|t| {
                    !in_group
                        .iter()
                        .any(|m| m.team_membership_id == t.team_membership_id)
                })
                .cloned()
                .collect();
            let attached: Vec<Attachment> = attachments
                .iter()
                .filter(|a| a.group_id == group.id)
                .cloned()
                .collect();
            let attachable = services
                .iter()
                .filter(|s| !attached.iter().any(|a| a.service_id == s.id))
                .cloned()
                .collect();
            GroupCard {
                group,
                members: in_group,
                services: attached,
                candidates,
                attachable,
            }
        })
        .collect();
    Ok(GroupsView { modules, cards })
}

fn group_or_404(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: GroupId,
) -> AppResult<Group> {
    db::groups::lock_in_team(conn, org, team, id)?.ok_or(AppError::NotFound)
}

fn duplicate(name: &GroupName) -> AppError {
    AppError::Conflict(format!(
        "This team already has a group named “{}”.",
        name.as_str()
    ))
}

pub fn create(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    name: &GroupName,
) -> AppResult<Group> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Groups])?;
        if db::groups::name_taken(conn, team, name.as_str(), None)? {
            return Err(duplicate(name));
        }
        let group = db::groups::insert(conn, org.id, team, name.as_str())?;
        record(
            conn,
            org.id,
            actor,
            "group.created",
            ("group", group.id.to_string()),
            None,
            Some(json!({"team_id": team, "name": group.name})),
        )?;
        Ok(group)
    })
}

pub fn rename(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    id: GroupId,
    name: &GroupName,
) -> AppResult<Group> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Groups])?;
        let group = group_or_404(conn, org.id, team, id)?;
        if db::groups::name_taken(conn, team, name.as_str(), Some(id))? {
            return Err(duplicate(name));
        }
        db::groups::update_name(conn, id, name.as_str())?;
        record(
            conn,
            org.id,
            actor,
            "group.renamed",
            ("group", id.to_string()),
            Some(json!({"name": group.name})),
            Some(json!({"name": name.as_str()})),
        )?;
        Ok(Group {
            name: name.as_str().to_owned(),
            ..group
        })
    })
}

pub fn delete(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    id: GroupId,
) -> AppResult<Group> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Groups])?;
        let group = group_or_404(conn, org.id, team, id)?;
        db::groups::delete(conn, id)?;
        record(
            conn,
            org.id,
            actor,
            "group.deleted",
            ("group", id.to_string()),
            Some(json!({"team_id": team, "name": group.name})),
            None,
        )?;
        Ok(group)
    })
}

/// Puts an active member of the team into the group. Pending and archived
/// members are refused with the reason; anyone outside the team is a 404.
pub fn add_member(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    id: GroupId,
    member: TeamMembershipId,
) -> AppResult<TeamMember> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Groups])?;
        let group = group_or_404(conn, org.id, team, id)?;
        let person =
            db::groups::lock_team_member(conn, org.id, team, member)?.ok_or(AppError::NotFound)?;
        match person.status {
            MembershipStatus::Active => {}
            MembershipStatus::Pending => {
                return Err(AppError::Validation(PENDING_REFUSED.into()))
            }
            MembershipStatus::Archived => {
                return Err(AppError::Validation(ARCHIVED_REFUSED.into()))
            }
        }
        if db::groups::is_member(conn, id, member)? {
            return Err(AppError::Conflict(format!(
                "{} is already in {}.",
                person.display_name, group.name
            )));
        }
        db::groups::add_member(conn, id, member)?;
        let membership = db::groups::membership_of(conn, member)?;
        record(
            conn,
            org.id,
            actor,
            "group.member_added",
            ("group", id.to_string()),
            None,
            Some(json!({"team_membership_id": member, "membership_id": membership, "email": person.email})),
        )?;
        Ok(person)
    })
}

/// Takes a member out of the group; they stay in the team and its other groups.
pub fn remove_member(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    id: GroupId,
    member: TeamMembershipId,
) -> AppResult<TeamMember> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Groups])?;
        group_or_404(conn, org.id, team, id)?;
        let person =
            db::groups::lock_team_member(conn, org.id, team, member)?.ok_or(AppError::NotFound)?;
        if db::groups::remove_member(conn, id, member)? == 0 {
            return Err(AppError::NotFound);
        }
        let membership = db::groups::membership_of(conn, member)?;
        record(
            conn,
            org.id,
            actor,
            "group.member_removed",
            ("group", id.to_string()),
            Some(json!({"team_membership_id": member, "membership_id": membership, "email": person.email})),
            None,
        )?;
        Ok(person)
    })
}

fn service_or_404(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: ServiceId,
) -> AppResult<Service> {
    // Locked, so the service cannot be deleted between the check and the attach.
    db::services::lock_in_team(conn, org, team, id)?.ok_or(AppError::NotFound)
}

/// Attaches one of the team's services to the group (so its members provide
/// it) or, with `attach` false, detaches it.
pub fn set_service(
    conn: &mut PgConnection,
    actor: AccountId,
    org: &Organization,
    team: TeamId,
    id: GroupId,
    service: ServiceId,
    attach: bool,
) -> AppResult<Service> {
    conn.transaction(|conn| {
        open(conn, org, team, &[Feature::Groups, Feature::Services])?;
        let group = group_or_404(conn, org.id, team, id)?;
        let found = service_or_404(conn, org.id, team, service)?;
        let changed = if attach {
            db::services::attach(conn, id, service)?
        } else {
            db::services::detach(conn, id, service)?
        };
        if changed == 0 && attach {
            return Err(AppError::Conflict(format!(
                "{} already provides {}.",
                group.name, found.name
            )));
        }
        if changed == 0 {
            return Err(AppError::NotFound);
        }
        let link = Some(json!({"group_id": id, "group": group.name}));
        let (action, before, after) = if attach {
            ("service.attached", None, link)
        } else {
            ("service.detached", link, None)
        };
        let target = ("service", service.to_string());
        record(conn, org.id, actor, action, target, before, after)?;
        Ok(found)
    })
}
