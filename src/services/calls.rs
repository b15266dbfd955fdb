//! Calls streamed to a team by its workflow ID: one transaction per request,
//! whatever its size. The workflow ID only routes: the caller is an API
//! token's actor, checked against the policy, and the team is looked up within
//! that token's organization, so another organization's ID is a 404.
//!
//! Calls are records, not changes to who may do what: unlike membership and
//! settings changes they write no audit event (thousands arrive a second).

use std::collections::{HashMap, HashSet};

use diesel::{Connection, PgConnection};

use crate::db::{
    self,
    calls::{Call, NewCalls},
};
use crate::domain::{
    call_input::{FieldError, Refusal},
    calls::{AgentRef, NewCall},
    policy::{self, Action, Actor},
    CallId, MembershipId, OrgId,
};
use crate::error::{AppError, AppResult};

pub const ARCHIVED: &str = "This team is archived: it keeps its calls but receives no new ones. \
     Unarchive it in the team's Settings to send calls to it again.";

/// What became of one call of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Stored,
    /// The team already had a call with this external id (or an earlier call
    /// of the same batch had it): nothing was stored, the existing call answers.
    Duplicate,
    Refused,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stored => "stored",
            Self::Duplicate => "duplicate",
            Self::Refused => "refused",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ItemOutcome {
    pub status: Status,
    /// The stored call, or the one that was there already.
    pub id: Option<CallId>,
    pub external_id: Option<String>,
    /// With [`Detail::Full`], the whole call.
    pub call: Option<Call>,
    /// Why the call was refused.
    pub errors: Vec<FieldError>,
    /// What was stored differently from what was sent (an agent not found).
    pub warnings: Vec<String>,
}

/// How much of each call the answer carries: a batch answers with ids, one
/// call with the whole call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Ids,
    Full,
}

/// The team's active members the batch names, by id and by lower-case address.
struct Agents {
    ids: HashSet<MembershipId>,
    emails: HashMap<String, MembershipId>,
}

impl Agents {
    fn load(
        conn: &mut PgConnection,
        team: crate::domain::TeamId,
        items: &[Result<NewCall, Refusal>],
    ) -> AppResult<Self> {
        let (mut ids, mut emails) = (Vec::new(), Vec::new());
        for agent in items.iter().flatten().filter_map(|c| c.agent.as_ref()) {
            match agent {
                AgentRef::Member(id) => ids.push(id.0),
                AgentRef::Email(email) => emails.push(email.as_str().to_lowercase()),
            }
        }
        if ids.is_empty() && emails.is_empty() {
            return Ok(Self {
                ids: HashSet::new(),
                emails: HashMap::new(),
            });
        }
        let found = db::calls::find_team_agents(conn, team, ids, emails)?;
        Ok(Self {
            ids: found.iter().map(|a| a.membership_id).collect(),
            emails: found
                .into_iter()
                .map(|a| (a.email, a.membership_id))
                .collect(),
        })
    }

    fn resolve(&self, agent: &AgentRef) -> Option<MembershipId> {
        match agent {
            AgentRef::Member(id) => self.ids.get(id).copied(),
            AgentRef::Email(email) => self.emails.get(&email.as_str().to_lowercase()).copied(),
        }
    }
}

fn unassigned(agent: &AgentRef) -> String {
    format!("No active member of this team has the {agent}; the call is stored unassigned.")
}

