//! Error pages: inside the app's layout for a signed-in person (the
//! organization's navigation when they belong to it, else the signed-in
//! shell), the plain page for anonymous visitors, a toast for htmx.

use reqwest::StatusCode;

use crate::helpers::{spawn_app, TestClient, PASSWORD};

#[tokio::test]
async fn a_missing_team_is_a_404_inside_the_organizations_navigation() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;

    let (status, body) = app.client.page(&format!("/orgs/{org}/teams/999999")).await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("<p class=\"error-code\">404</p>"), "{body}");
    assert!(body.contains("That page does not exist."));
    assert!(body.contains("<nav class=\"sidenav\" aria-label=\"Organization\">"));
    assert!(body.contains(&format!("href=\"/orgs/{org}/members\"")));
    assert!(body.contains("class=\"menu user-menu\""));
    // No section of the navigation claims to be this page.
    assert!(!body.contains("aria-current=\"page\""));
}

#[tokio::test]
async fn a_refused_page_is_a_403_inside_the_navigation_the_member_may_use() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = app.signed_in_client("bob@example.com", PASSWORD).await;

    let (status, body) = bob.page(&format!("/orgs/{org}/settings/general")).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("<p class=\"error-code\">403</p>"));
    assert!(body.contains("Only Owners and Admins"));
    assert!(body.contains("class=\"sidenav\""));
    // Bob's navigation: no Settings links that would answer 403 again.
    assert!(!body.contains(&format!("href=\"/orgs/{org}/settings/general\"")));
}

#[tokio::test]
async fn another_organizations_id_is_a_404_in_the_shell_without_its_name() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let foreign = app.other_org("Globex Secret Projects").await;

    for path in [
        format!("/orgs/{foreign}/members"),
        format!("/orgs/{foreign}/teams/1"),
        format!("/orgs/{foreign}"),
    ] {
        let (status, body) = app.client.page(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(body.contains("That page does not exist."), "{path}");
        assert!(!body.contains("Globex"), "{path} names the organization");
        // The signed-in shell: her menu and her own organizations, no org nav.
        assert!(body.contains("class=\"menu user-menu\""), "{path}");
        assert!(body.contains(&format!("href=\"/orgs/{org}\"")), "{path}");
        assert!(!body.contains("class=\"sidenav\""), "{path}");
    }
}

#[tokio::test]
async fn an_unknown_address_is_a_404_in_the_shell_when_signed_in() {
    let app = spawn_app().await;
    app.setup_owner().await;

    let (status, body) = app.client.page("/no/such/page").await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("That page does not exist."));
    assert!(body.contains("class=\"menu user-menu\""));
    assert!(
        body.contains("csrf-token"),
        "the app's layout, with its scripts"
    );
}

#[tokio::test]
async fn anonymous_visitors_get_the_plain_error_page() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let anonymous = TestClient::new(&app.address);

    let (status, body) = anonymous.page("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("<p class=\"error-code\">404</p>"));
    assert!(!body.contains("user-menu"));
    assert!(!body.contains("sidenav"));
    // Pages of an organization still ask them to sign in first.
    let res = anonymous.get(&format!("/orgs/{org}/teams/999999")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn htmx_still_gets_a_toast_for_a_signed_in_error() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;

    let res = app
        .client
        .htmx_get(&format!("/orgs/{org}/teams/999999"))
        .await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(res.headers()["hx-retarget"], "#toasts");
    let body = res.text().await.unwrap();
    assert!(body.contains("That page does not exist."));
    assert!(!body.contains("sidenav"));
}

#[tokio::test]
async fn a_session_whose_account_is_gone_gets_the_plain_page_not_a_500() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = app.signed_in_client("bob@example.com", PASSWORD).await;
    app.query(|conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(
            "DELETE FROM memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'bob@example.com');
             DELETE FROM accounts WHERE email = 'bob@example.com';",
        )
        .unwrap();
    })
    .await;

    let (status, body) = bob.page("/no/such/page").await;

    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("That page does not exist."));
    assert!(!body.contains("user-menu"));
}
