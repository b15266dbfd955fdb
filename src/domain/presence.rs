//! Presence as a pure function of time: what each open tab last reported, and
//! the status (online, away, offline) that follows at a given moment. The
//! clock is always a parameter, so every threshold is tested without waiting.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Online,
    Away,
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Online, Self::Away, Self::Offline]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Online => "Online",
            Self::Away => "Away",
            Self::Offline => "Offline",
        }
    }
}

/// What a page says about its tab: in use, open but untouched, or hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Active,
    Idle,
    Hidden,
}

impl Report {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "active" => Ok(Self::Active),
            "idle" => Ok(Self::Idle),
            "hidden" => Ok(Self::Hidden),
            _ => Err(Invalid::new("The state must be active, idle or hidden.")),
        }
    }
}

/// A tab's random id, made by the page (letters, digits, `-` and `_`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TabId(String);

impl TabId {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let ok = (8..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(Invalid::new(
                "The tab id must be 8 to 64 letters, digits, - or _.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The thresholds (`ROSTER_PRESENCE_*` settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Without input this long in any visible tab, a member is away.
    pub away_after: Duration,
    /// With no tab reporting for this long, a member is offline.
    pub offline_after: Duration,
    /// A tab that keeps reporting the same thing is written at most this often.
    pub heartbeat: Duration,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            away_after: Duration::from_secs(300),
            offline_after: Duration::from_secs(120),
            heartbeat: Duration::from_secs(30),
        }
    }
}

fn span(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// What one tab last reported. Times are milliseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tab {
    /// Visible (not hidden) when it reported.
    #[serde(rename = "v")]
    pub visible: bool,
    /// Its last input.
    #[serde(rename = "i")]
    pub input_at: i64,
    /// When it reported.
    #[serde(rename = "s")]
    pub seen_at: i64,
}

/// At most this many tabs are kept per member; the longest silent goes first.
pub const MAX_TABS: usize = 16;

/// Idle times above a day are taken as a day.
const MAX_IDLE_MS: i64 = 86_400_000;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Every tab of one member in one organization (the `presence.tabs` column).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tabs(BTreeMap<String, Tab>);

impl Tabs {
    fn live(&self, now: DateTime<Utc>, th: &Thresholds) -> impl Iterator<Item = &Tab> {
        let since = (now - span(th.offline_after)).timestamp_millis();
        self.0.values().filter(move |t| t.seen_at > since)
    }

    fn in_use(tab: &Tab, now: DateTime<Utc>, th: &Thresholds) -> bool {
        tab.visible && tab.input_at > (now - span(th.away_after)).timestamp_millis()
    }

    /// Online while a visible tab had input within `away_after`; away while
    /// some tab still reports; offline when none has within `offline_after`.
    pub fn status(&self, now: DateTime<Utc>, th: &Thresholds) -> Status {
        let mut live = self.live(now, th).peekable();
        if live.peek().is_none() {
            return Status::Offline;
        }
        if live.any(|t| Self::in_use(t, now, th)) {
            Status::Online
        } else {
            Status::Away
        }
    }

    /// The next moment the status may change with no further report: a live
    /// tab falling silent, or a used tab's input growing old. `None` once offline.
    pub fn next_change(&self, now: DateTime<Utc>, th: &Thresholds) -> Option<DateTime<Utc>> {
        let offline = th.offline_after.as_millis() as i64;
        let away = th.away_after.as_millis() as i64;
        self.live(now, th)
            .flat_map(|t| {
                let used = Self::in_use(t, now, th).then_some(t.input_at.saturating_add(away));
                [Some(t.seen_at.saturating_add(offline)), used]
            })
            .flatten()
            .min()
            .map(at)
    }

    /// The last input in any tab (a hidden tab tells when it was last used).
    /// Tabs are pruned, so the stored "last seen" keeps the latest of this
    /// and what it held (`db::presence::save`).
    pub fn last_active(&self) -> Option<DateTime<Utc>> {
        self.0.values().map(|t| t.input_at).max().map(at)
    }

