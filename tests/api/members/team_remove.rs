//! Removing a member from one team offers the same contacts choice as a
//! revoke, for that team only: their other teams and contacts stay.

use reqwest::StatusCode;

use super::scene::{put_in_team, scene, sql};
use super::*;
use crate::html::Page;

#[tokio::test]
async fn removing_from_a_team_hands_over_that_teams_contacts_and_leaves_the_rest() {
    let s = scene().await;
    let (org, bob, carl, support) = (s.org, s.bob, s.carl, s.support);
    let base = format!("/orgs/{org}/teams/{support}/members/{bob}/remove");

    let res = s.app.client.htmx_get(&base).await;
    assert_eq!(res.status(), StatusCode::OK);
    let dialog = res.text().await.unwrap();
    assert!(dialog.contains("Remove Bob from Support"));
    assert!(dialog.contains(&format!(
        "href=\"/orgs/{org}/teams/{support}/contacts?assignee={bob}\">3 contacts</a>"
    )));
    assert!(dialog.contains("Carl (carl@example.com)"));
    assert!(dialog.contains("value=\"unassign\" checked"));
    let (status, page) = s.app.client.page(&base).await;
    assert_eq!(status, StatusCode::OK, "without JavaScript, a page");
    assert!(Page::parse(&page).is_whole_page() && page.contains("Remove Bob from Support"));

    let carl_id = carl.to_string();
    let res = s
        .app
        .client
        .htmx_post(
            &base,
            &[
                (&format!("contacts_{support}"), "reassign"),
                (&format!("to_{support}"), &carl_id),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = res.text().await.unwrap();
    assert!(body.starts_with("<section id=\"team-members\">"));
    assert!(body.contains("Bob was removed from Support"));
    assert!(body.contains("3 contacts went to Carl."));

    assert_eq!(s.count(&format!("SELECT count(*) FROM contacts WHERE team_id = {support} AND assignee_membership_id = {carl}")).await, 3);
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM contacts WHERE team_id = {} AND assignee_membership_id = {bob}",
            s.sales
        ))
        .await,
        2,
        "Sales contacts stay Bob's"
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob} AND team_id = {}",
            s.sales
        ))
        .await,
        1,
        "still in Sales"
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'active'"
        ))
        .await,
        1
    );
    assert_eq!(
        s.count(&format!("SELECT count(*) FROM audit_events WHERE action = 'team.member_removed' AND after -> 'contacts' @> '{{\"reassigned\": 3, \"to\": {carl}}}'")).await,
        1
    );
}

#[tokio::test]
async fn removing_from_a_team_without_a_choice_unassigns_the_contacts() {
    let s = scene().await;
    let (org, bob, support) = (s.org, s.bob, s.support);
    let res = s
        .app
        .client
        .post_form(
            &format!("/orgs/{org}/teams/{support}/members/{bob}/remove"),
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = s.app.client.page(&location(&res)).await;
    assert!(page.contains("3 contacts are unassigned."), "{page}");
    assert_eq!(s.count(&format!("SELECT count(*) FROM contacts WHERE team_id = {support} AND assignee_membership_id IS NULL")).await, 3);
}

#[tokio::test]
async fn a_team_removal_refuses_a_target_who_is_not_an_active_member_of_that_team() {
    let s = scene().await;
    let (app, org, bob, support) = (&s.app, s.org, s.bob, s.support);
    let fay = join(app, org, "fay@example.com", "Fay", "member").await;
    put_in_team(app, org, s.sales, fay, "agent").await;
    let dan = join(app, org, "dan@example.com", "Dan", "member").await;
    put_in_team(app, org, support, dan, "agent").await;
    sql(
        app,
        format!("UPDATE memberships SET status = 'archived' WHERE id = {dan}"),
    )
    .await;
    let base = format!("/orgs/{org}/teams/{support}/members/{bob}/remove");
    for (to, says) in [
        (fay.to_string(), "Fay is not in Support."),
        (dan.to_string(), "access is archived."),
        ("999999".to_owned(), "not a member of this organization"),
    ] {
        let res = app
            .client
            .htmx_post(
                &base,
                &[
                    (&format!("contacts_{support}"), "reassign"),
                    (&format!("to_{support}"), &to),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{to}");
        assert_eq!(res.headers()["hx-retarget"], "#team-member-dialog");
        let body = res.text().await.unwrap();
        assert!(body.contains(says), "{to}: {body}");
        assert!(
            body.contains("value=\"reassign\" checked"),
            "the choice is kept"
        );
        assert_eq!(s.count(&format!("SELECT count(*) FROM team_memberships WHERE membership_id = {bob} AND team_id = {support}")).await, 1);
        assert_eq!(
            s.count(&format!(
                "SELECT count(*) FROM contacts WHERE assignee_membership_id = {bob}"
            ))
            .await,
            5
        );
    }
    assert_eq!(
        s.count("SELECT count(*) FROM audit_events WHERE action = 'team.member_removed'")
            .await,
        0
    );
}
