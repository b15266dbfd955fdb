//! Settings → API: what the JSON API offers and how to call it, with a curl
//! example built from this organization's real ids and the public URL.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::config::Settings;
use crate::db::{self, PgPool};
use crate::domain::policy::{self, Action};
use crate::error::{AppError, AppResult};
use crate::web::plumbing::context::{Layout, OrgContext};

#[derive(Template)]
#[template(path = "pages/settings/api.html")]
pub struct ApiPage {
    pub layout: Layout,
    pub org_id: i64,
    pub base: String,
    pub member_id: i64,
    /// A team of the organization, when it has one.
    pub team_id: Option<i64>,
}

pub async fn api_docs(
    pool: web::Data<PgPool>,
    settings: web::Data<Settings>,
    ctx: OrgContext,
) -> AppResult<HttpResponse> {
    policy::check(&ctx.actor, Action::ManageApiTokens)
        .map_err(|policy::Denied(reason)| AppError::forbidden(reason))?;
    let org = ctx.org.id;
    let teams = db::run(&pool, move |conn| {
        Ok(db::teams::list_in_org(conn, org, None)?)
    })
    .await?;
    crate::web::plumbing::htmx::render(&ApiPage {
        org_id: org.0,
        base: format!(
            "{}/api/v1",
            settings.public_url.as_str().trim_end_matches('/')
        ),
        member_id: ctx.membership.id.0,
        team_id: teams.first().map(|(t, _)| t.id.0),
        layout: Layout::in_org(&ctx, "settings-api"),
    })
}
