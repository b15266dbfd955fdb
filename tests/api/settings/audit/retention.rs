//! Retention: how long the log keeps events, set on the audit page; the upkeep
//! purges older events and records the purge as an event of its own.

use reqwest::StatusCode;

use super::exec;
use crate::members::owner_and_bob;

#[tokio::test]
async fn the_upkeep_purges_events_past_retention_and_records_the_purge() {
    let (app, org, bob) = owner_and_bob().await;
    exec(
        &app,
        format!(
            "INSERT INTO audit_events (organization_id, action, target_type, target_id, created_at)
             SELECT {org}, 'member.updated', 'membership', '{bob}', now() - g * interval '1 day' + interval '1 hour' FROM generate_series(1, 60) g"
        ),
    )
    .await;
    app.client
        .page(&format!("/orgs/{org}/settings/audit"))
        .await;
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/settings/audit/retention"),
            &[("days", "30")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, page) = app
        .client
        .page(&format!("/orgs/{org}/settings/audit"))
        .await;
    assert!(page.contains("The audit log keeps events for 30 days."));
    assert!(page.contains("Ada Lovelace set the audit log to keep events for 30 days"));
    let old = format!("SELECT count(*) FROM audit_events WHERE organization_id = {org} AND created_at < now() - interval '30 days'");
    assert_eq!(app.count(&old).await, 30);
    let purged = app
        .query(|conn| roster::services::audit::purge_all(conn, chrono::Utc::now()).unwrap())
        .await;
    assert_eq!(purged, 30);
    assert_eq!(app.count(&old).await, 0);
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM audit_events WHERE organization_id = {org} AND action = 'member.updated'")).await,
        30,
        "younger events stay"
    );
    let (_, page) = app
        .client
        .page(&format!("/orgs/{org}/settings/audit?group=settings"))
        .await;
    assert!(
        page.contains("Roster purged 30 audit events older than 30 days"),
        "{page}"
    );
    // A second run finds nothing and records nothing.
    let again = app
        .query(|conn| roster::services::audit::purge_all(conn, chrono::Utc::now()).unwrap())
        .await;
    assert_eq!(again, 0);
    assert_eq!(app.count(&format!("SELECT count(*) FROM audit_events WHERE organization_id = {org} AND action = 'audit.purged'")).await, 1);
}

#[tokio::test]
async fn a_retention_out_of_range_is_refused_in_place() {
    let (app, org, _) = owner_and_bob().await;
    app.client
        .page(&format!("/orgs/{org}/settings/audit"))
        .await;
    for bad in ["0", "-5", "36501", "ten", "99999999999999999999"] {
        let res = app
            .client
            .post_form(
                &format!("/orgs/{org}/settings/audit/retention"),
                &[("days", bad)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains("Keep events for 1 to 36,500 days"));
    }
    assert_eq!(app.count(&format!("SELECT count(*) FROM organizations WHERE id = {org} AND audit_retention_days IS NOT NULL")).await, 0);
}
