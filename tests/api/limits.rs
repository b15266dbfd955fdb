//! Rate limits: inviting, resending and accepting invitations are refused with
//! 429 and "try again in N minutes" once the hourly limit of the organization,
//! the account or the client address (or the link) is reached, and a refused
//! request changes nothing.

use reqwest::StatusCode;
use roster::config::Settings;

use crate::helpers::{fast_outbox, spawn_app_with, SmtpServer, TestApp, TestClient, PASSWORD};
use crate::invitations::{accept::invited_link, enable_invites, invite, pending_count};

/// Ada owns a Pro organization with room to invite; `configure` sets the limits.
async fn app_with_limits(configure: impl FnOnce(&mut Settings)) -> (TestApp, i64) {
    let app = spawn_app_with(configure).await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 50).await;
    (app, org)
}

/// Ann, an Admin of the same organization, signed in (from the same address as Ada).
async fn admin(app: &TestApp, org: i64) -> TestClient {
    app.add_member(org, "ann@example.com", "Ann Admin", "admin")
        .await;
    app.signed_in_client("ann@example.com", PASSWORD).await
}

async fn invite_as(client: &TestClient, org: i64, email: &str) -> reqwest::Response {
    client
        .post_form(
            &format!("/orgs/{org}/members/invite"),
            &[("email", email), ("role", "member")],
        )
        .await
}

fn retry_after(res: &reqwest::Response) -> u64 {
    res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn invited(app: &TestApp, email: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM invitations WHERE email = '{email}'"
    ))
    .await
}

#[tokio::test]
async fn inviting_past_the_organizations_hourly_limit_is_refused_with_429_and_invites_nobody() {
    let (app, org) = app_with_limits(|s| s.limits.invites_per_org = 2).await;
    for email in ["one@example.com", "two@example.com"] {
        assert_eq!(
            invite(&app, org, email, &[]).await.status(),
            StatusCode::SEE_OTHER
        );
    }

    let res = invite(&app, org, "three@example.com", &[]).await;

    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&res);
    assert!((3500..=3600).contains(&wait), "Retry-After: {wait}");
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Too many invitations for this organization — try again in 60 minutes."),
        "{body}"
    );
    assert_eq!(pending_count(&app, org).await, 2);
    assert_eq!(invited(&app, "three@example.com").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM accounts WHERE email = 'three@example.com'")
            .await,
        0
    );
    // The allowance is the organization's, whoever invites.
    let admin = admin(&app, org).await;
    assert_eq!(
        invite_as(&admin, org, "four@example.com").await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the limit is the organization's, whoever invites"
    );
}

#[tokio::test]
async fn one_account_reaching_its_invitation_limit_leaves_a_colleague_free_to_invite() {
    let (app, org) = app_with_limits(|s| s.limits.invites_per_account = 1).await;
    let ann = admin(&app, org).await;
    assert_eq!(
        invite(&app, org, "one@example.com", &[]).await.status(),
        StatusCode::SEE_OTHER
    );

    let refused = invite(&app, org, "two@example.com", &[]).await;
    let colleague = invite_as(&ann, org, "two@example.com").await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Too many invitations from your account — try again in"));
    assert_eq!(colleague.status(), StatusCode::SEE_OTHER);
    assert_eq!(pending_count(&app, org).await, 2);
}

#[tokio::test]
async fn invitations_from_one_client_address_are_limited_across_accounts() {
    let (app, org) = app_with_limits(|s| s.limits.invites_per_ip = 1).await;
    let ann = admin(&app, org).await;
    assert_eq!(
        invite(&app, org, "one@example.com", &[]).await.status(),
        StatusCode::SEE_OTHER
    );

    let res = invite_as(&ann, org, "two@example.com").await;

    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Too many invitations from your network address"));
    assert_eq!(invited(&app, "two@example.com").await, 0);
}

#[tokio::test]
async fn in_the_dialog_the_refusal_arrives_as_a_toast_with_retry_after() {
    let (app, org) = app_with_limits(|s| s.limits.invites_per_org = 1).await;
    app.client.page(&format!("/orgs/{org}/members")).await;
    let path = format!("/orgs/{org}/members/invite");
    let first = app
        .client
        .htmx_post(&path, &[("email", "one@example.com"), ("role", "member")])
        .await;
    assert_eq!(first.status(), StatusCode::OK);

    let res = app
        .client
        .htmx_post(&path, &[("email", "two@example.com"), ("role", "member")])
        .await;

    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(res.headers()["hx-retarget"], "#toasts");
    assert!(retry_after(&res) > 0);
    let body = res.text().await.unwrap();
    assert!(body.contains("Too many invitations for this organization"));
    assert!(!body.contains("<html"), "a toast, not a page");
    assert_eq!(invited(&app, "two@example.com").await, 0);
}

