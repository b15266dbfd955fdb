//! Adding by account ID, the rules: bad IDs each get a clear message and
//! write nothing; the plan, feature, seat and permission rules of inviting
//! apply; and the inviter learns nothing of the account but "invited".

use reqwest::StatusCode;

use super::joining::{add_by_id, count, grace_elsewhere, public_id_of, shown_id};
use crate::helpers::{spawn_app, SmtpServer, TestApp, PASSWORD};
use crate::invitations::{app_with_smtp, enable_invites, invite};
use crate::teams::{create_team, exec, team_member_client};

/// Nothing was written by a refused request: no invitation, no pending
/// membership, no email, no audit event.
async fn nothing_written(app: &TestApp) {
    for (what, sql) in [
        ("invitations", "SELECT count(*) FROM invitations"),
        (
            "pending memberships",
            "SELECT count(*) FROM memberships WHERE status = 'pending'",
        ),
        ("emails", "SELECT count(*) FROM outbox"),
        (
            "audit events",
            "SELECT count(*) FROM audit_events WHERE action LIKE 'invitation.%'",
        ),
    ] {
        assert_eq!(count(app, sql).await, 0, "{what}");
    }
}

#[tokio::test]
async fn malformed_unknown_own_and_member_ids_each_get_a_clear_message_and_change_nothing() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    app.add_member(org, "arch@example.com", "Archie", "member")
        .await;
    exec(&app, "UPDATE memberships SET status = 'archived' WHERE account_id = (SELECT id FROM accounts WHERE email = 'arch@example.com')").await;
    let ada = shown_id(&app.client).await;
    let bob = shown_id(&app.signed_in_client("bob@example.com", PASSWORD).await).await;
    let archie = shown_id(&app.signed_in_client("arch@example.com", PASSWORD).await).await;
    let long = "A".repeat(10_000);
    let looks_like = "An account ID looks like acct_7K3M9QZ2XW4HB8RT";

    for (id, status, message) in [
        (
            "",
            422,
            "Enter the account ID from the person&#39;s profile page.",
        ),
        ("acct_123", 422, looks_like),
        ("acct_7K3M9QZ2XW4HB8RU", 422, looks_like),
        ("acct_7K3M9QZ2XW4HB8R\u{0}", 422, looks_like),
        ("acct_7K3M9QZ2XW4HB8R😀", 422, looks_like),
        ("bob@example.com", 422, looks_like),
        (long.as_str(), 422, "An account ID is 21 characters long."),
        (
            "acct_0000000000000000",
            422,
            "No account has the ID acct_0000000000000000. Check it with the person",
        ),
        (
            ada.as_str(),
            422,
            "That is your own account ID; ask the person for theirs.",
        ),
        (bob.as_str(), 409, "is already a member."),
        (
            archie.as_str(),
            409,
            "was a member and is archived; restore them instead.",
        ),
    ] {
        let res = app
            .client
            .htmx_post(
                &format!("/orgs/{org}/members/add-by-id"),
                &[("account_id", id), ("role", "member")],
            )
            .await;
        let label: String = id.chars().take(30).collect();
        assert_eq!(res.status().as_u16(), status, "{label:?}");
        let body = res.text().await.unwrap();
        assert!(
            body.starts_with("<form id=\"add-by-id-form\""),
            "the dialog alone"
        );
        assert!(body.contains(message), "{label:?}: {message}\n{body}");
    }
    nothing_written(&app).await;

    // Pending already (invited by address): said so, nothing more.
    invite(&app, org, "pat@example.com", &[]).await;
    let pat = public_id_of(&app, "pat@example.com").await;
    let res = add_by_id(&app.client, org, &pat, &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(&format!("{pat} is already invited.")));
    assert_eq!(count(&app, "SELECT count(*) FROM invitations").await, 1);

    // A team of another organization is as unknown as a made-up one.
    let umbrella = app.other_org("Umbrella").await;
    exec(&app, &format!("INSERT INTO teams (id, organization_id, name, workflow_id) VALUES (77, {umbrella}, 'Theirs', 'wf_t')")).await;
    let (_, id) = grace_elsewhere(&app).await;
    let res = add_by_id(&app.client, org, &id, &[("team_77", "agent")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("That team does not exist."));
    assert_eq!(count(&app, "SELECT count(*) FROM invitations").await, 1);
}

