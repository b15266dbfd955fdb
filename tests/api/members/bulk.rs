//! Bulk actions on the members list: applied row by row, each reported.

use reqwest::StatusCode;

use super::*;
use crate::html::Page;

#[tokio::test]
async fn bulk_actions_apply_row_by_row_and_report_each() {
    let (app, org) = owner_with(0, 1).await;
    app.add_member(org, "manager@example.com", "Mo", "manager")
        .await;
    app.add_member(org, "admin@example.com", "Ann", "admin")
        .await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    app.add_member(org, "cy@example.com", "Cy", "member").await;
    let ids: Vec<String> = membership_ids(
        &app,
        &["admin@example.com", "bob@example.com", "cy@example.com"],
    )
    .await;
    let manager = app.signed_in_client("manager@example.com", PASSWORD).await;
    let team = first_team(&app, org).await.to_string();
    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", id.as_str())).collect();
    fields.extend([
        ("action", "add_team"),
        ("team", team.as_str()),
        ("team_role", "agent"),
    ]);
    let res = manager
        .htmx_post(&format!("/orgs/{org}/members/bulk"), &fields)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["hx-trigger"], "members-changed");
    let body = res.text().await.unwrap();
    assert!(body.contains("2 of 3 changed; 1 refused."), "{body}");
    let results = Page::parse(&body).texts("ul.results li");
    assert!(results.contains(
        &"Ann: refused — You can only change members whose role is below yours.".to_owned()
    ));
    assert!(
        results.contains(&"Bob: added to Support as Agent".to_owned()),
        "{results:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 2);

    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", id.as_str())).collect();
    fields.push(("action", "explode"));
    let res = manager
        .htmx_post(&format!("/orgs/{org}/members/bulk"), &fields)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = manager
        .htmx_post(
            &format!("/orgs/{org}/members/bulk"),
            &[("action", "set_role"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Seeds `members` members in `org` whose addresses start with `prefix`.
async fn seed_as(app: &TestApp, org: i64, members: i64, prefix: &'static str) {
    app.query(move |conn| {
        roster::services::demo::seed_org_sql(conn, roster::domain::OrgId(org), members, 0, prefix)
            .unwrap();
    })
    .await;
}

fn matching_fields<'a>(
    query: &'a str,
    total: &'a str,
    action: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("matching", "all"),
        ("matching_filter", query),
        ("matching_total", total),
    ];
    fields.extend_from_slice(action);
    fields
}

#[tokio::test]
async fn select_all_matching_changes_every_member_the_filter_matches_on_every_page_and_nobody_else()
{
    let (app, org) = owner().await;
    seed_as(&app, org, 120, "seed").await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let globex = app.other_org("Globex").await;
    seed_as(&app, globex, 30, "other").await;
    let list = app
        .client
        .get(&format!("/orgs/{org}/members?q=example.test"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("Select all 120 members matching this filter"),
        "the list offers every match, beyond its first page"
    );
    let first = app
        .count("SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'seed-1@example.test'")
        .await;
    let name: String = app
        .query(move |conn| {
            use diesel::prelude::*;
            diesel::sql_query(format!(
                "SELECT a.display_name AS name FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.id = {first}"
            ))
            .get_result::<Name>(conn)
            .unwrap()
            .name
        })
        .await;

    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/bulk"),
            &matching_fields(
                "q=example.test",
                "120",
                &[("action", "set_role"), ("role", "manager")],
            ),
        )
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    // Seeded managers are every 13th (9 of them); the rest change.
    assert!(body.contains("111 of 120 changed; 9 unchanged."), "{body}");
    let results = Page::parse(&body).texts("ul.results li");
    assert!(results.contains(&format!("{name}: Member → Manager")));
    assert!(results
        .iter()
        .any(|r| r.ends_with(": unchanged (already Manager)")));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE m.organization_id = {org} AND a.email LIKE '%example.test' AND m.role = 'manager'"
        ))
        .await,
        120,
        "rows far past the first page changed too"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {org} AND role = 'manager' \
             AND account_id IN (SELECT id FROM accounts WHERE email IN ('bob@example.com', 'ada@example.com'))"
        ))
        .await,
        0,
        "members the filter does not match keep their role"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {globex} AND role = 'manager'"
        ))
        .await,
        2,
        "another organization's members are never touched (its seeded Managers are the 13th and 26th)"
    );
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

#[tokio::test]
async fn select_all_matching_goes_through_the_policy_and_reports_each_refusal() {
    let (app, org, bob, admin) = owner_admin_and_bob().await;
    seed_as(&app, org, 60, "seed").await;

    let res = admin
        .htmx_post(
            &format!("/orgs/{org}/members/bulk"),
            &matching_fields("", "63", &[("action", "set_role"), ("role", "member")]),
        )
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(
        body.contains(
            "<strong>Ada Lovelace</strong>: refused — Only an Owner can change an Owner."
        ),
        "{body}"
    );
    let results = Page::parse(&body).texts("ul.results li");
    assert!(
        results
            .iter()
            .any(|r| r.starts_with("Ann: refused — You cannot change your own access")),
        "{results:?}"
    );
    assert!(results.contains(&"Bob: unchanged (already Member)".to_owned()));
    assert!(
        results.iter().any(|r| r.ends_with(": Manager → Member")),
        "{results:?}"
    );
    assert!(body.contains("; 2 refused."), "{body}");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {org} AND role IN ('owner', 'admin')"
        ))
        .await,
        2,
        "the refused rows kept their roles"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND role = 'member'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn select_all_matching_is_refused_when_the_list_changed_or_is_too_long() {
    let (app, org) = owner().await;
    seed_as(&app, org, 60, "seed").await;
    let bulk = format!("/orgs/{org}/members/bulk");
    let role = [("action", "set_role"), ("role", "admin")];
    let admins = format!(
        "SELECT count(*) FROM memberships WHERE organization_id = {org} AND role = 'admin'"
    );
    let unchanged = app.count(&admins).await;

    // The confirmation said 50; the filter now matches 60.
    let res = app
        .client
        .htmx_post(&bulk, &matching_fields("q=example.test", "50", &role))
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = res.text().await.unwrap();
    assert!(body.contains("now matches 60 members, not 50"), "{body}");

    // Revoking takes at most one page at a time, matching or not.
    let res = app
        .client
        .htmx_post(
            &bulk,
            &matching_fields("q=example.test", "60", &[("action", "revoke")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(app.count(&admins).await, unchanged, "nobody was changed");
    seed_as(&app, org, 10_001, "many").await;
    let before = app.count(&admins).await;
    let res = app
        .client
        .htmx_post(&bulk, &matching_fields("q=many-", "10001", &role))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("matches more than 10,000 members"), "{body}");
    assert_eq!(app.count(&admins).await, before, "nobody was changed");
}
