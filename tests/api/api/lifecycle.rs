//! Revoking and restoring members through `/api/v1/members/{member}/revoke`
//! and `…/restore`: the same services and policy as the revoke dialog and the
//! Archived tab, each refusal a problem with the policy's reason, and nothing
//! changed by a refused request.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{api, enable_api, make_token, make_token_as, ApiClient};
use crate::helpers::PASSWORD;
use crate::members::scene::{put_in_team, scene, sql, Scene};
use crate::members::{globex, join};

const REVOKE_SCOPES: &[&str] = &["members.view", "members.revoke"];

/// The lifecycle scene (Bob in Support with 3 contacts and in Sales with 2,
/// Carl in both) with the API on, and Ada's token that may revoke.
async fn api_scene() -> (Scene, ApiClient) {
    let s = scene().await;
    enable_api(&s.app, s.org).await;
    let client = api(&s.app, &make_token(&s.app, s.org, REVOKE_SCOPES).await).await;
    (s, client)
}

/// The handover of `team` in a revoke's answer.
fn handed_over(body: &Value, team: i64) -> &Value {
    body["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["team_id"] == team)
        .unwrap_or_else(|| panic!("team {team} in {body}"))
}

#[tokio::test]
async fn a_revoke_archives_the_member_and_hands_their_contacts_to_whom_the_script_names() {
    let (s, client) = api_scene().await;
    let (bob, carl) = (s.bob, s.carl);

    let res = client
        .post(
            &format!("/members/{bob}/revoke"),
            &json!({"contacts": [{"team": s.sales, "reassign_to": carl}]}),
        )
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["member"]["id"], bob);
    assert_eq!(res.body["member"]["status"], "archived");
    assert_eq!(res.body["member"]["teams"], json!([]));
    let sales = handed_over(&res.body, s.sales);
    assert_eq!(
        (&sales["team"], &sales["contacts"], &sales["reassigned_to"]),
        (&json!("Sales"), &json!(2), &json!(carl))
    );
    let support = handed_over(&res.body, s.support);
    assert_eq!(
        (&support["contacts"], &support["reassigned_to"]),
        (&json!(3), &Value::Null),
        "a team the script did not name is unassigned"
    );
    assert_eq!(
        s.bob_state().await,
        (0, 0, 0, 0, 1),
        "out of every team and group, one event"
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM contacts WHERE team_id = {} AND assignee_membership_id = {carl}",
            s.sales
        ))
        .await,
        2
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM membership_archives WHERE membership_id = {bob}"
        ))
        .await,
        1,
        "what Bob held is kept for a restore"
    );
    // The archived member is what the list's archived filter shows.
    let archived = client.get("/members?status=archived").await;
    assert_eq!(archived.body["data"][0]["id"], bob);
}

#[tokio::test]
async fn revoking_twice_is_a_conflict_that_says_they_are_already_archived() {
    let (s, client) = api_scene().await;
    let path = format!("/members/{}/revoke", s.bob);

    let first = client.post(&path, &json!({})).await;
    let second = client.post(&path, &json!({})).await;

    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.problem(), "conflict");
    assert_eq!(second.body["detail"], "Bob is already archived.");
    assert_eq!(
        s.count("SELECT count(*) FROM audit_events WHERE action = 'member.revoked'")
            .await,
        1,
        "the second request changed nothing"
    );
}

