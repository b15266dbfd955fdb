//! Transitions as the clock moves, with `now` in the test's hand: the
//! services are called directly on the test database, the ticker quiet.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use roster::db::presence::Change;
use roster::domain::presence::{Report, TabId, Thresholds};
use roster::domain::{AccountId, MembershipId, OrgId};
use roster::services::presence::{self as svc, Heartbeat};

use super::member_id;
use crate::helpers::{spawn_app_with, TestApp};

fn beat(org: i64, account: i64, member: i64, tab: &str, report: Report, idle: u64) -> Heartbeat {
    Heartbeat {
        org: OrgId(org),
        account: AccountId(account),
        member: MembershipId(member),
        tab: TabId::parse(tab).unwrap(),
        report,
        idle: Duration::from_secs(idle),
    }
}

fn statuses(changes: &[Change]) -> Vec<&str> {
    changes.iter().map(|c| c.status.as_str()).collect()
}

/// Ada's organization with Bob in it, the ticker quiet (the test moves the
/// clock): (app, org, Bob's account, Bob's membership).
async fn quiet_ada_and_bob() -> (TestApp, i64, i64, i64) {
    let app = spawn_app_with(|s| s.presence.tick = Duration::from_secs(3600)).await;
    let org = app.setup_owner().await;
    let bob_account = app
        .add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = member_id(&app, "bob@example.com").await;
    (app, org, bob_account, bob)
}

/// A moment well ahead of the real clock, so the application's own ticker
/// never meets these rows' deadlines.
fn t0() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::days(1)
}

fn at(t0: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    t0 + chrono::Duration::seconds(secs)
}

#[tokio::test]
async fn a_member_goes_online_then_away_after_five_idle_minutes_then_offline_two_minutes_after_the_last_report(
) {
    let (app, org, bob_account, bob) = quiet_ada_and_bob().await;
    app.query(move |conn: &mut PgConnection| {
        let th = Thresholds::default();
        let t0 = t0();
        let report = |conn: &mut PgConnection, secs, idle| {
            let b = beat(org, bob_account, bob, "tab-one-0001", Report::Active, idle);
            svc::report(conn, &b, at(t0, secs), &th).unwrap()
        };
        let tick = |conn: &mut PgConnection, secs| svc::tick(conn, at(t0, secs), &th).unwrap();

        let online = report(conn, 0, 0).expect("the first report is a transition");
        assert_eq!((online.status.as_str(), online.membership), ("online", bob));
        assert_eq!(
            report(conn, 10, 10),
            None,
            "the same report again is no news"
        );
        // The page keeps reporting, nobody touches it.
        for secs in [30, 60, 90, 120, 150, 180, 210, 240, 270] {
            assert_eq!(report(conn, secs, secs as u64), None);
        }
        assert!(tick(conn, 299).is_empty(), "still online at 4:59");
        assert_eq!(
            statuses(&tick(conn, 300)),
            ["away"],
            "away at 5:00 without input"
        );
        assert!(tick(conn, 300).is_empty(), "announced once");
        // The page went silent after 4:30 (its last report): offline at 6:30.
        assert!(tick(conn, 389).is_empty());
        assert_eq!(statuses(&tick(conn, 390)), ["offline"]);
        assert!(tick(conn, 3600).is_empty(), "offline stays offline");
        // Input again: online at once.
        assert_eq!(
            report(conn, 4000, 0).map(|c| c.status),
            Some("online".into())
        );
    })
    .await;
}

#[tokio::test]
async fn every_tab_hidden_is_away_at_once_and_one_tab_in_use_brings_them_back() {
    let (app, org, bob_account, bob) = quiet_ada_and_bob().await;
    app.query(move |conn: &mut PgConnection| {
        let th = Thresholds::default();
        let t0 = t0();
        let mut send = |tab: &str, report: Report, secs| {
            let b = beat(org, bob_account, bob, tab, report, 0);
            svc::report(conn, &b, at(t0, secs), &th)
                .unwrap()
                .map(|c| c.status)
        };
        assert_eq!(
            send("tab-one-0001", Report::Active, 0).as_deref(),
            Some("online")
        );
        assert_eq!(
            send("tab-two-0002", Report::Hidden, 1),
            None,
            "one tab still in use"
        );
        assert_eq!(
            send("tab-one-0001", Report::Hidden, 2).as_deref(),
            Some("away")
        );
        assert_eq!(
            send("tab-two-0002", Report::Active, 3).as_deref(),
            Some("online")
        );
        assert_eq!(
            send("tab-two-0002", Report::Idle, 4).as_deref(),
            Some("away")
        );
    })
    .await;
}

#[tokio::test]
async fn signing_out_ends_presence_in_every_organization_at_once() {
    let app = spawn_app_with(|s| s.presence.tick = Duration::from_secs(3600)).await;
    let org = app.setup_owner().await;
    let ada = app
        .count("SELECT id FROM accounts WHERE email = 'ada@example.com'")
        .await;
    let other = crate::members::globex(&app).await;
    for o in [org, other] {
        let res = super::beat(&app.client, o, "tab-ada-0001", "active").await;
        assert_eq!(res.status(), 204);
    }
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM presence WHERE account_id = {ada} AND status = 'online'"
        ))
        .await,
        2
    );
    app.client.sign_out().await;
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM presence WHERE account_id = {ada} AND status = 'offline' AND tabs = '{{}}'"))
            .await,
        2
    );
}

#[tokio::test]
async fn a_heartbeat_that_changes_no_status_is_a_hot_update() {
    let (app, org, bob_account, bob) = quiet_ada_and_bob().await;
    app.query(move |conn: &mut PgConnection| {
        use diesel::{Connection, RunQueryDsl};
        let th = Thresholds::default();
        let t0 = t0();
        let b = beat(org, bob_account, bob, "tab-one-0001", Report::Active, 0);
        svc::report(conn, &b, t0, &th).unwrap();
        #[derive(diesel::QueryableByName)]
        struct Counts {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            updated: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            hot: i64,
        }
        // This connection's own counts, not yet flushed to the shared statistics.
        let counts = |conn: &mut PgConnection| -> Counts {
            diesel::sql_query(
                "SELECT pg_stat_get_xact_tuples_updated('presence'::regclass) AS updated, \
                        pg_stat_get_xact_tuples_hot_updated('presence'::regclass) AS hot",
            )
            .get_result(conn)
            .unwrap()
        };
        conn.transaction(|conn| {
            let before = counts(conn);
            for n in 1..=20 {
                // A report every heartbeat: written each time, status unchanged.
                svc::report(conn, &b, at(t0, 30 * n), &th).unwrap();
            }
            let after = counts(conn);
            assert_eq!(
                after.updated - before.updated,
                20,
                "every heartbeat was written"
            );
            assert_eq!(
                after.hot - before.hot,
                20,
                "and every write was a HOT update"
            );
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    })
    .await;
}
