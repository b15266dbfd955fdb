//! Where messages go: an SMTP server configured by environment (no TLS,
//! STARTTLS or implicit TLS, optional credentials), or, with none configured,
//! `.eml` files in the mail folder (the link logged too only with
//! `ROSTER_DEV_LOG_LINKS`), so the first run works without a mail server.
//! Also what a failed send means, as a [`DeliveryFailure`] a tenant may read.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use lettre::{
    message::{Mailbox, MultiPart},
    transport::smtp::{self, authentication::Credentials, PoolConfig},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::config::{Settings, SmtpTls};

pub struct Mailer {
    from: Mailbox,
    kind: Kind,
}

enum Kind {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
        /// `ROSTER_DEV_LOG_LINKS`: the log then holds working links.
        log_links: bool,
    },
}

/// One message to deliver.
pub struct Outgoing<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: String,
    pub html: String,
    /// The accept link, logged when messages only go to files.
    pub link: Option<String>,
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let from: Mailbox = settings.mail_from.parse().with_context(|| {
            format!(
                "ROSTER_MAIL_FROM is not an address: {:?}",
                settings.mail_from
            )
        })?;
        let kind = match &settings.smtp {
            Some(smtp) => {
                let builder = match smtp.tls {
                    SmtpTls::None => {
                        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    }
                    SmtpTls::StartTls => {
                        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?
                    }
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
                };
                // One kept-open connection per message in flight: a pool smaller
                // than that would close and reopen connections on every send.
                let mut builder = builder
                    .port(smtp.port)
                    .timeout(Some(Duration::from_secs(15)))
                    .pool_config(PoolConfig::new().max_size(settings.outbox_concurrency as u32));
                if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Kind::Smtp(builder.build())
            }
            None => {
                std::fs::create_dir_all(&settings.mail_dir).with_context(|| {
                    format!(
                        "could not create the mail folder {}",
                        settings.mail_dir.display()
                    )
                })?;
                Kind::Files {
                    transport: AsyncFileTransport::new(&settings.mail_dir),
                    dir: settings.mail_dir.clone(),
                    log_links: settings.dev_log_links,
                }
            }
        };
        Ok(Self { from, kind })
    }

    /// Sends one message.
    pub async fn send(&self, out: Outgoing<'_>) -> Result<(), SendError> {
        let to: Mailbox = out.to.parse().map_err(|e| SendError {
            failure: DeliveryFailure::InvalidAddress,
            detail: format!("invalid recipient: {e}"),
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(out.subject)
            .multipart(MultiPart::alternative_plain_html(out.text, out.html))
            .map_err(|e| SendError {
                failure: DeliveryFailure::Other,
                detail: format!("could not build the message: {e}"),
            })?;
        match &self.kind {
            Kind::Smtp(transport) => {
                transport.send(message).await.map_err(|e| SendError {
                    failure: DeliveryFailure::of_smtp(&e),
                    detail: e.to_string(),
                })?;
                Ok(())
            }
            Kind::Files {
                transport,
                dir,
                log_links,
            } => {
                let id = transport.send(message).await.map_err(|e| SendError {
                    failure: DeliveryFailure::Other,
                    detail: e.to_string(),
                })?;
                // A link in the log signs anyone who reads the log in: only on request.
                let link = out.link.as_deref().filter(|_| *log_links).unwrap_or("-");
                tracing::info!(
                    file = %dir.join(format!("{id}.eml")).display(),
                    link,
                    "no SMTP server configured: email written to a file"
                );
                Ok(())
            }
        }
    }
}

/// A send that failed: the category a tenant may see, and the error as the
/// transport gave it (server replies, host names), which only the log gets.
#[derive(Debug)]
pub struct SendError {
    pub failure: DeliveryFailure,
    pub detail: String,
}

/// Why a message was not delivered, in categories that hold nothing of the mail
/// server's own words: its replies can name internal hosts, software versions
/// or other recipients, and the outbox row is shown on tenants' pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryFailure {
    /// The address did not parse: nothing was sent.
    InvalidAddress,
    /// 550, 551, 553, 501: no such mailbox, or not one this server takes.
    RecipientRefused,
    /// No connection, a dropped one, or no TLS with it.
    ServerUnreachable,
    /// 530, 534, 535, 538: our credentials (or their absence) were refused.
    AuthenticationFailed,
    /// Any other permanent (5xx) reply.
    Rejected,
    /// A transient (4xx) reply, a timeout, or the transport shutting down.
    Temporary,
    /// Anything else: a message we could not build, a file not written, a
    /// reply lettre could not read.
    Other,
}

