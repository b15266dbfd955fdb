//! Joining by account ID (seed 004): every account's public ID on its profile,
//! a manager adding that account from the Members page, and the invitee
//! accepting or declining in-app from their home page, with a real email too.

use reqwest::StatusCode;

use crate::helpers::{location, SmtpServer, TestApp, TestClient, PASSWORD};
use crate::html::Page;
use crate::invitations::{app_with_smtp, enable_invites, pending_count};
use crate::teams::{create_team, exec};

/// What an account ID looks like, for the database's check.
pub const ID_PATTERN: &str = "^acct_[0-9A-HJKMNP-TV-Z]{16}$";

/// The account ID shown on the signed-in `client`'s profile page.
pub async fn shown_id(client: &TestClient) -> String {
    let (status, page) = client.page("/profile").await;
    assert_eq!(status, StatusCode::OK);
    let at = page
        .find("id=\"account-id-value\"")
        .expect("the account ID field");
    let value = &page[at..];
    let start = value.find("value=\"").unwrap() + "value=\"".len();
    value[start..].split('"').next().unwrap().to_owned()
}

/// Grace, Owner of her own "Globex" with a password, signed in; her client and ID.
pub async fn grace_elsewhere(app: &TestApp) -> (TestClient, String) {
    let globex = app.other_org("Globex").await;
    app.add_member(globex, "grace@example.com", "Grace Secret-Name", "owner")
        .await;
    let grace = app.signed_in_client("grace@example.com", PASSWORD).await;
    let id = shown_id(&grace).await;
    (grace, id)
}

pub async fn add_by_id(
    client: &TestClient,
    org: i64,
    id: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut all = vec![("account_id", id)];
    if !fields.iter().any(|(k, _)| *k == "role") {
        all.push(("role", "member"));
    }
    all.extend_from_slice(fields);
    client
        .post_form(&format!("/orgs/{org}/members/add-by-id"), &all)
        .await
}

/// The account ID of `email`'s account, read from the database.
pub async fn public_id_of(app: &TestApp, email: &'static str) -> String {
    app.query(move |conn| {
        use diesel::prelude::*;
        use roster::db::schema::accounts;
        accounts::table
            .filter(accounts::email.eq(email))
            .select(accounts::public_id)
            .first::<String>(conn)
            .unwrap()
    })
    .await
}

/// The id of the one open invitation addressed to `email`.
pub async fn invitation_of(app: &TestApp, email: &str) -> i64 {
    app.count(&format!(
        "SELECT i.id FROM invitations i JOIN memberships m ON m.id = i.membership_id \
         JOIN accounts a ON a.id = m.account_id WHERE a.email = '{email}' AND i.status = 'pending'"
    ))
    .await
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    app.count(sql).await
}

#[tokio::test]
async fn every_account_shows_its_own_non_sequential_account_id_with_a_copy_button() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    // Accounts made by setup, by the test helper and by an invitation.
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/invite"),
            &[("email", "new@example.com"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let ada = shown_id(&app.client).await;
    let bob = shown_id(&app.signed_in_client("bob@example.com", PASSWORD).await).await;

    assert_eq!(ada.len(), 21);
    assert_ne!(ada, bob);
    let (_, page) = app.client.page("/profile").await;
    assert!(
        page.contains("data-copy=\"#account-id-value\""),
        "a Copy button"
    );
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM accounts WHERE public_id = '{ada}' AND email = 'ada@example.com'")).await,
        1
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM accounts WHERE public_id !~ '{ID_PATTERN}'")
        )
        .await,
        0,
        "every account has one, of the one shape"
    );
    assert_eq!(
        count(&app, "SELECT count(DISTINCT public_id) FROM accounts").await,
        3
    );
}

