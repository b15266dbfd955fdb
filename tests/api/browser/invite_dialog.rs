//! The invite dialog by keyboard alone: Enter on Invite opens it modal with
//! focus on its first field, Tab and Shift+Tab stay inside, Escape closes it
//! and focus is back on Invite; a list is previewed grouped into "Will be
//! invited" and "Skipped" with counts. And the bulk bar's "Select all N
//! matching", from the offer to the per-row results.

use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{key::Key, Client, Locator};
use serde_json::json;

use super::{click, js, members_page_as_ada, screenshot, shown, text_of};
use crate::helpers::spawn_app;
use crate::invitations::enable_invites;
use crate::members::{join, seed};

fn key(k: Key) -> String {
    char::from(k).to_string()
}

/// Where the focus is: whether inside the invite dialog, and the element as `tag#id.class`.
async fn focus(browser: &Client) -> (bool, String) {
    let v = js(
        browser,
        "const e = document.activeElement; const d = document.getElementById('invite-dialog'); \
         return [d.contains(e) && e !== d, e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')];",
        vec![],
    )
    .await;
    (v[0].as_bool().unwrap(), v[1].as_str().unwrap().to_owned())
}

/// Waits until the focused element's description contains `wanted`.
async fn wait_for_focus(browser: &Client, wanted: &str) -> String {
    for _ in 0..100 {
        let (_, now) = focus(browser).await;
        if now.contains(wanted) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "focus never reached {wanted}; it is on {}",
        focus(browser).await.1
    );
}

/// Presses `keys` together (a chord, e.g. Shift+Tab) on whatever has the
/// focus, as a keyboard does (sending keys to an element would type into a
/// file field as a file name).
async fn press(browser: &Client, keys: &[Key]) {
    let mut actions = KeyActions::new("keyboard".into());
    for k in keys {
        actions = actions.then(KeyAction::Down {
            value: char::from(*k),
        });
    }
    for k in keys.iter().rev() {
        actions = actions.then(KeyAction::Up {
            value: char::from(*k),
        });
    }
    browser.perform_actions(actions).await.unwrap();
}

async fn dialog_open(browser: &Client) -> bool {
    js(
        browser,
        "return document.getElementById('invite-dialog').open;",
        vec![],
    )
    .await
    .as_bool()
    .unwrap()
}

async fn wait_closed(browser: &Client) {
    for _ in 0..50 {
        if !dialog_open(browser).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the invite dialog stayed open");
}

#[tokio::test]
async fn by_keyboard_alone_the_invite_dialog_opens_keeps_focus_inside_closes_and_previews_a_list_in_groups(
) {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;
    join(&app, org, "bob@example.com", "Bob", "member").await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    let invite = browser.find(Locator::Css(".invite-button")).await.unwrap();

    // Enter on Invite: the dialog opens, modal, on its first field.
    invite.send_keys(&key(Key::Enter)).await.unwrap();
    shown(&browser, "#invite-dialog[open] #invite-form").await;
    wait_for_focus(&browser, "textarea#f-email").await;
    assert_eq!(
        text_of(&browser, "#invite-dialog-title").await,
        "Invite members"
    );
    let modal = js(
        &browser,
        "return document.getElementById('invite-dialog').matches(':modal');",
        vec![],
    )
    .await;
    assert_eq!(modal, json!(true));
    screenshot(&browser, "invite-dialog-keyboard").await;

    // Tab goes round the dialog and never leaves it, both ways.
    let mut seen = Vec::new();
    for _ in 0..40 {
        press(&browser, &[Key::Tab]).await;
        let (inside, what) = focus(&browser).await;
        assert!(inside, "Tab left the dialog for {what}");
        seen.push(what);
    }
    assert!(
        seen.iter().any(|w| w.contains("dialog-close")),
        "Tab reaches Close: {seen:?}"
    );
    assert!(
        seen.iter()
            .filter(|w| w.contains("textarea#f-email"))
            .count()
            >= 2,
        "Tab wraps round to the first field again: {seen:?}"
    );
    for _ in 0..40 {
        press(&browser, &[Key::Shift, Key::Tab]).await;
        let (inside, what) = focus(&browser).await;
        assert!(inside, "Shift+Tab left the dialog for {what}");
    }

    // Escape closes it and focus is back on Invite.
    press(&browser, &[Key::Escape]).await;
    wait_closed(&browser).await;
    wait_for_focus(&browser, "invite-button").await;

    // Again by Enter; a list is shown for checking, grouped.
    press(&browser, &[Key::Enter]).await;
    let email = shown(&browser, "#invite-dialog[open] textarea#f-email").await;
    wait_for_focus(&browser, "textarea#f-email").await;
    email
        .send_keys("new1@example.com, bob@example.com\nnot-an-email; new2@example.com")
        .await
        .unwrap();
    browser
        .find(Locator::Css("#invite-form button[type=submit]"))
        .await
        .unwrap()
        .send_keys(&key(Key::Enter))
        .await
        .unwrap();
    shown(&browser, "#invite-dialog[open] .invite-bulk #bulk-skip").await;
    assert_eq!(
        text_of(&browser, "#bulk-invite-title").await,
        "Will be invited (2)"
    );
    assert_eq!(text_of(&browser, "#bulk-skip-title").await, "Skipped (2)");
    let invited = text_of(&browser, "#bulk-invite tbody").await;
    assert!(invited.contains("new1@example.com") && invited.contains("new2@example.com"));
    assert!(!invited.contains("bob@example.com"), "{invited}");
    let skipped = text_of(&browser, "#bulk-skip tbody").await;
    assert!(
        skipped.contains("bob@example.com") && skipped.contains("Already in this organization")
    );
    assert!(skipped.contains("not-an-email") && skipped.contains("Invalid: malformed"));
    let (inside, _) = focus(&browser).await;
    assert!(inside, "the preview keeps the focus in the dialog");
    screenshot(&browser, "invite-dialog-preview").await;

    // Confirmed by Enter: the result, in the same groups, and said in the dialog.
    browser
        .find(Locator::Css(".bulk-confirm button[type=submit]"))
        .await
        .unwrap()
        .send_keys(&key(Key::Enter))
        .await
        .unwrap();
    shown(&browser, "#invite-dialog[open] .invite-bulk.is-done").await;
    assert_eq!(text_of(&browser, "#bulk-invite-title").await, "Invited (2)");
    assert!(text_of(&browser, "#invite-dialog .dialog-status")
        .await
        .contains("2 invitations queued"));
    screenshot(&browser, "invite-dialog-result").await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {org} AND status = 'pending'"
        ))
        .await,
        2
    );

    // The Close button closes it too, with focus back on Invite.
    click(&browser, "#invite-dialog .dialog-close").await;
    wait_closed(&browser).await;
    wait_for_focus(&browser, "invite-button").await;
    browser.close().await.unwrap();
}

