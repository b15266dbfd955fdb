//! Who may call the API: a bearer token of the organization, unexpired and
//! unrevoked, within its scopes and its rate limit. Cookies carry no authority.

use reqwest::StatusCode;
use serde_json::json;

use super::{api, api_org, api_org_with, enable_api, exec, make_token, ApiClient};
use crate::helpers::{spawn_instance, TestClient};

#[tokio::test]
async fn a_request_without_a_usable_bearer_token_gets_401_with_a_bearer_challenge() {
    let (app, org) = api_org().await;
    let secret = make_token(&app, org, &["members.view"]).await;
    let client = ApiClient::new(&app, None).await;
    let mut changed = secret.clone().into_bytes();
    let last = changed.len() - 10;
    changed[last] = if changed[last] == b'a' { b'b' } else { b'a' };
    let changed = String::from_utf8(changed).unwrap();
    let well_formed_unknown = {
        // A token of the right shape and checksum that no organization has.
        roster::domain::api_tokens::TokenSecret::generate()
            .expose()
            .to_owned()
    };

    let cases: Vec<(Option<String>, &str)> = vec![
        (None, "Send an API token"),
        (Some(format!("Basic {}", "YWRhOnB3")), "Only Bearer"),
        (Some("Bearer".into()), "not a Roster API token"),
        (Some(format!("Bearer {changed}")), "not a Roster API token"),
        (Some(format!("Bearer {well_formed_unknown}")), "not valid"),
        (Some(format!("Token {secret}")), "Only Bearer"),
    ];
    for (header, detail) in cases {
        let mut req = client.http.get(format!("{}/api/v1/members", app.address));
        if let Some(h) = &header {
            req = req.header("authorization", h);
        }
        let answer = client.send(req, "GET", "/api/v1/members").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{header:?}");
        assert_eq!(answer.problem(), "unauthorized");
        assert!(answer
            .header("www-authenticate")
            .starts_with("Bearer realm=\"roster\""));
        assert!(
            answer.body["detail"].as_str().unwrap().contains(detail),
            "{header:?}: {}",
            answer.body
        );
    }
    let ok = client.with_token(Some(&secret)).get("/members").await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_token_is_refused_with_when_it_expired() {
    let (app, org) = api_org().await;
    let secret = make_token(&app, org, &["members.view"]).await;
    exec(
        &app,
        "UPDATE api_tokens SET expires_at = now() - interval '1 second'",
    )
    .await;

    let answer = api(&app, &secret).await.get("/members").await;

    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body["detail"]
        .as_str()
        .unwrap()
        .contains("expired on"));
    assert!(answer
        .header("www-authenticate")
        .contains("error=\"invalid_token\""));
}

#[tokio::test]
async fn another_organizations_token_sees_only_its_own_organization() {
    let (app, acme) = api_org().await;
    let acme_token = make_token(&app, acme, &["members.view"]).await;
    let res = app.client.post_form("/orgs", &[("name", "Globex")]).await;
    let globex: i64 = crate::helpers::location(&res)
        .trim_start_matches("/orgs/")
        .parse()
        .unwrap();
    enable_api(&app, globex).await;
    let globex_token = make_token(&app, globex, &["members.view"]).await;
    let acme_member = app
        .count(&format!(
            "SELECT id FROM memberships WHERE organization_id = {acme}"
        ))
        .await;

    let as_globex = api(&app, &globex_token).await;
    let theirs = as_globex.get(&format!("/members/{acme_member}")).await;
    let list = as_globex.get("/members").await;
    let ours = api(&app, &acme_token)
        .await
        .get(&format!("/members/{acme_member}"))
        .await;

    assert_eq!(
        theirs.status,
        StatusCode::NOT_FOUND,
        "another org's id is a plain 404"
    );
    assert_eq!(theirs.problem(), "not-found");
    assert_eq!(list.body["total"], 1);
    assert_ne!(list.body["data"][0]["id"], acme_member);
    assert_eq!(ours.status, StatusCode::OK);
}

