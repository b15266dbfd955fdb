//! A member's way out in headless Chromium: the owner revokes Bob, whose
//! contacts are unassigned in one team and go to Carl in the other, finds him
//! on the Archived tab, restores him, and deletes Dan for good behind the
//! typed confirmation. Screenshots of the dialogs and the tab under target/.

use std::time::Duration;

use fantoccini::{Client, Locator};

use super::{fill, screenshot, sign_in_in_browser, Driver};
use crate::members::join;
use crate::members::scene::scene;

async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} appears"))
}

async fn click(browser: &Client, css: &str) {
    wait_for(browser, css).await.click().await.unwrap();
}

/// Waits until nothing matches `css` (the toasts that say so fade after a
/// few seconds, which a loaded machine's polling can miss; the messages are
/// checked by the integration tests).
async fn gone(browser: &Client, css: &str) {
    for _ in 0..300 {
        if browser.find(Locator::Css(css)).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} is still there");
}

async fn show(browser: &Client, css: &str) {
    let element = wait_for(browser, css).await;
    browser
        .execute(
            "arguments[0].scrollIntoView({block: 'start'}); return null;",
            vec![serde_json::to_value(element).unwrap()],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_owner_revokes_a_member_with_contacts_in_two_teams_restores_him_and_deletes_another() {
    let s = scene().await;
    let (app, org, bob, carl) = (&s.app, s.org, s.bob, s.carl);
    let dan = join(app, org, "dan@example.com", "Dan", "member").await;
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/members/{dan}/revoke"), &[])
        .await;
    assert_eq!(res.status().as_u16(), 303, "Dan is archived to start with");
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    sign_in_in_browser(&browser, &app.address, "ada@example.com").await;
    browser
        .goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();

    // The row's Revoke opens the dialog in place, showing what Bob holds.
    click(&browser, &format!("#member-{bob} a.row-revoke")).await;
    let dialog = wait_for(&browser, "#revoke-dialog").await;
    let text = dialog.text().await.unwrap();
    for held in [
        "Support",
        "Sales",
        "Tier 1",
        "Phone",
        "3 contacts",
        "2 contacts",
    ] {
        assert!(text.contains(held), "the dialog shows {held}: {text}");
    }
    // Support's contacts stay on the default (unassigned); Sales' go to Carl.
    let select = wait_for(&browser, &format!("#to-{}", s.sales)).await;
    select.select_by_value(&carl.to_string()).await.unwrap();
    let reassign = browser
        .find(Locator::Css(&format!(
            "input[name=contacts_{}][value=reassign]",
            s.sales
        )))
        .await
        .unwrap();
    assert!(
        reassign.is_selected().await.unwrap(),
        "choosing Carl picks Reassign"
    );
    show(&browser, "#revoke-dialog").await;
    screenshot(&browser, "lifecycle-01-revoke-dialog").await;
    click(&browser, "#revoke-dialog button[type=submit]").await;
    // The dialog closes and Bob's row leaves the list.
    gone(&browser, "#revoke-dialog").await;
    gone(&browser, &format!("#member-{bob}")).await;
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

    // The Archived tab: who, when, by whom, and what they held.
    click(&browser, "nav.tabs a[href$='/members/archived']").await;
    let row = wait_for(&browser, &format!("#archived-{bob}")).await;
    let text = row.text().await.unwrap();
    assert!(
        text.contains("by Ada Lovelace") && text.contains("Support · Agent"),
        "{text}"
    );
    assert!(browser
        .find(Locator::Css(&format!("#archived-{dan}")))
        .await
        .is_ok());
    screenshot(&browser, "lifecycle-02-archived-tab").await;

    // Restore Bob: his teams and groups come back, his row leaves the tab.
    click(&browser, &format!("#archived-{bob} button[type=submit]")).await;
    gone(&browser, &format!("#archived-{bob}")).await;
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND status = 'active'"
        ))
        .await,
        1
    );
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {bob}"
        ))
        .await,
        2
    );

    // Delete Dan: a wrong address is refused in the dialog, the right one deletes.
    click(&browser, &format!("#archived-{dan} a.danger")).await;
    wait_for(&browser, "#delete-dialog").await;
    fill(&browser, "#f-confirm", "dan@example").await;
    click(&browser, "#delete-dialog button[type=submit]").await;
    let error = wait_for(&browser, "#confirm-error").await;
    assert!(error.text().await.unwrap().contains("dan@example.com"));
    show(&browser, "#delete-dialog").await;
    screenshot(&browser, "lifecycle-03-delete-dialog").await;
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {dan}"
        ))
        .await,
        1
    );
    fill(&browser, "#f-confirm", "dan@example.com").await;
    click(&browser, "#delete-dialog button[type=submit]").await;
    gone(&browser, "#delete-dialog").await;
    gone(&browser, &format!("#archived-{dan}")).await;
    assert_eq!(
        s.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {dan}"
        ))
        .await,
        0
    );
    assert_eq!(
        s.count("SELECT count(*) FROM accounts WHERE email = 'dan@example.com'")
            .await,
        0
    );
}
