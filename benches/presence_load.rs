//! Presence load client (local only, bounded): opens `STREAMS` presence
//! streams spread over the running instances, drives `RATE` presence changes
//! a second for `SECONDS` from `REPORTERS` signed-in members (each flips its
//! tab between in use and hidden), and measures how long each change takes
//! to reach every stream, plus the servers' resident memory before and after
//! the streams opened.
//!
//! It expects instances already running on one database after `/setup` has
//! not yet been done (a fresh database); see `scripts/bench-presence`.
//! Settings, from the environment:
//! `PRESENCE_BASES` (comma-separated instance URLs; streams are spread over
//! all, changes go to the first), `PRESENCE_PIDS` (their process ids, for
//! RSS), `DATABASE_URL`, `STREAMS` (1000), `REPORTERS` (100), `RATE` (100),
//! `SECONDS` (20).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection};

const PASSWORD: &str = "correct horse battery staple";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

fn csrf_in(body: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = body.find(marker).expect("a CSRF token") + marker.len();
    body[start..start + body[start..].find('"').unwrap()].to_owned()
}

/// Signs in and returns the client with its CSRF token.
async fn sign_in(base: &str, email: &str) -> (reqwest::Client, String) {
    let http = client();
    let page = http.get(format!("{base}/signin")).send().await.unwrap();
    let token = csrf_in(&page.text().await.unwrap());
    let res = http
        .post(format!("{base}/signin"))
        .form(&[
            ("email", email),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "sign-in as {email}");
    let page = http.get(format!("{base}/profile")).send().await.unwrap();
    let token = csrf_in(&page.text().await.unwrap());
    (http, token)
}

type Sent = Arc<Mutex<HashMap<String, (String, Instant)>>>;

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let bases: Vec<String> = std::env::var("PRESENCE_BASES")
        .unwrap_or_else(|_| "http://127.0.0.1:8091".into())
        .split(',')
        .map(str::to_owned)
        .collect();
    let pids: Vec<String> = std::env::var("PRESENCE_PIDS")
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    let database_url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let streams: usize = env_or("STREAMS", 1000);
    let reporters: usize = env_or("REPORTERS", 100);
    let rate: u64 = env_or("RATE", 100);
    let seconds: u64 = env_or("SECONDS", 20);
    let base = bases[0].clone();

    // The owner, and the reporters straight into the database (one hash).
    let http = client();
    let page = http.get(format!("{base}/setup")).send().await.unwrap();
    let token = csrf_in(&page.text().await.unwrap());
    let res = http
        .post(format!("{base}/setup"))
        .form(&[
            ("display_name", "Ada Lovelace"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("org_name", "Load"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    let org: i64 = res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/orgs/")
        .parse()
        .expect("setup on a fresh database");
    let hash =
        roster::services::passwords::hash(&roster::domain::Password::parse(PASSWORD).unwrap())
            .unwrap();
    let members: Vec<i64> = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&database_url).unwrap();
        (0..reporters)
            .map(|n| {
                let email = format!("reporter-{n}@example.test");
                let account = roster::db::accounts::insert(
                    &mut conn,
                    &email,
                    &format!("Reporter {n}"),
                    &hash,
                )
                .unwrap();
                roster::db::organizations::insert_membership(
                    &mut conn,
                    roster::domain::OrgId(org),
                    account,
                    roster::domain::OrgRole::Member,
                    roster::domain::MembershipStatus::Active,
                )
                .unwrap()
                .0
            })
            .collect()
    })
    .await
    .unwrap();
    let mut signed = Vec::new();
    for n in 0..reporters {
        signed.push(sign_in(&base, &format!("reporter-{n}@example.test")).await);
    }
    eprintln!("{reporters} reporters signed in");

    // The streams, all as Ada, spread over the instances.
    let (ada, _) = sign_in(&base, "ada@example.com").await;
    let idle: Vec<u64> = pids.iter().map(|p| rss_kib(p)).collect();
    let sent: Sent = Arc::default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, u64)>();
    let mut opened = 0;
    for i in 0..streams {
        let instance = i % bases.len();
        let url = format!("{}/orgs/{org}/presence/stream", bases[instance]);
        let mut res = ada.get(url).send().await.expect("a stream");
        assert_eq!(res.status(), 200);
        let (sent, tx) = (sent.clone(), tx.clone());
        tokio::spawn(async move {
            let mut buffer = String::new();
            while let Ok(Some(bytes)) = res.chunk().await {
                buffer.push_str(&String::from_utf8_lossy(&bytes));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let Some(name) = block.lines().find_map(|l| l.strip_prefix("event: ")) else {
                        continue;
                    };
                    let status = ["Online", "Away", "Offline"]
                        .into_iter()
                        .find(|s| block.contains(&format!(">{s}<")))
                        .unwrap_or("");
                    let sent_at = sent.lock().unwrap().get(name).cloned();
                    if let Some((wanted, at)) = sent_at {
                        if wanted == status {
                            let _ = tx.send((instance, at.elapsed().as_micros() as u64));
                        }
                    }
                }
            }
        });
        opened += 1;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let open: Vec<u64> = pids.iter().map(|p| rss_kib(p)).collect();
    eprintln!("{opened} streams open; RSS KiB idle {idle:?}, with streams {open:?}");

    // The changes: reporters take turns, each flipping its one tab.
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    let total = rate * seconds;
    let mut states = vec![false; reporters];
    let started = Instant::now();
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for k in 0..total as usize {
        ticker.tick().await;
        let n = k % reporters;
        states[n] = !states[n];
        let (state, label) = if states[n] {
            ("active", "Online")
        } else {
            ("hidden", "Away")
        };
        sent.lock().unwrap().insert(
            format!("presence-{}", members[n]),
            (label.into(), Instant::now()),
        );
        // Sent without waiting for the answer, so a slow answer does not slow the rate.
        let (http, token) = signed[n].clone();
        let (url, refused) = (format!("{base}/orgs/{org}/presence"), refused.clone());
        tokio::spawn(async move {
            let res = http
                .post(url)
                .header("X-CSRF-Token", token)
                .form(&[
                    ("tab", format!("bench-tab-{n:04}")),
                    ("state", state.into()),
                ])
                .send()
                .await;
            if !res.is_ok_and(|r| r.status() == 204) {
                refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
    }
    let driven = started.elapsed();
    tokio::time::sleep(Duration::from_secs(5)).await;
    drop(tx);
    let mut latencies: Vec<Vec<u64>> = vec![Vec::new(); bases.len()];
    while let Ok((instance, micros)) = rx.try_recv() {
        latencies[instance].push(micros);
    }
    println!(
        "changes sent: {total} in {:.1}s ({:.0}/s), refused: {}; streams: {opened} over {} instance(s)",
        driven.as_secs_f64(),
        total as f64 / driven.as_secs_f64(),
        refused.load(std::sync::atomic::Ordering::Relaxed),
        bases.len()
    );
    for (i, pid) in pids.iter().enumerate() {
        println!(
            "instance {i} (pid {pid}): RSS idle {} MiB, with streams open {} MiB (+{} MiB)",
            idle[i] / 1024,
            open[i] / 1024,
            open[i].saturating_sub(idle[i]) / 1024
        );
    }
    let expected_per_instance = total as usize * (streams / bases.len());
    for (i, mut l) in latencies.into_iter().enumerate() {
        l.sort_unstable();
        println!(
            "streams on instance {i}: {} deliveries of {} expected; latency p50 {} ms, p99 {} ms, max {} ms",
            l.len(),
            expected_per_instance,
            percentile(&l, 0.50) / 1000,
            percentile(&l, 0.99) / 1000,
            l.last().copied().unwrap_or(0) / 1000
        );
    }
}
