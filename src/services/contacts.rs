//! A team's contacts: what the Contacts tab shows and its use cases (create,
//! edit, delete, assign, unassign, reassign, and the same for many at once).
//! Each change is one transaction that refuses a switched-off module, locks the
//! team (refusing an archived one) and the contacts it touches, asks the policy
//! about each contact as it is, and writes its audit events.

use std::sync::Arc;

use diesel::{Connection, PgConnection};
use serde_json::{json, Value};

use crate::db::{
    self,
    audit::NewEvent,
    contacts::{Anchor, Contact, ContactFilter, ContactRow, Page},
    organizations::Organization,
    teams::members::MemberChoice,
};
use crate::domain::{
    contact_fields::ContactDetails,
    policy::{self, Action, Actor, TeamAction},
    ContactId, Feature, MembershipId, MembershipStatus, OrgId, PermissionSet, TeamId,
};
use crate::error::{AppError, AppResult};
use crate::kept::Kept;
use crate::services::groups::record;
use crate::services::orgs::is_enabled;

pub const CONTACTS_OFF: &str =
    "Contacts are switched off for this organization (Settings → Features).";
pub const PENDING_REFUSED: &str =
    "Pending members can be assigned contacts once they accept their invitation.";
pub const ARCHIVED_REFUSED: &str = "Archived members cannot be assigned contacts.";
/// The most contacts one bulk change takes: one page of the list.
pub const MAX_BULK: usize = 50;
pub const PAGE_SIZE: i64 = 50;

/// Who works the contacts: the acting member, their org membership (what
/// contacts are assigned to), and their permissions in this team.
#[derive(Debug, Clone, Copy)]
pub struct Worker {
    pub actor: Actor,
    pub membership: MembershipId,
    pub team: PermissionSet,
}

impl Worker {
    pub fn allow(&self, action: TeamAction) -> AppResult<()> {
        policy::check(&self.actor, Action::Team(action, self.team))
            .map_err(|policy::Denied(reason)| AppError::forbidden(reason))
    }
    pub fn may(&self, action: TeamAction) -> bool {
        self.allow(action).is_ok()
    }
    pub fn owns(&self, assignee: Option<MembershipId>) -> bool {
        assignee == Some(self.membership)
    }
    /// Whether the contact is one the worker may see: one they may not is a 404.
    pub fn sees(&self, assignee: Option<MembershipId>) -> bool {
        self.may(TeamAction::ViewContact {
            assigned_to_actor: self.owns(assignee),
        })
    }
    pub fn may_edit(&self, assignee: Option<MembershipId>) -> bool {
        self.may(TeamAction::EditContact {
            assigned_to_actor: self.owns(assignee),
        })
    }
    /// The list as this worker may see it: their own contacts only, unless
    /// they see all.
    pub fn narrow(&self, filter: &ContactFilter) -> ContactFilter {
        if self.may(TeamAction::ViewAllContacts) {
            filter.clone()
        } else {
            ContactFilter {
                assignee: db::contacts::AssigneeFilter::Member(self.membership),
                ..filter.clone()
            }
        }
    }
}

/// Refuses anything while the organization has switched contacts off.
pub fn require_on(conn: &mut PgConnection, org: &Organization) -> AppResult<()> {
    if is_enabled(conn, org, Feature::Contacts)? {
        Ok(())
    } else {
        Err(AppError::forbidden(CONTACTS_OFF))
    }
}

/// Opens a change: the module on, the team locked and not archived (409).
fn open(conn: &mut PgConnection, org: &Organization, team: TeamId) -> AppResult<()> {
    require_on(conn, org)?;
    crate::services::teams::lock_editable(conn, org.id, team)?;
    Ok(())
}

/// What the Contacts tab shows: a page of the contacts the worker may see, and
/// the team's members to filter by and assign to (for those who may see or
/// assign others' contacts). At most three statements whatever the team's
/// size or its number of contacts.
#[derive(Debug, Clone, Default)]
pub struct ContactsView {
    pub page: Page,
    pub members: Arc<Vec<MemberChoice>>,
}

