//! The members list: search, filters, sort and pages kept in the URL; rows that
//! swap in place for an inline edit form; bulk actions applied row by row.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::forms::MemberForm;
use super::view::{edit_form, member_view, EditForm, MemberView};
use crate::db::{self, members as q, PgPool};
use crate::domain::{
    policy, Feature, MembershipId, MembershipStatus, OrgId, OrgRole, Scope, TeamId, TeamRole,
};
use crate::error::{AppError, AppResult};
use crate::services::members::{self as svc, MemberPatch};
use crate::web::plumbing::context::{flash, Layout, OrgContext};
use crate::web::plumbing::forms::parse_form;
use crate::web::plumbing::htmx::{
    fragment_with_toast, page_or_fragment, redirect, render_status, Wants,
};

pub const PAGE_SIZE: i64 = 50;
pub const MAX_SEARCH: usize = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub role: String,
    pub status: String,
    pub team: String,
    pub sort: String,
    pub page: String,
    pub after: String,
    pub before: String,
}

/// The list's state, validated, as the URL keeps it.
#[derive(Debug, Clone, Default)]
pub struct ListState {
    pub q: String,
    pub role: Option<OrgRole>,
    pub status: Option<MembershipStatus>,
    pub team: Option<i64>,
    pub sort: q::MemberSort,
    pub page: i64,
    /// The member a Next or Previous link started this page beside.
    pub anchor: Option<q::Anchor>,
    pub error: Option<String>,
}

impl ListState {
    pub(crate) fn parse(raw: &ListQuery) -> Self {
        let mut state = Self {
            page: 1,
            ..Self::default()
        };
        match crate::domain::SearchText::parse(&raw.q, MAX_SEARCH) {
            Ok(search) => state.q = search.into_string(),
            Err(crate::domain::Invalid(message)) => state.error = Some(message),
        }
        state.role = OrgRole::parse(&raw.role);
        state.status = MembershipStatus::parse(&raw.status);
        state.team = raw.team.parse().ok();
        state.sort = q::MemberSort::parse(&raw.sort).unwrap_or_default();
        state.page = raw
            .page
            .trim()
            .parse::<i64>()
            .unwrap_or(1)
            .clamp(1, 1_000_000);
        // Page 1 starts at the top whatever a link says.
        let member = |raw: &str| {
            raw.trim()
                .parse()
                .ok()
                .filter(|id| *id > 0)
                .map(MembershipId)
        };
        state.anchor = match (member(&raw.after), member(&raw.before)) {
            _ if state.page == 1 => None,
            (Some(after), _) => Some(q::Anchor::After(after)),
            (None, before) => before.map(q::Anchor::Before),
        };
        state
    }

    /// The list this state asks for, as anyone who sees every member sees it.
    pub(crate) fn list_filter(&self) -> q::MemberFilter {
        q::MemberFilter {
            search: (!self.q.is_empty()).then(|| self.q.to_lowercase()),
            role: self.role,
            status: self.status,
            team: self.team.map(TeamId),
            only_account: None,
            sort: self.sort,
        }
    }

    fn filter(&self, ctx: &OrgContext) -> q::MemberFilter {
        let sees_all = policy::check(&ctx.actor, policy::Action::ViewMembers).is_ok();
        q::MemberFilter {
            only_account: (!sees_all).then_some(ctx.actor.account_id),
            ..self.list_filter()
        }
    }

    /// Whether the list is narrowed to this role (the filter menu's choice).
    pub fn role_is(&self, role: &OrgRole) -> bool {
        self.role == Some(*role)
    }

    /// Whether the list is narrowed to this status.
    pub fn status_is(&self, status: &MembershipStatus) -> bool {
        self.status == Some(*status)
    }

    /// Whether the list is narrowed to this team.
    pub fn team_is(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.team == Some(*id.borrow())
    }

    /// The query string for this state on another page: this page keeps its
    /// anchor, another page goes by its number.
    pub fn href(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = *page.borrow();
        self.href_at(page, self.anchor.filter(|_| page == self.page))
    }

    /// The Next link's query: the next page, starting after this page's last
    /// member when the list can be read from there.
    pub fn next_href(&self, list: &Listing) -> String {
        let anchor = list
            .last_id
            .filter(|_| self.list_filter().plain_by_name())
            .map(|id| q::Anchor::After(MembershipId(id)));
        self.href_at(self.page + 1, anchor)
    }

