//! Logging: tracing to stderr, filtered by `RUST_LOG` (default `info`), as
//! lines for people or, with `ROSTER_LOG_FORMAT=json`, one JSON object per line
//! for a log collector. Secrets are kept out where the fields are made (see
//! `web::plumbing::middleware::loggable_path`), so both formats redact alike.

use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `ROSTER_LOG_FORMAT`: `text` (the default) or `json`.
    pub fn from_env() -> anyhow::Result<Self> {
        match std::env::var("ROSTER_LOG_FORMAT") {
            Err(_) => Ok(Self::Text),
            Ok(raw) => Self::parse(&raw).ok_or_else(|| {
                anyhow::anyhow!("ROSTER_LOG_FORMAT must be text or json, not {raw:?}")
            }),
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Some(Self::Text),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

pub fn init() -> anyhow::Result<()> {
    let format = LogFormat::from_env()?;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr);
    // A second init (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_format_is_text_or_json_and_nothing_else() {
        assert_eq!(LogFormat::parse(""), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse("text"), Some(LogFormat::Text));
        assert_eq!(LogFormat::parse(" JSON "), Some(LogFormat::Json));
        assert_eq!(LogFormat::parse("logfmt"), None);
    }
}
