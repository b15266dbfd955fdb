//! Fault stories against the real database: PostgreSQL goes away under a
//! running Roster (its backends ended, new connections refused), and every
//! connection is taken by slow work. Requests get a quick 503 page with
//! `Retry-After`, `/healthz` stays up, `/readyz` tells load balancers, nothing
//! is half-written, and Roster recovers on its own.

use std::time::{Duration, Instant};

use diesel::{connection::SimpleConnection, Connection, PgConnection};
use reqwest::StatusCode;

use crate::helpers::{database_url, spawn_app_with, TestApp, TestClient};

/// Runs `sql` as the server's administrator, off the async workers.
async fn as_admin(sql: String) {
    tokio::task::spawn_blocking(move || {
        let mut admin = PgConnection::establish(&database_url("postgres")).unwrap();
        admin.batch_execute(&sql).unwrap();
    })
    .await
    .unwrap();
}

/// Cuts the test's own database off: no new connections, and every backend
/// ended (waited for, up to 5 s each: a backend told to end may otherwise
/// still answer the next request). Other tests' databases are not touched.
pub async fn cut(app: &TestApp) {
    let name = &app.db.name;
    as_admin(format!(
        "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false;
         SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
         WHERE datname = '{name}' AND pid <> pg_backend_pid();"
    ))
    .await;
}

/// Lets connections to the test's database in again.
pub async fn restore(app: &TestApp) {
    let name = &app.db.name;
    as_admin(format!(
        "ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true"
    ))
    .await;
}

/// Waits (bounded) until `/readyz` answers 200; returns how long it took.
async fn ready_again(client: &TestClient) -> Duration {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(15) {
        if client.get("/readyz").await.status() == StatusCode::OK {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Roster did not recover within 15 s of the database coming back");
}

async fn quick_app() -> (TestApp, i64) {
    let app = spawn_app_with(|s| {
        s.db_checkout_timeout = Duration::from_millis(500);
    })
    .await;
    let org = app.setup_owner().await;
    crate::invitations::enable_invites(&app, org, 500).await;
    (app, org)
}

fn assert_unavailable_page(status: StatusCode, headers: &reqwest::header::HeaderMap, body: &str) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.contains_key("content-security-policy"));
    assert!(body.contains("cannot reach its database"), "{body}");
    assert!(!body.contains("roster_test_"), "no internals: {body}");
}

#[tokio::test]
async fn while_the_database_is_down_pages_answer_503_quickly_and_roster_recovers_on_its_own() {
    let (app, org) = quick_app().await;
    let members = format!("/orgs/{org}/members");
    let (status, body) = app.client.page(&members).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    cut(&app).await;
    // Several requests: the first meet dead pooled connections, the later
    // ones a database that refuses new ones.
    for _ in 0..4 {
        let started = Instant::now();
        let res = app.client.get(&members).await;
        let (status, headers) = (res.status(), res.headers().clone());
        let body = res.text().await.unwrap();
        assert_unavailable_page(status, &headers, &body);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "a quick answer, not a hang: {:?}",
            started.elapsed()
        );
    }
    // A load balancer's probe carries no session.
    let probe = TestClient::new(&app.address);
    let res = probe.get("/readyz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(probe.get("/healthz").await.status(), StatusCode::OK);
    // A change attempted during the outage is refused whole.
    let res = crate::invitations::invite(&app, org, "during@example.com", &[]).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);

    restore(&app).await;
    ready_again(&probe).await;
    assert_eq!(
        app.client.page(&members).await.0,
        StatusCode::OK,
        "still signed in"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM accounts WHERE email = 'during@example.com'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_unreachable_database_before_setup_is_known_still_gets_the_error_page() {
    let app = spawn_app_with(|s| s.db_checkout_timeout = Duration::from_millis(500)).await;
    cut(&app).await;
    // The first-run check (a middleware) asks the database on this request.
    let visitor = TestClient::new(&app.address);
    let res = visitor.get("/signin").await;
    let (status, headers) = (res.status(), res.headers().clone());
    assert_unavailable_page(status, &headers, &res.text().await.unwrap());
    restore(&app).await;
    ready_again(&visitor).await;
    assert_eq!(visitor.get("/signin").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn backends_ended_in_the_middle_of_invitations_leave_each_one_whole_or_absent() {
    let (app, org) = quick_app().await;
    // The session's CSRF token is read before the cut: on a slow machine the
    // page it comes from could otherwise meet the outage, and the story is
    // about invitations cut mid-transaction, not about fetching a form.
    app.client.csrf().await;
    // Warm the pool so that some invites are mid-transaction when the axe falls.
    let invites = (0..24).map(|i| {
        let app = &app;
        async move {
            tokio::time::sleep(Duration::from_millis(15 * i)).await;
            crate::invitations::invite(app, org, &format!("guest{i}@example.com"), &[])
                .await
                .status()
        }
    });
    let axe = async {
        tokio::time::sleep(Duration::from_millis(120)).await;
        cut(&app).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        restore(&app).await;
    };
    let (statuses, ()) = tokio::join!(futures_util::future::join_all(invites), axe);
    for status in &statuses {
        assert!(
            status.is_redirection()
                || status.is_success()
                || *status == StatusCode::SERVICE_UNAVAILABLE,
            "an invite either went through or got the 503 page: {statuses:?}"
        );
    }
    ready_again(&TestClient::new(&app.address)).await;
    // Every invitation has its pending membership and its email, and the reverse.
    assert_eq!(
        app.count(
            "SELECT count(*) FROM invitations i
             WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.id = i.membership_id)"
        )
        .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships m
             WHERE m.organization_id = {org} AND m.status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.membership_id = m.id)"
        ))
        .await,
        0
    );
    // An invite answered as done is there. One answered 503 may be there
    // too: its transaction can commit just before the session's write after
    // it meets the cut; sending it again then says "already invited".
    let done = statuses.iter().filter(|s| !s.is_server_error()).count() as i64;
    let unsure = statuses.len() as i64 - done;
    let pending = crate::invitations::pending_count(&app, org).await;
    assert!(
        (done..=done + unsure).contains(&pending),
        "{pending} pending after {statuses:?}"
    );
}

#[tokio::test]
async fn with_every_connection_taken_callers_get_503_and_health_still_answers() {
    let app = spawn_app_with(|s| {
        s.db_pool_size = 2;
        s.db_checkout_timeout = Duration::from_millis(300);
    })
    .await;
    let org = app.setup_owner().await;
    let members = format!("/orgs/{org}/members");
    // Slow work holds both of the pool's connections for two seconds.
    let hogs: Vec<_> = (0..2)
        .map(|_| {
            let pool = app.pool.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                conn.batch_execute("SELECT pg_sleep(2)").unwrap();
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let started = Instant::now();
    let res = app.client.get(&members).await;
    let (status, headers) = (res.status(), res.headers().clone());
    assert_unavailable_page(status, &headers, &res.text().await.unwrap());
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let probe = TestClient::new(&app.address);
    assert_eq!(probe.get("/healthz").await.status(), StatusCode::OK);
    assert!(started.elapsed() < Duration::from_millis(200));

    for hog in hogs {
        hog.join().unwrap();
    }
    assert_eq!(app.client.page(&members).await.0, StatusCode::OK);
}
