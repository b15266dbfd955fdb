//! Typed settings read from the environment. Secrets are never printed: `Debug`
//! on [`SmtpSettings`] hides the password.

use std::{env, fmt, net::SocketAddr, path::PathBuf, time::Duration};

use anyhow::{bail, Context};

use crate::domain::presence::Thresholds;
use crate::web::plumbing::proxy::{ProxyTrust, DEFAULT_TRUSTED_PROXIES};

#[derive(Clone, Debug)]
pub struct Settings {
    /// Address the HTTP server binds to (`ROSTER_BIND`).
    pub bind: SocketAddr,
    /// PostgreSQL URL (`DATABASE_URL`).
    pub database_url: String,
    /// The URL people reach Roster at (`ROSTER_PUBLIC_URL`); links in emails are built from it.
    pub public_url: url::Url,
    /// Connections in the r2d2 pool (`ROSTER_DB_POOL_SIZE`).
    pub db_pool_size: u32,
    /// HTTP worker threads (`ROSTER_WORKERS`); 0 means one per core.
    pub workers: usize,
    pub session_idle: Duration,
    pub session_absolute: Duration,
    pub smtp: Option<SmtpSettings>,
    /// Without SMTP, log each email's link (`ROSTER_DEV_LOG_LINKS`, off): for
    /// development only, since the log then holds working invitation and reset links.
    pub dev_log_links: bool,
    /// Folder for `.eml` files when no SMTP server is configured (`ROSTER_MAIL_DIR`).
    pub mail_dir: PathBuf,
    pub mail_from: String,
    /// How often the outbox worker looks for due messages (`ROSTER_OUTBOX_POLL_MS`).
    pub outbox_poll: Duration,
    /// First retry delay after a failed send, doubled each time (`ROSTER_OUTBOX_RETRY_MS`).
    pub outbox_retry_base: Duration,
    /// Attempts before a message is marked failed (`ROSTER_OUTBOX_MAX_ATTEMPTS`).
    pub outbox_max_attempts: i32,
    /// Messages the outbox worker sends at once, each over its own pooled SMTP
    /// connection (`ROSTER_OUTBOX_CONCURRENCY`, at least 1).
    pub outbox_concurrency: usize,
    /// How long an invitation link stays valid (`ROSTER_INVITATION_TTL_HOURS`).
    pub invitation_ttl: Duration,
    /// How long an expired invitation stays listed before it is purged
    /// (`ROSTER_INVITATION_PURGE_AFTER_DAYS`).
    pub invitation_purge_after: Duration,
    /// The one reminder goes out when less than this remains
    /// (`ROSTER_INVITATION_REMINDER_BEFORE_HOURS`; 0 sends none).
    pub invitation_remind_before: Duration,
    /// How often the upkeep job expires, reminds and purges invitations
    /// (`ROSTER_INVITATION_UPKEEP_SECS`).
    pub invitation_upkeep_every: Duration,
    /// How long a password reset link stays valid (`ROSTER_PASSWORD_RESET_TTL_MINUTES`).
    pub password_reset_ttl: Duration,
    /// Whose word about the client address counts (`ROSTER_TRUST_PROXY`,
    /// `ROSTER_TRUSTED_PROXIES`, `ROSTER_TRUST_FORWARDED_HEADER`): see `web::plumbing::proxy`.
    pub proxy: ProxyTrust,
    /// Passwords hashed or checked at once (`ROSTER_HASH_CONCURRENCY`, default two
    /// per core); a request past that is told to come back, not queued.
    pub hash_concurrency: usize,
    /// How long a request waits for a database connection before it is told
    /// Roster is unavailable (`ROSTER_DB_CHECKOUT_TIMEOUT_MS`).
    pub db_checkout_timeout: Duration,
    pub limits: RateLimits,
    /// Serve Prometheus metrics (`ROSTER_METRICS`, off) on their own listener
    /// at `metrics_bind` (`ROSTER_METRICS_BIND`, 127.0.0.1:9090), never on the public one.
    pub metrics: bool,
    pub metrics_bind: SocketAddr,
    /// On SIGTERM, how long in-flight requests and the outbox worker's sends may
    /// take to finish before the process exits anyway (`ROSTER_SHUTDOWN_TIMEOUT_SECS`).
    pub shutdown_timeout: Duration,
    pub presence: PresenceSettings,
}

