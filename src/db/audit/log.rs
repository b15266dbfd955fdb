//! Reading the audit log: pages of events newest first, by keyset on
//! (created_at, id), narrowed by actor, member, action group, time range and
//! text; a member's timeline; an account's own events. One function,
//! [`render`], turns a [`LogQuery`] into its statement, and the golden test
//! (`tests::rendered_sql_matches_the_golden_file`) keeps the representative
//! plans' SQL in `src/db/audit/golden.sql`. Every narrowing is a range of one
//! of migration 000017's indexes (organization first, time last).

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Jsonb, Nullable, Text, Timestamptz},
};

use super::super::sql::Statement;
use crate::domain::audit::{ActionGroup, EventCursor};
use crate::domain::audit_story::Names;
use crate::domain::{AccountId, MembershipId, OrgId};

/// Whose events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Every event of the organization.
    Org(OrgId),
    /// A member's timeline: what they did (as the account) and what was done to them.
    Timeline(OrgId, AccountId, MembershipId),
    /// An account's own events, of no organization.
    Account(AccountId),
}

/// A page (or an export batch) of events, as asked. Values are validated.
#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub actor: Option<AccountId>,
    pub member: Option<MembershipId>,
    pub group: Option<ActionGroup>,
    pub from: Option<DateTime<Utc>>,
    /// Events strictly before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Lower-cased words to find in the event's summary: its actor, the member
    /// it is about, its recorded values, or its action's label (`text_actions`).
    pub text: Option<String>,
    pub text_actions: Vec<String>,
    pub cursor: Option<EventCursor>,
    pub limit: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub target_type: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub target_id: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub member_id: Option<i64>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub before: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub after: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Text>)]
    pub ip: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub actor_name: Option<String>,
    /// The actor's membership in this organization, to link to their page.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub actor_member_id: Option<i64>,
    /// The member the event is about, as the organization may see them: a
    /// pending member by the address they were invited at (issue 12).
    #[diesel(sql_type = Nullable<Text>)]
    pub member_name: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub actor_account_id: Option<i64>,
}

const COLUMNS: &str =
    "SELECT e.id, e.created_at, e.action, e.target_type, e.target_id, e.member_id, \
     e.before, e.after, e.ip, aa.display_name AS actor_name, aa.member AS actor_member_id, \
     tm.name AS member_name, e.actor_account_id";

/// The event's own columns only, its names left for the reader to fill in
/// (the export, which names a million rows from a few thousand people).
const BARE_COLUMNS: &str =
    "SELECT e.id, e.created_at, e.action, e.target_type, e.target_id, e.member_id, \
     e.before, e.after, e.ip, NULL::text AS actor_name, NULL::bigint AS actor_member_id, \
     NULL::text AS member_name, e.actor_account_id";

/// The names around an event: its actor (and their membership here) and the
/// member it is about. Each is a lateral lookup by primary key for the page's
/// rows only (`LIMIT 1` keeps PostgreSQL from flattening it into a join that
/// hashes every member of the organization).
const JOINS: &str = " LEFT JOIN LATERAL (SELECT a.display_name, a.email, m.id AS member FROM accounts a \
     LEFT JOIN memberships m ON m.account_id = a.id AND m.organization_id = e.organization_id \
     WHERE a.id = e.actor_account_id LIMIT 1) aa ON true \
     LEFT JOIN LATERAL (SELECT CASE WHEN m.status = 'pending' THEN a.email ELSE a.display_name END AS name \
     FROM memberships m JOIN accounts a ON a.id = m.account_id \
     WHERE m.id = e.member_id AND m.organization_id = e.organization_id LIMIT 1) tm ON true";

/// What a page's text filter reads: the summary's words as stored.
const HAYSTACK: &str =
    "lower(concat_ws(' ', aa.display_name, aa.email, tm.name, e.before::text, e.after::text))";

