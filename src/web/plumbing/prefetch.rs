//! The signed-in account, read by the statement that loads the session.
//!
//! Nearly every request loads its session (actix-session's middleware, through
//! [`PgSessionStore`](crate::web::plumbing::session_store::PgSessionStore)) and then the
//! signed-in account with its membership in the organization the path names
//! ([`crate::web::plumbing::context`]): two trips to the pool, each a hop to a blocking
//! thread and a round trip to PostgreSQL. [`scope`] notes, for the request's
//! task, what the account lookup will ask for; the store answers both in one
//! statement and leaves the account here; the extractor takes it. The note
//! lives as long as the request, and the extractor reads the database itself
//! whenever the note does not answer exactly what it asks.

use std::cell::RefCell;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    Error,
};

use crate::db::accounts::SignedIn;
use crate::domain::{AccountId, OrgId};
use crate::error::AppError;
use crate::web::plumbing::htmx::Wants;

/// What the account lookup reads besides the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask {
    /// The organization in the path, for the membership there.
    pub org: Option<OrgId>,
    /// The switcher's list of organizations (full pages only).
    pub with_orgs: bool,
}

struct Note {
    ask: Ask,
    found: Option<SignedIn>,
    /// The session store could not reach the database.
    unavailable: bool,
    /// A request the page makes on its own (presence): it must not keep an
    /// idle session alive.
    passive: bool,
}

tokio::task_local! {
    static NOTE: RefCell<Note>;
}

/// The organization id of a path under `/orgs/{org}`, as the router reads it.
fn org_in_path(path: &str) -> Option<OrgId> {
    let rest = path.strip_prefix("/orgs/")?;
    rest.split('/').next()?.parse().ok().map(OrgId)
}

/// Middleware (outside the session middleware): notes what this request's
/// account lookup will ask for.
pub async fn scope(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let ask = Ask {
        org: org_in_path(req.path()),
        with_orgs: Wants::of(req.request()) == Wants::Page,
    };
    let note = RefCell::new(Note {
        ask,
        found: None,
        unavailable: false,
        passive: is_passive(req.path()),
    });
    NOTE.scope(note, async move {
        let res = next.call(req).await;
        // actix-session answers a failing store with an opaque 500; when the
        // store noted that the database was out of reach, say so (503).
        match res {
            Err(_) if NOTE.with(|n| n.borrow().unavailable) => Err(AppError::no_database().into()),
            other => other,
        }
    })
    .await
}

/// Presence heartbeats and streams come from an open page whether or not
/// anyone uses it: they do not extend the session's idle expiry.
fn is_passive(path: &str) -> bool {
    org_in_path(path).is_some()
        && (path.ends_with("/presence") || path.ends_with("/presence/stream"))
}

/// Whether this request must leave the session's idle expiry as it is.
pub fn passive() -> bool {
    NOTE.try_with(|note| note.borrow().passive).unwrap_or(false)
}

/// The session store found the database out of reach.
pub fn note_unavailable() {
    let _ = NOTE.try_with(|note| note.borrow_mut().unavailable = true);
}

/// What the account lookup of this request will ask for, when [`scope`] noted it.
pub fn ask() -> Option<Ask> {
    NOTE.try_with(|note| note.borrow().ask).ok()
}

/// Leaves the account the session store found, as read for [`ask`].
pub fn leave(found: SignedIn) {
    let _ = NOTE.try_with(|note| note.borrow_mut().found = Some(found));
}

/// The account left by the session store, if it is `account` read for `ask`.
pub fn take(account: AccountId, ask: Ask) -> Option<SignedIn> {
    NOTE.try_with(|note| {
        let mut note = note.borrow_mut();
        if note.ask != ask || note.found.as_ref().is_none_or(|f| f.0.id != account) {
            return None;
        }
        note.found.take()
    })
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_org_is_read_from_the_path_as_the_router_reads_it() {
        assert_eq!(org_in_path("/orgs/12/members"), Some(OrgId(12)));
        assert_eq!(org_in_path("/orgs/12"), Some(OrgId(12)));
        assert_eq!(org_in_path("/orgs/new"), None);
        assert_eq!(org_in_path("/orgs/"), None);
        assert_eq!(org_in_path("/profile"), None);
        assert_eq!(org_in_path("/orgs/-1/members"), Some(OrgId(-1)));
    }

    #[test]
    fn only_presence_requests_are_passive() {
        assert!(is_passive("/orgs/3/presence"));
        assert!(is_passive("/orgs/3/presence/stream"));
        assert!(!is_passive("/orgs/3/members"));
        assert!(!is_passive("/profile/presence"));
    }
}
