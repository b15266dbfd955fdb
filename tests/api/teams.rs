//! Teams: the list, creating a team and landing on it, and (in the submodules)
//! its members, its settings, its Groups and Services tabs (`groups`), its
//! Contacts tab (`contacts`), and who may do what.

mod access;
mod add_by_email;
pub mod contacts;
pub mod groups;
mod members;
mod settings;

use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, TestApp, TestClient, PASSWORD};

/// Creates a team through the form; returns its id.
pub async fn create_team(client: &TestClient, org: i64, name: &str) -> i64 {
    let res = client
        .post_form(
            &format!("/orgs/{org}/teams"),
            &[("name", name), ("description", "")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "team {name} is created"
    );
    location(&res)
        .rsplit('/')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("lands on the team page")
}

/// The org membership id (the `{member}` of team URLs) of an account by email.
pub async fn membership_of(app: &TestApp, org: i64, email: &str) -> i64 {
    app.count(&format!(
        "SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id \
         WHERE m.organization_id = {org} AND a.email = '{email}'"
    ))
    .await
}

/// Ada, Owner of "Acme" (signed in as `app.client`), its team "Support" and
/// Bob Stone, an active member not in the team: (org, team, Bob's membership).
pub async fn owner_team_and_bob(app: &TestApp) -> (i64, i64, i64) {
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "bob@example.com", "Bob Stone", "member")
        .await;
    (org, team, membership_of(app, org, "bob@example.com").await)
}

/// A team's current workflow ID.
pub async fn workflow_id(app: &TestApp, team: i64) -> String {
    app.query(move |conn| {
        use diesel::prelude::*;
        use roster::db::schema::teams;
        teams::table
            .find(team)
            .select(teams::workflow_id)
            .first::<String>(conn)
            .unwrap()
    })
    .await
}

/// Runs a statement on the test database (setup the UI has no form for).
pub async fn exec(app: &TestApp, sql: &str) {
    let sql = sql.to_owned();
    app.query(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(sql).execute(conn).unwrap();
    })
    .await;
}

/// Adds an org member to a team as `role`, acting as `client`.
pub async fn add_to_team(client: &TestClient, org: i64, team: i64, member: i64, role: &str) {
    let res = client
        .post_form(
            &format!("/orgs/{org}/teams/{team}/members"),
            &[("member", &member.to_string()), ("role", role)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "member {member} added");
}

/// An org Member who is in `team` with `role`, signed in.
pub async fn team_member_client(
    app: &TestApp,
    org: i64,
    team: i64,
    email: &str,
    role: &str,
) -> (TestClient, i64) {
    app.add_member(org, email, "Team Person", "member").await;
    let member = membership_of(app, org, email).await;
    add_to_team(&app.client, org, team, member, role).await;
    (app.signed_in_client(email, PASSWORD).await, member)
}

#[tokio::test]
async fn an_owner_creates_a_team_and_lands_on_its_empty_page_with_next_steps() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let (status, body) = app.client.page(&format!("/orgs/{org}/teams")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("No teams yet"),
        "an empty state explains teams"
    );
    assert!(body.contains("id=\"team-create-form\""));

    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/teams"),
            &[
                ("name", "  Support  "),
                ("description", "Answers customers."),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let path = location(&res);
    assert!(path.starts_with(&format!("/orgs/{org}/teams/")), "{path}");

    let (status, body) = app.client.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Team Support created."));
    assert!(body.contains("<h1 id=\"team-title\">Support</h1>"));
    assert!(body.contains("Answers customers."));
    assert!(body.contains("This team has no members yet"));
    for next in ["Add members", "Create groups", "Set up services"] {
        assert!(body.contains(next), "next step {next}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'team.created'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 0);
}

#[tokio::test]
async fn team_names_must_be_present_short_printable_and_unique_ignoring_case() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    create_team(&app.client, org, "Support").await;
    let path = format!("/orgs/{org}/teams");
    let long = "n".repeat(500);
    let cases: [(&str, &str); 5] = [
        ("", "Team name cannot be empty."),
        ("   ", "Team name cannot be empty."),
        (&long, "Team name can be at most 100 characters."),
        ("bad\0name", "control characters"),
        (" SUPPORT ", "A team named “SUPPORT” already exists"),
    ];
    for (name, message) in cases {
        let res = app
            .client
            .post_form(&path, &[("name", name), ("description", "")])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{name:?}: {message}");
        assert!(body.contains("<html"), "plain forms get the whole page");
    }
    // htmx gets only the form back, with the message next to the field.
    let res = app
        .client
        .htmx_post(&path, &[("name", "support"), ("description", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<form id=\"team-create-form\""), "{body}");
    assert!(body.contains("field-error"));
    let res = app
        .client
        .post_form(
            &path,
            &[("name", "Sales"), ("description", &"d".repeat(1001))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Description can be at most 1000 characters."));
    assert_eq!(app.count("SELECT count(*) FROM teams").await, 1);

    // htmx success navigates the whole page to the new team.
    let res = app
        .client
        .htmx_post(&path, &[("name", "Sales"), ("description", "")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let to = res.headers()["hx-redirect"].to_str().unwrap().to_owned();
    assert!(to.starts_with(&format!("/orgs/{org}/teams/")));
}

#[tokio::test]
async fn the_list_shows_every_team_with_its_member_count_and_archived_ones_marked() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let support = create_team(&app.client, org, "Support").await;
    let archive = create_team(&app.client, org, "Old team").await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    add_to_team(&app.client, org, support, bob, "agent").await;
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/teams/{archive}/archive"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let (_, body) = app.client.page(&format!("/orgs/{org}/teams")).await;
    let support_at = body.find(">Support</a>").expect("Support listed");
    let archived_at = body.find(">Old team</a>").expect("archived team listed");
    assert!(support_at < archived_at, "archived teams come last");
    assert!(body[archived_at..].contains("Archived"));
    assert!(
        body[support_at..archived_at].contains("<td>1</td>"),
        "one member"
    );
}

#[tokio::test]
async fn a_member_without_team_rights_sees_only_their_teams_and_cannot_create() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let mine = create_team(&app.client, org, "Support").await;
    let other = create_team(&app.client, org, "Finance").await;
    let (bob, _) = team_member_client(&app, org, mine, "bob@example.com", "agent").await;

    let (status, body) = bob.page(&format!("/orgs/{org}/teams")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(">Support</a>"));
    assert!(!body.contains("Finance"));
    assert!(!body.contains("team-create-form"), "no create form");
    let res = bob
        .post_form(&format!("/orgs/{org}/teams"), &[("name", "Mine")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("You do not have permission to create teams."));
    let (status, _) = bob.page(&format!("/orgs/{org}/teams/{other}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a team they are not in");
    assert_eq!(app.count("SELECT count(*) FROM teams").await, 2);
}