/// `(created_at, id)` against the cursor, newest-first order, in `alias`'s columns.
fn keyset<'a>(q: Statement<'a>, alias: &'static str, cursor: Option<EventCursor>) -> Statement<'a> {
    match cursor {
        None => q,
        Some(EventCursor::Older(at, id)) => q
            .sql(format!(" AND ({alias}.created_at, {alias}.id) < ("))
            .bind::<Timestamptz, _>(at)
            .sql(", ")
            .bind::<BigInt, _>(id)
            .sql(")"),
        Some(EventCursor::Newer(at, id)) => q
            .sql(format!(" AND ({alias}.created_at, {alias}.id) > ("))
            .bind::<Timestamptz, _>(at)
            .sql(", ")
            .bind::<BigInt, _>(id)
            .sql(")"),
    }
}

fn order(cursor: Option<EventCursor>, alias: &'static str) -> String {
    match cursor {
        Some(EventCursor::Newer(..)) => format!(" ORDER BY {alias}.created_at, {alias}.id"),
        _ => format!(" ORDER BY {alias}.created_at DESC, {alias}.id DESC"),
    }
}

/// The statement of a page: `limit` rows in the cursor's direction (oldest
/// first when reading Previous; [`page`] turns them around).
pub fn render(source: Source, q: &LogQuery) -> Statement<'static> {
    render_with(source, q, false)
}

/// [`render`], or with `bare` (an organization's log without a text filter,
/// which reads the names) the events without their names.
fn render_with(source: Source, q: &LogQuery, bare: bool) -> Statement<'static> {
    let bare = bare && q.text.is_none() && matches!(source, Source::Org(_));
    let columns = if bare { BARE_COLUMNS } else { COLUMNS };
    // Without a text filter, every narrowing is a range of one index ending
    // in time, read backwards as far as the LIMIT, whatever the values: one
    // plan fits them all, so the statement is prepared (one text per mix of
    // filters). A text filter's cost depends on its words: planned with them.
    let mut s = match q.text {
        None => Statement::prepared(columns),
        Some(_) => Statement::unprepared(columns),
    };
    s = match source {
        Source::Org(org) => s
            .sql(" FROM audit_events e")
            .sql(if bare { "" } else { JOINS })
            .sql(" WHERE e.organization_id = ")
            .bind::<BigInt, _>(org.0),
        // Two index ranges, each read only as far as the page needs, merged.
        Source::Timeline(org, account, member) => {
            let part = |s: Statement<'static>, column: &'static str, value: i64| {
                let s = s
                    .sql(" (SELECT * FROM audit_events x WHERE x.organization_id = ")
                    .bind::<BigInt, _>(org.0)
                    .sql(format!(" AND x.{column} = "))
                    .bind::<BigInt, _>(value);
                keyset(s, "x", q.cursor)
                    .sql(order(q.cursor, "x"))
                    .sql(format!(" LIMIT {})", q.limit))
            };
            // The page is cut from the union before the names are joined: so
            // a generic plan expects as many rows as a custom one, costs the
            // same, and is taken after five executions. Joined first, it was
            // costed at twice the rows, and the statement was planned afresh
            // on every request (0.5 ms of planning for 0.25 ms of reading).
            let narrowed = q.actor.is_some()
                || q.member.is_some()
                || q.group.is_some()
                || q.from.is_some()
                || q.until.is_some()
                || q.text.is_some();
            let s = part(
                s.sql(" FROM (SELECT * FROM ("),
                "actor_account_id",
                account.0,
            )
            .sql(" UNION");
            let s = part(s, "member_id", member.0).sql(") u");
            let s = if narrowed {
                s
            } else {
                keyset(s.sql(" WHERE true"), "u", q.cursor)
                    .sql(order(q.cursor, "u"))
                    .sql(format!(" LIMIT {}", q.limit))
            };
            s.sql(") e").sql(JOINS).sql(" WHERE true")
        }
        Source::Account(account) => s
            .sql(" FROM audit_events e")
            .sql(JOINS)
            .sql(
                " WHERE e.organization_id IS NULL AND e.target_type = 'account' AND e.target_id = ",
            )
            .bind::<Text, _>(account.0.to_string()),
    };
    if let Some(actor) = q.actor {
        s = s
            .sql(" AND e.actor_account_id = ")
            .bind::<BigInt, _>(actor.0);
    }
    if let Some(member) = q.member {
        s = s.sql(" AND e.member_id = ").bind::<BigInt, _>(member.0);
    }
    if let Some(group) = q.group {
        s = s.sql(" AND e.action_group = ").bind::<Text, _>(group.key());
    }
    if let Some(from) = q.from {
        s = s.sql(" AND e.created_at >= ").bind::<Timestamptz, _>(from);
    }
    if let Some(until) = q.until {
        s = s.sql(" AND e.created_at < ").bind::<Timestamptz, _>(until);
    }
    if let Some(text) = &q.text {
        s = s
            .sql(format!(" AND (strpos({HAYSTACK}, "))
            .bind::<Text, _>(text.clone())
            .sql(") > 0 OR e.action = ANY(")
            .bind::<Array<Text>, _>(q.text_actions.clone())
            .sql("))");
    }
    // The page's size is written into the text (one statement per size, and
    // sizes are the code's constants): bound as a parameter, it left the
    // generic plan unable to tell a page from the whole log, so PostgreSQL
    // planned the member timeline's two-index union afresh on every request
    // (0.55 ms of planning for 0.3 ms of reading).
    keyset(s, "e", q.cursor)
        .sql(order(q.cursor, "e"))
        .sql(format!(" LIMIT {}", q.limit))
}

