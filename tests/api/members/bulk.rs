//! Bulk actions on the members list: applied row by row, each reported.

use reqwest::StatusCode;

use super::*;

#[tokio::test]
async fn bulk_actions_apply_row_by_row_and_report_each() {
    let (app, org) = owner_with(0, 1).await;
    app.add_member(org, "manager@example.com", "Mo", "manager")
        .await;
    app.add_member(org, "admin@example.com", "Ann", "admin")
        .await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    app.add_member(org, "cy@example.com", "Cy", "member").await;
    let ids: Vec<String> = membership_ids(
        &app,
        &["admin@example.com", "bob@example.com", "cy@example.com"],
    )
    .await;
    let manager = app.signed_in_client("manager@example.com", PASSWORD).await;
    let team = first_team(&app, org).await.to_string();
    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", id.as_str())).collect();
    fields.extend([
        ("action", "add_team"),
        ("team", team.as_str()),
        ("team_role", "agent"),
    ]);
    let res = manager
        .htmx_post(&format!("/orgs/{org}/members/bulk"), &fields)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["hx-trigger"], "members-changed");
    let body = res.text().await.unwrap();
    assert!(body.contains("2 of 3 changed."), "{body}");
    assert!(body.contains(
        "<strong>Ann</strong>: Refused — You can only change members whose role is below yours."
    ));
    assert!(body.contains("<strong>Bob</strong>: Done."));
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 2);

    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", id.as_str())).collect();
    fields.push(("action", "explode"));
    let res = manager
        .htmx_post(&format!("/orgs/{org}/members/bulk"), &fields)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = manager
        .htmx_post(
            &format!("/orgs/{org}/members/bulk"),
            &[("action", "set_role"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
