//! Attack stories: guessing passwords. Every attempt is reserved before its
//! password is checked, so parallel guesses get the same budget as sequential
//! ones; the budget is per (email, client address), so a stranger elsewhere
//! cannot lock the owner out; hashing runs a few at a time and turns the rest
//! away at once.

use reqwest::StatusCode;

use crate::helpers::{location, spawn_app_with, SmtpServer, TestApp, TestClient, PASSWORD};

const WRONG: &str = "not the password at all";

/// A signed-out visitor, reaching Roster through the (trusted, loopback)
/// proxy from `ip`.
struct Visitor {
    client: TestClient,
    ip: &'static str,
}

impl Visitor {
    fn new(app: &TestApp, ip: &'static str) -> Self {
        Self {
            client: TestClient::new(&app.address),
            ip,
        }
    }

    async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        let token = self.client.csrf().await;
        self.client
            .http
            .post(self.client.url("/signin"))
            .header("X-Forwarded-For", self.ip)
            .form(&[
                ("email", email),
                ("password", password),
                ("csrf_token", &token),
            ])
            .send()
            .await
            .expect("request")
    }
}

async fn app_behind_proxy(hash_concurrency: usize) -> TestApp {
    let app = spawn_app_with(move |s| {
        s.proxy.enabled = true;
        s.hash_concurrency = hash_concurrency;
    })
    .await;
    app.setup_owner().await;
    app
}

