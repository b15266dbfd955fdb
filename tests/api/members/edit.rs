//! Editing a member: the inline row and the full edit page, who may change
//! whom, and saves that meet at once.

use reqwest::StatusCode;

use super::*;
use crate::html::Page;

#[tokio::test]
async fn an_owner_edits_a_row_inline_and_only_that_row_comes_back() {
    let (app, org, bob) = owner_and_bob().await;

    let res = app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{bob}/edit"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let form = res.text().await.unwrap();
    assert!(form.starts_with(&format!(
        "<tr id=\"member-{bob}\" class=\"member-row editing\">"
    )));
    assert!(form.contains("name=\"version\" value=\"1\""));

    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "manager"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = res.text().await.unwrap();
    assert!(row.starts_with(&format!("<tr id=\"member-{bob}\" class=\"member-row\">")));
    assert_eq!(Page::parse(&row).text("td.role"), "Manager");
    assert!(row.contains("hx-swap-oob") && row.contains("Saved Bob."));
    assert_eq!(app.count(&format!("SELECT count(*) FROM memberships WHERE id = {bob} AND role = 'manager' AND version = 2")).await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'member.updated'")
            .await,
        1
    );

    // Saving the row again unchanged changes nothing: same version, no event.
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "manager"), ("version", "2")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Saved Bob."));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND version = 2"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'member.updated'")
            .await,
        1,
        "an unchanged save writes no audit event"
    );

    // Cancel restores the row as it is.
    let res = app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{bob}/row"))
        .await;
    let row = res.text().await.unwrap();
    assert_eq!(Page::parse(&row).text("td.role"), "Manager");
}

#[tokio::test]
async fn without_javascript_the_pencil_leads_to_a_full_edit_page() {
    let (app, org, bob) = owner_and_bob().await;
    let (_, list) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains(&format!("href=\"/orgs/{org}/members/{bob}/edit\"")));
    let (status, page) = app
        .client
        .page(&format!("/orgs/{org}/members/{bob}/edit"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let shown = Page::parse(&page);
    assert!(shown.is_whole_page());
    assert_eq!(shown.text("h1"), "Edit Bob");
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/members/{bob}"), &[("role", "admin")])
        .await;
    assert_eq!(location(&res), format!("/orgs/{org}/members"));
    let (_, list) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains("Saved Bob."));
}

#[tokio::test]
async fn nobody_edits_their_own_access_and_the_reason_is_shown() {
    let (app, org) = owner().await;
    let me = membership_id(&app, "ada@example.com").await;
    let (_, list) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains("You cannot change your own access; ask another Owner or Admin."));
    let res = app
        .client
        .htmx_post(&format!("/orgs/{org}/members/{me}"), &[("role", "member")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE role = 'owner'")
            .await,
        1,
        "the last Owner stays"
    );
    let res = app
        .client
        .get(&format!("/orgs/{org}/members/{me}/edit"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let (app, org) = owner().await;
    let bea = join(&app, org, "bea@example.com", "Bea", "owner").await;
    let ada = membership_id(&app, "ada@example.com").await;
    let bea_client = app.signed_in_client("bea@example.com", PASSWORD).await;
    for round in 0..5 {
        let (ada_demotes_bea, bea_demotes_ada) = (
            format!("/orgs/{org}/members/{bea}"),
            format!("/orgs/{org}/members/{ada}"),
        );
        let (by_ada, by_bea) = tokio::join!(
            app.client
                .htmx_post(&ada_demotes_bea, &[("role", "member")]),
            bea_client.htmx_post(&bea_demotes_ada, &[("role", "member")]),
        );
        // The later one is refused: as a demotion of the last Owner (403), or,
        // if it arrives after the first is saved, as a plain member's (404).
        let mut statuses = [by_ada.status(), by_bea.status()];
        statuses.sort();
        assert!(
            statuses[0] == StatusCode::OK && statuses[1].is_client_error(),
            "round {round}: one demotion is made and the other refused, got {statuses:?}"
        );
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM memberships WHERE organization_id = {org} AND role = 'owner'"
            ))
            .await,
            1,
            "round {round}: an Owner is left"
        );
        assert_eq!(
            app.count(&format!(
                "SELECT n FROM membership_counts WHERE organization_id = {org} AND status = 'active' AND owner"
            ))
            .await,
            1,
            "round {round}: the kept count agrees"
        );
        // Both Owners again for the next round.
        crate::teams::exec(
            &app,
            &format!("UPDATE memberships SET role = 'owner' WHERE organization_id = {org}"),
        )
        .await;
    }
}

