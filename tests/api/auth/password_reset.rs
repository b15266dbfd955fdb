//! Forgot password: the same answer whether or not an account exists, a
//! multipart email with a single-use one-hour link (read from a real SMTP
//! server), a new password that ends every session, and a clear page for a
//! used, expired, replaced or mistyped link.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{
    decode_quoted_printable, fast_outbox, link_in, location, spawn_app_with, spawn_instance,
    SmtpServer, TestApp, TestClient, PASSWORD,
};

const NEW_PASSWORD: &str = "a brand new password for ada";

/// Ada (Owner of Acme) on an app sending to `smtp`.
pub async fn app_with_smtp(smtp: &SmtpServer) -> TestApp {
    let settings = smtp.settings();
    let app = spawn_app_with(move |s| {
        s.smtp = Some(settings);
        fast_outbox(s);
    })
    .await;
    app.setup_owner().await;
    app
}

async fn ask_for_link(app: &TestApp, email: &str) -> (StatusCode, String) {
    let visitor = TestClient::new(&app.address);
    let (status, _) = visitor.page("/password/forgot").await;
    assert_eq!(status, StatusCode::OK);
    let res = visitor
        .post_form("/password/forgot", &[("email", email)])
        .await;
    (res.status(), res.text().await.unwrap())
}

/// Asks for a link for Ada and returns its path, once the email has arrived.
pub async fn reset_path(app: &TestApp, smtp: &SmtpServer) -> String {
    let links = |messages: Vec<String>| -> Vec<String> {
        messages
            .iter()
            .map(|m| link_in(&decode_quoted_printable(m), "/password/reset/"))
            .collect()
    };
    let seen = links(smtp.messages());
    let (status, _) = ask_for_link(app, "ada@example.com").await;
    assert_eq!(status, StatusCode::OK);
    let now = links(smtp.wait_for(seen.len() + 1).await);
    now.into_iter()
        .find(|link| !seen.contains(link))
        .expect("the reset email arrived")
        .trim_start_matches(&app.address)
        .to_owned()
}

fn without_csrf(body: &str) -> String {
    let token = crate::helpers::extract_csrf(body).expect("a CSRF token on the page");
    body.replace(&token, "<csrf>")
}

#[tokio::test]
async fn known_and_unknown_addresses_get_the_same_answer_and_only_the_known_one_gets_an_email() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp).await;
    // Someone invited but not yet joined has no password: a link lets them set one.
    app.query(|conn| {
        roster::db::accounts::insert(
            conn,
            "invitee@example.com",
            "Invitee",
            roster::services::demo::NO_PASSWORD,
        )
        .unwrap()
    })
    .await;

    let known = ask_for_link(&app, "Ada@Example.com").await;
    let unknown = ask_for_link(&app, "nobody@example.com").await;
    let invitee = ask_for_link(&app, "invitee@example.com").await;

    assert_eq!(known.0, StatusCode::OK);
    assert_eq!(unknown.0, known.0);
    assert_eq!(invitee.0, known.0);
    assert!(known.1.contains("If an account exists for that address"));
    assert_eq!(without_csrf(&known.1), without_csrf(&unknown.1));
    assert_eq!(without_csrf(&known.1), without_csrf(&invitee.1));
    // The invitee has no password yet: the link is how they set one.
    let messages = smtp.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let messages = if smtp.messages().len() > messages.len() {
        smtp.messages()
    } else {
        messages
    };
    assert_eq!(messages.len(), 2, "only the known addresses get an email");
    assert!(messages
        .iter()
        .any(|m| m.contains("X-RcptTo: invitee@example.com")));
    let messages: Vec<&String> = messages
        .iter()
        .filter(|m| m.contains("X-RcptTo: ada@example.com"))
        .collect();
    // Long lines come quoted-printable; read them as sent.
    let message = &decode_quoted_printable(messages[0]);
    assert!(message.contains("X-RcptTo: ada@example.com"));
    assert!(message.contains("To: ada@example.com"));
    assert!(message.contains("Subject: Reset your Roster password"));
    assert!(message.contains("multipart/alternative"));
    assert!(message.contains("text/plain"));
    assert!(message.contains("text/html"));
    assert!(message.contains("Hello Ada Lovelace"));
    let link = link_in(message, "/password/reset/");
    assert!(
        link.starts_with(&format!("{}/password/reset/", app.address)),
        "built from the public URL: {link}"
    );
    let token = link.rsplit('/').next().unwrap();
    assert!(token.len() >= 43, "at least 256 bits, url-safe base64");
    assert_eq!(
        message.matches(token).count(),
        3,
        "the link, once in the text part and twice in the HTML part"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM password_resets WHERE token_hash = sha256('{token}'::bytea)"
        ))
        .await,
        1,
        "kept only as a hash"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM outbox WHERE text_body LIKE '%{token}%' OR html_body LIKE '%{token}%'"
        ))
        .await,
        0,
        "not even in the outbox"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'account.password_reset_requested' AND organization_id IS NULL")
            .await,
        2,
        "Ada's and the invitee's"
    );
}

