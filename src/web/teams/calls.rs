//! A team's Calls tab: the latest calls streamed to the team, 50 a page by
//! keyset (Next and Previous carry the call to start beside), filtered by agent
//! and date range, with every choice kept in the URL. Someone who may see all
//! of the team's data sees every call; anyone else only the calls assigned to
//! them. The tab only reads: an archived team's calls stay visible as they are.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::db::{
    self,
    calls::list::{AgentFilter, CallRow, Cursor, ListPlan},
    teams::Team,
    PgPool,
};
use crate::domain::{policy::TeamAction, CallId, MembershipId, MembershipStatus};
use crate::error::AppResult;
use crate::web::plumbing::context::{Layout, TeamContext};
use crate::web::plumbing::htmx::page_or_fragment;
use crate::web::plumbing::routing::routes;

pub const PAGE_SIZE: i64 = 50;

routes! {
    GET "/orgs/{org}/teams/{team}/calls" => calls_index,
}

/// The tab's URL state, as sent. Everything is a string so that a bad value
/// gets a message on the page rather than a bare 400.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct CallsQuery {
    /// An org member id, `none` for the unassigned, or empty for anyone.
    pub agent: String,
    /// First day, `YYYY-MM-DD`, inclusive (UTC).
    pub from: String,
    /// Last day, `YYYY-MM-DD`, inclusive (UTC).
    pub to: String,
    pub after: String,
    pub before: String,
}

/// The filters, parsed, with a message for each value that is not accepted.
struct Filters {
    agent: AgentFilter,
    since: Option<chrono::DateTime<Utc>>,
    until: Option<chrono::DateTime<Utc>>,
    cursor: Cursor,
    errors: Vec<&'static str>,
}

fn parse_day(
    raw: &str,
    errors: &mut Vec<&'static str>,
    message: &'static str,
) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
    if day.is_none() {
        errors.push(message);
    }
    day
}

fn midnight(day: NaiveDate) -> Option<chrono::DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t))
}

impl Filters {
    fn parse(q: &CallsQuery) -> Self {
        let mut errors = Vec::new();
        let agent = match q.agent.trim() {
            "" => AgentFilter::Anyone,
            "none" => AgentFilter::Unassigned,
            raw => match raw.parse::<i64>() {
                Ok(id) => AgentFilter::Agent(MembershipId(id)),
                Err(_) => {
                    errors.push("Choose an agent from the list.");
                    AgentFilter::Anyone
                }
            },
        };
        let from = parse_day(&q.from, &mut errors, "Enter the first day as YYYY-MM-DD.");
        let to = parse_day(&q.to, &mut errors, "Enter the last day as YYYY-MM-DD.");
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                errors.push("The first day is after the last day.");
            }
        }
        let cursor_id = |raw: &str| raw.trim().parse::<i64>().ok().map(CallId);
        let cursor = match (cursor_id(&q.after), cursor_id(&q.before)) {
            (Some(id), _) => Cursor::After(id),
            (None, Some(id)) => Cursor::Before(id),
            (None, None) => Cursor::First,
        };
        Self {
            agent,
            since: from.and_then(midnight),
            until: to
                .and_then(|d| d.checked_add_signed(Duration::days(1)))
                .and_then(midnight),
            cursor,
            errors,
        }
    }
}

/// A call as the tab shows it.
pub struct CallView {
    pub row: CallRow,
    pub started: String,
    pub duration: String,
}

/// `1:05` for 65 seconds, `1:02:03` past the hour.
pub fn format_duration(seconds: i32) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// A member the Agent filter offers.
pub struct Agent {
    pub id: MembershipId,
    pub name: String,
}

/// Everything the tab renders.
pub struct CallsView {
    pub calls: Vec<CallView>,
    /// Every call of the team, or only the viewer's own.
    pub sees_all: bool,
    /// The agents to filter by: active members of the team, by name.
    pub agents: Vec<Agent>,
    pub query: CallsQuery,
    pub errors: Vec<&'static str>,
    /// The query strings of the Next and Previous pages.
    pub next: Option<String>,
    pub prev: Option<String>,
    /// Filters or a cursor are in use (an empty page is then "no match").
    pub narrowed: bool,
    /// The workflow ID, to those who may see it in the team's settings.
    pub workflow_id: Option<String>,
    pub curl: String,
}

