//! Emails rendered from templates/emails: a subject, a text part and an HTML
//! part each. Links are built from the configured public URL, never from a
//! request's Host header.

use askama::Template;

use super::{Rendered, TOKEN_PLACEHOLDER};
use crate::error::AppResult;

#[derive(Template)]
#[template(path = "emails/invitation.subject", escape = "none")]
struct InvitationSubject<'a> {
    org: &'a str,
    inviter: &'a str,
}

#[derive(Template)]
#[template(path = "emails/invitation.txt", escape = "none")]
struct InvitationText<'a> {
    org: &'a str,
    inviter: &'a str,
    role: &'a str,
    link: &'a str,
    expires: &'a str,
}

#[derive(Template)]
#[template(path = "emails/invitation.html")]
struct InvitationHtml<'a> {
    org: &'a str,
    inviter: &'a str,
    role: &'a str,
    link: &'a str,
    expires: &'a str,
}

/// The accept link with the token left as a placeholder.
pub fn invite_link(public_url: &url::Url) -> String {
    format!(
        "{}/invite/{TOKEN_PLACEHOLDER}",
        public_url.as_str().trim_end_matches('/')
    )
}

pub fn invitation(
    public_url: &url::Url,
    org: &str,
    inviter: &str,
    role: &str,
    expires: chrono::DateTime<chrono::Utc>,
) -> AppResult<Rendered> {
    let link = invite_link(public_url);
    let expires = expires.format("%Y-%m-%d %H:%M UTC").to_string();
    // One line, and no header injection through a name.
    let subject: String = InvitationSubject { org, inviter }
        .render()?
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Ok(Rendered {
        subject: subject.trim().to_owned(),
        text: InvitationText {
            org,
            inviter,
            role,
            link: &link,
            expires: &expires,
        }
        .render()?,
        html: InvitationHtml {
            org,
            inviter,
            role,
            link: &link,
            expires: &expires,
        }
        .render()?,
    })
}
