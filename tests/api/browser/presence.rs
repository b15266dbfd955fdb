//! Live presence with two browsers: Ada watches the members page while Bob
//! signs in, hides his tab and signs out; her page changes Bob's dot each time
//! without loading again.

use std::time::Duration;

use fantoccini::Client;
use serde_json::json;

use super::{mark_page, page_marker, screenshot, sign_in_in_browser, Driver};
use crate::helpers::spawn_app_with;

/// Waits until the element's text is `wanted` (read in one script, as htmx may
/// swap the element between two WebDriver calls).
async fn wait_for_text(browser: &Client, css: &str, wanted: &str) {
    const READ: &str =
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;";
    let mut seen = json!(null);
    for _ in 0..100 {
        seen = browser.execute(READ, vec![json!(css)]).await.unwrap();
        if seen == json!(wanted) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} said {seen}, never {wanted:?}");
}

#[tokio::test]
async fn ada_sees_bob_come_online_go_away_and_leave_without_reloading_her_page() {
    let app = spawn_app_with(|s| s.presence.tick = Duration::from_millis(200)).await;
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob Builder", "member")
        .await;
    let bob = super::super::presence::member_id(&app, "bob@example.com").await;
    let dot = format!("#member-{bob} .presence-label");
    let driver = Driver::start().await;

    let ada = driver.browser().await;
    sign_in_in_browser(&ada, &app.address, "ada@example.com").await;
    ada.goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();
    wait_for_text(&ada, &dot, "Offline").await;
    mark_page(&ada, "watching").await;

    // Bob signs in elsewhere: his first page reports him.
    let bob_browser = driver.browser().await;
    sign_in_in_browser(&bob_browser, &app.address, "bob@example.com").await;
    wait_for_text(&ada, &dot, "Online").await;
    screenshot(&ada, "20-presence-online").await;

    // Bob's tab goes to the background.
    bob_browser
        .execute(
            "Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' }); \
             document.dispatchEvent(new Event('visibilitychange')); return null;",
            vec![],
        )
        .await
        .unwrap();
    wait_for_text(&ada, &dot, "Away").await;
    screenshot(&ada, "21-presence-away").await;

    // Bob signs out.
    bob_browser
        .execute(
            "document.querySelector('.user-menu form').submit(); return null;",
            vec![],
        )
        .await
        .unwrap();
    wait_for_text(&ada, &dot, "Offline").await;
    screenshot(&ada, "22-presence-offline").await;

    assert_eq!(
        page_marker(&ada).await,
        json!("watching"),
        "Ada's page never loaded again"
    );
    bob_browser.close().await.unwrap();
    ada.close().await.unwrap();
}
