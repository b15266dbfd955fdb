//! Attack stories: mail errors. A mail server's reply can name internal hosts,
//! software and policies; a tenant sees only a plain reason for a failed
//! invitation email, and the server's own words stay in the operators' log.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{fast_outbox, free_port, spawn_app_with, TestApp};
use crate::invitations::{enable_invites, invite};

/// What the refusing server answers to every RCPT: the kind of text real
/// servers send, with an internal host name in it.
const REFUSAL: &str = "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table on mx7.corp.internal";

/// A real SMTP server process (the same aiosmtpd the other mail tests use)
/// whose handler refuses every recipient.
struct RefusingSmtp {
    port: u16,
    dir: std::path::PathBuf,
    child: std::process::Child,
}

impl RefusingSmtp {
    async fn start() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "roster-refusing-smtp-{}",
            hex::encode(rand::random::<[u8; 8]>())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("refusing.py"),
            format!(
                "class Refuser:\n    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):\n        return {REFUSAL:?}\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = std::process::Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "refusing.Refuser"])
            .env("PYTHONPATH", &dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd is installed (scripts/test installs it)");
        let server = Self { port, dir, child };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the refusing SMTP server did not start on port {port}");
    }
}

impl Drop for RefusingSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An app whose worker sends to `port` on 127.0.0.1 and gives up after one
/// attempt, with Ada as Owner of a Pro organization.
async fn app_sending_to(port: u16) -> (TestApp, i64) {
    let smtp = crate::helpers::smtp_on(port);
    let app = spawn_app_with(move |s| {
        s.smtp = Some(smtp);
        fast_outbox(s);
        s.outbox_max_attempts = 1;
    })
    .await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;
    (app, org)
}

/// The delivery line of the pending invitation on the Members page, once its
/// email has failed.
async fn failed_delivery_line(app: &TestApp, org: i64) -> (String, String) {
    for _ in 0..300 {
        let (status, page) = app.client.page(&format!("/orgs/{org}/members")).await;
        assert_eq!(status, StatusCode::OK);
        if let Some(line) = page
            .lines()
            .find(|l| l.contains("delivery-failed"))
            .map(str::to_owned)
        {
            return (line, page);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the invitation email never failed");
}

async fn stored_error(app: &TestApp) -> String {
    app.query(|conn| {
        use diesel::prelude::*;
        use roster::db::schema::outbox;
        outbox::table
            .select(outbox::last_error)
            .filter(outbox::status.eq("failed"))
            .first::<Option<String>>(conn)
            .unwrap()
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn a_refused_address_shows_the_tenant_a_plain_reason_and_not_the_servers_words() {
    let smtp = RefusingSmtp::start().await;
    let (app, org) = app_sending_to(smtp.port).await;

    let res = invite(&app, org, "grace@example.com", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (line, page) = failed_delivery_line(&app, org).await;

    assert!(
        line.contains("The mail server refused the address."),
        "a plain reason: {line}"
    );
    for words in [
        "550",
        "5.1.1",
        "User unknown",
        "virtual mailbox",
        "mx7.corp.internal",
    ] {
        assert!(!line.contains(words), "no {words:?} in {line}");
    }
    assert!(!page.contains("mx7.corp.internal"), "nowhere on the page");
    assert_eq!(
        stored_error(&app).await,
        "The mail server refused the address.",
        "the row keeps only the category"
    );
}

#[tokio::test]
async fn an_unreachable_mail_server_shows_the_tenant_a_plain_reason_and_not_the_host() {
    // Nothing listens there: the port was bound and let go.
    let (app, org) = app_sending_to(free_port()).await;

    let res = invite(&app, org, "grace@example.com", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (line, page) = failed_delivery_line(&app, org).await;

    assert!(
        line.contains("The mail server could not be reached."),
        "a plain reason: {line}"
    );
    for words in [
        "127.0.0.1",
        "Connection refused",
        "Connection error",
        "os error",
    ] {
        assert!(!line.contains(words), "no {words:?} in {line}");
    }
    for words in ["Connection refused", "Connection error", "os error"] {
        assert!(!page.contains(words), "no {words:?} anywhere on the page");
    }
    assert_eq!(
        stored_error(&app).await,
        "The mail server could not be reached."
    );
}
