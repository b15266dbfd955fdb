//! Invitations: inviting from the Members page with the plan, feature and seat
//! rules, resending and revoking, against a real SMTP server process.

pub mod accept;
mod bulk;
mod delivery;
pub mod lifecycle;

use reqwest::StatusCode;

use crate::helpers::{fast_outbox, invite_link, location, spawn_app_with, SmtpServer, TestApp};

/// Pro plan with User management on, and `seats` seats.
pub async fn enable_invites(app: &TestApp, org: i64, seats: i32) {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "UPDATE organizations SET plan = 'pro', seats_purchased = {seats} WHERE id = {org};
             INSERT INTO organization_features (organization_id, feature, enabled)
             VALUES ({org}, 'user_management', true)
             ON CONFLICT (organization_id, feature) DO UPDATE SET enabled = true;"
        ))
        .unwrap();
    })
    .await;
}

/// An app that sends to `smtp`, with Ada as Owner of a Pro organization.
pub async fn app_with_smtp(smtp: &SmtpServer) -> (TestApp, i64) {
    app_with_smtp_and(smtp, |_| {}).await
}

/// As `app_with_smtp`, with more settings changed.
pub async fn app_with_smtp_and(
    smtp: &SmtpServer,
    configure: impl FnOnce(&mut roster::config::Settings),
) -> (TestApp, i64) {
    let settings = smtp.settings();
    let app = spawn_app_with(move |s| {
        s.smtp = Some(settings);
        fast_outbox(s);
        configure(s);
    })
    .await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;
    (app, org)
}

pub async fn invite(
    app: &TestApp,
    org: i64,
    email: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut all = vec![("email", email), ("role", "member")];
    all.extend_from_slice(fields);
    app.client
        .post_form(&format!("/orgs/{org}/members/invite"), &all)
        .await
}

pub async fn pending_count(app: &TestApp, org: i64) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM memberships WHERE organization_id = {org} AND status = 'pending'"
    ))
    .await
}

#[tokio::test]
async fn an_owner_invites_a_new_address_and_a_real_multipart_email_with_the_link_arrives() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let (status, dialog) = app
        .client
        .page(&format!("/orgs/{org}/members/invite"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        dialog.contains("9 of 10 seats left"),
        "the dialog says how many seats are left"
    );

    let res = invite(&app, org, "grace@example.com", &[]).await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orgs/{org}/members"));
    let messages = smtp.wait_for(1).await;
    assert_eq!(messages.len(), 1, "exactly one email");
    let message = &messages[0];
    assert!(message.contains("X-RcptTo: grace@example.com"));
    assert!(message.contains("To: grace@example.com"));
    assert!(message.contains("Subject: Ada Lovelace invited you to join Acme on Roster"));
    assert!(message.contains("multipart/alternative"));
    assert!(message.contains("text/plain"));
    assert!(message.contains("text/html"));
    assert!(
        !message.to_lowercase().contains("password:"),
        "no password is ever sent"
    );
    let link = invite_link(message);
    assert!(
        link.starts_with(&format!("{}/invite/", app.address)),
        "built from the public URL"
    );
    let token = link.rsplit('/').next().unwrap();
    assert!(token.len() >= 43, "at least 256 bits, url-safe base64");
    // The token is kept only as a hash, and never shown to managers.
    let stored = app
        .count(&format!(
            "SELECT count(*) FROM invitations WHERE token_hash = sha256('{token}'::bytea)"
        ))
        .await;
    assert_eq!(stored, 1);
    let mut members = String::new();
    for _ in 0..200 {
        members = app.client.page(&format!("/orgs/{org}/members")).await.1;
        if members.contains("Email: sent") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(members.contains("grace@example.com"));
    assert!(members.contains("Pending"));
    assert!(members.contains("Invited by Ada Lovelace"));
    assert!(members.contains("Email: sent"));
    assert!(!members.contains(token), "no token on a manager's page");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'invitation.created'")
            .await,
        1
    );
}

#[tokio::test]
async fn inviting_on_the_free_plan_or_with_user_management_off_is_refused_and_nothing_is_saved() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "UPDATE organizations SET plan = 'free' WHERE id = {org}"
        ))
        .unwrap();
    })
    .await;

    let free = invite(&app, org, "grace@example.com", &[]).await;
    assert_eq!(free.status(), StatusCode::FORBIDDEN);
    assert!(free
        .text()
        .await
        .unwrap()
        .contains("comes with the Pro plan"));

    enable_invites(&app, org, 10).await;
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "UPDATE organization_features SET enabled = false WHERE organization_id = {org}"
        ))
        .unwrap();
    })
    .await;
    let off = invite(&app, org, "grace@example.com", &[]).await;
    assert_eq!(off.status(), StatusCode::FORBIDDEN);
    assert!(off.text().await.unwrap().contains("Settings → Features"));

    assert_eq!(pending_count(&app, org).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM accounts WHERE email = 'grace@example.com'")
            .await,
        0
    );
}