#[tokio::test]
async fn the_link_sets_a_new_password_once_and_signs_out_every_session() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp).await;
    let elsewhere = app.signed_in_client("ada@example.com", PASSWORD).await;
    let path = reset_path(&app, &smtp).await;
    let visitor = TestClient::new(&app.address);

    // Opening the link (twice, as a mail scanner might) uses nothing up.
    let res = visitor.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["referrer-policy"], "no-referrer");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let (status, page) = visitor.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Choose a new password"));
    // The same rules as anywhere else: too short, or not confirmed, changes nothing.
    let short = visitor
        .post_form(
            &path,
            &[("password", "short"), ("password_confirm", "short")],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short
        .text()
        .await
        .unwrap()
        .contains("Use at least 12 characters"));
    let mismatch = visitor
        .post_form(
            &path,
            &[("password", NEW_PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = visitor
        .post_form(
            &path,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;

    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/signin");
    let (_, signin) = visitor.page("/signin").await;
    assert!(signin.contains("Your password was changed"));
    assert_eq!(
        TestClient::new(&app.address)
            .sign_in("ada@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "the old password stops working"
    );
    app.signed_in_client("ada@example.com", NEW_PASSWORD).await;
    for other in [&elsewhere, &app.client] {
        let res = other.get("/profile").await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "other sessions ended");
        assert!(location(&res).starts_with("/signin"));
    }
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'account.password_reset'")
            .await,
        1
    );

    // Used once, the link is dead.
    let (status, again) = TestClient::new(&app.address).page(&path).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(again.contains("already been used"));
    assert!(again.contains("href=\"/password/forgot\""));
    let replay = visitor
        .post_form(
            &path,
            &[("password", PASSWORD), ("password_confirm", PASSWORD)],
        )
        .await;
    assert_eq!(replay.status(), StatusCode::GONE);
    app.signed_in_client("ada@example.com", NEW_PASSWORD).await;
}

#[tokio::test]
async fn a_replaced_an_expired_and_a_mistyped_link_each_get_their_own_page() {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(&smtp).await;
    let first = reset_path(&app, &smtp).await;
    let second = reset_path(&app, &smtp).await;
    assert_ne!(first, second);
    let visitor = TestClient::new(&app.address);

    let (replaced, body) = visitor.page(&first).await;
    assert_eq!(replaced, StatusCode::GONE);
    assert!(body.contains("This reset link has expired"));
    assert!(body.contains("only the newest one works"));
    assert_eq!(visitor.page(&second).await.0, StatusCode::OK);

    let mut mistyped = second.clone();
    let last = mistyped.pop().unwrap();
    mistyped.push(if last == 'A' { 'B' } else { 'A' });
    let (status, body) = visitor.page(&mistyped).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("This reset link is not valid"));

    app.query(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "UPDATE password_resets SET expires_at = now() - interval '1 minute' WHERE used_at IS NULL",
        )
        .execute(conn)
        .unwrap();
    })
    .await;
    let (status, body) = visitor.page(&second).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(body.contains("This reset link has expired"));
    assert!(body.contains("Ask for a new link"));
    let res = visitor
        .post_form(
            &second,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::GONE);
    app.signed_in_client("ada@example.com", PASSWORD).await;
}

#[tokio::test]
async fn reset_requests_are_limited_per_email_address_and_per_client_address() {
    let app = spawn_app_with(|s| {
        s.limits.resets_per_email = 2;
        s.limits.resets_per_ip = 3;
    })
    .await;
    app.setup_owner().await;
    for _ in 0..2 {
        assert_eq!(
            ask_for_link(&app, "ada@example.com").await.0,
            StatusCode::OK
        );
    }

    let same_address = ask_for_link(&app, "ADA@example.com").await;
    let other_address = ask_for_link(&app, "nobody@example.com").await;
    let past_ip_limit = ask_for_link(&app, "someone@example.com").await;

    assert_eq!(same_address.0, StatusCode::TOO_MANY_REQUESTS);
    assert!(same_address
        .1
        .contains("Too many password reset requests for this email address — try again in"));
    assert_eq!(other_address.0, StatusCode::OK);
    assert_eq!(past_ip_limit.0, StatusCode::TOO_MANY_REQUESTS);
    assert!(past_ip_limit
        .1
        .contains("Too many password reset requests from your network address"));
    assert_eq!(
        app.count("SELECT count(*) FROM password_resets").await,
        2,
        "refused requests queue nothing"
    );
}

#[tokio::test]
async fn asking_twice_before_the_first_email_goes_out_sends_only_the_newer_link() {
    let smtp = SmtpServer::start().await;
    let idle = smtp.settings();
    // This instance's worker looks once at start, then sleeps: both emails stay queued.
    let app = spawn_app_with(move |s| s.smtp = Some(idle)).await;
    app.setup_owner().await;
    for _ in 0..2 {
        assert_eq!(
            ask_for_link(&app, "ada@example.com").await.0,
            StatusCode::OK
        );
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM outbox WHERE status = 'queued' AND kind = 'password_reset'"
        )
        .await,
        2
    );

    let sending = smtp.settings();
    spawn_instance(&app, move |s| {
        s.smtp = Some(sending);
        fast_outbox(s);
    })
    .await;

    let messages = smtp.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(smtp.messages().len(), 1, "the replaced link is never sent");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE status = 'cancelled'")
            .await,
        1
    );
    let path = link_in(&decode_quoted_printable(&messages[0]), "/password/reset/")
        .trim_start_matches(&app.address)
        .to_owned();
    assert_eq!(
        TestClient::new(&app.address).page(&path).await.0,
        StatusCode::OK,
        "the newer link works"
    );
}
