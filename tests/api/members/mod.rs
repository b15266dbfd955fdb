//! The organization's members: the list and its search (`list`), its pages
//! (`paging`), editing a member inline or on a page (`edit`), bulk actions
//! (`bulk`) and what a page costs in statements (`cost`). The usual casts the
//! tests start from live here.

mod archived;
mod bulk;
mod cost;
mod edit;
mod joining;
mod joining_rules;
mod lifecycle;
mod list;
mod paging;
mod reasons;
mod revoke_rules;
mod scale;
pub(crate) mod scene;
mod sorting;
mod team_remove;

use crate::helpers::{location, spawn_app, TestApp, TestClient, PASSWORD};
use crate::html::Page;

/// `members` generated members (`seed-N@example.test`) and `teams` teams in `org`.
pub async fn seed(app: &TestApp, org: i64, members: i64, teams: i64) {
    app.query(move |conn| {
        roster::services::demo::seed_org_sql(
            conn,
            roster::domain::OrgId(org),
            members,
            teams,
            "seed",
        )
        .unwrap();
    })
    .await;
}

pub async fn membership_id(app: &TestApp, email: &str) -> i64 {
    app.count(&format!(
        "SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = '{email}'"
    ))
    .await
}

/// The membership ids of `emails`, in order, as form values.
pub async fn membership_ids(app: &TestApp, emails: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for email in emails {
        out.push(membership_id(app, email).await.to_string());
    }
    out
}

/// Makes `email` a `role` in `org`; their membership id.
pub async fn join(app: &TestApp, org: i64, email: &str, name: &str, role: &str) -> i64 {
    app.add_member(org, email, name, role).await;
    membership_id(app, email).await
}

/// Ada, Owner of "Acme" and signed in as `app.client`: (app, org).
pub async fn owner() -> (TestApp, i64) {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    (app, org)
}

/// Ada's "Acme" with `members` seeded members and `teams` teams: (app, org).
pub async fn owner_with(members: i64, teams: i64) -> (TestApp, i64) {
    let (app, org) = owner().await;
    seed(&app, org, members, teams).await;
    (app, org)
}

/// Ada's "Acme" with Bob, a member: (app, org, Bob's membership).
pub async fn owner_and_bob() -> (TestApp, i64, i64) {
    let (app, org) = owner().await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    (app, org, bob)
}

/// An organization with its Owner, Ann the Admin (signed in) and Bob, a
/// member: (app, org, Bob's membership, Ann's client).
pub async fn owner_admin_and_bob() -> (TestApp, i64, i64, TestClient) {
    let (app, org) = owner().await;
    app.add_member(org, "admin@example.com", "Ann", "admin")
        .await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    let admin = app.signed_in_client("admin@example.com", PASSWORD).await;
    (app, org, bob, admin)
}

/// A second organization, "Globex", that Ada creates and owns; its id.
pub async fn globex(app: &TestApp) -> i64 {
    let res = app.client.post_form("/orgs", &[("name", "Globex")]).await;
    location(&res).trim_start_matches("/orgs/").parse().unwrap()
}

/// The id of `org`'s first team (by id).
pub async fn first_team(app: &TestApp, org: i64) -> i64 {
    app.count(&format!(
        "SELECT min(id) FROM teams WHERE organization_id = {org}"
    ))
    .await
}

/// Creates the organization's org-scope custom role "Auditor"; its id.
pub async fn auditor_role(app: &TestApp, org: i64) -> i64 {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "INSERT INTO custom_roles (organization_id, scope, name, permissions)
             VALUES ({org}, 'org', 'Auditor', '{{audit.view}}')"
        ))
        .unwrap();
    })
    .await;
    app.count(&format!(
        "SELECT id FROM custom_roles WHERE organization_id = {org} AND name = 'Auditor'"
    ))
    .await
}

/// The membership ids of a page's rows, in order (not a row open for editing).
pub fn row_ids(body: &str) -> Vec<String> {
    Page::parse(body)
        .attrs("tr.member-row:not(.editing)", "id")
        .into_iter()
        .filter_map(|id| id.strip_prefix("member-").map(str::to_owned))
        .collect()
}

/// The query string of a page's Previous or Next link (`rel`).
pub fn pager_link(body: &str, rel: &str) -> String {
    let href = Page::parse(body)
        .attr(&format!("a[rel={rel}]"), "href")
        .expect("the pager link");
    href.split_once('?').expect("a query string").1.to_owned()
}