#[tokio::test]
async fn nobody_revokes_their_own_access_the_last_owner_or_an_owner_they_do_not_outrank() {
    let (s, ada_token) = api_scene().await;
    let org = s.org;
    let ada = crate::members::membership_id(&s.app, "ada@example.com").await;
    join(&s.app, org, "ann@example.com", "Ann", "admin").await;
    let admin = s.app.signed_in_client("ann@example.com", PASSWORD).await;
    let ann_token = ada_token.with_token(Some(
        &make_token_as(&admin, org, "ann's", REVOKE_SCOPES).await,
    ));

    let herself = ada_token
        .post(&format!("/members/{ada}/revoke"), &json!({}))
        .await;
    let last_owner = ann_token
        .post(&format!("/members/{ada}/revoke"), &json!({}))
        .await;
    let olga = join(&s.app, org, "olga@example.com", "Olga", "owner").await;
    let an_owner = ann_token
        .post(&format!("/members/{olga}/revoke"), &json!({}))
        .await;

    for refused in [&herself, &last_owner, &an_owner] {
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        assert_eq!(refused.problem(), "forbidden");
    }
    assert_eq!(
        herself.body["detail"],
        "You cannot revoke your own access; ask another Owner or Admin."
    );
    assert_eq!(
        last_owner.body["detail"],
        "The last Owner cannot be removed."
    );
    assert_eq!(
        an_owner.body["detail"],
        "Only an Owner can change an Owner."
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {org} AND status = 'archived'"
        ))
        .await,
        0
    );
    assert_eq!(
        s.count("SELECT count(*) FROM audit_events WHERE action = 'member.revoked'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_reassignment_to_someone_outside_the_team_is_refused_and_changes_nothing() {
    let (s, client) = api_scene().await;
    let (org, bob) = (s.org, s.bob);
    let dora = join(&s.app, org, "dora@example.com", "Dora", "member").await;
    put_in_team(&s.app, org, s.support, dora, "agent").await;
    let before = s.bob_state().await;

    let outside = client
        .post(
            &format!("/members/{bob}/revoke"),
            &json!({"contacts": [
                {"team": s.support, "reassign_to": s.carl},
                {"team": s.sales, "reassign_to": dora},
            ]}),
        )
        .await;
    let twice = client
        .post(
            &format!("/members/{bob}/revoke"),
            &json!({"contacts": [
                {"team": s.sales, "reassign_to": s.carl},
                {"team": s.sales, "reassign_to": dora},
            ]}),
        )
        .await;
    let unknown_field = client
        .post(
            &format!("/members/{bob}/revoke"),
            &json!({"contacts": [], "notify": true}),
        )
        .await;

    assert_eq!(
        outside.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        outside.body
    );
    assert_eq!(outside.problem(), "validation");
    assert!(
        outside.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("Dora is not in Sales."),
        "{}",
        outside.body
    );
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(twice.body["errors"][0]["field"], "contacts/1/team");
    assert_eq!(unknown_field.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown_field.problem(), "invalid-body");
    assert_eq!(
        s.bob_state().await,
        before,
        "Bob keeps his teams, groups and contacts, and no event is written"
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM contacts WHERE assignee_membership_id = {}",
            s.carl
        ))
        .await,
        0,
        "not even the Support reassignment that was fine happened"
    );
}

#[tokio::test]
async fn a_restore_brings_the_member_back_and_names_what_was_deleted_meanwhile() {
    let (s, client) = api_scene().await;
    let bob = s.bob;
    let revoked = client
        .post(&format!("/members/{bob}/revoke"), &json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    sql(&s.app, format!("DELETE FROM groups WHERE id = {}", s.tier1)).await;

    let res = client
        .post(&format!("/members/{bob}/restore"), &json!({}))
        .await;
    let again = client
        .post(&format!("/members/{bob}/restore"), &json!({}))
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["member"]["status"], "active");
    let mut teams: Vec<(String, String)> = res.body["member"]["teams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    teams.sort();
    assert_eq!(
        teams,
        [
            ("Sales".to_owned(), "supervisor".to_owned()),
            ("Support".to_owned(), "agent".to_owned())
        ]
    );
    assert_eq!(
        res.body["skipped"],
        json!(["the group Tier 1 in Support (deleted)"])
    );
    assert_eq!(
        s.count(&format!("SELECT count(*) FROM audit_events WHERE action = 'member.restored' AND target_id = '{bob}'"))
            .await,
        1
    );
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(
        again.body["detail"],
        "Bob is not archived; there is nothing to restore."
    );
}

#[tokio::test]
async fn a_restore_without_a_free_seat_is_a_conflict_that_says_how_many_there_are() {
    let (s, client) = api_scene().await;
    let (org, bob) = (s.org, s.bob);
    let revoked = client
        .post(&format!("/members/{bob}/revoke"), &json!({}))
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    // Ada and Carl are active; two seats purchased, both in use.
    sql(
        &s.app,
        format!("UPDATE organizations SET seats_purchased = 2 WHERE id = {org}"),
    )
    .await;

    let res = client
        .post(&format!("/members/{bob}/restore"), &json!({}))
        .await;

    assert_eq!(res.status, StatusCode::CONFLICT);
    assert_eq!(res.problem(), "conflict");
    assert!(
        res.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("All 2 seats are in use, so Bob cannot be restored."),
        "{}",
        res.body
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'archived'"
        ))
        .await,
        1
    );
    assert_eq!(
        s.count("SELECT count(*) FROM audit_events WHERE action = 'member.restored'")
            .await,
        0
    );
}

