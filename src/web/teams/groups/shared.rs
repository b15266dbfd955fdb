//! Plumbing both team tabs (Groups, Services) share: which controls the viewer
//! may use and why not, and running a change together with what its answer shows.

use actix_web::{http::StatusCode, ResponseError};
use diesel::PgConnection;
use validator::Validate;

use crate::db::{self, organizations::Organization, PgPool};
use crate::domain::{policy::TeamAction, AccountId, Feature, TeamId};
use crate::error::{AppError, AppResult};
use crate::services::groups as groups_service;
use crate::services::teams::ARCHIVED;
use crate::web::plumbing::context::TeamContext;

/// Whether the viewer may change things on a tab and, when not, the reason the
/// disabled controls show: a switched-off module first, then an archived team,
/// then the policy's word.
pub struct Controls {
    pub allowed: bool,
    pub reason: String,
    /// Whether the tab shows its controls at all: an archived team's tabs are
    /// read-only, like the rest of it, and show none.
    pub shown: bool,
}

impl Controls {
    pub fn new(tctx: &TeamContext, action: TeamAction, off: Option<&str>) -> Self {
        let archived = tctx.team.is_archived();
        let refused = match off.or(archived.then_some(ARCHIVED)) {
            Some(reason) => Some(reason.to_owned()),
            None => tctx.allow(action).err().map(|e| e.to_string()),
        };
        Self {
            allowed: refused.is_none(),
            reason: refused.unwrap_or_default(),
            shown: !archived,
        }
    }
}

/// Asks the policy about a change on a tab (403 with its reason), then refuses
/// it while the team is archived (409), as the team's settings and members are.
/// The use case checks the archive again under the team's lock.
pub fn allow_change(tctx: &TeamContext, action: TeamAction) -> AppResult<()> {
    tctx.allow(action)?;
    if tctx.team.is_archived() {
        return Err(AppError::Conflict(ARCHIVED.into()));
    }
    Ok(())
}

/// What came of a change: done (with the view to show when htmx swaps a
/// fragment), or refused for a reason the person can fix in the form, with the
/// view to show the form again.
pub enum Outcome<T, V> {
    Done(T, Option<V>),
    Refused(StatusCode, String, V),
}

impl<T, V> Outcome<T, V> {
    /// For a change with no form to show again: what was done, or the refusal
    /// as the error it was (a conflict, such as an archived team, stays a 409).
    pub fn done(self) -> AppResult<(T, Option<V>)> {
        match self {
            Self::Done(done, view) => Ok((done, view)),
            Self::Refused(StatusCode::CONFLICT, message, _) => Err(AppError::Conflict(message)),
            Self::Refused(_, message, _) => Err(AppError::Validation(message)),
        }
    }
}

/// Runs a change and, in the same blocking call, loads what the response shows:
/// after success only if `reload`, after a fixable refusal (422/409) always. A
/// module that is switched off wins over any complaint about the input.
pub async fn change_and_load<T, V, C, L>(
    pool: &PgPool,
    tctx: &TeamContext,
    reload: bool,
    needs: &'static [Feature],
    change: C,
    load: L,
) -> AppResult<Outcome<T, V>>
where
    T: Send + 'static,
    V: Send + 'static,
    C: FnOnce(&mut PgConnection, AccountId, &Organization, TeamId) -> AppResult<T> + Send + 'static,
    L: FnOnce(&mut PgConnection, &Organization, TeamId) -> AppResult<V> + Send + 'static,
{
    let (actor, org, team) = (
        tctx.ctx.actor.account_id,
        tctx.ctx.org.clone(),
        tctx.team.id,
    );
    db::run(pool, move |conn| match change(conn, actor, &org, team) {
        Ok(done) => {
            let view = if reload {
                Some(load(conn, &org, team)?)
            } else {
                None
            };
            Ok(Outcome::Done(done, view))
        }
        Err(err @ (AppError::Validation(_) | AppError::Conflict(_))) => {
            groups_service::require(conn, &org, needs)?;
            let view = load(conn, &org, team)?;
            Ok(Outcome::Refused(err.status_code(), err.to_string(), view))
        }
        Err(other) => Err(other),
    })
    .await
}

/// A choice from a select: the form's shape is valid and the value is an id,
/// or the message for its field.
pub fn parse_choice(form: &impl Validate, raw: &str, message: &str) -> AppResult<i64> {
    form.validate()
        .ok()
        .and_then(|_| raw.trim().parse::<i64>().ok())
        .ok_or_else(|| AppError::Validation(message.to_owned()))
}