async fn pending_member(app: &TestApp, email: &str) -> i64 {
    app.count(&format!(
        "SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = '{email}'"
    ))
    .await
}

async fn resend_as(client: &TestClient, org: i64, member: i64) -> reqwest::Response {
    client
        .post_form(
            &format!("/orgs/{org}/members/{member}/invitation/resend"),
            &[],
        )
        .await
}

#[tokio::test]
async fn resending_past_the_organizations_limit_is_refused_and_the_link_stays_as_it_was() {
    let (app, org) = app_with_limits(|s| s.limits.resends_per_org = 1).await;
    invite(&app, org, "grace@example.com", &[]).await;
    let member = pending_member(&app, "grace@example.com").await;
    assert_eq!(
        resend_as(&app.client, org, member).await.status(),
        StatusCode::SEE_OTHER
    );
    let emails_before = app
        .count("SELECT count(*) FROM invitations i, outbox o WHERE o.invitation_id = i.id")
        .await;

    let res = resend_as(&app.client, org, member).await;

    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Too many invitations sent again for this organization — try again in"));
    assert_eq!(
        app.count("SELECT count(*) FROM invitations i, outbox o WHERE o.invitation_id = i.id")
            .await,
        emails_before,
        "no new email queued"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'invitation.resent'")
            .await,
        1
    );
}

#[tokio::test]
async fn resends_are_limited_per_account_and_per_client_address() {
    let (app, org) = app_with_limits(|s| {
        s.limits.resends_per_account = 1;
        s.limits.resends_per_ip = 2;
    })
    .await;
    let ann = admin(&app, org).await;
    invite(&app, org, "grace@example.com", &[]).await;
    let member = pending_member(&app, "grace@example.com").await;
    assert_eq!(
        resend_as(&app.client, org, member).await.status(),
        StatusCode::SEE_OTHER
    );

    app.add_member(org, "max@example.com", "Max Admin", "admin")
        .await;
    let max = app.signed_in_client("max@example.com", PASSWORD).await;

    let own = resend_as(&app.client, org, member).await;
    let colleague = resend_as(&ann, org, member).await;
    let third_from_here = resend_as(&max, org, member).await;

    assert_eq!(own.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(own.text().await.unwrap().contains("from your account"));
    assert_eq!(colleague.status(), StatusCode::SEE_OTHER);
    assert_eq!(third_from_here.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third_from_here
        .text()
        .await
        .unwrap()
        .contains("from your network address"));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'invitation.resent'")
            .await,
        2
    );
}

/// An app sending to `smtp` with the given limits, Ada inviting from a Pro organization.
async fn app_with_smtp_and(
    smtp: &SmtpServer,
    configure: impl FnOnce(&mut Settings),
) -> (TestApp, i64) {
    let smtp_settings = smtp.settings();
    app_with_limits(move |s| {
        s.smtp = Some(smtp_settings);
        fast_outbox(s);
        configure(s);
    })
    .await
}

async fn accept_as_new(client: &TestClient, path: &str, confirm: &str) -> reqwest::Response {
    client
        .post_form(
            path,
            &[
                ("display_name", "Grace Hopper"),
                ("password", PASSWORD),
                ("password_confirm", confirm),
            ],
        )
        .await
}

#[tokio::test]
async fn one_link_tried_too_often_is_refused_and_the_invitation_stays_pending() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp_and(&smtp, |s| s.limits.redeems_per_token = 2).await;
    let path = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let invitee = TestClient::new(&app.address);
    invitee.page(&path).await;
    for _ in 0..2 {
        let typo = accept_as_new(&invitee, &path, "not the same password").await;
        assert_eq!(typo.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }

    let res = accept_as_new(&invitee, &path, PASSWORD).await;

    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) > 0);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Too many attempts to accept an invitation for this link — try again in"),
        "{body}"
    );
    assert!(
        !body.contains(path.trim_start_matches("/invite/")),
        "no token on the page"
    );
    assert_eq!(pending_count(&app, org).await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE status = 'pending'")
            .await,
        1
    );
    // Other links from the same address are still tried.
    let other = invitee.post_form("/invite/made-up-token", &[]).await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn one_client_address_trying_many_links_is_refused_and_nothing_is_accepted() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp_and(&smtp, |s| s.limits.redeems_per_ip = 2).await;
    let path = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let guesser = TestClient::new(&app.address);
    guesser.page("/signin").await;
    for guess in ["/invite/guess-one", "/invite/guess-two"] {
        assert_eq!(
            guesser.post_form(guess, &[]).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    let res = accept_as_new(&guesser, &path, PASSWORD).await;

    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Too many attempts to accept an invitation from your network address"));
    assert_eq!(pending_count(&app, org).await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM accounts WHERE email = 'grace@example.com' AND password_hash LIKE '$argon2%'")
            .await,
        0,
        "no password was set"
    );
}
