//! SIGTERM mid-batch: the worker finishes the sends under way, gives the rest
//! of its batch back, and the process exits 0; after a restart every message
//! has arrived exactly once.

use std::{collections::HashSet, time::Duration};

use super::Roster;
use crate::helpers::{SmtpServer, TestDb};

const MESSAGES: usize = 200;

fn queue_messages(db: &TestDb) {
    let pool = roster::db::build_pool(&db.url, 1, Duration::from_secs(10)).unwrap();
    let mut conn = pool.get().unwrap();
    let subjects: Vec<String> = (0..MESSAGES).map(|i| format!("Message {i:03}")).collect();
    let addresses: Vec<String> = (0..MESSAGES).map(|i| format!("m{i}@example.com")).collect();
    let messages = subjects
        .iter()
        .zip(&addresses)
        .map(|(subject, to)| roster::db::outbox::NewMessage {
            kind: "test",
            to,
            subject,
            text: "Hello",
            html: "<p>Hello</p>",
            invitation: None,
        })
        .collect();
    roster::db::outbox::insert_many(&mut conn, messages).unwrap();
}

fn count(db: &TestDb, status: &str) -> i64 {
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::PgConnection::establish(&db.url).unwrap();
    diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
        "(SELECT count(*) FROM outbox WHERE status = '{status}')"
    )))
    .get_result(&mut conn)
    .unwrap()
}

fn subjects(smtp: &SmtpServer) -> Vec<String> {
    smtp.messages()
        .iter()
        .filter_map(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("Subject: ").map(str::to_owned))
        })
        .collect()
}

#[tokio::test]
async fn sigterm_mid_batch_loses_and_repeats_no_email_across_a_restart() {
    let smtp = SmtpServer::start().await;
    let db = tokio::task::spawn_blocking(TestDb::create).await.unwrap();
    let env = [
        ("ROSTER_SMTP_HOST", "127.0.0.1".to_owned()),
        ("ROSTER_SMTP_PORT", smtp.port.to_string()),
        ("ROSTER_OUTBOX_POLL_MS", "100".to_owned()),
        ("ROSTER_OUTBOX_CONCURRENCY", "2".to_owned()),
    ];
    let mut first = Roster::start(&db, &env).await;
    let db = tokio::task::spawn_blocking(move || {
        queue_messages(&db);
        db
    })
    .await
    .unwrap();

    // Stop once the first batch (50 rows, 2 at a time) is under way.
    smtp.wait_for(5).await;
    first.terminate();
    let status = first.exited(Duration::from_secs(30)).await;

    assert!(status.success(), "exit {status}: {}", first.log());
    let delivered = subjects(&smtp).len() as i64;
    assert!(delivered < MESSAGES as i64, "stopped before the end");
    assert_eq!(count(&db, "sending"), 0, "no claimed row is left behind");
    assert_eq!(
        count(&db, "sent"),
        delivered,
        "every send finished is recorded"
    );
    assert!(first.log().contains("released"), "{}", first.log());

    let _second = Roster::start(&db, &env).await;
    smtp.wait_for(MESSAGES).await;
    for _ in 0..100 {
        if count(&db, "sent") == MESSAGES as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A moment more, for any duplicate to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let subjects = subjects(&smtp);
    let distinct: HashSet<&String> = subjects.iter().collect();
    assert_eq!(subjects.len(), MESSAGES, "each message arrived once");
    assert_eq!(distinct.len(), MESSAGES);
    assert_eq!(count(&db, "sent"), MESSAGES as i64);
}