#[tokio::test]
async fn another_organization_s_member_is_not_found_for_revoke_or_restore() {
    let (s, client) = api_scene().await;
    let other = globex(&s.app).await;
    let gus = join(&s.app, other, "gus@example.com", "Gus", "member").await;
    sql(
        &s.app,
        format!("UPDATE memberships SET status = 'archived' WHERE id = {gus}"),
    )
    .await;
    let gina = join(&s.app, other, "gina@example.com", "Gina", "member").await;

    let revoke = client
        .post(&format!("/members/{gina}/revoke"), &json!({}))
        .await;
    let restore = client
        .post(&format!("/members/{gus}/restore"), &json!({}))
        .await;
    let reassign_to_theirs = client
        .post(
            &format!("/members/{}/revoke", s.bob),
            &json!({"contacts": [{"team": s.sales, "reassign_to": gina}]}),
        )
        .await;

    assert_eq!(revoke.status, StatusCode::NOT_FOUND);
    assert_eq!(revoke.problem(), "not-found");
    assert_eq!(restore.status, StatusCode::NOT_FOUND);
    assert_eq!(reassign_to_theirs.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reassign_to_theirs.body["detail"]
        .as_str()
        .unwrap()
        .starts_with("That person is not a member of this organization."));
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {other} AND status = 'active'"
        ))
        .await,
        2,
        "Ada and Gina"
    );
    assert_eq!(
        s.count("SELECT count(*) FROM audit_events WHERE action IN ('member.revoked', 'member.restored')")
            .await,
        0
    );
}

#[tokio::test]
async fn a_token_without_the_revoke_scope_may_neither_revoke_nor_restore() {
    let (s, client) = api_scene().await;
    let bob = s.bob;
    let reader = client.with_token(Some(&make_token(&s.app, s.org, &["members.view"]).await));
    let blind = client.with_token(Some(&make_token(&s.app, s.org, &["members.revoke"]).await));

    let revoke = reader
        .post(&format!("/members/{bob}/revoke"), &json!({}))
        .await;
    let restore = reader
        .post(&format!("/members/{bob}/restore"), &json!({}))
        .await;
    let without_view = blind
        .post(&format!("/members/{bob}/revoke"), &json!({}))
        .await;

    for refused in [&revoke, &restore] {
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.problem(), "insufficient-scope");
        assert_eq!(
            refused.body["detail"],
            "This token does not have the members.revoke scope."
        );
        assert!(refused
            .header("www-authenticate")
            .contains(r#"scope="members.revoke""#));
    }
    assert_eq!(without_view.status, StatusCode::FORBIDDEN);
    assert_eq!(
        without_view.body["detail"],
        "This token does not have the members.view scope."
    );
    assert_eq!(s.bob_state().await, (5, 2, 1, 1, 0), "Bob is untouched");
}

#[tokio::test]
async fn a_token_whose_creator_was_revoked_still_revokes_for_the_organization() {
    let s = scene().await;
    enable_api(&s.app, s.org).await;
    // Ann, an Admin, makes the token; then she is revoked herself.
    let ann = join(&s.app, s.org, "ann@example.com", "Ann", "admin").await;
    let ann_client = s.app.signed_in_client("ann@example.com", PASSWORD).await;
    let client = api(
        &s.app,
        &make_token_as(&ann_client, s.org, "offboarding", REVOKE_SCOPES).await,
    )
    .await;
    let res = client
        .post(&format!("/members/{ann}/revoke"), &json!({}))
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "nobody revokes themselves: {}",
        res.body
    );
    let res = s
        .app
        .client
        .post_form(&format!("/orgs/{}/members/{ann}/revoke", s.org), &[])
        .await;
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "{}",
        res.status()
    );
    let archived =
        format!("SELECT count(*) FROM memberships WHERE id = {ann} AND status = 'archived'");
    assert_eq!(s.app.count(&archived).await, 1);

    let res = client
        .post(&format!("/members/{}/revoke", s.bob), &json!({}))
        .await;

    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["member"]["status"], "archived");
}
