//! Attack stories: taking over someone else's account through an invitation.
//! Only the mailbox's owner ever sets an account's first password: a link may
//! give credentials only to the account its own invitation created, and only
//! while that account holds no other membership; everyone else signs in, or asks
//! for a reset link at their own address.

use reqwest::StatusCode;
use roster::services::demo::NO_PASSWORD;

use crate::helpers::{
    decode_quoted_printable, link_in, location, SmtpServer, TestApp, TestClient, PASSWORD,
};
use crate::invitations::accept::{accept_new, invited_link};
use crate::invitations::lifecycle::{member_of, path_of, shown_link};
use crate::invitations::{app_with_smtp, app_with_smtp_and, invite};

/// Runs the `roster` binary against the test database; its output.
fn roster(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .env("DATABASE_URL", &app.db.url)
        .env("ROSTER_PUBLIC_URL", &app.address)
        .args(args)
        .output()
        .unwrap()
}

/// Another organization, created as the operator would; its id.
async fn other_org(app: &TestApp, name: &'static str) -> i64 {
    app.query(move |conn| roster::db::organizations::insert(conn, name).unwrap().id.0)
        .await
}

/// The account at `email` as stored now.
async fn account(app: &TestApp, email: &'static str) -> roster::db::accounts::Account {
    app.query(move |conn| {
        roster::db::accounts::find_by_email(conn, email)
            .unwrap()
            .expect("the account")
    })
    .await
}

async fn password_hash_of(app: &TestApp, email: &'static str) -> String {
    account(app, email).await.password_hash
}

async fn display_name_of(app: &TestApp, email: &'static str) -> String {
    account(app, email).await.display_name
}

/// Ada copies a fresh link for the pending member invited at `email`: the path
/// of the link the manager now holds.
async fn copied_link(app: &TestApp, org: i64, email: &str) -> String {
    let member = member_of(app, email).await;
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{member}/invitation/link"),
            &[],
        )
        .await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    path_of(app, &shown_link(&body, member))
}

#[tokio::test]
async fn a_manager_of_another_org_cannot_take_over_a_passwordless_account_through_a_copied_link() {
    let smtp = SmtpServer::start().await;
    let (app, b) = app_with_smtp(&smtp).await;
    let a = other_org(&app, "Victim Corp").await;
    let added = roster(
        &app,
        &[
            "org",
            "add-member",
            &a.to_string(),
            "victim@corp.test",
            "--role",
            "admin",
        ],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let ok = invite(&app, b, "victim@corp.test", &[]).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    // The invitation and the set-password email are out before the link is copied.
    smtp.wait_for(2).await;
    let link = copied_link(&app, b, "victim@corp.test").await;
    let attacker = TestClient::new(&app.address);

    let (status, page) = attacker.page(&link).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("Your name"),
        "no offer to create the account"
    );
    assert!(page.contains("Sign in as victim@corp.test"));
    let res = attacker
        .post_form(
            &link,
            &[
                ("display_name", "Mallory"),
                ("password", "mallory's own password"),
                ("password_confirm", "mallory's own password"),
            ],
        )
        .await;

    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("Nothing was accepted"));
    assert_eq!(
        password_hash_of(&app, "victim@corp.test").await,
        NO_PASSWORD
    );
    assert_eq!(display_name_of(&app, "victim@corp.test").await, "victim");
    let res = attacker
        .sign_in("victim@corp.test", "mallory's own password")
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = attacker.page(&format!("/orgs/{a}/members")).await;
    assert_ne!(status, StatusCode::OK);
}

