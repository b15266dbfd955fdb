//! The rules around groups and services: permissions with reasons, switched-off
//! modules, and another organization's ids.

use reqwest::StatusCode;

use super::scene::*;
use crate::helpers::PASSWORD;

/// A change to try: path, form fields, and the reason it must be refused with.
type Change = (String, Vec<(&'static str, String)>, &'static str);

#[tokio::test]
async fn a_team_agent_sees_groups_and_services_but_cannot_change_them() {
    let s = Scene::new().await;
    let group = s.create_group("Nights").await;
    let billing = s.create_service("Billing").await;
    s.agent("agent@example.com", "Agnes Agent").await;
    let agnes = s.app.signed_in_client("agent@example.com", PASSWORD).await;

    let (status, page) = agnes.page(&s.groups()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nights</h2>"));
    assert!(page.contains("You do not have permission to manage groups."));
    assert!(page.contains("disabled title=\"You do not have permission to manage groups.\""));
    assert!(!page.contains(&format!("hx-get=\"{}/{group}/edit\"", s.groups())));
    let (status, page) = agnes.page(&s.services()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("disabled title=\"You do not have permission to manage services.\""));

    let refused = [
        (s.groups(), vec![("name", "Mine")]),
        (format!("{}/{group}", s.groups()), vec![("name", "Mine")]),
        (format!("{}/{group}/delete", s.groups()), vec![]),
        (
            format!("{}/{group}/services", s.groups()),
            vec![("service_id", "1")],
        ),
    ];
    for (path, fields) in refused {
        let res = agnes.post_form(&path, &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("You do not have permission to manage groups."));
    }
    let (status, _) = agnes.page(&format!("{}/{group}/edit", s.groups())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = agnes
        .htmx_post(
            &format!("{}/{billing}/active", s.services()),
            &[("active", "false")],
        )
        .await;
    expect(
        res,
        StatusCode::FORBIDDEN,
        "You do not have permission to manage services.",
    )
    .await;
    assert_eq!(
        s.app
            .count("SELECT count(*) FROM groups WHERE name = 'Nights'")
            .await,
        1
    );
    assert_eq!(
        s.app
            .count("SELECT count(*) FROM services WHERE active")
            .await,
        1
    );
}

#[tokio::test]
async fn switched_off_groups_and_services_refuse_every_change_with_the_reason() {
    let s = Scene::new().await;
    let group = s.create_group("Nights").await;
    let billing = s.create_service("Billing").await;
    let (_, alice) = s.agent("alice@example.com", "Alice Active").await;
    for feature in ["groups", "services"] {
        let res = s
            .app
            .client
            .post_form(
                &format!("/orgs/{}/settings/features/{feature}", s.org),
                &[("enabled", "false")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    let groups_off = "Groups are switched off for this organization (Settings → Features).";
    let services_off = "Services are switched off for this organization (Settings → Features).";

    let (status, page) = s.tim.page(&s.groups()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Groups are switched off for this organization"));
    assert!(page.contains("Nights</h2>"), "existing groups stay visible");
    assert!(!page.contains("id=\"group-create\""));
    let (_, page) = s.tim.page(&s.services()).await;
    assert!(page.contains("Services are switched off for this organization"));

    let g = s.groups();
    let changes: Vec<Change> = vec![
        (g.clone(), vec![("name", "New".into())], groups_off),
        (g.clone(), vec![("name", "".into())], groups_off),
        (
            format!("{g}/{group}"),
            vec![("name", "Renamed".into())],
            groups_off,
        ),
        (format!("{g}/{group}/delete"), vec![], groups_off),
        (
            format!("{g}/{group}/members"),
            vec![("team_membership_id", alice.to_string())],
            groups_off,
        ),
        (
            format!("{g}/{group}/members"),
            vec![("team_membership_id", "abc".into())],
            groups_off,
        ),
        (
            format!("{g}/{group}/services"),
            vec![("service_id", billing.to_string())],
            groups_off,
        ),
        (
            s.services(),
            vec![("name", "New".into()), ("description", "".into())],
            services_off,
        ),
        (
            format!("{}/{billing}", s.services()),
            vec![("name", "X".into())],
            services_off,
        ),
        (
            format!("{}/{billing}/active", s.services()),
            vec![("active", "false".into())],
            services_off,
        ),
        (
            format!("{}/{billing}/delete", s.services()),
            vec![],
            services_off,
        ),
    ];
    for (path, fields, reason) in changes {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = s.tim.post_form(&path, &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path} {fields:?}");
        assert!(res.text().await.unwrap().contains(reason), "{path}");
    }
    // Groups on, services off: attaching still names the switched-off module.
    s.app
        .client
        .post_form(
            &format!("/orgs/{}/settings/features/groups", s.org),
            &[("enabled", "true")],
        )
        .await;
    let res = s
        .tim
        .htmx_post(
            &format!("{g}/{group}/services"),
            &[("service_id", &billing.to_string())],
        )
        .await;
    expect(res, StatusCode::FORBIDDEN, services_off).await;
    assert_eq!(s.app.count("SELECT count(*) FROM groups").await, 1);
    assert_eq!(s.app.count("SELECT count(*) FROM group_services").await, 0);
    assert_eq!(
        s.app
            .count("SELECT count(*) FROM services WHERE name = 'Billing' AND active")
            .await,
        1
    );
}

#[tokio::test]
async fn another_organizations_teams_groups_and_services_are_not_found() {
    let s = Scene::new().await;
    let group = s.create_group("Nights").await;
    let billing = s.create_service("Billing").await;
    // Beta, another organization with its own team, group and service; Ada is in both.
    let beta = s
        .app
        .query(|conn| {
            roster::db::organizations::insert(conn, "Beta")
                .unwrap()
                .id
                .0
        })
        .await;
    let ada = account_id(&s.app, "ada@example.com").await;
    exec(&s.app, format!("INSERT INTO memberships (organization_id, account_id, role, status) VALUES ({beta}, {ada}, 'owner', 'active')")).await;
    let beta_team = team(&s.app, beta, "Beta support").await;
    let beta_group = returning_id(&s.app, format!("INSERT INTO groups (organization_id, team_id, name) VALUES ({beta}, {beta_team}, 'Beta group') RETURNING id")).await;
    let beta_service = returning_id(&s.app, format!("INSERT INTO services (organization_id, team_id, name) VALUES ({beta}, {beta_team}, 'Beta service') RETURNING id")).await;
    let (org, team) = (s.org, s.team);
    let ada_client = &s.app.client;

    // Beta's ids under Acme's paths, and Acme's under Beta's, are all 404.
    for path in [
        format!("/orgs/{org}/teams/{beta_team}/groups"),
        format!("/orgs/{org}/teams/{beta_team}/services"),
        format!("/orgs/{org}/teams/{team}/groups/{beta_group}"),
        format!("/orgs/{org}/teams/{team}/groups/{beta_group}/edit"),
        format!("/orgs/{org}/teams/{team}/services/{beta_service}"),
        format!("/orgs/{org}/teams/{team}/services/{beta_service}/edit"),
        format!("/orgs/{beta}/teams/{team}/groups"),
        format!("/orgs/{org}/teams/{team}/groups/abc"),
    ] {
        let (status, _) = ada_client.page(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    for (path, fields) in [
        (
            format!("/orgs/{org}/teams/{beta_team}/groups"),
            vec![("name", "Sneaky")],
        ),
        (
            format!("/orgs/{org}/teams/{team}/groups/{beta_group}"),
            vec![("name", "Sneaky")],
        ),
        (
            format!("/orgs/{org}/teams/{team}/groups/{beta_group}/delete"),
            vec![],
        ),
        (
            format!("/orgs/{org}/teams/{team}/services/{beta_service}/delete"),
            vec![],
        ),
        (
            format!("/orgs/{org}/teams/{team}/services/{beta_service}/active"),
            vec![("active", "false")],
        ),
    ] {
        let res = ada_client.post_form(&path, &fields).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let beta_service = beta_service.to_string();
    let res = ada_client
        .post_form(
            &format!("/orgs/{org}/teams/{team}/groups/{group}/services"),
            &[("service_id", &beta_service)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Tim, only in Acme, gets 404 for Beta whatever the ids.
    for path in [
        format!("/orgs/{beta}/teams/{beta_team}/groups"),
        format!("/orgs/{beta}/teams/{beta_team}/services"),
    ] {
        let (status, _) = s.tim.page(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let res = s
        .tim
        .post_form(
            &format!("/orgs/{beta}/teams/{beta_team}/services/{billing}/delete"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(s.app.count("SELECT count(*) FROM groups").await, 2);
    assert_eq!(s.app.count("SELECT count(*) FROM services").await, 2);
    assert_eq!(s.app.count("SELECT count(*) FROM group_services").await, 0);
}
