//! Revoking a member from the organization: the preview of what they hold,
//! the contacts handover per team, the archive, their next request refused,
//! and the rules (never oneself, never the last Owner, only Owners revoke
//! Owners, the handover's target an active member of that team). Restore and
//! delete are in `archived`.

use reqwest::StatusCode;

use super::*;

/// The usual scene: Ada (Owner, signed in), Bob (member) in Support as an
/// Agent in the group "Tier 1" that provides "Phone", and in Sales as a
/// Supervisor; Carl, an active member of both teams; 3 contacts of Bob's in
/// Support and 2 in Sales.
pub struct Scene {
    pub app: TestApp,
    pub org: i64,
    pub bob: i64,
    pub carl: i64,
    pub support: i64,
    pub sales: i64,
    pub tier1: i64,
}

pub async fn team(app: &TestApp, org: i64, name: &str) -> i64 {
    let quoted = name_sql(name);
    sql(
        app,
        format!(
            "INSERT INTO teams (organization_id, name, workflow_id)
             VALUES ({org}, {quoted}, 'wf_' || md5({quoted}) || '_{org}')"
        ),
    )
    .await;
    let name = quoted;
    app.count(&format!(
        "SELECT id FROM teams WHERE organization_id = {org} AND name = {name}"
    ))
    .await
}

fn name_sql(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Runs SQL on the test database.
pub async fn sql(app: &TestApp, statements: String) {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&statements).unwrap();
    })
    .await;
}

/// Puts `member` into `team` with `role`; the team membership id.
pub async fn put_in_team(app: &TestApp, org: i64, team: i64, member: i64, role: &str) -> i64 {
    sql(
        app,
        format!(
            "INSERT INTO team_memberships (organization_id, team_id, membership_id, role)
             VALUES ({org}, {team}, {member}, '{role}')"
        ),
    )
    .await;
    app.count(&format!(
        "SELECT id FROM team_memberships WHERE team_id = {team} AND membership_id = {member}"
    ))
    .await
}

/// `n` contacts in `team` assigned to `member`, inserted directly (the
/// Contacts tab is built separately).
pub async fn contacts(app: &TestApp, org: i64, team: i64, member: i64, n: i64, prefix: &str) {
    sql(
        app,
        format!(
            "INSERT INTO contacts (organization_id, team_id, name, assignee_membership_id)
             SELECT {org}, {team}, '{prefix} ' || g, {member} FROM generate_series(1, {n}) g"
        ),
    )
    .await;
}

pub async fn scene() -> Scene {
    let (app, org, bob) = owner_and_bob().await;
    let carl = join(&app, org, "carl@example.com", "Carl", "member").await;
    let support = team(&app, org, "Support").await;
    let sales = team(&app, org, "Sales").await;
    let bob_support = put_in_team(&app, org, support, bob, "agent").await;
    put_in_team(&app, org, sales, bob, "supervisor").await;
    put_in_team(&app, org, support, carl, "agent").await;
    put_in_team(&app, org, sales, carl, "agent").await;
    sql(
        &app,
        format!(
            "INSERT INTO groups (organization_id, team_id, name) VALUES ({org}, {support}, 'Tier 1');
             INSERT INTO services (organization_id, team_id, name) VALUES ({org}, {support}, 'Phone');
             INSERT INTO group_members (group_id, team_membership_id)
               SELECT id, {bob_support} FROM groups WHERE team_id = {support};
             INSERT INTO group_services (group_id, service_id)
               SELECT g.id, s.id FROM groups g, services s WHERE g.team_id = {support} AND s.team_id = {support};"
        ),
    )
    .await;
    let tier1 = app
        .count(&format!("SELECT id FROM groups WHERE team_id = {support}"))
        .await;
    contacts(&app, org, support, bob, 3, "Support contact").await;
    contacts(&app, org, sales, bob, 2, "Sales contact").await;
    Scene {
        app,
        org,
        bob,
        carl,
        support,
        sales,
        tier1,
    }
}

