//! Email: messages rendered from templates into the outbox, the transports
//! (SMTP, or `.eml` files when no server is configured) and the background
//! worker that delivers the outbox.

pub mod templates;
pub mod transport;
pub mod worker;

/// Stands for a link's token (invitation or password reset) in a queued message. The worker mints the
/// token when it sends, so the token itself is never stored, not even here.
///
/// The control characters around it keep it out of anything a person wrote:
/// every name that goes into an email passes through [`templates`]' `plain`,
/// which drops control characters, so an organization called
/// `__ROSTER_INVITE_TOKEN__` shows as written and never receives the token.
pub const TOKEN_PLACEHOLDER: &str = "\u{1}__ROSTER_INVITE_TOKEN__\u{1}";

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}
