//! Settings → Roles: the built-in grid, custom roles created, edited and deleted
//! with checkboxes, and who may put which permissions into a role.

use reqwest::StatusCode;
use roster::db::roles::CustomRole;
use roster::domain::{CustomRoleId, OrgId, Scope};

use crate::helpers::{location, spawn_app, TestApp, TestClient, PASSWORD};

fn roles_path(org: i64) -> String {
    format!("/orgs/{org}/settings/roles")
}

/// Creates a role through the form, as the client, and returns its id.
async fn create_role(
    app: &TestApp,
    client: &TestClient,
    org: i64,
    scope: &str,
    name: &str,
    perms: &[&str],
) -> i64 {
    let mut fields = vec![("scope", scope), ("name", name)];
    fields.extend(perms.iter().map(|p| ("permissions", *p)));
    let res = client.post_form(&roles_path(org), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{name} is created");
    assert_eq!(location(&res), roles_path(org));
    app.count(&format!(
        "SELECT id FROM custom_roles \
         WHERE organization_id = {org} AND scope = '{scope}' AND name = '{name}'"
    ))
    .await
}

async fn stored(app: &TestApp, org: i64, id: i64) -> Option<CustomRole> {
    app.query(move |conn| {
        roster::db::roles::find_in_org(conn, OrgId(org), CustomRoleId(id)).unwrap()
    })
    .await
}

async fn execute(app: &TestApp, sql: String) {
    app.query(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(sql).execute(conn).unwrap()
    })
    .await;
}

#[tokio::test]
async fn the_roles_page_shows_the_built_in_roles_as_a_permission_grid() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;

    let (status, body) = app.client.page(&roles_path(org)).await;

    assert_eq!(status, StatusCode::OK);
    for role in [
        "Owner",
        "Admin",
        "Manager",
        "Member",
        "Team manager",
        "Supervisor",
        "Agent",
    ] {
        assert!(
            body.contains(&format!("<th scope=\"row\">{role} <span")),
            "{role}"
        );
    }
    for column in [
        "Change plan and seats",
        "Manage custom roles",
        "Manage groups",
    ] {
        assert!(body.contains(column), "{column}");
    }
    // Owner 14 + Admin 12 + Manager 6 + Member 0, Team manager 7 + Supervisor 2 + Agent 0
    // (workflows.ingest is held by Owners and Admins).
    assert_eq!(body.matches("✓").count(), 41);
    assert!(body.contains("aria-current=\"page\">Roles</a>"));
    assert!(body.contains("No custom organization roles yet."));
}

#[tokio::test]
async fn an_owner_creates_an_org_role_and_a_team_role_with_checkboxes() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.client.page(&roles_path(org)).await;

    let auditor = create_role(
        &app,
        &app.client,
        org,
        "org",
        "Auditor",
        &["audit.view", "members.view"],
    )
    .await;
    let res = app
        .client
        .htmx_post(
            &roles_path(org),
            &[
                ("scope", "team"),
                ("name", "  Coach  "),
                ("permissions", "team.view_all"),
                ("permissions", "groups.manage"),
            ],
        )
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["hx-redirect"], roles_path(org).as_str());
    let role = stored(&app, org, auditor).await.unwrap();
    assert_eq!(role.scope, "org");
    assert_eq!(role.permissions, vec!["members.view", "audit.view"]);
    let coach = app
        .count("SELECT id FROM custom_roles WHERE name = 'Coach' AND scope = 'team'")
        .await;
    let coach = stored(&app, org, coach).await.unwrap();
    assert_eq!(coach.permissions, vec!["team.view_all", "groups.manage"]);

    let (_, body) = app.client.page(&roles_path(org)).await;
    assert!(body.contains("Role “Coach” created."));
    assert!(body.contains(&format!("<tr id=\"role-{auditor}\" class=\"role-row\">")));
    assert_eq!(body.matches("✓").count(), 41 + 4);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'role.created' AND target_type = 'custom_role'")
            .await,
        2
    );
}