/// Dora, pending, invited by `inviter` (a membership of the scene's organization).
pub async fn dora_invited_by(s: &Scene, inviter: i64) {
    let org = s.org;
    let dora = join(&s.app, org, "dora@example.com", "Dora", "member").await;
    sql(
        &s.app,
        format!(
            "UPDATE memberships SET status = 'pending' WHERE id = {dora};
             INSERT INTO invitations (organization_id, membership_id, email, role, inviter_account_id, token_hash, expires_at)
             SELECT {org}, {dora}, 'dora@example.com', 'member', account_id, '\\x02', now() + interval '7 days'
             FROM memberships WHERE id = {inviter}"
        ),
    )
    .await;
}

impl Scene {
    pub async fn count(&self, sql: &str) -> i64 {
        self.app.count(sql).await
    }

    pub async fn revoke(
        &self,
        client: &TestClient,
        member: i64,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post_form(
                &format!("/orgs/{}/members/{member}/revoke", self.org),
                fields,
            )
            .await
    }

    /// Bob's contacts, teams, groups and status as a comparable snapshot.
    pub async fn bob_state(&self) -> (i64, i64, i64, i64, i64) {
        let bob = self.bob;
        (
            self.count(&format!("SELECT count(*) FROM contacts WHERE assignee_membership_id = {bob}")).await,
            self.count(&format!("SELECT count(*) FROM team_memberships WHERE membership_id = {bob}")).await,
            self.count(&format!("SELECT count(*) FROM group_members gm JOIN team_memberships tm ON tm.id = gm.team_membership_id WHERE tm.membership_id = {bob}")).await,
            self.count(&format!("SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'active'")).await,
            self.count("SELECT count(*) FROM audit_events WHERE action = 'member.revoked'").await,
        )
    }
}

