//! Joining by account ID in headless Chromium: the invitee reads their ID on
//! their profile, the owner adds it from the htmx dialog on the Members page,
//! and the invitee accepts from the banner on their home page.

use std::time::Duration;

use fantoccini::{Client, Locator};

use super::{fill, screenshot, sign_in_in_browser, text_of, wait_for_path, Driver};
use crate::helpers::SmtpServer;
use crate::invitations::app_with_smtp;

async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} exists"))
        .click()
        .await
        .unwrap();
}

async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} appears"))
}

#[tokio::test]
async fn an_owner_adds_an_account_by_its_id_and_the_person_accepts_from_their_home_page() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let globex = app.other_org("Globex").await;
    app.add_member(globex, "grace@example.com", "Grace Hopper", "owner")
        .await;
    let driver = Driver::start().await;

    // Grace finds her account ID on her profile.
    let grace = driver.browser().await;
    sign_in_in_browser(&grace, &app.address, "grace@example.com").await;
    grace
        .goto(&format!("{}/profile", app.address))
        .await
        .unwrap();
    let id = wait_for(&grace, "#account-id-value")
        .await
        .prop("value")
        .await
        .unwrap()
        .expect("a value");
    assert!(id.starts_with("acct_") && id.len() == 21, "{id}");
    assert!(grace
        .find(Locator::Css("#account-id button[data-copy]"))
        .await
        .is_ok());
    screenshot(&grace, "account-id-profile").await;

    // Ada adds it from the dialog, without leaving the Members page.
    let ada = driver.browser().await;
    sign_in_in_browser(&ada, &app.address, "ada@example.com").await;
    ada.goto(&format!("{}/orgs/{org}/members", app.address))
        .await
        .unwrap();
    click(&ada, ".add-by-id-button").await;
    wait_for(&ada, "#invite-dialog #add-by-id-form").await;
    fill(&ada, "#f-account-id", &id).await;
    screenshot(&ada, "add-by-id-dialog").await;
    click(&ada, "#add-by-id-form button[type=submit]").await;
    let xpath = format!("//tr[contains(@class, 'member-row')][.//*[normalize-space(.) = '{id}']]");
    let row = ada
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath(&xpath))
        .await
        .expect("the pending row, by the ID");
    let text = row.text().await.unwrap();
    assert!(
        text.contains("Pending") && !text.contains("Grace"),
        "{text}"
    );

    // Grace's home has the banner; Accept takes her in.
    grace.goto(&app.address).await.unwrap();
    let banner = wait_for(&grace, ".invitation-banner").await;
    assert!(banner
        .text()
        .await
        .unwrap()
        .contains("Acme invited you to join as Member"));
    screenshot(&grace, "invitation-banner").await;
    click(&grace, ".invitation-banner button.primary").await;
    let home = format!("/orgs/{org}");
    assert_eq!(wait_for_path(&grace, |p| p == home).await, home);
    assert!(text_of(&grace, "#toasts")
        .await
        .contains("Welcome to Acme: you joined as Member."));

    grace.close().await.unwrap();
    ada.close().await.unwrap();
}