#[tokio::test]
async fn admins_cannot_grant_owner_or_permissions_they_lack() {
    let (app, org, bob, admin) = owner_admin_and_bob().await;

    let res = admin
        .htmx_post(&format!("/orgs/{org}/members/{bob}"), &[("role", "owner")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = res.text().await.unwrap();
    assert!(body.contains("Only an Owner can grant Owner."));
    assert!(
        body.starts_with("<tr"),
        "the inline form comes back with the message"
    );

    let res = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                ("permissions_form", "1"),
                ("own_permissions", "1"),
                ("perm", "billing.manage"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("You cannot grant permissions you do not hold yourself."));

    let res = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "superuser")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Unknown role"));
    let res = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                ("permissions_form", "1"),
                ("own_permissions", "1"),
                ("perm", "rm.rf"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count(&format!("SELECT count(*) FROM memberships WHERE id = {bob} AND role = 'member' AND permissions IS NULL")).await, 1);

    // Within what she holds, she can give Bob his own set.
    let res = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                ("permissions_form", "1"),
                ("own_permissions", "1"),
                ("perm", "members.invite"),
                ("perm", "audit.view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Member (custom permissions)"));
}

#[tokio::test]
async fn a_manager_cannot_touch_owners_or_admins() {
    let (app, org) = owner().await;
    app.add_member(org, "manager@example.com", "Mo", "manager")
        .await;
    let admin = join(&app, org, "admin@example.com", "Ann", "admin").await;
    let owner = membership_id(&app, "ada@example.com").await;
    let manager = app.signed_in_client("manager@example.com", PASSWORD).await;
    for target in [admin, owner] {
        let res = manager
            .htmx_post(
                &format!("/orgs/{org}/members/{target}"),
                &[("role", "member")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{target}");
    }
    let (_, list) = manager.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains("Only an Owner can change an Owner."));
    assert!(list.contains("You can only change members whose role is below yours."));
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE role IN ('owner', 'admin')")
            .await,
        2
    );
}

#[tokio::test]
async fn a_team_manager_cannot_touch_an_admin_in_their_team() {
    let (app, org) = owner().await;
    app.add_member(org, "tm@example.com", "Tia", "member").await;
    let admin = join(&app, org, "admin@example.com", "Ann", "admin").await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "INSERT INTO teams (id, organization_id, name, workflow_id) VALUES (7, {org}, 'Support', 'wf_t');
             INSERT INTO team_memberships (organization_id, team_id, membership_id, role)
             SELECT {org}, 7, m.id, CASE a.email WHEN 'tm@example.com' THEN 'team_manager' ELSE 'agent' END
             FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email <> 'ada@example.com'"
        ))
        .unwrap();
    })
    .await;
    let tm = app.signed_in_client("tm@example.com", PASSWORD).await;
    let res = tm
        .post_form(&format!("/orgs/{org}/teams/7/members/{admin}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Only Owners and Admins can change an Admin"));
    let res = tm
        .post_form(&format!("/orgs/{org}/teams/7/members/{bob}/remove"), &[])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "an agent of the team is theirs to manage"
    );
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 2);
}

