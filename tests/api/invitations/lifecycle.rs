//! An invitation's life after it is sent: a manager copies a fresh link, the
//! invitation expires (and frees its seat), the one reminder goes out before
//! that, and the upkeep job marks and later purges what expired.

use std::time::Duration;

use chrono::Utc;
use reqwest::StatusCode;
use roster::services::invitations::upkeep::{self, Report, UpkeepSettings};

use super::accept::{accept_new, invited_link};
use super::{app_with_smtp, enable_invites, invite};
use crate::helpers::{invite_link, location, SmtpServer, TestApp, TestClient};

fn days(n: i64) -> chrono::Duration {
    chrono::Duration::days(n)
}

/// Runs the upkeep job as if it were `now`, with the default periods.
async fn run_upkeep(app: &TestApp, now: chrono::DateTime<Utc>) -> Report {
    let cfg = UpkeepSettings {
        public_url: url::Url::parse(&app.address).unwrap(),
        purge_after: Duration::from_secs(30 * 86_400),
        remind_before: Duration::from_secs(48 * 3600),
    };
    app.query(move |conn| upkeep::run(conn, now, &cfg).unwrap())
        .await
}

pub async fn member_of(app: &TestApp, email: &str) -> i64 {
    app.count(&format!(
        "SELECT membership_id FROM invitations WHERE email = '{email}'"
    ))
    .await
}

/// The link a copy-link answer shows in its read-only field.
pub fn shown_link(body: &str, member: i64) -> String {
    let field = format!("id=\"invite-link-{member}-url\"");
    let rest = &body[body.find(&field).expect("the link field") + field.len()..];
    let value = &rest[rest.find("value=\"").expect("a value") + 7..];
    value[..value.find('"').unwrap()].to_owned()
}

/// Another organization, "Elsewhere", with one active member who has a password.
async fn elsewhere_with(app: &TestApp, email: &str, role: &str) -> i64 {
    let org = app
        .query(|conn| {
            roster::db::organizations::insert(conn, "Elsewhere")
                .unwrap()
                .id
                .0
        })
        .await;
    app.add_member(org, email, "Someone Else", role).await;
    org
}

/// Ada's plain-form POST to one of a pending member's invitation actions.
async fn on_invitation(app: &TestApp, org: i64, member: i64, action: &str) -> reqwest::Response {
    app.client
        .post_form(
            &format!("/orgs/{org}/members/{member}/invitation/{action}"),
            &[],
        )
        .await
}

pub fn path_of(app: &TestApp, link: &str) -> String {
    link.trim_start_matches(&app.address).to_owned()
}

async fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM audit_events WHERE action = '{action}'"
    ))
    .await
}

#[tokio::test]
async fn a_manager_copies_a_link_shown_once_the_old_link_dies_and_the_new_one_accepts() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let emailed = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let member = member_of(&app, "grace@example.com").await;
    let copy = format!("/orgs/{org}/members/{member}/invitation/link");

    // Without JavaScript: a full page with the link.
    let res = app.client.post_form(&copy, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    assert!(page.contains("<h1>Invitation link</h1>"));
    let first_copy = shown_link(&page, member);

    // With htmx: the fragment beside the row, with a Copy button for static/app.js.
    let res = app.client.htmx_post(&copy, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers().get("hx-trigger").is_none(),
        "the table does not reload over the link"
    );
    let fragment = res.text().await.unwrap();
    assert!(!fragment.contains("<html"), "only the fragment");
    assert!(fragment.contains("readonly"));
    assert!(fragment.contains(&format!("data-copy=\"#invite-link-{member}-url\"")));
    assert!(fragment.contains("Shown only this once"));
    let link = shown_link(&fragment, member);
    assert!(link.starts_with(&format!("{}/invite/", app.address)));
    let token = link.rsplit('/').next().unwrap().to_owned();

    // The link is nowhere else: not in the members list, not in a new email.
    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(!members.contains(&token));
    assert!(members.contains("Link copied by a manager"));
    assert!(members.contains("Pending"));
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 1);
    assert_eq!(audit_count(&app, "invitation.link_copied").await, 2);

    // Every earlier link is dead; the last one accepts.
    let invitee = TestClient::new(&app.address);
    for dead in [emailed, path_of(&app, &first_copy)] {
        let (status, body) = invitee.page(&dead).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("This invitation link is not valid"));
    }
    let res = accept_new(&invitee, &path_of(&app, &link)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orgs/{org}"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {member} AND status = 'active'"
        ))
        .await,
        1
    );
    assert_eq!(smtp.messages().len(), 1, "copying a link sends no email");
}

