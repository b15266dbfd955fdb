//! Teams, their members, groups and services, and invitations through the API,
//! with the same rules as the pages.

use reqwest::StatusCode;
use serde_json::json;

use super::{api, api_org, exec, make_token, ALL_SCOPES};

#[tokio::test]
async fn a_token_makes_a_team_sets_it_up_and_adds_and_removes_a_member() {
    let (app, org) = api_org().await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = app
        .count("SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'bob@example.com'")
        .await;
    let client = api(&app, &make_token(&app, org, ALL_SCOPES).await).await;

    let created = client
        .post(
            "/teams",
            &json!({"name": "Support", "description": "Phones"}),
        )
        .await;
    let id = created.body["id"].as_i64().unwrap();
    let twice = client.post("/teams", &json!({"name": "support"})).await;
    let updated = client
        .patch(
            &format!("/teams/{id}"),
            &json!({"name": "Customer care", "goal_threshold": 80, "calibration": true}),
        )
        .await;
    let bad_goal = client
        .patch(&format!("/teams/{id}"), &json!({"goal_threshold": 500}))
        .await;
    let added = client
        .post(
            &format!("/teams/{id}/members"),
            &json!({"member_id": bob, "role": "agent"}),
        )
        .await;
    let listed = client.get("/teams").await;
    let removed = client.delete(&format!("/teams/{id}/members/{bob}")).await;

    assert_eq!(created.status, StatusCode::CREATED);
    assert!(created.body["workflow_id"].as_str().unwrap().len() > 10);
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["name"], "Customer care");
    assert_eq!(updated.body["goal_threshold"], 80);
    assert_eq!(updated.body["calibration"], true);
    assert_eq!(bad_goal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_goal.body["errors"][0]["field"], "goal_threshold");
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(added.body["team_role"], "agent");
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.count("SELECT count(*) FROM team_memberships").await,
        0,
        "Bob left the team, not the organization"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action LIKE 'team.%'")
            .await,
        6
    );
}

