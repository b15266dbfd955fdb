//! In the browser, at desktop (1280 px) and phone (390 px) width: a visitor
//! who ran out of sign-in attempts, reaching for the form with the keyboard,
//! and a signed-in owner whose database went away, each get a readable page
//! whose way on can be reached with Tab.

use fantoccini::{key::Key, Client, Locator};

use super::{fill, screenshot, sign_in_in_browser, text_of, Driver};
use crate::attacks::faults::{cut, restore};
use crate::helpers::spawn_app;

async fn both_widths(browser: &Client, name: &str) {
    browser.set_window_size(1280, 900).await.unwrap();
    screenshot(browser, &format!("{name}-1280")).await;
    browser.set_window_size(390, 844).await.unwrap();
    screenshot(browser, &format!("{name}-390")).await;
    browser.set_window_size(1280, 900).await.unwrap();
}

/// The text of the element focus lands on after `tabs` presses of Tab.
async fn focused_after_tabs(browser: &Client, tabs: usize) -> String {
    let body = browser.find(Locator::Css("body")).await.unwrap();
    for _ in 0..tabs {
        body.send_keys(&char::from(Key::Tab).to_string())
            .await
            .unwrap();
    }
    browser
        .execute("return document.activeElement.textContent.trim()", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_locked_out_visitor_and_an_owner_during_an_outage_get_readable_pages() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let driver = Driver::start().await;
    let browser = driver.browser().await;

    // Wrong passwords typed and sent with Enter, until the budget is spent.
    browser
        .goto(&format!("{}/signin", app.address))
        .await
        .unwrap();
    fill(&browser, "#f-email", "grace@example.com").await;
    for _ in 0..6 {
        fill(&browser, "#f-password", "a wrong guess").await;
        // Marks the form, so that its replacement by htmx can be waited for.
        browser
            .execute(
                "document.getElementById('signin-form').dataset.sent = '1'",
                vec![],
            )
            .await
            .unwrap();
        browser
            .find(Locator::Css("#f-password"))
            .await
            .unwrap()
            .send_keys(&char::from(Key::Enter).to_string())
            .await
            .unwrap();
        browser
            .wait()
            .at_most(std::time::Duration::from_secs(10))
            .for_element(Locator::Css("#signin-form:not([data-sent])"))
            .await
            .unwrap();
    }
    let message = text_of(&browser, "#signin-error").await;
    assert!(
        message.starts_with("Too many failed sign-in attempts — try again in"),
        "{message}"
    );
    both_widths(&browser, "signin-throttled").await;

    // Ada, signed in from another browser profile, loses the database.
    let other = driver.browser().await;
    browser.close().await.unwrap();
    sign_in_in_browser(&other, &app.address, "ada@example.com").await;
    cut(&app).await;
    other
        .goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();
    assert_eq!(text_of(&other, "h1").await, "Unavailable");
    assert!(text_of(&other, "main")
        .await
        .contains("Roster cannot reach its database right now"));
    both_widths(&other, "outage-503").await;
    let mut seen = Vec::new();
    for tabs in 1..=3 {
        other.refresh().await.unwrap();
        seen.push(focused_after_tabs(&other, tabs).await);
    }
    assert!(
        seen.iter().any(|t| t == "Go to the start page"),
        "the way on is reachable by keyboard: {seen:?}"
    );

    restore(&app).await;
    other
        .goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();
    let mut recovered = false;
    for _ in 0..50 {
        other.refresh().await.unwrap();
        if text_of(&other, "h1").await != "Unavailable" {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(recovered, "the members page came back");
    other.close().await.unwrap();
}