#[tokio::test]
async fn role_names_must_be_present_short_printable_and_unique_per_scope() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.client.page(&roles_path(org)).await;
    create_role(&app, &app.client, org, "org", "Auditor", &["audit.view"]).await;
    let long = "r".repeat(500);
    let huge = "r".repeat(10_000);
    let cases: [(&str, &str); 6] = [
        ("", "Role name cannot be empty."),
        ("   ", "Role name cannot be empty."),
        (&long, "Role name can be at most 60 characters."),
        (&huge, "Role name can be at most 60 characters."),
        ("Aud\0itor", "cannot contain control characters"),
        ("  AUDITOR ", "A role with that name already exists."),
    ];

    for (name, message) in cases {
        let res = app
            .client
            .post_form(
                &roles_path(org),
                &[
                    ("scope", "org"),
                    ("name", name),
                    ("permissions", "members.view"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:.20}");
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{name:.20}: {message}");
        assert!(body.contains("<h1>Roles</h1>"), "the whole page comes back");
        assert!(body.contains("id=\"new-role-org-name-error\""));
    }
    // htmx gets only the form back, with the message beside the name.
    let res = app
        .client
        .htmx_post(&roles_path(org), &[("scope", "org"), ("name", "auditor")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<form id=\"new-role-org\""), "{body:.80}");
    assert!(body.contains("A role with that name already exists."));

    assert_eq!(app.count("SELECT count(*) FROM custom_roles").await, 1);
    // The same name is free in the other scope.
    create_role(&app, &app.client, org, "team", "Auditor", &[]).await;
}

#[tokio::test]
async fn unknown_or_wrong_scope_permissions_are_refused_not_ignored() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.client.page(&roles_path(org)).await;
    let many: Vec<(&str, &str)> = std::iter::repeat_n(("permissions", "members.view"), 101)
        .chain([("scope", "org"), ("name", "Many")])
        .collect();
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("scope", "org"), ("name", "Root"), ("permissions", "members.view"), ("permissions", "root")],
            "There is no permission called “root”.",
        ),
        (
            vec![("scope", "org"), ("name", "Mixed"), ("permissions", "groups.manage")],
            "“Manage groups” is a team permission; an organization role can only hold organization permissions.",
        ),
        (
            vec![("scope", "team"), ("name", "Biller"), ("permissions", "billing.manage")],
            "is an organization permission; a team role",
        ),
        (
            vec![("scope", "global"), ("name", "Everything")],
            "Choose whether the role is for the organization or for teams.",
        ),
        (many, "Too many permissions were sent."),
    ];

    for (fields, message) in cases {
        let res = app.client.post_form(&roles_path(org), &fields).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let body = res.text().await.unwrap();
        assert!(body.contains(message), "{message}");
    }
    assert_eq!(app.count("SELECT count(*) FROM custom_roles").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action LIKE 'role.%'")
            .await,
        0
    );
}

