//! Attack stories: what a response tells the browser. Signed-in pages and
//! fragments are never stored by a cache (a shared computer's back button, a
//! proxy); other windows cannot script Roster's; HSTS once Roster is on https;
//! and an error raised in a middleware still carries all of it.

use reqwest::StatusCode;

use crate::helpers::{spawn_app, spawn_app_with, TestClient};

fn assert_hardened(res: &reqwest::Response) {
    let h = res.headers();
    let path = res.url().path().to_owned();
    assert_eq!(h["cache-control"], "no-store", "{path}");
    assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{path}");
    assert!(
        h["permissions-policy"]
            .to_str()
            .unwrap()
            .contains("camera=()"),
        "{path}"
    );
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn signed_in_pages_fragments_and_error_pages_are_never_cached_and_keep_other_windows_out() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    for path in [
        format!("/orgs/{org}/members"),
        "/profile".to_owned(),
        "/signin".to_owned(),
        "/no/such/page".to_owned(),
        format!("/orgs/{}/members", org + 100),
    ] {
        let res = app.client.get(&path).await;
        assert_hardened(&res);
    }
    let fragment = app
        .client
        .htmx_get(&format!("/orgs/{org}/members?q=ada"))
        .await;
    assert_eq!(fragment.status(), StatusCode::OK);
    assert_hardened(&fragment);
    assert!(
        !fragment.headers().contains_key("strict-transport-security"),
        "no HSTS over plain http"
    );
}

#[tokio::test]
async fn static_files_keep_their_long_cache() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (_, page) = app.client.page("/profile").await;
    let start = page.find("/static/").expect("a stylesheet or script");
    let end = start + page[start..].find('"').unwrap();
    let res = app.client.get(&page[start..end]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cache = res.headers()["cache-control"].to_str().unwrap();
    assert!(
        cache.contains("max-age") && !cache.contains("no-store"),
        "{cache}"
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn served_over_https_every_answer_asks_for_https_next_time() {
    let app = spawn_app_with(|s| {
        s.public_url = url::Url::parse("https://roster.example").unwrap();
    })
    .await;
    let visitor = TestClient::new(&app.address);
    for path in ["/setup", "/healthz", "/no/such/page"] {
        let res = visitor.get(path).await;
        assert_eq!(
            res.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains",
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_refused_csrf_check_in_the_middleware_still_carries_the_headers_and_the_error_page() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let res = app
        .client
        .http
        .post(app.client.url(&format!("/orgs/{org}/settings/general")))
        .form(&[("name", "Renamed")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_hardened(&res);
    assert!(res.text().await.unwrap().contains("session token"));
}
