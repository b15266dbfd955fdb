//! The Contacts tab's member menus, which each server keeps per team while
//! the team's roster is unchanged (`services::contacts::Menus`): every change
//! to whom they offer shows at once, whichever way it was made.

use super::*;

/// The filter's "Assigned to" menu as Tim's page shows it.
async fn offered(c: &Cast) -> String {
    let (status, page) = c.tim.page(&c.contacts()).await;
    assert_eq!(status, StatusCode::OK);
    let menu = &page[page.find("id=\"f-assignee\"").expect("the assignee filter")..];
    menu[..menu.find("</select>").expect("the menu's end")].to_owned()
}

#[tokio::test]
async fn the_menus_follow_every_change_to_the_teams_roster() {
    let c = Cast::new().await;
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    let agnes_account = c
        .app
        .count(&format!(
            "SELECT account_id FROM memberships WHERE id = {agnes}"
        ))
        .await;
    assert!(offered(&c).await.contains("Agnes Agent"));
    assert!(
        offered(&c).await.contains("Agnes Agent"),
        "the kept menu, read again"
    );

    // Joining the team, straight into the table as any path would.
    let bert = c
        .app
        .add_member(c.org, "bert@example.com", "Bert Berg", "member")
        .await;
    assert!(
        !offered(&c).await.contains("Bert Berg"),
        "not in the team yet"
    );
    join_team(&c.app, c.org, c.team, bert, "agent").await;
    assert!(offered(&c).await.contains("Bert Berg"));

    // A new name, then the same name in other letter case.
    let rename = |name: &str| {
        format!("UPDATE accounts SET display_name = '{name}' WHERE id = {agnes_account}")
    };
    exec(&c.app, rename("Agnes Smith")).await;
    let menu = offered(&c).await;
    assert!(
        menu.contains("Agnes Smith") && !menu.contains("Agnes Agent"),
        "{menu}"
    );
    exec(&c.app, rename("agnes smith")).await;
    assert!(offered(&c).await.contains("agnes smith"));

    // Archived: gone. Pending: offered by the address they were invited at.
    set_status(&c.app, c.org, bert, "archived").await;
    assert!(!offered(&c).await.contains("Bert Berg"));
    set_status(&c.app, c.org, agnes_account, "pending").await;
    let menu = offered(&c).await;
    assert!(
        menu.contains("agnes@example.com (pending)") && !menu.contains("agnes smith"),
        "{menu}"
    );

    // Leaving the team.
    exec(
        &c.app,
        format!("DELETE FROM team_memberships WHERE membership_id = {agnes}"),
    )
    .await;
    assert!(!offered(&c).await.contains("agnes@example.com"));
}
