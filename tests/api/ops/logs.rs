//! `ROSTER_LOG_FORMAT=json`: one JSON object per line, secrets kept out.

use std::time::Duration;

use super::Roster;
use crate::helpers::TestDb;

#[tokio::test]
async fn json_logs_are_one_object_per_line_and_keep_link_tokens_out() {
    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let mut roster = Roster::start(&db, &[("ROSTER_LOG_FORMAT", "json".into())]).await;
    let invite_token = "InviteTokenThatMustNotBeLogged42";
    let reset_token = "ResetTokenThatMustNotBeLogged42";

    for path in [
        format!("/invite/{invite_token}"),
        format!("/password/reset/{reset_token}"),
    ] {
        reqwest::get(format!("{}{path}", roster.address))
            .await
            .unwrap();
    }
    roster.terminate();
    assert!(roster.exited(Duration::from_secs(30)).await.success());

    let log = roster.log();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: not JSON: {l}")))
        .collect();
    assert!(lines.iter().all(|l| l.is_object()));
    assert!(lines
        .iter()
        .all(|l| l["level"].is_string() && l["timestamp"].is_string() && l["message"].is_string()));
    let paths: Vec<&str> = lines.iter().filter_map(|l| l["path"].as_str()).collect();
    assert!(paths.contains(&"/invite/<token>"), "{paths:?}");
    assert!(paths.contains(&"/password/reset/<token>"), "{paths:?}");
    assert!(!log.contains(invite_token) && !log.contains(reset_token));
}

#[tokio::test]
async fn an_unknown_log_format_stops_the_start_with_a_clear_message() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
        .arg("serve")
        .env("ROSTER_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ROSTER_LOG_FORMAT must be text or json"),
        "{stderr}"
    );
}
