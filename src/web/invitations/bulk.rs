//! Inviting a list from the invite dialog: a pasted list (comma, space,
//! semicolon or newline separated) or an uploaded CSV (`email` column, optional
//! `role` and `team`) first shows a preview line by line; its confirm form
//! carries the list back (as a normalized CSV) and shows a result per line.

use actix_session::Session;
use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use askama::Template;

use super::{changed, field, links, may_invite_any, parse_grants, refused, Grants};
use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::error::{AppError, AppResult};
use crate::services::invitations::bulk::{
    self as svc, BulkRequest, LineInput, Plan, PlannedLine, MAX_LINES,
};
use crate::services::limits;
use crate::web::plumbing::context::{client_ip, Layout, OrgContext};
use crate::web::plumbing::forms::{pairs, FormErrors};
use crate::web::plumbing::htmx::{org_page_or_fragment, Toast, Wants};
use crate::web::plumbing::upload::{self, MAX_CSV_BYTES, MAX_INVITE_FORM_BYTES};

/// A submitted invite form: its text fields, and the CSV file when one was chosen.
pub struct Submission {
    pub fields: Vec<(String, String)>,
    pub csv: Option<Vec<u8>>,
}

/// Reads the form, urlencoded or multipart, refusing it past the size limits.
pub async fn read_submission(req: &HttpRequest, payload: web::Payload) -> AppResult<Submission> {
    upload::check_length(req, MAX_INVITE_FORM_BYTES)?;
    let body = upload::read_capped(payload, MAX_INVITE_FORM_BYTES).await?;
    if !upload::is_multipart(req) {
        return Ok(Submission {
            fields: pairs(&body),
            csv: None,
        });
    }
    let parts = upload::parts(req.headers(), body).await?;
    let csv = parts
        .iter()
        .find(|p| p.name == "csv" && p.filename.is_some() && !p.data.is_empty());
    if csv.is_some_and(|p| p.data.len() > MAX_CSV_BYTES) {
        return Err(upload::too_large(MAX_CSV_BYTES));
    }
    Ok(Submission {
        fields: upload::text_fields(&parts),
        csv: csv.map(|p| p.data.to_vec()),
    })
}

/// The lines of a list or a CSV; `None` when the form holds one address (or
/// something that is not a list at all), which is invited directly.
pub fn lines_of(submitted: &Submission, errors: &mut FormErrors) -> Option<Vec<LineInput>> {
    if let Some(csv) = &submitted.csv {
        return Some(parse_csv(csv, "csv", errors));
    }
    let raw = field(&submitted.fields, "email");
    let tokens: Vec<&str> = raw
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.iter().filter(|t| t.contains('@')).count() < 2 {
        return None;
    }
    if tokens.len() > MAX_LINES {
        errors.add("email", too_many(tokens.len()));
    }
    Some(
        tokens
            .into_iter()
            .take(MAX_LINES + 1)
            .map(|t| LineInput {
                email: t.to_owned(),
                ..LineInput::default()
            })
            .collect(),
    )
}

fn too_many(n: usize) -> String {
    format!("At most {MAX_LINES} addresses at a time; this list has {n}. Nobody was invited.")
}

/// A CSV with a header row naming an `email` column and optionally `role` and
/// `team`; other columns are ignored. Problems are recorded under `name`.
fn parse_csv(data: &[u8], name: &'static str, errors: &mut FormErrors) -> Vec<LineInput> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(data);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h
            .iter()
            .map(|c| c.trim_start_matches('\u{feff}').trim().to_lowercase())
            .collect(),
        Err(e) => {
            errors.add(name, format!("The CSV file could not be read: {e}."));
            return Vec::new();
        }
    };
    let column = |wanted: &str| headers.iter().position(|h| h == wanted);
    let Some(email) = column("email") else {
        errors.add(
            name,
            format!(
                "The CSV file needs a header row with an \"email\" column (and optionally \"role\" and \"team\"); its columns are: {}.",
                headers.join(", ")
            ),
        );
        return Vec::new();
    };
    let (role, team) = (column("role"), column("team"));
    let mut lines = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.add(
                    name,
                    format!("The CSV file could not be read at row {}: {e}.", i + 2),
                );
                return Vec::new();
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        if lines.len() == MAX_LINES {
            errors.add(name, "The CSV file has more than 1000 addresses; at most 1000 at a time. Nobody was invited.");
            return Vec::new();
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::to_owned);
        lines.push(LineInput {
            email: cell(Some(email)).unwrap_or_default(),
            role: cell(role),
            team: cell(team),
        });
    }
    if lines.is_empty() {
        errors.add(name, "The CSV file has no addresses below its header row.");
    }
    lines
}

