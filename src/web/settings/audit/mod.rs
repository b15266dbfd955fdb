//! Settings → Audit log: every event of the organization, newest first, 50 a
//! page by keyset, filters kept in the URL, each row's before/after in a
//! `<details>`; the CSV export of exactly the filtered events (streamed, see
//! `audit_export`); and the retention setting.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db::{self, audit::log as q, PgPool};
use crate::domain::audit::{
    actions_labelled, cursor_key, day_range, parse_cursor_key, ActionGroup, AuditDay, EventCursor,
    RetentionDays,
};
use crate::domain::audit_story::Names;
use crate::domain::{policy, AccountId, Invalid, MembershipId, OrgId, SearchText};
use crate::error::{AppError, AppResult};
use crate::web::plumbing::context::{flash, Layout, OrgContext};
use crate::web::plumbing::htmx::{fragment_with_toast, page_or_fragment, see_other, Wants};

mod export;
pub mod view;

use crate::web::plumbing::routing::routes;
pub use export::audit_export;
use view::{event_view, EventView};

pub const PAGE_SIZE: i64 = 50;
pub const MAX_TEXT: usize = 200;

routes! {
    GET "/orgs/{org}/settings/audit" => audit_index,
    GET "/orgs/{org}/settings/audit/export.csv" => audit_export,
    POST "/orgs/{org}/settings/audit/retention" => audit_retention,
}

fn allow(ctx: &OrgContext, action: policy::Action) -> AppResult<()> {
    policy::check(&ctx.actor, action).map_err(|policy::Denied(reason)| AppError::forbidden(reason))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogParams {
    pub actor: String,
    pub member: String,
    pub group: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub after: String,
    pub before: String,
}

/// The filters as the URL keeps them, echoed into the form, and what was wrong with them.
#[derive(Debug, Clone, Default)]
pub struct LogState {
    pub actor: String,
    pub member: String,
    pub group: String,
    pub from: String,
    pub to: String,
    pub q: String,
    pub errors: Vec<(&'static str, String)>,
    days: (Option<AuditDay>, Option<AuditDay>),
    group_value: Option<ActionGroup>,
    text: Option<String>,
    cursor: Option<EventCursor>,
}

/// Keeps at most this many characters of a value echoed back into the form.
fn echo(raw: &str) -> String {
    raw.trim().chars().take(MAX_TEXT).collect()
}

impl LogState {
    pub fn parse(raw: &LogParams) -> Self {
        let mut state = Self {
            actor: echo(&raw.actor),
            member: echo(&raw.member),
            group: echo(&raw.group),
            from: echo(&raw.from),
            to: echo(&raw.to),
            q: echo(&raw.q),
            ..Self::default()
        };
        let mut check = |field: &'static str, r: Result<(), Invalid>| {
            if let Err(Invalid(message)) = r {
                state.errors.push((field, message));
            }
        };
        let mut text = None;
        check(
            "q",
            SearchText::parse(&raw.q, MAX_TEXT).map(|t| {
                text = Some(t.into_string().to_lowercase()).filter(|t| !t.is_empty());
            }),
        );
        let (mut from, mut to) = (None, None);
        check("from", AuditDay::parse(&raw.from).map(|d| from = d));
        check("to", AuditDay::parse(&raw.to).map(|d| to = d));
        let mut days = (None, None);
        check("to", day_range(from, to).map(|r| days = r));
        let mut group_value = None;
        if !raw.group.trim().is_empty() {
            group_value = ActionGroup::parse(raw.group.trim());
            if group_value.is_none() {
                check(
                    "group",
                    Err(Invalid::new("Choose an action group from the list.")),
                );
            }
        }
        for (field, value) in [("actor", &raw.actor), ("member", &raw.member)] {
            if value.trim().chars().count() > 254 || value.chars().any(char::is_control) {
                check(
                    field,
                    Err(Invalid::new("Name a member by their ID or email address.")),
                );
            }
        }
        state.text = text;
        state.days = days;
        state.group_value = group_value;
        state.cursor = match (parse_cursor_key(&raw.after), parse_cursor_key(&raw.before)) {
            (Some((at, id)), _) => Some(EventCursor::Older(at, id)),
            (None, Some((at, id))) => Some(EventCursor::Newer(at, id)),
            (None, None) => None,
        };
        state
    }

    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_filtered(&self) -> bool {
        [
            &self.actor,
            &self.member,
            &self.group,
            &self.from,
            &self.to,
            &self.q,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }

    /// The filters' query string, without a cursor.
    pub fn filters(&self) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("actor", &self.actor),
            ("member", &self.member),
            ("group", &self.group),
            ("from", &self.from),
            ("to", &self.to),
            ("q", &self.q),
        ] {
            if !v.is_empty() {
                url.append_pair(k, v);
            }
        }
        url.finish()
    }

    fn with(&self, key: &str, value: &str) -> String {
        let filters = self.filters();
        let sep = if filters.is_empty() { "" } else { "&" };
        format!("{filters}{sep}{key}={value}")
    }

    /// The query the log's statement runs, once the named members are known.
    fn query(
        &self,
        actor: Option<AccountId>,
        member: Option<MembershipId>,
        limit: i64,
    ) -> q::LogQuery {
        q::LogQuery {
            actor,
            member,
            group: self.group_value,
            from: self.days.0.map(AuditDay::start),
            until: self.days.1.map(AuditDay::end),
            text_actions: self
                .text
                .as_deref()
                .map(actions_labelled)
                .unwrap_or_default(),
            text: self.text.clone(),
            cursor: self.cursor,
            limit,
        }
    }
}