#[tokio::test]
async fn the_revoke_dialog_shows_everything_the_member_holds_first() {
    let s = scene().await;
    let (org, bob) = (s.org, s.bob);
    sql(
        &s.app,
        format!(
            "INSERT INTO invitations (organization_id, email, role, inviter_account_id, token_hash, expires_at)
             SELECT {org}, 'dora@example.com', 'member', account_id, '\\x01', now() + interval '7 days'
             FROM memberships WHERE id = {bob}"
        ),
    )
    .await;

    let res = s
        .app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{bob}/revoke"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let dialog = res.text().await.unwrap();
    assert!(
        dialog.starts_with("<section class=\"card revoke-dialog\""),
        "a fragment for htmx"
    );
    for held in [
        "Revoke Bob from the organization",
        "<td>Support</td><td>Agent</td><td>Tier 1</td><td>Phone</td>",
        "<td>Sales</td><td>Supervisor</td>",
        &format!(
            "href=\"/orgs/{org}/teams/{}/contacts?assignee={bob}\">3 contacts</a>",
            s.support
        ),
        &format!(
            "href=\"/orgs/{org}/teams/{}/contacts?assignee={bob}\">2 contacts</a>",
            s.sales
        ),
        "dora@example.com",
        "Contacts reassigned now are not moved back by a restore.",
        "Carl (carl@example.com)",
    ] {
        assert!(
            dialog.contains(held),
            "the dialog shows {held:?}:\n{dialog}"
        );
    }
    assert!(
        dialog.contains("value=\"unassign\" checked"),
        "unassign is the default"
    );
    assert!(
        !dialog.contains("disabled title"),
        "the Owner may revoke Bob"
    );

    // Without JavaScript, the same dialog is a page.
    let (status, page) = s
        .app
        .client
        .page(&format!("/orgs/{org}/members/{bob}/revoke"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<!doctype html>") && page.contains("Revoke Bob from the organization"));
    assert_eq!(
        s.bob_state().await,
        (5, 2, 1, 1, 0),
        "looking changes nothing"
    );
}

#[tokio::test]
async fn revoking_archives_the_member_out_of_every_team_and_hands_over_their_contacts() {
    let s = scene().await;
    let (org, bob, carl) = (s.org, s.bob, s.carl);
    let seats_before = s.count(&format!("SELECT count(*) FROM memberships WHERE organization_id = {org} AND status IN ('active', 'pending')")).await;
    let (support, sales) = (s.support.to_string(), s.sales.to_string());
    let carl_id = carl.to_string();

    let res = s
        .revoke(
            &s.app.client,
            bob,
            &[
                (&format!("contacts_{support}"), "unassign"),
                (&format!("contacts_{sales}"), "reassign"),
                (&format!("to_{sales}"), &carl_id),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/orgs/{org}/members"));
    let (_, page) = s.app.client.page(&format!("/orgs/{org}/members")).await;
    let page = page.replace("&#39;", "'");
    assert!(page.contains("Bob's access is revoked"));
    assert!(page.contains("3 contacts in Support are unassigned."));
    assert!(page.contains("2 contacts in Sales went to Carl."));

    assert_eq!(s.count(&format!("SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'archived' AND role = 'member'")).await, 1);
    assert_eq!(
        s.bob_state().await,
        (0, 0, 0, 0, 1),
        "out of every team and group, one event"
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM contacts WHERE team_id = {} AND assignee_membership_id IS NULL",
            s.support
        ))
        .await,
        3
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM contacts WHERE team_id = {} AND assignee_membership_id = {carl}",
            s.sales
        ))
        .await,
        2
    );
    assert_eq!(
        s.count(&format!("SELECT count(*) FROM membership_archives WHERE membership_id = {bob}
            AND archived_by_name = 'Ada Lovelace' AND jsonb_array_length(held -> 'teams') = 2
            AND held @> '{{\"teams\": [{{\"name\": \"Support\", \"role\": \"agent\", \"groups\": [{{\"name\": \"Tier 1\"}}]}}]}}'")).await,
        1,
        "what Bob held is kept"
    );
    assert_eq!(
        s.count(&format!("SELECT count(*) FROM audit_events WHERE action = 'member.revoked' AND target_id = '{bob}'
            AND before ->> 'name' = 'Bob' AND before ->> 'email' = 'bob@example.com'
            AND after -> 'contacts' @> '[{{\"unassigned\": 3}}, {{\"reassigned\": 2, \"to\": {carl}}}]'")).await,
        1,
        "the audit event records it all"
    );
    let seats_after = s.count(&format!("SELECT count(*) FROM memberships WHERE organization_id = {org} AND status IN ('active', 'pending')")).await;
    assert_eq!(seats_after, seats_before - 1, "the seat is freed");
    let (_, plan) = s
        .app
        .client
        .page(&format!("/orgs/{org}/settings/plan"))
        .await;
    assert!(
        plan.contains(&format!("<dd id=\"seats-used\">{seats_after}</dd>")),
        "Plan & seats counts it"
    );
}

#[tokio::test]
async fn a_revoked_members_live_session_is_refused_at_their_next_request() {
    let s = scene().await;
    let (org, bob) = (s.org, s.bob);
    let bob_client = s.app.signed_in_client("bob@example.com", PASSWORD).await;
    assert_eq!(
        bob_client
            .get(&format!("/orgs/{org}/members"))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        bob_client
            .get(&format!("/orgs/{org}/teams/{}", s.support))
            .await
            .status(),
        StatusCode::OK
    );

    let res = s.revoke(&s.app.client, bob, &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // The same session, still signed in: every page of the organization is gone.
    for path in [
        format!("/orgs/{org}"),
        format!("/orgs/{org}/members"),
        format!("/orgs/{org}/teams/{}", s.support),
    ] {
        assert_eq!(
            bob_client.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        bob_client.get("/profile").await.status(),
        StatusCode::OK,
        "the account itself stays"
    );
}

#[tokio::test]
async fn revoking_twice_says_already_archived_and_changes_nothing() {
    let s = scene().await;
    let bob = s.bob;
    assert_eq!(
        s.revoke(&s.app.client, bob, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let archive = s
        .count(&format!(
            "SELECT count(*) FROM membership_archives WHERE membership_id = {bob}"
        ))
        .await;

    let res = s.revoke(&s.app.client, bob, &[]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Bob is already archived."));
    assert_eq!(
        s.bob_state().await,
        (0, 0, 0, 0, 1),
        "one event, nothing else moved"
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM membership_archives WHERE membership_id = {bob}"
        ))
        .await,
        archive
    );
}

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
async fn open_invitations_of_a_revoked_member_stay_valid_and_show_who_sent_them() {
    let s = scene().await;
    let (org, bob) = (s.org, s.bob);
    dora_invited_by(&s, bob).await;
    assert_eq!(
        s.revoke(&s.app.client, bob, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        s.count("SELECT count(*) FROM invitations WHERE status = 'pending'")
            .await,
        1
    );
    let (_, page) = s
        .app
        .client
        .page(&format!("/orgs/{org}/members?status=pending"))
        .await;
    assert!(page.contains("Invited by Bob on"), "{page}");
}

#[tokio::test]
async fn the_edit_page_and_the_row_lead_to_the_revoke_dialog() {
    let s = scene().await;
    let (org, bob) = (s.org, s.bob);
    let (_, edit) = s
        .app
        .client
        .page(&format!("/orgs/{org}/members/{bob}/edit"))
        .await;
    assert!(edit.contains(&format!(
        "href=\"/orgs/{org}/members/{bob}/revoke\">Revoke access…</a>"
    )));
    let (_, list) = s.app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains(&format!(
        "hx-get=\"/orgs/{org}/members/{bob}/revoke\" hx-target=\"#member-dialog\""
    )));
    assert!(list.contains("<section id=\"member-dialog\""));
}

#[tokio::test]
async fn a_selection_is_revoked_from_the_bulk_bar_after_its_preview() {
    let s = scene().await;
    let (org, bob, carl) = (s.org, s.bob, s.carl);
    let ada = membership_id(&s.app, "ada@example.com").await;
    let (bob_id, carl_id, ada_id) = (bob.to_string(), carl.to_string(), ada.to_string());

    let res = s
        .app
        .client
        .post_form(
            &format!("/orgs/{org}/members/bulk"),
            &[
                ("action", "revoke"),
                ("ids", &bob_id),
                ("ids", &carl_id),
                ("ids", &ada_id),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let preview = res.text().await.unwrap();
    assert!(
        preview.contains("Revoke 2 members from the organization"),
        "{preview}"
    );
    assert!(preview.contains(&format!("name=\"m{bob}_contacts_{}\"", s.support)));
    assert!(preview.contains("You cannot revoke your own access"));
    assert_eq!(s.bob_state().await.3, 1, "the preview changes nothing");

    let sales = s.sales.to_string();
    let res = s
        .app
        .client
        .post_form(
            &format!("/orgs/{org}/members/revoke"),
            &[
                ("ids", &bob_id),
                ("ids", &carl_id),
                ("ids", &ada_id),
                (&format!("m{bob}_contacts_{sales}"), "reassign"),
                (&format!("m{bob}_to_{sales}"), &carl_id),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let result = res.text().await.unwrap();
    // Carl cannot take Bob's contacts and leave in the same breath: Bob's
    // revoke ran first and gave them to him, then Carl's unassigned them.
    assert!(result.contains("2 of 3 revoked."), "{result}");
    assert!(result.contains("You cannot revoke your own access"));
    assert_eq!(s.count(&format!("SELECT count(*) FROM memberships WHERE organization_id = {org} AND status = 'archived'")).await, 2);
    assert_eq!(
        s.count("SELECT count(*) FROM contacts WHERE assignee_membership_id IS NOT NULL")
            .await,
        0
    );
    assert_eq!(
        s.count("SELECT count(*) FROM audit_events WHERE action = 'member.revoked'")
            .await,
        2
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