/// The list as the confirm form carries it back.
fn lines_csv(lines: &[LineInput]) -> AppResult<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut write = |row: [&str; 3]| writer.write_record(row).map_err(AppError::unexpected);
    write(["email", "role", "team"])?;
    for l in lines {
        write([
            &l.email,
            l.role.as_deref().unwrap_or(""),
            l.team.as_deref().unwrap_or(""),
        ])?;
    }
    let bytes = writer.into_inner().map_err(AppError::unexpected)?;
    String::from_utf8(bytes).map_err(AppError::unexpected)
}

/// A preview (before confirming) or a result (after), line by line.
pub struct BulkView {
    pub org_id: i64,
    pub plan: Plan,
    /// The form's other fields, carried back by the confirm form.
    pub hidden: Vec<(String, String)>,
    pub lines: String,
    pub error: Option<String>,
    pub done: bool,
}

impl BulkView {
    pub fn invitable(&self) -> i64 {
        self.plan.seats_needed()
    }
    pub fn lines_count(&self) -> usize {
        self.plan.lines.len()
    }
    pub fn skipped(&self) -> usize {
        self.plan.lines.len() - self.plan.seats_needed() as usize
    }
    /// The lines that are (or were) invited, in the list's order.
    pub fn to_invite(&self) -> Vec<&PlannedLine> {
        self.plan
            .lines
            .iter()
            .filter(|l| l.standing.invitable())
            .collect()
    }
    /// The lines that are skipped, each with its reason.
    pub fn to_skip(&self) -> Vec<&PlannedLine> {
        self.plan
            .lines
            .iter()
            .filter(|l| !l.standing.invitable())
            .collect()
    }
}

#[derive(Template)]
#[template(path = "fragments/invitations/_bulk.html")]
pub struct BulkFragment<'a> {
    pub v: &'a BulkView,
    pub csrf: &'a str,
}

#[derive(Template)]
#[template(path = "pages/invitations/bulk.html")]
pub struct BulkPage<'a> {
    pub layout: Layout,
    pub v: &'a BulkView,
}

fn hidden_fields(grants: &Grants) -> Vec<(String, String)> {
    let mut hidden = vec![("role".to_owned(), grants.role.as_str().to_owned())];
    for (team, role) in &grants.teams {
        hidden.push((format!("team_{team}"), role.as_str().to_owned()));
    }
    for key in grants.permissions.map(|p| p.keys()).unwrap_or_default() {
        hidden.push(("perm".to_owned(), key));
    }
    hidden
}

fn view(
    ctx: &OrgContext,
    request: &BulkRequest,
    grants: &Grants,
    plan: Plan,
) -> AppResult<BulkView> {
    Ok(BulkView {
        org_id: ctx.org.id.0,
        plan,
        hidden: hidden_fields(grants),
        lines: lines_csv(&request.lines)?,
        error: None,
        done: false,
    })
}

fn render(
    wants: Wants,
    ctx: &OrgContext,
    status: StatusCode,
    v: &BulkView,
) -> AppResult<HttpResponse> {
    org_page_or_fragment(
        wants,
        ctx,
        "members",
        status,
        |layout| BulkPage { layout, v },
        |csrf| BulkFragment { v, csrf }.render(),
    )
}

fn request_of(grants: &Grants, lines: Vec<LineInput>) -> BulkRequest {
    BulkRequest {
        lines,
        role: grants.role,
        teams: grants.teams.clone(),
        permissions: grants.permissions,
    }
}

/// The plan for `request`, counting its addresses against `limits` (none when
/// the list was counted already).
async fn run_preview(
    pool: &PgPool,
    ctx: &OrgContext,
    request: &BulkRequest,
    limits: Vec<limits::Bucket>,
) -> AppResult<Plan> {
    let (org, actor, request) = (ctx.org.id, ctx.actor, request.clone());
    db::run(pool, move |conn| {
        svc::preview(conn, &actor, org, &request, &limits)
    })
    .await
}