/// A page of the log, told.
pub struct LogPage {
    pub rows: Vec<EventView>,
    pub next: Option<String>,
    pub prev: Option<String>,
}

impl LogPage {
    fn empty() -> Self {
        Self {
            rows: Vec::new(),
            next: None,
            prev: None,
        }
    }
}

/// A filter's field and what is wrong with it.
pub type FilterError = (&'static str, String);

/// The actor and the member a filter names, resolved.
type Named = (Option<AccountId>, Option<MembershipId>);

/// Resolves the filter's named members, or says which is unknown.
fn resolve(
    conn: &mut diesel::PgConnection,
    org: OrgId,
    state: &LogState,
) -> AppResult<Result<Named, FilterError>> {
    let mut found = (None, None);
    for (field, raw) in [("actor", &state.actor), ("member", &state.member)] {
        if raw.is_empty() {
            continue;
        }
        match q::find_filter_member(conn, org, raw)? {
            Some(m) if field == "actor" => found.0 = Some(AccountId(m.account_id)),
            Some(m) => found.1 = Some(MembershipId(m.id)),
            None => {
                return Ok(Err((
                    field,
                    format!("No member of this organization has the ID or email {raw:?}."),
                )))
            }
        }
    }
    Ok(Ok(found))
}

/// The filtered query, or the filter's errors (named members resolved first).
pub fn prepare(
    conn: &mut diesel::PgConnection,
    org: OrgId,
    state: &LogState,
    limit: i64,
) -> AppResult<Result<(q::LogQuery, Names), FilterError>> {
    Ok(match resolve(conn, org, state)? {
        Ok((actor, member)) => Ok((state.query(actor, member, limit), q::names(conn, org)?)),
        Err(e) => Err(e),
    })
}

fn load_page(
    conn: &mut diesel::PgConnection,
    org: OrgId,
    state: &LogState,
) -> AppResult<Result<LogPage, FilterError>> {
    let (query, names) = match prepare(conn, org, state, PAGE_SIZE)? {
        Ok(found) => found,
        Err(e) => return Ok(Err(e)),
    };
    let (rows, more) = q::page(conn, q::Source::Org(org), &query)?;
    let newer_exists = match state.cursor {
        None => false,
        Some(EventCursor::Older(..)) => true,
        Some(EventCursor::Newer(..)) => more,
    };
    let older_exists = match state.cursor {
        Some(EventCursor::Newer(..)) => true,
        _ => more,
    };
    let key = |r: &q::EventRow| cursor_key(r.created_at, r.id);
    Ok(Ok(LogPage {
        next: rows
            .last()
            .filter(|_| older_exists)
            .map(|r| state.with("after", &key(r))),
        prev: rows
            .first()
            .filter(|_| newer_exists)
            .map(|r| state.with("before", &key(r))),
        rows: rows.iter().map(|r| event_view(r, &names)).collect(),
    }))
}

#[derive(Template)]
#[template(path = "pages/settings/audit.html")]
pub struct AuditPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub state: &'a LogState,
    pub page: &'a LogPage,
    pub groups: &'a [ActionGroup],
    pub retention: RetentionForm,
}

