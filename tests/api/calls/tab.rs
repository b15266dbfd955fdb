//! The team's Calls tab: agents see their own calls only, those who see all of
//! the team's data see every call; 50 a page by keyset; filters by agent and
//! day kept in the URL; an empty tab says how to send the first call.

use reqwest::StatusCode;
use serde_json::json;

use super::{call_by, globex_with_gus, member_id, org_with_team, send, team_settings_post};
use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::teams::{add_to_team, exec};

/// Al and Bo are agents of the team, Sue its supervisor; one call each for Al
/// and Bo and one unassigned.
async fn team_with_calls(app: &TestApp) -> (i64, i64, i64, i64) {
    let (org, team, workflow) = org_with_team(app).await;
    for (email, name, role) in [
        ("al@example.com", "Al Agent", "agent"),
        ("bo@example.com", "Bo Agent", "agent"),
        ("sue@example.com", "Sue Supervisor", "supervisor"),
    ] {
        app.add_member(org, email, name, "member").await;
        let id = member_id(app, org, email).await;
        add_to_team(&app.client, org, team, id, role).await;
    }
    let (al, bo) = (
        member_id(app, org, "al@example.com").await,
        member_id(app, org, "bo@example.com").await,
    );
    send(
        app,
        org,
        &workflow,
        json!({"calls": [
            call_by("call-al", 1, "al@example.com"),
            call_by("call-bo", 2, "bo@example.com"),
            call_by("call-nobody", 3, "nobody@example.com"),
        ]}),
    )
    .await
    .unwrap();
    (org, team, al, bo)
}

#[tokio::test]
async fn an_agent_sees_only_the_calls_assigned_to_them_whatever_the_url_asks() {
    let app = spawn_app().await;
    let (org, team, _al, bo) = team_with_calls(&app).await;
    let al = app.signed_in_client("al@example.com", PASSWORD).await;
    let tab = format!("/orgs/{org}/teams/{team}/calls");

    let (status, body) = al.page(&tab).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("call-al"));
    assert!(!body.contains("call-bo") && !body.contains("call-nobody"));
    assert!(
        !body.contains("id=\"f-agent\""),
        "no agent filter for agents"
    );
    let (_, body) = al.page(&format!("{tab}?agent={bo}")).await;
    assert!(body.contains("call-al") && !body.contains("call-bo"));
    let (_, body) = al.page(&format!("{tab}?agent=none")).await;
    assert!(!body.contains("call-nobody"));
}

#[tokio::test]
async fn a_supervisor_and_the_owner_see_every_call_and_filter_by_agent() {
    let app = spawn_app().await;
    let (org, team, al, _bo) = team_with_calls(&app).await;
    let sue = app.signed_in_client("sue@example.com", PASSWORD).await;
    let tab = format!("/orgs/{org}/teams/{team}/calls");

    for client in [&sue, &app.client] {
        let (status, body) = client.page(&tab).await;
        assert_eq!(status, StatusCode::OK);
        for id in ["call-al", "call-bo", "call-nobody"] {
            assert!(body.contains(id), "{id}");
        }
        assert!(body.contains("Al Agent") && body.contains("Unassigned"));
    }
    let (_, body) = sue.page(&format!("{tab}?agent={al}")).await;
    assert!(body.contains("call-al") && !body.contains("call-bo"));
    assert!(body.contains(&format!("<option value=\"{al}\" selected>")));
    let (_, body) = sue.page(&format!("{tab}?agent=none")).await;
    assert!(body.contains("call-nobody") && !body.contains("call-al"));
}