/// What the Contacts tab keeps per server and team while the team's version
/// is unchanged: the members its menus offer, and the pages of the searches it
/// has run (their contacts' ids, read back by id: a search's trigram scan is
/// the dearest part of the tab).
///
/// **Invariant:** the version (`db::teams::members::roster_version`) moves
/// with every change to what `member_choices` answers and to what a search's
/// page holds, because triggers add a row to `team_roster_changes` for each:
/// a member joining or leaving the team, a membership's status or invited
/// address, an account's name or email (migration 000022,
/// `team_roster_changed`), and any statement that inserts, updates or deletes
/// the team's contacts (migration 000025, `team_contacts_changed`). What is
/// kept with a version is never older than it (the version is read first),
/// so equal versions mean current menus and pages. Proved by
/// `teams::contacts::menus::the_menus_follow_every_change_to_the_teams_roster` and
/// `teams::contacts::search::a_kept_search_page_follows_every_change_to_the_teams_contacts`.
/// A new column in the menus or the list needs its change covered by those
/// triggers.
#[derive(Debug, Default)]
pub struct Menus {
    menus: Kept<TeamId, KeptMenu, KEEP_AT_MOST>,
    searches: Kept<SearchKey, KeptPage, KEEP_AT_MOST>,
}

/// A team's roster version.
type Version = (i64, i64);

/// A team's roster version and the choices read with it.
type KeptMenu = (Version, Arc<Vec<MemberChoice>>);

/// A search's page: its team, what it was narrowed to, where it started.
type SearchKey = (TeamId, ContactFilter, Option<Anchor>);

/// A search's page as kept: the version it was read at, its contacts' ids in
/// order, and whether there were more on either side.
#[derive(Debug, Clone)]
struct KeptPage {
    version: Version,
    ids: Vec<ContactId>,
    has_prev: bool,
    has_next: bool,
}

/// A server keeps the menus and searches of the teams in use; this many of
/// each is plenty, and past it they start over.
const KEEP_AT_MOST: usize = 1_000;

impl Menus {
    /// The team's choices as of now: kept ones when the version is unchanged.
    pub fn of(&self, conn: &mut PgConnection, team: TeamId) -> AppResult<Arc<Vec<MemberChoice>>> {
        let version = db::teams::members::roster_version(conn, team)?;
        self.choices(conn, team, version)
    }

    fn choices(
        &self,
        conn: &mut PgConnection,
        team: TeamId,
        version: Version,
    ) -> AppResult<Arc<Vec<MemberChoice>>> {
        if let Some((_, choices)) = self.menus.get(&team).filter(|(v, _)| *v == version) {
            return Ok(choices);
        }
        let choices = Arc::new(db::teams::members::member_choices(conn, team)?);
        self.menus.put(team, (version, choices.clone()));
        Ok(choices)
    }

    /// A search's page as of now: read back by its ids when the page was kept
    /// at this version, else searched (and kept).
    fn search(
        &self,
        conn: &mut PgConnection,
        org: OrgId,
        (team, version): (TeamId, Version),
        filter: &ContactFilter,
        anchor: Option<Anchor>,
    ) -> AppResult<Page> {
        let key = (team, filter.clone(), anchor);
        if let Some(kept) = self
            .searches
            .get(&key)
            .filter(|page| page.version == version)
        {
            return Ok(Page {
                rows: db::contacts::rows_by_ids(conn, org, team, &kept.ids)?,
                has_prev: kept.has_prev,
                has_next: kept.has_next,
            });
        }
        let page = db::contacts::list_page(conn, org, team, filter, anchor, PAGE_SIZE)?;
        let kept = KeptPage {
            version,
            ids: page.rows.iter().map(|r| r.id).collect(),
            has_prev: page.has_prev,
            has_next: page.has_next,
        };
        self.searches.put(key, kept);
        Ok(page)
    }
}