#[tokio::test]
async fn forty_parallel_wrong_passwords_get_no_more_checks_than_five_sequential_ones() {
    let app = app_behind_proxy(64).await;
    let guesser = Visitor::new(&app, "203.0.113.9");
    let answers = futures_util::future::join_all(
        (0..40).map(|_| async { guesser.sign_in("ada@example.com", WRONG).await.status() }),
    )
    .await;
    let checked = answers
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(checked, 5, "the budget's worth were checked: {answers:?}");
    assert_eq!(refused, 35, "the rest were refused: {answers:?}");
    // Even the right password waits out the window from there.
    let res = guesser.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_guesser_elsewhere_cannot_lock_the_owner_out() {
    let app = app_behind_proxy(64).await;
    let guesser = Visitor::new(&app, "203.0.113.9");
    for _ in 0..5 {
        let res = guesser.sign_in("ada@example.com", WRONG).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        guesser.sign_in("ada@example.com", WRONG).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let ada = Visitor::new(&app, "198.51.100.7");
    let res = ada.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "Ada gets in from her own address"
    );
    // And a guesser who forges the header from outside the proxy changes nothing:
    // the address is the one the proxy appended last.
    let forger = Visitor {
        client: TestClient::new(&app.address),
        ip: "198.51.100.7, 203.0.113.9",
    };
    assert_eq!(
        forger.sign_in("ada@example.com", WRONG).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn guessing_from_many_addresses_runs_into_the_slower_budget_of_the_email() {
    let app = app_behind_proxy(64).await;
    let ips: Vec<&'static str> = (0..11)
        .map(|i| &*Box::leak(format!("203.0.113.{}", i + 1).into_boxed_str()))
        .collect();
    let mut checked = 0;
    for ip in &ips {
        let v = Visitor::new(&app, ip);
        for _ in 0..5 {
            if v.sign_in("ada@example.com", WRONG).await.status() == StatusCode::UNAUTHORIZED {
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked,
        roster::services::limits::SIGNINS_PER_EMAIL as usize
    );
}

#[tokio::test]
async fn a_successful_password_reset_clears_the_lockout() {
    let smtp = SmtpServer::start().await;
    let app = crate::auth::password_reset::app_with_smtp(&smtp).await;
    let ada = TestClient::new(&app.address);
    for _ in 0..5 {
        ada.sign_in("ada@example.com", WRONG).await;
    }
    assert_eq!(
        ada.sign_in("ada@example.com", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let link = crate::auth::password_reset::reset_path(&app, &smtp).await;
    let new_password = "the password ada now uses";
    ada.page(&link).await;
    let res = ada
        .post_form(
            &link,
            &[
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = ada.sign_in("ada@example.com", new_password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the lockout is over");
}

#[tokio::test]
async fn past_the_hashing_limit_a_sign_in_is_told_to_come_back_not_queued() {
    let app = app_behind_proxy(1).await;
    let ips: Vec<&'static str> = (0..16)
        .map(|i| &*Box::leak(format!("192.0.2.{}", i + 1).into_boxed_str()))
        .collect();
    let visitors: Vec<Visitor> = ips.iter().map(|ip| Visitor::new(&app, ip)).collect();
    for v in &visitors {
        v.client.csrf().await;
    }
    let answers = futures_util::future::join_all(visitors.iter().map(|v| async {
        let res = v.sign_in("ada@example.com", WRONG).await;
        let retry = res.headers().get("retry-after").cloned();
        (res.status(), retry, res.text().await.unwrap())
    }))
    .await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!busy.is_empty(), "one hash at a time turns the others away");
    for (status, retry, body) in &answers {
        assert!(
            *status == StatusCode::UNAUTHORIZED || *status == StatusCode::SERVICE_UNAVAILABLE,
            "{status}"
        );
        if *status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(retry.as_ref().unwrap(), "1");
            assert!(body.contains("Roster is busy"), "{body}");
        }
    }
    // Nobody was turned away for good: once it is quiet, checks run again.
    let ada = Visitor::new(&app, "192.0.2.200");
    assert_eq!(
        ada.sign_in("ada@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_profiles_current_password_check_spends_the_sign_in_budget() {
    let app = app_behind_proxy(64).await;
    let thief = &app.client;
    let try_change = |current: &'static str| async move {
        thief
            .post_form(
                "/profile/password",
                &[
                    ("current_password", current),
                    ("password", "a new password for the thief"),
                    ("password_confirm", "a new password for the thief"),
                ],
            )
            .await
            .status()
    };
    for _ in 0..5 {
        assert_eq!(try_change(WRONG).await, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(try_change(PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    let hash_unchanged = app
        .count("SELECT count(*) FROM accounts WHERE email = 'ada@example.com'")
        .await;
    assert_eq!(hash_unchanged, 1);
    let stranger = Visitor::new(&app, "198.51.100.7");
    assert_eq!(
        stranger.sign_in("ada@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "the password is still Ada's"
    );
}

#[tokio::test]
async fn a_password_change_expires_the_reset_links_already_mailed() {
    let smtp = SmtpServer::start().await;
    let app = crate::auth::password_reset::app_with_smtp(&smtp).await;
    let link = crate::auth::password_reset::reset_path(&app, &smtp).await;

    let new_password = "changed on the profile page";
    let res = app
        .client
        .post_form(
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("password", new_password),
                ("password_confirm", new_password),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Whoever holds the mailed link can no longer undo the change.
    let holder = TestClient::new(&app.address);
    let (status, body) = holder.page(&link).await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    let res = holder
        .post_form(
            &link,
            &[
                ("password", "the link holders pick"),
                ("password_confirm", "the link holders pick"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::GONE);
    let res = TestClient::new(&app.address)
        .sign_in("ada@example.com", new_password)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn an_account_without_a_password_gets_the_same_answer_as_a_wrong_password() {
    let app = app_behind_proxy(64).await;
    app.query(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "INSERT INTO accounts (email, display_name, password_hash)
             VALUES ('placeholder@example.com', 'Placeholder', '!no-password')",
        )
        .execute(conn)
        .unwrap();
    })
    .await;
    let v = Visitor::new(&app, "198.51.100.8");
    let none = v.sign_in("placeholder@example.com", "!no-password").await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let none = none.text().await.unwrap();
    let wrong = v
        .sign_in("ada@example.com", WRONG)
        .await
        .text()
        .await
        .unwrap();
    let strip = |b: &str| {
        let t = crate::helpers::extract_csrf(b).unwrap_or_default();
        b.replace(&t, "")
            .replace("placeholder@example.com", "")
            .replace("ada@example.com", "")
    };
    assert_eq!(strip(&none), strip(&wrong));
}