impl CallsView {
    /// The query string of the tab with these filters and a cursor.
    fn href(query: &CallsQuery, after: Option<CallId>, before: Option<CallId>) -> String {
        let q = CallsQuery {
            after: after.map(|id| id.to_string()).unwrap_or_default(),
            before: before.map(|id| id.to_string()).unwrap_or_default(),
            ..query.clone()
        };
        let pairs: Vec<(&str, &str)> = [
            ("agent", q.agent.as_str()),
            ("from", q.from.as_str()),
            ("to", q.to.as_str()),
            ("after", q.after.as_str()),
            ("before", q.before.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    pub fn agent_is(&self, id: &MembershipId) -> bool {
        self.query.agent.trim() == id.to_string()
    }
}

fn curl_example(settings: &Settings, workflow_id: &str) -> String {
    let base = settings.public_url.as_str().trim_end_matches('/');
    let started = Utc::now().format("%Y-%m-%dT%H:%M:00Z");
    format!(
        "curl -X POST {base}/api/v1/workflows/{workflow_id}/calls \\\n  \
         -H \"Authorization: Bearer $ROSTER_TOKEN\" \\\n  \
         -H \"Content-Type: application/json\" \\\n  \
         -d '{{\"external_id\": \"call-0001\", \"started_at\": \"{started}\", \
         \"duration_seconds\": 125, \"direction\": \"inbound\", \
         \"from_number\": \"+15550100\", \"to_number\": \"+15550199\"}}'"
    )
}

async fn load(
    pool: &PgPool,
    settings: &Settings,
    tctx: &TeamContext,
    query: CallsQuery,
) -> AppResult<CallsView> {
    let sees_all = tctx.may(TeamAction::ViewAllCalls);
    let filters = Filters::parse(&query);
    // Without `team.view_all`, only one's own calls, whatever the URL says.
    let agent = if sees_all {
        filters.agent
    } else {
        AgentFilter::Agent(tctx.ctx.membership.id)
    };
    let plan = ListPlan {
        team: tctx.team.id,
        agent,
        since: filters.since,
        until: filters.until,
        cursor: filters.cursor,
        limit: PAGE_SIZE + 1,
    };
    let (rows, agents) = if filters.errors.is_empty() {
        let team = tctx.team.id;
        db::run(pool, move |conn| {
            let mut rows = db::calls::list::page(conn, &plan)?;
            let agents = if sees_all {
                db::teams::members::list_members(conn, team, None)?
                    .into_iter()
                    .filter(|m| m.status == MembershipStatus::Active)
                    .map(|m| Agent {
                        id: m.membership_id,
                        name: m.display_name,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            // A page and one more was read: the extra row says another page
            // lies that way, and is not shown.
            let more = rows.len() as i64 > PAGE_SIZE;
            if more {
                match plan.cursor {
                    Cursor::Before(_) => drop(rows.remove(0)),
                    _ => drop(rows.pop()),
                }
            }
            Ok(((rows, more), agents))
        })
        .await?
    } else {
        ((Vec::new(), false), Vec::new())
    };
    let (rows, more) = rows;
    let (older, newer) = match filters.cursor {
        Cursor::First => (more, false),
        Cursor::After(_) => (more, true),
        Cursor::Before(_) => (true, more),
    };
    let next = older
        .then(|| {
            rows.last()
                .map(|r| CallsView::href(&query, Some(r.id), None))
        })
        .flatten();
    let prev = newer
        .then(|| {
            rows.first()
                .map(|r| CallsView::href(&query, None, Some(r.id)))
        })
        .flatten();
    let narrowed = filters.cursor != Cursor::First
        || filters.since.is_some()
        || filters.until.is_some()
        || (sees_all && filters.agent != AgentFilter::Anyone);
    let workflow_id = tctx
        .may(TeamAction::EditSettings)
        .then(|| tctx.team.workflow_id.clone());
    let curl = curl_example(
        settings,
        workflow_id.as_deref().unwrap_or("YOUR_WORKFLOW_ID"),
    );
    Ok(CallsView {
        calls: rows
            .into_iter()
            .map(|row| CallView {
                started: row.started_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
                duration: format_duration(row.duration_seconds),
                row,
            })
            .collect(),
        sees_all,
        agents,
        query,
        errors: filters.errors,
        next,
        prev,
        narrowed,
        workflow_id,
        curl,
    })
}

#[derive(Template)]
#[template(path = "pages/teams/calls.html")]
pub struct CallsPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub view: &'a CallsView,
}

#[derive(Template)]
#[template(path = "fragments/teams/_calls.html")]
pub struct CallsFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub view: &'a CallsView,
}

pub async fn calls_index(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    tctx: TeamContext,
    query: web::Query<CallsQuery>,
) -> AppResult<HttpResponse> {
    let view = load(&pool, &settings, &tctx, query.into_inner()).await?;
    let status = if view.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let (org_id, team) = (tctx.ctx.org.id.0, &tctx.team);
    page_or_fragment(
        &req,
        status,
        || CallsPage {
            layout: Layout::in_org(&tctx.ctx, "teams"),
            org_id,
            team,
            tab: "calls",
            view: &view,
        },
        || CallsFragment {
            org_id,
            team,
            view: &view,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_minutes_and_seconds_or_hours() {
        assert_eq!(format_duration(0), "0:00");
        assert_eq!(format_duration(65), "1:05");
        assert_eq!(format_duration(3723), "1:02:03");
    }

    #[test]
    fn bad_filters_get_messages_and_the_last_day_is_included() {
        let q = |agent: &str, from: &str, to: &str| CallsQuery {
            agent: agent.into(),
            from: from.into(),
            to: to.into(),
            ..CallsQuery::default()
        };
        let f = Filters::parse(&q("12", "2026-12-01", "2026-12-07"));
        assert!(f.errors.is_empty());
        assert_eq!(f.agent, AgentFilter::Agent(MembershipId(12)));
        assert_eq!(f.until.unwrap().to_rfc3339(), "2026-12-08T00:00:00+00:00");
        assert_eq!(
            Filters::parse(&q("none", "", "")).agent,
            AgentFilter::Unassigned
        );
        assert_eq!(Filters::parse(&q("bob", "", "")).errors.len(), 1);
        assert_eq!(Filters::parse(&q("", "yesterday", "")).errors.len(), 1);
        assert_eq!(
            Filters::parse(&q("", "2026-12-08", "2026-12-01")).errors,
            ["The first day is after the last day."]
        );
    }
}
