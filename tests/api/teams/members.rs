//! A team's Members tab: adding org members with a role, the inline role edit,
//! and removing someone from one team.

use reqwest::StatusCode;

use super::{add_to_team, create_team, exec, membership_of};
use crate::helpers::{location, spawn_app};

#[tokio::test]
async fn a_team_manager_adds_a_member_with_a_role() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "bob@example.com", "Bob Stone", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    let path = format!("/orgs/{org}/teams/{team}");
    let (_, body) = app.client.page(&path).await;
    assert!(body.contains(&format!(
        "<option value=\"{bob}\">Bob Stone (bob@example.com)</option>"
    )));

    let res = app
        .client
        .post_form(
            &format!("{path}/members"),
            &[("member", &bob.to_string()), ("role", "supervisor")],
        )
        .await;
    assert_eq!(location(&res), path);
    let (_, body) = app.client.page(&path).await;
    assert!(body.contains("Bob Stone added as Supervisor."));
    assert!(body.contains(&format!("id=\"team-member-{bob}\"")));
    assert!(body.contains("<td class=\"team-role\">Supervisor</td>"));
    assert!(
        !body.contains(&format!("<option value=\"{bob}\">")),
        "no longer offered"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE team_id = {team} AND membership_id = {bob} AND role = 'supervisor'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'team.member_added'")
            .await,
        1
    );

    // Bad input: unknown role, unknown member, someone already in, garbage.
    for (member, role, message) in [
        (
            bob.to_string(),
            "owner",
            "Choose Team manager, Supervisor or Agent.",
        ),
        (
            "999999".to_owned(),
            "agent",
            "Choose a member of this organization.",
        ),
        (
            "abc".to_owned(),
            "agent",
            "Choose a member of this organization.",
        ),
        (
            bob.to_string(),
            "agent",
            "Bob Stone is already in this team.",
        ),
    ] {
        let res = app
            .client
            .htmx_post(
                &format!("{path}/members"),
                &[("member", &member), ("role", role)],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{member} {role}"
        );
        let body = res.text().await.unwrap();
        assert!(
            body.starts_with("<section id=\"team-members\">"),
            "only the section"
        );
        assert!(body.contains(message), "{member} {role}: {message}");
    }
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 1);
}

#[tokio::test]
async fn a_pending_member_can_be_added_to_a_team_but_an_archived_one_cannot() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "pat@example.com", "Pat Pending", "member")
        .await;
    app.add_member(org, "arch@example.com", "Archie", "member")
        .await;
    let pat = membership_of(&app, org, "pat@example.com").await;
    let archie = membership_of(&app, org, "arch@example.com").await;
    exec(
        &app,
        &format!("UPDATE memberships SET status = 'pending' WHERE id = {pat}"),
    )
    .await;
    exec(
        &app,
        &format!("UPDATE memberships SET status = 'archived' WHERE id = {archie}"),
    )
    .await;

    let path = format!("/orgs/{org}/teams/{team}");
    let (_, body) = app.client.page(&path).await;
    assert!(
        body.contains(">pat@example.com · pending</option>"),
        "a pending member is offered by the address they were invited at"
    );
    assert!(!body.contains("Pat Pending"), "not by their account's name");
    assert!(!body.contains("Archie"), "archived members are not offered");

    add_to_team(&app.client, org, team, pat, "agent").await;
    let (_, body) = app.client.page(&path).await;
    assert!(body[body.find(&format!("team-member-{pat}")).unwrap()..].contains("Pending"));

    let res = app
        .client
        .post_form(
            &format!("{path}/members"),
            &[("member", &archie.to_string()), ("role", "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("access is archived"));
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 1);
}

#[tokio::test]
async fn the_inline_edit_swaps_only_the_row_and_saves_the_new_role() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "bob@example.com", "Bob Stone", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    add_to_team(&app.client, org, team, bob, "agent").await;
    let row = format!("/orgs/{org}/teams/{team}/members/{bob}");
    let (_, page) = app.client.page(&format!("/orgs/{org}/teams/{team}")).await;
    assert!(
        page.contains(&format!("hx-get=\"{row}/edit\"")),
        "the row has an Edit control"
    );

    // The edit control swaps the row for a form.
    let res = app.client.htmx_get(&format!("{row}/edit")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.starts_with(&format!(
        "<tr id=\"team-member-{bob}\" class=\"member-row is-editing\">"
    )));
    assert!(body.contains("<option value=\"agent\" selected>Agent</option>"));

    // Cancel asks for the plain row again.
    let res = app.client.htmx_get(&row).await;
    let body = res.text().await.unwrap();
    assert!(body.starts_with(&format!(
        "<tr id=\"team-member-{bob}\" class=\"member-row\""
    )));

    // A bad role re-renders the inline form with the message; nothing changes.
    let res = app.client.htmx_post(&row, &[("role", "admin")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<tr") && body.contains("is-editing"));
    assert!(body.contains("Choose Team manager, Supervisor or Agent."));

    // Save swaps back the updated row, with a toast, and nothing else.
    let res = app
        .client
        .htmx_post(&row, &[("role", "team_manager")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.starts_with(&format!(
        "<tr id=\"team-member-{bob}\" class=\"member-row\""
    )));
    assert!(body.contains("<td class=\"team-role\">Team manager</td>"));
    assert!(body.contains("Bob Stone is now Team manager in this team."));
    assert!(!body.contains("<html") && !body.contains("<table"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob} AND role = 'team_manager'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'team.member_role_changed'")
            .await,
        1
    );
}

#[tokio::test]
async fn without_javascript_the_edit_link_opens_a_full_page_that_saves() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "bob@example.com", "Bob Stone", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    add_to_team(&app.client, org, team, bob, "agent").await;
    let row = format!("/orgs/{org}/teams/{team}/members/{bob}");

    let (status, body) = app.client.page(&format!("{row}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<html") && body.contains(&format!("action=\"{row}\"")));
    let res = app.client.post_form(&row, &[("role", "nonsense")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("<html"));

    let res = app.client.post_form(&row, &[("role", "supervisor")]).await;
    assert_eq!(location(&res), format!("/orgs/{org}/teams/{team}"));
    let (_, body) = app.client.page(&location(&res)).await;
    assert!(body.contains("Bob Stone is now Supervisor in this team."));
    // The plain row URL, opened directly, leads back to the team.
    let res = app.client.get(&row).await;
    assert_eq!(location(&res), format!("/orgs/{org}/teams/{team}"));
}

#[tokio::test]
async fn two_managers_saving_the_same_row_leave_one_whole_role() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "max@example.com", "Max", "admin").await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    add_to_team(&app.client, org, team, bob, "agent").await;
    let max = app
        .signed_in_client("max@example.com", crate::helpers::PASSWORD)
        .await;
    max.page(&format!("/orgs/{org}/teams/{team}")).await;
    let row = format!("/orgs/{org}/teams/{team}/members/{bob}");

    let (a, b) = tokio::join!(
        app.client.htmx_post(&row, &[("role", "supervisor")]),
        max.htmx_post(&row, &[("role", "team_manager")]),
    );
    assert_eq!(a.status(), StatusCode::OK);
    assert_eq!(b.status(), StatusCode::OK);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob} \
             AND role IN ('supervisor', 'team_manager') AND permissions IS NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'team.member_role_changed'")
            .await,
        2
    );
}

