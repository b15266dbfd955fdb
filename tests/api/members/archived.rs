//! The Archived tab: who archived each member, when and what they held;
//! restoring them as they were (a free seat needed, deleted teams skipped),
//! and deleting them for good behind a typed confirmation.

use reqwest::StatusCode;

use super::scene::{dora_invited_by, scene, sql, Scene};
use super::*;
use crate::html::Page;

/// The scene with Bob revoked by Ada, his contacts unassigned.
async fn bob_archived() -> Scene {
    let s = scene().await;
    let res = s.revoke(&s.app.client, s.bob, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    s
}

async fn restore(s: &Scene, client: &TestClient, member: i64) -> reqwest::Response {
    client
        .post_form(&format!("/orgs/{}/members/{member}/restore", s.org), &[])
        .await
}

async fn delete(s: &Scene, client: &TestClient, member: i64, typed: &str) -> reqwest::Response {
    client
        .post_form(
            &format!("/orgs/{}/members/{member}/delete", s.org),
            &[("confirm", typed)],
        )
        .await
}

#[tokio::test]
async fn the_archived_tab_shows_who_archived_them_when_and_what_they_held() {
    let s = bob_archived().await;
    let org = s.org;
    let (status, page) = s
        .app
        .client
        .page(&format!("/orgs/{org}/members/archived"))
        .await;
    assert_eq!(status, StatusCode::OK);
    for shown in [
        "1 archived member",
        "<strong>Bob</strong>",
        "by Ada Lovelace",
        "<span class=\"chip\">Sales · Supervisor</span>",
        "<span class=\"chip\">Support · Agent</span>",
        "Groups: Tier 1 (Support)",
        "Restore",
        "Delete permanently…",
        "never changes the number of seats purchased",
    ] {
        assert!(page.contains(shown), "the tab shows {shown:?}:\n{page}");
    }
    assert!(page.contains(&format!("href=\"/orgs/{org}/settings/plan\"")));
    // Bob is no longer on the members tab, and the tab's search narrows it.
    let (_, members) = s.app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(!members.contains(&format!("id=\"member-{}\"", s.bob)));
    let res = s
        .app
        .client
        .htmx_get(&format!("/orgs/{org}/members/archived?q=nobody"))
        .await;
    let table = res.text().await.unwrap();
    assert!(table.starts_with("<div id=\"archived-table\""));
    assert!(table.contains("No archived member matches"));
}

#[tokio::test]
async fn an_empty_archived_tab_says_what_lands_there() {
    let (app, org) = owner().await;
    let (_, page) = app
        .client
        .page(&format!("/orgs/{org}/members/archived"))
        .await;
    assert!(page.contains("Nobody is archived."));
}

#[tokio::test]
async fn restore_brings_back_role_permissions_teams_and_groups_as_they_were() {
    let s = scene().await;
    let (org, bob) = (s.org, s.bob);
    sql(&s.app, format!("UPDATE memberships SET role = 'manager', permissions = '{{members.view}}' WHERE id = {bob}")).await;
    let before = s
        .count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob}"
        ))
        .await;
    assert_eq!(
        s.revoke(&s.app.client, bob, &[]).await.status(),
        StatusCode::SEE_OTHER
    );

    let res = restore(&s, &s.app.client, bob).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orgs/{org}/members/archived"));
    let (_, page) = s.app.client.page(&location(&res)).await;
    assert!(page.contains("Bob is restored with their role, permissions, teams and groups."));

    assert_eq!(s.count(&format!("SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'active' AND role = 'manager' AND permissions = '{{members.view}}'")).await, 1);
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob}"
        ))
        .await,
        before
    );
    assert_eq!(s.count(&format!("SELECT count(*) FROM team_memberships WHERE membership_id = {bob} AND team_id = {} AND role = 'agent'", s.support)).await, 1);
    assert_eq!(s.count(&format!("SELECT count(*) FROM team_memberships WHERE membership_id = {bob} AND team_id = {} AND role = 'supervisor'", s.sales)).await, 1);
    assert_eq!(s.count(&format!("SELECT count(*) FROM group_members gm JOIN team_memberships tm ON tm.id = gm.team_membership_id WHERE tm.membership_id = {bob} AND gm.group_id = {}", s.tier1)).await, 1);
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM membership_archives WHERE membership_id = {bob}"
        ))
        .await,
        0
    );
    assert_eq!(
        s.count("SELECT count(*) FROM contacts WHERE assignee_membership_id IS NOT NULL")
            .await,
        0,
        "contacts are not moved back"
    );
    assert_eq!(s.count(&format!("SELECT count(*) FROM audit_events WHERE action = 'member.restored' AND target_id = '{bob}' AND before ->> 'name' = 'Bob'")).await, 1);

    // Bob's session works in the organization again.
    let bob_client = s.app.signed_in_client("bob@example.com", PASSWORD).await;
    assert_eq!(
        bob_client
            .get(&format!("/orgs/{org}/teams/{}", s.support))
            .await
            .status(),
        StatusCode::OK
    );
    // Restoring twice says so.
    let res = restore(&s, &s.app.client, bob).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("Bob is not archived"));
}