#[tokio::test]
async fn an_invitee_of_one_org_cannot_be_taken_over_by_a_second_orgs_link() {
    let smtp = SmtpServer::start().await;
    let (app, b) = app_with_smtp(&smtp).await;
    // Org C invited grace first: her placeholder account was made for C's invitation.
    let c = other_org(&app, "Other Co").await;
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "INSERT INTO accounts (email, display_name, password_hash) VALUES ('grace@example.com', 'grace', '{NO_PASSWORD}');
             INSERT INTO memberships (organization_id, account_id, role, status)
             SELECT {c}, id, 'member', 'pending' FROM accounts WHERE email = 'grace@example.com';"
        ))
        .unwrap();
    })
    .await;
    let link = invited_link(&app, &smtp, b, "grace@example.com", &[]).await;
    let visitor = TestClient::new(&app.address);

    let (_, page) = visitor.page(&link).await;
    let res = accept_new(&visitor, &link).await;

    assert!(!page.contains("Your name"));
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        password_hash_of(&app, "grace@example.com").await,
        NO_PASSWORD
    );
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE status = 'active'")
            .await,
        1,
        "only Ada"
    );
}

#[tokio::test]
async fn an_invitation_token_for_an_account_that_gained_a_password_since_cannot_set_another() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let link = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    // Since the invitation, the mailbox's owner set a password (a reset, say).
    let hash =
        roster::services::passwords::hash(&roster::domain::Password::parse(PASSWORD).unwrap())
            .unwrap();
    let set = hash.clone();
    app.query(move |conn| {
        use diesel::prelude::*;
        use roster::db::schema::accounts;
        diesel::update(accounts::table.filter(accounts::email.eq("grace@example.com")))
            .set(accounts::password_hash.eq(set))
            .execute(conn)
            .unwrap();
    })
    .await;
    let visitor = TestClient::new(&app.address);

    let res = accept_new(&visitor, &link).await;

    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(password_hash_of(&app, "grace@example.com").await, hash);
    let grace = app.signed_in_client("grace@example.com", PASSWORD).await;
    let res = grace.post_form(&link, &[]).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "signed in, she accepts"
    );
}

#[tokio::test]
async fn two_accepts_of_one_link_racing_for_its_new_account_set_one_password() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let link = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let posts = ["first password here", "second password here"].map(|password| {
        let (client, link) = (TestClient::new(&app.address), link.clone());
        tokio::spawn(async move {
            let _ = client.page(&link).await;
            let res = client
                .post_form(
                    &link,
                    &[
                        ("display_name", "Grace"),
                        ("password", password),
                        ("password_confirm", password),
                    ],
                )
                .await;
            (res.status(), password)
        })
    });

    let mut winners = Vec::new();
    for post in posts {
        let (status, password) = post.await.unwrap();
        if status == StatusCode::SEE_OTHER {
            winners.push(password);
        } else {
            assert_eq!(status, StatusCode::GONE, "the other finds the link used");
        }
    }

    assert_eq!(winners.len(), 1, "exactly one accept wins");
    let hash = password_hash_of(&app, "grace@example.com").await;
    assert!(roster::services::passwords::verify(winners[0], Some(&hash)));
}

#[tokio::test]
async fn links_of_two_organizations_for_one_placeholder_account_accepted_at_once_set_no_password() {
    let smtp = SmtpServer::start().await;
    let (app, b) = app_with_smtp(&smtp).await;
    let first = invited_link(&app, &smtp, b, "grace@example.com", &[]).await;
    // A second organization invites the same address: now the account has two memberships.
    let c = other_org(&app, "Other Co").await;
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "INSERT INTO memberships (organization_id, account_id, role, status)
             SELECT {c}, id, 'member', 'pending' FROM accounts WHERE email = 'grace@example.com';"
        ))
        .unwrap();
    })
    .await;
    let posts = [first.clone(), first].map(|link| {
        let client = TestClient::new(&app.address);
        tokio::spawn(async move {
            let _ = client.page(&link).await;
            accept_new(&client, &link).await.status()
        })
    });

    for post in posts {
        assert_eq!(post.await.unwrap(), StatusCode::CONFLICT);
    }
    assert_eq!(
        password_hash_of(&app, "grace@example.com").await,
        NO_PASSWORD
    );
}

