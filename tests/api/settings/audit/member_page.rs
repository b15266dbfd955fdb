//! A member's page: who they are, where their access comes from, their teams,
//! and their timeline told as sentences, paged by keyset.

use reqwest::StatusCode;

use super::{event_ids, exec, pager, seed_events};
use crate::helpers::PASSWORD;
use crate::html::Page;
use crate::members::{first_team, owner_and_bob, seed};

#[tokio::test]
async fn a_members_page_tells_who_they_are_and_what_happened_to_them() {
    let (app, org, bob) = owner_and_bob().await;
    seed(&app, org, 0, 1).await;
    let team = first_team(&app, org).await;
    app.client.page(&format!("/orgs/{org}/members")).await;
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "manager"), (&format!("team_{team}"), "supervisor")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    exec(&app, format!("INSERT INTO contacts (organization_id, team_id, name, assignee_membership_id) SELECT {org}, {team}, 'Contact ' || g, {bob} FROM generate_series(1, 3) g")).await;
    let (status, body) = app.client.page(&format!("/orgs/{org}/members/{bob}")).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "bob@example.com",
        "Built-in role Manager",
        "See all members",
        "Team role Supervisor",
        "See all contacts",
        "Ada Lovelace changed Bob&#39;s role from Member to Manager and their teams",
        "Edit access",
        "Events about them in the audit log",
        "sse-swap=\"presence-",
    ] {
        let alt = want.replace("&#39;", "&#x27;");
        assert!(body.contains(want) || body.contains(&alt), "{want}");
    }
    assert!(body.contains("<td>3</td>"), "three contacts in the team");
    let permissions = Page::parse(&body).texts("ul.permissions li");
    assert!(
        permissions.contains(&"Invite members".to_owned()),
        "{permissions:?}"
    );
    // Their account ID, which another organization's manager adds them by.
    let account_ref = app
        .query(move |conn| {
            use diesel::prelude::*;
            diesel::sql_query(format!(
                "SELECT a.public_id FROM accounts a JOIN memberships m ON m.account_id = a.id WHERE m.id = {bob}"
            ))
            .get_result::<PublicId>(conn)
            .unwrap()
            .public_id
        })
        .await;
    assert!(body.contains(&format!(
        "<dt>Account ID</dt><dd><code class=\"mono\">{account_ref}</code>"
    )));
    // The members list links each name to the page.
    let (_, list) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains(&format!("href=\"/orgs/{org}/members/{bob}\"")));
}

#[tokio::test]
async fn each_permission_names_the_custom_role_or_own_set_it_comes_from() {
    let (app, org, bob) = owner_and_bob().await;
    seed(&app, org, 0, 2).await;
    let team = first_team(&app, org).await;
    let other = app
        .count(&format!(
            "SELECT max(id) FROM teams WHERE organization_id = {org}"
        ))
        .await;
    // Bob: the org role Auditor; in the first team the custom team role
    // Coach; in the other an own set on top of Agent.
    exec(&app, format!(
        "INSERT INTO custom_roles (organization_id, scope, name, permissions) VALUES
           ({org}, 'org', 'Auditor', '{{audit.view}}'), ({org}, 'team', 'Coach', '{{contacts.view_all}}');
         UPDATE memberships SET custom_role_id = (SELECT id FROM custom_roles WHERE organization_id = {org} AND name = 'Auditor')
           WHERE id = {bob};
         INSERT INTO team_memberships (organization_id, team_id, membership_id, role, custom_role_id) VALUES
           ({org}, {team}, {bob}, 'custom', (SELECT id FROM custom_roles WHERE organization_id = {org} AND name = 'Coach'))
           ON CONFLICT (team_id, membership_id) DO UPDATE SET role = excluded.role, custom_role_id = excluded.custom_role_id;
         INSERT INTO team_memberships (organization_id, team_id, membership_id, role, permissions) VALUES
           ({org}, {other}, {bob}, 'agent', '{{groups.manage}}')
           ON CONFLICT (team_id, membership_id) DO UPDATE SET role = excluded.role, permissions = excluded.permissions;"
    ))
    .await;
    let (status, body) = app.client.page(&format!("/orgs/{org}/members/{bob}")).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "Custom role Auditor",
        "See the audit log",
        "Coach (custom)",
        "Custom team role Coach",
        "See all contacts",
        "Their own set in this team",
        "Manage groups",
    ] {
        assert!(body.contains(want), "{want}");
    }
    assert!(
        !body.contains("Built-in role"),
        "the custom role replaces the built-in one"
    );
}

#[tokio::test]
async fn the_timeline_pages_by_keyset_newest_first() {
    let (app, org, bob) = owner_and_bob().await;
    seed_events(&app, org, "ada@example.com", bob, "member.updated", 45).await;
    let url = format!("/orgs/{org}/members/{bob}");
    let (_, body) = app.client.page(&url).await;
    let mut seen = event_ids(&body);
    assert_eq!(seen.len(), 20);
    let mut page = body;
    while let Some(next) = pager(&page, "next") {
        let res = app.client.htmx_get(&format!("{url}?{next}")).await;
        page = res.text().await.unwrap();
        assert!(
            page.starts_with("<section id=\"timeline\""),
            "htmx gets the timeline alone"
        );
        seen.extend(event_ids(&page));
    }
    assert_eq!(seen.len(), 45);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(
        seen, sorted,
        "newest first (seeded an hour apart, the newest first)"
    );
}

#[tokio::test]
async fn another_organizations_member_is_a_404_and_members_see_only_themselves() {
    let (app, org, bob) = owner_and_bob().await;
    let (_, stranger) = super::elsewhere(&app).await;
    let res = app
        .client
        .get(&format!("/orgs/{org}/members/{stranger}"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .client
        .get(&format!("/orgs/{org}/members/not-a-number"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let bob_client = app.signed_in_client("bob@example.com", PASSWORD).await;
    let ada = crate::members::membership_id(&app, "ada@example.com").await;
    let res = bob_client.get(&format!("/orgs/{org}/members/{ada}")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let (status, own) = bob_client.page(&format!("/orgs/{org}/members/{bob}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        own.contains("disabled aria-describedby=\"edit-reason\"")
            && own.contains("You do not have permission to change members."),
        "the edit is disabled with the policy's reason"
    );
}

#[tokio::test]
async fn a_pending_member_shows_the_invited_address_and_nothing_from_elsewhere() {
    let (app, org, _) = owner_and_bob().await;
    let (other, _) = super::elsewhere(&app).await;
    let account = app
        .add_member(other, "secret@example.com", "Secret Person", "member")
        .await;
    exec(&app, format!("UPDATE accounts SET last_seen_at = now() WHERE id = {account};
        INSERT INTO memberships (organization_id, account_id, role, status) VALUES ({org}, {account}, 'member', 'pending')")).await;
    let pending = app
        .count(&format!(
            "SELECT id FROM memberships WHERE organization_id = {org} AND account_id = {account}"
        ))
        .await;
    let (status, body) = app
        .client
        .page(&format!("/orgs/{org}/members/{pending}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("secret@example.com"));
    assert!(
        !body.contains("Secret Person"),
        "the account's name is not the organization's to see"
    );
    assert!(body.contains("Last seen <span class=\"last-seen\">Never"));
    assert!(
        !body.contains("Account ID") && !body.contains("acct_"),
        "nor is which account holds the address"
    );
}

#[derive(diesel::QueryableByName)]
struct PublicId {
    #[diesel(sql_type = diesel::sql_types::Text)]
    public_id: String,
}
