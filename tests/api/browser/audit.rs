//! The member page and the audit log in Chromium: reached from the members
//! list, a timeline row opened to its before/after, the log filtered in place.

use std::time::Duration;

use fantoccini::Locator;

use super::{screenshot, sign_in_in_browser, text_of, wait_for_path, Driver};
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_owner_opens_bobs_page_from_the_list_reads_his_timeline_and_filters_the_log() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob Builder", "member")
        .await;
    let bob = crate::members::membership_id(&app, "bob@example.com").await;
    app.client.page(&format!("/orgs/{org}/members")).await;
    for role in ["manager", "admin"] {
        app.client
            .post_form(&format!("/orgs/{org}/members/{bob}"), &[("role", role)])
            .await;
    }
    let driver = Driver::start().await;
    let browser = driver.browser().await;
    sign_in_in_browser(&browser, &app.address, "ada@example.com").await;

    browser
        .goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();
    browser
        .find(Locator::Css(&format!(
            "a.member-link[href$='/members/{bob}']"
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_path(&browser, |p| p.ends_with(&format!("/members/{bob}"))).await;
    assert_eq!(text_of(&browser, "main h1").await, "Bob Builder");
    let newest = text_of(&browser, "#timeline .sentence").await;
    assert_eq!(
        newest,
        "Ada Lovelace changed Bob Builder's role from Manager to Admin"
    );
    browser
        .find(Locator::Css("#timeline details summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, "#timeline details[open] ins").await,
        "Admin"
    );
    screenshot(&browser, "member-page-timeline").await;
    browser
        .execute("window.scrollTo(0, 0)", vec![])
        .await
        .unwrap();
    screenshot(&browser, "member-page").await;

    browser
        .goto(&format!("{}/orgs/{org}/settings/audit", app.address))
        .await
        .unwrap();
    // Marks the page, so the filter's in-place swap (no page load) can be told.
    browser
        .execute("document.body.dataset.marker = 'kept'", vec![])
        .await
        .unwrap();
    let group = browser.find(Locator::Css("#f-group")).await.unwrap();
    group.select_by_value("settings").await.unwrap();
    for _ in 0..100 {
        let url = browser.current_url().await.unwrap();
        if url.query().is_some_and(|q| q.contains("group=settings")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .query()
            .unwrap_or("")
            .contains("group=settings"),
        "the filter is kept in the URL"
    );
    let rows = browser
        .find_all(Locator::Css("#audit-log .sentence"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].text().await.unwrap(),
        "Ada Lovelace created the organization Acme"
    );
    let marker = browser
        .execute("return document.body.dataset.marker || ''", vec![])
        .await
        .unwrap();
    assert_eq!(marker, "kept", "filtered without a page load");
    group.select_by_value("").await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    screenshot(&browser, "audit-log").await;
}
