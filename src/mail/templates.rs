//! Emails rendered from templates/emails: a subject, a text part and an HTML
//! part each. Links are built from the configured public URL, never from a
//! request's Host header.

use askama::Template;

use super::{Rendered, TOKEN_PLACEHOLDER};
use crate::error::AppResult;

/// What an invitation email and its reminder name.
struct InvitationFields<'a> {
    org: &'a str,
    inviter: &'a str,
    role: &'a str,
    link: &'a str,
    expires: &'a str,
}

#[derive(Template)]
#[template(path = "emails/invitation.subject", escape = "none")]
struct InvitationSubject<'a> {
    e: &'a InvitationFields<'a>,
}

#[derive(Template)]
#[template(path = "emails/invitation.txt", escape = "none")]
struct InvitationText<'a> {
    e: &'a InvitationFields<'a>,
}

#[derive(Template)]
#[template(path = "emails/invitation.html")]
struct InvitationHtml<'a> {
    e: &'a InvitationFields<'a>,
}

#[derive(Template)]
#[template(path = "emails/password_reset.subject", escape = "none")]
struct ResetSubject;

#[derive(Template)]
#[template(path = "emails/password_reset.txt", escape = "none")]
struct ResetText<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
    expires: &'a str,
}

#[derive(Template)]
#[template(path = "emails/password_reset.html")]
struct ResetHtml<'a> {
    name: &'a str,
    email: &'a str,
    link: &'a str,
    expires: &'a str,
}

/// A link under `path` with the token left as a placeholder.
fn link_with_placeholder(public_url: &url::Url, path: &str) -> String {
    format!(
        "{}{path}{TOKEN_PLACEHOLDER}",
        public_url.as_str().trim_end_matches('/')
    )
}

/// The accept link with the token left as a placeholder.
pub fn invite_link(public_url: &url::Url) -> String {
    link_with_placeholder(public_url, "/invite/")
}

/// One line, and no header injection through a name.
fn one_line(subject: &str) -> String {
    subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Text a person wrote, as an email shows it: without control characters, so
/// that it can never hold [`TOKEN_PLACEHOLDER`] (the names' newtypes refuse
/// them too; this holds for whatever is already stored).
fn plain(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

fn format_expiry(expires: chrono::DateTime<chrono::Utc>) -> String {
    expires.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn invitation(
    public_url: &url::Url,
    org: &str,
    inviter: &str,
    role: &str,
    expires: chrono::DateTime<chrono::Utc>,
) -> AppResult<Rendered> {
    let (link, expires) = (invite_link(public_url), format_expiry(expires));
    let (org, inviter, role) = (plain(org), plain(inviter), plain(role));
    let e = InvitationFields {
        org: &org,
        inviter: &inviter,
        role: &role,
        link: &link,
        expires: &expires,
    };
    Ok(Rendered {
        subject: one_line(&InvitationSubject { e: &e }.render()?),
        text: InvitationText { e: &e }.render()?,
        html: InvitationHtml { e: &e }.render()?,
    })
}

#[derive(Template)]
#[template(path = "emails/reminder.subject", escape = "none")]
struct ReminderSubject<'a> {
    e: &'a InvitationFields<'a>,
}

#[derive(Template)]
#[template(path = "emails/reminder.txt", escape = "none")]
struct ReminderText<'a> {
    e: &'a InvitationFields<'a>,
}

#[derive(Template)]
#[template(path = "emails/reminder.html")]
struct ReminderHtml<'a> {
    e: &'a InvitationFields<'a>,
}

/// The one reminder before an invitation expires; its link, like every
/// invitation email's, gets a fresh token when the worker sends it.
pub fn reminder(
    public_url: &url::Url,
    org: &str,
    inviter: &str,
    role: &str,
    expires: chrono::DateTime<chrono::Utc>,
) -> AppResult<Rendered> {
    let (link, expires) = (invite_link(public_url), format_expiry(expires));
    let (org, inviter, role) = (plain(org), plain(inviter), plain(role));
    let e = InvitationFields {
        org: &org,
        inviter: &inviter,
        role: &role,
        link: &link,
        expires: &expires,
    };
    Ok(Rendered {
        subject: one_line(&ReminderSubject { e: &e }.render()?),
        text: ReminderText { e: &e }.render()?,
        html: ReminderHtml { e: &e }.render()?,
    })
}

