//! Heartbeats and streams nobody should get through: another organization,
//! no CSRF token, an archived member, a flood from one tab, a switched-off
//! feature, malformed reports. A clear 4xx each, never a 500.

use reqwest::StatusCode;

use super::{ada_and_bob, beat, stored_status};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_heartbeat_or_stream_for_an_organization_you_are_not_in_is_not_found() {
    let app = spawn_app().await;
    let (_, _, bob_client) = ada_and_bob(&app).await;
    let globex = crate::members::globex(&app).await;
    let res = beat(&bob_client, globex, "tab-bob-0001", "active").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = bob_client
        .get(&format!("/orgs/{globex}/presence/stream"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = beat(&bob_client, 999_999, "tab-bob-0001", "active").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM presence").await, 0);
}

#[tokio::test]
async fn a_heartbeat_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    let res = bob_client
        .http
        .post(bob_client.url(&format!("/orgs/{org}/presence")))
        .form(&[("tab", "tab-bob-0001"), ("state", "active")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = bob_client
        .http
        .post(bob_client.url(&format!("/orgs/{org}/presence")))
        .header("X-CSRF-Token", "not-the-token")
        .form(&[("tab", "tab-bob-0001"), ("state", "active")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored_status(&app, bob).await, "none");
}

#[tokio::test]
async fn an_archived_member_reports_and_listens_no_more() {
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    assert_eq!(
        beat(&bob_client, org, "tab-bob-0001", "active")
            .await
            .status(),
        204
    );
    app.query(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "UPDATE memberships SET status = 'archived' WHERE id = {bob}"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    let res = beat(&bob_client, org, "tab-bob-0001", "hidden").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = bob_client
        .get(&format!("/orgs/{org}/presence/stream"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        stored_status(&app, bob).await,
        "online",
        "the refused report changed nothing"
    );
}

#[tokio::test]
async fn a_hundred_heartbeats_a_second_from_one_tab_are_answered_429_cheaply_and_written_once() {
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    let token = bob_client.csrf().await;
    let url = bob_client.url(&format!("/orgs/{org}/presence"));
    let sends = (0..100).map(|n| {
        let (http, url, token) = (&bob_client.http, &url, &token);
        async move {
            let state = if n % 2 == 0 { "active" } else { "hidden" };
            http.post(url)
                .header("X-CSRF-Token", token)
                .form(&[("tab", "tab-flood-001"), ("state", state)])
                .send()
                .await
                .unwrap()
        }
    });
    let responses = futures_util::future::join_all(sends).await;
    let mut taken = 0;
    let mut limited = 0;
    for res in responses {
        match res.status().as_u16() {
            204 => taken += 1,
            429 => {
                limited += 1;
                assert!(res.headers().contains_key("retry-after"));
                assert!(
                    res.text().await.unwrap().is_empty(),
                    "no error page, just the status"
                );
            }
            other => panic!("a flood heartbeat got {other}"),
        }
    }
    assert!(taken <= 5, "{taken} taken");
    assert!(limited >= 95, "{limited} limited");
    assert!(["online", "away"].contains(&stored_status(&app, bob).await.as_str()));
    // The tab's next heartbeat waits its turn; another tab is not held up.
    let res = beat(&bob_client, org, "tab-flood-001", "active").await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let res = beat(&bob_client, org, "tab-other-002", "active").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn malformed_heartbeats_are_refused_in_place() {
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    for (tab, state) in [
        ("tab-bob-0001", "asleep"),
        ("tab-bob-0001", ""),
        ("short", "active"),
        ("tab<script>x", "active"),
        (&"t".repeat(65), "active"),
    ] {
        let res = beat(&bob_client, org, tab, state).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{tab} {state}"
        );
    }
    let res = bob_client
        .htmx_post(
            &format!("/orgs/{org}/presence"),
            &[("tab", "tab-bob-0001"), ("state", "active"), ("idle", "-5")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored_status(&app, bob).await, "none");
}

#[tokio::test]
async fn with_presence_switched_off_no_report_is_taken_no_dot_shown_and_last_seen_is_kept() {
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/settings/features/presence"),
            &[("enabled", "false")],
        )
        .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM organization_features WHERE feature = 'presence' AND NOT enabled"
        )
        .await,
        1
    );

    let res = beat(&bob_client, org, "tab-bob-0001", "active").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = bob_client
        .get(&format!("/orgs/{org}/presence/stream"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored_status(&app, bob).await, "none");

    let (_, page) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(!page.contains("sse-connect"), "no stream");
    assert!(!page.contains("class=\"presence "), "no dots");
    assert!(!page.contains("roster-presence"), "no heartbeat");
    // Bob was seen all the same (his requests above), and the list says when.
    assert_eq!(
        app.count("SELECT count(*) FROM accounts WHERE email = 'bob@example.com' AND last_seen_at IS NOT NULL")
            .await,
        1
    );
}