pub fn load(
    conn: &mut PgConnection,
    menus: &Menus,
    w: &Worker,
    org: OrgId,
    team: TeamId,
    filter: &ContactFilter,
    anchor: Option<Anchor>,
) -> AppResult<ContactsView> {
    let filter = w.narrow(filter);
    let offers_members = w.may(TeamAction::ViewAllContacts) || w.may(TeamAction::AssignContacts);
    // The version is read first (see [`Menus`]), once for both.
    let version = if offers_members || filter.search.is_some() {
        Some(db::teams::members::roster_version(conn, team)?)
    } else {
        None
    };
    let page = match version {
        Some(version) if filter.search.is_some() => {
            menus.search(conn, org, (team, version), &filter, anchor)?
        }
        _ => db::contacts::list_page(conn, org, team, &filter, anchor, PAGE_SIZE)?,
    };
    let members = match version {
        Some(version) if offers_members => menus.choices(conn, team, version)?,
        _ => Arc::default(),
    };
    Ok(ContactsView { page, members })
}

/// One contact the worker may see (a 404 otherwise), with the team's members
/// when they may assign it.
pub fn load_one(
    conn: &mut PgConnection,
    menus: &Menus,
    w: &Worker,
    org: OrgId,
    team: TeamId,
    id: ContactId,
) -> AppResult<(ContactRow, Arc<Vec<MemberChoice>>)> {
    let row = db::contacts::find_row(conn, org, team, id)?
        .filter(|row| w.sees(row.assignee_membership_id))
        .ok_or(AppError::NotFound)?;
    let members = if w.may(TeamAction::AssignContacts) {
        menus.of(conn, team)?
    } else {
        Arc::default()
    };
    Ok((row, members))
}

fn snapshot(c: &Contact) -> Value {
    json!({
        "team_id": c.team_id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "note_chars": c.note.chars().count(),
        "assignee_membership_id": c.assignee_membership_id,
    })
}

fn target(id: ContactId) -> (&'static str, String) {
    ("contact", id.to_string())
}

/// The contact, locked, if the worker may see it; a 404 otherwise.
fn visible(
    conn: &mut PgConnection,
    w: &Worker,
    org: OrgId,
    team: TeamId,
    id: ContactId,
) -> AppResult<Contact> {
    db::contacts::lock_in_team(conn, org, team, id)?
        .filter(|c| w.sees(c.assignee_membership_id))
        .ok_or(AppError::NotFound)
}

/// Someone contacts may be given to: an active member of this team. Pending
/// and archived members are refused with the reason (rule 4); anyone not in
/// the team, of this organization or another, is a 404. Their membership is
/// locked (shared) until the change commits.
fn assignee(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    member: MembershipId,
) -> AppResult<db::contacts::Assignee> {
    let found = db::contacts::lock_assignee(conn, org, team, member)?.ok_or(AppError::NotFound)?;
    match MembershipStatus::parse(&found.status) {
        Some(MembershipStatus::Active) => Ok(found),
        Some(MembershipStatus::Pending) => Err(AppError::Validation(PENDING_REFUSED.into())),
        _ => Err(AppError::Validation(ARCHIVED_REFUSED.into())),
    }
}

pub fn create(
    conn: &mut PgConnection,
    w: &Worker,
    org: &Organization,
    team: TeamId,
    details: &ContactDetails,
    assign_to: Option<MembershipId>,
) -> AppResult<Contact> {
    conn.transaction(|conn| {
        open(conn, org, team)?;
        w.allow(TeamAction::ManageContacts)?;
        if let Some(member) = assign_to {
            w.allow(TeamAction::AssignContacts)?;
            assignee(conn, org.id, team, member)?;
        }
        let contact = db::contacts::insert(conn, org.id, team, details, assign_to)?;
        let after = Some(snapshot(&contact));
        record(
            conn,
            org.id,
            w.actor.account_id,
            "contact.created",
            target(contact.id),
            None,
            after,
        )?;
        Ok(contact)
    })
}

