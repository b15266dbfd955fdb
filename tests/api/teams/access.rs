//! Who may do what to a team: Managers manage every team, Agents only look,
//! nobody changes their own team access, and other organizations' ids are 404s.

use reqwest::StatusCode;

use super::{add_to_team, create_team, membership_of, team_member_client};
use crate::helpers::{location, spawn_app, TestClient, PASSWORD};

type Fields<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn an_org_manager_manages_any_team_without_being_in_it() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "mia@example.com", "Mia Manager", "manager")
        .await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    let mia = app.signed_in_client("mia@example.com", PASSWORD).await;

    let (status, body) = mia.page(&format!("/orgs/{org}/teams")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(">Support</a>") && body.contains("team-create-form"));
    mia.page(&format!("/orgs/{org}/teams/{team}")).await;
    add_to_team(&mia, org, team, bob, "team_manager").await;
    let res = mia
        .post_form(
            &format!("/orgs/{org}/teams/{team}/settings/goal"),
            &[("goal_threshold", "90")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // A team Mia creates is hers to manage through her org role; she is not added to it.
    let created = create_team(&mia, org, "Sales").await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE team_id = {created}"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn an_agent_cannot_change_settings_or_members_and_sees_only_their_own_row() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "bob@example.com", "Bob Other", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    add_to_team(&app.client, org, team, bob, "agent").await;
    let (agent, me) = team_member_client(&app, org, team, "al@example.com", "agent").await;
    let base = format!("/orgs/{org}/teams/{team}");

    let (status, body) = agent.page(&base).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&format!("id=\"team-member-{me}\"")));
    assert!(!body.contains("Bob Other"), "only their own row");
    assert!(
        body.contains("You see only your own membership in this team.")
            || body.contains("Only the team&#39;s managers can change its members.")
    );
    assert!(!body.contains("id=\"add-member\""));

    let (status, body) = agent.page(&format!("{base}/settings")).await;
    assert_eq!(status, StatusCode::OK, "settings are visible, read-only");
    assert!(body.contains("Only the team&#39;s managers can change its settings."));
    assert!(!body.contains("wf_"), "no workflow ID for agents");

    let settings_reason = "Only the team&#39;s managers can change its settings.";
    let members_reason = "Only the team&#39;s managers can change its members.";
    let bob_s = bob.to_string();
    let attempts: Vec<(String, Fields, &str)> = vec![
        (
            format!("{base}/settings"),
            vec![("name", "Mine"), ("description", "")],
            settings_reason,
        ),
        (
            format!("{base}/settings/goal"),
            vec![("goal_threshold", "1")],
            settings_reason,
        ),
        (
            format!("{base}/settings/toggle"),
            vec![("toggle", "calibration"), ("enabled", "true")],
            settings_reason,
        ),
        (
            format!("{base}/settings/workflow-id"),
            vec![],
            settings_reason,
        ),
        (format!("{base}/archive"), vec![], settings_reason),
        (
            format!("{base}/delete"),
            vec![("confirm_name", "Support")],
            settings_reason,
        ),
        (
            format!("{base}/members"),
            vec![("member", &bob_s), ("role", "agent")],
            members_reason,
        ),
        (
            format!("{base}/members/{bob}"),
            vec![("role", "team_manager")],
            members_reason,
        ),
        (
            format!("{base}/members/{bob}/remove"),
            vec![],
            members_reason,
        ),
    ];
    for (path, fields, reason) in attempts {
        let res = agent.post_form(&path, &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            res.text().await.unwrap().contains(reason),
            "{path}: {reason}"
        );
    }
    let (status, _) = agent.page(&format!("{base}/members/{bob}/edit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM teams WHERE name = 'Support' AND goal_threshold = 80 AND archived_at IS NULL")
            .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob} AND role = 'agent'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn nobody_changes_or_removes_their_own_team_access() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    let (lead, me) = team_member_client(&app, org, team, "tm@example.com", "team_manager").await;
    let base = format!("/orgs/{org}/teams/{team}");
    let reason = "You cannot change your own access; ask another manager.";

    let (_, body) = lead.page(&base).await;
    let row = &body[body.find(&format!("id=\"team-member-{me}\"")).unwrap()..];
    assert!(row.contains(reason), "the row shows why");
    assert!(row.contains("disabled"));

    let res = lead
        .post_form(&format!("{base}/members/{me}"), &[("role", "agent")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains(reason));
    let res = lead
        .htmx_post(&format!("{base}/members/{me}"), &[("role", "agent")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("is-editing") && body.contains(reason),
        "the inline form says why"
    );
    let res = lead
        .post_form(&format!("{base}/members/{me}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (status, _) = lead.page(&format!("{base}/members/{me}/edit")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // An Owner cannot put themselves into a team either; the list says why.
    let ada = membership_of(&app, org, "ada@example.com").await;
    let (_, body) = app.client.page(&base).await;
    assert!(body.contains(&format!(
        "<option value=\"{ada}\" disabled>Ada Lovelace (ada@example.com) · {reason}</option>"
    )));
    let res = app
        .client
        .post_form(
            &format!("{base}/members"),
            &[("member", &ada.to_string()), ("role", "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains(reason));
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM team_memberships WHERE membership_id = {me} AND role = 'team_manager'"))
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 1);

    // The team manager manages everyone else in the team.
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    add_to_team(&lead, org, team, bob, "supervisor").await;
    let res = lead
        .post_form(
            &format!("{base}/members/{bob}"),
            &[("role", "team_manager")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn another_organizations_team_and_member_ids_are_plain_404s() {
    let app = spawn_app().await;
    let acme = app.setup_owner().await;
    let team = create_team(&app.client, acme, "Support").await;
    app.add_member(acme, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_of(&app, acme, "bob@example.com").await;
    add_to_team(&app.client, acme, team, bob, "agent").await;
    // Ada also owns Globex; Eve owns only Globex.
    let res = app.client.post_form("/orgs", &[("name", "Globex")]).await;
    let globex: i64 = location(&res).trim_start_matches("/orgs/").parse().unwrap();
    let globex_team = create_team(&app.client, globex, "Globex team").await;
    app.add_member(globex, "eve@example.com", "Eve", "owner")
        .await;
    let eve_member = membership_of(&app, globex, "eve@example.com").await;
    let eve = app.signed_in_client("eve@example.com", PASSWORD).await;
    eve.page(&format!("/orgs/{globex}/teams")).await;

    let gets = [
        format!("/orgs/{acme}/teams"),
        format!("/orgs/{acme}/teams/{team}"),
        format!("/orgs/{globex}/teams/{team}"),
        format!("/orgs/{globex}/teams/{team}/settings"),
        format!("/orgs/{globex}/teams/{team}/members/{bob}/edit"),
        format!("/orgs/{globex}/teams/{globex_team}/members/{bob}/edit"),
        format!("/orgs/{globex}/teams/{globex_team}/members/{bob}"),
    ];
    for path in &gets {
        let (status, body) = eve.page(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains("Support"), "{path} leaks nothing");
    }
    let bob_s = bob.to_string();
    let posts: Vec<(String, Fields)> = vec![
        (format!("/orgs/{acme}/teams"), vec![("name", "Mine")]),
        (
            format!("/orgs/{globex}/teams/{team}/settings"),
            vec![("name", "Taken"), ("description", "")],
        ),
        (
            format!("/orgs/{globex}/teams/{team}/settings/goal"),
            vec![("goal_threshold", "1")],
        ),
        (
            format!("/orgs/{globex}/teams/{team}/settings/workflow-id"),
            vec![],
        ),
        (format!("/orgs/{globex}/teams/{team}/archive"), vec![]),
        (
            format!("/orgs/{globex}/teams/{team}/delete"),
            vec![("confirm_name", "Support")],
        ),
        (
            format!("/orgs/{globex}/teams/{team}/members"),
            vec![("member", &bob_s), ("role", "agent")],
        ),
        (
            format!("/orgs/{globex}/teams/{globex_team}/members/{bob}"),
            vec![("role", "agent")],
        ),
        (
            format!("/orgs/{globex}/teams/{globex_team}/members/{bob}/remove"),
            vec![],
        ),
    ];
    for (path, fields) in &posts {
        let res = eve.post_form(path, fields).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Another organization's member id in a form is just an unknown member.
    let res = eve
        .post_form(
            &format!("/orgs/{globex}/teams/{globex_team}/members"),
            &[("member", &bob_s), ("role", "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Choose a member of this organization."));
    assert_ne!(eve_member, bob);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM teams WHERE id = {team} AND name = 'Support' AND archived_at IS NULL AND goal_threshold = 80"
        ))
        .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 1);
}

#[tokio::test]
async fn unknown_team_and_member_ids_are_404s() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    let base = format!("/orgs/{org}/teams/{team}");
    app.client.page(&base).await;
    // Bob is in the organization but not in this team: as unknown as a made-up id.
    for member in [
        bob.to_string(),
        "999999".into(),
        "abc".into(),
        "-1".into(),
        "99999999999999999999".into(),
    ] {
        let (status, _) = app
            .client
            .page(&format!("{base}/members/{member}/edit"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "edit {member}");
        let res = app
            .client
            .post_form(&format!("{base}/members/{member}"), &[("role", "agent")])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "save {member}");
        let res = app
            .client
            .post_form(&format!("{base}/members/{member}/remove"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "remove {member}");
    }
    for path in [
        format!("/orgs/{org}/teams/999999"),
        format!("/orgs/{org}/teams/abc"),
        format!("/orgs/{org}/teams/999999/settings"),
    ] {
        let (status, _) = app.client.page(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let anonymous = TestClient::new(&app.address);
    let res = anonymous.get(&base).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign in first");
    assert!(location(&res).starts_with("/signin"));
}
