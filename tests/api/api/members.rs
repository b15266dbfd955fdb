//! `/api/v1/members`: the list with the page's filters and a cursor, one
//! member, and changing a member's access under the same policy as the page.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::json;

use super::{api, api_org, make_token, make_token_as, ALL_SCOPES};
use crate::helpers::PASSWORD;
use crate::members::seed;

#[tokio::test]
async fn the_list_pages_by_cursor_through_every_member_once() {
    let (app, org) = api_org().await;
    seed(&app, org, 120, 2).await;
    let client = api(&app, &make_token(&app, org, &["members.view"]).await).await;

    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/members?limit=50&cursor={c}"),
            None => "/members?limit=50".to_owned(),
        };
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.body["total"], 121);
        for m in page.body["data"].as_array().unwrap() {
            assert!(seen.insert(m["id"].as_i64().unwrap()), "each member once");
        }
        pages += 1;
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 121);
}

#[tokio::test]
async fn the_list_filters_as_the_page_does() {
    let (app, org) = api_org().await;
    seed(&app, org, 30, 2).await;
    app.add_member(org, "grace@example.com", "Grace Hopper", "admin")
        .await;
    let client = api(&app, &make_token(&app, org, &["members.view"]).await).await;
    let team = app
        .count(&format!(
            "SELECT min(id) FROM teams WHERE organization_id = {org}"
        ))
        .await;
    let in_team = app
        .count(&format!(
            "SELECT count(*) FROM team_memberships WHERE team_id = {team}"
        ))
        .await;

    let search = client.get("/members?q=HOPPER").await;
    let admins = client.get("/members?role=admin").await;
    let archived = client.get("/members?status=archived").await;
    let by_team = client.get(&format!("/members?team={team}")).await;

    assert_eq!(search.body["total"], 1);
    assert_eq!(search.body["data"][0]["email"], "grace@example.com");
    assert_eq!(admins.body["data"][0]["role"], "admin");
    assert_eq!(archived.body["total"], 0);
    assert_eq!(by_team.body["total"], in_team);
}

#[tokio::test]
async fn one_member_is_read_by_id_and_an_unknown_id_is_404() {
    let (app, org) = api_org().await;
    let client = api(&app, &make_token(&app, org, &["members.view"]).await).await;
    let ada = app
        .count(&format!(
            "SELECT id FROM memberships WHERE organization_id = {org}"
        ))
        .await;

    let found = client.get(&format!("/members/{ada}")).await;
    let missing = client.get("/members/999999").await;
    let not_a_number = client.get("/members/abc").await;

    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body["name"], "Ada Lovelace");
    assert_eq!(found.body["role"], "owner");
    assert_eq!(found.body["status"], "active");
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(not_a_number.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_member_s_role_changes_under_the_same_policy_as_the_page() {
    let (app, org) = api_org().await;
    app.add_member(org, "ann@example.com", "Ann", "admin").await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let id = |email: &str| {
        format!("SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = '{email}'")
    };
    let (ann, bob) = (
        app.count(&id("ann@example.com")).await,
        app.count(&id("bob@example.com")).await,
    );
    let admin = app.signed_in_client("ann@example.com", PASSWORD).await;
    let as_ann = api(&app, &make_token_as(&admin, org, "ann's", ALL_SCOPES).await).await;
    let narrow = as_ann.with_token(Some(
        &make_token_as(
            &admin,
            org,
            "narrow",
            &["members.view", "members.edit_roles"],
        )
        .await,
    ));

    let beyond_scopes = narrow
        .patch(&format!("/members/{bob}"), &json!({"role": "manager"}))
        .await;
    let promoted = as_ann
        .patch(&format!("/members/{bob}"), &json!({"role": "manager"}))
        .await;
    let to_owner = as_ann
        .patch(&format!("/members/{bob}"), &json!({"role": "owner"}))
        .await;
    let herself = as_ann
        .patch(&format!("/members/{ann}"), &json!({"role": "member"}))
        .await;
    let stale = as_ann
        .patch(
            &format!("/members/{bob}"),
            &json!({"role": "member", "version": 0}),
        )
        .await;

    assert_eq!(
        beyond_scopes.status,
        StatusCode::FORBIDDEN,
        "a Manager holds more than the token"
    );
    assert!(beyond_scopes.body["detail"]
        .as_str()
        .unwrap()
        .contains("do not hold"));
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
    assert_eq!(promoted.body["role"], "manager");
    assert_eq!(to_owner.status, StatusCode::FORBIDDEN);
    assert_eq!(to_owner.problem(), "forbidden");
    assert_eq!(to_owner.body["detail"], "Only an Owner can grant Owner.");
    assert_eq!(
        herself.status,
        StatusCode::FORBIDDEN,
        "nobody changes their own access"
    );
    assert!(herself.body["detail"]
        .as_str()
        .unwrap()
        .contains("your own"));
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action LIKE 'member.%'")
            .await,
        1,
        "one change, one event"
    );
}

#[tokio::test]
async fn a_token_with_every_scope_still_cannot_do_what_its_scopes_do_not_name() {
    let (app, org) = api_org().await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = app
        .count("SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'bob@example.com'")
        .await;
    let reader = api(&app, &make_token(&app, org, &["members.view"]).await).await;
    let everything = api(&app, &make_token(&app, org, ALL_SCOPES).await).await;

    let refused = reader
        .patch(&format!("/members/{bob}"), &json!({"role": "manager"}))
        .await;
    let billing = everything
        .patch(
            &format!("/members/{bob}"),
            &json!({"own_permissions": ["billing.manage"]}),
        )
        .await;

    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.body["detail"]
        .as_str()
        .unwrap()
        .contains("permission"));
    assert_eq!(billing.status, StatusCode::FORBIDDEN, "{}", billing.body);
    assert!(billing.body["detail"]
        .as_str()
        .unwrap()
        .contains("do not hold"));
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE role = 'member' AND permissions IS NULL")
            .await,
        1
    );
}