#[tokio::test]
async fn copying_a_link_without_the_right_is_refused_as_resending_is_and_changes_nothing() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let emailed = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let member = member_of(&app, "grace@example.com").await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let other_org = elsewhere_with(&app, "eve@example.com", "owner").await;
    let bob = app
        .signed_in_client("bob@example.com", crate::helpers::PASSWORD)
        .await;
    let eve = app
        .signed_in_client("eve@example.com", crate::helpers::PASSWORD)
        .await;
    let copy = format!("/orgs/{org}/members/{member}/invitation/link");
    let resend = format!("/orgs/{org}/members/{member}/invitation/resend");

    let by_member = bob.post_form(&copy, &[]).await;
    let member_resend = bob.post_form(&resend, &[]).await;
    let by_outsider = eve.post_form(&copy, &[]).await;
    let eve_member = app
        .count(&format!(
            "SELECT id FROM memberships WHERE organization_id = {other_org}"
        ))
        .await;
    let another_orgs_member = on_invitation(&app, org, eve_member, "link").await;

    assert_eq!(by_member.status(), StatusCode::FORBIDDEN);
    assert_eq!(member_resend.status(), by_member.status());
    assert!(!by_member.text().await.unwrap().contains("/invite/"));
    assert_eq!(by_outsider.status(), StatusCode::NOT_FOUND);
    assert_eq!(another_orgs_member.status(), StatusCode::NOT_FOUND);
    assert_eq!(audit_count(&app, "invitation.link_copied").await, 0);
    let (status, _) = TestClient::new(&app.address).page(&emailed).await;
    assert_eq!(status, StatusCode::OK, "the emailed link still works");
}

#[tokio::test]
async fn an_invitation_past_its_expiry_shows_expired_and_its_seat_frees_up() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    enable_invites(&app, org, 2).await;
    let path = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let member = member_of(&app, "grace@example.com").await;
    let (_, dialog) = app
        .client
        .page(&format!("/orgs/{org}/members/invite"))
        .await;
    assert!(dialog.contains("0 of 2 seats left"));

    app.query(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE invitations SET expires_at = now() - interval '1 minute'")
            .execute(conn)
            .unwrap();
    })
    .await;

    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    let row = members
        .split(&format!("id=\"member-{member}\""))
        .nth(1)
        .unwrap();
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(">Expired</span>"), "the status badge: {row}");
    assert!(!row.contains(">Pending</span>"));
    assert!(row.contains("Resend") && row.contains("Revoke"));
    let (_, dialog) = app
        .client
        .page(&format!("/orgs/{org}/members/invite"))
        .await;
    assert!(dialog.contains("1 of 2 seats left"));
    let (status, body) = TestClient::new(&app.address).page(&path).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("This invitation has expired"));

    // The freed seat goes to someone else; the expired one can then not come back.
    let res = invite(&app, org, "alan@example.com", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = on_invitation(&app, org, member, "resend").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("All 2 seats are in use"));
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE email = 'grace@example.com' AND expires_at < now()")
            .await,
        1,
        "nothing changed"
    );
}

#[tokio::test]
async fn the_upkeep_job_marks_expired_then_purges_with_a_passwordless_account_but_keeps_a_real_one()
{
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    elsewhere_with(&app, "bob@example.com", "member").await;
    invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    invited_link(&app, &smtp, org, "bob@example.com", &[]).await;
    let start = Utc::now();

    assert_eq!(run_upkeep(&app, start).await, Report::default());
    let marked = run_upkeep(&app, start + days(8)).await;
    let again = run_upkeep(&app, start + days(8)).await;

    assert_eq!(marked.expired, 2);
    assert_eq!(again, Report::default(), "nothing is done twice");
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE status = 'expired'")
            .await,
        2
    );
    assert_eq!(super::pending_count(&app, org).await, 2, "still listed");
    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert_eq!(
        members
            .matches("class=\"badge status status-pending\">Expired</span>")
            .count(),
        2
    );
    assert_eq!(audit_count(&app, "invitation.expired").await, 2);

    // They expired 7 days after they were sent; 30 days after that they go.
    assert_eq!(run_upkeep(&app, start + days(7 + 29)).await.purged, 0);
    let purged = run_upkeep(&app, start + days(7 + 31)).await;

    assert_eq!(purged.purged, 2);
    assert_eq!(purged.accounts_deleted, 1);
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);
    assert_eq!(super::pending_count(&app, org).await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM accounts WHERE email = 'grace@example.com'")
            .await,
        0,
        "the account made for the invitation goes"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM accounts a JOIN memberships m ON m.account_id = a.id WHERE a.email = 'bob@example.com' AND m.status = 'active'")
            .await,
        1,
        "an existing account stays, with its other membership"
    );
    assert_eq!(audit_count(&app, "invitation.purged").await, 2);
    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(!members.contains("grace@example.com"));
}