#[tokio::test]
async fn a_signed_in_browser_cannot_use_the_api_without_a_token() {
    let (app, org) = api_org().await;
    let bob = app
        .add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let _ = bob;
    let member = app
        .count("SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'bob@example.com'")
        .await;
    let browser: &TestClient = &app.client;
    let csrf = browser.csrf().await;

    let read = browser.get("/api/v1/members").await;
    let write = browser
        .http
        .patch(browser.url(&format!("/api/v1/members/{member}")))
        .header("X-CSRF-Token", csrf)
        .header("Origin", app.address.clone())
        .json(&json!({"role": "admin"}))
        .send()
        .await
        .unwrap();

    assert_eq!(read.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        write.status(),
        StatusCode::UNAUTHORIZED,
        "the session cookie carries no authority"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {member} AND role = 'member'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_token_past_its_rate_limit_gets_429_with_retry_after() {
    let (app, org) = api_org_with(|s| s.limits.api_per_token_per_minute = 3).await;
    let secret = make_token(&app, org, &["members.view"]).await;
    let other = make_token(&app, org, &["members.view"]).await;
    let client = api(&app, &secret).await;

    for _ in 0..3 {
        assert_eq!(client.get("/members").await.status, StatusCode::OK);
    }
    let refused = client.get("/members").await;

    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.problem(), "rate-limited");
    let retry: u64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let fresh = client.with_token(Some(&other)).get("/members").await;
    assert_eq!(fresh.status, StatusCode::OK, "the limit is per token");
}

/// The status of `GET /api/v1/members` with `secret` on the instance at `base`.
async fn members_status(http: &reqwest::Client, base: &str, secret: &str) -> StatusCode {
    http.get(format!("{base}/api/v1/members"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap()
        .status()
}

async fn counted_hits(app: &crate::helpers::TestApp) -> i64 {
    app.count("SELECT coalesce(sum(hits), 0) FROM rate_limits WHERE key LIKE 'api:token:%'")
        .await
}

#[tokio::test]
async fn a_tokens_requests_are_counted_in_reservations_and_fifty_at_once_under_forty_let_forty_through(
) {
    // A limit of 200 reserves 4 hits at a time.
    let (app, org) = api_org_with(|s| s.limits.api_per_token_per_minute = 200).await;
    let secret = make_token(&app, org, &["members.view"]).await;
    let http = reqwest::Client::new();

    assert_eq!(
        members_status(&http, &app.address, &secret).await,
        StatusCode::OK
    );
    assert_eq!(
        counted_hits(&app).await,
        4,
        "the first request reserves four hits"
    );
    for _ in 0..3 {
        assert_eq!(
            members_status(&http, &app.address, &secret).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        counted_hits(&app).await,
        4,
        "three more spend the reservation"
    );
    assert_eq!(
        members_status(&http, &app.address, &secret).await,
        StatusCode::OK
    );
    assert_eq!(counted_hits(&app).await, 8, "the fifth reserves again");

    // At the limit the last hits go one by one: fifty at once, forty pass.
    let (app, org) = api_org_with(|s| s.limits.api_per_token_per_minute = 40).await;
    let secret = make_token(&app, org, &["members.view"]).await;
    let answers = futures_util::future::join_all(
        (0..50).map(|_| members_status(&http, &app.address, &secret)),
    )
    .await;
    let passed = answers.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((passed, refused), (40, 10));
    assert_eq!(counted_hits(&app).await, 40);
}

#[tokio::test]
async fn two_instances_spending_one_tokens_limit_never_let_it_past_the_limit() {
    let limit = 200;
    let (app, org) = api_org_with(|s| s.limits.api_per_token_per_minute = limit).await;
    let secret = make_token(&app, org, &["members.view"]).await;
    let other = spawn_instance(&app, |s| s.limits.api_per_token_per_minute = limit).await;
    let http = reqwest::Client::new();

    let mut passed = 0;
    for i in 0..260 {
        let base = if i % 2 == 0 { &app.address } else { &other };
        match members_status(&http, base, &secret).await {
            StatusCode::OK => passed += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("request {i} answered {other}"),
        }
    }
    // Each instance may lose what it reserved and did not spend (4 hits).
    assert!(
        (192..=200).contains(&passed),
        "{passed} requests passed a limit of {limit}"
    );
    assert!(counted_hits(&app).await <= i64::from(limit));
}

#[tokio::test]
async fn a_token_without_a_scope_is_refused_with_the_scope_named() {
    let (app, org) = api_org().await;
    let secret = make_token(&app, org, &["teams.create"]).await;

    let answer = api(&app, &secret).await.get("/members").await;

    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.problem(), "insufficient-scope");
    assert!(answer.body["detail"]
        .as_str()
        .unwrap()
        .contains("members.view"));
    assert!(answer
        .header("www-authenticate")
        .contains("error=\"insufficient_scope\", scope=\"members.view\""));
}

#[tokio::test]
async fn switching_api_access_off_stops_every_token_of_the_organization() {
    let (app, org) = api_org().await;
    let secret = make_token(&app, org, &["members.view"]).await;
    exec(
        &app,
        &format!(
            "UPDATE organization_features SET enabled = false WHERE organization_id = {org} \
             AND feature = 'api_access'"
        ),
    )
    .await;

    let answer = api(&app, &secret).await.get("/members").await;

    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.problem(), "api-access-off");
}
