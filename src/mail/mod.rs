//! Email: messages rendered from templates into the outbox, the transports
//! (SMTP, or `.eml` files when no server is configured) and the background
//! worker that delivers the outbox.

pub mod templates;
pub mod transport;
pub mod worker;

/// Stands for a link's token (invitation or password reset) in a queued message. The worker mints the
/// token when it sends, so the token itself is never stored, not even here.
pub const TOKEN_PLACEHOLDER: &str = "__ROSTER_INVITE_TOKEN__";

/// A message ready for the outbox.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}