#[tokio::test]
async fn an_expired_invitation_resent_is_pending_again_with_a_working_link() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let member = member_of(&app, "grace@example.com").await;
    app.query(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE invitations SET expires_at = now() - interval '1 day'")
            .execute(conn)
            .unwrap();
    })
    .await;
    assert_eq!(run_upkeep(&app, Utc::now()).await.expired, 1);

    let res = on_invitation(&app, org, member, "resend").await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE status = 'pending' AND expires_at > now() + interval '6 days'")
            .await,
        1
    );
    let messages = smtp.wait_for(2).await;
    let links: Vec<String> = messages.iter().map(|m| invite_link(m)).collect();
    let mut working = 0;
    for link in &links {
        let (status, _) = TestClient::new(&app.address)
            .page(&path_of(&app, link))
            .await;
        working += usize::from(status == StatusCode::OK);
    }
    assert_eq!(working, 1, "only the resent link works");
}

/// The reminder among the messages: (raw message, its link's path).
fn reminder_of(app: &TestApp, messages: &[String]) -> Option<(String, String)> {
    messages
        .iter()
        .find(|m| m.contains("Subject: Reminder:"))
        .map(|m| (m.clone(), path_of(app, &invite_link(m))))
}

#[tokio::test]
async fn one_reminder_goes_out_before_expiry_and_its_link_works() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let emailed = invited_link(&app, &smtp, org, "grace@example.com", &[]).await;
    let start = Utc::now();

    assert_eq!(run_upkeep(&app, start + days(1)).await.reminded, 0);
    let first = run_upkeep(&app, start + days(6)).await;
    let second = run_upkeep(&app, start + days(6)).await;
    let later = run_upkeep(&app, start + chrono::Duration::hours(6 * 24 + 20)).await;

    assert_eq!(first.reminded, 1);
    assert_eq!(second.reminded + later.reminded, 0, "never twice");
    let messages = smtp.wait_for(2).await;
    assert_eq!(messages.len(), 2);
    let (reminder, path) = reminder_of(&app, &messages).expect("the reminder");
    // Long lines come quoted-printable, softly broken.
    let reminder = reminder.replace("=\r\n", "").replace("=\n", "");
    assert!(reminder.contains("X-RcptTo: grace@example.com"));
    assert!(reminder.contains("Subject: Reminder: Ada Lovelace invited you to join Acme on Roster"));
    assert!(reminder.contains("multipart/alternative"));
    assert!(reminder.contains("text/plain"));
    assert!(reminder.contains("text/html"));
    assert!(reminder.contains("as Member, and the invitation expires on"));
    assert!(reminder.contains("Accept the invitation"), "the HTML part");
    assert_eq!(audit_count(&app, "invitation.reminded").await, 1);
    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(members.contains("reminder sent"));

    let invitee = TestClient::new(&app.address);
    assert_eq!(invitee.page(&emailed).await.0, StatusCode::NOT_FOUND);
    let res = accept_new(&invitee, &path).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orgs/{org}"));
}

#[tokio::test]
async fn a_revoked_invitation_and_a_copied_link_get_no_reminder() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    for email in ["one@example.com", "two@example.com", "three@example.com"] {
        invited_link(&app, &smtp, org, email, &[]).await;
    }
    let two = member_of(&app, "two@example.com").await;
    let three = member_of(&app, "three@example.com").await;
    let res = on_invitation(&app, org, two, "revoke").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = on_invitation(&app, org, three, "link").await;
    assert_eq!(res.status(), StatusCode::OK);
    let copied = shown_link(&res.text().await.unwrap(), three);

    let report = run_upkeep(&app, Utc::now() + days(6)).await;

    assert_eq!(report.reminded, 1);
    let messages = smtp.wait_for(4).await;
    let reminders: Vec<&String> = messages
        .iter()
        .filter(|m| m.contains("Subject: Reminder:"))
        .collect();
    assert_eq!(reminders.len(), 1);
    assert!(reminders[0].contains("X-RcptTo: one@example.com"));
    let (status, _) = TestClient::new(&app.address)
        .page(&path_of(&app, &copied))
        .await;
    assert_eq!(status, StatusCode::OK, "the copied link still works");
}

#[tokio::test]
async fn two_upkeep_runs_at_once_remind_each_invitation_exactly_once() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    enable_invites(&app, org, 40).await;
    for i in 0..30 {
        let res = invite(&app, org, &format!("p{i}@example.com"), &[]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let now = Utc::now() + days(6);

    let (a, b) = tokio::join!(run_upkeep(&app, now), run_upkeep(&app, now));

    assert_eq!(a.reminded + b.reminded, 30);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE kind = 'invitation_reminder'")
            .await,
        30
    );
    assert_eq!(audit_count(&app, "invitation.reminded").await, 30);
}
