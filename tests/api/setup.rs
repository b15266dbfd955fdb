use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, PASSWORD};

#[tokio::test]
async fn a_fresh_install_leads_every_page_to_setup() {
    let app = spawn_app().await;
    for path in ["/", "/signin", "/orgs/1/settings/general", "/profile"] {
        let res = app.client.get(path).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res), "/setup", "{path}");
    }
    let (status, body) = app.client.page("/setup").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Create the first account"));
}

#[tokio::test]
async fn setup_creates_the_owner_and_organization_and_signs_them_in() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;

    let (status, body) = app.client.page(&format!("/orgs/{org}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Acme"));
    assert!(body.contains("Your role here: <strong>Owner</strong>."));
    assert!(
        body.contains("Welcome to Roster"),
        "a flash message greets the owner"
    );
    assert_eq!(app.count("SELECT count(*) FROM accounts").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE role = 'owner' AND status = 'active'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'organization.created'")
            .await,
        1
    );
}

#[tokio::test]
async fn setup_is_gone_once_an_account_exists() {
    let app = spawn_app().await;
    app.setup_owner().await;
    let other = crate::helpers::TestClient::new(&app.address);
    assert_eq!(other.get("/setup").await.status(), StatusCode::NOT_FOUND);
    let res = other
        .post_form(
            "/setup",
            &[
                ("display_name", "Mallory"),
                ("email", "mallory@example.com"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("org_name", "Takeover"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM accounts").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM organizations").await, 1);
}

#[tokio::test]
async fn setup_rejects_bad_input_with_messages_and_saves_nothing() {
    let app = spawn_app().await;
    let long = "x".repeat(10_000);
    let long_email = format!("{}@example.com", "a".repeat(10_000));
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("display_name", "")], "Name cannot be empty."),
        (vec![("display_name", "   ")], "Name cannot be empty."),
        (vec![("display_name", &long)], "at most 100 characters"),
        (
            vec![("display_name", "Ada\0Lovelace")],
            "control characters",
        ),
        (vec![("email", "")], "Email cannot be empty."),
        (vec![("email", "not-an-email")], "Enter an email address"),
        (vec![("email", &long_email)], "at most 254 characters"),
        (
            vec![("password", "short"), ("password_confirm", "short")],
            "at least 12 characters",
        ),
        (
            vec![("password_confirm", "something else entirely")],
            "do not match",
        ),
        (
            vec![("org_name", "  ")],
            "Organization name cannot be empty.",
        ),
        (vec![("org_name", &long)], "at most 100 characters"),
    ];
    for (overrides, expected) in cases {
        let mut fields = vec![
            ("display_name", "Ada"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("org_name", "Acme"),
        ];
        for (key, value) in &overrides {
            fields.retain(|(k, _)| k != key);
            fields.push((key, value));
        }
        let res = app.client.post_form("/setup", &fields).await;
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{overrides:?}"
        );
        let body = res.text().await.unwrap();
        assert!(
            body.contains(expected),
            "{overrides:?} should say {expected:?}"
        );
        assert!(
            body.contains("class=\"field-error\""),
            "the message sits next to its field"
        );
    }
    assert_eq!(app.count("SELECT count(*) FROM accounts").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM organizations").await, 0);
}

#[tokio::test]
async fn an_htmx_setup_error_returns_only_the_form() {
    let app = spawn_app().await;
    let res = app
        .client
        .htmx_post("/setup", &[("display_name", ""), ("email", "x")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(
        body.trim_start().starts_with("<form id=\"setup-form\""),
        "{body}"
    );
    assert!(!body.contains("<html"));
}

#[tokio::test]
async fn odd_but_valid_text_is_kept_and_markup_comes_back_escaped() {
    let app = spawn_app().await;
    let res = app
        .client
        .post_form(
            "/setup",
            &[
                ("display_name", "\u{200f}שלום 👋"),
                ("email", "ada@example.com"),
                ("password", "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑"),
                ("password_confirm", "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑"),
                ("org_name", "<script>alert(1)</script>"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = app.client.page(&location(&res)).await;
    assert!(
        body.contains("&#60;script&#62;alert(1)&#60;/script&#62;")
            || body.contains("&lt;script&gt;")
    );
    assert!(!body.contains("<script>alert(1)</script>"));
    assert!(body.contains("שלום 👋"));
}