#[tokio::test]
async fn the_operator_added_account_gets_a_set_your_password_email_and_gets_in() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;

    let added = roster(
        &app,
        &[
            "org",
            "add-member",
            &org.to_string(),
            "bob@corp.test",
            "--role",
            "manager",
        ],
    );

    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert!(String::from_utf8_lossy(&added.stdout).contains("set your password"));
    let message = decode_quoted_printable(&smtp.wait_for(1).await[0]);
    assert!(message.contains("X-RcptTo: bob@corp.test"));
    assert!(message.contains("Subject: Set your Roster password for Acme"));
    let link = link_in(&message, "/password/reset/");
    let bob = TestClient::new(&app.address);
    let path = link.trim_start_matches(&app.address);
    let (status, _) = bob.page(path).await;
    assert_eq!(status, StatusCode::OK);
    let res = bob
        .post_form(
            path,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", location(&res));
    let bob = app.signed_in_client("bob@corp.test", PASSWORD).await;
    assert_eq!(
        bob.page(&format!("/orgs/{org}/members")).await.0,
        StatusCode::OK
    );
    // The link was single use.
    let (status, _) = TestClient::new(&app.address).page(path).await;
    assert_eq!(status, StatusCode::GONE);
}

#[tokio::test]
async fn forgot_password_lets_a_passwordless_invitee_set_one_and_then_accept() {
    let smtp = SmtpServer::start().await;
    let (app, b) = app_with_smtp(&smtp).await;
    let link = invited_link(&app, &smtp, b, "grace@example.com", &[]).await;
    // The operator adds her elsewhere: the link may no longer set her password.
    let c = other_org(&app, "Other Co").await;
    let added = roster(
        &app,
        &["org", "add-member", &c.to_string(), "grace@example.com"],
    );
    assert!(added.status.success());
    let before = smtp.wait_for(2).await.len();
    let res = accept_new(&TestClient::new(&app.address), &link).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    let grace = TestClient::new(&app.address);
    let _ = grace.page("/password/forgot").await;
    let res = grace
        .post_form("/password/forgot", &[("email", "grace@example.com")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let messages = smtp.wait_for(before + 1).await;
    let reset = messages
        .iter()
        .map(|m| decode_quoted_printable(m))
        .find(|m| m.contains("Subject: Reset your Roster password"))
        .expect("a reset email");
    let path = link_in(&reset, "/password/reset/")
        .trim_start_matches(&app.address)
        .to_owned();
    let _ = grace.page(&path).await;
    let res = grace
        .post_form(
            &path,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let grace = app.signed_in_client("grace@example.com", PASSWORD).await;
    let res = grace.post_form(&link, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orgs/{b}"));
}

/// An accept page with its token, address and CSRF token taken out.
fn page_shape(page: &str, link: &str, email: &str) -> String {
    let token = crate::helpers::extract_csrf(page).unwrap_or_default();
    let link_token = link.rsplit('/').next().unwrap();
    page.replace(&token, "<csrf>")
        .replace(link_token, "<token>")
        .replace(email, "<email>")
}

#[tokio::test]
async fn a_copied_links_page_does_not_tell_an_account_with_a_password_from_one_without() {
    let smtp = SmtpServer::start().await;
    let (app, b) = app_with_smtp(&smtp).await;
    let c = other_org(&app, "Other Co").await;
    // One has a password; the other was added by the operator and has none yet.
    app.add_member(c, "has@example.com", "Has Password", "member")
        .await;
    assert!(roster(
        &app,
        &["org", "add-member", &c.to_string(), "none@example.com"]
    )
    .status
    .success());
    for email in ["has@example.com", "none@example.com"] {
        assert_eq!(
            invite(&app, b, email, &[]).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    // Both invitations and the set-password email are out before the links are copied.
    smtp.wait_for(3).await;
    let has = copied_link(&app, b, "has@example.com").await;
    let none = copied_link(&app, b, "none@example.com").await;
    let visitor = TestClient::new(&app.address);

    let (status_has, page_has) = visitor.page(&has).await;
    let (status_none, page_none) = visitor.page(&none).await;

    assert_eq!(status_has, status_none);
    assert_eq!(
        page_shape(&page_has, &has, "has@example.com"),
        page_shape(&page_none, &none, "none@example.com")
    );
}

#[tokio::test]
async fn an_invitation_shows_nothing_the_invitee_has_elsewhere() {
    let smtp = SmtpServer::start().await;
    let (app, b) = app_with_smtp(&smtp).await;
    let c = other_org(&app, "Other Co").await;
    app.add_member(c, "victor@example.com", "Victor Secretname", "member")
        .await;
    // Victor is active elsewhere: his last-seen time ticks there.
    let victor = app.signed_in_client("victor@example.com", PASSWORD).await;
    assert_eq!(victor.page(&format!("/orgs/{c}")).await.0, StatusCode::OK);
    assert_eq!(
        invite(&app, b, "victor@example.com", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let member = member_of(&app, "victor@example.com").await;

    let (_, list) = app.client.page(&format!("/orgs/{b}/members")).await;
    let (_, by_name) = app
        .client
        .page(&format!("/orgs/{b}/members?q=secretname"))
        .await;
    let (_, by_last_seen) = app
        .client
        .page(&format!("/orgs/{b}/members?sort=last_seen"))
        .await;

    let row = &list[list
        .find(&format!("id=\"member-{member}\""))
        .expect("Victor's row")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("victor@example.com"));
    assert!(!row.contains("Secretname"), "{row}");
    assert!(
        row.contains("Never"),
        "no last-seen time from elsewhere: {row}"
    );
    assert!(!list.contains("Secretname"));
    assert!(
        !by_name.contains(&format!("id=\"member-{member}\"")),
        "his name elsewhere finds nothing"
    );
    assert!(!by_last_seen.contains("Secretname"));
    let emails = smtp.wait_for(1).await;
    assert!(emails
        .iter()
        .all(|m| !decode_quoted_printable(m).contains("Secretname")));
}

#[tokio::test]
async fn the_bulk_preview_says_will_be_invited_for_an_address_known_elsewhere_and_counts_against_the_limits(
) {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp_and(&smtp, |s| s.limits.invites_per_account = 3).await;
    let c = other_org(&app, "Other Co").await;
    app.add_member(c, "known@example.com", "Known Elsewhere", "member")
        .await;
    let list = "known@example.com\nnew@example.com";

    let res = invite(&app, org, list, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let preview = res.text().await.unwrap();
    // Both lines sit in the "Will be invited" group, before "Skipped".
    assert!(preview.contains("Will be invited (2)"), "{preview}");
    let skipped = preview.find("id=\"bulk-skip\"").unwrap();
    for email in ["known@example.com", "new@example.com"] {
        assert!(preview.find(email).unwrap() < skipped, "{email}");
    }
    assert!(!preview.contains("Existing account") && !preview.contains("Known Elsewhere"));

    let res = invite(&app, org, list, &[]).await;

    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "a preview is no free lookup"
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
}

#[tokio::test]
async fn the_cli_takes_organizations_by_id_and_names_only_when_told_and_unique() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    // A tenant that named itself after another's id.
    other_org(&app, "Acme").await;

    let by_text = roster(&app, &["org", "set-plan", "Acme", "free"]);
    let ambiguous = roster(&app, &["org", "set-plan", "Acme", "free", "--by-name"]);
    let by_id = roster(&app, &["org", "set-plan", &org.to_string(), "free"]);

    assert!(!by_text.status.success());
    assert!(String::from_utf8_lossy(&by_text.stderr).contains("not an organization id"));
    assert!(!ambiguous.status.success());
    assert!(String::from_utf8_lossy(&ambiguous.stderr).contains("2 organizations are named"));
    assert!(
        by_id.status.success(),
        "{}",
        String::from_utf8_lossy(&by_id.stderr)
    );
    let numeric = other_org(&app, "1").await;
    let unknown_id = roster(&app, &["org", "set-plan", "999999", "pro"]);
    assert!(
        String::from_utf8_lossy(&unknown_id.stderr).contains("no organization has the id 999999")
    );
    let exact = roster(&app, &["org", "set-plan", "1", "pro", "--by-name"]);
    assert!(
        exact.status.success(),
        "{}",
        String::from_utf8_lossy(&exact.stderr)
    );
    assert!(
        String::from_utf8_lossy(&exact.stdout).contains(&format!("1 ({numeric}) is on Pro")),
        "the name, not organization 1"
    );
}