pub fn update(
    conn: &mut PgConnection,
    w: &Worker,
    org: &Organization,
    team: TeamId,
    id: ContactId,
    details: &ContactDetails,
) -> AppResult<Contact> {
    conn.transaction(|conn| {
        open(conn, org, team)?;
        let before = visible(conn, w, org.id, team, id)?;
        w.allow(TeamAction::EditContact {
            assigned_to_actor: w.owns(before.assignee_membership_id),
        })?;
        let after = db::contacts::update_details(conn, id, details)?;
        record(
            conn,
            org.id,
            w.actor.account_id,
            "contact.updated",
            target(id),
            Some(snapshot(&before)),
            Some(snapshot(&after)),
        )?;
        Ok(after)
    })
}

pub fn delete(
    conn: &mut PgConnection,
    w: &Worker,
    org: &Organization,
    team: TeamId,
    id: ContactId,
) -> AppResult<Contact> {
    conn.transaction(|conn| {
        open(conn, org, team)?;
        let contact = visible(conn, w, org.id, team, id)?;
        w.allow(TeamAction::ManageContacts)?;
        db::contacts::delete(conn, id)?;
        let before = Some(snapshot(&contact));
        record(
            conn,
            org.id,
            w.actor.account_id,
            "contact.deleted",
            target(id),
            before,
            None,
        )?;
        Ok(contact)
    })
}

/// What became of one contact in an assignment.
#[derive(Debug, Clone)]
pub struct Assigned {
    pub id: ContactId,
    pub name: String,
    /// `None`: not found (or not one the worker may see); nothing changed.
    pub outcome: Option<AssignOutcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOutcome {
    Changed,
    /// It already was where it was asked to go.
    Unchanged,
}

/// Gives contacts to `to` (an active member of the team) or, with `None`, to
/// nobody; one transaction for all of them, one audit event per contact that
/// changed. A refused assignee refuses the whole change; a contact that is not
/// there (or not the worker's to see) is reported and skipped.
pub fn assign(
    conn: &mut PgConnection,
    w: &Worker,
    org: &Organization,
    team: TeamId,
    ids: &[ContactId],
    to: Option<MembershipId>,
) -> AppResult<(Vec<Assigned>, Option<String>)> {
    conn.transaction(|conn| {
        open(conn, org, team)?;
        w.allow(TeamAction::AssignContacts)?;
        let to_name = match to {
            Some(member) => Some(assignee(conn, org.id, team, member)?.display_name),
            None => None,
        };
        let locked = db::contacts::lock_many_in_team(conn, org.id, team, ids)?;
        let mut results = Vec::with_capacity(ids.len());
        let mut changed = Vec::new();
        let mut events = Vec::new();
        for &id in ids {
            let found = locked
                .iter()
                .find(|c| c.id == id)
                .filter(|c| w.sees(c.assignee_membership_id));
            let Some(c) = found else {
                results.push(Assigned {
                    id,
                    name: format!("#{id}"),
                    outcome: None,
                });
                continue;
            };
            let outcome = if c.assignee_membership_id == to || changed.contains(&id) {
                AssignOutcome::Unchanged
            } else {
                changed.push(id);
                events.push(NewEvent {
                    organization_id: Some(org.id),
                    actor: Some(w.actor.account_id),
                    action: if to.is_some() {
                        "contact.assigned"
                    } else {
                        "contact.unassigned"
                    },
                    target_type: "contact",
                    target_id: Some(id.to_string()),
                    before: Some(json!({"assignee_membership_id": c.assignee_membership_id})),
                    after: Some(json!({"assignee_membership_id": to, "assignee": to_name})),
                });
                AssignOutcome::Changed
            };
            results.push(Assigned {
                id,
                name: c.name.clone(),
                outcome: Some(outcome),
            });
        }
        if !changed.is_empty() {
            db::contacts::set_assignee(conn, &changed, to)?;
            db::audit::insert_many(conn, events)?;
        }
        Ok((results, to_name))
    })
}