impl DeliveryFailure {
    /// The sentence a tenant sees next to the invitation.
    pub fn tenant_message(self) -> &'static str {
        match self {
            Self::InvalidAddress => "The address cannot receive email.",
            Self::RecipientRefused => "The mail server refused the address.",
            Self::ServerUnreachable => "The mail server could not be reached.",
            Self::AuthenticationFailed => "Roster could not sign in to the mail server.",
            Self::Rejected => "The mail server rejected the message.",
            Self::Temporary => "The mail server was temporarily unavailable.",
            Self::Other => "The email could not be sent.",
        }
    }

    fn of_smtp(e: &smtp::Error) -> Self {
        Self::classify(SmtpCause::of(e))
    }

    fn classify(cause: SmtpCause) -> Self {
        match cause {
            SmtpCause::Reply {
                permanent: false, ..
            } => Self::Temporary,
            SmtpCause::Reply { code, .. } => match code {
                501 | 550 | 551 | 553 => Self::RecipientRefused,
                530 | 534 | 535 | 538 => Self::AuthenticationFailed,
                _ => Self::Rejected,
            },
            SmtpCause::Timeout | SmtpCause::Shutdown => Self::Temporary,
            SmtpCause::Connection => Self::ServerUnreachable,
            SmtpCause::Client | SmtpCause::UnreadableReply => Self::Other,
        }
    }
}

/// What lettre says about an SMTP error apart from its text; a type of our own
/// because `smtp::Error` cannot be made outside lettre, and the classifier
/// deserves tests for every code.
#[derive(Debug, Clone, Copy)]
enum SmtpCause {
    /// A negative reply: 4xx is transient, 5xx permanent.
    Reply {
        code: u16,
        permanent: bool,
    },
    Timeout,
    /// The pooled transport was shut down.
    Shutdown,
    /// lettre's own refusal before or after talking (e.g. no usable
    /// authentication mechanism).
    Client,
    /// A reply that did not parse.
    UnreadableReply,
    /// Connecting, reading, writing or TLS failed.
    Connection,
}

impl SmtpCause {
    fn of(e: &smtp::Error) -> Self {
        if let Some(code) = e.status() {
            return Self::Reply {
                code: code.into(),
                permanent: e.is_permanent(),
            };
        }
        // Checked before the kind: a connection that timed out is worth retrying.
        if e.is_timeout() {
            Self::Timeout
        } else if e.is_transport_shutdown() {
            Self::Shutdown
        } else if e.is_client() {
            Self::Client
        } else if e.is_response() {
            Self::UnreadableReply
        } else {
            // Connection, Network and TLS: lettre exposes `is_tls` but not the
            // other two, and for a tenant all three mean the same.
            Self::Connection
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16) -> DeliveryFailure {
        DeliveryFailure::classify(SmtpCause::Reply {
            code,
            permanent: code >= 500,
        })
    }

    #[test]
    fn recipient_codes_are_a_refused_address() {
        for code in [501, 550, 551, 553] {
            assert_eq!(reply(code), DeliveryFailure::RecipientRefused, "{code}");
        }
    }

    #[test]
    fn authentication_codes_are_a_failed_sign_in() {
        for code in [530, 534, 535, 538] {
            assert_eq!(reply(code), DeliveryFailure::AuthenticationFailed, "{code}");
        }
    }

    #[test]
    fn other_permanent_replies_are_a_rejection_and_transient_ones_temporary() {
        for code in [552, 554, 500, 503] {
            assert_eq!(reply(code), DeliveryFailure::Rejected, "{code}");
        }
        for code in [421, 450, 451, 452, 454] {
            assert_eq!(reply(code), DeliveryFailure::Temporary, "{code}");
        }
    }

    #[test]
    fn failures_without_a_reply_are_classified_by_their_kind() {
        use DeliveryFailure as F;
        assert_eq!(F::classify(SmtpCause::Timeout), F::Temporary);
        assert_eq!(F::classify(SmtpCause::Shutdown), F::Temporary);
        assert_eq!(F::classify(SmtpCause::Connection), F::ServerUnreachable);
        assert_eq!(F::classify(SmtpCause::Client), F::Other);
        assert_eq!(F::classify(SmtpCause::UnreadableReply), F::Other);
    }

    #[test]
    fn no_tenant_message_carries_a_code_or_a_host() {
        use DeliveryFailure as F;
        for f in [
            F::InvalidAddress,
            F::RecipientRefused,
            F::ServerUnreachable,
            F::AuthenticationFailed,
            F::Rejected,
            F::Temporary,
            F::Other,
        ] {
            let m = f.tenant_message();
            assert!(
                m.ends_with('.') && !m.chars().any(|c| c.is_ascii_digit()),
                "{m}"
            );
        }
    }

    #[tokio::test]
    async fn a_real_refused_connection_is_an_unreachable_server() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(closed)
            .timeout(Some(Duration::from_secs(5)))
            .build();
        let message = Message::builder()
            .from("a@example.com".parse().unwrap())
            .to("b@example.com".parse().unwrap())
            .subject("s")
            .body(String::from("b"))
            .unwrap();

        let e = transport.send(message).await.unwrap_err();

        assert_eq!(
            DeliveryFailure::of_smtp(&e),
            DeliveryFailure::ServerUnreachable
        );
    }
}
