//! The outbox under faults: SMTP down keeps messages queued and retrying until
//! it is back, then each goes exactly once; two instances share 200 messages
//! without sending any twice; a revoked invitation's email is never sent.

use std::time::Duration;

use reqwest::StatusCode;

use super::{enable_invites, invite};
use crate::helpers::{fast_outbox, free_port, spawn_app_with, spawn_instance, SmtpServer};

#[tokio::test]
async fn with_smtp_down_invitations_stay_queued_and_retrying_then_go_out_exactly_once() {
    let port = free_port();
    let settings = crate::helpers::smtp_on(port);
    let app = spawn_app_with(move |s| {
        s.smtp = Some(settings);
        fast_outbox(s);
    })
    .await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;

    for email in ["one@example.com", "two@example.com", "three@example.com"] {
        assert_eq!(
            invite(&app, org, email, &[]).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let mut retried = 0;
    for _ in 0..300 {
        retried = app
            .count("SELECT count(*) FROM outbox WHERE status = 'queued' AND attempts > 0 AND last_error IS NOT NULL")
            .await;
        if retried == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        retried, 3,
        "every message is waiting for a retry with its error"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM invitations WHERE status = 'pending'")
            .await,
        3
    );
    let (_, members) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(members.contains("Email: retrying"), "the UI shows retrying");

    let smtp = SmtpServer::start_on(port).await;

    let messages = smtp.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let messages_after = smtp.messages();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages_after.len(), 3, "nothing is sent twice");
    for email in ["one@example.com", "two@example.com", "three@example.com"] {
        let to = format!("X-RcptTo: {email}");
        assert_eq!(
            messages_after.iter().filter(|m| m.contains(&to)).count(),
            1,
            "{email}"
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE status = 'sent'")
            .await,
        3
    );
}

#[tokio::test]
async fn two_instances_on_one_database_deliver_200_queued_messages_each_exactly_once() {
    let smtp = SmtpServer::start().await;
    // The first instance takes part too (its worker may look once as the rows arrive).
    let first = smtp.settings();
    let app = spawn_app_with(move |s| s.smtp = Some(first)).await;
    app.query(|conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(
            "INSERT INTO outbox (kind, to_address, subject, text_body, html_body)
             SELECT 'test', 'someone' || g || '@example.com', 'Message ' || g, 'Hello ' || g, '<p>Hello</p>'
             FROM generate_series(1, 200) g",
        )
        .unwrap();
    })
    .await;

    let settings = smtp.settings();
    let other = settings.clone();
    spawn_instance(&app, move |s| {
        s.smtp = Some(settings);
        fast_outbox(s);
    })
    .await;
    spawn_instance(&app, move |s| {
        s.smtp = Some(other);
        fast_outbox(s);
    })
    .await;

    let messages = smtp.wait_for(200).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let messages = if messages.len() >= 200 {
        smtp.messages()
    } else {
        messages
    };
    let sent = app
        .count("SELECT count(*) FROM outbox WHERE status = 'sent'")
        .await;
    let sending = app
        .count("SELECT count(*) FROM outbox WHERE status = 'sending'")
        .await;
    let queued = app
        .count("SELECT count(*) FROM outbox WHERE status = 'queued'")
        .await;
    assert_eq!(
        messages.len(),
        200,
        "every message, none twice (sent {sent}, sending {sending}, queued {queued})"
    );
    let mut recipients: Vec<String> = messages
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.starts_with("X-RcptTo:"))
                .map(str::to_owned)
        })
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 200);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE status = 'sent'")
            .await,
        200
    );
}

#[tokio::test]
async fn a_revoked_invitations_queued_email_is_not_sent() {
    let smtp = SmtpServer::start().await;
    // No SMTP for this instance and no second look: the email stays queued.
    let app = spawn_app_with(|s| s.outbox_poll = Duration::from_secs(3600)).await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;
    assert_eq!(
        invite(&app, org, "grace@example.com", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let member = app.count("SELECT membership_id FROM invitations").await;
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{member}/invitation/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let settings = smtp.settings();
    spawn_instance(&app, move |s| {
        s.smtp = Some(settings);
        fast_outbox(s);
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;

    assert_eq!(smtp.messages().len(), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE status = 'cancelled'")
            .await,
        1
    );
}

#[tokio::test]
async fn with_no_smtp_configured_the_email_is_written_as_an_eml_file() {
    let app = spawn_app_with(fast_outbox).await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;
    let dir = std::env::temp_dir().join(format!("roster-mail-{}", app.db.name));

    assert_eq!(
        invite(&app, org, "grace@example.com", &[]).await.status(),
        StatusCode::SEE_OTHER
    );

    let mut files = Vec::new();
    for _ in 0..300 {
        files = std::fs::read_dir(&dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(files.len(), 1);
    let message = std::fs::read_to_string(&files[0]).unwrap();
    assert!(message.contains("/invite/"));
    assert!(message.contains("grace@example.com"));
    assert_eq!(
        app.count_when("SELECT count(*) FROM outbox WHERE status = 'sent'", 1)
            .await,
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}
