//! Following the emailed link: a new account sets its name and password, an
//! existing one signs in first; bad, used, revoked and expired links each get
//! their own page; concurrent accepts make exactly one membership.

use reqwest::StatusCode;

use super::{app_with_smtp, invite};
use crate::helpers::{invite_link, location, SmtpServer, TestApp, TestClient, PASSWORD};

pub async fn invited_link(
    app: &TestApp,
    smtp: &SmtpServer,
    org: i64,
    email: &str,
    fields: &[(&str, &str)],
) -> String {
    let before = smtp.messages().len();
    let res = invite(app, org, email, fields).await;
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    let messages = smtp.wait_for(before + 1).await;
    let link = messages
        .iter()
        .find(|m| m.contains(&format!("X-RcptTo: {email}")))
        .map(|m| invite_link(m))
        .expect("the invitation email");
    link.trim_start_matches(&app.address).to_owned()
}

pub async fn accept_new(client: &TestClient, path: &str) -> reqwest::Response {
    client
        .post_form(
            path,
            &[
                ("display_name", "Grace Hopper"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await
}

#[tokio::test]
async fn a_new_invitee_sets_a_name_and_password_and_lands_in_the_organization_as_active() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let team = app
        .query(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!(
                "INSERT INTO teams (id, organization_id, name, workflow_id) VALUES (55, {org}, 'Support', 'wf_s')"
            ))
            .execute(conn)
            .unwrap();
            55
        })
        .await;
    let path = invited_link(
        &app,
        &smtp,
        org,
        "grace@example.com",
        &[("team_55", "supervisor")],
    )
    .await;
    let invitee = TestClient::new(&app.address);

    // Opening the link (as a mail scanner would, twice) uses nothing up.
    let res = invitee.get(&path).await;
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    let (status, page) = invitee.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Ada Lovelace invited you to join Acme as Member"));
    assert!(page.contains("Your name"));
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE status = 'pending'")
            .await,
        1
    );

    let res = accept_new(&invitee, &path).await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orgs/{org}"));
    let (status, home) = invitee.page(&format!("/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK, "signed in, inside the organization");
    assert!(home.contains("Welcome to Acme"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id
             WHERE a.email = 'grace@example.com' AND m.organization_id = {org} AND m.status = 'active'"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships tm JOIN memberships m ON m.id = tm.membership_id
             JOIN accounts a ON a.id = m.account_id WHERE a.email = 'grace@example.com'
             AND tm.team_id = {team} AND tm.role = 'supervisor'"
        ))
        .await,
        1
    );
    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(members.contains("Grace Hopper"));
    // The new password works.
    app.signed_in_client("grace@example.com", PASSWORD).await;

    // The link is used up.
    let again = TestClient::new(&app.address);
    let (status, body) = again.page(&path).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("already been used"));
}

#[tokio::test]
async fn tampered_revoked_and_expired_links_each_show_their_page_and_change_nothing() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let path = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let visitor = TestClient::new(&app.address);

    // One changed character.
    let mut tampered: Vec<char> = path.chars().collect();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    let (status, body) = visitor.page(&tampered).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("This invitation link is not valid"));
    let res = accept_new(&visitor, &tampered).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Expired.
    app.query(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE invitations SET expires_at = now() - interval '1 minute'")
            .execute(conn)
            .unwrap();
    })
    .await;
    let (status, body) = visitor.page(&path).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("has expired"));
    assert!(body.contains("Ask Ada Lovelace at Acme for a new invitation"));
    let res = accept_new(&visitor, &path).await;
    assert_eq!(res.status(), StatusCode::GONE);

    // Revoked.
    app.query(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "UPDATE invitations SET expires_at = now() + interval '1 day', status = 'revoked'",
        )
        .execute(conn)
        .unwrap();
    })
    .await;
    let res = accept_new(&visitor, &path).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("withdrawn"));

    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE status = 'active'")
            .await,
        1,
        "only Ada"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM accounts WHERE password_hash = '!no-password'")
            .await,
        1,
        "the invitee never got a password"
    );
}

#[tokio::test]
async fn an_invitee_signed_in_as_someone_else_is_told_so_and_nothing_is_accepted() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let path = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;

    let (status, body) = app.client.page(&path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("You are signed in as ada@example.com"));
    let res = app.client.post_form(&path, &[]).await;

    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.text().await.unwrap().contains("Nothing was accepted"));
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE status = 'pending'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_existing_account_signs_in_as_the_invited_address_and_then_joins() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let other = app
        .query(|conn| {
            roster::db::organizations::insert(conn, "Elsewhere")
                .unwrap()
                .id
                .0
        })
        .await;
    app.add_member(other, "grace@example.com", "Grace Hopper", "owner")
        .await;
    let path = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let grace = TestClient::new(&app.address);

    let (status, body) = grace.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Sign in as grace@example.com"));
    let res = accept_new(&grace, &path).await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "no password is set over an existing account"
    );

    let grace = app.signed_in_client("grace@example.com", PASSWORD).await;
    let (status, body) = grace.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Join Acme"));
    let res = grace.post_form(&path, &[]).await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(grace.page(&format!("/orgs/{org}")).await.0, StatusCode::OK);
}

#[tokio::test]
async fn fifty_concurrent_accepts_of_one_link_make_exactly_one_membership() {
    let smtp = SmtpServer::start().await;
    // Every client here shares one address: the redeem limits must not be what
    // answers, nor the gate on password hashing (each accept hashes one).
    let (app, org) = super::app_with_smtp_and(&smtp, |s| {
        s.limits.redeems_per_ip = 1000;
        s.limits.redeems_per_token = 1000;
        s.hash_concurrency = 64;
        // Fifty at once on a busy machine may wait long for a connection: the
        // story is one membership, not the pool's patience.
        s.db_checkout_timeout = std::time::Duration::from_secs(60);
    })
    .await;
    let path = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let mut clients = Vec::new();
    for _ in 0..50 {
        let client = TestClient::new(&app.address);
        client.page(&path).await;
        clients.push(client);
    }

    let results =
        futures_util::future::join_all(clients.iter().map(|c| accept_new(c, &path))).await;

    let statuses: Vec<StatusCode> = results.iter().map(|r| r.status()).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::GONE).count(),
        49,
        "{statuses:?}"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {org} AND status = 'active'"
        ))
        .await,
        2
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'invitation.accepted'")
            .await,
        1
    );
}

#[tokio::test]
async fn accept_racing_revoke_never_leaves_a_revoked_invitation_with_an_active_member() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    for round in 0..5 {
        let email = format!("racer{round}@example.com");
        let path = invited_link(&app, &smtp, org, &email, &[]).await;
        let member = app
            .count(&format!(
                "SELECT membership_id FROM invitations WHERE email = '{email}'"
            ))
            .await;
        let invitee = TestClient::new(&app.address);
        invitee.page(&path).await;
        app.client.page(&format!("/orgs/{org}/members")).await;
        let revoke_path = format!("/orgs/{org}/members/{member}/invitation/revoke");

        let (accepted, revoked) = tokio::join!(
            accept_new(&invitee, &path),
            app.client.post_form(&revoke_path, &[])
        );

        let (a, r) = (accepted.status(), revoked.status());
        assert!(
            (a == StatusCode::SEE_OTHER) != (r == StatusCode::SEE_OTHER),
            "exactly one wins: accept {a}, revoke {r}"
        );
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM invitations i JOIN memberships m ON m.id = i.membership_id
             WHERE i.status = 'revoked' AND m.status = 'active'"
        )
        .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE status = 'pending'")
            .await,
        0
    );
}
