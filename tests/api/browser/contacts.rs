//! The Contacts tab in headless Chromium: a team manager adds a contact, edits
//! it in its row, assigns it from the row and unassigns the selected rows, all
//! in place without a page load.

use std::time::Duration;

use fantoccini::{Client, Locator};

use super::{fill, screenshot, sign_in_in_browser, text_of};
use crate::teams::contacts::Cast;

async fn click(browser: &Client, css: &str) {
    browser
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} exists"))
        .click()
        .await
        .unwrap();
}

/// Waits until `script` (an expression) is true in the page.
async fn until(browser: &Client, script: &str) {
    for _ in 0..100 {
        let done = browser
            .execute(&format!("return !!({script});"), vec![])
            .await
            .unwrap();
        if done == serde_json::Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never true: {script}");
}

#[tokio::test]
async fn a_team_manager_adds_edits_assigns_and_bulk_unassigns_contacts_in_place() {
    let c = Cast::new().await;
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    c.insert_many(3, "Existing", None).await;
    let driver = super::Driver::start().await;
    let browser = driver.browser().await;
    sign_in_in_browser(&browser, &c.app.address, "tim@example.com").await;
    browser
        .goto(&format!("{}{}", c.app.address, c.contacts()))
        .await
        .unwrap();
    assert!(text_of(&browser, "nav.tabs [aria-current=page]")
        .await
        .contains("Contacts"));
    browser
        .execute("window.rosterMarker = 'contacts tab'; return null;", vec![])
        .await
        .unwrap();

    // Add: the form clears and the list refreshes itself.
    fill(&browser, "#new-name", "Kim Lee").await;
    fill(&browser, "#new-email", "kim@customer.example").await;
    fill(&browser, "#new-phone", "+1 (555) 010-0199").await;
    click(&browser, "#contact-create button[type=submit]").await;
    until(&browser, "[...document.querySelectorAll('#contacts .contact-name')].some(e => e.textContent.includes('Kim Lee'))").await;
    assert!(text_of(&browser, "#toasts")
        .await
        .contains("Contact “Kim Lee” added."));
    let kim = c.contact_id("Kim Lee").await;

    // Edit in the row.
    click(&browser, &format!("#contact-{kim} .pencil")).await;
    until(
        &browser,
        &format!("document.querySelector('#contact-{kim}-note')"),
    )
    .await;
    fill(&browser, &format!("#contact-{kim}-note"), "Prefers email.").await;
    click(&browser, &format!("#contact-{kim} button[type=submit]")).await;
    until(&browser, &format!("document.querySelector('#contact-{kim} .note-text') && document.querySelector('#contact-{kim} .note-text').textContent.includes('Prefers email.')")).await;

    // Assign from the row: its form opens in place.
    click(&browser, &format!("#contact-{kim} .assign-open")).await;
    until(
        &browser,
        &format!("document.querySelector('#assign-{kim}') && document.activeElement && document.activeElement.id === 'assign-{kim}'"),
    )
    .await;
    screenshot(&browser, "contacts-assign-open").await;
    browser
        .find(Locator::Css(&format!("#assign-{kim}")))
        .await
        .unwrap()
        .select_by_value(&agnes.to_string())
        .await
        .unwrap();
    click(&browser, &format!("#contact-{kim} .assign-form button")).await;
    until(
        &browser,
        "document.querySelector('#toasts').textContent.includes('Assigned to Agnes Agent')",
    )
    .await;
    assert_eq!(c.assignee_of(kim).await, agnes);
    screenshot(&browser, "contacts-tab").await;

    // Select all, unassign: the result per row, in place.
    click(&browser, "#select-all").await;
    browser
        .find(Locator::Css("#bulk-contacts-action"))
        .await
        .unwrap()
        .select_by_value("unassign")
        .await
        .unwrap();
    click(&browser, "#contacts-bulk button[type=submit]").await;
    assert!(text_of(&browser, "#contacts-bulk-result h2")
        .await
        .contains("1 of 4 contacts changed."));
    assert_eq!(c.assignee_of(kim).await, 0);
    screenshot(&browser, "contacts-bulk-result").await;
    let marker = browser
        .execute("return window.rosterMarker || null;", vec![])
        .await
        .unwrap();
    assert_eq!(
        marker,
        serde_json::json!("contacts tab"),
        "no page load happened"
    );
}

#[tokio::test]
async fn on_a_phone_the_contacts_tab_is_scrolled_into_its_tab_bar_and_the_page_fits() {
    let c = Cast::new().await;
    c.insert_many(3, "Existing", None).await;
    let driver = super::Driver::start().await;
    let browser = driver.browser().await;
    sign_in_in_browser(&browser, &c.app.address, "tim@example.com").await;
    browser.set_window_size(390, 844).await.unwrap();
    browser
        .goto(&format!("{}{}", c.app.address, c.contacts()))
        .await
        .unwrap();
    // The current tab lies inside the bar's visible part, which scrolls
    // sideways on its own; the page itself does not.
    let placed = browser
        .execute(
            "const bar = document.querySelector('nav.tabs');
             const tab = bar.querySelector('[aria-current=page]').getBoundingClientRect();
             const box = bar.getBoundingClientRect();
             return [bar.scrollLeft > 0, tab.left >= box.left - 1 && tab.right <= box.right + 1,
                     document.documentElement.scrollWidth <= window.innerWidth];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(placed, serde_json::json!([true, true, true]));
    screenshot(&browser, "contacts-tab-390").await;
}
