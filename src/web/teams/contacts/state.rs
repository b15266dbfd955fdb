//! The Contacts tab's state as the URL keeps it (search, assignee filter, page
//! and the contact a Next or Previous link starts beside), and the forms.

use serde::Deserialize;
use validator::Validate;

use crate::db::contacts::{Anchor, AssigneeFilter, ContactFilter, Page};
use crate::domain::{
    contact_fields::{ContactDetails, ContactEmail, ContactName, ContactNote, ContactPhone},
    ContactId, Invalid, MembershipId, SearchText,
};
use crate::web::plumbing::forms::FormErrors;

pub const MAX_SEARCH: usize = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub assignee: String,
    pub page: String,
    pub after: String,
    pub before: String,
}

/// The list's state, validated.
#[derive(Debug, Clone, Default)]
pub struct ListState {
    pub q: String,
    pub assignee: AssigneeFilter,
    pub page: i64,
    pub anchor: Option<Anchor>,
    pub error: Option<String>,
}

fn positive(raw: &str) -> Option<i64> {
    raw.trim().parse().ok().filter(|id| *id > 0)
}

/// "none" is the unassigned; a number is a member; anything else is anyone.
pub fn parse_assignee(raw: &str) -> AssigneeFilter {
    match raw.trim() {
        "none" => AssigneeFilter::Unassigned,
        other => positive(other)
            .map(|id| AssigneeFilter::Member(MembershipId(id)))
            .unwrap_or_default(),
    }
}

impl ListState {
    pub fn parse(raw: &ListQuery) -> Self {
        let mut state = Self {
            page: positive(&raw.page).unwrap_or(1).min(1_000_000),
            assignee: parse_assignee(&raw.assignee),
            ..Self::default()
        };
        match SearchText::parse(&raw.q, MAX_SEARCH) {
            Ok(search) => state.q = search.into_string(),
            Err(Invalid(message)) => state.error = Some(message),
        }
        // Page 1 starts at the top whatever a link says.
        state.anchor = match (positive(&raw.after), positive(&raw.before)) {
            _ if state.page == 1 => None,
            (Some(after), _) => Some(Anchor::After(ContactId(after))),
            (None, before) => before.map(|id| Anchor::Before(ContactId(id))),
        };
        state
    }

    /// The state a form carried back (its `state` field, a query string).
    pub fn from_query_string(raw: &str) -> Self {
        Self::parse(&serde_urlencoded::from_str(raw).unwrap_or_default())
    }

    pub fn filter(&self) -> ContactFilter {
        ContactFilter {
            assignee: self.assignee,
            search: (!self.q.is_empty()).then(|| self.q.to_lowercase()),
        }
    }

    /// The assignee filter as the select's value.
    pub fn assignee_key(&self) -> String {
        match self.assignee {
            AssigneeFilter::Any => String::new(),
            AssigneeFilter::Unassigned => "none".into(),
            AssigneeFilter::Member(m) => m.0.to_string(),
        }
    }

    pub fn assignee_is(&self, member: &MembershipId) -> bool {
        self.assignee == AssigneeFilter::Member(*member)
    }

    /// This page's query string (what forms carry back as `state`).
    pub fn query(&self) -> String {
        self.href_at(self.page, self.anchor)
    }

    pub fn next_href(&self, page: &Page) -> String {
        let anchor = page.rows.last().map(|c| Anchor::After(c.id));
        self.href_at(self.page + 1, anchor)
    }

    /// Page 2's Previous is plain page 1.
    pub fn prev_href(&self, page: &Page) -> String {
        let anchor = page
            .rows
            .first()
            .filter(|_| self.page > 2)
            .map(|c| Anchor::Before(c.id));
        self.href_at((self.page - 1).max(1), anchor)
    }

    fn href_at(&self, page: i64, anchor: Option<Anchor>) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            url.append_pair("q", &self.q);
        }
        let assignee = self.assignee_key();
        if !assignee.is_empty() {
            url.append_pair("assignee", &assignee);
        }
        match anchor.filter(|_| page > 1) {
            Some(Anchor::After(id)) => url.append_pair("after", &id.0.to_string()),
            Some(Anchor::Before(id)) => url.append_pair("before", &id.0.to_string()),
            None => &mut url,
        };
        if page > 1 {
            url.append_pair("page", &page.to_string());
        }
        url.finish()
    }
}

/// The create and edit form, as typed (shown again with messages when refused).
#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(default)]
pub struct ContactForm {
    // Generous shape limits: the newtypes give the exact messages; these only
    // stop a body far beyond any field.
    #[validate(length(max = 2000))]
    pub name: String,
    #[validate(length(max = 2000))]
    pub email: String,
    #[validate(length(max = 2000))]
    pub phone: String,
    #[validate(length(max = 100_000))]
    pub note: String,
    /// Create only: who to assign it to ("" for nobody).
    #[validate(length(max = 30))]
    pub assignee: String,
    /// The list's state to return to.
    #[validate(length(max = 1000))]
    pub state: String,
}

impl ContactForm {
    pub fn of(c: &crate::db::contacts::ContactRow) -> Self {
        Self {
            name: c.name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            note: c.note.clone(),
            ..Self::default()
        }
    }

    /// The contact's details, or every field's message.
    pub fn parse(&self) -> Result<ContactDetails, FormErrors> {
        let mut errors = FormErrors::default();
        if self.validate().is_err() {
            errors.add("form", "This form is far larger than any contact.");
        }
        let name = errors.check("name", ContactName::parse(&self.name));
        let email = errors.check("email", ContactEmail::parse(&self.email));
        let phone = errors.check("phone", ContactPhone::parse(&self.phone));
        let note = errors.check("note", ContactNote::parse(&self.note));
        match (name, email, phone, note) {
            (Some(name), Some(email), Some(phone), Some(note)) if errors.is_empty() => {
                Ok(ContactDetails {
                    name,
                    email,
                    phone,
                    note,
                })
            }
            _ => Err(errors),
        }
    }
}

/// An assignment: a member's id, or "" / "none" for nobody.
#[derive(Debug, Clone, Default, Deserialize, Validate)]
#[serde(default)]
pub struct AssignForm {
    #[validate(length(max = 30))]
    pub assignee: String,
    #[validate(length(max = 1000))]
    pub state: String,
}

/// Who to give contacts to: `Ok(None)` for nobody, or the refusal.
pub fn parse_assign_to(raw: &str) -> Result<Option<MembershipId>, &'static str> {
    match raw.trim() {
        "" | "none" => Ok(None),
        other => positive(other)
            .map(|id| Some(MembershipId(id)))
            .ok_or("Choose a member of this team, or Unassigned."),
    }
}