#[tokio::test]
async fn restore_skips_teams_and_groups_deleted_meanwhile_and_says_so() {
    let s = bob_archived().await;
    let (org, bob) = (s.org, s.bob);
    sql(&s.app, format!("DELETE FROM teams WHERE id = {}", s.sales)).await;
    sql(&s.app, format!("DELETE FROM groups WHERE id = {}", s.tier1)).await;

    let res = s
        .app
        .client
        .htmx_post(&format!("/orgs/{org}/members/{bob}/restore"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["hx-trigger"], "members-changed");
    let toast = res.text().await.unwrap();
    assert!(toast.contains("the team Sales (deleted)"), "{toast}");
    assert!(
        toast.contains("the group Tier 1 in Support (deleted)"),
        "{toast}"
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob}"
        ))
        .await,
        1
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'active'"
        ))
        .await,
        1
    );
    assert_eq!(s.count("SELECT count(*) FROM audit_events WHERE action = 'member.restored' AND jsonb_array_length(after -> 'skipped') = 2").await, 1);
}

#[tokio::test]
async fn restore_needs_a_free_seat_and_says_how_many_there_are() {
    let s = bob_archived().await;
    let (org, bob) = (s.org, s.bob);
    // Ada and Carl are active; two seats purchased, both in use.
    sql(
        &s.app,
        format!("UPDATE organizations SET seats_purchased = 2 WHERE id = {org}"),
    )
    .await;

    let res = restore(&s, &s.app.client, bob).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("All 2 seats are in use, so Bob cannot be restored."),
        "{page}"
    );
    assert!(page.contains(&format!(
        "href=\"/orgs/{org}/settings/plan\">Plan &amp; seats</a>"
    )));
    let res = s
        .app
        .client
        .htmx_post(&format!("/orgs/{org}/members/{bob}/restore"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("All 2 seats are in use"));
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'archived'"
        ))
        .await,
        1
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob}"
        ))
        .await,
        0
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM membership_archives WHERE membership_id = {bob}"
        ))
        .await,
        1
    );
    assert_eq!(
        s.count("SELECT count(*) FROM audit_events WHERE action = 'member.restored'")
            .await,
        0
    );
}