#[derive(Template)]
#[template(path = "fragments/audit/_log.html")]
pub struct LogFragment<'a> {
    pub org_id: i64,
    pub state: &'a LogState,
    pub page: &'a LogPage,
}

/// The retention form's state.
#[derive(Debug, Clone)]
pub struct RetentionForm {
    pub value: String,
    pub error: Option<String>,
    /// Why the viewer may not change it, if they may not.
    pub denied: Option<&'static str>,
    pub csrf: String,
}

#[derive(Template)]
#[template(path = "fragments/audit/_retention.html")]
pub struct RetentionFragment<'a> {
    pub org_id: i64,
    pub retention: &'a RetentionForm,
}

pub async fn audit_index(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    params: web::Query<LogParams>,
) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ViewAudit)?;
    render_index(&req, &pool, &ctx, LogState::parse(&params), None).await
}

/// The log page (or its fragment), with the retention form as given or as stored.
async fn render_index(
    req: &HttpRequest,
    pool: &PgPool,
    ctx: &OrgContext,
    mut state: LogState,
    retention_form: Option<RetentionForm>,
) -> AppResult<HttpResponse> {
    let org = ctx.org.id;
    let valid = state.errors.is_empty();
    let s = state.clone();
    let (page, retention) = db::run(pool, move |conn| {
        let page = if valid {
            load_page(conn, org, &s)?
        } else {
            Ok(LogPage::empty())
        };
        Ok((page, db::audit::retention_of(conn, org)?))
    })
    .await?;
    let page = page.unwrap_or_else(|e| {
        state.errors.push(e);
        LogPage::empty()
    });
    let invalid =
        !state.errors.is_empty() || retention_form.as_ref().is_some_and(|r| r.error.is_some());
    let status = if invalid {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let layout = Layout::in_org(ctx, "settings-audit");
    let retention = retention_form.unwrap_or_else(|| RetentionForm {
        value: retention.map(|d| d.to_string()).unwrap_or_default(),
        error: None,
        denied: policy::check(&ctx.actor, policy::Action::ChangeAuditRetention)
            .err()
            .map(|d| d.0),
        csrf: layout.csrf.clone(),
    });
    page_or_fragment(
        req,
        status,
        || AuditPage {
            layout,
            org_id: org.0,
            state: &state,
            page: &page,
            groups: &ActionGroup::ALL,
            retention,
        },
        || LogFragment {
            org_id: org.0,
            state: &state,
            page: &page,
        },
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RetentionParams {
    pub days: String,
}

pub async fn audit_retention(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    form: web::Form<RetentionParams>,
) -> AppResult<HttpResponse> {
    allow(&ctx, policy::Action::ChangeAuditRetention)?;
    let org = ctx.org.id;
    let csrf = crate::web::plumbing::csrf::token(&ctx.me.session);
    let days = match RetentionDays::parse(&form.days) {
        Ok(days) => days,
        Err(Invalid(message)) => {
            let retention = RetentionForm {
                value: echo(&form.days),
                error: Some(message),
                denied: None,
                csrf,
            };
            if !Wants::of(&req).is_fragment() {
                let state = LogState::default();
                return render_index(&req, &pool, &ctx, state, Some(retention)).await;
            }
            return crate::web::plumbing::htmx::render_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RetentionFragment {
                    org_id: org.0,
                    retention: &retention,
                },
            );
        }
    };
    let actor = ctx.actor;
    db::run(&pool, move |conn| {
        crate::services::audit::set_retention(conn, &actor, org, days)
    })
    .await?;
    let message = match days.days() {
        None => "The audit log keeps events forever.".to_owned(),
        Some(1) => "The audit log keeps events for 1 day.".to_owned(),
        Some(n) => format!("The audit log keeps events for {n} days."),
    };
    if Wants::of(&req).is_fragment() {
        let retention = RetentionForm {
            value: days.days().map(|d| d.to_string()).unwrap_or_default(),
            error: None,
            denied: None,
            csrf,
        };
        return fragment_with_toast(
            &RetentionFragment {
                org_id: org.0,
                retention: &retention,
            },
            "success",
            &message,
        );
    }
    flash(&ctx.me.session, "success", message);
    Ok(see_other(&format!("/orgs/{org}/settings/audit")))
}
