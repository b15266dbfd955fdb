//! Attack stories: growth. Anonymous traffic stores nothing on the server, a
//! large body without a session is refused before it is read, and the upkeep
//! job purges what is spent, so no table grows with traffic alone.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;

use crate::helpers::{extract_csrf, spawn_app, TestApp, TestClient, PASSWORD};

async fn anonymous_sessions(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM sessions WHERE account_id IS NULL")
        .await
}

/// An anonymous client that has loaded the sign-in page (and holds its cookie).
async fn visitor_on_signin(app: &TestApp) -> (TestClient, String) {
    let visitor = TestClient::new(&app.address);
    let (status, body) = visitor.page("/signin").await;
    assert_eq!(status, StatusCode::OK);
    let token = extract_csrf(&body).expect("the sign-in page carries a token");
    (visitor, token)
}

async fn post_signin(client: &TestClient, token: Option<&str>) -> reqwest::Response {
    let mut form = vec![("email", "ada@example.com"), ("password", PASSWORD)];
    if let Some(token) = token {
        form.push(("csrf_token", token));
    }
    client
        .http
        .post(client.url("/signin"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_anonymous_visitor_loading_the_sign_in_page_a_hundred_times_stores_no_session() {
    let app = spawn_app().await;
    app.setup_owner().await;
    // A bot without cookies, and one browser that keeps them.
    let bot = reqwest::Client::new();
    let browser = TestClient::new(&app.address);
    for _ in 0..50 {
        let res = bot.get(app.client.url("/signin")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookies: Vec<&str> = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(
            matches!(cookies[..], [c] if c.starts_with("roster-csrf=")
                && c.contains("HttpOnly") && c.contains("SameSite=Lax")),
            "only the anonymous token's cookie: {cookies:?}"
        );
        assert_eq!(browser.page("/signin").await.0, StatusCode::OK);
    }
    for path in ["/password/forgot", "/invite/not-a-real-token"] {
        browser.page(path).await;
        bot.get(app.client.url(path)).send().await.unwrap();
    }

    assert_eq!(anonymous_sessions(&app).await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM sessions").await,
        1,
        "only Ada's session"
    );
}

#[tokio::test]
async fn a_visitor_signs_in_from_a_page_that_stored_no_session_and_gets_a_new_token() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (visitor, anonymous_token) = visitor_on_signin(&app).await;

    let res = post_signin(&visitor, Some(&anonymous_token)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed in");
    let (status, profile) = visitor.page("/profile").await;
    assert_eq!(status, StatusCode::OK);
    let session_token = extract_csrf(&profile).unwrap();
    assert_ne!(session_token, anonymous_token);

    // Signed in, the token of the anonymous page no longer does.
    let res = visitor
        .http
        .post(visitor.url("/signout"))
        .form(&[("csrf_token", anonymous_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(visitor.page("/profile").await.0, StatusCode::OK);
    assert_eq!(anonymous_sessions(&app).await, 0);
}

#[tokio::test]
async fn an_anonymous_post_without_or_with_a_wrong_or_forged_token_is_refused() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (visitor, _) = visitor_on_signin(&app).await;
    let (_, others_token) = visitor_on_signin(&app).await;
    let cookie = visitor.cookie_header();
    let own_cookie_value = cookie
        .split("; ")
        .find_map(|c| c.strip_prefix("roster-csrf="))
        .expect("the anonymous token's cookie")
        .to_owned();

    let forged = "ab".repeat(32);
    for token in [
        None,
        Some(forged.as_str()),
        // Another visitor's token goes with another cookie.
        Some(others_token.as_str()),
        // The cookie itself is no token: the token is a MAC of it.
        Some(own_cookie_value.as_str()),
    ] {
        let res = post_signin(&visitor, token).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{token:?}");
    }
    // A token without the cookie it belongs to does not do either.
    let cookieless = TestClient::new(&app.address);
    let (_, token) = visitor_on_signin(&app).await;
    let res = post_signin(&cookieless, Some(&token)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM sessions").await,
        1,
        "nobody signed in"
    );
}

/// Sends the headers of a POST announcing `length` bytes and only a few of
/// them, and returns the status line the server answers with (within five
/// seconds: a server waiting for the rest would never answer).
async fn status_of_a_body_never_sent(app: &TestApp, path: &str, content_type: &str) -> String {
    use std::io::{Read, Write};
    let host = app.address.trim_start_matches("http://").to_owned();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\nemail=a",
        1024 * 1024
    );
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        let mut answer = [0u8; 64];
        let read = stream
            .read(&mut answer)
            .unwrap_or_else(|e| panic!("{path}: no answer while the body was not sent ({e})"));
        let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
        answer.lines().next().unwrap_or_default().to_owned()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_megabyte_posted_to_the_invite_endpoints_without_a_session_is_refused_before_it_is_read()
{
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    for path in [
        format!("/orgs/{org}/members/invite"),
        format!("/orgs/{org}/members/invite/confirm"),
    ] {
        for content_type in [
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            let status = status_of_a_body_never_sent(&app, &path, content_type).await;
            assert!(
                status.starts_with("HTTP/1.1 403") || status.starts_with("HTTP/1.1 413"),
                "{path} {content_type}: {status}"
            );
        }
    }
    // A whole megabyte, sent: refused, and nobody was invited.
    let body = format!("email={}", "a".repeat(1024 * 1024));
    let res = reqwest::Client::new()
        .post(app.client.url(&format!("/orgs/{org}/members/invite")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await;
    if let Ok(res) = res {
        assert!(matches!(
            res.status(),
            StatusCode::FORBIDDEN | StatusCode::PAYLOAD_TOO_LARGE
        ));
    }
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
}

#[tokio::test]
async fn the_upkeep_purges_dead_sessions_and_spent_rate_limits_and_signin_budgets() {
    let app = spawn_app().await;
    app.setup_owner().await;
    app.query(|conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(
            "INSERT INTO sessions (key_hash, state, expires_at, created_at)
             SELECT decode(md5('idle' || g), 'hex'), '{}', now() - interval '1 minute', now() - interval '1 hour'
             FROM generate_series(1, 30) g;
             INSERT INTO sessions (key_hash, state, expires_at, created_at)
             VALUES (decode(md5('too old'), 'hex'), '{}', now() + interval '10 minutes', now() - interval '13 hours');
             INSERT INTO rate_limits (key, hits, window_started_at) VALUES
               ('signin:email:old@example.com', 3, now() - interval '25 hours'),
               ('signin:email:recent@example.com', 3, now() - interval '10 minutes'),
               ('reset:ip:10.0.0.1', 5, now() - interval '2 hours'),
               ('reset:ip:10.0.0.2', 5, now() - interval '10 minutes');
             INSERT INTO team_roster_changes (team_id, changed_at)
             SELECT 4242, now() - interval '2 days' FROM generate_series(1, 3);
             INSERT INTO team_roster_changes (team_id, changed_at) VALUES (4343, now() - interval '2 days');",
        )
        .unwrap();
    })
    .await;

    let purged = app
        .query(|conn| {
            roster::services::upkeep::purge_spent(conn, Utc::now(), Duration::from_secs(12 * 3600))
                .unwrap()
        })
        .await;

    assert_eq!(
        purged,
        roster::services::upkeep::Purged {
            sessions: 31,
            rate_limits: 2,
            roster_changes: 2,
        }
    );
    assert_eq!(
        app.count("SELECT count(*) FROM team_roster_changes WHERE team_id IN (4242, 4343)")
            .await,
        2,
        "each team's newest roster change stays, however old"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM sessions").await,
        1,
        "Ada's live session stays"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM rate_limits WHERE key = 'signin:email:recent@example.com'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM rate_limits WHERE key = 'reset:ip:10.0.0.2'")
            .await,
        1
    );
    // Ada is still signed in.
    assert_eq!(app.client.page("/profile").await.0, StatusCode::OK);
}
