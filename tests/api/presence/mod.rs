//! Presence: heartbeats, the transitions (with the clock in the test's hand),
//! the live stream read by a real HTTP client, fan-out between two instances,
//! and what the pages show.

use std::time::Duration;

use reqwest::StatusCode;
use roster::config::Settings;

use crate::helpers::{TestApp, TestClient, PASSWORD};

mod bad_input;
mod pages;
mod stream;
mod transitions;

/// Thresholds short enough to watch: away after 3 s without input, offline
/// 2 s after the last report, a heartbeat a second, the ticker every 100 ms.
pub fn quick(settings: &mut Settings) {
    settings.presence.thresholds.away_after = Duration::from_secs(3);
    settings.presence.thresholds.offline_after = Duration::from_secs(2);
    settings.presence.thresholds.heartbeat = Duration::from_secs(1);
    settings.presence.tick = Duration::from_millis(100);
    settings.presence.keep_alive = Duration::from_secs(1);
}

/// Ada (Owner, `app.client`) and Bob, a member signed in on his own client:
/// (org, Bob's membership id, Bob's client).
pub async fn ada_and_bob(app: &TestApp) -> (i64, i64, TestClient) {
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob Builder", "member")
        .await;
    let bob = member_id(app, "bob@example.com").await;
    let client = app.signed_in_client("bob@example.com", PASSWORD).await;
    (org, bob, client)
}

pub async fn member_id(app: &TestApp, email: &str) -> i64 {
    app.count(&format!(
        "SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = '{email}'"
    ))
    .await
}

/// A heartbeat as `static/presence.js` sends it, to the client's own instance.
pub async fn beat(client: &TestClient, org: i64, tab: &str, state: &str) -> reqwest::Response {
    beat_at(client, &client.base, org, tab, state).await
}

/// A heartbeat to the instance at `base`.
pub async fn beat_at(
    client: &TestClient,
    base: &str,
    org: i64,
    tab: &str,
    state: &str,
) -> reqwest::Response {
    let token = client.csrf().await;
    client
        .http
        .post(format!("{base}/orgs/{org}/presence"))
        .header("X-CSRF-Token", token)
        .form(&[("tab", tab), ("state", state), ("idle", "0")])
        .send()
        .await
        .expect("request")
}

/// The status stored for a membership's account in its organization.
pub async fn stored_status(app: &TestApp, member: i64) -> String {
    app.query(move |conn| {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            status: String,
        }
        diesel::sql_query(format!(
            "SELECT coalesce((SELECT p.status FROM presence p JOIN memberships m \
               ON m.organization_id = p.organization_id AND m.account_id = p.account_id \
               WHERE m.id = {member}), 'none') AS status"
        ))
        .get_result::<Row>(conn)
        .unwrap()
        .status
    })
    .await
}

/// An open `text/event-stream`, read as events arrive.
pub struct Events {
    response: reqwest::Response,
    buffer: String,
}

/// One SSE event: its name and its data lines joined.
#[derive(Debug, Clone)]
pub struct Event {
    pub name: String,
    pub data: String,
}

impl Events {
    /// Opens `org`'s presence stream on the instance at `base` with `client`'s session.
    pub async fn open(client: &TestClient, base: &str, org: i64) -> Self {
        let response = client
            .http
            .get(format!("{base}/orgs/{org}/presence/stream"))
            .header("Accept", "text/event-stream")
            .send()
            .await
            .expect("the stream opens");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` if none came `within`.
    pub async fn next(&mut self, within: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = Event {
                    name: String::new(),
                    data: String::new(),
                };
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event: ") {
                        event.name = name.to_owned();
                    } else if let Some(data) = line.strip_prefix("data: ") {
                        if !event.data.is_empty() {
                            event.data.push('\n');
                        }
                        event.data.push_str(data);
                    }
                }
                if !event.name.is_empty() {
                    return Some(event);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Waits for the event named `name` whose data contains `text`.
    pub async fn expect(&mut self, name: &str, text: &str, within: Duration) -> Event {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Some(event) if event.name == name && event.data.contains(text) => return event,
                Some(_) => continue,
                None => panic!("no {name} event with {text:?} within {within:?}"),
            }
        }
    }

    /// Everything read so far that is not yet an event (comments included).
    pub fn raw(&self) -> &str {
        &self.buffer
    }

    /// Reads raw bytes for `within`, for keep-alive comments.
    pub async fn read_for(&mut self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while let Ok(Ok(Some(bytes))) =
            tokio::time::timeout_at(deadline, self.response.chunk()).await
        {
            self.buffer.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
}