#[tokio::test]
async fn two_managers_saving_the_same_row_get_a_clear_conflict() {
    let (app, org, bob, admin) = owner_admin_and_bob().await;
    // Both opened the form at version 1; the owner saves first.
    let first = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "manager"), ("version", "1")],
        )
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "admin"), ("version", "1")],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    assert!(second
        .text()
        .await
        .unwrap()
        .contains("Someone else changed this member"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND role = 'manager'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn two_managers_saving_the_same_row_many_times_at_once_leave_every_change_with_its_event() {
    let (app, org, bob, admin) = owner_admin_and_bob().await;
    let path = format!("/orgs/{org}/members/{bob}");
    // Each client reads its session's CSRF token once, before the saves.
    app.client.csrf().await;
    admin.csrf().await;
    // No version in the form: each save applies to the row as it then is; the
    // later one wins.
    let saves = (0..12).map(|i| {
        let (client, role) = match i % 4 {
            0 => (&app.client, "manager"),
            1 => (&admin, "member"),
            2 => (&admin, "manager"),
            _ => (&app.client, "member"),
        };
        let path = path.clone();
        async move {
            let res = client.htmx_post(&path, &[("role", role)]).await;
            (res.status(), res.text().await.unwrap())
        }
    });
    for (status, body) in futures_util::future::join_all(saves).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Every change bumped the version once and wrote exactly one event.
    let version = app
        .count(&format!(
            "SELECT version::bigint FROM memberships WHERE id = {bob}"
        ))
        .await;
    let events = app
        .count(&format!(
            "SELECT count(*) FROM audit_events WHERE action = 'member.updated' AND target_id = '{bob}'"
        ))
        .await;
    assert!(version > 1, "some saves changed the role");
    assert_eq!(events, version - 1);
    // The last event's after is the row as it is.
    let matches = app
        .count(&format!(
            "SELECT count(*) FROM memberships m, LATERAL (SELECT after FROM audit_events
               WHERE target_id = '{bob}' ORDER BY id DESC LIMIT 1) e
             WHERE m.id = {bob} AND e.after->>'role' = m.role"
        ))
        .await;
    assert_eq!(matches, 1);
}

#[tokio::test]
async fn the_row_a_save_returns_is_the_row_as_stored() {
    let (app, org, bob, admin) = owner_admin_and_bob().await;
    seed(&app, org, 0, 2).await;
    let team = first_team(&app, org).await;
    admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[(&format!("team_{team}"), "agent")],
        )
        .await;
    let auditor = auditor_role(&app, org).await.to_string();
    let row = format!("/orgs/{org}/members/{bob}/row");
    // A role, a custom role, custom permissions, back to a role, and a save
    // that changes nothing: each answer is the row a fresh read shows.
    let custom = format!("custom:{auditor}");
    let changes: [&[(&str, &str)]; 5] = [
        &[("role", "manager")],
        &[("role", &custom)],
        &[
            ("role", "member"),
            ("permissions_form", "1"),
            ("own_permissions", "1"),
            ("perm", "members.view"),
        ],
        &[("role", "member"), ("permissions_form", "1")],
        &[("role", "member")],
    ];
    for fields in changes {
        let res = admin
            .htmx_post(&format!("/orgs/{org}/members/{bob}"), fields)
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{fields:?}");
        let saved = res.text().await.unwrap();
        let saved = saved.split("<div id=\"toasts\"").next().unwrap().trim();
        let (status, stored) = admin.page(&row).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(saved, stored.trim(), "after {fields:?}");
    }
    assert!(
        admin.page(&row).await.1.contains("Agent"),
        "the team stays on the row"
    );
}

