//! Groups and services of a team: the Groups and Services tabs, their rules
//! (pending members stay out, switched-off modules refuse, other tenants get
//! 404) and the members page's one-query lookup of groups and services.

mod rules;
pub mod scene;
mod services;

use reqwest::StatusCode;

use crate::helpers::location;
use scene::*;

#[tokio::test]
async fn a_team_manager_creates_renames_and_deletes_a_group() {
    let s = Scene::new().await;
    let (status, body) = s.tim.page(&s.groups()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("No groups yet") && body.contains("aria-current=\"page\">Groups"));

    // Create without JavaScript: a redirect to the new card, and a flash.
    let res = s
        .tim
        .post_form(&s.groups(), &[("name", "  Night shift ")])
        .await;
    let group = group_id(&s.app, s.team, "Night shift").await;
    assert_eq!(location(&res), format!("{}#group-{group}", s.groups()));
    let (_, body) = s.tim.page(&s.groups()).await;
    assert!(body.contains("Group “Night shift” created.") && body.contains("Night shift</h2>"));

    // Rename inline: the pencil brings the form, saving swaps back the card.
    let edit = format!("{}/{group}/edit", s.groups());
    let res = s.tim.htmx_get(&edit).await;
    let form = res.text().await.unwrap();
    assert!(
        form.starts_with(&format!("<article id=\"group-{group}\"")),
        "{form}"
    );
    assert!(form.contains("value=\"Night shift\"") && !form.contains("<html"));
    let res = s
        .tim
        .htmx_post(
            &format!("{}/{group}", s.groups()),
            &[("name", "Late shift")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let card = res.text().await.unwrap();
    assert!(card.starts_with(&format!(
        "<article id=\"group-{group}\" class=\"card group-card\""
    )));
    assert!(card.contains("Late shift</h2>") && card.contains("Group renamed to “Late shift”."));

    // Without JavaScript the pencil is a page with the same form.
    let (status, page) = s.tim.page(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<html") && page.contains("value=\"Late shift\""));
    let res = s
        .tim
        .post_form(&format!("{}/{group}", s.groups()), &[("name", "Evening")])
        .await;
    assert_eq!(location(&res), format!("{}#group-{group}", s.groups()));

    // Delete: htmx gets the section without the card.
    let res = s
        .tim
        .htmx_post(&format!("{}/{group}/delete", s.groups()), &[])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let section = res.text().await.unwrap();
    assert!(section.starts_with("<section id=\"groups\""));
    assert!(section.contains("No groups yet") && section.contains("Group “Evening” deleted."));
    assert_eq!(s.app.count("SELECT count(*) FROM groups").await, 0);
    assert_eq!(audits(&s.app, "group.created").await, 1);
    assert_eq!(audits(&s.app, "group.renamed").await, 2);
    assert_eq!(audits(&s.app, "group.deleted").await, 1);
}

#[tokio::test]
async fn group_names_must_be_present_bounded_and_unique_in_the_team() {
    let s = Scene::new().await;
    let group = s.create_group("Night shift").await;
    for (bad, message) in [
        ("", "Group name cannot be empty."),
        ("   ", "Group name cannot be empty."),
        (
            &"n".repeat(500) as &str,
            "Group name can be at most 100 characters.",
        ),
        (
            &"n".repeat(10_000),
            "Group name can be at most 100 characters.",
        ),
        ("bad\0name", "cannot contain control characters"),
    ] {
        let res = s.tim.htmx_post(&s.groups(), &[("name", bad)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        let body = res.text().await.unwrap();
        assert!(
            body.starts_with("<section id=\"groups\""),
            "only the section"
        );
        assert!(
            body.contains("field-error") && body.contains(message),
            "{message}"
        );
    }
    // Case-insensitively unique in the team: a field message, 409.
    let res = s
        .tim
        .post_form(&s.groups(), &[("name", "NIGHT SHIFT")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("<html")
            && body.contains("This team already has a group named “NIGHT SHIFT”.")
    );
    assert!(body.contains("value=\"NIGHT SHIFT\""), "the input is kept");
    // Renaming onto another group's name is refused the same way, in the inline form.
    s.create_group("Day shift").await;
    let res = s
        .tim
        .htmx_post(&format!("{}/{group}", s.groups()), &[("name", "day shift")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let body = res.text().await.unwrap();
    assert!(body.starts_with(&format!(
        "<article id=\"group-{group}\" class=\"card group-card is-editing\""
    )));
    assert!(body.contains("This team already has a group named"));
    // Renaming to its own name in another case is fine.
    let res = s
        .tim
        .htmx_post(
            &format!("{}/{group}", s.groups()),
            &[("name", "night SHIFT")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The same name in another team is fine.
    let other = team(&s.app, s.org, "Sales").await;
    let res = s
        .app
        .client
        .post_form(
            &format!("/orgs/{}/teams/{other}/groups", s.org),
            &[("name", "Night shift")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(s.app.count("SELECT count(*) FROM groups").await, 3);
    assert_eq!(audits(&s.app, "group.created").await, 3);
}

#[tokio::test]
async fn active_members_join_and_leave_groups_but_pending_and_archived_ones_cannot_join() {
    let s = Scene::new().await;
    let group = s.create_group("Night shift").await;
    let (_, alice) = s.agent("alice@example.com", "Alice Active").await;
    let (pia_account, pia) = s.agent("pia@example.com", "Pia Pending").await;
    set_status(&s.app, s.org, pia_account, "pending").await;
    let (arlo_account, arlo) = s.agent("arlo@example.com", "Arlo Archived").await;
    set_status(&s.app, s.org, arlo_account, "archived").await;
    let add = format!("{}/{group}/members", s.groups());

    // The select offers everyone, pending and archived ones disabled with why.
    let (_, page) = s.tim.page(&s.groups()).await;
    assert!(page.contains(&format!("<option value=\"{alice}\">Alice Active")));
    assert!(page.contains(&format!(
        "<option value=\"{pia}\" disabled>pia@example.com: pending, can join once they accept their invitation"
    )));
    assert!(page.contains(&format!(
        "<option value=\"{arlo}\" disabled>Arlo Archived: archived"
    )));

    let res = s
        .tim
        .htmx_post(&add, &[("team_membership_id", &alice.to_string())])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let card = res.text().await.unwrap();
    assert!(card.starts_with(&format!("<article id=\"group-{group}\"")));
    assert!(card.contains("<span class=\"chip-name\">Alice Active</span>"));
    assert!(card.contains("Alice Active added to the group."));

    // Pending and archived members are refused with the reason, in the card.
    let res = s
        .tim
        .htmx_post(&add, &[("team_membership_id", &pia.to_string())])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let card = res.text().await.unwrap();
    assert!(card.contains("Pending members can join groups once they accept their invitation."));
    let res = s
        .tim
        .post_form(&add, &[("team_membership_id", &arlo.to_string())])
        .await;
    expect(
        res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Archived members cannot join groups",
    )
    .await;
    // Twice is a clear conflict; garbage is a field message.
    let res = s
        .tim
        .htmx_post(&add, &[("team_membership_id", &alice.to_string())])
        .await;
    expect(
        res,
        StatusCode::CONFLICT,
        "Alice Active is already in Night shift.",
    )
    .await;
    for bad in ["", "abc", "-1 OR 1=1", &"9".repeat(5000)] {
        let res = s.tim.htmx_post(&add, &[("team_membership_id", bad)]).await;
        assert!(
            [StatusCode::UNPROCESSABLE_ENTITY, StatusCode::NOT_FOUND].contains(&res.status()),
            "{bad:?}: {}",
            res.status()
        );
    }
    assert_eq!(s.app.count("SELECT count(*) FROM group_members").await, 1);
    assert_eq!(audits(&s.app, "group.member_added").await, 1);

    // Removing takes her out of the group, not out of the team.
    let res = s.tim.post_form(&format!("{add}/{alice}/remove"), &[]).await;
    assert_eq!(location(&res), format!("{}#group-{group}", s.groups()));
    assert_eq!(s.app.count("SELECT count(*) FROM group_members").await, 0);
    assert_eq!(
        s.app
            .count(&format!(
                "SELECT count(*) FROM team_memberships WHERE id = {alice}"
            ))
            .await,
        1
    );
    assert_eq!(audits(&s.app, "group.member_removed").await, 1);
    // Removing someone who is not in the group is a 404.
    let res = s.tim.post_form(&format!("{add}/{alice}/remove"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_members_of_this_team_can_be_added_to_its_groups() {
    let s = Scene::new().await;
    let group = s.create_group("Night shift").await;
    let other = team(&s.app, s.org, "Sales").await;
    let olga = s
        .app
        .add_member(s.org, "olga@example.com", "Olga Other", "member")
        .await;
    let olga_tm = join_team(&s.app, s.org, other, olga, "agent").await;
    let res = s
        .tim
        .post_form(
            &format!("{}/{group}/members", s.groups()),
            &[("team_membership_id", &olga_tm.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(s.app.count("SELECT count(*) FROM group_members").await, 0);
}
