//! The scene the member lifecycle's tests start from, and the SQL helpers
//! that build it (teams, groups, services and contacts inserted directly).

use super::*;

pub struct Scene {
    pub app: TestApp,
    pub org: i64,
    pub bob: i64,
    pub carl: i64,
    pub support: i64,
    pub sales: i64,
    pub tier1: i64,
}

pub async fn team(app: &TestApp, org: i64, name: &str) -> i64 {
    let quoted = name_sql(name);
    sql(
        app,
        format!(
            "INSERT INTO teams (organization_id, name, workflow_id)
             VALUES ({org}, {quoted}, 'wf_' || md5({quoted}) || '_{org}')"
        ),
    )
    .await;
    let name = quoted;
    app.count(&format!(
        "SELECT id FROM teams WHERE organization_id = {org} AND name = {name}"
    ))
    .await
}

fn name_sql(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Runs SQL on the test database.
pub async fn sql(app: &TestApp, statements: String) {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&statements).unwrap();
    })
    .await;
}

/// Puts `member` into `team` with `role`; the team membership id.
pub async fn put_in_team(app: &TestApp, org: i64, team: i64, member: i64, role: &str) -> i64 {
    sql(
        app,
        format!(
            "INSERT INTO team_memberships (organization_id, team_id, membership_id, role)
             VALUES ({org}, {team}, {member}, '{role}')"
        ),
    )
    .await;
    app.count(&format!(
        "SELECT id FROM team_memberships WHERE team_id = {team} AND membership_id = {member}"
    ))
    .await
}

/// `n` contacts in `team` assigned to `member`, inserted directly (the
/// Contacts tab is built separately).
pub async fn contacts(app: &TestApp, org: i64, team: i64, member: i64, n: i64, prefix: &str) {
    sql(
        app,
        format!(
            "INSERT INTO contacts (organization_id, team_id, name, assignee_membership_id)
             SELECT {org}, {team}, '{prefix} ' || g, {member} FROM generate_series(1, {n}) g"
        ),
    )
    .await;
}

pub async fn scene() -> Scene {
    let (app, org, bob) = owner_and_bob().await;
    let carl = join(&app, org, "carl@example.com", "Carl", "member").await;
    let support = team(&app, org, "Support").await;
    let sales = team(&app, org, "Sales").await;
    let bob_support = put_in_team(&app, org, support, bob, "agent").await;
    put_in_team(&app, org, sales, bob, "supervisor").await;
    put_in_team(&app, org, support, carl, "agent").await;
    put_in_team(&app, org, sales, carl, "agent").await;
    sql(
        &app,
        format!(
            "INSERT INTO groups (organization_id, team_id, name) VALUES ({org}, {support}, 'Tier 1');
             INSERT INTO services (organization_id, team_id, name) VALUES ({org}, {support}, 'Phone');
             INSERT INTO group_members (group_id, team_membership_id)
               SELECT id, {bob_support} FROM groups WHERE team_id = {support};
             INSERT INTO group_services (group_id, service_id)
               SELECT g.id, s.id FROM groups g, services s WHERE g.team_id = {support} AND s.team_id = {support};"
        ),
    )
    .await;
    let tier1 = app
        .count(&format!("SELECT id FROM groups WHERE team_id = {support}"))
        .await;
    contacts(&app, org, support, bob, 3, "Support contact").await;
    contacts(&app, org, sales, bob, 2, "Sales contact").await;
    Scene {
        app,
        org,
        bob,
        carl,
        support,
        sales,
        tier1,
    }
}

/// Dora, pending, invited by `inviter` (a membership of the scene's organization).
pub async fn dora_invited_by(s: &Scene, inviter: i64) {
    let org = s.org;
    let dora = join(&s.app, org, "dora@example.com", "Dora", "member").await;
    sql(
        &s.app,
        format!(
            "UPDATE memberships SET status = 'pending' WHERE id = {dora};
             INSERT INTO invitations (organization_id, membership_id, email, role, inviter_account_id, token_hash, expires_at)
             SELECT {org}, {dora}, 'dora@example.com', 'member', account_id, '\\x02', now() + interval '7 days'
             FROM memberships WHERE id = {inviter}"
        ),
    )
    .await;
}

impl Scene {
    pub async fn count(&self, sql: &str) -> i64 {
        self.app.count(sql).await
    }

    pub async fn revoke(
        &self,
        client: &TestClient,
        member: i64,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post_form(
                &format!("/orgs/{}/members/{member}/revoke", self.org),
                fields,
            )
            .await
    }

    /// Bob's contacts, teams, groups and status as a comparable snapshot.
    pub async fn bob_state(&self) -> (i64, i64, i64, i64, i64) {
        let bob = self.bob;
        (
            self.count(&format!("SELECT count(*) FROM contacts WHERE assignee_membership_id = {bob}")).await,
            self.count(&format!("SELECT count(*) FROM team_memberships WHERE membership_id = {bob}")).await,
            self.count(&format!("SELECT count(*) FROM group_members gm JOIN team_memberships tm ON tm.id = gm.team_membership_id WHERE tm.membership_id = {bob}")).await,
            self.count(&format!("SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'active'")).await,
            self.count("SELECT count(*) FROM audit_events WHERE action = 'member.revoked'").await,
        )
    }
}