/// A page of events, newest first, with whether more lie beyond it in the
/// direction it was read (`limit` is the page's size; one more row is read to know).
pub fn page(
    conn: &mut PgConnection,
    source: Source,
    q: &LogQuery,
) -> QueryResult<(Vec<EventRow>, bool)> {
    read(conn, source, q, false)
}

/// Like [`page`] for an organization's log, leaving `actor_name`,
/// `actor_member_id` and `member_name` to the caller (see [`People`]) unless
/// the text filter needs them to match.
pub fn page_bare(
    conn: &mut PgConnection,
    org: OrgId,
    q: &LogQuery,
) -> QueryResult<(Vec<EventRow>, bool)> {
    read(conn, Source::Org(org), q, true)
}

/// `q.limit` rows of [`render_with`], newest first, and whether more lie
/// beyond them (one more row is read to know).
fn read(
    conn: &mut PgConnection,
    source: Source,
    q: &LogQuery,
    bare: bool,
) -> QueryResult<(Vec<EventRow>, bool)> {
    let size = q.limit;
    let asked = LogQuery {
        limit: size + 1,
        ..q.clone()
    };
    let mut rows: Vec<EventRow> = render_with(source, &asked, bare).load(conn)?;
    let more = rows.len() as i64 > size;
    rows.truncate(size as usize);
    if matches!(q.cursor, Some(EventCursor::Newer(..))) {
        rows.reverse();
    }
    Ok((rows, more))
}

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    member: Option<i64>,
}

/// The names an export gives its rows, read once per person rather than per
/// row: members as the log's pages name them (a pending one by address),
/// actors by their account's name with their membership here.
#[derive(Debug, Default)]
pub struct People {
    members: std::collections::HashMap<i64, String>,
    actors: std::collections::HashMap<i64, (String, Option<i64>)>,
}

impl People {
    /// Fills in the names of `rows`, reading the people not met before.
    pub fn fill(
        &mut self,
        conn: &mut PgConnection,
        org: OrgId,
        rows: &mut [EventRow],
    ) -> QueryResult<()> {
        let unknown = |ids: &mut Vec<i64>| {
            ids.sort_unstable();
            ids.dedup();
        };
        let mut members: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.member_id)
            .filter(|id| !self.members.contains_key(id))
            .collect();
        unknown(&mut members);
        if !members.is_empty() {
            let found: Vec<Named> = Statement::prepared(
                "SELECT m.id, CASE WHEN m.status = 'pending' THEN a.email ELSE a.display_name END AS name, \
                 NULL::bigint AS member FROM memberships m JOIN accounts a ON a.id = m.account_id \
                 WHERE m.organization_id = ",
            )
            .bind::<BigInt, _>(org.0)
            .sql(" AND m.id = ANY(")
            .bind::<Array<BigInt>, _>(members.clone())
            .sql(")")
            .load(conn)?;
            for id in members {
                self.members.insert(id, String::new());
            }
            for n in found {
                self.members.insert(n.id, n.name);
            }
        }
        let mut actors: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.actor_account_id)
            .filter(|id| !self.actors.contains_key(id))
            .collect();
        unknown(&mut actors);
        if !actors.is_empty() {
            let found: Vec<Named> = Statement::prepared(
                "SELECT a.id, a.display_name AS name, m.id AS member FROM accounts a \
                 LEFT JOIN memberships m ON m.account_id = a.id AND m.organization_id = ",
            )
            .bind::<BigInt, _>(org.0)
            .sql(" WHERE a.id = ANY(")
            .bind::<Array<BigInt>, _>(actors)
            .sql(")")
            .load(conn)?;
            for n in found {
                self.actors.insert(n.id, (n.name, n.member));
            }
        }
        for row in rows.iter_mut() {
            if let Some(name) = row.member_id.and_then(|id| self.members.get(&id)) {
                row.member_name = Some(name.clone()).filter(|n| !n.is_empty());
            }
            if let Some((name, member)) = row.actor_account_id.and_then(|id| self.actors.get(&id)) {
                row.actor_name = Some(name.clone());
                row.actor_member_id = *member;
            }
        }
        Ok(())
    }
}

