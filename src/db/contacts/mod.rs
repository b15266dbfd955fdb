//! A team's contacts: one contact (read, locked, written) here, the list's
//! keyset pages in [`list`]. Every lookup is scoped by organization and team, so
//! another team's or tenant's ids find nothing.

pub mod list;

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::schema::{accounts, contacts, memberships, team_memberships};
use crate::domain::{contact_fields::ContactDetails, ContactId, MembershipId, OrgId, TeamId};

pub use list::{list_page, rows_by_ids, Anchor, AssigneeFilter, ContactFilter, Page};

/// A contact as the database keeps it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contacts)]
pub struct Contact {
    pub id: ContactId,
    pub organization_id: OrgId,
    pub team_id: TeamId,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub note: String,
    pub assignee_membership_id: Option<MembershipId>,
    pub updated_at: DateTime<Utc>,
}

/// A contact as the list shows it: with its assignee's name.
#[derive(Debug, Clone, QueryableByName)]
pub struct ContactRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: ContactId,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub email: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub phone: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub note: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub assignee_membership_id: Option<MembershipId>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub assignee_name: Option<String>,
}

/// One of the team's contacts with its assignee's name.
pub fn find_row(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: ContactId,
) -> QueryResult<Option<ContactRow>> {
    contacts::table
        .left_join(memberships::table.inner_join(accounts::table))
        .filter(contacts::id.eq(id))
        .filter(contacts::team_id.eq(team))
        .filter(contacts::organization_id.eq(org))
        .select((
            contacts::id,
            contacts::name,
            contacts::email,
            contacts::phone,
            contacts::note,
            contacts::assignee_membership_id,
            accounts::display_name.nullable(),
        ))
        .first::<(
            ContactId,
            String,
            String,
            String,
            String,
            Option<MembershipId>,
            Option<String>,
        )>(conn)
        .optional()
        .map(|found| {
            found.map(
                |(id, name, email, phone, note, assignee, assignee_name)| ContactRow {
                    id,
                    name,
                    email,
                    phone,
                    note,
                    assignee_membership_id: assignee,
                    assignee_name,
                },
            )
        })
}

/// One of the team's contacts, locked for the rest of the transaction.
pub fn lock_in_team(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    id: ContactId,
) -> QueryResult<Option<Contact>> {
    contacts::table
        .filter(contacts::id.eq(id))
        .filter(contacts::team_id.eq(team))
        .filter(contacts::organization_id.eq(org))
        .select(Contact::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Those of `ids` that are the team's contacts, locked, in id order (so two
/// bulk changes lock them in the same order).
pub fn lock_many_in_team(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    ids: &[ContactId],
) -> QueryResult<Vec<Contact>> {
    contacts::table
        .filter(contacts::id.eq_any(ids))
        .filter(contacts::team_id.eq(team))
        .filter(contacts::organization_id.eq(org))
        .order(contacts::id)
        .select(Contact::as_select())
        .for_update()
        .load(conn)
}

pub fn insert(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    details: &ContactDetails,
    assignee: Option<MembershipId>,
) -> QueryResult<Contact> {
    diesel::insert_into(contacts::table)
        .values((
            contacts::organization_id.eq(org),
            contacts::team_id.eq(team),
            contacts::name.eq(details.name.as_str()),
            contacts::email.eq(details.email.as_str()),
            contacts::phone.eq(details.phone.as_str()),
            contacts::note.eq(details.note.as_str()),
            contacts::assignee_membership_id.eq(assignee),
        ))
        .returning(Contact::as_returning())
        .get_result(conn)
}

pub fn update_details(
    conn: &mut PgConnection,
    id: ContactId,
    details: &ContactDetails,
) -> QueryResult<Contact> {
    diesel::update(contacts::table.find(id))
        .set((
            contacts::name.eq(details.name.as_str()),
            contacts::email.eq(details.email.as_str()),
            contacts::phone.eq(details.phone.as_str()),
            contacts::note.eq(details.note.as_str()),
            contacts::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Contact::as_returning())
        .get_result(conn)
}

/// Gives the contacts `ids` to `assignee` (or to nobody).
pub fn set_assignee(
    conn: &mut PgConnection,
    ids: &[ContactId],
    assignee: Option<MembershipId>,
) -> QueryResult<usize> {
    diesel::update(contacts::table.filter(contacts::id.eq_any(ids)))
        .set((
            contacts::assignee_membership_id.eq(assignee),
            contacts::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut PgConnection, id: ContactId) -> QueryResult<usize> {
    diesel::delete(contacts::table.find(id)).execute(conn)
}

/// Someone a contact could be given to: an org member in the team.
#[derive(Debug, Clone, Queryable)]
pub struct Assignee {
    pub membership_id: MembershipId,
    pub display_name: String,
    pub email: String,
    pub status: String,
}

/// The org member `membership` as a member of `team` in `org`, their rows
/// locked (shared) for the transaction, so an archive or a removal from the
/// team waits for the assignment and then finds it, and an assignment that
/// meets an archive in progress waits for it and then sees it (the test
/// `teams::contacts::assign::an_assignment_waits_for_an_archive_of_its_assignee_and_then_refuses`);
/// `None` when they are not in this team (another team's or organization's id).
pub fn lock_assignee(
    conn: &mut PgConnection,
    org: OrgId,
    team: TeamId,
    membership: MembershipId,
) -> QueryResult<Option<Assignee>> {
    team_memberships::table
        .inner_join(memberships::table.inner_join(accounts::table))
        .filter(team_memberships::team_id.eq(team))
        .filter(team_memberships::organization_id.eq(org))
        .filter(memberships::id.eq(membership))
        .filter(memberships::organization_id.eq(org))
        .select((
            memberships::id,
            accounts::display_name,
            accounts::email,
            memberships::status,
        ))
        .for_share()
        .first(conn)
        .optional()
}
