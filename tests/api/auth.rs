//! Signing in and out (here) and the forgotten-password reset
//! (`password_reset`).

pub mod password_reset;

use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, TestClient, PASSWORD};
use crate::teams::exec;

#[tokio::test]
async fn an_owner_signs_out_and_back_in() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;

    let res = app.client.sign_out().await;
    assert_eq!(location(&res), "/signin");
    let res = app
        .client
        .get(&format!("/orgs/{org}/settings/general"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res),
        format!("/signin?next=%2Forgs%2F{org}%2Fsettings%2Fgeneral")
    );

    let res = app.client.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, body) = app
        .client
        .page(&format!("/orgs/{org}/settings/general"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Ada Lovelace"));
}

#[tokio::test]
async fn sign_in_follows_next_but_only_to_local_paths() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let local = format!("/orgs/{org}/settings/plan");
    for (next, expected) in [
        (local.as_str(), local.as_str()),
        ("//evil.example/phish", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ] {
        let client = TestClient::new(&app.address);
        let res = client
            .post_form(
                "/signin",
                &[
                    ("email", "ada@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&res), expected, "{next}");
    }
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_generic_answer() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let client = TestClient::new(&app.address);
    let wrong = client
        .sign_in("ada@example.com", "not the password at all")
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = wrong.text().await.unwrap();
    let unknown = client
        .sign_in("nobody@example.com", "not the password at all")
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown = unknown.text().await.unwrap();
    let message = "That email and password do not match an account.";
    assert!(wrong.contains(message));
    assert!(unknown.contains(message));
    assert_eq!(
        client.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "still signed out"
    );
}

#[tokio::test]
async fn repeated_failures_slow_down_sign_in_with_a_clear_message() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let client = TestClient::new(&app.address);
    for _ in 0..5 {
        assert_eq!(
            client
                .sign_in("ada@example.com", "wrong password here")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password is refused while the account is throttled.
    let res = client.sign_in("ADA@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Too many failed sign-in attempts — try again in 15 minutes."),
        "{body}"
    );
}

#[tokio::test]
async fn sign_in_is_case_insensitive_on_email() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let client = TestClient::new(&app.address);
    assert_eq!(
        client.sign_in(" ADA@Example.COM ", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_second_organization_can_be_created_and_switched_to() {
    let app = spawn_app().await;
    let first = app.setup_owner().await;
    let res = app.client.post_form("/orgs", &[("name", "Globex")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let second: i64 = location(&res).trim_start_matches("/orgs/").parse().unwrap();
    assert_ne!(first, second);

    let (_, body) = app.client.page(&format!("/orgs/{second}")).await;
    assert!(body.contains("Organization created. You are its Owner."));
    // The switcher in the header links both organizations.
    assert!(body.contains(&format!("href=\"/orgs/{first}\"")));
    assert!(body.contains(&format!("href=\"/orgs/{second}\" aria-current=\"true\"")));

    let res = app.client.post_form("/orgs", &[("name", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT count(*) FROM organizations").await, 2);
}

#[tokio::test]
async fn another_accounts_organization_is_a_plain_404() {
    let app = spawn_app().await;
    let acme = app.setup_owner().await;
    let bob = TestClient::new(&app.address);
    // Bob belongs to a different organization only.
    let globex = {
        let ada = &app.client;
        let res = ada.post_form("/orgs", &[("name", "Globex")]).await;
        location(&res)
            .trim_start_matches("/orgs/")
            .parse::<i64>()
            .unwrap()
    };
    app.query(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "DELETE FROM memberships WHERE organization_id = {globex}"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    app.add_member(globex, "bob@example.com", "Bob", "owner")
        .await;
    assert_eq!(
        bob.sign_in("bob@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    for path in [
        "",
        "/settings",
        "/settings/general",
        "/settings/features",
        "/settings/plan",
    ] {
        let res = bob.get(&format!("/orgs/{acme}{path}")).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let res = bob
        .post_form(
            &format!("/orgs/{acme}/settings/general"),
            &[("name", "Pwned")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = bob
        .post_form(
            &format!("/orgs/{acme}/settings/features/groups"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // An organization that does not exist looks exactly the same.
    assert_eq!(
        bob.get("/orgs/999999/settings/general").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.get("/orgs/not-a-number").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM organizations WHERE name = 'Acme' AND id = {acme}"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn access_changes_apply_on_the_very_next_request() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "ann@example.com", "Ann", "admin").await;
    let ann = app.signed_in_client("ann@example.com", PASSWORD).await;
    let settings = format!("/orgs/{org}/settings/general");
    let members = format!("/orgs/{org}/members");
    let anns = format!(
        "organization_id = {org} AND account_id = (SELECT id FROM accounts WHERE email = 'ann@example.com')"
    );
    assert_eq!(ann.page(&settings).await.0, StatusCode::OK);

    // The account and its membership are read with the session, from the
    // database, on every request: nothing of the last request is kept.
    exec(
        &app,
        &format!("UPDATE memberships SET role = 'member' WHERE {anns}"),
    )
    .await;
    assert_eq!(ann.page(&settings).await.0, StatusCode::FORBIDDEN);
    assert_eq!(ann.page(&members).await.0, StatusCode::OK);

    exec(
        &app,
        &format!("UPDATE memberships SET status = 'archived' WHERE {anns}"),
    )
    .await;
    assert_eq!(ann.page(&members).await.0, StatusCode::NOT_FOUND);

    // An account that is gone ends its session.
    exec(&app, "DELETE FROM accounts WHERE email = 'ann@example.com'").await;
    let res = ann.get("/profile").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/signin"));
}
