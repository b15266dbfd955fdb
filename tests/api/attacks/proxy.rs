//! Attack stories: forging the client address. Limits and sign-in budgets are
//! kept per client address; without `ROSTER_TRUST_PROXY` the headers are not
//! read at all, and behind a proxy only what the trusted proxies appended
//! counts. What Roster took as the address shows in the sign-in budget's key.

use reqwest::StatusCode;

use crate::helpers::{spawn_app_with, TestApp, TestClient};

/// One wrong sign-in sent with these headers; returns the client address
/// Roster counted it against.
async fn counted_address(app: &TestApp, headers: &[(&str, &str)]) -> String {
    app.query(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("DELETE FROM rate_limits")
            .execute(conn)
            .unwrap();
    })
    .await;
    let visitor = TestClient::new(&app.address);
    let token = visitor.csrf().await;
    let mut req = visitor.http.post(visitor.url("/signin")).form(&[
        ("email", "ada@example.com"),
        ("password", "a wrong guess"),
        ("csrf_token", &token),
    ]);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "never a 500");
    app.query(|conn| {
        use diesel::{dsl::sql, sql_types::Text, RunQueryDsl};
        diesel::select(sql::<Text>(
            "(SELECT substr(key, length('signin:ip:') + 1) FROM rate_limits WHERE key LIKE 'signin:ip:%')",
        ))
        .get_result(conn)
        .unwrap()
    })
    .await
}

/// For each (value, address): a request with `name: value` is counted against `address`.
async fn assert_counted(app: &TestApp, name: &str, cases: &[(&str, &str)]) {
    for (value, want) in cases {
        assert_eq!(
            counted_address(app, &[(name, value)]).await,
            *want,
            "{name}: {value:?}"
        );
    }
}

#[tokio::test]
async fn without_a_trusted_proxy_forwarding_headers_change_nothing() {
    let app = spawn_app_with(|_| {}).await;
    app.setup_owner().await;
    for headers in [
        vec![("X-Forwarded-For", "203.0.113.9")],
        vec![("Forwarded", "for=203.0.113.9")],
        vec![("X-Real-IP", "203.0.113.9")],
    ] {
        assert_eq!(counted_address(&app, &headers).await, "127.0.0.1");
    }
}

#[tokio::test]
async fn behind_the_proxy_the_address_it_appended_counts_and_what_the_client_wrote_does_not() {
    let app = spawn_app_with(|s| s.proxy.enabled = true).await;
    app.setup_owner().await;
    let cases = [
        ("203.0.113.9", "203.0.113.9"),
        // The client wrote the left one; the proxy appended the right one.
        ("198.51.100.1, 203.0.113.9", "203.0.113.9"),
        ("198.51.100.1,203.0.113.9:4711", "203.0.113.9"),
        ("2001:db8::5", "2001:db8::5"),
        // Hops that are trusted proxies themselves are skipped.
        ("203.0.113.9, 127.0.0.1", "203.0.113.9"),
        // Malformed: the walk stops at the last hop it could trust, the proxy.
        ("203.0.113.9, not-an-address", "127.0.0.1"),
        ("", "127.0.0.1"),
        ("203.0.113.9; drop", "127.0.0.1"),
        ("999.1.1.1", "127.0.0.1"),
    ];
    assert_counted(&app, "X-Forwarded-For", &cases).await;
    // Several header lines read as one list, in order.
    let visitor_lines = counted_address(
        &app,
        &[
            ("X-Forwarded-For", "198.51.100.1"),
            ("X-Forwarded-For", "203.0.113.7"),
        ],
    )
    .await;
    assert_eq!(visitor_lines, "203.0.113.7");
    // `Forwarded` is not read unless configured.
    assert_eq!(
        counted_address(&app, &[("Forwarded", "for=203.0.113.9")]).await,
        "127.0.0.1"
    );
}

#[tokio::test]
async fn a_peer_that_is_not_a_trusted_proxy_is_the_client_whatever_it_sends() {
    let app = spawn_app_with(|s| {
        s.proxy =
            roster::web::plumbing::proxy::ProxyTrust::parse(true, "10.0.0.0/8", false).unwrap();
    })
    .await;
    app.setup_owner().await;
    assert_eq!(
        counted_address(&app, &[("X-Forwarded-For", "203.0.113.9")]).await,
        "127.0.0.1"
    );
}

#[tokio::test]
async fn with_the_forwarded_header_configured_its_right_most_untrusted_for_counts() {
    let app = spawn_app_with(|s| {
        s.proxy = roster::web::plumbing::proxy::ProxyTrust::parse(true, "127.0.0.1", true).unwrap();
    })
    .await;
    app.setup_owner().await;
    let cases = [
        ("for=203.0.113.9;proto=https", "203.0.113.9"),
        (
            "for=198.51.100.1, for=\"[2001:db8::7]:4711\";by=127.0.0.1",
            "2001:db8::7",
        ),
        ("for=unknown", "127.0.0.1"),
        ("for=_hidden, for=203.0.113.9", "203.0.113.9"),
        ("garbage;;;==", "127.0.0.1"),
    ];
    assert_counted(&app, "Forwarded", &cases).await;
    // X-Forwarded-For is then not read.
    assert_eq!(
        counted_address(&app, &[("X-Forwarded-For", "203.0.113.9")]).await,
        "127.0.0.1"
    );
}