#[tokio::test]
async fn without_javascript_invite_is_a_page_of_its_own() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    enable_invites(&app, org, 10).await;
    let page = app
        .client
        .get(&format!("/orgs/{org}/members"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!(
        "class=\"button primary invite-button\" href=\"/orgs/{org}/members/invite\""
    )));
    let form = app
        .client
        .get(&format!("/orgs/{org}/members/invite"))
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains("<h1>Invite a member</h1>") && form.contains("id=\"invite-form\""));
}

#[tokio::test]
async fn selecting_every_row_offers_all_members_matching_and_the_results_say_what_changed() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 60, 1).await;
    let (_driver, browser) = members_page_as_ada(&app, org).await;
    let offer = browser
        .find(Locator::Css("#select-matching-offer"))
        .await
        .unwrap();
    assert!(
        !offer.is_displayed().await.unwrap(),
        "only once the page is selected"
    );

    click(&browser, "#select-all").await;
    assert!(offer.is_displayed().await.unwrap());
    assert_eq!(
        text_of(&browser, "#select-matching-offer label").await,
        "Select all 61 members in the list"
    );
    click(&browser, "#select-matching").await;
    assert_eq!(
        text_of(&browser, "#bulk-count").await,
        "All 61 members in this organization selected"
    );
    browser
        .find(Locator::Css("#bulk-role"))
        .await
        .unwrap()
        .select_by_value("manager")
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, "#bulk-form button[type=submit]").await,
        "Apply to all 61"
    );
    click(&browser, "#bulk-form button[type=submit]").await;
    shown(&browser, "#confirm-dialog[open]").await;
    assert_eq!(
        text_of(&browser, "#confirm-message").await,
        "Change the organization role of all 61 members in this organization to Manager?"
    );
    screenshot(&browser, "bulk-matching-confirm").await;
    click(&browser, "#confirm-dialog[open] #confirm-ok").await;

    let result = shown(&browser, "#bulk-result .bulk-result").await;
    let text = result.text().await.unwrap();
    assert!(text.contains("Ada Lovelace: refused — "), "{text}");
    assert!(text.contains("Member → Manager"), "{text}");
    assert!(text.contains("unchanged (already Manager)"), "{text}");
    screenshot(&browser, "bulk-matching-result").await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {org} AND role = 'manager'"
        ))
        .await,
        60
    );

    // Unticking a row withdraws "every member matching".
    browser.refresh().await.unwrap();
    click(&browser, "#select-all").await;
    click(&browser, "#select-matching").await;
    click(&browser, "#members-table input[name=ids]").await;
    let matching = browser
        .find(Locator::Css("#select-matching"))
        .await
        .unwrap();
    assert!(!matching.is_selected().await.unwrap());
    assert_eq!(
        text_of(&browser, "#bulk-form button[type=submit]").await,
        "Apply to selected"
    );
    assert!(!offer_shown(&browser).await);
    browser.close().await.unwrap();
}

async fn offer_shown(browser: &Client) -> bool {
    browser
        .find(Locator::Css("#select-matching-offer"))
        .await
        .unwrap()
        .is_displayed()
        .await
        .unwrap()
}
