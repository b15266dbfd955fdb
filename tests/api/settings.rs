//! An organization's settings: General, Features and Plan (here), Roles
//! (`roles`) and the audit log (`audit`).

mod audit;
mod roles;

use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, PASSWORD};

#[tokio::test]
async fn an_owner_renames_the_organization_and_sees_a_flash() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let path = format!("/orgs/{org}/settings/general");
    let (status, body) = app.client.page(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("value=\"Acme\""));

    let res = app
        .client
        .post_form(&path, &[("name", "  Acme Corp  ")])
        .await;
    assert_eq!(location(&res), path);
    let (_, body) = app.client.page(&path).await;
    assert!(body.contains("Organization name saved."));
    assert!(body.contains("value=\"Acme Corp\""));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'organization.renamed'")
            .await,
        1
    );
}

#[tokio::test]
async fn renaming_validates_and_htmx_gets_only_the_form() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let path = format!("/orgs/{org}/settings/general");
    for bad in ["", "   ", &"n".repeat(10_000), "bad\0name"] {
        let res = app.client.htmx_post(&path, &[("name", bad)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = res.text().await.unwrap();
        assert!(
            body.starts_with("<form id=\"general-form\""),
            "only the fragment"
        );
        assert!(body.contains("field-error"));
    }
    let res = app.client.htmx_post(&path, &[("name", "Acme 🚀")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.contains("value=\"Acme 🚀\"") && body.contains("Organization name saved."));
    assert_eq!(
        app.count("SELECT count(*) FROM organizations WHERE name = 'Acme 🚀'")
            .await,
        1
    );
}

#[tokio::test]
async fn features_toggle_row_by_row_and_pro_features_need_pro() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let (_, body) = app
        .client
        .page(&format!("/orgs/{org}/settings/features"))
        .await;
    assert!(body.contains("Needs the Pro plan"));
    assert_eq!(body.matches("class=\"feature-row").count(), 6);

    // htmx swaps just the row.
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/settings/features/groups"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(
        body.starts_with("<li id=\"feature-groups\" class=\"feature-row\""),
        "{body}"
    );
    assert!(body.contains("data-state=\"off\"") && body.contains("Groups disabled."));
    assert!(!body.contains("<html"));

    // Without JavaScript: a redirect back with a flash.
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/settings/features/groups"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(location(&res), format!("/orgs/{org}/settings/features"));

    // User management on the Free plan is refused.
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/settings/features/user_management"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("User management needs the Pro plan."));
    assert_eq!(
        app.count("SELECT count(*) FROM organization_features WHERE feature = 'user_management'")
            .await,
        0
    );

    // A feature that does not exist, and a value that is neither true nor false.
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/settings/features/teleport"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/settings/features/groups"),
            &[("enabled", "maybe")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // On Pro it can be switched on.
    set_plan(&app, org, "pro", Some(10)).await;
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/settings/features/user_management"),
            &[("enabled", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("data-state=\"on\""));
}

async fn set_plan(
    app: &crate::helpers::TestApp,
    org: i64,
    plan: &str,
    seats: Option<i64>,
) -> String {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_roster"));
    cmd.env("DATABASE_URL", &app.db.url)
        .args(["org", "set-plan", &org.to_string(), plan]);
    if let Some(seats) = seats {
        cmd.args(["--seats", &seats.to_string()]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_operator_sets_the_plan_and_seats_from_the_command_line() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let out = set_plan(&app, org, "pro", Some(25)).await;
    assert!(
        out.contains("Acme") && out.contains("Pro with 25 seats (1 in use)"),
        "{out}"
    );
    let (_, body) = app.client.page(&format!("/orgs/{org}/settings/plan")).await;
    assert!(body.contains("<dd id=\"plan-name\">Pro</dd>"));
    assert!(body.contains("<dd id=\"seats-purchased\">25</dd>"));
    assert!(body.contains("<dd id=\"seats-used\">1</dd>"));

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .env("DATABASE_URL", &app.db.url)
        .args(["org", "set-plan", "no such org", "pro", "--by-name"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no organization"));
}

#[tokio::test]
async fn the_owner_changes_seats_but_never_below_seats_in_use() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    app.add_member(org, "cy@example.com", "Cy", "member").await;
    let path = format!("/orgs/{org}/settings/plan");

    let res = app.client.post_form(&path, &[("seats", "12")]).await;
    assert_eq!(location(&res), path);
    let (_, body) = app.client.page(&path).await;
    assert!(body.contains("Seats set to 12."));

    for (bad, message) in [
        ("-1", "at least 1 seat"),
        ("abc", "whole number"),
        ("", "whole number"),
        ("2", "3 seats are in use"),
        ("1000001", "At most 1,000,000 seats"),
        ("100000000000", "At most 1,000,000 seats"),
    ] {
        let res = app.client.htmx_post(&path, &[("seats", bad)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{bad}: {body}");
        assert!(body.starts_with("<section id=\"seats\""));
    }
    assert_eq!(
        app.count("SELECT seats_purchased::bigint FROM organizations")
            .await,
        12
    );
    let res = app.client.htmx_post(&path, &[("seats", "3")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.count("SELECT seats_purchased::bigint FROM organizations")
            .await,
        3
    );
}

#[tokio::test]
async fn admins_edit_settings_but_only_owners_change_seats_and_members_see_neither() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "admin@example.com", "Ann Admin", "admin")
        .await;
    app.add_member(org, "member@example.com", "Max Member", "member")
        .await;
    let admin = app.signed_in_client("admin@example.com", PASSWORD).await;
    let member = app.signed_in_client("member@example.com", PASSWORD).await;

    assert_eq!(
        admin.page(&format!("/orgs/{org}/settings/general")).await.0,
        StatusCode::OK
    );
    let (status, body) = admin.page(&format!("/orgs/{org}/settings/plan")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Only an Owner can change the plan and seats."));
    let res = admin
        .post_form(&format!("/orgs/{org}/settings/plan"), &[("seats", "50")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let (status, body) = member.page(&format!("/orgs/{org}/settings/general")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("Only Owners and Admins"));
    let res = member
        .post_form(
            &format!("/orgs/{org}/settings/general"),
            &[("name", "Mine now")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        member.page(&format!("/orgs/{org}")).await.0,
        StatusCode::OK,
        "members still see the organization"
    );
    assert_eq!(
        app.count("SELECT seats_purchased::bigint FROM organizations")
            .await,
        5
    );
    assert_eq!(
        app.count("SELECT count(*) FROM organizations WHERE name = 'Acme'")
            .await,
        1
    );
}

#[tokio::test]
async fn the_navigation_links_only_the_settings_pages_the_viewer_may_open() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "max@example.com", "Max", "manager")
        .await;
    let manager = app.signed_in_client("max@example.com", PASSWORD).await;
    let links = [
        "/settings/general\"",
        "/settings/features\"",
        "/settings/plan\"",
        "/settings/roles\"",
    ];

    let (_, owners) = app.client.page(&format!("/orgs/{org}/members")).await;
    let (_, managers) = manager.page(&format!("/orgs/{org}/members")).await;

    for link in links {
        assert!(owners.contains(link), "the Owner sees {link}");
        assert!(!managers.contains(link), "a Manager does not see {link}");
    }
    for link in links {
        let path = format!("/orgs/{org}{}", link.trim_end_matches('"'));
        assert_eq!(manager.get(&path).await.status(), StatusCode::FORBIDDEN);
    }
}