#[tokio::test]
async fn an_archived_team_is_read_only_and_another_organizations_team_is_404() {
    let (app, org) = api_org().await;
    let client = api(&app, &make_token(&app, org, ALL_SCOPES).await).await;
    let id = client.post("/teams", &json!({"name": "Old"})).await.body["id"]
        .as_i64()
        .unwrap();
    exec(
        &app,
        &format!("UPDATE teams SET archived_at = now() WHERE id = {id}"),
    )
    .await;
    let other = app
        .query(|conn| {
            roster::db::organizations::insert(conn, "Elsewhere")
                .unwrap()
                .id
                .0
        })
        .await;
    exec(
        &app,
        &format!("INSERT INTO teams (id, organization_id, name, workflow_id) VALUES (9001, {other}, 'Theirs', 'wf_x')"),
    )
    .await;

    let archived = client
        .patch(&format!("/teams/{id}"), &json!({"name": "New"}))
        .await;
    let theirs = client.get("/teams/9001").await;
    let their_groups = client.get("/teams/9001/groups").await;

    assert_eq!(archived.status, StatusCode::CONFLICT);
    assert!(archived.body["detail"]
        .as_str()
        .unwrap()
        .contains("archived"));
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(their_groups.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn groups_and_services_are_made_and_attached_and_need_their_scopes() {
    let (app, org) = api_org().await;
    let client = api(&app, &make_token(&app, org, ALL_SCOPES).await).await;
    let narrow = client.with_token(Some(&make_token(&app, org, &["teams.manage"]).await));
    let team = client
        .post("/teams", &json!({"name": "Support"}))
        .await
        .body["id"]
        .as_i64()
        .unwrap();

    let group = client
        .post(&format!("/teams/{team}/groups"), &json!({"name": "Tier 1"}))
        .await;
    let service = client
        .post(
            &format!("/teams/{team}/services"),
            &json!({"name": "Phone", "description": "Calls"}),
        )
        .await;
    let (g, s) = (
        group.body["id"].as_i64().unwrap(),
        service.body["id"].as_i64().unwrap(),
    );
    let attached = client
        .json(
            reqwest::Method::PUT,
            &format!("/teams/{team}/groups/{g}/services/{s}"),
            &json!({}),
        )
        .await;
    let groups = client.get(&format!("/teams/{team}/groups")).await;
    let detached = client
        .delete(&format!("/teams/{team}/groups/{g}/services/{s}"))
        .await;
    let refused = narrow
        .post(&format!("/teams/{team}/groups"), &json!({"name": "Tier 2"}))
        .await;
    let empty_name = client
        .post(&format!("/teams/{team}/groups"), &json!({"name": "  "}))
        .await;

    assert_eq!(group.status, StatusCode::CREATED);
    assert_eq!(service.status, StatusCode::CREATED);
    assert_eq!(attached.status, StatusCode::NO_CONTENT);
    assert_eq!(groups.body["data"][0]["service_ids"], json!([s]));
    assert_eq!(detached.status, StatusCode::NO_CONTENT);
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "teams.manage alone is not groups.manage"
    );
    assert_eq!(empty_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("SELECT count(*) FROM groups").await, 1);
}

#[tokio::test]
async fn invitations_follow_the_dialogs_rules_and_are_listed_resent_and_revoked() {
    let (app, org) = api_org().await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let client = api(&app, &make_token(&app, org, ALL_SCOPES).await).await;

    let one = client
        .post(
            "/invitations",
            &json!({"email": "grace@example.com", "role": "member"}),
        )
        .await;
    let again = client
        .post(
            "/invitations",
            &json!({"email": "grace@example.com", "role": "member"}),
        )
        .await;
    let bad = client
        .post(
            "/invitations",
            &json!({"email": "not an address", "role": "member"}),
        )
        .await;
    let list = client
        .post(
            "/invitations/bulk",
            &json!({"emails": ["a@example.com", "bob@example.com", "nope", "b@example.com"], "role": "member"}),
        )
        .await;
    let too_many = client
        .post(
            "/invitations/bulk",
            &json!({"emails": (0..1001).map(|i| format!("x{i}@example.com")).collect::<Vec<_>>(), "role": "member"}),
        )
        .await;
    let pending = client.get("/invitations").await;
    let grace = one.body["id"].as_i64().unwrap();
    let resent = client
        .post(&format!("/invitations/{grace}/resend"), &json!({}))
        .await;
    let revoked = client.delete(&format!("/invitations/{grace}")).await;

    assert_eq!(one.status, StatusCode::CREATED, "{}", one.body);
    assert_eq!(one.body["status"], "pending");
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.body["errors"][0]["field"], "email");
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["invited"], 2);
    assert_eq!(list.body["lines"][1]["invited"], false);
    assert_eq!(
        too_many.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "at most 1,000 addresses"
    );
    assert_eq!(pending.body["total"], 3);
    assert!(pending.body["data"][0]["expires_at"].is_string());
    assert_eq!(resent.status, StatusCode::NO_CONTENT);
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE status = 'pending'")
            .await,
        2
    );
}

#[tokio::test]
async fn inviting_past_the_seats_invites_nobody() {
    let (app, org) = api_org().await;
    exec(
        &app,
        &format!("UPDATE organizations SET seats_purchased = 2 WHERE id = {org}"),
    )
    .await;
    let client = api(&app, &make_token(&app, org, ALL_SCOPES).await).await;

    let list = client
        .post(
            "/invitations/bulk",
            &json!({"emails": ["a@example.com", "b@example.com"], "role": "member"}),
        )
        .await;

    assert!(list.status.is_client_error(), "{}", list.body);
    assert!(list.body["detail"].as_str().unwrap().contains("seats"));
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE status = 'pending'")
            .await,
        0
    );
}
