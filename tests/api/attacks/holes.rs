//! Attack stories: holes. Smaller authorization gaps in the members page, its
//! bulk endpoint, and a team's Groups and Services tabs: each story is someone
//! reaching past what the policy gives them, and finding nothing changed and
//! nothing told.

use reqwest::StatusCode;

use crate::helpers::{spawn_app, PASSWORD};
use crate::members::{auditor_role, membership_id};
use crate::teams::groups::scene::{exec, expect, Scene};

const NO_GROUPS: &str = "You do not have permission to manage groups.";
const GROUPS_OFF: &str = "Groups are switched off for this organization (Settings → Features).";

#[tokio::test]
async fn a_member_who_may_not_view_members_gets_no_names_back_from_the_bulk_endpoint() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob Plain", "member")
        .await;
    app.add_member(org, "cy.secret@example.com", "Cyrus Secret", "member")
        .await;
    let ids = [
        membership_id(&app, "cy.secret@example.com")
            .await
            .to_string(),
        membership_id(&app, "ada@example.com").await.to_string(),
    ];
    let bob = app.signed_in_client("bob@example.com", PASSWORD).await;
    let bulk = format!("/orgs/{org}/members/bulk");

    // Bob guesses ids and tries every action, with and without htmx.
    let actions: [&[(&str, &str)]; 4] = [
        &[("action", "set_role"), ("role", "member")],
        &[
            ("action", "add_team"),
            ("team", "1"),
            ("team_role", "agent"),
        ],
        &[("action", "add_group"), ("group", "1")],
        &[("action", "explode")],
    ];
    for action in actions {
        let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", id.as_str())).collect();
        fields.extend_from_slice(action);
        for res in [
            bob.htmx_post(&bulk, &fields).await,
            bob.post_form(&bulk, &fields).await,
        ] {
            let status = res.status();
            let body = res.text().await.unwrap();
            assert!(
                [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&status),
                "{action:?}: {status}"
            );
            for secret in [
                "Cyrus Secret",
                "cy.secret@example.com",
                "Ada Lovelace",
                "ada@example.com",
            ] {
                assert!(!body.contains(secret), "{action:?} told {secret}");
            }
        }
    }
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'member.updated'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_manager_cannot_hand_out_a_roles_permissions_they_lack_by_clearing_a_members_own_set() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "mo@example.com", "Mo Manager", "manager")
        .await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_id(&app, "bob@example.com").await;
    // Bob has the Auditor role, narrowed by an own set of nothing: no audit log for him.
    let auditor = auditor_role(&app, org).await;
    exec(
        &app,
        format!(
            "UPDATE memberships SET custom_role_id = {auditor}, permissions = '{{}}' WHERE id = {bob}"
        ),
    )
    .await;
    let narrowed = format!(
        "SELECT count(*) FROM memberships WHERE id = {bob} \
         AND custom_role_id = {auditor} AND permissions = '{{}}'"
    );
    let mo = app.signed_in_client("mo@example.com", PASSWORD).await;
    let member = format!("/orgs/{org}/members/{bob}");

    // Mo, who cannot see the audit log, unticks "Use this set": Bob would get audit.view.
    let clear = [("permissions_form", "1")];
    let res = mo.htmx_post(&member, &clear).await;
    expect(
        res,
        StatusCode::FORBIDDEN,
        "You cannot grant permissions you do not hold yourself.",
    )
    .await;
    let res = mo.post_form(&member, &clear).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count(&narrowed).await, 1, "Bob keeps his narrow set");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'member.updated'")
            .await,
        0
    );

    // The Owner, who holds the role's permissions, may clear it.
    let res = app.client.htmx_post(&member, &clear).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND permissions IS NULL"
        ))
        .await,
        1
    );
}

/// Scene's Tim puts a new agent of the team into `group`: (account id, team membership id).
async fn agent_in_group(s: &Scene, email: &str, name: &str, group: i64) -> (i64, i64) {
    let (account, tm) = s.agent(email, name).await;
    let res = s
        .tim
        .post_form(
            &format!("{}/{group}/members", s.groups()),
            &[("team_membership_id", &tm.to_string())],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{name} joins the group"
    );
    (account, tm)
}

async fn group_members(s: &Scene) -> i64 {
    s.app.count("SELECT count(*) FROM group_members").await
}

