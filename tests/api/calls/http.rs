//! `POST /api/v1/workflows/{workflow_id}/calls` with a real HTTP client and
//! real tokens: what each answer says, who is refused, and that bad input of
//! every named kind gets a clear problem+json 4xx and stores nothing.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{
    api_token, call, call_by, globex_with_gus, member_id, org_with_team, team_settings_post,
    workflow_of,
};
use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::teams::add_to_team;

/// Posts `body` (raw) to the workflow's calls with `token`; status and JSON.
async fn post_raw(
    app: &TestApp,
    token: Option<&str>,
    workflow: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (StatusCode, String, Value) {
    let mut req = app
        .client
        .http
        .post(
            app.client
                .url(&format!("/api/v1/workflows/{workflow}/calls")),
        )
        .header("Content-Type", content_type)
        .body(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.expect("request");
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    (status, kind, json)
}

async fn post(app: &TestApp, token: &str, workflow: &str, body: &Value) -> (StatusCode, Value) {
    let (status, _, json) = post_raw(
        app,
        Some(token),
        workflow,
        "application/json",
        body.to_string().into_bytes(),
    )
    .await;
    (status, json)
}

async fn stored(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM calls").await
}

/// Acme with its team, an ingest token made by Ada: (org, team, workflow, token).
async fn ingest_setup(app: &TestApp) -> (i64, i64, String, String) {
    let (org, team, workflow) = org_with_team(app).await;
    let token = api_token(app, org, "ada@example.com", &["workflows.ingest"]).await;
    (org, team, workflow, token)
}

#[tokio::test]
async fn a_call_sent_twice_is_stored_once_and_the_second_answer_is_the_first_call() {
    let app = spawn_app().await;
    let (_, _, workflow, token) = ingest_setup(&app).await;

    let (first, one) = post(&app, &token, &workflow, &call("c-1", 1)).await;
    let mut again = call("c-1", 2);
    again["direction"] = json!("outbound");
    let (second, two) = post(&app, &token, &workflow, &again).await;

    assert_eq!(first, StatusCode::CREATED, "{one}");
    assert_eq!(one["status"], "stored");
    assert_eq!(one["call"]["external_id"], "c-1");
    assert_eq!(one["call"]["agent_member_id"], Value::Null);
    assert_eq!(second, StatusCode::OK, "{two}");
    assert_eq!(two["status"], "duplicate");
    assert_eq!(two["call"]["id"], one["call"]["id"]);
    assert_eq!(two["call"]["direction"], "inbound", "the first call stands");
    assert_eq!(stored(&app).await, 1);
}

#[tokio::test]
async fn a_batch_answers_every_call_in_order_and_agents_see_theirs_on_the_tab() {
    let app = spawn_app().await;
    let (org, team, workflow, token) = ingest_setup(&app).await;
    app.add_member(org, "al@example.com", "Al Agent", "member")
        .await;
    let al = member_id(&app, org, "al@example.com").await;
    add_to_team(&app.client, org, team, al, "agent").await;
    let (_, gus) = globex_with_gus(&app).await;
    post(&app, &token, &workflow, &call("seen-before", 1)).await;
    let mut bad = call("bad", 2);
    bad["duration_seconds"] = json!(-3);
    let mut by_id = call("al-by-id", 3);
    by_id["agent_member_id"] = json!(al);

    let (status, body) = post(
        &app,
        &token,
        &workflow,
        &json!({"calls": [
            call_by("al-by-email", 4, "al@example.com"),
            call("seen-before", 5),
            bad,
            by_id,
            call_by("gus", 6, "gus@globex.test"),
        ]}),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (&body["stored"], &body["duplicates"], &body["refused"]),
        (&json!(3), &json!(1), &json!(1))
    );
    let results = body["results"].as_array().unwrap();
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["stored", "duplicate", "refused", "stored", "stored"]
    );
    assert_eq!(results[2]["index"], 2);
    assert_eq!(results[2]["errors"][0]["field"], "duration_seconds");
    assert!(results[1]["id"].is_i64());
    let warning = results[4]["warnings"][0].as_str().unwrap();
    assert!(warning.contains("gus@globex.test") && warning.contains("unassigned"));
    assert!(
        !warning.contains("Globex"),
        "nothing about the other organization"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM calls WHERE agent_membership_id = {gus}"
        ))
        .await,
        0
    );

    let al_client = app.signed_in_client("al@example.com", PASSWORD).await;
    let (_, tab) = al_client
        .page(&format!("/orgs/{org}/teams/{team}/calls"))
        .await;
    assert!(tab.contains(">al-by-email<") && tab.contains(">al-by-id<"));
    assert!(!tab.contains(">gus<") && !tab.contains(">seen-before<"));
}

#[tokio::test]
async fn a_token_without_the_ingest_scope_is_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (org, _, workflow) = org_with_team(&app).await;
    let token = api_token(&app, org, "ada@example.com", &["members.view"]).await;

    let res = app
        .client
        .http
        .post(
            app.client
                .url(&format!("/api/v1/workflows/{workflow}/calls")),
        )
        .bearer_auth(&token)
        .json(&call("x", 1))
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let challenge = res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("insufficient_scope") && challenge.contains("workflows.ingest"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["type"], "/api/v1/problems/insufficient-scope");
    assert_eq!(stored(&app).await, 0);
}