    /// The Previous link's query: the page before, ending before this page's
    /// first member (page 1 is just page 1).
    pub fn prev_href(&self, list: &Listing) -> String {
        let anchor = list
            .first_id
            .filter(|_| self.page > 2 && self.list_filter().plain_by_name())
            .map(|id| q::Anchor::Before(MembershipId(id)));
        self.href_at(self.page - 1, anchor)
    }

    /// The filter alone (no page), as the bulk bar's "every member matching"
    /// carries it for the bulk handler to run again.
    pub fn filter_query(&self) -> String {
        self.href_at(1, None)
    }

    /// Whether the list is narrowed at all (search, role, status or team).
    pub fn is_filtered(&self) -> bool {
        !self.q.is_empty() || self.role.is_some() || self.status.is_some() || self.team.is_some()
    }

    /// The filter in words, for the bulk confirmation: "matching “ann”, in the team Support".
    pub fn describe_filter(&self, teams: &[q::TeamOption]) -> String {
        let mut parts = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!("matching “{}”", self.q));
        }
        if let Some(role) = self.role {
            parts.push(format!("with the role {}", role.label()));
        }
        if let Some(status) = self.status {
            parts.push(format!("who are {}", status.as_str()));
        }
        if let Some(team) = self.team {
            let name = teams.iter().find(|t| t.id == team).map(|t| t.name.as_str());
            parts.push(format!("in the team {}", name.unwrap_or("(unknown)")));
        }
        if parts.is_empty() {
            return "in this organization".to_owned();
        }
        parts.join(", ")
    }

    /// The query string of this list sorted by `sort`, from its first page.
    pub fn sorted_by(&self, sort: q::MemberSort) -> String {
        Self {
            sort,
            ..self.clone()
        }
        .href_at(1, None)
    }

    fn href_at(&self, page: i64, anchor: Option<q::Anchor>) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", self.q.as_str()),
            ("role", self.role.map_or("", OrgRole::as_str)),
            ("status", self.status.map_or("", MembershipStatus::as_str)),
        ] {
            if !v.is_empty() {
                url.append_pair(k, v);
            }
        }
        if let Some(team) = self.team {
            url.append_pair("team", &team.to_string());
        }
        if self.sort != q::MemberSort::Name {
            url.append_pair("sort", self.sort.key());
        }
        match anchor {
            Some(q::Anchor::After(id)) => url.append_pair("after", &id.0.to_string()),
            Some(q::Anchor::Before(id)) => url.append_pair("before", &id.0.to_string()),
            None => &mut url,
        };
        if page > 1 {
            url.append_pair("page", &page.to_string());
        }
        url.finish()
    }
}

/// 253412 as "253,412".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub struct Listing {
    pub rows: Vec<MemberView>,
    pub total: i64,
    /// `total` (and so `pages`) is an estimate: shown as "about".
    pub approximate: bool,
    pub pages: i64,
    pub teams: Vec<q::TeamOption>,
    /// The first and last members shown, for the Previous and Next links.
    pub first_id: Option<i64>,
    pub last_id: Option<i64>,
}

impl Listing {
    /// Whether the filter matches more members than this page shows.
    pub fn more_than_page(&self) -> bool {
        self.total > self.rows.len() as i64
    }

    /// Whether "Select all N members" may be offered: more than the page, and
    /// an exact N (an estimate is never a number to confirm a bulk change by).
    pub fn may_select_matching(&self) -> bool {
        self.more_than_page() && !self.rows.is_empty() && !self.approximate
    }

    /// The total as the summary line says it: "about 250,000" for an estimate.
    pub fn total_label(&self) -> String {
        if self.approximate {
            format!("about {}", thousands(self.total))
        } else {
            self.total.to_string()
        }
    }

    pub fn has_groups(&self) -> bool {
        self.teams.iter().any(|t| !t.groups.is_empty())
    }
}

#[derive(Template)]
#[template(path = "pages/members/index.html")]
pub struct MembersPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub state: &'a ListState,
    pub list: &'a Listing,
    pub sees_all: bool,
    pub may_invite: bool,
    pub sorts: &'a [q::MemberSort],
    pub roles: &'a [OrgRole],
    pub statuses: &'a [MembershipStatus],
    /// The bulk bar's team roles.
    pub team_roles: &'a [TeamRole],
    /// Presence dots, live through the stream (the Presence feature).
    pub presence: bool,
}

#[derive(Template)]
#[template(path = "fragments/members/_table.html")]
pub struct MembersTable<'a> {
    pub org_id: i64,
    pub state: &'a ListState,
    pub list: &'a Listing,
    pub csrf: &'a str,
    pub presence: bool,
}

