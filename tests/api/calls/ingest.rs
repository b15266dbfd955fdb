//! Storing calls through the ingest service, as the API does: idempotent by
//! external id, one result per call of a batch, agents resolved among the
//! team's active members only, and the team found by its current workflow ID
//! within the caller's organization only.

use roster::error::AppError;
use roster::services::calls::Status;
use serde_json::json;

use super::{
    call, call_by, globex_with_gus, member_id, org_with_team, send, send_as, team_settings_post,
    workflow_of,
};
use crate::helpers::{spawn_app, TestApp};
use crate::teams::add_to_team;

async fn calls_in(app: &TestApp, team: i64) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM calls WHERE team_id = {team}"
    ))
    .await
}

#[tokio::test]
async fn the_same_external_id_sent_twice_stores_one_call_and_answers_with_it() {
    let app = spawn_app().await;
    let (org, team, workflow) = org_with_team(&app).await;

    let first = send(&app, org, &workflow, call("c-1", 5)).await.unwrap();
    let mut changed = call("c-1", 6);
    changed["duration_seconds"] = json!(999);
    let again = send(&app, org, &workflow, changed).await.unwrap();

    assert_eq!(first[0].status, Status::Stored);
    assert_eq!(again[0].status, Status::Duplicate);
    assert_eq!(again[0].id, first[0].id, "the existing call answers");
    let existing = again[0].call.as_ref().expect("the whole existing call");
    assert_eq!(existing.duration_seconds, 65, "what was stored first stays");
    assert_eq!(calls_in(&app, team).await, 1);
}

#[tokio::test]
async fn a_batch_answers_each_call_stored_duplicate_or_refused_with_its_reasons() {
    let app = spawn_app().await;
    let (org, team, workflow) = org_with_team(&app).await;
    send(&app, org, &workflow, call("old", 1)).await.unwrap();
    let mut negative = call("neg", 2);
    negative["duration_seconds"] = json!(-1);
    let mut not_a_date = call("date", 3);
    not_a_date["started_at"] = json!("last Tuesday");
    let mut huge = call("meta", 4);
    huge["metadata"] = json!({ "notes": "x".repeat(17 * 1024) });
    let long_id = call(&"x".repeat(10_000), 5);

    let results = send(
        &app,
        org,
        &workflow,
        json!({"calls": [call("new", 6), call("old", 7), call("new", 8), negative, not_a_date, huge, long_id]}),
    )
    .await
    .unwrap();

    let statuses: Vec<Status> = results.iter().map(|r| r.status).collect();
    use Status::*;
    assert_eq!(
        statuses,
        [Stored, Duplicate, Duplicate, Refused, Refused, Refused, Refused]
    );
    assert_eq!(results[2].id, results[0].id, "the batch's own earlier call");
    let reason = |i: usize| results[i].errors[0].message.clone();
    assert!(reason(3).contains("cannot be negative"), "{}", reason(3));
    assert!(reason(4).contains("started_at"), "{}", reason(4));
    assert!(reason(5).contains("16 KiB"), "{}", reason(5));
    assert!(reason(6).contains("at most 200"), "{}", reason(6));
    assert_eq!(calls_in(&app, team).await, 2, "old and new, nothing else");
}

#[tokio::test]
async fn agents_are_found_among_the_teams_active_members_and_others_are_reported() {
    let app = spawn_app().await;
    let (org, team, workflow) = org_with_team(&app).await;
    app.add_member(org, "al@example.com", "Al Agent", "member")
        .await;
    let al = member_id(&app, org, "al@example.com").await;
    add_to_team(&app.client, org, team, al, "agent").await;
    // Someone of the organization outside the team, and someone of another organization.
    app.add_member(org, "nina@example.com", "Nina Notinteam", "member")
        .await;
    let (_, gus) = globex_with_gus(&app).await;

    let mut by_id = call("by-id", 2);
    by_id["agent_member_id"] = json!(al);
    let mut other_orgs_id = call("gus-id", 5);
    other_orgs_id["agent_member_id"] = json!(gus);
    let results = send(
        &app,
        org,
        &workflow,
        json!({"calls": [
            call_by("by-email", 1, "AL@Example.com"),
            by_id,
            call_by("not-in-team", 3, "nina@example.com"),
            call_by("other-org", 4, "gus@globex.test"),
            other_orgs_id,
        ]}),
    )
    .await
    .unwrap();

    assert!(results.iter().all(|r| r.status == Status::Stored));
    let agents: Vec<Option<i64>> = results
        .iter()
        .map(|r| r.call.as_ref().unwrap().agent_membership_id.map(|m| m.0))
        .collect();
    assert_eq!(agents, [Some(al), Some(al), None, None, None]);
    assert!(results[0].warnings.is_empty() && results[1].warnings.is_empty());
    assert_eq!(
        results[3].warnings,
        ["No active member of this team has the email gus@globex.test; the call is stored unassigned."]
    );
    assert!(results[4].warnings[0].contains(&format!("member id {gus}")));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM calls WHERE team_id = {team} AND agent_membership_id IS NULL"
        ))
        .await,
        3
    );
}

#[tokio::test]
async fn another_organizations_workflow_id_and_a_regenerated_one_find_no_team() {
    let app = spawn_app().await;
    let (org, team, workflow) = org_with_team(&app).await;
    let (other, _) = globex_with_gus(&app).await;

    let theirs = send(&app, other, &workflow, call("x", 1)).await;
    assert!(matches!(theirs, Err(AppError::NotFound)), "{theirs:?}");

    team_settings_post(&app, org, team, "settings/workflow-id").await;
    let old = send(&app, org, &workflow, call("y", 2)).await;
    assert!(matches!(old, Err(AppError::NotFound)), "{old:?}");
    let new = workflow_of(&app, team).await;
    assert_ne!(new, workflow);
    assert!(send(&app, org, &new, call("y", 2)).await.is_ok());
    assert_eq!(calls_in(&app, team).await, 1);
}

#[tokio::test]
async fn an_archived_team_keeps_its_calls_and_refuses_new_ones_with_a_conflict() {
    let app = spawn_app().await;
    let (org, team, workflow) = org_with_team(&app).await;
    send(&app, org, &workflow, call("kept", 1)).await.unwrap();
    team_settings_post(&app, org, team, "archive").await;

    let refused = send(
        &app,
        org,
        &workflow,
        json!({"calls": [call("a", 2), call("b", 3)]}),
    )
    .await;

    let Err(AppError::Conflict(message)) = refused else {
        panic!("a conflict, got {refused:?}")
    };
    assert!(message.contains("archived"), "{message}");
    assert_eq!(calls_in(&app, team).await, 1, "kept, nothing added");
}

#[tokio::test]
async fn without_the_ingest_permission_nothing_is_stored() {
    let app = spawn_app().await;
    let (org, team, workflow) = org_with_team(&app).await;
    let reader = roster::domain::policy::Actor::with_permissions(
        roster::domain::AccountId(0),
        roster::domain::OrgRole::Owner,
        roster::domain::PermissionSet::of(&[roster::domain::Permission::MembersView]),
    );

    let refused = send_as(&app, reader, org, &workflow, call("x", 1)).await;

    let Err(AppError::Forbidden(reason)) = refused else {
        panic!("forbidden, got {refused:?}")
    };
    assert!(reason.contains("workflows.ingest"), "{reason}");
    assert_eq!(calls_in(&app, team).await, 0);
}
