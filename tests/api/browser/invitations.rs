//! An invitation end to end in headless Chromium: the owner invites from the
//! htmx dialog, the email arrives at the real SMTP server, the invitee opens
//! its link in a browser of their own and joins, and the owner sees them Active.

use std::time::Duration;

use fantoccini::{Client, Locator};

use super::{click, fill, screenshot, sign_in_in_browser, text_of, wait_for_path, Driver};
use crate::helpers::{invite_link, SmtpServer, PASSWORD};
use crate::invitations::app_with_smtp;

/// The members-table row of the person with this email, once it is there.
async fn row_of(browser: &Client, email: &str) -> fantoccini::elements::Element {
    let xpath =
        format!("//tr[contains(@class, 'member-row')][.//*[normalize-space(.) = '{email}']]");
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath(&xpath))
        .await
        .unwrap_or_else(|_| panic!("a row for {email}"))
}

/// Scrolls the element to the middle of the window, for a screenshot of it.
async fn show(browser: &Client, element: &fantoccini::elements::Element) {
    browser
        .execute(
            "arguments[0].scrollIntoView({block: 'center'}); return null;",
            vec![serde_json::to_value(element).unwrap()],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn an_owner_invites_by_email_and_the_invitee_joins_from_the_link_in_a_browser_of_their_own() {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let driver = Driver::start().await;
    let owner = driver.browser().await;
    sign_in_in_browser(&owner, &app.address, "ada@example.com").await;
    let members = format!("{}/orgs/{org}/members", app.address);
    owner.goto(&members).await.unwrap();

    // The dialog comes in place, without a page load.
    owner
        .execute("window.rosterMarker = 'members page'; return null;", vec![])
        .await
        .unwrap();
    click(&owner, ".invite-button").await;
    owner
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#invite-dialog #invite-form"))
        .await
        .expect("the invite dialog");
    assert!(text_of(&owner, "#invite-dialog .seats-left")
        .await
        .contains("9 of 10 seats left"));
    screenshot(&owner, "invite-dialog").await;
    fill(&owner, "#invite-form [name=email]", "grace@example.com").await;
    owner
        .find(Locator::Css("#invite-form select[name=role]"))
        .await
        .unwrap()
        .select_by_value("manager")
        .await
        .unwrap();
    click(&owner, "#invite-form button[type=submit]").await;

    // The pending row appears in the table, on the same page.
    let row = row_of(&owner, "grace@example.com").await;
    let text = row.text().await.unwrap();
    assert!(text.contains("Pending"), "{text}");
    assert!(text.contains("Manager"), "{text}");
    assert!(text.contains("Invited by Ada Lovelace"), "{text}");
    let marker = owner
        .execute("return window.rosterMarker || null;", vec![])
        .await
        .unwrap();
    assert_eq!(marker, serde_json::json!("members page"));
    show(&owner, &row).await;
    screenshot(&owner, "invite-pending-row").await;

    // The email, read from the SMTP server; its link opened with no cookies at all.
    let messages = smtp.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("X-RcptTo: grace@example.com"));
    let link = invite_link(&messages[0]);
    let invitee = driver.browser().await;
    invitee.goto(&link).await.unwrap();
    assert_eq!(text_of(&invitee, "main h1").await, "Join Acme");
    assert!(text_of(&invitee, "main .lead")
        .await
        .contains("Ada Lovelace invited you to join Acme as Manager"));
    screenshot(&invitee, "invite-accept").await;
    fill(&invitee, "#f-display_name", "Grace Hopper").await;
    fill(&invitee, "#f-password", PASSWORD).await;
    fill(&invitee, "#f-password_confirm", PASSWORD).await;
    click(&invitee, ".invite-accept button[type=submit]").await;

    // Signed in, inside the organization.
    let home = format!("/orgs/{org}");
    assert_eq!(wait_for_path(&invitee, |p| p == home).await, home);
    assert!(text_of(&invitee, "main h1").await.contains("Acme"));
    assert!(text_of(&invitee, "#toasts")
        .await
        .contains("Welcome to Acme."));
    screenshot(&invitee, "invite-accepted-home").await;

    // The owner's Members page shows Grace as Active.
    owner.goto(&members).await.unwrap();
    let row = row_of(&owner, "grace@example.com").await;
    let status = row
        .find(Locator::Css(".badge.status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(status, "Active");
    assert!(row.text().await.unwrap().contains("Grace Hopper"));
    show(&owner, &row).await;
    screenshot(&owner, "invite-member-active").await;

    invitee.close().await.unwrap();
    owner.close().await.unwrap();
}
