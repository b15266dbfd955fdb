//! Revoking a member from the organization: the preview of what they hold,
//! the contacts handover per team, the archive, their next request refused,
//! the row, edit page and bulk bar that lead there. The rules are in
//! `revoke_rules`; restore and delete in `archived`.

use reqwest::StatusCode;

use super::scene::{dora_invited_by, scene, sql};
use super::*;
use crate::html::Page;

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
    assert!(
        Page::parse(&page).is_whole_page() && page.contains("Revoke Bob from the organization")
    );
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
        Page::parse(&plan).text("dd#seats-used") == seats_after.to_string(),
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
    assert_eq!(Page::parse(&list).count("section#member-dialog"), 1);
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
    assert!(result.contains("2 of 3 revoked; 1 refused."), "{result}");
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