#[tokio::test]
async fn the_tab_pages_fifty_calls_at_a_time_forward_and_back() {
    let app = spawn_app().await;
    let (org, team, _) = org_with_team(&app).await;
    // 120 calls, one a minute; call-119 is the latest.
    exec(
        &app,
        &format!(
            "INSERT INTO calls (organization_id, team_id, external_id, started_at, duration_seconds, direction) \
             SELECT {org}, {team}, 'call-' || i, timestamptz '2026-12-01 00:00Z' + i * interval '1 minute', 30, 'outbound' \
             FROM generate_series(0, 119) i"
        ),
    )
    .await;
    let tab = format!("/orgs/{org}/teams/{team}/calls");
    let rows = |body: &str| body.matches("<tr id=\"call-").count();
    let link = |body: &str, rel: &str| {
        let marker = format!("rel=\"{rel}\" href=\"");
        let start = body.find(&marker).map(|i| i + marker.len())?;
        Some(body[start..].split('"').next()?.replace("&amp;", "&"))
    };

    let (_, page1) = app.client.page(&tab).await;
    assert_eq!(rows(&page1), 50);
    assert!(page1.contains(">call-119<") && page1.contains(">call-70<"));
    assert!(link(&page1, "prev").is_none());
    let (_, page2) = app.client.page(&link(&page1, "next").unwrap()).await;
    assert_eq!(rows(&page2), 50);
    assert!(page2.contains(">call-69<") && page2.contains(">call-20<"));
    let (_, page3) = app.client.page(&link(&page2, "next").unwrap()).await;
    assert_eq!(rows(&page3), 20);
    assert!(link(&page3, "next").is_none());
    let (_, back) = app.client.page(&link(&page3, "prev").unwrap()).await;
    assert_eq!(rows(&back), 50);
    assert!(back.contains(">call-69<") && back.contains(">call-20<"));
    let (_, first) = app.client.page(&link(&back, "prev").unwrap()).await;
    assert!(first.contains(">call-119<") && link(&first, "prev").is_none());
}

#[tokio::test]
async fn a_date_range_narrows_the_calls_and_a_bad_date_is_explained() {
    let app = spawn_app().await;
    let (org, team, _) = org_with_team(&app).await;
    exec(
        &app,
        &format!(
            "INSERT INTO calls (organization_id, team_id, external_id, started_at, duration_seconds, direction) VALUES \
             ({org}, {team}, 'dec-1', '2026-12-01 23:59Z', 1, 'inbound'), \
             ({org}, {team}, 'dec-2', '2026-12-02 12:00Z', 1, 'inbound'), \
             ({org}, {team}, 'dec-3', '2026-12-03 00:00Z', 1, 'inbound')"
        ),
    )
    .await;
    let tab = format!("/orgs/{org}/teams/{team}/calls");

    let (status, body) = app
        .client
        .page(&format!("{tab}?from=2026-12-02&to=2026-12-02"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(">dec-2<") && !body.contains(">dec-1<") && !body.contains(">dec-3<"));
    assert!(
        body.contains("value=\"2026-12-02\""),
        "the filter stays filled in"
    );

    let (status, body) = app.client.page(&format!("{tab}?from=someday")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Enter the first day as YYYY-MM-DD."));
    let (status, body) = app
        .client
        .page(&format!("{tab}?from=2026-12-03&to=2026-12-01"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("The first day is after the last day."));
}

#[tokio::test]
async fn the_empty_tab_shows_the_workflow_id_and_a_curl_command_to_its_managers() {
    let app = spawn_app().await;
    let (org, team, workflow) = org_with_team(&app).await;
    app.add_member(org, "al@example.com", "Al Agent", "member")
        .await;
    let al_id = member_id(&app, org, "al@example.com").await;
    add_to_team(&app.client, org, team, al_id, "agent").await;
    let tab = format!("/orgs/{org}/teams/{team}/calls");

    let (status, body) = app.client.page(&tab).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No calls yet"));
    assert!(body.contains(&format!("value=\"{workflow}\"")));
    assert!(body.contains(&format!("/api/v1/workflows/{workflow}/calls")));
    assert!(body.contains("Authorization: Bearer $ROSTER_TOKEN"));

    let al = app.signed_in_client("al@example.com", PASSWORD).await;
    let (status, body) = al.page(&tab).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No calls are assigned to you yet"));
    assert!(!body.contains(&workflow));
}

#[tokio::test]
async fn an_archived_teams_calls_stay_visible_and_read_only() {
    let app = spawn_app().await;
    let (org, team, _al, _bo) = team_with_calls(&app).await;
    team_settings_post(&app, org, team, "archive").await;

    let (status, body) = app
        .client
        .page(&format!("/orgs/{org}/teams/{team}/calls"))
        .await;

    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("call-al") && body.contains("call-bo"));
    assert!(body.contains("receives no new ones"));
    let section = body.split("id=\"team-calls\"").nth(1).unwrap();
    let section = section.split("</section>").next().unwrap();
    assert!(!section.contains("<form"), "nothing to change");
}

#[tokio::test]
async fn someone_of_another_organization_gets_a_404_for_the_tab() {
    let app = spawn_app().await;
    let (org, team, _) = org_with_team(&app).await;
    let (other, _) = globex_with_gus(&app).await;
    let gus = app.signed_in_client("gus@globex.test", PASSWORD).await;

    let (status, _) = gus.page(&format!("/orgs/{org}/teams/{team}/calls")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = gus.page(&format!("/orgs/{other}/teams/{team}/calls")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