#[tokio::test]
async fn another_organizations_token_gets_a_404_for_a_workflow_id_it_does_not_own() {
    let app = spawn_app().await;
    let (_, _, workflow) = org_with_team(&app).await;
    let (globex, _) = globex_with_gus(&app).await;
    let theirs = api_token(&app, globex, "gus@globex.test", &["workflows.ingest"]).await;

    let (status, body) = post(&app, &theirs, &workflow, &call("x", 1)).await;

    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["type"], "/api/v1/problems/not-found");
    let (status, _) = post(&app, &theirs, "wf_made_up", &call("x", 1)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(stored(&app).await, 0);
}

#[tokio::test]
async fn a_regenerated_workflow_id_makes_the_old_one_answer_404_at_once() {
    let app = spawn_app().await;
    let (org, team, old, token) = ingest_setup(&app).await;
    assert_eq!(
        post(&app, &token, &old, &call("a", 1)).await.0,
        StatusCode::CREATED
    );

    team_settings_post(&app, org, team, "settings/workflow-id").await;

    assert_eq!(
        post(&app, &token, &old, &call("b", 2)).await.0,
        StatusCode::NOT_FOUND
    );
    let new = workflow_of(&app, team).await;
    assert_eq!(
        post(&app, &token, &new, &call("b", 2)).await.0,
        StatusCode::CREATED
    );
    assert_eq!(stored(&app).await, 2);
}

#[tokio::test]
async fn sending_to_an_archived_team_is_a_conflict_that_says_why() {
    let app = spawn_app().await;
    let (org, team, workflow, token) = ingest_setup(&app).await;
    post(&app, &token, &workflow, &call("before", 1)).await;
    team_settings_post(&app, org, team, "archive").await;

    let (status, body) = post(
        &app,
        &token,
        &workflow,
        &json!({"calls": [call("after", 2)]}),
    )
    .await;

    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["type"], "/api/v1/problems/conflict");
    assert!(body["detail"].as_str().unwrap().contains("archived"));
    assert_eq!(stored(&app).await, 1);
}

#[tokio::test]
async fn bad_input_of_every_named_kind_gets_a_clear_4xx_and_stores_nothing() {
    let app = spawn_app().await;
    let (_, _, workflow, token) = ingest_setup(&app).await;
    let with = |field: &str, value: Value| {
        let mut c = call("one", 1);
        c[field] = value;
        c
    };
    let many: Vec<Value> = (0..1_001).map(|i| call(&format!("b-{i}"), 1)).collect();
    let json_cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "malformed JSON",
            b"{\"external_id\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "wrong type",
            with("duration_seconds", json!("long"))
                .to_string()
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid-body",
        ),
        (
            "unknown field",
            with("colour", json!("blue")).to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid-body",
        ),
        (
            "a batch of 1,001",
            json!({ "calls": many }).to_string().into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
        ),
        (
            "a 10 MB body",
            vec![b' '; 10 * 1024 * 1024],
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
        ),
        (
            "17 KiB of metadata",
            with("metadata", json!({"notes": "x".repeat(17 * 1024)}))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            "a 10,000-character external id",
            with("external_id", json!("x".repeat(10_000)))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            "started_at not a date",
            with("started_at", json!("soon")).to_string().into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            "a negative duration",
            with("duration_seconds", json!(-1)).to_string().into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            "NUL in metadata",
            with("metadata", json!({"a": "\u{0}"}))
                .to_string()
                .into_bytes(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
        ),
        (
            "an empty batch",
            b"{\"calls\": []}".to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid-body",
        ),
    ];
    let mut failures = Vec::new();
    for (name, body, want, kind) in json_cases {
        let (status, content_type, problem) =
            post_raw(&app, Some(&token), &workflow, "application/json", body).await;
        let ok = status == want
            && content_type == "application/problem+json"
            && problem["type"] == format!("/api/v1/problems/{kind}")
            && !problem["detail"].as_str().unwrap_or_default().is_empty();
        if !ok {
            failures.push(format!("{name}: {status} {content_type} {problem}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let (status, _, problem) = post_raw(
        &app,
        Some(&token),
        &workflow,
        "application/json",
        with("started_at", json!("soon")).to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "started_at");
    let (status, _, _) = post_raw(
        &app,
        Some(&token),
        &workflow,
        "text/plain",
        call("x", 1).to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _, problem) = post_raw(
        &app,
        None,
        &workflow,
        "application/json",
        call("x", 1).to_string().into_bytes(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["type"], "/api/v1/problems/unauthorized");
    assert_eq!(stored(&app).await, 0, "nothing half-written");
}

#[tokio::test]
async fn batches_racing_with_the_same_new_ids_in_opposite_orders_store_each_once_and_never_fail() {
    let app = spawn_app().await;
    let (_, _, workflow, token) = ingest_setup(&app).await;
    // Rounds of two batches sent at once, holding the same 400 new external
    // ids, one forwards and one backwards: each inserting in its own order
    // could hold what the other needs.
    for round in 0..4 {
        let ids: Vec<String> = (0..400).map(|i| format!("r{round}-{i:03}")).collect();
        let forwards: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| call(id, (i % 60) as u32))
            .collect();
        let backwards: Vec<Value> = forwards.iter().rev().cloned().collect();
        let (forwards, backwards) = (json!({ "calls": forwards }), json!({ "calls": backwards }));
        let (a, b) = tokio::join!(
            post(&app, &token, &workflow, &forwards),
            post(&app, &token, &workflow, &backwards),
        );
        for (status, body) in [a, b] {
            assert_eq!(status, StatusCode::OK, "round {round}: {body}");
        }
        assert_eq!(stored(&app).await, 400 * (round + 1), "round {round}");
    }
}