/// A member of the organization named in a filter: by membership id or email.
#[derive(Debug, Clone, QueryableByName)]
pub struct FilterMember {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub account_id: i64,
    #[diesel(sql_type = Text)]
    pub name: String,
}

/// The organization's member `raw` names (a membership id or an email
/// address); anything else, another organization's included, is `None`.
pub fn find_filter_member(
    conn: &mut PgConnection,
    org: OrgId,
    raw: &str,
) -> QueryResult<Option<FilterMember>> {
    let q = Statement::prepared(
        "SELECT m.id, m.account_id, \
         CASE WHEN m.status = 'pending' THEN a.email ELSE a.display_name END AS name \
         FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.organization_id = ",
    )
    .bind::<BigInt, _>(org.0);
    let q = match raw.parse::<i64>() {
        Ok(id) => q.sql(" AND m.id = ").bind::<BigInt, _>(id),
        Err(_) => q
            .sql(" AND lower(a.email) = lower(")
            .bind::<Text, _>(raw.to_owned())
            .sql(")"),
    };
    q.get_result(conn).optional()
}

/// Today's names of the organization's teams, groups, custom roles and
/// services, for telling its events: one statement.
pub fn names(conn: &mut PgConnection, org: OrgId) -> QueryResult<Names> {
    #[derive(QueryableByName)]
    struct Read {
        #[diesel(sql_type = Jsonb)]
        names: serde_json::Value,
    }
    let read: Read = Statement::prepared("SELECT ")
        .sql(NAMES_OF_M)
        .sql(" AS names FROM (SELECT ")
        .bind::<BigInt, _>(org.0)
        .sql(" AS organization_id) m")
        .get_result(conn)?;
    super::super::sql::from_json(read.names)
}

/// Who last did one of `actions` to the member, and when: the latest of each.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Milestone {
    pub action: String,
    pub created_at: DateTime<Utc>,
    pub actor_name: Option<String>,
}

/// The actions [`milestones`] answers, in the order a status line tells them.
/// The partial index `audit_events_member_milestones_idx` (migration 000024)
/// holds exactly these; [`MILESTONES_OF_M`] repeats them for its query.
pub const MILESTONES: [&str; 6] = [
    "invitation.created",
    "member.added",
    "invitation.accepted",
    "member.archived",
    "member.revoked",
    "member.restored",
];
/// The latest event of each of [`MILESTONES`] about the member `m` of the
/// enclosing statement, with who did it, as a JSON array of [`Milestone`]s
/// (read by `db::members::profile::around`).
pub const MILESTONES_OF_M: &str =
    "(SELECT coalesce(jsonb_agg(jsonb_build_object('action', x.action, \
     'created_at', x.created_at, 'actor_name', x.actor_name)), '[]') FROM ( \
     SELECT DISTINCT ON (e.action) e.action, e.created_at, a.display_name AS actor_name \
     FROM audit_events e LEFT JOIN accounts a ON a.id = e.actor_account_id \
     WHERE e.organization_id = m.organization_id AND e.member_id = m.id AND e.action IN \
     ('invitation.created', 'member.added', 'invitation.accepted', \
     'member.archived', 'member.revoked', 'member.restored') \
     ORDER BY e.action, e.created_at DESC, e.id DESC) x)";

