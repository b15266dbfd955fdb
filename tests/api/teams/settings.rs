//! A team's Settings tab: details, toggles, the goal threshold, the workflow ID,
//! archive and delete.

use reqwest::StatusCode;

use super::{add_to_team, create_team, exec, membership_of, workflow_id};
use crate::helpers::{location, spawn_app};

fn is_workflow_id(id: &str) -> bool {
    id.len() == 35
        && id.starts_with("wf_")
        && id[3..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

#[tokio::test]
async fn workflow_ids_are_unguessable_unique_and_regenerated_with_an_audit_event() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let a = create_team(&app.client, org, "Support").await;
    let b = create_team(&app.client, org, "Sales").await;
    let (id_a, id_b) = (workflow_id(&app, a).await, workflow_id(&app, b).await);
    assert!(is_workflow_id(&id_a), "{id_a}");
    assert!(is_workflow_id(&id_b), "{id_b}");
    assert_ne!(id_a, id_b);

    let settings = format!("/orgs/{org}/teams/{a}/settings");
    let (status, body) = app.client.page(&settings).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&format!("readonly value=\"{id_a}\"")));
    assert!(body.contains("data-copy=\"#workflow-id\""));
    assert!(body.contains("data-confirm=\"Regenerate the workflow ID"));

    let res = app
        .client
        .htmx_post(&format!("/orgs/{org}/teams/{a}/settings/workflow-id"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    let fresh = workflow_id(&app, a).await;
    assert!(is_workflow_id(&fresh) && fresh != id_a);
    assert!(body.starts_with("<section id=\"team-workflow\""));
    assert!(body.contains(&fresh) && !body.contains(&id_a));
    assert!(body.contains("the old one no longer works"));
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'team.workflow_id_regenerated'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM audit_events WHERE after::text LIKE '%{}%'",
            &fresh[3..]
        ))
        .await,
        0,
        "the audit log does not repeat the id itself"
    );
    assert_eq!(workflow_id(&app, b).await, id_b, "other teams keep theirs");
}

#[tokio::test]
async fn name_and_description_are_validated_and_saved() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    create_team(&app.client, org, "Sales").await;
    let path = format!("/orgs/{org}/teams/{team}/settings");
    for (name, message) in [
        ("", "Team name cannot be empty."),
        ("sales", "already exists"),
        (&"x".repeat(101), "at most 100"),
    ] {
        let res = app
            .client
            .htmx_post(&path, &[("name", name), ("description", "")])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = res.text().await.unwrap();
        assert!(body.starts_with("<form id=\"team-details-form\""), "{body}");
        assert!(body.contains(message), "{name}: {message}");
    }
    let res = app
        .client
        .post_form(
            &path,
            &[
                ("name", "Customer Care"),
                ("description", "First line.\r\nSecond."),
            ],
        )
        .await;
    assert_eq!(location(&res), path);
    let (_, body) = app.client.page(&path).await;
    assert!(body.contains("Team details saved."));
    assert!(body.contains("<h1 id=\"team-title\">Customer Care</h1>"));
    assert_eq!(
        app.count("SELECT count(*) FROM teams WHERE name = 'Customer Care' AND description = E'First line.\\nSecond.'")
            .await,
        1
    );
    // Keeping its own name in another case is not a duplicate.
    let res = app
        .client
        .post_form(&path, &[("name", "CUSTOMER CARE"), ("description", "")])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_goal_threshold_is_a_number_from_0_to_100_shown_in_colour() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    let settings = format!("/orgs/{org}/teams/{team}/settings");
    let (_, body) = app.client.page(&settings).await;
    assert!(body.contains("Below 80% shows <span class=\"score score-below\">red</span>, 80% and above shows <span class=\"score score-met\">green</span>."));
    assert_eq!(body.matches("goal-seg seg-below").count(), 16);
    assert_eq!(body.matches("goal-seg seg-met").count(), 4);

    let path = format!("{settings}/goal");
    for bad in ["-1", "101", "abc", "", "12.5", &"9".repeat(200)] {
        let res = app
            .client
            .htmx_post(&path, &[("goal_threshold", bad)])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let body = res.text().await.unwrap();
        assert!(body.starts_with("<section id=\"team-goal\""));
        assert!(body.contains("whole number from 0 to 100"), "{bad:?}");
    }
    assert_eq!(
        app.count("SELECT goal_threshold::bigint FROM teams").await,
        80,
        "unchanged"
    );
    for good in ["0", "100", "65"] {
        let res = app
            .client
            .htmx_post(&path, &[("goal_threshold", good)])
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{good}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains(&format!("Goal threshold set to {good}%.")));
    }
    let (_, body) = app.client.page(&settings).await;
    assert!(body.contains("Below 65% shows"));
    assert_eq!(body.matches("goal-seg seg-met").count(), 7, "65 to 99");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'team.goal_threshold_changed'")
            .await,
        3
    );
}