/// Presence thresholds and the live stream's timing (`ROSTER_PRESENCE_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresenceSettings {
    pub thresholds: Thresholds,
    /// How often each instance looks for members crossing a threshold
    /// (`ROSTER_PRESENCE_TICK_MS`).
    pub tick: Duration,
    /// A comment on idle streams this often, so proxies keep them open
    /// (`ROSTER_PRESENCE_KEEPALIVE_SECS`).
    pub keep_alive: Duration,
    /// A stream ends after this long and the browser reconnects, so a revoked
    /// member's stream does not outlive their access (`ROSTER_PRESENCE_STREAM_SECS`).
    pub stream_lifetime: Duration,
}

impl PresenceSettings {
    fn from_env() -> anyhow::Result<Self> {
        let secs = |name: &str, default: u64| -> anyhow::Result<Duration> {
            Ok(Duration::from_secs(number::<u64>(name, default)?.max(1)))
        };
        let thresholds = Thresholds {
            away_after: secs("ROSTER_PRESENCE_AWAY_SECS", 300)?,
            offline_after: secs("ROSTER_PRESENCE_OFFLINE_SECS", 120)?,
            heartbeat: secs("ROSTER_PRESENCE_HEARTBEAT_SECS", 30)?,
        };
        if thresholds.offline_after <= thresholds.heartbeat {
            bail!(
                "ROSTER_PRESENCE_OFFLINE_SECS must be longer than ROSTER_PRESENCE_HEARTBEAT_SECS, \
                 or open pages would flicker offline between their reports"
            );
        }
        Ok(Self {
            thresholds,
            tick: Duration::from_millis(number::<u64>("ROSTER_PRESENCE_TICK_MS", 500)?.max(10)),
            keep_alive: secs("ROSTER_PRESENCE_KEEPALIVE_SECS", 15)?,
            stream_lifetime: secs("ROSTER_PRESENCE_STREAM_SECS", 600)?,
        })
    }
}

/// How many of each action are allowed per hour, per organization, account,
/// client address, link or email address (`ROSTER_LIMIT_<ACTION>_PER_HOUR_<SCOPE>`).
/// Invitations count addresses: a bulk invite of n addresses counts n.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    pub invites_per_org: u32,
    pub invites_per_account: u32,
    pub invites_per_ip: u32,
    pub resends_per_org: u32,
    pub resends_per_account: u32,
    pub resends_per_ip: u32,
    pub redeems_per_ip: u32,
    pub redeems_per_token: u32,
    pub resets_per_email: u32,
    pub resets_per_ip: u32,
    /// JSON API requests per token per minute (`ROSTER_LIMIT_API_PER_MINUTE_TOKEN`).
    pub api_per_token_per_minute: u32,
}

