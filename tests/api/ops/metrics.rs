//! `GET /metrics` on its own listener: requests by route pattern and status,
//! the pool, the outbox and sessions; never on the public listener.

use reqwest::StatusCode;
use roster::config::Settings;

use crate::helpers::{free_port, spawn_app_with, TestApp};

/// An app with metrics on; returns it and the metrics URL.
async fn app_with_metrics() -> (TestApp, String) {
    let port = free_port();
    let app = spawn_app_with(|s: &mut Settings| {
        s.metrics = true;
        s.metrics_bind = format!("127.0.0.1:{port}").parse().unwrap();
    })
    .await;
    (app, format!("http://127.0.0.1:{port}/metrics"))
}

async fn scrape(url: &str) -> String {
    let res = reqwest::get(url).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    res.text().await.unwrap()
}

/// The value of the sample named exactly `series` (name and labels).
fn sample(body: &str, series: &str) -> Option<f64> {
    body.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_show_pool_outbox_and_sessions() {
    let (app, metrics) = app_with_metrics().await;
    let org = app.setup_owner().await;
    for _ in 0..3 {
        app.client.get(&format!("/orgs/{org}/members")).await;
    }
    app.client.get("/orgs/987654/members").await;
    app.client.get("/wp-admin/secret-probe").await;
    app.query(|conn| {
        roster::db::outbox::insert(
            conn,
            roster::db::outbox::NewMessage {
                kind: "test",
                to: "someone@example.com",
                subject: "Waiting",
                text: "text",
                html: "<p>html</p>",
                invitation: None,
            },
        )
        .unwrap()
    })
    .await;

    let body = scrape(&metrics).await;

    let members = r#"method="GET",route="/orgs/{org}/members""#;
    assert_eq!(
        sample(
            &body,
            &format!("roster_http_requests_total{{{members},status=\"200\"}}")
        ),
        Some(3.0),
        "{body}"
    );
    assert_eq!(
        sample(
            &body,
            &format!("roster_http_requests_total{{{members},status=\"404\"}}")
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            r#"roster_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &body,
            &format!("roster_http_request_duration_seconds_count{{{members},status=\"200\"}}")
        ),
        Some(3.0)
    );
    assert!(body.contains(r#"status="200",le="0.005"}"#));
    assert!(!body.contains("wp-admin") && !body.contains(&format!("/orgs/{org}/")));
    assert_eq!(
        sample(&body, r#"roster_db_pool_connections{state="max"}"#),
        Some(4.0)
    );
    assert!(sample(&body, r#"roster_db_pool_connections{state="open"}"#).unwrap() >= 1.0);
    assert_eq!(
        sample(&body, r#"roster_db_pool_connections{state="waiting"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample(&body, r#"roster_outbox_messages{status="queued"}"#),
        Some(1.0)
    );
    assert_eq!(
        sample(&body, r#"roster_outbox_messages{status="sending"}"#),
        Some(0.0)
    );
    assert!(sample(&body, "roster_outbox_oldest_unsent_age_seconds").unwrap() >= 0.0);
    assert_eq!(sample(&body, "roster_sessions_active"), Some(1.0));
}

#[tokio::test]
async fn the_public_listener_has_no_metrics() {
    let (app, metrics) = app_with_metrics().await;
    app.setup_owner().await;

    let signed_in = app.client.get("/metrics").await;
    let anonymous = reqwest::get(format!("{}/metrics", app.address))
        .await
        .unwrap();

    assert_eq!(signed_in.status(), StatusCode::NOT_FOUND);
    assert_eq!(anonymous.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        reqwest::get(&metrics).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn metrics_are_not_served_unless_turned_on() {
    let port = free_port();
    let _app = spawn_app_with(|s: &mut Settings| {
        s.metrics_bind = format!("127.0.0.1:{port}").parse().unwrap();
    })
    .await;

    let refused = reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await;

    assert!(refused.is_err(), "nothing listens on the metrics address");
}