#[tokio::test]
async fn toggles_switch_row_by_row() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    let path = format!("/orgs/{org}/teams/{team}/settings/toggle");
    let res = app
        .client
        .htmx_post(&path, &[("toggle", "calibration"), ("enabled", "true")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<li id=\"team-toggle-calibration\" class=\"feature-row is-on\""));
    assert!(body.contains("data-state=\"on\"") && body.contains("Calibration on."));

    let res = app
        .client
        .post_form(&path, &[("toggle", "self_review"), ("enabled", "true")])
        .await;
    assert_eq!(location(&res), format!("/orgs/{org}/teams/{team}/settings"));
    assert_eq!(
        app.count("SELECT count(*) FROM teams WHERE calibration AND self_review")
            .await,
        1
    );
    for (toggle, enabled) in [("teleport", "true"), ("calibration", "maybe"), ("", "")] {
        let res = app
            .client
            .post_form(&path, &[("toggle", toggle), ("enabled", enabled)])
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{toggle} {enabled}"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'team.setting_toggled'")
            .await,
        2
    );
}

#[tokio::test]
async fn an_archived_team_is_read_only_until_it_is_unarchived() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    let base = format!("/orgs/{org}/teams/{team}");
    let res = app.client.post_form(&format!("{base}/archive"), &[]).await;
    assert_eq!(location(&res), format!("{base}/settings"));
    let (_, body) = app.client.page(&format!("{base}/settings")).await;
    assert!(body.contains("Support archived"));
    assert!(body.contains("unarchive it to make changes"));
    assert!(body.contains("Unarchive team"));

    let writes: [(String, Vec<(&str, &str)>); 5] = [
        (
            format!("{base}/settings"),
            vec![("name", "New"), ("description", "")],
        ),
        (
            format!("{base}/settings/goal"),
            vec![("goal_threshold", "50")],
        ),
        (
            format!("{base}/settings/toggle"),
            vec![("toggle", "calibration"), ("enabled", "true")],
        ),
        (format!("{base}/settings/workflow-id"), vec![]),
        (
            format!("{base}/members"),
            vec![("member", "1"), ("role", "agent")],
        ),
    ];
    let before = workflow_id(&app, team).await;
    for (path, fields) in &writes {
        let res = app.client.post_form(path, fields).await;
        assert_eq!(res.status(), StatusCode::CONFLICT, "{path}");
        assert!(res.text().await.unwrap().contains("archived"), "{path}");
    }
    let res = app
        .client
        .post_form(
            &format!("{base}/members"),
            &[("member", &bob.to_string()), ("role", "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(workflow_id(&app, team).await, before);
    assert_eq!(
        app.count("SELECT count(*) FROM teams WHERE name = 'Support' AND goal_threshold = 80 AND NOT calibration")
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 0);

    let res = app
        .client
        .post_form(&format!("{base}/unarchive"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    add_to_team(&app.client, org, team, bob, "agent").await;
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action IN ('team.archived', 'team.unarchived')")
            .await,
        2
    );
}

#[tokio::test]
async fn deleting_a_team_needs_its_name_and_keeps_org_memberships() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    let other = create_team(&app.client, org, "Sales").await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    add_to_team(&app.client, org, team, bob, "agent").await;
    add_to_team(&app.client, org, other, bob, "agent").await;
    exec(
        &app,
        &format!(
            "INSERT INTO groups (organization_id, team_id, name) VALUES ({org}, {team}, 'Nights')"
        ),
    )
    .await;
    exec(
        &app,
        &format!(
            "INSERT INTO services (organization_id, team_id, name) VALUES ({org}, {team}, 'Phone')"
        ),
    )
    .await;
    let path = format!("/orgs/{org}/teams/{team}/delete");
    let (_, page) = app
        .client
        .page(&format!("/orgs/{org}/teams/{team}/settings"))
        .await;
    assert!(page.contains("data-confirm=\"Delete Support with its groups and services?"));

    for typed in ["", "support", "Sales"] {
        let res = app
            .client
            .htmx_post(&path, &[("confirm_name", typed)])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let body = res.text().await.unwrap();
        assert!(body.starts_with("<section id=\"team-lifecycle\""));
        assert!(
            body.contains("Type the team&#39;s name, Support, to confirm."),
            "{body}"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM teams").await, 2);

    let res = app
        .client
        .post_form(&path, &[("confirm_name", "Support")])
        .await;
    assert_eq!(location(&res), format!("/orgs/{org}/teams"));
    let (_, body) = app.client.page(&format!("/orgs/{org}/teams")).await;
    assert!(body.contains("Team Support deleted"));
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM teams WHERE id = {team}"))
            .await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM groups").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM services").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM team_memberships").await,
        1,
        "Sales keeps Bob"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM memberships").await,
        2,
        "nobody left the org"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'team.deleted'")
            .await,
        1
    );
    let (status, _) = app.client.page(&format!("/orgs/{org}/teams/{team}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
