//! The rules of a revoke, each with its test: never oneself, never the last
//! active Owner (also when two Owners revoke each other at once), only Owners
//! revoke Owners, `members.revoke` needed, the handover's target an active
//! member of that team, another organization's ids not found, and two
//! handovers meeting at once never half-written.

use reqwest::StatusCode;

use super::scene::{contacts, put_in_team, scene, sql};
use super::*;

#[tokio::test]
async fn nobody_revokes_their_own_access() {
    let s = scene().await;
    let ada = membership_id(&s.app, "ada@example.com").await;
    let res = s
        .app
        .client
        .htmx_get(&format!("/orgs/{}/members/{ada}/revoke", s.org))
        .await;
    let dialog = res.text().await.unwrap();
    assert!(dialog.contains("You cannot revoke your own access; ask another Owner or Admin."));
    assert!(
        dialog.contains("disabled title=\"You cannot revoke your own access"),
        "the button is disabled with the reason"
    );

    let res = s.revoke(&s.app.client, ada, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {ada} AND status = 'active'"
        ))
        .await,
        1
    );
    assert_eq!(
        s.count("SELECT count(*) FROM audit_events WHERE action = 'member.revoked'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_last_active_owner_cannot_be_revoked() {
    let (app, org, _, admin) = owner_admin_and_bob().await;
    let ada = membership_id(&app, "ada@example.com").await;
    let res = admin
        .htmx_get(&format!("/orgs/{org}/members/{ada}/revoke"))
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("The last Owner cannot be removed."));
    let res = admin
        .post_form(&format!("/orgs/{org}/members/{ada}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("The last Owner cannot be removed."));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {ada} AND status = 'active'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn only_owners_revoke_owners() {
    let (app, org, _, admin) = owner_admin_and_bob().await;
    let olga = join(&app, org, "olga@example.com", "Olga", "owner").await;
    let res = admin
        .htmx_get(&format!("/orgs/{org}/members/{olga}/revoke"))
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Only an Owner can change an Owner."));
    let res = admin
        .post_form(&format!("/orgs/{org}/members/{olga}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {olga} AND status = 'active'"
        ))
        .await,
        1
    );

    // Ada, an Owner, may.
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/members/{olga}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {olga} AND status = 'archived'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_member_without_members_revoke_cannot_revoke_anyone() {
    let (app, org, bob) = owner_and_bob().await;
    app.add_member(org, "viewer@example.com", "Vera", "member")
        .await;
    sql(&app, "UPDATE memberships m SET permissions = '{members.view}' FROM accounts a WHERE a.id = m.account_id AND a.email = 'viewer@example.com'".into()).await;
    let vera = app.signed_in_client("viewer@example.com", PASSWORD).await;
    let res = vera
        .htmx_get(&format!("/orgs/{org}/members/{bob}/revoke"))
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("You do not have permission to revoke members."));
    let res = vera
        .post_form(&format!("/orgs/{org}/members/{bob}/revoke"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'active'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn a_reassignment_target_must_be_an_active_member_of_that_team_or_nothing_changes() {
    let s = scene().await;
    let (app, org, bob) = (&s.app, s.org, s.bob);
    let sales = s.sales.to_string();
    // Dan is archived in Sales, Eve pending in Sales, Fay active but only in
    // Support, Gus active in another organization.
    let dan = join(app, org, "dan@example.com", "Dan", "member").await;
    put_in_team(app, org, s.sales, dan, "agent").await;
    sql(
        app,
        format!("UPDATE memberships SET status = 'archived' WHERE id = {dan}"),
    )
    .await;
    let eve = join(app, org, "eve@example.com", "Eve", "member").await;
    put_in_team(app, org, s.sales, eve, "agent").await;
    sql(
        app,
        format!("UPDATE memberships SET status = 'pending' WHERE id = {eve}"),
    )
    .await;
    let fay = join(app, org, "fay@example.com", "Fay", "member").await;
    put_in_team(app, org, s.support, fay, "agent").await;
    let other = globex(app).await;
    let gus = join(app, other, "gus@example.com", "Gus", "member").await;

    let before = s.bob_state().await;
    for (to, says) in [
        (dan.to_string(), "Dan's access is archived."),
        (
            eve.to_string(),
            "Eve has not accepted their invitation yet.",
        ),
        (fay.to_string(), "Fay is not in Sales."),
        (
            gus.to_string(),
            "That person is not a member of this organization.",
        ),
        (bob.to_string(), "cannot go to the person who is leaving"),
        ("".to_owned(), "Choose who takes over the contacts"),
        ("x".to_owned(), "Choose who takes over the contacts"),
    ] {
        let res = s
            .revoke(
                &app.client,
                bob,
                &[
                    (&format!("contacts_{sales}"), "reassign"),
                    (&format!("to_{sales}"), &to),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "to {to:?}");
        let body = res.text().await.unwrap().replace("&#39;", "'");
        assert!(body.contains(says), "to {to:?}: {body}");
        assert!(
            body.contains("Revoke Bob from the organization"),
            "the dialog again, with the choice kept"
        );
        assert_eq!(s.bob_state().await, before, "nothing changed for {to:?}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM membership_archives").await,
        0
    );
    let res = s
        .revoke(
            &app.client,
            bob,
            &[(&format!("contacts_{sales}"), "give away")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn two_owners_revoking_each_other_at_the_same_moment_leave_one_active_owner() {
    let (app, org) = owner().await;
    let ada = membership_id(&app, "ada@example.com").await;
    let olga = join(&app, org, "olga@example.com", "Olga", "owner").await;
    let olga_client = app.signed_in_client("olga@example.com", PASSWORD).await;
    for round in 0..4 {
        // Both pages are open: each holds a token, then both confirm at once.
        app.client
            .page(&format!("/orgs/{org}/members/{olga}/revoke"))
            .await;
        olga_client
            .page(&format!("/orgs/{org}/members/{ada}/revoke"))
            .await;
        let (revoke_olga, revoke_ada) = (
            format!("/orgs/{org}/members/{olga}/revoke"),
            format!("/orgs/{org}/members/{ada}/revoke"),
        );
        let (a, o) = tokio::join!(
            app.client.post_form(&revoke_olga, &[]),
            olga_client.post_form(&revoke_ada, &[]),
        );
        let statuses = [a.status(), o.status()];
        let done = statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count();
        assert_eq!(
            done, 1,
            "round {round}: exactly one revoke happens: {statuses:?}"
        );
        assert!(
            statuses.iter().all(|s| [
                StatusCode::SEE_OTHER,
                StatusCode::FORBIDDEN,
                StatusCode::NOT_FOUND
            ]
            .contains(s)),
            "round {round}: the other is refused cleanly: {statuses:?}"
        );
        assert_eq!(
            app.count(&format!("SELECT count(*) FROM memberships WHERE organization_id = {org} AND role = 'owner' AND status = 'active'")).await,
            1,
            "round {round}"
        );
        // Back to two active Owners for the next round.
        sql(&app, format!("UPDATE memberships SET status = 'active' WHERE organization_id = {org}; DELETE FROM membership_archives;")).await;
    }
}

#[tokio::test]
async fn another_organizations_members_are_not_found() {
    let (app, org) = owner().await;
    let other = globex(&app).await;
    let gus = join(&app, other, "gus@example.com", "Gus", "member").await;
    sql(
        &app,
        format!("UPDATE memberships SET status = 'archived' WHERE id = {gus}"),
    )
    .await;
    // Ada owns both; through Acme's URLs, Globex's member does not exist.
    for (get, path) in [
        (true, format!("/orgs/{org}/members/{gus}/revoke")),
        (false, format!("/orgs/{org}/members/{gus}/revoke")),
        (false, format!("/orgs/{org}/members/{gus}/restore")),
        (true, format!("/orgs/{org}/members/{gus}/delete")),
        (false, format!("/orgs/{org}/members/{gus}/delete")),
    ] {
        let res = if get {
            app.client.get(&path).await
        } else {
            app.client
                .post_form(&path, &[("confirm", "gus@example.com")])
                .await
        };
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {gus} AND status = 'archived'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn two_revokes_handing_contacts_to_each_other_at_once_never_half_write() {
    let s = scene().await;
    let (app, org, bob, carl, sales) = (&s.app, s.org, s.bob, s.carl, s.sales);
    contacts(app, org, sales, carl, 2, "Carls").await;
    app.add_member(org, "admin@example.com", "Ann", "admin")
        .await;
    let ann = app.signed_in_client("admin@example.com", PASSWORD).await;
    let (bob_id, carl_id, field) = (bob.to_string(), carl.to_string(), format!("to_{sales}"));
    let choice = format!("contacts_{sales}");
    for round in 0..3 {
        app.client.page(&format!("/orgs/{org}/members")).await;
        ann.page(&format!("/orgs/{org}/members")).await;
        let (revoke_bob, revoke_carl) = (
            format!("/orgs/{org}/members/{bob}/revoke"),
            format!("/orgs/{org}/members/{carl}/revoke"),
        );
        let to_carl = [
            (choice.as_str(), "reassign"),
            (field.as_str(), carl_id.as_str()),
        ];
        let to_bob = [
            (choice.as_str(), "reassign"),
            (field.as_str(), bob_id.as_str()),
        ];
        let (a, b) = tokio::join!(
            app.client.post_form(&revoke_bob, &to_carl),
            ann.post_form(&revoke_carl, &to_bob),
        );
        let statuses = [a.status(), b.status()];
        assert!(
            statuses.iter().all(|s| [
                StatusCode::SEE_OTHER,
                StatusCode::CONFLICT,
                StatusCode::UNPROCESSABLE_ENTITY
            ]
            .contains(s)),
            "round {round}: {statuses:?}"
        );
        assert!(
            statuses.contains(&StatusCode::SEE_OTHER),
            "round {round}: one of them happens: {statuses:?}"
        );
        assert_eq!(
            s.count("SELECT count(*) FROM contacts c JOIN memberships m ON m.id = c.assignee_membership_id WHERE m.status <> 'active'").await,
            0,
            "round {round}: no contact is left with someone archived"
        );
        assert_eq!(
            s.count(&format!("SELECT count(*) FROM memberships WHERE organization_id = {org} AND status = 'archived'")).await,
            s.count("SELECT count(*) FROM audit_events WHERE action = 'member.revoked'").await,
            "round {round}: one event per archived member"
        );
        // Both back in Sales with two contacts each for the next round.
        sql(
            app,
            format!(
                "UPDATE memberships SET status = 'active' WHERE organization_id = {org};
                 DELETE FROM membership_archives; DELETE FROM audit_events;
                 INSERT INTO team_memberships (organization_id, team_id, membership_id, role)
                   VALUES ({org}, {sales}, {bob}, 'agent'), ({org}, {sales}, {carl}, 'agent') ON CONFLICT DO NOTHING;
                 UPDATE contacts SET assignee_membership_id = CASE WHEN name LIKE 'Sales%' THEN {bob} ELSE {carl} END
                   WHERE team_id = {sales};"
            ),
        )
        .await;
    }
}
