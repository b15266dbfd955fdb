//! The Calls tab's pages: a team's calls, latest first, by keyset on
//! `(started_at, id)`, narrowed to one agent (or the unassigned) and to a time
//! range. The statement is rendered by [`render`] from a [`ListPlan`]; the
//! golden files in `src/db/calls/golden/` hold the rendered SQL of the
//! representative plans, so a change to the query shows as a SQL diff.
//!
//! Every plan walks `calls_team_started_idx` or, with an agent,
//! `calls_team_agent_started_idx` (migration 000020), from the cursor on: a
//! page costs its 51 index entries however deep it is.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Nullable, Text, Timestamptz};

use crate::db::sql::Statement;
use crate::domain::{calls::CallDirection, CallId, MembershipId, TeamId};

/// Whose calls a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentFilter {
    Anyone,
    Agent(MembershipId),
    Unassigned,
}

/// Where a page starts: the latest calls, or just past a call of the page
/// before (Next) or just before a call of the page after (Previous).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    First,
    After(CallId),
    Before(CallId),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPlan {
    pub team: TeamId,
    pub agent: AgentFilter,
    /// Calls that started at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Calls that started before this.
    pub until: Option<DateTime<Utc>>,
    pub cursor: Cursor,
    /// Rows to read: a page and one more, to know whether there is another.
    pub limit: i64,
}

/// One call on the tab, with its agent's name.
#[derive(Debug, Clone, QueryableByName)]
pub struct CallRow {
    #[diesel(sql_type = BigInt)]
    pub id: CallId,
    #[diesel(sql_type = Text)]
    pub external_id: String,
    #[diesel(sql_type = Timestamptz)]
    pub started_at: DateTime<Utc>,
    #[diesel(sql_type = Int4)]
    pub duration_seconds: i32,
    #[diesel(sql_type = Text)]
    pub direction: CallDirection,
    #[diesel(sql_type = Text)]
    pub from_number: String,
    #[diesel(sql_type = Text)]
    pub to_number: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub agent_membership_id: Option<MembershipId>,
    #[diesel(sql_type = Nullable<Text>)]
    pub agent_name: Option<String>,
}

/// The statement for a plan. Rows come in the walk's order: latest first,
/// except for `Before`, which walks up from the cursor (the caller reverses).
pub fn render(plan: &ListPlan) -> Statement<'static> {
    let mut q = Statement::prepared(
        "SELECT c.id, c.external_id, c.started_at, c.duration_seconds, c.direction, \
         c.from_number, c.to_number, c.agent_membership_id, a.display_name AS agent_name \
         FROM calls c LEFT JOIN memberships m ON m.id = c.agent_membership_id \
         LEFT JOIN accounts a ON a.id = m.account_id WHERE c.team_id = ",
    )
    .bind::<BigInt, _>(plan.team);
    q = match plan.agent {
        AgentFilter::Anyone => q,
        AgentFilter::Agent(member) => q
            .sql(" AND c.agent_membership_id = ")
            .bind::<BigInt, _>(member),
        AgentFilter::Unassigned => q.sql(" AND c.agent_membership_id IS NULL"),
    };
    if let Some(since) = plan.since {
        q = q.sql(" AND c.started_at >= ").bind::<Timestamptz, _>(since);
    }
    if let Some(until) = plan.until {
        q = q.sql(" AND c.started_at < ").bind::<Timestamptz, _>(until);
    }
    // The cursor's own place comes from its row, of this team only: another
    // team's call id finds no row, so the comparison is NULL and the page empty.
    let (compare, order) = match plan.cursor {
        Cursor::First => (None, " ORDER BY c.started_at DESC, c.id DESC"),
        Cursor::After(id) => (Some((" < ", id)), " ORDER BY c.started_at DESC, c.id DESC"),
        Cursor::Before(id) => (Some((" > ", id)), " ORDER BY c.started_at ASC, c.id ASC"),
    };
    if let Some((op, id)) = compare {
        q = q
            .sql(" AND (c.started_at, c.id)")
            .sql(op)
            .sql("((SELECT k.started_at FROM calls k WHERE k.id = ")
            .bind::<BigInt, _>(id)
            .sql(" AND k.team_id = ")
            .bind::<BigInt, _>(plan.team)
            .sql("), ")
            .bind::<BigInt, _>(id)
            .sql(")");
    }
    q.sql(order).sql(format!(" LIMIT {}", plan.limit))
}

/// One page's rows, latest first.
pub fn page(conn: &mut PgConnection, plan: &ListPlan) -> QueryResult<Vec<CallRow>> {
    let mut rows: Vec<CallRow> = render(plan).load(conn)?;
    if matches!(plan.cursor, Cursor::Before(_)) {
        rows.reverse();
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn plan(agent: AgentFilter, cursor: Cursor, range: bool) -> ListPlan {
        ListPlan {
            team: TeamId(7),
            agent,
            since: range.then(|| Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()),
            until: range.then(|| Utc.with_ymd_and_hms(2026, 12, 8, 0, 0, 0).unwrap()),
            cursor,
            limit: 51,
        }
    }

    /// The rendered SQL of each representative plan, against its golden file.
    /// `UPDATE_GOLDEN=1 cargo test golden` rewrites the files after a change.
    #[test]
    fn the_tabs_statements_match_their_golden_sql() {
        let cases = [
            (
                "first_page",
                plan(AgentFilter::Anyone, Cursor::First, false),
            ),
            (
                "next_page",
                plan(AgentFilter::Anyone, Cursor::After(CallId(99)), false),
            ),
            (
                "previous_page_of_one_agent",
                plan(
                    AgentFilter::Agent(MembershipId(5)),
                    Cursor::Before(CallId(99)),
                    false,
                ),
            ),
            (
                "unassigned_in_a_date_range",
                plan(AgentFilter::Unassigned, Cursor::First, true),
            ),
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/db/calls/golden");
        for (name, plan) in cases {
            let rendered = format!(
                "{}\n",
                diesel::debug_query::<diesel::pg::Pg, _>(&render(&plan))
            )
            .replace(" AND ", "\n  AND ")
            .replace(" ORDER BY ", "\nORDER BY ")
            .replace(" -- binds: ", "\n-- binds: ");
            let path = dir.join(format!("{name}.sql"));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &rendered).unwrap();
            }
            let golden = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(
                rendered, golden,
                "{name}: rerun with UPDATE_GOLDEN=1 and review the diff"
            );
        }
    }
}
