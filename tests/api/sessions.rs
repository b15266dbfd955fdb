use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, spawn_app_with, TestClient, PASSWORD};

#[tokio::test]
async fn a_cookie_captured_before_sign_out_no_longer_works() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let captured = app.client.cookie_header();
    assert!(
        captured.split("; ").any(|c| c.starts_with("roster=")),
        "{captured}"
    );
    app.client.sign_out().await;

    let replay = app
        .client
        .http
        .get(app.client.url("/profile"))
        .header("Cookie", captured)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert!(location(&replay).starts_with("/signin"));
}

#[tokio::test]
async fn the_session_cookie_is_httponly_lax_and_holds_only_a_random_key() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let client = TestClient::new(&app.address);
    // Anonymous pages store no session; signing in makes one.
    let res = client.sign_in("ada@example.com", PASSWORD).await;
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("roster="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(!cookie.contains("Secure"), "plain HTTP in tests");
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("roster=");
    assert!(value.len() >= 64, "at least 128 bits of key: {value}");
    assert!(!value.contains("csrf") && !value.contains("account"));
    assert_eq!(
        app.count("SELECT count(*) FROM sessions").await,
        2,
        "the setup's and this sign-in's"
    );
}

#[tokio::test]
async fn signing_in_renews_the_session_key() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let client = TestClient::new(&app.address);
    client.page("/signin").await;
    let before = client.cookie_header();
    client.sign_in("ada@example.com", PASSWORD).await;
    let after = client.cookie_header();
    assert_ne!(before, after);
    // The anonymous session's key is dead: replaying it is not signed in.
    let replay = client
        .http
        .get(client.url("/profile"))
        .header("Cookie", before)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn one_session_can_end_another() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let laptop = app.signed_in_client("ada@example.com", PASSWORD).await;
    let (_, body) = app.client.page("/profile").await;
    assert!(body.contains("This session"));
    assert_eq!(body.matches("class=\"session-row\"").count(), 2);

    // The laptop signed in last, so its session row is the newest.
    let laptop_own = app
        .count(
            "SELECT id FROM sessions WHERE account_id IS NOT NULL ORDER BY created_at DESC LIMIT 1",
        )
        .await;
    let res = app
        .client
        .htmx_post(&format!("/profile/sessions/{laptop_own}/end"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let fragment = res.text().await.unwrap();
    assert!(fragment.contains("That session was signed out."));
    assert_eq!(fragment.matches("class=\"session-row\"").count(), 1);

    assert_eq!(
        laptop.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "the laptop is signed out"
    );
    assert_eq!(
        app.client.get("/profile").await.status(),
        StatusCode::OK,
        "this one is not"
    );

    // Someone else's session id is a 404.
    let res = app
        .client
        .post_form("/profile/sessions/999999/end", &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let laptop = app.signed_in_client("ada@example.com", PASSWORD).await;
    let res = app.client.post_form("/profile/sessions/end-all", &[]).await;
    assert_eq!(location(&res), "/signin");
    assert_eq!(laptop.get("/profile").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.client.get("/profile").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sessions WHERE account_id IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let laptop = app.signed_in_client("ada@example.com", PASSWORD).await;
    let new_password = "a brand new passphrase";

    let res = app
        .client
        .post_form(
            "/profile/password",
            &[
                ("current_password", "wrong wrong wrong"),
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("That is not your current password."));

    let res = app
        .client
        .post_form(
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("password", "too short"),
                ("password_confirm", "too short"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = app
        .client
        .post_form(
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(location(&res), "/profile");
    let (_, body) = app.client.page("/profile").await;
    assert!(
        body.contains("your 1 other session was signed out"),
        "{body}"
    );
    assert_eq!(laptop.get("/profile").await.status(), StatusCode::SEE_OTHER);

    let fresh = TestClient::new(&app.address);
    assert_eq!(
        fresh.sign_in("ada@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fresh
            .sign_in("ada@example.com", new_password)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_display_name_can_be_changed_inline() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let res = app
        .client
        .htmx_post("/profile/name", &[("display_name", "Countess Ada")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<form id=\"name-form\""));
    assert!(body.contains("hx-swap-oob") && body.contains("Your name was saved."));
    let res = app
        .client
        .htmx_post("/profile/name", &[("display_name", "")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count("SELECT count(*) FROM accounts WHERE display_name = 'Countess Ada'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_idle_session_times_out() {
    let app = spawn_app_with(|s| s.session_idle = Duration::from_secs(2)).await;
    app.setup_owner().await;
    assert_eq!(app.client.get("/profile").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let res = app.client.get("/profile").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/signin"));
}

#[tokio::test]
async fn a_busy_session_still_ends_at_its_absolute_timeout() {
    let app = spawn_app_with(|s| {
        s.session_idle = Duration::from_secs(60);
        s.session_absolute = Duration::from_secs(3);
    })
    .await;
    app.setup_owner().await;
    for _ in 0..4 {
        assert_eq!(app.client.get("/profile").await.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        app.client.get("/profile").await.status(),
        StatusCode::SEE_OTHER
    );
}
