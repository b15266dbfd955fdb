//! Attack stories: input. NUL bytes and other control characters in searches
//! and free-text fields get a clear message, never a 500, and save nothing.

use reqwest::StatusCode;

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::teams::create_team;

const CONTROL: &str = "Search text cannot contain control characters.";

#[tokio::test]
async fn a_nul_byte_in_the_team_pages_add_member_search_gets_the_members_search_message() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "grace@example.com", "Grace Hopper", "member")
        .await;

    for q in ["%00", "a%00b", "%01", "tab%09here", "%7F"] {
        let (status, body) = app
            .client
            .page(&format!("/orgs/{org}/teams/{team}?q={q}"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert!(body.contains(CONTROL), "{q}");
        // The list is there, unfiltered, under the message.
        assert!(body.contains("grace@example.com"), "{q}");
        let (status, body) = app.client.page(&format!("/orgs/{org}/members?q={q}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert!(
            body.contains(CONTROL),
            "the same message on the members page"
        );
    }
}

/// Posts `fields` to `path` as Ada's form; returns status and body.
async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let res = app.client.post_form(path, fields).await;
    (res.status(), res.text().await.unwrap())
}

#[tokio::test]
async fn names_with_nul_or_escape_characters_are_refused_through_the_real_forms_and_saved_nowhere()
{
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    let teams = format!("/orgs/{org}/teams");
    let general = format!("/orgs/{org}/settings/general");
    let groups = format!("/orgs/{org}/teams/{team}/groups");
    let roles = format!("/orgs/{org}/settings/roles");

    let attempts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/profile/name", vec![("display_name", "Ada\u{0}")]),
        ("/profile/name", vec![("display_name", "Ada\u{1b}[31m")]),
        (&general, vec![("name", "Acme\u{0}Corp")]),
        (&general, vec![("name", "Acme\u{8}\u{8}\u{8}Evil")]),
        (&teams, vec![("name", "Ops\u{7}"), ("description", "")]),
        (
            &teams,
            vec![("name", "Ops"), ("description", "bad\u{0}byte")],
        ),
        (&groups, vec![("name", "Night\u{0}shift")]),
        (&roles, vec![("scope", "org"), ("name", "Auditor\u{0}")]),
    ];
    for (path, fields) in &attempts {
        let (status, body) = post(&app, path, fields).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path} {fields:?}"
        );
        assert!(
            body.contains("cannot contain control characters"),
            "{path} {fields:?}: a readable reason"
        );
    }

    assert_eq!(
        app.count("SELECT count(*) FROM accounts WHERE display_name <> 'Ada Lovelace'")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM organizations WHERE name <> 'Acme'")
            .await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM teams").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM groups").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM custom_roles").await, 0);
}

#[tokio::test]
async fn a_nul_byte_in_a_sign_in_reset_or_invite_address_is_a_clear_answer_not_a_server_error() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    crate::invitations::enable_invites(&app, org, 10).await;

    let visitor = crate::helpers::TestClient::new(&app.address);
    let res = visitor
        .post_form(
            "/signin",
            &[("email", "ada\u{0}@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(roster::web::auth::WRONG_CREDENTIALS));

    let res = visitor
        .post_form("/password/forgot", &[("email", "ada\u{0}@example.com")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Enter an email address"));

    let res = crate::invitations::invite(&app, org, "grace\u{0}@example.com", &[]).await;
    assert!(
        res.status().is_client_error(),
        "a 4xx, got {}",
        res.status()
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM rate_limits WHERE key LIKE 'signin:%'")
            .await,
        0
    );
}