#[tokio::test]
async fn adding_by_id_follows_the_plan_feature_seat_and_permission_rules() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let (_, id) = grace_elsewhere(&app).await;

    // Free plan: no User management.
    let res = add_by_id(&app.client, org, &id, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Inviting needs the User management feature, which comes with the Pro plan."));

    // Every seat taken.
    enable_invites(&app, org, 1).await;
    let res = add_by_id(&app.client, org, &id, &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("All 1 seats are in use."));

    // A team manager who may not invite sees no dialog and may not post it.
    enable_invites(&app, org, 10).await;
    let team = create_team(&app.client, org, "Support").await;
    let (tm, _) = team_member_client(&app, org, team, "tm@example.com", "team_manager").await;
    let (_, members) = tm.page(&format!("/orgs/{org}/members")).await;
    assert!(!members.contains("Add by account ID"));
    let (status, _) = tm.page(&format!("/orgs/{org}/members/add-by-id")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let res = add_by_id(&tm, org, &id, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // An Admin may not add someone as Owner, nor grant more than they hold.
    app.add_member(org, "admin@example.com", "Ann", "admin")
        .await;
    let admin = app.signed_in_client("admin@example.com", PASSWORD).await;
    let res = add_by_id(&admin, org, &id, &[("role", "owner")]).await;
    let status = res.status();
    let body = res.text().await.unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("Only an Owner can invite an Owner."));

    // Someone else's organization: not found.
    let globex = app
        .count("SELECT organization_id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'grace@example.com'")
        .await;
    let res = add_by_id(&app.client, globex, &id, &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    nothing_written(&app).await;
}

#[tokio::test]
async fn the_inviter_sees_only_the_account_id_until_the_invitation_is_accepted() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let team = create_team(&app.client, org, "Support").await;
    let (grace, id) = grace_elsewhere(&app).await;
    add_by_id(&app.client, org, &id, &[]).await;
    let member = app
        .count("SELECT id FROM memberships WHERE status = 'pending'")
        .await;
    let secrets = ["grace@example.com", "Grace Secret-Name", "Globex"];

    let mut pages = Vec::new();
    for path in [
        format!("/orgs/{org}/members"),
        format!("/orgs/{org}/members?q={}", id.to_lowercase()),
        format!("/orgs/{org}/members?sort=email"),
        format!("/orgs/{org}/members/{member}/edit"),
        format!("/orgs/{org}/teams/{team}"),
    ] {
        let (status, page) = app.client.page(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        pages.push((path, page));
    }
    for (path, page) in &pages {
        for secret in secrets {
            assert!(!page.contains(secret), "{path} shows {secret}");
        }
    }
    assert!(pages[0].1.contains(&id) && pages[1].1.contains(&id));
    assert!(
        pages[4].1.contains(&format!("{id} · pending")),
        "the team's add list"
    );
    assert!(
        !pages[0].1.contains("Copy link"),
        "no link for an in-app invitation"
    );
    // Searching by the address finds nobody.
    let (_, page) = app
        .client
        .page(&format!("/orgs/{org}/members?q=grace"))
        .await;
    assert!(!page.contains(&format!("id=\"member-{member}\"")));

    // No link to copy (it would name the address), and revoking names the ID.
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{member}/invitation/link"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = res.text().await.unwrap();
    assert!(body.contains("This invitation was made by account ID"));
    assert!(!body.contains("grace@example.com"));
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{member}/invitation/revoke"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(page.contains(&format!("Invitation for {id} revoked")));
    assert_eq!(
        count(&app, "SELECT count(*) FROM audit_events WHERE after::text LIKE '%grace@%' OR before::text LIKE '%grace@%'").await,
        0,
        "the audit log holds only the ID"
    );
    // Revoked: Grace has nothing left to answer.
    let (_, list) = grace.page("/invitations").await;
    assert!(list.contains("No open invitations"));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM invitations WHERE status = 'pending'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn racing_accepts_and_declines_leave_one_answer_and_a_whole_state() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let (grace, id) = grace_elsewhere(&app).await;
    add_by_id(&app.client, org, &id, &[]).await;
    let invitation = super::joining::invitation_of(&app, "grace@example.com").await;

    let paths: Vec<String> = (0..10)
        .map(|i| {
            let answer = if i % 2 == 0 { "accept" } else { "decline" };
            format!("/invitations/{invitation}/{answer}")
        })
        .collect();
    let results =
        futures_util::future::join_all(paths.iter().map(|path| grace.post_form(path, &[]))).await;

    // Each answer is a redirect (the winner's, or "already answered") or,
    // after a decline took the membership away, a plain 404: never a 500.
    for res in &results {
        assert!(
            matches!(res.status().as_u16(), 303 | 404),
            "{}",
            res.status()
        );
    }
    let accepted = count(
        &app,
        &format!(
            "SELECT count(*) FROM invitations WHERE id = {invitation} AND status = 'accepted'"
        ),
    )
    .await;
    let declined = count(
        &app,
        &format!(
            "SELECT count(*) FROM invitations WHERE id = {invitation} AND status = 'declined'"
        ),
    )
    .await;
    assert_eq!(accepted + declined, 1, "one answer");
    assert_eq!(
        count(&app, &format!("SELECT count(*) FROM memberships WHERE organization_id = {org} AND status = 'active'")).await,
        1 + accepted,
        "active only if accepted"
    );
    assert_eq!(
        count(&app, "SELECT count(*) FROM audit_events WHERE action IN ('invitation.accepted', 'invitation.declined')").await,
        1
    );
}