#[tokio::test]
async fn an_owner_adds_an_account_by_id_and_they_accept_from_their_home_page() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let team = create_team(&app.client, org, "Support").await;
    let (grace, id) = grace_elsewhere(&app).await;

    // The dialog, next to Invite, without JavaScript.
    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(members.contains(&format!("href=\"/orgs/{org}/members/add-by-id\"")));
    let (status, form) = app
        .client
        .page(&format!("/orgs/{org}/members/add-by-id"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"account_id\""));

    // Typed as people type it: lower case, with spaces around.
    let typed = format!("  {}  ", id.to_lowercase());
    let res = add_by_id(
        &app.client,
        org,
        &typed,
        &[("role", "manager"), (&format!("team_{team}"), "supervisor")],
    )
    .await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orgs/{org}/members"));
    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(members.contains(&format!(
        "Invitation sent to account {id}; it shows as Pending until they accept it in Roster."
    )));
    assert!(members.contains(&id), "the pending row shows the ID");
    assert_eq!(pending_count(&app, org).await, 1);
    for action in ["invitation.created"] {
        assert_eq!(
            count(&app, &format!("SELECT count(*) FROM audit_events WHERE action = '{action}' AND after ->> 'account_id' = '{id}' AND after ->> 'email' IS NULL")).await,
            1
        );
    }

    // An email still goes out, through the outbox and a real SMTP server.
    let messages = smtp.wait_for(1).await;
    assert!(messages[0].contains("X-RcptTo: grace@example.com"));
    assert!(messages[0].contains("Subject: Ada Lovelace invited you to join Acme on Roster"));

    // Grace lands on her own organization, whose home has the banner.
    let res = grace.get("/").await;
    let globex_home = location(&res);
    let (_, home) = grace.page(&globex_home).await;
    assert!(
        home.contains(
            "<strong>Acme</strong> invited you to join as <strong>Manager</strong>, in Support."
        ),
        "{home}"
    );
    assert!(home.contains("Accept") && home.contains("Decline"));
    let (_, list) = grace.page("/invitations").await;
    let invitation = invitation_of(&app, "grace@example.com").await;
    assert!(list.contains(&format!("action=\"/invitations/{invitation}/accept\"")));

    // Someone else cannot answer it: not even that it exists.
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = app.signed_in_client("bob@example.com", PASSWORD).await;
    for answer in ["accept", "decline"] {
        let res = bob
            .post_form(&format!("/invitations/{invitation}/{answer}"), &[])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{answer}");
    }
    let res = app
        .client
        .post_form(&format!("/invitations/{invitation}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "nor the inviter");
    assert_eq!(pending_count(&app, org).await, 1);

    let res = grace
        .post_form(&format!("/invitations/{invitation}/accept"), &[])
        .await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orgs/{org}"));
    let (status, home) = grace.page(&format!("/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Welcome to Acme: you joined as Manager."));
    assert!(
        !home.contains("invitation-banner"),
        "nothing left to answer"
    );
    assert_eq!(
        count(&app, &format!(
            "SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id \
             JOIN team_memberships tm ON tm.membership_id = m.id \
             WHERE m.organization_id = {org} AND a.email = 'grace@example.com' \
               AND m.status = 'active' AND m.role = 'manager' AND tm.team_id = {team} AND tm.role = 'supervisor'"
        ))
        .await,
        1,
        "active with the invitation's role and team"
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_events WHERE action = 'invitation.accepted'"
        )
        .await,
        1
    );
    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(
        members.contains("Grace Secret-Name"),
        "known by name once she joined"
    );

    // Answering again is a clear message, not an error page.
    let res = grace
        .post_form(&format!("/invitations/{invitation}/decline"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/invitations");
    let (_, page) = grace.page("/invitations").await;
    assert!(page.contains("You have already accepted this invitation."));
}

#[tokio::test]
async fn declining_ends_the_invitation_frees_the_seat_and_is_audited() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let (grace, id) = grace_elsewhere(&app).await;
    enable_invites(&app, org, 2).await;
    assert_eq!(
        add_by_id(&app.client, org, &id, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    // Both seats are taken now: Ada's and Grace's pending one.
    app.add_member(
        app.other_org("Initech").await,
        "dan@example.com",
        "Dan",
        "owner",
    )
    .await;
    let dan = public_id_of(&app, "dan@example.com").await;
    let res = add_by_id(&app.client, org, &dan, &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("All 2 seats are in use."));
    let invitation = invitation_of(&app, "grace@example.com").await;

    let res = grace
        .post_form(&format!("/invitations/{invitation}/decline"), &[])
        .await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
    let (_, home) = grace.page(&location(&grace.get("/").await)).await;
    assert!(home.contains("You declined the invitation to Acme."));
    assert!(!home.contains("invitation-banner"));
    assert_eq!(pending_count(&app, org).await, 0, "the seat is free");
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM invitations WHERE id = {invitation} AND status = 'declined'"
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, &format!(
            "SELECT count(*) FROM audit_events e JOIN accounts a ON a.id = e.actor_account_id \
             WHERE e.action = 'invitation.declined' AND e.organization_id = {org} AND a.email = 'grace@example.com'"
        ))
        .await,
        1
    );
    assert_eq!(
        // A message the worker's start-up look already took may still be on
        // its way; none is left waiting.
        count(&app, &format!("SELECT count(*) FROM outbox WHERE invitation_id = {invitation} AND status = 'queued'")).await,
        0,
        "nothing more is sent"
    );
    // The seat serves someone else; the old invitation is gone for good.
    assert_eq!(
        add_by_id(&app.client, org, &dan, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let res = grace
        .post_form(&format!("/invitations/{invitation}/accept"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_account_without_an_organization_lands_on_its_invitations() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let globex = app.other_org("Globex").await;
    app.add_member(globex, "lone@example.com", "Lone", "member")
        .await;
    exec(&app, "DELETE FROM memberships WHERE account_id = (SELECT id FROM accounts WHERE email = 'lone@example.com')").await;
    let lone = app.signed_in_client("lone@example.com", PASSWORD).await;
    assert_eq!(location(&lone.get("/").await), "/orgs/new", "nothing yet");
    let (_, empty) = lone.page("/invitations").await;
    assert!(empty.contains("No open invitations"));
    let id = shown_id(&lone).await;

    add_by_id(&app.client, org, &id, &[]).await;

    assert_eq!(location(&lone.get("/").await), "/invitations");
    let (_, list) = lone.page("/invitations").await;
    assert!(Page::parse(&list)
        .texts("p")
        .contains(&"Acme invited you to join as Member.".to_owned()));
    let invitation = invitation_of(&app, "lone@example.com").await;
    let res = lone
        .htmx_post(&format!("/invitations/{invitation}/accept"), &[])
        .await;
    assert_eq!(
        res.headers()["hx-redirect"],
        format!("/orgs/{org}").as_str()
    );
    assert_eq!(location(&lone.get("/").await), format!("/orgs/{org}"));
}

#[tokio::test]
async fn an_expired_invitation_cannot_be_accepted_in_app() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let (grace, id) = grace_elsewhere(&app).await;
    add_by_id(&app.client, org, &id, &[]).await;
    let invitation = invitation_of(&app, "grace@example.com").await;
    exec(&app, &format!("UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = {invitation}")).await;

    let res = grace
        .post_form(&format!("/invitations/{invitation}/accept"), &[])
        .await;

    assert_eq!(location(&res), "/invitations");
    let (_, page) = grace.page("/invitations").await;
    assert!(page.contains("This invitation has expired; ask the organization to send it again."));
    assert_eq!(
        pending_count(&app, org).await,
        1,
        "still pending, not active"
    );
}
