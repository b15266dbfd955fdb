//! A team's Members tab takes an email (DESIGN rule 5): someone active in the
//! organization joins the team at once; a new address is invited to the
//! organization with the team, under the invitation rules, with a real email.

use reqwest::StatusCode;

use super::{create_team, exec, membership_of, owner_team_and_bob, team_member_client};
use crate::helpers::{invite_link, location, spawn_app, SmtpServer, TestApp, TestClient};
use crate::invitations::accept::accept_new;
use crate::invitations::{app_with_smtp, enable_invites};

async fn add_by_email(
    client: &TestClient,
    org: i64,
    team: i64,
    email: &str,
    role: &str,
) -> reqwest::Response {
    client
        .post_form(
            &format!("/orgs/{org}/teams/{team}/add-by-email"),
            &[("email", email), ("role", role)],
        )
        .await
}

/// A real SMTP server, Ada's Pro "Acme" sending to it, and its team "Support":
/// (smtp, app, org, team).
async fn pro_org_with_a_team() -> (SmtpServer, TestApp, i64, i64) {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let team = create_team(&app.client, org, "Support").await;
    (smtp, app, org, team)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

#[tokio::test]
async fn an_active_member_added_by_email_joins_the_team_with_the_chosen_role() {
    let app = spawn_app().await;
    let (org, team, bob) = owner_team_and_bob(&app).await;
    let path = format!("/orgs/{org}/teams/{team}");
    let (_, page) = app.client.page(&path).await;
    assert!(page.contains("id=\"add-by-email\""), "the form is offered");

    // Typed with other capitals and spaces: the same account.
    let res = add_by_email(&app.client, org, team, "  BOB@example.com ", "supervisor").await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), path);
    let (_, page) = app.client.page(&path).await;
    assert!(page.contains("Bob Stone added as Supervisor."));
    assert!(page.contains(&format!("id=\"team-member-{bob}\"")));
    assert_eq!(
        count(&app, &format!(
            "SELECT count(*) FROM team_memberships WHERE team_id = {team} AND membership_id = {bob} AND role = 'supervisor'"
        ))
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE action = 'team.member_added'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM invitations").await,
        0,
        "no invitation for a member"
    );

    // Again: already in the team, said in place (htmx gets only the section).
    let res = app
        .client
        .htmx_post(
            &format!("{path}/add-by-email"),
            &[("email", "bob@example.com"), ("role", "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<section id=\"team-members\">"));
    assert!(body.contains("Bob Stone is already in this team."));
    assert!(
        body.contains("value=\"bob@example.com\""),
        "the input is kept"
    );
}

#[tokio::test]
async fn a_new_address_is_invited_with_the_team_gets_a_real_email_and_joins_when_accepting() {
    let (smtp, app, org, team) = pro_org_with_a_team().await;
    let path = format!("/orgs/{org}/teams/{team}");

    let res = add_by_email(&app.client, org, team, "grace@example.com", "supervisor").await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.client.page(&path).await;
    assert!(page.contains(
        "grace@example.com is invited to the organization and joins this team as Supervisor when they accept"
    ));
    let grace = membership_of(&app, org, "grace@example.com").await;
    let row = &page[page
        .find(&format!("id=\"team-member-{grace}\""))
        .expect("a row")..];
    assert!(row.contains("Pending"), "shown as pending in the team");
    assert_eq!(
        count(&app, &format!(
            "SELECT count(*) FROM memberships WHERE id = {grace} AND status = 'pending' AND role = 'member'"
        ))
        .await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
            "SELECT count(*) FROM invitations WHERE membership_id = {grace} AND status = 'pending' \
             AND teams = '[{{\"team\": {team}, \"role\": \"supervisor\"}}]'::jsonb"
        )
        )
        .await,
        1,
        "the invitation carries the team and role"
    );
    for action in ["invitation.created", "team.member_added"] {
        assert_eq!(
            count(
                &app,
                &format!("SELECT count(*) FROM audit_events WHERE action = '{action}'")
            )
            .await,
            1,
            "{action}"
        );
    }

    // The email arrives through the outbox and the real SMTP server.
    let messages = smtp.wait_for(1).await;
    assert!(messages[0].contains("X-RcptTo: grace@example.com"));
    assert!(messages[0].contains("Subject: Ada Lovelace invited you to join Acme on Roster"));
    let link = invite_link(&messages[0]);
    let invitee = TestClient::new(&app.address);
    let res = accept_new(&invitee, link.trim_start_matches(&app.address)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    assert_eq!(
        count(&app, &format!(
            "SELECT count(*) FROM memberships m JOIN team_memberships tm ON tm.membership_id = m.id \
             WHERE m.id = {grace} AND m.status = 'active' AND tm.team_id = {team} AND tm.role = 'supervisor'"
        ))
        .await,
        1,
        "active, in the team with the chosen role"
    );
    let (_, page) = app.client.page(&path).await;
    let row = &page[page.find(&format!("id=\"team-member-{grace}\"")).unwrap()..];
    assert!(row.contains("Grace Hopper") && row.contains("Active"));
}

#[tokio::test]
async fn revoking_the_invitation_takes_the_pending_member_out_of_the_team() {
    let (_smtp, app, org, team) = pro_org_with_a_team().await;
    add_by_email(&app.client, org, team, "grace@example.com", "agent").await;
    let grace = membership_of(&app, org, "grace@example.com").await;

    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{grace}/invitation/revoke"),
            &[],
        )
        .await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        count(&app, "SELECT count(*) FROM team_memberships").await,
        0
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM memberships WHERE status = 'pending'"
        )
        .await,
        0,
        "the seat is free again"
    );
}