#[tokio::test]
async fn an_admin_cannot_put_billing_into_a_role_but_an_owner_can() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "ann@example.com", "Ann Admin", "admin")
        .await;
    let admin = app.signed_in_client("ann@example.com", PASSWORD).await;

    // The checkbox is there, disabled, with the reason.
    let (status, body) = admin.page(&roles_path(org)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("value=\"billing.manage\" disabled>"));
    assert!(body.contains("title=\"You cannot grant permissions you do not hold yourself.\""));
    let res = admin
        .post_form(
            &roles_path(org),
            &[
                ("scope", "org"),
                ("name", "Treasurer"),
                ("permissions", "billing.manage"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("You cannot grant permissions you do not hold yourself."));
    assert_eq!(app.count("SELECT count(*) FROM custom_roles").await, 0);

    // Team permissions come with managing every team.
    create_role(
        &app,
        &admin,
        org,
        "team",
        "Lead",
        &["groups.manage", "contacts.assign"],
    )
    .await;
    app.client.page(&roles_path(org)).await;
    let treasurer = create_role(
        &app,
        &app.client,
        org,
        "org",
        "Treasurer",
        &["billing.manage"],
    )
    .await;

    // The Owner's role is beyond the Admin: shown locked, and refused on the server.
    let (_, body) = admin.page(&roles_path(org)).await;
    assert!(body.contains("You cannot change a role with permissions you do not hold yourself."));
    let edit = format!("{}/{treasurer}", roles_path(org));
    assert_eq!(admin.page(&edit).await.0, StatusCode::FORBIDDEN);
    let res = admin.post_form(&edit, &[("name", "Mine now")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = admin.post_form(&format!("{edit}/delete"), &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let role = stored(&app, org, treasurer).await.unwrap();
    assert_eq!(
        (role.name.as_str(), role.permissions),
        ("Treasurer", vec!["billing.manage".to_owned()])
    );
}

#[tokio::test]
async fn managers_and_members_cannot_manage_roles() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.client.page(&roles_path(org)).await;
    let role = create_role(&app, &app.client, org, "org", "Auditor", &["audit.view"]).await;
    app.add_member(org, "max@example.com", "Max Manager", "manager")
        .await;
    app.add_member(org, "mo@example.com", "Mo Member", "member")
        .await;

    for email in ["max@example.com", "mo@example.com"] {
        let client = app.signed_in_client(email, PASSWORD).await;
        let (status, body) = client.page(&roles_path(org)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{email}");
        assert!(body.contains("Only Owners and Admins can manage roles."));
        let edit = format!("{}/{role}", roles_path(org));
        for (path, fields) in [
            (roles_path(org), vec![("scope", "org"), ("name", "Mine")]),
            (edit.clone(), vec![("name", "Mine")]),
            (format!("{edit}/delete"), vec![]),
        ] {
            let res = client.post_form(&path, &fields).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email} POST {path}");
        }
        assert_eq!(client.page(&edit).await.0, StatusCode::FORBIDDEN);
        assert_eq!(
            client.page(&format!("{edit}/delete")).await.0,
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(
        app.count("SELECT count(*) FROM custom_roles WHERE name = 'Auditor'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM custom_roles").await, 1);
}

#[tokio::test]
async fn an_owner_renames_and_edits_a_role_on_its_page_or_inline() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.client.page(&roles_path(org)).await;
    let id = create_role(&app, &app.client, org, "org", "Auditor", &["audit.view"]).await;
    create_role(
        &app,
        &app.client,
        org,
        "org",
        "Inviter",
        &["members.invite"],
    )
    .await;
    let edit = format!("{}/{id}", roles_path(org));

    // Without JavaScript: the edit page, then a redirect with a flash.
    let (status, body) = app.client.page(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("value=\"Auditor\"") && body.contains("value=\"audit.view\" checked>"));
    let res = app
        .client
        .post_form(
            &edit,
            &[
                ("name", "Reviewer"),
                ("permissions", "audit.view"),
                ("permissions", "members.view"),
            ],
        )
        .await;
    assert_eq!(location(&res), roles_path(org));
    assert!(app
        .client
        .page(&roles_path(org))
        .await
        .1
        .contains("Role “Reviewer” saved."));

    // htmx: the row turns into its form, saves back into a row, and Cancel restores it.
    let res = app.client.htmx_get(&edit).await;
    let body = res.text().await.unwrap();
    assert!(
        body.starts_with(&format!(
            "<tr id=\"role-{id}\" class=\"role-row is-editing\">"
        )),
        "{body:.80}"
    );
    assert!(body.contains("name=\"view\" value=\"row\""));
    let res = app
        .client
        .htmx_post(
            &edit,
            &[
                ("view", "row"),
                ("name", "inviter"),
                ("permissions", "audit.view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("is-editing") && body.contains("A role with that name already exists."));
    let res = app
        .client
        .htmx_post(
            &edit,
            &[
                ("view", "row"),
                ("name", "Watcher"),
                ("permissions", "audit.view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(
        body.starts_with(&format!("<tr id=\"role-{id}\" class=\"role-row\">")),
        "{body:.80}"
    );
    assert!(body.contains("Role “Watcher” saved.") && body.contains("hx-swap-oob"));
    let body = app
        .client
        .htmx_get(&format!("{edit}/row"))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.starts_with(&format!("<tr id=\"role-{id}\" class=\"role-row\">")));

    let role = stored(&app, org, id).await.unwrap();
    assert_eq!(
        (role.name.as_str(), role.permissions),
        ("Watcher", vec!["audit.view".to_owned()])
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_events WHERE action = 'role.updated' \
             AND before->>'name' = 'Reviewer' AND after->>'name' = 'Watcher' \
             AND after->'permissions' = '[\"audit.view\"]'"
        )
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'role.updated'")
            .await,
        2
    );
}

#[tokio::test]
async fn deleting_a_role_says_who_uses_it_and_they_fall_back() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.client.page(&roles_path(org)).await;
    let id = create_role(&app, &app.client, org, "org", "Auditor", &["audit.view"]).await;
    let bob = app
        .add_member(org, "bob@example.com", "Bob", "member")
        .await;
    execute(
        &app,
        format!("UPDATE memberships SET custom_role_id = {id} WHERE account_id = {bob}"),
    )
    .await;
    let delete = format!("{}/{id}/delete", roles_path(org));

    let (status, body) = app.client.page(&delete).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("used by <strong>1 member</strong>"));
    assert!(body.contains("data-confirm=\"Delete the role “Auditor”?"));
    let res = app.client.post_form(&delete, &[]).await;

    assert_eq!(location(&res), roles_path(org));
    assert!(stored(&app, org, id).await.is_none());
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE account_id = {bob} AND custom_role_id IS NULL"
        ))
        .await,
        1
    );
    let (_, body) = app.client.page(&roles_path(org)).await;
    assert!(body.contains(
        "Role “Auditor” deleted. The 1 member who had it fell back to their built-in role."
    ));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'role.deleted' AND before->>'used_by' = '1' AND before->>'name' = 'Auditor'").await,
        1
    );
    // Deleting it again finds nothing.
    assert_eq!(
        app.client.post_form(&delete, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn another_organizations_role_ids_are_not_found() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.client.page(&roles_path(org)).await;
    let (other_org, theirs) = app
        .query(|conn| {
            let other = roster::db::organizations::insert(conn, "Other").unwrap();
            let role =
                roster::db::roles::insert(conn, other.id, Scope::Org, "Theirs", &[]).unwrap();
            (other.id.0, role.id.0)
        })
        .await;
    let base = roles_path(org);

    for path in [
        format!("{base}/{theirs}"),
        format!("{base}/{theirs}/row"),
        format!("{base}/{theirs}/delete"),
        format!("{base}/999999"),
        format!("{base}/abc"),
        format!("{base}/-1"),
        roles_path(other_org),
        format!("{}/{theirs}", roles_path(other_org)),
    ] {
        assert_eq!(
            app.client.page(&path).await.0,
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    for path in [
        format!("{base}/{theirs}"),
        format!("{base}/{theirs}/delete"),
        format!("{}/{theirs}/delete", roles_path(other_org)),
    ] {
        let res = app
            .client
            .post_form(&path, &[("name", "Mine"), ("permissions", "members.view")])
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    let role = stored(&app, other_org, theirs).await.unwrap();
    assert_eq!((role.name.as_str(), role.permissions.len()), ("Theirs", 0));
}

#[tokio::test]
async fn two_admins_saving_the_same_role_at_once_leave_one_whole_version() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.client.page(&roles_path(org)).await;
    let id = create_role(&app, &app.client, org, "org", "Auditor", &["audit.view"]).await;
    app.add_member(org, "ann@example.com", "Ann Admin", "admin")
        .await;
    let admin = app.signed_in_client("ann@example.com", PASSWORD).await;
    admin.page(&roles_path(org)).await;
    let edit = format!("{}/{id}", roles_path(org));

    let (a, b) = tokio::join!(
        app.client.post_form(
            &edit,
            &[("name", "From Ada"), ("permissions", "members.view")]
        ),
        admin.post_form(
            &edit,
            &[
                ("name", "From Ann"),
                ("permissions", "members.invite"),
                ("permissions", "audit.view")
            ]
        ),
    );

    assert_eq!(
        (a.status(), b.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    let role = stored(&app, org, id).await.unwrap();
    match role.name.as_str() {
        "From Ada" => assert_eq!(role.permissions, vec!["members.view"]),
        "From Ann" => assert_eq!(role.permissions, vec!["members.invite", "audit.view"]),
        other => panic!("unexpected name {other}"),
    }
}

#[tokio::test]
async fn a_custom_org_role_grants_settings_and_an_empty_own_set_takes_them_away() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.client.page(&roles_path(org)).await;
    let editor = create_role(
        &app,
        &app.client,
        org,
        "org",
        "Settings editor",
        &["org.settings"],
    )
    .await;
    let bob = app
        .add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let carol = app
        .add_member(org, "carol@example.com", "Carol", "admin")
        .await;
    let bob_client = app.signed_in_client("bob@example.com", PASSWORD).await;
    let carol_client = app.signed_in_client("carol@example.com", PASSWORD).await;
    let general = format!("/orgs/{org}/settings/general");
    assert_eq!(bob_client.page(&general).await.0, StatusCode::FORBIDDEN);
    assert_eq!(carol_client.page(&general).await.0, StatusCode::OK);

    execute(
        &app,
        format!("UPDATE memberships SET custom_role_id = {editor} WHERE account_id = {bob}"),
    )
    .await;
    execute(
        &app,
        format!("UPDATE memberships SET permissions = '{{}}' WHERE account_id = {carol}"),
    )
    .await;

    assert_eq!(
        bob_client.page(&general).await.0,
        StatusCode::OK,
        "the role's permission counts"
    );
    assert_eq!(
        carol_client.page(&general).await.0,
        StatusCode::FORBIDDEN,
        "an empty own set wins"
    );
    // The custom role gives only what it lists: not the roles page.
    assert_eq!(
        bob_client.page(&roles_path(org)).await.0,
        StatusCode::FORBIDDEN
    );
    execute(
        &app,
        format!("UPDATE memberships SET permissions = '{{}}' WHERE account_id = {bob}"),
    )
    .await;
    assert_eq!(
        bob_client.page(&general).await.0,
        StatusCode::FORBIDDEN,
        "own set beats the role"
    );
}