impl RateLimits {
    fn from_env() -> anyhow::Result<Self> {
        let limit = |name: &str, default: u32| number(&format!("ROSTER_LIMIT_{name}"), default);
        Ok(Self {
            invites_per_org: limit("INVITES_PER_HOUR_ORG", 2000)?,
            invites_per_account: limit("INVITES_PER_HOUR_ACCOUNT", 2000)?,
            invites_per_ip: limit("INVITES_PER_HOUR_IP", 2000)?,
            resends_per_org: limit("RESENDS_PER_HOUR_ORG", 200)?,
            resends_per_account: limit("RESENDS_PER_HOUR_ACCOUNT", 100)?,
            resends_per_ip: limit("RESENDS_PER_HOUR_IP", 100)?,
            redeems_per_ip: limit("REDEEMS_PER_HOUR_IP", 60)?,
            redeems_per_token: limit("REDEEMS_PER_HOUR_TOKEN", 30)?,
            resets_per_email: limit("RESETS_PER_HOUR_EMAIL", 5)?,
            resets_per_ip: limit("RESETS_PER_HOUR_IP", 30)?,
            api_per_token_per_minute: limit("API_PER_MINUTE_TOKEN", 1200)?,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/roster";

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let bind: SocketAddr = var_or("ROSTER_BIND", "127.0.0.1:8080")
            .parse()
            .context("ROSTER_BIND must be an address such as 127.0.0.1:8080")?;
        let public_url = match env::var("ROSTER_PUBLIC_URL") {
            Ok(raw) => raw,
            Err(_) => format!("http://{bind}"),
        };
        let public_url = url::Url::parse(&public_url).context("ROSTER_PUBLIC_URL must be a URL")?;
        let smtp = match env::var("ROSTER_SMTP_HOST") {
            Ok(host) if !host.is_empty() => Some(SmtpSettings {
                host,
                port: number("ROSTER_SMTP_PORT", 25)?,
                tls: match var_or("ROSTER_SMTP_TLS", "none")
                    .to_ascii_lowercase()
                    .as_str()
                {
                    "none" => SmtpTls::None,
                    "starttls" => SmtpTls::StartTls,
                    "tls" => SmtpTls::Tls,
                    other => bail!("ROSTER_SMTP_TLS must be none, starttls or tls, not {other:?}"),
                },
                username: env::var("ROSTER_SMTP_USERNAME").ok(),
                password: env::var("ROSTER_SMTP_PASSWORD").ok(),
            }),
            _ => None,
        };
        if let Some(smtp) = &smtp {
            check_smtp_auth(smtp, flag("ROSTER_SMTP_ALLOW_INSECURE_AUTH"))?;
        }
        Ok(Self {
            bind,
            database_url: var_or("DATABASE_URL", DEFAULT_DATABASE_URL),
            public_url,
            db_pool_size: number("ROSTER_DB_POOL_SIZE", 10)?,
            workers: number("ROSTER_WORKERS", 0)?,
            session_idle: Duration::from_secs(number("ROSTER_SESSION_IDLE_SECS", 30 * 60)?),
            session_absolute: Duration::from_secs(number(
                "ROSTER_SESSION_ABSOLUTE_SECS",
                12 * 3600,
            )?),
            smtp,
            dev_log_links: flag("ROSTER_DEV_LOG_LINKS"),
            mail_dir: PathBuf::from(var_or("ROSTER_MAIL_DIR", "target/mail")),
            mail_from: var_or("ROSTER_MAIL_FROM", "Roster <roster@localhost>"),
            outbox_poll: Duration::from_millis(number("ROSTER_OUTBOX_POLL_MS", 1000)?),
            outbox_retry_base: Duration::from_millis(number("ROSTER_OUTBOX_RETRY_MS", 30_000)?),
            outbox_max_attempts: number("ROSTER_OUTBOX_MAX_ATTEMPTS", 8)?,
            outbox_concurrency: number("ROSTER_OUTBOX_CONCURRENCY", 16)?.max(1),
            invitation_ttl: Duration::from_secs(3600 * number("ROSTER_INVITATION_TTL_HOURS", 168)?),
            invitation_purge_after: Duration::from_secs(
                86_400 * number("ROSTER_INVITATION_PURGE_AFTER_DAYS", 30)?,
            ),
            invitation_remind_before: Duration::from_secs(
                3600 * number("ROSTER_INVITATION_REMINDER_BEFORE_HOURS", 48)?,
            ),
            invitation_upkeep_every: Duration::from_secs(
                number("ROSTER_INVITATION_UPKEEP_SECS", 300)?.max(1),
            ),
            password_reset_ttl: Duration::from_secs(
                60 * number("ROSTER_PASSWORD_RESET_TTL_MINUTES", 60)?,
            ),
            proxy: ProxyTrust::parse(
                flag("ROSTER_TRUST_PROXY"),
                &var_or("ROSTER_TRUSTED_PROXIES", DEFAULT_TRUSTED_PROXIES),
                flag("ROSTER_TRUST_FORWARDED_HEADER"),
            )?,
            hash_concurrency: match number("ROSTER_HASH_CONCURRENCY", 0)? {
                0 => 2 * std::thread::available_parallelism().map_or(1, |n| n.get()),
                n => n,
            },
            db_checkout_timeout: Duration::from_millis(
                number("ROSTER_DB_CHECKOUT_TIMEOUT_MS", 3000)?.max(1),
            ),
            limits: RateLimits::from_env()?,
            metrics: flag("ROSTER_METRICS"),
            metrics_bind: var_or("ROSTER_METRICS_BIND", "127.0.0.1:9090")
                .parse()
                .context("ROSTER_METRICS_BIND must be an address such as 127.0.0.1:9090")?,
            shutdown_timeout: Duration::from_secs(number("ROSTER_SHUTDOWN_TIMEOUT_SECS", 30)?),
            presence: PresenceSettings::from_env()?,
        })
    }

    /// Cookies are marked Secure and `__Host-`-prefixed when Roster is reached over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// Credentials over `ROSTER_SMTP_TLS=none` would cross the network in clear
/// text: refused unless `ROSTER_SMTP_ALLOW_INSECURE_AUTH` says so.
fn check_smtp_auth(smtp: &SmtpSettings, allow_insecure: bool) -> anyhow::Result<()> {
    let has_credentials = smtp.username.is_some() || smtp.password.is_some();
    if smtp.tls == SmtpTls::None && has_credentials && !allow_insecure {
        bail!(
            "ROSTER_SMTP_USERNAME/ROSTER_SMTP_PASSWORD are set with ROSTER_SMTP_TLS=none: the \
             password would be sent unencrypted. Use ROSTER_SMTP_TLS=starttls or tls, or set \
             ROSTER_SMTP_ALLOW_INSECURE_AUTH=true for a server on a trusted network."
        );
    }
    Ok(())
}

fn flag(name: &str) -> bool {
    matches!(
        var_or(name, "").trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes"
    )
}

fn var_or(name: &str, default: &str) -> String {
    env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match env::var(name) {
        Ok(raw) => raw
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name} must be a whole number, not {raw:?}")),
        Err(_) => Ok(default),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(tls: SmtpTls, username: Option<&str>) -> SmtpSettings {
        SmtpSettings {
            host: "mail.example".into(),
            port: 25,
            tls,
            username: username.map(str::to_owned),
            password: username.map(|_| "secret".to_owned()),
        }
    }

    #[test]
    fn smtp_credentials_without_tls_are_refused_unless_explicitly_allowed() {
        let err = check_smtp_auth(&smtp(SmtpTls::None, Some("roster")), false).unwrap_err();
        assert!(err.to_string().contains("ROSTER_SMTP_ALLOW_INSECURE_AUTH"));
        assert!(
            !err.to_string().contains("secret"),
            "the password is never printed"
        );
        assert!(check_smtp_auth(&smtp(SmtpTls::None, Some("roster")), true).is_ok());
        assert!(check_smtp_auth(&smtp(SmtpTls::None, None), false).is_ok());
        assert!(check_smtp_auth(&smtp(SmtpTls::StartTls, Some("roster")), false).is_ok());
        assert!(check_smtp_auth(&smtp(SmtpTls::Tls, Some("roster")), false).is_ok());
    }

    #[test]
    fn links_are_not_logged_unless_the_development_flag_is_on() {
        assert!(!Settings::from_env().unwrap().dev_log_links);
    }
}
