//! Attack stories: mail. A name written to look like the email's token
//! placeholder shows as written and never receives the token.

use reqwest::StatusCode;

use crate::helpers::{decode_quoted_printable, invite_link, SmtpServer};
use crate::invitations::{app_with_smtp, invite};

const LOOKALIKE: &str = "__ROSTER_INVITE_TOKEN__";

#[tokio::test]
async fn an_org_and_inviter_named_like_the_token_placeholder_get_the_literal_text_and_the_token_stays_in_the_link(
) {
    let smtp = SmtpServer::start().await;
    let (app, org) = app_with_smtp(&smtp).await;
    let org_name = format!("Acme {LOOKALIKE}");
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/settings/general"),
            &[("name", org_name.as_str())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let inviter = format!("Ada {LOOKALIKE}");
    let res = app
        .client
        .post_form("/profile/name", &[("display_name", inviter.as_str())])
        .await;
    assert!(res.status().is_redirection() || res.status().is_success());

    assert_eq!(
        invite(&app, org, "grace@example.com", &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    let messages = smtp.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    let message = decode_quoted_printable(&messages[0]);
    assert!(message.contains(&org_name), "the org name as written");
    assert!(message.contains(&inviter), "the inviter's name as written");

    let link = invite_link(&message);
    let token = link.rsplit('/').next().unwrap();
    assert!(
        token.len() > 20 && token != LOOKALIKE,
        "a real token: {link}"
    );
    let mut uses = 0;
    for (at, _) in message.match_indices(token) {
        uses += 1;
        assert!(
            message[..at].ends_with("/invite/"),
            "the token only ever follows /invite/"
        );
    }
    assert!(uses >= 2, "in the text part and in the HTML part");
    assert!(
        !message.contains('\u{1}'),
        "no placeholder is left anywhere"
    );
}