#[tokio::test]
async fn restore_and_delete_need_members_revoke() {
    let s = bob_archived().await;
    let (app, org, bob) = (&s.app, s.org, s.bob);
    app.add_member(org, "viewer@example.com", "Vera", "member")
        .await;
    sql(app, "UPDATE memberships m SET permissions = '{members.view}' FROM accounts a WHERE a.id = m.account_id AND a.email = 'viewer@example.com'".into()).await;
    let vera = app.signed_in_client("viewer@example.com", PASSWORD).await;
    let (_, page) = vera.page(&format!("/orgs/{org}/members/archived")).await;
    assert!(page.contains("disabled title=\"You do not have permission to restore members.\""));
    assert!(page.contains("You do not have permission to delete members."));
    assert_eq!(
        restore(&s, &vera, bob).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        delete(&s, &vera, bob, "bob@example.com").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'archived'"
        ))
        .await,
        1
    );
    // A plain member, who sees only themselves, has no Archived tab at all.
    app.add_member(org, "plain@example.com", "Pat", "member")
        .await;
    let pat = app.signed_in_client("plain@example.com", PASSWORD).await;
    assert_eq!(
        pat.get(&format!("/orgs/{org}/members/archived"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(restore(&s, &pat, bob).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_an_owner_restores_or_deletes_an_archived_owner() {
    let (app, org, _, admin) = owner_admin_and_bob().await;
    let olga = join(&app, org, "olga@example.com", "Olga", "owner").await;
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/members/{olga}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = admin
        .post_form(&format!("/orgs/{org}/members/{olga}/restore"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = admin
        .post_form(
            &format!("/orgs/{org}/members/{olga}/delete"),
            &[("confirm", "olga@example.com")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/members/{olga}/restore"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.count(&format!("SELECT count(*) FROM memberships WHERE id = {olga} AND status = 'active' AND role = 'owner'")).await, 1);
}

#[tokio::test]
async fn delete_asks_for_the_typed_email_and_changes_nothing_without_it() {
    let s = bob_archived().await;
    let (org, bob) = (s.org, s.bob);
    let res = s
        .app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{bob}/delete"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let dialog = res.text().await.unwrap();
    assert!(dialog.contains("This cannot be undone."));
    assert!(dialog.contains("never changes the number of seats purchased"));
    assert!(Page::parse(&dialog)
        .texts("strong")
        .contains(&"bob@example.com".to_owned()));

    for typed in [
        "",
        "bob",
        "carl@example.com",
        "bob@example.com.",
        &"x".repeat(5000),
    ] {
        let res = delete(&s, &s.app.client, bob, typed).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{typed:?}");
        let body = res.text().await.unwrap();
        assert!(
            body.contains("type their email address, bob@example.com, exactly"),
            "{body}"
        );
        assert_eq!(
            s.count(&format!(
                "SELECT count(*) FROM memberships WHERE id = {bob}"
            ))
            .await,
            1
        );
    }
    assert_eq!(
        s.count("SELECT count(*) FROM audit_events WHERE action = 'member.deleted'")
            .await,
        0
    );
    // An active member cannot be deleted at all.
    let res = delete(&s, &s.app.client, s.carl, "carl@example.com").await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("Revoke Carl"));
}

#[tokio::test]
async fn deleting_removes_the_membership_and_an_account_that_belongs_nowhere_else() {
    let s = bob_archived().await;
    let (org, bob) = (s.org, s.bob);
    let bob_client = s.app.signed_in_client("bob@example.com", PASSWORD).await;
    let seats = s
        .count(&format!(
            "SELECT seats_purchased::bigint FROM organizations WHERE id = {org}"
        ))
        .await;

    let res = delete(&s, &s.app.client, bob, " BOB@example.com ").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = s.app.client.page(&location(&res)).await;
    assert!(
        page.contains("Bob is deleted for good, with their account."),
        "{page}"
    );
    assert!(page.contains(&format!("still has {seats} seats purchased")));

    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob}"
        ))
        .await,
        0
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM membership_archives WHERE membership_id = {bob}"
        ))
        .await,
        0
    );
    assert_eq!(
        s.count("SELECT count(*) FROM accounts WHERE email = 'bob@example.com'")
            .await,
        0
    );
    assert_eq!(s.count("SELECT count(*) FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.email = 'bob@example.com'").await, 0);
    assert_eq!(
        bob_client.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "Bob's session is gone"
    );
    assert_eq!(
        s.count(&format!(
            "SELECT seats_purchased::bigint FROM organizations WHERE id = {org}"
        ))
        .await,
        seats,
        "purchased seats never change"
    );
    assert_eq!(
        s.count(&format!("SELECT count(*) FROM audit_events WHERE action = 'member.deleted' AND target_id = '{bob}'
            AND before ->> 'name' = 'Bob' AND before ->> 'email' = 'bob@example.com' AND before ->> 'archived_by' = 'Ada Lovelace'")).await,
        1
    );
    assert_eq!(
        s.count(&format!("SELECT count(*) FROM audit_events WHERE action = 'member.revoked' AND target_id = '{bob}' AND before ->> 'name' = 'Bob'")).await,
        1,
        "earlier events keep the name as it was"
    );
    let (_, tab) = s
        .app
        .client
        .page(&format!("/orgs/{org}/members/archived"))
        .await;
    assert!(tab.contains("Nobody is archived."));
}

#[tokio::test]
async fn deleting_keeps_an_account_that_belongs_to_another_organization() {
    let s = bob_archived().await;
    let (app, org, bob) = (&s.app, s.org, s.bob);
    let other = globex(app).await;
    sql(app, format!("INSERT INTO memberships (organization_id, account_id, role, status) SELECT {other}, account_id, 'member', 'active' FROM memberships WHERE id = {bob}")).await;
    let bob_client = app.signed_in_client("bob@example.com", PASSWORD).await;

    let res = delete(&s, &app.client, bob, "bob@example.com").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob}"
        ))
        .await,
        0
    );
    assert_eq!(
        s.count("SELECT count(*) FROM accounts WHERE email = 'bob@example.com'")
            .await,
        1
    );
    assert_eq!(
        bob_client.get(&format!("/orgs/{other}")).await.status(),
        StatusCode::OK,
        "Bob works on in Globex"
    );
    assert_eq!(
        bob_client.get(&format!("/orgs/{org}")).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_invitation_sent_by_a_deleted_account_still_shows_its_sender() {
    let s = bob_archived().await;
    let (org, bob) = (s.org, s.bob);
    dora_invited_by(&s, bob).await;
    assert_eq!(
        delete(&s, &s.app.client, bob, "bob@example.com")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(s.count("SELECT count(*) FROM invitations WHERE status = 'pending' AND inviter_account_id IS NULL").await, 1);
    let (_, page) = s
        .app
        .client
        .page(&format!("/orgs/{org}/members?status=pending"))
        .await;
    assert!(page.contains("Invited by Bob on"), "{page}");
}