#[tokio::test]
async fn inviting_beyond_the_purchased_seats_is_refused_with_a_clear_message() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    enable_invites(&app, org, 2).await;
    assert_eq!(
        invite(&app, org, "one@example.com", &[]).await.status(),
        StatusCode::SEE_OTHER
    );

    let res = invite(&app, org, "two@example.com", &[]).await;

    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("All 2 seats are in use"));
    assert_eq!(pending_count(&app, org).await, 1);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 1);
}

#[tokio::test]
async fn inviting_someone_twice_or_an_existing_member_says_so_and_invites_nobody_twice() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    assert_eq!(
        invite(&app, org, "grace@example.com", &[]).await.status(),
        StatusCode::SEE_OTHER
    );

    let again = invite(&app, org, "Grace@Example.com", &[]).await;
    let member = invite(&app, org, "bob@example.com", &[]).await;

    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("is already invited"));
    assert_eq!(member.status(), StatusCode::CONFLICT);
    assert!(member.text().await.unwrap().contains("is already a member"));
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 1);
}

#[tokio::test]
async fn bad_input_gets_a_clear_message_and_saves_nothing() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let other_team = app
        .query(|conn| {
            use diesel::RunQueryDsl;
            let other = roster::db::organizations::insert(conn, "Elsewhere").unwrap().id.0;
            diesel::sql_query(format!(
                "INSERT INTO teams (id, organization_id, name, workflow_id) VALUES (777, {other}, 'Theirs', 'wf_x')"
            ))
            .execute(conn)
            .unwrap();
            777
        })
        .await;
    let team_field = format!("team_{other_team}");
    let long = "a".repeat(2000);

    type Case<'a> = (Vec<(&'a str, &'a str)>, StatusCode, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("email", "not an email"), ("role", "member")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter an email address",
        ),
        (
            vec![("email", "a\0b@example.com"), ("role", "member")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter an email address",
        ),
        (
            vec![("email", "ok@example.com"), ("role", "emperor")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose one of the listed roles",
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("role", "member"),
                ("team_1", "overlord"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose one of the listed team roles",
        ),
        (
            vec![
                ("email", "ok@example.com"),
                ("role", "member"),
                (&team_field, "agent"),
            ],
            StatusCode::NOT_FOUND,
            "That team does not exist",
        ),
        (
            vec![("email", &long), ("role", "member")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "too long",
        ),
    ];
    for (fields, status, message) in cases {
        let res = app
            .client
            .post_form(&format!("/orgs/{org}/members/invite"), &fields)
            .await;
        assert_eq!(res.status(), status, "{fields:?}");
        assert!(
            res.text().await.unwrap().contains(message),
            "{fields:?} says {message}"
        );
    }
    assert_eq!(pending_count(&app, org).await, 0);
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
}

#[tokio::test]
async fn a_manager_resends_with_a_new_link_and_the_old_link_dies_then_revokes() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    invite(&app, org, "grace@example.com", &[]).await;
    let first = invite_link(&smtp.wait_for(1).await[0]);
    let member = app
        .count("SELECT membership_id FROM invitations WHERE email = 'grace@example.com'")
        .await;

    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{member}/invitation/resend"),
            &[],
        )
        .await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let messages = smtp.wait_for(2).await;
    assert_eq!(messages.len(), 2);
    let second = messages
        .iter()
        .map(|m| invite_link(m))
        .find(|l| *l != first)
        .expect("a new link");
    let anonymous = crate::helpers::TestClient::new(&app.address);
    let path = |l: &str| l.trim_start_matches(&app.address).to_owned();
    assert_eq!(
        anonymous.page(&path(&first)).await.0,
        StatusCode::NOT_FOUND,
        "the old link is dead"
    );
    assert_eq!(anonymous.page(&path(&second)).await.0, StatusCode::OK);

    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{member}/invitation/revoke"),
            &[],
        )
        .await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (status, body) = anonymous.page(&path(&second)).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("withdrawn"));
    assert!(body.contains("Ask Ada Lovelace at Acme"));
    assert_eq!(pending_count(&app, org).await, 0, "the seat is free again");
    // Another organization's member id is a plain 404.
    let again = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{member}/invitation/revoke"),
            &[],
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}