#[tokio::test]
async fn an_invited_account_from_elsewhere_shows_in_the_team_by_its_address_only() {
    let (_smtp, app, org, team) = pro_org_with_a_team().await;
    let other = app.other_org("Globex").await;
    app.add_member(other, "grace@example.com", "Grace Secret-Name", "owner")
        .await;

    let res = add_by_email(&app.client, org, team, "grace@example.com", "agent").await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.client.page(&format!("/orgs/{org}/teams/{team}")).await;
    assert!(page.contains("grace@example.com"));
    assert!(
        !page.contains("Grace Secret-Name") && !page.contains("Globex"),
        "nothing of what the account is elsewhere"
    );
}

#[tokio::test]
async fn inviting_by_email_follows_the_plan_feature_seat_and_permission_rules() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let team = create_team(&app.client, org, "Support").await;
    let path = format!("/orgs/{org}/teams/{team}/add-by-email");

    // Free plan: no User management, so no inviting.
    let res = add_by_email(&app.client, org, team, "new@example.com", "agent").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Inviting needs the User management feature, which comes with the Pro plan.")
    );
    assert!(body.contains("value=\"new@example.com\""));

    // Pro with every seat taken (Ada holds the only one).
    enable_invites(&app, org, 1).await;
    let res = app
        .client
        .htmx_post(&path, &[("email", "new@example.com"), ("role", "agent")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("All 1 seats are in use. Buy more seats or remove a member before inviting."));

    // A team manager without members.invite adds members, but invites nobody.
    enable_invites(&app, org, 10).await;
    let (tm, _) = team_member_client(&app, org, team, "tm@example.com", "team_manager").await;
    app.add_member(org, "bob@example.com", "Bob Stone", "member")
        .await;
    let (_, page) = tm.page(&format!("/orgs/{org}/teams/{team}")).await;
    assert!(page.contains("Inviting a new address needs the permission to invite members."));
    let res = add_by_email(&tm, org, team, "new@example.com", "agent").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("You do not have permission to invite members."));
    let res = add_by_email(&tm, org, team, "bob@example.com", "agent").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    assert_eq!(count(&app, "SELECT count(*) FROM invitations").await, 0);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM accounts WHERE email = 'new@example.com'"
        )
        .await,
        0,
        "nothing half-written"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE action = 'invitation.created'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn pending_archived_and_malformed_input_each_get_a_clear_message_and_change_nothing() {
    let (_smtp, app, org, team) = pro_org_with_a_team().await;
    app.add_member(org, "pat@example.com", "Pat", "member")
        .await;
    app.add_member(org, "arch@example.com", "Archie", "member")
        .await;
    exec(&app, "UPDATE memberships SET status = 'pending' WHERE account_id = (SELECT id FROM accounts WHERE email = 'pat@example.com')").await;
    exec(&app, "UPDATE memberships SET status = 'archived' WHERE account_id = (SELECT id FROM accounts WHERE email = 'arch@example.com')").await;
    let path = format!("/orgs/{org}/teams/{team}/add-by-email");
    let long = format!("{}@example.com", "a".repeat(300));

    for (email, role, status, message) in [
        (
            "pat@example.com",
            "agent",
            StatusCode::UNPROCESSABLE_ENTITY,
            "pat@example.com is invited to the organization and has not accepted yet.",
        ),
        (
            "arch@example.com",
            "agent",
            StatusCode::UNPROCESSABLE_ENTITY,
            "arch@example.com&#39;s access to the organization is archived; restore it before adding them to a team.",
        ),
        ("", "agent", StatusCode::UNPROCESSABLE_ENTITY, "Email cannot be empty."),
        (
            "not an address",
            "agent",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter an email address such as name@example.com.",
        ),
        (
            "nul\u{0}@example.com",
            "agent",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter an email address such as name@example.com.",
        ),
        (
            long.as_str(),
            "agent",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Email can be at most 254 characters.",
        ),
        (
            "new@example.com",
            "owner",
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose Team manager, Supervisor or Agent.",
        ),
    ] {
        let res = app
            .client
            .htmx_post(&path, &[("email", email), ("role", role)])
            .await;
        assert_eq!(res.status(), status, "{email:?} {role}");
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{email:?} {role}: {message}\n{body}");
    }

    // An archived team takes no one.
    exec(
        &app,
        &format!("UPDATE teams SET archived_at = now() WHERE id = {team}"),
    )
    .await;
    let res = add_by_email(&app.client, org, team, "new@example.com", "agent").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    assert_eq!(
        count(&app, "SELECT count(*) FROM team_memberships").await,
        0
    );
    assert_eq!(count(&app, "SELECT count(*) FROM invitations").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM outbox").await, 0);
}

#[tokio::test]
async fn another_organizations_team_is_not_found() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let other = app.other_org("Globex").await;
    exec(&app, &format!(
        "INSERT INTO teams (id, organization_id, name, workflow_id) VALUES (77, {other}, 'Theirs', 'wf_theirs')"
    ))
    .await;

    let res = add_by_email(&app.client, org, 77, "new@example.com", "agent").await;

    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        count(&app, "SELECT count(*) FROM team_memberships").await,
        0
    );
}