    /// Records a tab's report. Returns false when nothing worth writing
    /// changed: the tab said the same within `heartbeat` of its last write.
    pub fn record(
        &mut self,
        tab: &TabId,
        report: Report,
        idle: Duration,
        now: DateTime<Utc>,
        th: &Thresholds,
    ) -> bool {
        let now_ms = now.timestamp_millis();
        let idle_ms = (idle.as_millis() as i64).clamp(0, MAX_IDLE_MS);
        let away_ms = th.away_after.as_millis() as i64;
        let input_ms = match report {
            // An idle tab had no input for at least the away threshold, whatever it says.
            Report::Idle => idle_ms.max(away_ms),
            Report::Active | Report::Hidden => idle_ms,
        };
        let next = Tab {
            visible: report != Report::Hidden,
            input_at: now_ms - input_ms,
            seen_at: now_ms,
        };
        if let Some(old) = self.0.get(tab.as_str()) {
            let same = old.visible == next.visible
                && Self::in_use(old, now, th) == Self::in_use(&next, now, th);
            let recent = now_ms - old.seen_at < th.heartbeat.as_millis() as i64;
            if same && recent {
                return false;
            }
        }
        self.0.insert(tab.as_str().to_owned(), next);
        self.prune(now, th);
        true
    }

    /// Drops tabs silent past `offline_after`, then the most silent beyond [`MAX_TABS`].
    pub fn prune(&mut self, now: DateTime<Utc>, th: &Thresholds) {
        let since = (now - span(th.offline_after)).timestamp_millis();
        self.0.retain(|_, t| t.seen_at > since);
        while self.0.len() > MAX_TABS {
            let oldest = self
                .0
                .iter()
                .min_by_key(|(_, t)| t.seen_at)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(key) => self.0.remove(&key),
                None => break,
            };
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn secs(n: i64) -> chrono::Duration {
        chrono::Duration::seconds(n)
    }

    fn tab(n: u8) -> TabId {
        TabId::parse(&format!("tab-{n:06}")).unwrap()
    }

    const TH: Thresholds = Thresholds {
        away_after: Duration::from_secs(300),
        offline_after: Duration::from_secs(120),
        heartbeat: Duration::from_secs(30),
    };

    #[test]
    fn a_member_is_online_then_away_after_five_idle_minutes_then_offline_two_minutes_after_the_last_report(
    ) {
        let mut tabs = Tabs::default();
        assert_eq!(tabs.status(t0(), &TH), Status::Offline);
        assert!(tabs.record(&tab(1), Report::Active, Duration::ZERO, t0(), &TH));
        assert_eq!(tabs.status(t0(), &TH), Status::Online);
        // The page keeps reporting without input: away at five minutes.
        for n in 1..=10 {
            let now = t0() + secs(30 * n);
            tabs.record(
                &tab(1),
                Report::Active,
                Duration::from_secs(30 * n as u64),
                now,
                &TH,
            );
        }
        assert_eq!(tabs.status(t0() + secs(299), &TH), Status::Online);
        assert_eq!(tabs.status(t0() + secs(300), &TH), Status::Away);
        // The page closes (last report at 300 s): offline two minutes later.
        assert_eq!(tabs.status(t0() + secs(419), &TH), Status::Away);
        assert_eq!(tabs.status(t0() + secs(420), &TH), Status::Offline);
    }

    #[test]
    fn next_change_names_the_moment_the_status_flips_without_reports() {
        let mut tabs = Tabs::default();
        tabs.record(&tab(1), Report::Active, Duration::from_secs(10), t0(), &TH);
        // Input 10 s ago: away at 290 s, but silent tabs go at 120 s first.
        assert_eq!(tabs.next_change(t0(), &TH), Some(t0() + secs(120)));
        let hidden = {
            let mut t = Tabs::default();
            t.record(&tab(1), Report::Hidden, Duration::ZERO, t0(), &TH);
            t
        };
        assert_eq!(hidden.status(t0(), &TH), Status::Away);
        assert_eq!(hidden.next_change(t0(), &TH), Some(t0() + secs(120)));
        assert_eq!(hidden.next_change(t0() + secs(120), &TH), None);
        // With a short away threshold the input's age comes first.
        let quick = Thresholds {
            away_after: Duration::from_secs(5),
            ..TH
        };
        let mut t = Tabs::default();
        t.record(
            &tab(1),
            Report::Active,
            Duration::from_secs(1),
            t0(),
            &quick,
        );
        assert_eq!(t.next_change(t0(), &quick), Some(t0() + secs(4)));
        assert_eq!(t.status(t0() + secs(4), &quick), Status::Away);
    }

    #[test]
    fn every_tab_hidden_is_away_but_one_visible_tab_in_use_is_online() {
        let mut tabs = Tabs::default();
        tabs.record(&tab(1), Report::Hidden, Duration::ZERO, t0(), &TH);
        tabs.record(&tab(2), Report::Hidden, Duration::ZERO, t0(), &TH);
        assert_eq!(tabs.status(t0(), &TH), Status::Away);
        tabs.record(&tab(2), Report::Active, Duration::ZERO, t0() + secs(1), &TH);
        assert_eq!(tabs.status(t0() + secs(1), &TH), Status::Online);
        // An idle report is away whatever idle time it claims.
        tabs.record(&tab(2), Report::Idle, Duration::ZERO, t0() + secs(2), &TH);
        assert_eq!(tabs.status(t0() + secs(2), &TH), Status::Away);
    }

    #[test]
    fn the_same_report_within_the_heartbeat_is_not_written_again_but_a_change_is() {
        let mut tabs = Tabs::default();
        assert!(tabs.record(&tab(1), Report::Active, Duration::ZERO, t0(), &TH));
        assert!(!tabs.record(
            &tab(1),
            Report::Active,
            Duration::ZERO,
            t0() + secs(29),
            &TH
        ));
        assert!(tabs.record(
            &tab(1),
            Report::Hidden,
            Duration::ZERO,
            t0() + secs(29),
            &TH
        ));
        assert!(!tabs.record(
            &tab(1),
            Report::Hidden,
            Duration::ZERO,
            t0() + secs(40),
            &TH
        ));
        assert!(tabs.record(
            &tab(1),
            Report::Hidden,
            Duration::ZERO,
            t0() + secs(59),
            &TH
        ));
        // Another tab is its own.
        assert!(tabs.record(
            &tab(2),
            Report::Hidden,
            Duration::ZERO,
            t0() + secs(59),
            &TH
        ));
    }

    #[test]
    fn silent_tabs_are_dropped_and_no_more_than_sixteen_are_kept() {
        let mut tabs = Tabs::default();
        for n in 0..40u8 {
            tabs.record(
                &tab(n),
                Report::Hidden,
                Duration::ZERO,
                t0() + secs(n.into()),
                &TH,
            );
        }
        assert_eq!(tabs.len(), MAX_TABS);
        tabs.prune(t0() + secs(400), &TH);
        assert!(tabs.is_empty());
    }

    #[test]
    fn last_active_is_the_last_input_in_any_tab() {
        let mut tabs = Tabs::default();
        tabs.record(&tab(1), Report::Active, Duration::from_secs(5), t0(), &TH);
        assert_eq!(tabs.last_active(), Some(t0() - secs(5)));
        // Hidden a minute later, used 30 s before it was hidden.
        let idle = Duration::from_secs(30);
        tabs.record(&tab(2), Report::Hidden, idle, t0() + secs(60), &TH);
        assert_eq!(tabs.last_active(), Some(t0() + secs(30)));
    }

    #[test]
    fn tab_ids_and_states_are_checked_at_the_edge() {
        assert!(TabId::parse("abcdefgh").is_ok());
        assert!(TabId::parse("short").is_err());
        assert!(TabId::parse(&"x".repeat(65)).is_err());
        assert!(TabId::parse("has space ok").is_err());
        assert!(TabId::parse("ab\"cd<efg").is_err());
        assert_eq!(Report::parse("hidden"), Ok(Report::Hidden));
        assert!(Report::parse("ACTIVE").is_err());
        assert_eq!(Status::parse("away"), Some(Status::Away));
        assert_eq!(Status::parse("gone"), None);
    }
}