/// The page's rows and total, Owner count, pending invitations and filter
/// options: three statements whatever the page size (see [`q::list_page`]).
pub fn load_listing(
    conn: &mut diesel::PgConnection,
    ctx_org: OrgId,
    actor: &policy::Actor,
    filter: &q::MemberFilter,
    page: i64,
    anchor: Option<q::Anchor>,
    counts: &q::SearchCounts,
) -> AppResult<Listing> {
    let q::Page {
        rows,
        total,
        approximate,
        owners,
        invitations,
    } = q::list_page(
        conn,
        ctx_org,
        filter,
        PAGE_SIZE,
        (page - 1) * PAGE_SIZE,
        anchor,
        counts,
    )?;
    let pending: Vec<(i64, OrgRole)> = rows
        .iter()
        .filter(|r| r.status == MembershipStatus::Pending)
        .map(|r| (r.id, r.role))
        .collect();
    let invitations = crate::web::invitations::view::pending_views(actor, &pending, invitations);
    let teams = q::team_options(conn, ctx_org)?;
    let mut views: Vec<MemberView> = rows.iter().map(|r| member_view(r, actor, owners)).collect();
    for (id, invitation) in invitations {
        if let Some(view) = views.iter_mut().find(|v| v.id == id) {
            view.invitation = Some(invitation);
        }
    }
    Ok(Listing {
        first_id: views.first().map(|v| v.id),
        last_id: views.last().map(|v| v.id),
        rows: views,
        pages: ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1),
        total,
        approximate,
        teams,
    })
}

pub async fn members_index(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    counts: web::Data<q::SearchCounts>,
    ctx: OrgContext,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let state = ListState::parse(&query);
    let filter = state.filter(&ctx);
    let (org, actor, page, anchor) = (ctx.org.id, ctx.actor, state.page, state.anchor);
    #[cfg(feature = "bench")]
    if req.headers().contains_key("x-bench-new-search") {
        counts.forget(org, &filter);
    }
    let list = if state.error.is_some() {
        Listing {
            rows: Vec::new(),
            total: 0,
            approximate: false,
            pages: 1,
            teams: Vec::new(),
            first_id: None,
            last_id: None,
        }
    } else {
        db::run(&pool, move |conn| {
            load_listing(conn, org, &actor, &filter, page, anchor, &counts)
        })
        .await?
    };
    let status = if state.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let sees_all = policy::check(&ctx.actor, policy::Action::ViewMembers).is_ok();
    let layout = Layout::in_org(&ctx, "members");
    let csrf = layout.csrf.clone();
    let presence = ctx.feature_on(Feature::Presence);
    page_or_fragment(
        &req,
        status,
        || MembersPage {
            layout,
            org_id: org.0,
            state: &state,
            list: &list,
            sees_all,
            may_invite: ctx.actor.has(crate::domain::Permission::MembersInvite),
            sorts: &q::MemberSort::ALL,
            roles: &OrgRole::ALL,
            statuses: &MembershipStatus::ALL,
            team_roles: &TeamRole::MENU,
            presence,
        },
        || MembersTable {
            org_id: org.0,
            state: &state,
            list: &list,
            csrf: &csrf,
            presence,
        },
    )
}

#[derive(Template)]
#[template(path = "fragments/members/_row.html")]
pub struct RowFragment<'a> {
    pub org_id: i64,
    pub m: &'a MemberView,
    /// Only pending rows' invitation buttons use it; rows re-rendered alone carry none.
    pub csrf: &'a str,
    pub presence: bool,
}

#[derive(Template)]
#[template(path = "fragments/members/_edit_row.html")]
pub struct EditRowFragment<'a> {
    pub org_id: i64,
    pub f: &'a EditForm,
    pub csrf: &'a str,
    pub inline: bool,
}

#[derive(Template)]
#[template(path = "pages/members/edit.html")]
pub struct EditPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub f: &'a EditForm,
    pub inline: bool,
}

fn member_id(req: &HttpRequest) -> AppResult<MembershipId> {
    req.match_info()
        .get("member")
        .and_then(|v| v.parse().ok())
        .map(MembershipId)
        .ok_or(AppError::NotFound)
}

