//! The presence dot's view model: status with its text label (never colour
//! alone) and "last seen 3 minutes ago", the absolute time in the tooltip.
//! One fragment, `fragments/presence/_dot.html`, serves every list and the
//! live stream; lists include it with a `dot` in scope.

use askama::Template;
use chrono::{DateTime, Utc};

use crate::domain::presence::Status;

#[derive(Debug, Clone)]
pub struct PresenceDot {
    /// The membership it belongs to: the live event is `presence-<id>`.
    pub member_id: i64,
    pub status: Status,
    pub last_seen: Option<DateTime<Utc>>,
    /// When it was rendered, for the relative time.
    pub now: DateTime<Utc>,
}

impl PresenceDot {
    /// A dot from a stored status (`None`: never reported, offline) and the
    /// last time the member was seen.
    pub fn new(
        member_id: i64,
        status: Option<&str>,
        last_seen: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            member_id,
            status: status.and_then(Status::parse).unwrap_or(Status::Offline),
            last_seen,
            now,
        }
    }

    /// "last seen 3 minutes ago", or "never seen".
    pub fn seen(&self) -> String {
        match self.last_seen {
            Some(at) => format!("last seen {}", ago(self.now - at)),
            None => "never seen".into(),
        }
    }

    pub fn tooltip(&self) -> String {
        match self.last_seen {
            Some(at) => format!(
                "{}, last seen {}",
                self.status.label(),
                at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            None => format!("{}, never seen", self.status.label()),
        }
    }
}

fn ago(elapsed: chrono::Duration) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    let secs = elapsed.num_seconds();
    if secs < 60 {
        "just now".into()
    } else if secs < 3600 {
        plural(secs / 60, "minute")
    } else if secs < 86_400 {
        plural(secs / 3600, "hour")
    } else {
        plural(secs / 86_400, "day")
    }
}

#[derive(Template)]
#[template(path = "fragments/presence/_dot.html")]
pub struct DotFragment<'a> {
    pub dot: &'a PresenceDot,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dot_says_its_status_in_words_and_how_long_ago_with_the_time_in_the_tooltip() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let dot = PresenceDot::new(
            7,
            Some("away"),
            Some(now - chrono::Duration::seconds(190)),
            now,
        );
        let html = DotFragment { dot: &dot }.render().unwrap();
        assert!(html.contains(">Away<"), "{html}");
        assert!(html.contains("last seen 3 minutes ago"), "{html}");
        assert!(
            html.contains("title=\"Away, last seen 2027-01-15 07:56:50 UTC\""),
            "{html}"
        );
        assert!(html.contains("sse-swap=\"presence-7\""), "{html}");
        assert!(
            !html.trim_end().contains('\n'),
            "one line, one SSE data line"
        );
        let never = PresenceDot::new(8, None, None, now);
        assert_eq!(never.status, Status::Offline);
        assert_eq!(never.seen(), "never seen");
        assert_eq!(ago(chrono::Duration::seconds(59)), "just now");
        assert_eq!(ago(chrono::Duration::seconds(60)), "1 minute ago");
        assert_eq!(ago(chrono::Duration::hours(5)), "5 hours ago");
        assert_eq!(ago(chrono::Duration::days(1)), "1 day ago");
    }
}