#[tokio::test]
async fn teams_and_groups_are_edited_inline_but_pending_members_cannot_join_groups() {
    let (app, org) = owner_with(0, 2).await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    let pat = join(&app, org, "pat@example.com", "Pat", "member").await;
    crate::teams::exec(
        &app,
        &format!("UPDATE memberships SET status = 'pending' WHERE id = {pat}"),
    )
    .await;
    let team = first_team(&app, org).await;
    let group = app
        .count(&format!(
            "SELECT min(id) FROM groups WHERE team_id = {team}"
        ))
        .await;
    let team_field = format!("team_{team}");
    let group_value = group.to_string();

    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                (team_field.as_str(), "supervisor"),
                ("groups_form", "1"),
                ("group", group_value.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = res.text().await.unwrap();
    assert!(row.contains("· Supervisor"));
    assert!(row.contains("Tier 1"), "{row}");
    assert!(row.contains("Provides Chat, Phone"));

    // A pending member may be put in a team, but not in its groups.
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{pat}"),
            &[
                (team_field.as_str(), "agent"),
                ("groups_form", "1"),
                ("group", group_value.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("once they are active"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {pat}"
        ))
        .await,
        0,
        "nothing half-saved"
    );
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{pat}"),
            &[(team_field.as_str(), "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Leaving the team leaves its groups.
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[(team_field.as_str(), "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.count(&format!("SELECT count(*) FROM group_members gm JOIN team_memberships tm ON tm.id = gm.team_membership_id WHERE tm.membership_id = {bob}")).await, 0);
}

#[tokio::test]
async fn custom_roles_are_offered_and_granted_inline_but_only_the_organizations_own() {
    let (app, org) = owner_with(0, 1).await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    let (org_role, team_role, foreign) = app
        .query(move |conn| {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Id {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            let insert = |conn: &mut diesel::PgConnection, org: i64, scope: &str, name: &str, perms: &str| {
                diesel::sql_query(format!(
                    "INSERT INTO custom_roles (organization_id, scope, name, permissions) VALUES ({org}, '{scope}', '{name}', '{perms}') RETURNING id"
                ))
                .get_result::<Id>(conn)
                .unwrap()
                .id
            };
            let other = roster::db::organizations::insert(conn, "Elsewhere").unwrap().id.0;
            (
                insert(conn, org, "org", "Auditor", "{audit.view}"),
                insert(conn, org, "team", "Coach", "{team.view_all}"),
                insert(conn, other, "org", "Foreign", "{}"),
            )
        })
        .await;
    let (_, form) = app
        .client
        .page(&format!("/orgs/{org}/members/{bob}/edit"))
        .await;
    assert!(
        form.contains(&format!("value=\"custom:{org_role}\"")) && form.contains("Auditor (custom)")
    );
    assert!(
        form.contains(&format!("value=\"custom:{team_role}\"")) && form.contains("Coach (custom)")
    );
    assert!(!form.contains("Foreign"));

    let team = first_team(&app, org).await;
    let (role_value, team_value) = (format!("custom:{org_role}"), format!("custom:{team_role}"));
    let team_field = format!("team_{team}");
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                ("role", role_value.as_str()),
                (team_field.as_str(), team_value.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = res.text().await.unwrap();
    assert_eq!(Page::parse(&row).text("td.role"), "Auditor", "{row}");
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM team_memberships WHERE membership_id = {bob} AND role = 'custom' AND custom_role_id = {team_role}")).await,
        1
    );

    // Another organization's role, or a team role offered as an org role, is not found.
    for bad in [format!("custom:{foreign}"), format!("custom:{team_role}")] {
        let res = app
            .client
            .htmx_post(
                &format!("/orgs/{org}/members/{bob}"),
                &[("role", bad.as_str())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT custom_role_id FROM memberships WHERE id = {bob}"
        ))
        .await,
        org_role
    );
}

#[tokio::test]
async fn another_organizations_ids_are_404() {
    let (app, org) = owner().await;
    let globex = globex(&app).await;
    let gus = join(&app, globex, "gus@example.com", "Gus", "member").await;
    // Ada owns both, but Gus's membership is not Acme's.
    assert_eq!(
        app.client
            .get(&format!("/orgs/{org}/members/{gus}/edit"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client
            .get(&format!("/orgs/{org}/members/{gus}/row"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/members/{gus}"), &[("role", "admin")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    crate::teams::exec(
        &app,
        &format!(
            "INSERT INTO teams (organization_id, name, workflow_id) VALUES ({globex}, 'G', 'wf_x')"
        ),
    )
    .await;
    let team = first_team(&app, globex).await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    let field = format!("team_{team}");
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[(field.as_str(), "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 0);
}