/// Stores calls in the team that `workflow_id` routes to, in one transaction:
/// one statement for the new calls, and one read for those the team had
/// already. Refused items are answered as refused and stored nothing.
pub fn ingest(
    conn: &mut PgConnection,
    actor: &Actor,
    org: OrgId,
    workflow_id: &str,
    items: Vec<Result<NewCall, Refusal>>,
    detail: Detail,
) -> AppResult<Vec<ItemOutcome>> {
    policy::check(actor, Action::IngestCalls)
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))?;
    conn.transaction(|conn| {
        let (team, archived) = db::calls::find_team_by_workflow_id(conn, org, workflow_id)?
            .ok_or(AppError::NotFound)?;
        if archived {
            return Err(AppError::Conflict(ARCHIVED.into()));
        }
        let agents = Agents::load(conn, team, &items)?;
        let mut batch = NewCalls::default();
        let mut outcomes = Vec::with_capacity(items.len());
        let mut kept = Vec::new();
        for item in items {
            match item {
                Ok(call) => {
                    let agent = call.agent.as_ref().and_then(|a| agents.resolve(a));
                    let warnings = match (&call.agent, agent) {
                        (Some(named), None) => vec![unassigned(named)],
                        _ => Vec::new(),
                    };
                    if detail == Detail::Full {
                        kept.push(call.clone());
                    }
                    batch
                        .external_ids
                        .push(call.external_id.as_str().to_owned());
                    batch.started_at.push(call.started_at);
                    batch.durations.push(call.duration.seconds());
                    batch.directions.push(call.direction);
                    batch.from_numbers.push(call.from_number.into_string());
                    batch.to_numbers.push(call.to_number.into_string());
                    batch.agents.push(agent);
                    batch.metadata.push(call.metadata.into_value());
                    outcomes.push(ItemOutcome {
                        status: Status::Stored,
                        id: None,
                        external_id: Some(call.external_id.into_string()),
                        call: None,
                        errors: Vec::new(),
                        warnings,
                    });
                }
                Err(refusal) => outcomes.push(ItemOutcome {
                    status: Status::Refused,
                    id: None,
                    external_id: None,
                    call: None,
                    errors: refusal.errors,
                    warnings: Vec::new(),
                }),
            }
        }
        if batch.external_ids.is_empty() {
            return Ok(outcomes);
        }
        let agents_of: Vec<Option<MembershipId>> = batch.agents.clone();
        let stored = db::calls::insert_batch(conn, org, team, batch)?;
        let mut new: HashMap<String, (CallId, chrono::DateTime<chrono::Utc>)> = stored
            .into_iter()
            .map(|s| (s.external_id, (s.id, s.created_at)))
            .collect();
        // The first call with an external id is the stored one; a later call of
        // the batch with the same id, like one the team had, is a duplicate.
        let mut existing_ids: Vec<String> = Vec::new();
        let mut kept = kept.into_iter();
        let pending = outcomes.iter_mut().filter(|o| o.status == Status::Stored);
        for (outcome, agent) in pending.zip(agents_of) {
            let external_id = outcome.external_id.clone().unwrap_or_default();
            let input = kept.next();
            match new.remove(&external_id) {
                Some((id, created_at)) => {
                    outcome.id = Some(id);
                    outcome.call = input.map(|input| full(id, created_at, input, agent));
                }
                None => {
                    outcome.status = Status::Duplicate;
                    outcome.warnings.clear();
                    existing_ids.push(external_id);
                }
            }
        }
        if existing_ids.is_empty() {
            return Ok(outcomes);
        }
        // One read for all of them: the team's calls, or ones this batch just stored.
        let keys: Vec<&str> = existing_ids.iter().map(String::as_str).collect();
        let existing: HashMap<String, (CallId, Option<Call>)> = match detail {
            Detail::Ids => db::calls::find_ids_by_external_ids(conn, team, &keys)?
                .into_iter()
                .map(|(id, external_id)| (external_id, (id, None)))
                .collect(),
            Detail::Full => db::calls::find_by_external_ids(conn, team, &keys)?
                .into_iter()
                .map(|c| (c.external_id.clone(), (c.id, Some(c))))
                .collect(),
        };
        for outcome in outcomes
            .iter_mut()
            .filter(|o| o.status == Status::Duplicate)
        {
            let external_id = outcome.external_id.as_deref().unwrap_or_default();
            let (id, call) = existing.get(external_id).cloned().ok_or_else(|| {
                AppError::unexpected(anyhow::anyhow!(
                    "a call skipped as a duplicate was not found"
                ))
            })?;
            outcome.id = Some(id);
            outcome.call = call;
        }
        Ok(outcomes)
    })
}

fn full(
    id: CallId,
    created_at: chrono::DateTime<chrono::Utc>,
    call: NewCall,
    agent: Option<MembershipId>,
) -> Call {
    Call {
        id,
        external_id: call.external_id.into_string(),
        started_at: call.started_at,
        duration_seconds: call.duration.seconds(),
        direction: call.direction,
        from_number: call.from_number.into_string(),
        to_number: call.to_number.into_string(),
        agent_membership_id: agent,
        metadata: call.metadata.into_value(),
        created_at,
    }
}