/// The names of the teams, groups, custom roles and services of the
/// organization of `m` in the enclosing statement, as the JSON of [`Names`]
/// (ids as keys), for telling events.
pub const NAMES_OF_M: &str = "jsonb_build_object( \
     'teams', (SELECT coalesce(jsonb_object_agg(id, name), '{}') FROM teams WHERE organization_id = m.organization_id), \
     'groups', (SELECT coalesce(jsonb_object_agg(id, name), '{}') FROM groups WHERE organization_id = m.organization_id), \
     'roles', (SELECT coalesce(jsonb_object_agg(id, name), '{}') FROM custom_roles WHERE organization_id = m.organization_id), \
     'services', (SELECT coalesce(jsonb_object_agg(id, name), '{}') FROM services WHERE organization_id = m.organization_id))";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_milestones_query_names_exactly_the_indexed_actions() {
        let listed: Vec<String> = MILESTONES_OF_M
            .split("e.action IN (")
            .nth(1)
            .and_then(|rest| rest.split(')').next())
            .unwrap()
            .split(',')
            .map(|a| a.trim().trim_matches('\'').to_owned())
            .collect();
        assert_eq!(listed, MILESTONES);
        let migration =
            include_str!("../../../migrations/2026-12-07-000024_audit_milestones_index/up.sql");
        let indexed = migration.split("WHERE action IN").nth(1).unwrap();
        for action in MILESTONES {
            assert!(indexed.contains(&format!("'{action}'")), "{action}");
        }
        assert_eq!(indexed.matches('\'').count(), 2 * MILESTONES.len());
    }
    use crate::domain::audit::EventCursor;

    fn sql(source: Source, q: &LogQuery) -> String {
        diesel::debug_query::<diesel::pg::Pg, _>(&render(source, q))
            .to_string()
            .split(" -- binds:")
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn rendered_sql_matches_the_golden_file() {
        let at = DateTime::<Utc>::from_timestamp(1_780_000_000, 0).unwrap();
        let org = OrgId(1);
        let plans = [
            (
                "page 1",
                Source::Org(org),
                LogQuery {
                    limit: 50,
                    ..Default::default()
                },
            ),
            (
                "every filter, next page",
                Source::Org(org),
                LogQuery {
                    actor: Some(AccountId(2)),
                    member: Some(MembershipId(3)),
                    group: Some(ActionGroup::Membership),
                    from: Some(at),
                    until: Some(at),
                    text: Some("bob".into()),
                    text_actions: vec!["member.updated".into()],
                    cursor: Some(EventCursor::Older(at, 9)),
                    limit: 50,
                },
            ),
            (
                "timeline, previous page",
                Source::Timeline(org, AccountId(2), MembershipId(3)),
                LogQuery {
                    cursor: Some(EventCursor::Newer(at, 9)),
                    limit: 20,
                    ..Default::default()
                },
            ),
            (
                "security activity",
                Source::Account(AccountId(2)),
                LogQuery {
                    limit: 20,
                    ..Default::default()
                },
            ),
        ];
        let mut rendered: String = plans
            .iter()
            .map(|(name, source, q)| format!("-- {name}\n{};\n\n", sql(*source, q)))
            .collect();
        let export = LogQuery {
            actor: Some(AccountId(2)),
            cursor: Some(EventCursor::Older(at, 77)),
            limit: 5_000,
            ..Default::default()
        };
        let bare = diesel::debug_query::<diesel::pg::Pg, _>(&render_with(
            Source::Org(OrgId(1)),
            &export,
            true,
        ))
        .to_string();
        let bare = bare.split(" -- binds:").next().unwrap_or_default();
        rendered.push_str(&format!(
            "-- export batch, its names read apart (People)\n{bare};\n\n"
        ));
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/audit/golden.sql");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(path, &rendered).unwrap();
        }
        let golden = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            golden, rendered,
            "the audit log's SQL changed; review it and rerun with UPDATE_GOLDEN=1"
        );
    }
}
