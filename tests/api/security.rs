use reqwest::StatusCode;

use crate::helpers::{spawn_app, TestClient};

async fn org_name(app: &crate::helpers::TestApp) -> String {
    app.query(|conn| {
        use diesel::prelude::*;
        roster::db::schema::organizations::table
            .select(roster::db::schema::organizations::name)
            .first::<String>(conn)
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn a_post_without_a_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let path = app.client.url(&format!("/orgs/{org}/settings/general"));
    let res = app
        .client
        .http
        .post(&path)
        .form(&[("name", "Hijacked")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Reload the page and try again"));
    assert_eq!(org_name(&app).await, "Acme");
}

#[tokio::test]
async fn a_post_with_a_wrong_csrf_token_is_refused() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let path = app.client.url(&format!("/orgs/{org}/settings/general"));
    let res = app
        .client
        .http
        .post(&path)
        .form(&[("name", "Hijacked"), ("csrf_token", "0000")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .http
        .post(&path)
        .header("X-CSRF-Token", "nope")
        .form(&[("name", "Hijacked")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Another session's token is wrong here too.
    let other = TestClient::new(&app.address);
    let foreign = other.csrf().await;
    let res = app
        .client
        .http
        .post(&path)
        .form(&[("name", "Hijacked"), ("csrf_token", foreign.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(org_name(&app).await, "Acme");
}

#[tokio::test]
async fn pages_opened_at_once_after_signing_in_all_carry_the_one_token_that_works() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let members = format!("/orgs/{org}/members");
    // Eight tabs load at the same moment, right after signing in.
    let pages = (0..8).map(|_| async {
        let body = app.client.get(&members).await.text().await.unwrap();
        crate::helpers::extract_csrf(&body).expect("the page carries a token")
    });
    let tokens = futures_util::future::join_all(pages).await;
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    // A form from any of them is accepted.
    let res = app
        .client
        .http
        .post(app.client.url(&format!("/orgs/{org}/settings/general")))
        .form(&[("name", "Acme Two"), ("csrf_token", tokens[7].as_str())])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(org_name(&app).await, "Acme Two");
}

#[tokio::test]
async fn a_cross_site_request_is_refused_even_with_a_token() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let token = app.client.csrf().await;
    let path = app.client.url(&format!("/orgs/{org}/settings/general"));
    let res = app
        .client
        .http
        .post(&path)
        .header("Origin", "https://evil.example")
        .form(&[("name", "Hijacked"), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .http
        .post(&path)
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("name", "Hijacked"), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // The same request from our own origin goes through.
    let res = app
        .client
        .http
        .post(&path)
        .header("Origin", app.address.as_str())
        .header("Sec-Fetch-Site", "same-origin")
        .form(&[("name", "Renamed"), ("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(org_name(&app).await, "Renamed");
}

#[tokio::test]
async fn a_form_posted_with_origin_null_goes_through_only_when_the_browser_says_same_origin() {
    // Browsers send `Origin: null` from pages with `Referrer-Policy: no-referrer`,
    // such as the invitation page.
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let token = app.client.csrf().await;
    let path = app.client.url(&format!("/orgs/{org}/settings/general"));
    let post = |site: Option<&'static str>, name: &'static str| {
        let mut req = app.client.http.post(&path).header("Origin", "null");
        if let Some(site) = site {
            req = req.header("Sec-Fetch-Site", site);
        }
        req.form(&[("name", name), ("csrf_token", token.as_str())])
            .send()
    };

    let bare = post(None, "Hijacked").await.unwrap();
    let cross = post(Some("cross-site"), "Hijacked").await.unwrap();
    let same = post(Some("same-origin"), "Renamed").await.unwrap();

    assert_eq!(bare.status(), StatusCode::FORBIDDEN);
    assert_eq!(cross.status(), StatusCode::FORBIDDEN);
    assert_eq!(same.status(), StatusCode::SEE_OTHER);
    assert_eq!(org_name(&app).await, "Renamed");
}

#[tokio::test]
async fn an_htmx_request_without_a_token_gets_a_toast_not_a_page() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let res = app
        .client
        .htmx(
            reqwest::Method::POST,
            &format!("/orgs/{org}/settings/features/groups"),
        )
        .form(&[("enabled", "false")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(res.headers()["hx-retarget"], "#toasts");
    let body = res.text().await.unwrap();
    assert!(body.contains("class=\"toast toast-error\""));
    assert!(!body.contains("<html"));
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = spawn_app().await;
    let res = app.client.get("/setup").await;
    let headers = res.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let body = res.text().await.unwrap();
    assert!(!body.contains("<script>"), "no inline scripts");
}

#[tokio::test]
async fn an_oversize_form_is_refused_with_413() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let huge = "x".repeat(200 * 1024);
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/settings/general"), &[("name", &huge)])
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(org_name(&app).await, "Acme");
}

#[tokio::test]
async fn unknown_pages_get_the_404_page_and_health_is_checked() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let (status, body) = app.client.page("/no/such/page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("That page does not exist."));
    let res = app.client.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn assets_are_embedded_with_content_types_and_long_cache() {
    let app = spawn_app().await;
    let (_, body) = app.client.page("/setup").await;
    for (name, content_type) in [
        ("htmx.min.js", "javascript"),
        ("app.js", "javascript"),
        ("app.css", "text/css"),
    ] {
        let start = body.find(&format!("/{name}\"")).expect(name);
        let href_start = body[..start].rfind('"').unwrap() + 1;
        let url = format!("{}/{name}", &body[href_start..start]);
        let res = app.client.get(&url).await;
        assert_eq!(res.status(), StatusCode::OK, "{url}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains(content_type),
            "{url}"
        );
        assert!(res.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"));
        let etag = res.headers()["etag"].to_str().unwrap().to_owned();
        let again = app
            .client
            .http
            .get(app.client.url(&url))
            .header("If-None-Match", etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    assert_eq!(
        app.client.get("/static/0/nope.js").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn no_state_changes_on_get() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let res = app.client.get("/signout").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.client.get("/profile").await.status(),
        StatusCode::OK,
        "still signed in"
    );
    let res = app
        .client
        .get(&format!(
            "/orgs/{org}/settings/features/groups?enabled=false"
        ))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