async fn load_form(pool: &PgPool, ctx: &OrgContext, member: MembershipId) -> AppResult<EditForm> {
    let (org, actor, organization) = (ctx.org.id, ctx.actor, ctx.org.clone());
    let sees_all = policy::check(&ctx.actor, policy::Action::ViewMembers).is_ok();
    db::run(pool, move |conn| {
        let (row, owners) = q::find_row(conn, org, member)?.ok_or(AppError::NotFound)?;
        if !sees_all && row.account_id != actor.account_id.0 {
            return Err(AppError::NotFound);
        }
        let mut roles = db::roles::list_for_org(conn, org, Scope::Org)?;
        roles.extend(db::roles::list_for_org(conn, org, Scope::Team)?);
        let teams = q::team_options(conn, org)?;
        let rights = svc::TeamRights::load(conn, &actor, org)?;
        let groups_on = crate::services::groups::modules(conn, &organization)?.groups;
        let groups = (&rights, groups_on);
        Ok(edit_form(&row, &actor, owners, &roles, &teams, groups))
    })
    .await
}

fn render_form(
    wants: Wants,
    ctx: &OrgContext,
    status: StatusCode,
    form: &EditForm,
) -> AppResult<HttpResponse> {
    let layout = Layout::in_org(ctx, "members");
    let csrf = layout.csrf.clone();
    page_or_fragment(
        wants,
        status,
        || EditPage {
            layout,
            org_id: ctx.org.id.0,
            f: form,
            inline: false,
        },
        || EditRowFragment {
            org_id: ctx.org.id.0,
            f: form,
            csrf: &csrf,
            inline: true,
        },
    )
}

pub async fn members_edit(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let form = load_form(&pool, &ctx, member_id(&req)?).await?;
    if let Some(reason) = form.member.edit_denied {
        return Err(AppError::forbidden(reason));
    }
    render_form(wants, &ctx, StatusCode::OK, &form)
}

pub async fn members_row(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    let form = load_form(&pool, &ctx, member_id(&req)?).await?;
    render_status(
        StatusCode::OK,
        &RowFragment {
            org_id: ctx.org.id.0,
            m: &form.member,
            csrf: "",
            presence: ctx.feature_on(Feature::Presence),
        },
    )
}

/// Reads the inline form and saves it: the member's row as the list shows it
/// now. A form that cannot be read is refused like a change the policy refuses.
async fn save(
    pool: &PgPool,
    ctx: &OrgContext,
    member: MembershipId,
    body: &[u8],
) -> AppResult<MemberView> {
    let patch = MemberPatch::try_from(parse_form::<MemberForm>(body)?)?;
    let (org, actor) = (ctx.org.id, ctx.actor);
    db::run(pool, move |conn| {
        // The saved row, in the same trip to the pool.
        let (row, owners) = match svc::update_member(conn, &actor, org, member, patch)? {
            Some(saved) => saved,
            None => q::find_row(conn, org, member)?.ok_or(AppError::NotFound)?,
        };
        Ok(member_view(&row, &actor, owners))
    })
    .await
}

pub async fn members_update(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    ctx: OrgContext,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let member = member_id(&req)?;
    let org = ctx.org.id;
    let (status, message) = match save(&pool, &ctx, member, &body).await {
        Ok(view) => {
            let saved = format!("Saved {}.", view.display_name);
            if wants.is_fragment() {
                return fragment_with_toast(
                    &RowFragment {
                        org_id: org.0,
                        m: &view,
                        csrf: "",
                        presence: ctx.feature_on(Feature::Presence),
                    },
                    "success",
                    &saved,
                );
            }
            flash(&ctx.me.session, "success", saved);
            return Ok(redirect(wants, &format!("/orgs/{org}/members")));
        }
        Err(AppError::NotFound) => return Err(AppError::NotFound),
        Err(e @ (AppError::Validation(_) | AppError::Forbidden(_) | AppError::Conflict(_))) => {
            (actix_web::ResponseError::status_code(&e), e.to_string())
        }
        Err(other) => return Err(other),
    };
    let mut form = load_form(&pool, &ctx, member).await?;
    form.error = Some(message);
    render_form(wants, &ctx, status, &form)
}

/// The benchmark's ceiling: the page's own query and rows, with no session,
/// authorization or layout. Compiled only with `--features bench`.
#[cfg(feature = "bench")]
pub async fn bench_members(
    pool: web::Data<PgPool>,
    counts: web::Data<q::SearchCounts>,
    path: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let org = OrgId(path.into_inner());
    let state = ListState::parse(&query);
    let filter = state.list_filter();
    let actor = policy::Actor::new(crate::domain::AccountId(0), OrgRole::Owner);
    let (page, anchor) = (state.page, state.anchor);
    let list = db::run(&pool, move |conn| {
        load_listing(conn, org, &actor, &filter, page, anchor, &counts)
    })
    .await?;
    render_status(
        StatusCode::OK,
        &MembersTable {
            org_id: org.0,
            state: &state,
            list: &list,
            csrf: "",
            presence: false,
        },
    )
}
