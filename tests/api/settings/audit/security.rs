//! The profile's security activity: the account's own events of no
//! organization, each written in the transaction of the change it records.

use reqwest::StatusCode;

use crate::helpers::{TestClient, PASSWORD};
use crate::members::owner;

/// A client that says it is another browser.
fn other_browser(app: &crate::helpers::TestApp) -> TestClient {
    let mut client = TestClient::new(&app.address);
    client.http = reqwest::Client::builder()
        .cookie_provider(client.jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
        .build()
        .unwrap();
    client
}

async fn activity(client: &TestClient) -> String {
    let (status, body) = client.page("/profile").await;
    assert_eq!(status, StatusCode::OK);
    let start = body.find("id=\"security-activity\"").expect("the section");
    body[start..].to_owned()
}

#[tokio::test]
async fn sign_ins_from_a_new_browser_password_changes_and_sign_outs_are_the_accounts_own_events() {
    let (app, org) = owner().await;
    // Setup signed Ada in with the tests' browser: that is its first sighting.
    let shown = activity(&app.client).await;
    assert_eq!(
        shown
            .matches("Signed in from a new browser (roster-tests)")
            .count(),
        1
    );
    // The same browser again is not new.
    app.client.sign_out().await;
    app.client.sign_in("ada@example.com", PASSWORD).await;
    let firefox = other_browser(&app);
    assert_eq!(
        firefox.sign_in("ada@example.com", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let shown = activity(&app.client).await;
    assert_eq!(
        shown
            .matches("Signed in from a new browser (roster-tests)")
            .count(),
        1
    );
    assert_eq!(
        shown
            .matches("Signed in from a new browser (Firefox on Linux)")
            .count(),
        1
    );

    let res = app
        .client
        .post_form(
            "/profile/password",
            &[
                ("current_password", PASSWORD),
                ("password", "a new passphrase here"),
                ("password_confirm", "a new passphrase here"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        firefox.get("/profile").await.status(),
        StatusCode::SEE_OTHER,
        "the other session ended"
    );
    let shown = activity(&app.client).await;
    assert!(shown.contains("Password changed"));
    let res = app.client.post_form("/profile/sessions/end-all", &[]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let again = app
        .signed_in_client("ada@example.com", "a new passphrase here")
        .await;
    let shown = activity(&again).await;
    assert!(shown.contains("1 session signed out"), "{shown}");
    // None of it is the organization's: its log shows no account events.
    let account_events = app
        .count(&format!("SELECT count(*) FROM audit_events WHERE organization_id = {org} AND action LIKE 'account.%'"))
        .await;
    assert_eq!(account_events, 0);
    let newest_first =
        shown.find("1 session signed out").unwrap() < shown.find("Password changed").unwrap();
    assert!(newest_first);
}
