//! Operations: the metrics listener, JSON logs and the graceful stop, the last
//! two against the real `roster` binary run as an operator would.

mod logs;
mod metrics;
mod shutdown;

use std::{
    path::PathBuf,
    process::{Child, Command, ExitStatus, Stdio},
    time::Duration,
};

use crate::helpers::{free_port, TestDb};

/// The `roster` binary serving on a free port against a test database; killed
/// on drop if still running. Its stderr (the log) goes to a file.
pub struct Roster {
    child: Child,
    pub address: String,
    log: PathBuf,
}

impl Roster {
    pub async fn start(db: &TestDb, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("roster-log-{}-{port}", db.name));
        let child = Command::new(env!("CARGO_BIN_EXE_roster"))
            .arg("serve")
            .env("DATABASE_URL", &db.url)
            .env("ROSTER_BIND", format!("127.0.0.1:{port}"))
            .env("ROSTER_WORKERS", "1")
            .env("ROSTER_DB_POOL_SIZE", "3")
            .env("ROSTER_MAIL_DIR", std::env::temp_dir().join(&db.name))
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the roster binary starts");
        let mut roster = Self {
            child,
            address: format!("http://127.0.0.1:{port}"),
            log,
        };
        for _ in 0..300 {
            if let Ok(res) = reqwest::get(format!("{}/healthz", roster.address)).await {
                if res.status().is_success() {
                    return roster;
                }
            }
            if let Ok(Some(status)) = roster.child.try_wait() {
                panic!("roster exited with {status}: {}", roster.log());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("roster did not come up: {}", roster.log());
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM, as a service manager or container runtime does to stop it.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Waits for the process to exit, at most `within`.
    pub async fn exited(&mut self, within: Duration) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + within;
        while tokio::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("roster still running after {within:?}: {}", self.log());
    }
}

impl Drop for Roster {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}
