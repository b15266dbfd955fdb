//! The scene the groups and services tests start from, and small SQL helpers
//! (teams and team memberships are made directly: the Teams UI is another area).

use diesel::{sql_query, sql_types::BigInt, QueryableByName, RunQueryDsl};
use reqwest::StatusCode;

use crate::helpers::{spawn_app, TestApp, TestClient, PASSWORD};

#[derive(QueryableByName)]
pub struct Id {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
}

/// Runs an `INSERT … RETURNING id` (or any query giving one `id`).
pub async fn returning_id(app: &TestApp, sql: String) -> i64 {
    app.query(move |conn| sql_query(sql).get_result::<Id>(conn).unwrap().id)
        .await
}

pub async fn exec(app: &TestApp, sql: String) {
    app.query(move |conn| sql_query(sql).execute(conn).unwrap())
        .await;
}

/// A team of `org`, made directly in the database (the Teams UI is another area).
pub async fn team(app: &TestApp, org: i64, name: &str) -> i64 {
    returning_id(
        app,
        format!(
            "INSERT INTO teams (organization_id, name, workflow_id) \
             VALUES ({org}, '{name}', md5(random()::text)) RETURNING id"
        ),
    )
    .await
}

/// Puts an org member into a team with a team role; returns the team membership id.
pub async fn join_team(app: &TestApp, org: i64, team: i64, account: i64, role: &str) -> i64 {
    returning_id(
        app,
        format!(
            "INSERT INTO team_memberships (organization_id, team_id, membership_id, role) \
             SELECT {org}, {team}, m.id, '{role}' FROM memberships m \
             WHERE m.organization_id = {org} AND m.account_id = {account} RETURNING id"
        ),
    )
    .await
}

pub async fn account_id(app: &TestApp, email: &str) -> i64 {
    returning_id(
        app,
        format!("SELECT id FROM accounts WHERE email = '{email}'"),
    )
    .await
}

pub async fn set_status(app: &TestApp, org: i64, account: i64, status: &str) {
    exec(
        app,
        format!(
            "UPDATE memberships SET status = '{status}' \
             WHERE organization_id = {org} AND account_id = {account}"
        ),
    )
    .await;
}

pub async fn group_id(app: &TestApp, team: i64, name: &str) -> i64 {
    returning_id(
        app,
        format!("SELECT id FROM groups WHERE team_id = {team} AND name = '{name}'"),
    )
    .await
}

pub async fn service_id(app: &TestApp, team: i64, name: &str) -> i64 {
    returning_id(
        app,
        format!("SELECT id FROM services WHERE team_id = {team} AND name = '{name}'"),
    )
    .await
}

pub async fn audits(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM audit_events WHERE action = '{action}'"
    ))
    .await
}

/// Acme with Ada as Owner, a "Support" team, and Tim, a plain member who is
/// its Team manager, signed in.
pub struct Scene {
    pub app: TestApp,
    pub org: i64,
    pub team: i64,
    pub tim: TestClient,
}

impl Scene {
    pub async fn new() -> Self {
        let app = spawn_app().await;
        let org = app.setup_owner().await;
        let team = team(&app, org, "Support").await;
        let tim = app
            .add_member(org, "tim@example.com", "Tim Manager", "member")
            .await;
        join_team(&app, org, team, tim, "team_manager").await;
        let tim = app.signed_in_client("tim@example.com", PASSWORD).await;
        Self {
            app,
            org,
            team,
            tim,
        }
    }

    pub fn groups(&self) -> String {
        format!("/orgs/{}/teams/{}/groups", self.org, self.team)
    }

    pub fn services(&self) -> String {
        format!("/orgs/{}/teams/{}/services", self.org, self.team)
    }

    /// A new active org member in the team as an Agent: (account id, team membership id).
    pub async fn agent(&self, email: &str, name: &str) -> (i64, i64) {
        let account = self.app.add_member(self.org, email, name, "member").await;
        let tm = join_team(&self.app, self.org, self.team, account, "agent").await;
        (account, tm)
    }

    pub async fn create_group(&self, name: &str) -> i64 {
        let res = self.tim.post_form(&self.groups(), &[("name", name)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "group {name} created");
        group_id(&self.app, self.team, name).await
    }

    pub async fn create_service(&self, name: &str) -> i64 {
        let res = self
            .tim
            .post_form(&self.services(), &[("name", name), ("description", "")])
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "service {name} created"
        );
        service_id(&self.app, self.team, name).await
    }
}

/// Asserts a response's status and that its body says `text`; returns the body.
pub async fn expect(res: reqwest::Response, status: StatusCode, text: &str) -> String {
    assert_eq!(res.status(), status, "expected {status} saying {text:?}");
    let body = res.text().await.unwrap();
    assert!(body.contains(text), "{text:?} not in {body}");
    body
}
