//! Calls streamed to a team by its workflow ID: storing them (idempotent by
//! external id, a result per call of a batch, agents resolved within the team)
//! in `ingest`, the endpoint with a real HTTP client and tokens in `http`, and
//! the team's Calls tab in `tab`.

mod http;
mod ingest;
mod tab;

use roster::domain::{
    call_input::{parse_body, Submission},
    policy::Actor,
    AccountId, OrgId, OrgRole, Permission, PermissionSet,
};
use roster::error::AppError;
use roster::services::calls::{self, Detail, ItemOutcome};
use serde_json::Value;

use crate::helpers::TestApp;
use crate::members::globex;
pub use crate::teams::workflow_id as workflow_of;
use crate::teams::{create_team, membership_of};

/// An actor holding only `workflows.ingest` (as a token with that one scope is).
pub fn ingest_scope() -> Actor {
    Actor::with_permissions(
        AccountId(0),
        OrgRole::Member,
        PermissionSet::of(&[Permission::WorkflowsIngest]),
    )
}

/// Sends a body (one call or `{"calls": [...]}`) through the ingest service,
/// as `actor` of `org`.
pub async fn send_as(
    app: &TestApp,
    actor: Actor,
    org: i64,
    workflow: &str,
    body: Value,
) -> Result<Vec<ItemOutcome>, AppError> {
    let items = match parse_body(body.to_string().as_bytes()).expect("a well-formed body") {
        Submission::One(item) => vec![item],
        Submission::Batch(items) => items,
    };
    let workflow = workflow.to_owned();
    app.query(move |conn| calls::ingest(conn, &actor, OrgId(org), &workflow, items, Detail::Full))
        .await
}

pub async fn send(
    app: &TestApp,
    org: i64,
    workflow: &str,
    body: Value,
) -> Result<Vec<ItemOutcome>, AppError> {
    send_as(app, ingest_scope(), org, workflow, body).await
}

/// A valid call with this external id, started `minute` minutes past 09:00 on 7 December.
pub fn call(external_id: &str, minute: u32) -> Value {
    serde_json::json!({
        "external_id": external_id,
        "started_at": format!("2026-12-07T09:{minute:02}:00Z"),
        "duration_seconds": 60 + minute,
        "direction": "inbound",
        "from_number": "+15550100",
        "to_number": "+15550199",
    })
}

/// A call assigned to an agent by email.
pub fn call_by(external_id: &str, minute: u32, email: &str) -> Value {
    let mut c = call(external_id, minute);
    c["agent_email"] = Value::String(email.into());
    c
}

/// An organization with a team "Support" whose workflow ID is returned too.
pub async fn org_with_team(app: &TestApp) -> (i64, i64, String) {
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    let workflow = workflow_of(app, team).await;
    (org, team, workflow)
}

/// Another organization, "Globex" (the owner of the first made it), with one
/// member of its own, Gus; its id and Gus's membership id.
pub async fn globex_with_gus(app: &TestApp) -> (i64, i64) {
    let other = globex(app).await;
    app.add_member(other, "gus@globex.test", "Gus Globex", "owner")
        .await;
    (other, membership_of(app, other, "gus@globex.test").await)
}

pub async fn member_id(app: &TestApp, org: i64, email: &str) -> i64 {
    membership_of(app, org, email).await
}

/// Turns the API on for `org` (Pro plan, API access) and gives it a token made
/// by `creator` with `scopes`; its secret.
pub async fn api_token(app: &TestApp, org: i64, creator: &str, scopes: &[&str]) -> String {
    let secret = roster::domain::api_tokens::TokenSecret::generate();
    let (hash, creator, scopes) = (
        secret.hash(),
        creator.to_owned(),
        scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
    );
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "UPDATE organizations SET plan = 'pro' WHERE id = {org};
             INSERT INTO organization_features (organization_id, feature, enabled)
             VALUES ({org}, 'api_access', true)
             ON CONFLICT (organization_id, feature) DO UPDATE SET enabled = true;"
        ))
        .unwrap();
        let creator = roster::db::accounts::find_by_email(conn, &creator)
            .unwrap()
            .unwrap()
            .id;
        roster::db::api_tokens::insert(
            conn,
            roster::db::api_tokens::NewToken {
                org: OrgId(org),
                name: "ingest",
                hash: &hash,
                scopes,
                role: "owner",
                creator,
                expires_at: None,
            },
        )
        .unwrap();
    })
    .await;
    secret.expose().to_owned()
}

/// Ada regenerates the team's workflow ID, or archives the team, through its Settings tab.
pub async fn team_settings_post(app: &TestApp, org: i64, team: i64, action: &str) {
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/teams/{team}/{action}"), &[])
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER, "{action}");
}