/// Shows what inviting the list would do, changing nothing.
pub async fn preview(
    req: &HttpRequest,
    pool: &PgPool,
    ctx: &OrgContext,
    grants: Option<Grants>,
    lines: Vec<LineInput>,
    errors: FormErrors,
    fields: &[(String, String)],
) -> AppResult<HttpResponse> {
    // The request is needed for its limits' client address anyway.
    let wants = Wants::of(req);
    let Some(grants) = grants.filter(|_| errors.is_empty()) else {
        return refused(
            wants,
            pool,
            ctx,
            AppError::Validation(String::new()),
            errors,
            fields,
        )
        .await;
    };
    let request = request_of(&grants, lines);
    let buckets = match req.app_data::<web::Data<Settings>>() {
        Some(settings) => limits::invite_previews(
            &settings.limits,
            ctx.org.id,
            ctx.actor.account_id,
            &client_ip(req),
        ),
        None => Vec::new(),
    };
    match run_preview(pool, ctx, &request, buckets).await {
        Ok(plan) => render(
            wants,
            ctx,
            StatusCode::OK,
            &view(ctx, &request, &grants, plan)?,
        ),
        Err(e) => refused(wants, pool, ctx, e, errors, fields).await,
    }
}

/// Invites the valid lines of a previewed list and shows the result per line.
pub async fn invite_confirm(
    req: HttpRequest,
    wants: Wants,
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    session: Session,
    ctx: OrgContext,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    may_invite_any(&ctx.actor)?;
    let submitted = read_submission(&req, payload).await?;
    let fields = &submitted.fields;
    let mut errors = FormErrors::default();
    let grants = parse_grants(fields, &mut errors);
    let list = field(fields, "lines");
    let lines = if list.is_empty() {
        errors.add(
            "form",
            "There is no list to invite: paste addresses or choose a CSV file.",
        );
        Vec::new()
    } else {
        parse_csv(list.as_bytes(), "form", &mut errors)
    };
    let Some(grants) = grants.filter(|_| errors.is_empty()) else {
        return refused(
            wants,
            &pool,
            &ctx,
            AppError::Validation(String::new()),
            errors,
            fields,
        )
        .await;
    };
    let request = request_of(&grants, lines);
    let (org, actor, links, r) = (ctx.org.id, ctx.actor, links(&settings), request.clone());
    let buckets = limits::invites(&settings.limits, org, actor.account_id, &client_ip(&req));
    let result = db::run(&pool, move |conn| {
        svc::confirm(conn, &actor, org, &r, &links, &buckets)
    })
    .await;
    match result {
        Ok(plan) => {
            let mut v = view(&ctx, &request, &grants, plan)?;
            v.done = true;
            done(wants, &session, &ctx, &v)
        }
        Err(AppError::Validation(message)) => {
            // Refused as a whole (seats): the preview again, saying why.
            let mut v = view(
                &ctx,
                &request,
                &grants,
                run_preview(&pool, &ctx, &request, Vec::new()).await?,
            )?;
            v.error = Some(message);
            render(wants, &ctx, StatusCode::UNPROCESSABLE_ENTITY, &v)
        }
        Err(e) => refused(wants, &pool, &ctx, e, errors, fields).await,
    }
}

fn done(
    wants: Wants,
    session: &Session,
    ctx: &OrgContext,
    v: &BulkView,
) -> AppResult<HttpResponse> {
    if wants == Wants::Page {
        return render(wants, ctx, StatusCode::OK, v);
    }
    let csrf = crate::web::plumbing::csrf::token(session);
    let mut body = BulkFragment { v, csrf: &csrf }.render()?;
    let message = format!(
        "{} invitation{} queued; {} line{} skipped.",
        v.invitable(),
        if v.invitable() == 1 { "" } else { "s" },
        v.skipped(),
        if v.skipped() == 1 { "" } else { "s" }
    );
    body.push_str(
        &Toast {
            kind: "success",
            message: &message,
            oob: true,
        }
        .render()?,
    );
    Ok(changed(body))
}