#[tokio::test]
async fn a_member_editor_without_the_teams_groups_manage_cannot_take_someone_out_of_its_group() {
    let s = Scene::new().await;
    let group = s.create_group("Nights").await;
    agent_in_group(&s, "bob@example.com", "Bob Agent", group).await;
    let bob = membership_id(&s.app, "bob@example.com").await;
    // Eve may see and edit members org-wide, but manages no team.
    s.app
        .add_member(s.org, "eve@example.com", "Eve Editor", "manager")
        .await;
    exec(
        &s.app,
        "UPDATE memberships m SET permissions = '{members.view,members.edit_roles}' \
         FROM accounts a WHERE a.id = m.account_id AND a.email = 'eve@example.com'"
            .into(),
    )
    .await;
    let eve = s.app.signed_in_client("eve@example.com", PASSWORD).await;
    let member = format!("/orgs/{}/members/{bob}", s.org);

    // The form shows the group as not hers to change, and keeps it when sent.
    let (status, form) = eve.page(&format!("{member}/edit")).await;
    assert_eq!(status, StatusCode::OK);
    let reason = form
        .split("class=\"muted field-reason\" id=\"")
        .find(|part| {
            part.split("</p>")
                .next()
                .unwrap_or_default()
                .contains(NO_GROUPS)
        })
        .and_then(|part| part.split('"').next())
        .unwrap_or_else(|| panic!("the reason is shown: {form}"));
    assert!(
        form.contains(&format!("disabled aria-describedby=\"{reason}\"")),
        "the box points at its reason: {form}"
    );
    assert!(form.contains(&format!(
        "<input type=\"hidden\" name=\"group\" value=\"{group}\">"
    )));

    // Unticking the box anyway is refused, and Bob stays in the group.
    let res = eve.htmx_post(&member, &[("groups_form", "1")]).await;
    expect(res, StatusCode::FORBIDDEN, NO_GROUPS).await;
    let res = eve.post_form(&member, &[("groups_form", "1")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(group_members(&s).await, 1);

    // Saving the form as shown changes what she may change and keeps the group.
    let group_value = group.to_string();
    let res = eve
        .htmx_post(
            &member,
            &[
                ("groups_form", "1"),
                ("group", &group_value),
                ("permissions_form", "1"),
                ("own_permissions", "1"),
                ("perm", "members.view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(group_members(&s).await, 1);
    assert_eq!(
        s.app
            .count(&format!(
                "SELECT count(*) FROM memberships WHERE id = {bob} AND permissions = '{{members.view}}'"
            ))
            .await,
        1
    );
}

#[tokio::test]
async fn with_the_groups_feature_off_nobody_changes_groups_from_the_member_form_or_in_bulk() {
    let s = Scene::new().await;
    let group = s.create_group("Nights").await;
    agent_in_group(&s, "bob@example.com", "Bob Agent", group).await;
    s.agent("carl@example.com", "Carl Agent").await;
    let (bob, carl) = (
        membership_id(&s.app, "bob@example.com").await,
        membership_id(&s.app, "carl@example.com").await,
    );
    let res = s
        .app
        .client
        .post_form(
            &format!("/orgs/{}/settings/features/groups", s.org),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let ada = &s.app.client;
    let members = format!("/orgs/{}/members", s.org);
    let group_value = group.to_string();

    // Even the Owner: taking Bob out, or putting Carl in, is refused.
    let res = ada
        .htmx_post(&format!("{members}/{bob}"), &[("groups_form", "1")])
        .await;
    expect(res, StatusCode::FORBIDDEN, GROUPS_OFF).await;
    let res = ada
        .htmx_post(
            &format!("{members}/{carl}"),
            &[("groups_form", "1"), ("group", &group_value)],
        )
        .await;
    expect(res, StatusCode::FORBIDDEN, GROUPS_OFF).await;
    let carl_value = carl.to_string();
    let res = ada
        .htmx_post(
            &format!("{members}/bulk"),
            &[
                ("ids", &carl_value),
                ("action", "add_group"),
                ("group", &group_value),
            ],
        )
        .await;
    let body = expect(res, StatusCode::OK, "0 of 1 changed; 1 refused.").await;
    assert!(body.contains(GROUPS_OFF), "{body}");
    assert_eq!(group_members(&s).await, 1);

    // The form says why, and keeps Bob's group when saved.
    let (_, form) = ada.page(&format!("{members}/{bob}/edit")).await;
    assert!(form.contains(GROUPS_OFF));
    let res = ada
        .htmx_post(
            &format!("{members}/{bob}"),
            &[("groups_form", "1"), ("group", &group_value)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(group_members(&s).await, 1);
}

#[tokio::test]
async fn a_team_agent_who_may_only_view_the_groups_tab_gets_no_candidate_names_or_emails() {
    let s = Scene::new().await;
    let group = s.create_group("Nights").await;
    s.agent("agnes@example.com", "Agnes Agent").await;
    s.agent("carl.candidate@example.com", "Carl Candidate")
        .await;
    let agnes = s.app.signed_in_client("agnes@example.com", PASSWORD).await;

    // Tim, who manages the team's groups, picks from the team's members.
    let (_, page) = s.tim.page(&s.groups()).await;
    assert!(page.contains("Carl Candidate (carl.candidate@example.com)"));

    // Agnes sees the groups, not the picker's list of her teammates.
    let (status, page) = agnes.page(&s.groups()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Nights</h2>"));
    let card = agnes
        .htmx_get(&format!("{}/{group}", s.groups()))
        .await
        .text()
        .await
        .unwrap();
    assert!(card.contains("Nights</h2>"));
    for body in [&page, &card] {
        assert!(!body.contains("Carl Candidate"));
        assert!(!body.contains("carl.candidate@example.com"));
    }
}

#[tokio::test]
async fn an_archived_teams_groups_and_services_refuse_every_change_and_show_no_controls() {
    let s = Scene::new().await;
    let group = s.create_group("Nights").await;
    let billing = s.create_service("Billing").await;
    let chat = s.create_service("Chat").await;
    let (_, alice) = agent_in_group(&s, "alice@example.com", "Alice Agent", group).await;
    let (_, bea) = s.agent("bea@example.com", "Bea Agent").await;
    let (g, sv) = (s.groups(), s.services());
    let res = s
        .tim
        .post_form(
            &format!("{g}/{group}/services"),
            &[("service_id", &billing.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = s
        .app
        .client
        .post_form(&format!("/orgs/{}/teams/{}/archive", s.org, s.team), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let state = "SELECT string_agg(x, ',' ORDER BY x) FROM (\
         SELECT 'g:' || name AS x FROM groups \
         UNION ALL SELECT 'm:' || team_membership_id FROM group_members \
         UNION ALL SELECT 's:' || name || ':' || active || ':' || description FROM services \
         UNION ALL SELECT 'a:' || service_id FROM group_services) t";
    let before = s.app.query(move |conn| read_text(conn, state)).await;

    // Tim still manages the team's groups and services, but not while it is archived.
    let changes: Vec<(String, Vec<(&str, String)>)> = vec![
        (g.clone(), vec![("name", "Days".into())]),
        (format!("{g}/{group}"), vec![("name", "Renamed".into())]),
        (format!("{g}/{group}/delete"), vec![]),
        (
            format!("{g}/{group}/members"),
            vec![("team_membership_id", bea.to_string())],
        ),
        (format!("{g}/{group}/members/{alice}/remove"), vec![]),
        (
            format!("{g}/{group}/services"),
            vec![("service_id", chat.to_string())],
        ),
        (format!("{g}/{group}/services/{billing}/remove"), vec![]),
        (
            sv.clone(),
            vec![("name", "Email".into()), ("description", "".into())],
        ),
        (
            format!("{sv}/{billing}"),
            vec![("name", "Billing 2".into()), ("description", "x".into())],
        ),
        (
            format!("{sv}/{billing}/active"),
            vec![("active", "false".into())],
        ),
        (format!("{sv}/{billing}/delete"), vec![]),
    ];
    for (path, fields) in &changes {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for res in [
            s.tim.post_form(path, &fields).await,
            s.tim.htmx_post(path, &fields).await,
        ] {
            expect(res, StatusCode::CONFLICT, "This team is archived").await;
        }
    }
    for path in [format!("{g}/{group}/edit"), format!("{sv}/{billing}/edit")] {
        let (status, _) = s.tim.page(&path).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}");
    }
    // Nor through the members page: Alice stays in the group, Bea stays out.
    let members = format!("/orgs/{}/members", s.org);
    let alice_m = membership_id(&s.app, "alice@example.com").await;
    let bea_m = membership_id(&s.app, "bea@example.com").await;
    let group_value = group.to_string();
    let res = s
        .app
        .client
        .htmx_post(&format!("{members}/{alice_m}"), &[("groups_form", "1")])
        .await;
    expect(res, StatusCode::CONFLICT, "This team is archived").await;
    let res = s
        .app
        .client
        .htmx_post(
            &format!("{members}/{bea_m}"),
            &[("groups_form", "1"), ("group", &group_value)],
        )
        .await;
    expect(res, StatusCode::CONFLICT, "This team is archived").await;
    let after = s.app.query(move |conn| read_text(conn, state)).await;
    assert_eq!(before, after, "nothing changed");

    // The tabs say why and offer nothing to press.
    let (_, page) = s.tim.page(&g).await;
    assert!(page.contains("This team is archived; unarchive it to make changes."));
    assert!(page.contains("Nights</h2>") && page.contains("Alice Agent"));
    for control in [
        "id=\"group-create\"",
        "/edit\"",
        "/delete\"",
        "/remove\"",
        "name=\"team_membership_id\"",
        "name=\"service_id\"",
        "Bea Agent",
    ] {
        assert!(!page.contains(control), "groups tab offers {control}");
    }
    let (_, page) = s.tim.page(&sv).await;
    assert!(page.contains("This team is archived; unarchive it to make changes."));
    assert!(page.contains("Billing"));
    for control in ["id=\"service-create\"", "/active\"", "/edit\"", "/delete\""] {
        assert!(!page.contains(control), "services tab offers {control}");
    }
}

/// One text value, from a query naming it `x`.
fn read_text(conn: &mut diesel::PgConnection, sql: &str) -> Option<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        x: Option<String>,
    }
    diesel::sql_query(format!("SELECT ({sql}) AS x"))
        .get_result::<Row>(conn)
        .unwrap()
        .x
}