/// The password reset email for the account `name` <`email`>.
pub fn password_reset(
    public_url: &url::Url,
    name: &str,
    email: &str,
    expires: chrono::DateTime<chrono::Utc>,
) -> AppResult<Rendered> {
    let link = link_with_placeholder(public_url, "/password/reset/");
    let expires = format_expiry(expires);
    let (name, email) = (&plain(name), &plain(email));
    Ok(Rendered {
        subject: one_line(&ResetSubject.render()?),
        text: ResetText {
            name,
            email,
            link: &link,
            expires: &expires,
        }
        .render()?,
        html: ResetHtml {
            name,
            email,
            link: &link,
            expires: &expires,
        }
        .render()?,
    })
}

/// What a "set your password" email names: the account an operator added to an
/// organization, which has no password yet.
struct SetPasswordFields<'a> {
    org: &'a str,
    name: &'a str,
    email: &'a str,
    link: &'a str,
    expires: &'a str,
}

#[derive(Template)]
#[template(path = "emails/set_password.subject", escape = "none")]
struct SetPasswordSubject<'a> {
    e: &'a SetPasswordFields<'a>,
}

#[derive(Template)]
#[template(path = "emails/set_password.txt", escape = "none")]
struct SetPasswordText<'a> {
    e: &'a SetPasswordFields<'a>,
}

#[derive(Template)]
#[template(path = "emails/set_password.html")]
struct SetPasswordHtml<'a> {
    e: &'a SetPasswordFields<'a>,
}

/// The email that lets an operator-added account choose its first password,
/// through a single-use reset link.
pub fn set_password(
    public_url: &url::Url,
    org: &str,
    name: &str,
    email: &str,
    expires: chrono::DateTime<chrono::Utc>,
) -> AppResult<Rendered> {
    let link = link_with_placeholder(public_url, "/password/reset/");
    let expires = format_expiry(expires);
    let e = SetPasswordFields {
        org,
        name,
        email,
        link: &link,
        expires: &expires,
    };
    Ok(Rendered {
        subject: one_line(&SetPasswordSubject { e: &e }.render()?),
        text: SetPasswordText { e: &e }.render()?,
        html: SetPasswordHtml { e: &e }.render()?,
    })
}

/// What the notice of a new API token names.
struct TokenCreatedFields<'a> {
    org: &'a str,
    creator: &'a str,
    name: &'a str,
    scopes: &'a str,
    expires: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/api_token_created.subject", escape = "none")]
struct TokenCreatedSubject<'a> {
    e: &'a TokenCreatedFields<'a>,
}

#[derive(Template)]
#[template(path = "emails/api_token_created.txt", escape = "none")]
struct TokenCreatedText<'a> {
    e: &'a TokenCreatedFields<'a>,
}

#[derive(Template)]
#[template(path = "emails/api_token_created.html")]
struct TokenCreatedHtml<'a> {
    e: &'a TokenCreatedFields<'a>,
}

/// The notice every Owner gets when someone makes an API token; it names the
/// token, never its secret.
pub fn api_token_created(
    public_url: &url::Url,
    org: &str,
    org_id: crate::domain::OrgId,
    creator: &str,
    name: &str,
    scopes: &[String],
    expires: Option<chrono::DateTime<chrono::Utc>>,
) -> AppResult<Rendered> {
    let link = format!(
        "{}/orgs/{org_id}/settings/api-tokens",
        public_url.as_str().trim_end_matches('/')
    );
    let expires = expires.map_or_else(|| "never".to_owned(), format_expiry);
    let (org, creator, name) = (plain(org), plain(creator), plain(name));
    let scopes = scopes.join(", ");
    let e = TokenCreatedFields {
        org: &org,
        creator: &creator,
        name: &name,
        scopes: &scopes,
        expires: &expires,
        link: &link,
    };
    Ok(Rendered {
        subject: one_line(&TokenCreatedSubject { e: &e }.render()?),
        text: TokenCreatedText { e: &e }.render()?,
        html: TokenCreatedHtml { e: &e }.render()?,
    })
}
