//! Where messages go: an SMTP server configured by environment (no TLS,
//! STARTTLS or implicit TLS, optional credentials), or, with none configured,
//! `.eml` files in the mail folder (the link logged too only with
//! `ROSTER_DEV_LOG_LINKS`), so the first run works without a mail server.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use lettre::{
    message::{Mailbox, MultiPart},
    transport::smtp::{authentication::Credentials, PoolConfig},
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

    /// Sends one message; the error is a short text kept as the row's last error.
    pub async fn send(&self, out: Outgoing<'_>) -> Result<(), String> {
        let to: Mailbox = out
            .to
            .parse()
            .map_err(|e| format!("invalid recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(out.subject)
            .multipart(MultiPart::alternative_plain_html(out.text, out.html))
            .map_err(|e| format!("could not build the message: {e}"))?;
        match &self.kind {
            Kind::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Kind::Files {
                transport,
                dir,
                log_links,
            } => {
                let id = transport.send(message).await.map_err(|e| e.to_string())?;
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