#[tokio::test]
async fn removing_someone_from_a_team_keeps_their_other_team_and_their_org_membership() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let support = create_team(&app.client, org, "Support").await;
    let sales = create_team(&app.client, org, "Sales").await;
    app.add_member(org, "bob@example.com", "Bob Stone", "member")
        .await;
    let bob = membership_of(&app, org, "bob@example.com").await;
    add_to_team(&app.client, org, support, bob, "agent").await;
    add_to_team(&app.client, org, sales, bob, "supervisor").await;
    exec(&app, &format!(
        "INSERT INTO groups (organization_id, team_id, name) VALUES ({org}, {support}, 'Night shift')"
    ))
    .await;
    exec(
        &app,
        &format!(
            "INSERT INTO group_members (group_id, team_membership_id) \
         SELECT g.id, tm.id FROM groups g, team_memberships tm \
         WHERE tm.team_id = {support} AND tm.membership_id = {bob}"
        ),
    )
    .await;

    let path = format!("/orgs/{org}/teams/{support}");
    let (_, page) = app.client.page(&path).await;
    assert!(page.contains("aria-label=\"Remove Bob Stone from Support\">Remove…</a>"));
    let res = app
        .client
        .htmx_post(&format!("{path}/members/{bob}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<section id=\"team-members\">"));
    assert!(!body.contains(&format!("id=\"team-member-{bob}\"")));
    assert!(body.contains("Bob Stone was removed from Support"));

    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob}"
        ))
        .await,
        1,
        "still in Sales"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob} AND team_id = {sales}"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'active'"
        ))
        .await,
        1,
        "still in the organization"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM group_members").await,
        0,
        "left the team's groups"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM groups").await,
        1,
        "the group stays"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'team.member_removed'")
            .await,
        1
    );
}

#[tokio::test]
async fn searching_the_add_list_matches_wildcards_and_quotes_literally() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    app.add_member(org, "percent@example.com", "Percy 100%", "member")
        .await;
    app.add_member(org, "under@example.com", "Under_score", "member")
        .await;
    app.add_member(org, "obrien@example.com", "Olive O'Brien", "member")
        .await;
    let path = format!("/orgs/{org}/teams/{team}");
    let long = "x".repeat(10_000);
    let cases: [(&str, &[&str]); 4] = [
        ("%25", &["percent@"]),
        ("_", &["under@"]),
        ("o%27b", &["obrien@"]),
        ("%22%3Cscript%3E", &[]),
    ];
    for (q, found) in cases {
        let (status, body) = app.client.page(&format!("{path}?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{q:.20}");
        for email in ["percent@", "under@", "obrien@"] {
            assert_eq!(
                body.contains(&format!("({email}example.com)")),
                found.contains(&email),
                "{q:.20} finds {email}?"
            );
        }
        if found.is_empty() {
            assert!(body.contains("No one outside this team matches"));
        }
    }
    // Too long a search is refused with the reason, as on the members page.
    let (status, body) = app.client.page(&format!("{path}?q={long}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Search for at most 100 characters."));
}
