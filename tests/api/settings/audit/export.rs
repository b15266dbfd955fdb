//! The CSV export: exactly the filtered events, a header row, UTC times, and
//! cells a spreadsheet would run as formulas defused.

use reqwest::StatusCode;

use super::{exec, seed_events};
use crate::members::owner_and_bob;

fn parse(body: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[tokio::test]
async fn the_export_parses_back_to_the_filters_events_with_formulas_defused() {
    let (app, org, bob) = owner_and_bob().await;
    seed_events(&app, org, "ada@example.com", bob, "member.updated", 4_321).await;
    seed_events(&app, org, "ada@example.com", bob, "invitation.resent", 7).await;
    exec(
        &app,
        format!(
            "INSERT INTO audit_events (organization_id, action, target_type, target_id, before, after)
             VALUES ({org}, 'organization.renamed', 'organization', '{org}', '{{\"name\": \"Acme\"}}', '{{\"name\": \"=cmd|'' /C calc''!A0\"}}')"
        ),
    )
    .await;
    let res = app
        .client
        .get(&format!(
            "/orgs/{org}/settings/audit/export.csv?member={bob}&group=membership"
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let (header, rows) = parse(&res.text().await.unwrap());
    assert_eq!(
        header[0..5],
        ["id", "time_utc", "actor", "action", "summary"]
    );
    let want = app
        .count(&format!("SELECT count(*) FROM audit_events WHERE organization_id = {org} AND member_id = {bob} AND action_group = 'membership'"))
        .await;
    assert_eq!(rows.len() as i64, want);
    assert!(rows.iter().all(|r| r[3] == "member.updated"));
    // ISO-8601 UTC, newest first.
    assert!(
        rows[0][1].ends_with('Z') && rows[0][1].contains('T'),
        "{}",
        rows[0][1]
    );
    assert!(rows.windows(2).all(|w| w[0][1] >= w[1][1]));
    assert_eq!(
        rows[0][4],
        "Ada Lovelace changed Bob's role from Member to Manager"
    );

    let res = app
        .client
        .get(&format!(
            "/orgs/{org}/settings/audit/export.csv?group=settings"
        ))
        .await;
    let (_, rows) = parse(&res.text().await.unwrap());
    let renamed = rows
        .iter()
        .find(|r| r[3] == "organization.renamed")
        .expect("the rename");
    assert!(
        renamed[4].starts_with("Roster renamed the organization"),
        "{}",
        renamed[4]
    );
    let cells_with_cmd: Vec<&String> = renamed.iter().filter(|c| c.contains("=cmd")).collect();
    assert!(!cells_with_cmd.is_empty());
    for cell in cells_with_cmd {
        assert!(!cell.starts_with(['=', '+', '-', '@']), "defused: {cell}");
    }
    // A summary that itself begins like a formula is quoted.
    exec(
        &app,
        "UPDATE accounts SET display_name = '=HYPERLINK(\"x\")' WHERE email = 'ada@example.com'"
            .into(),
    )
    .await;
    let res = app
        .client
        .get(&format!(
            "/orgs/{org}/settings/audit/export.csv?group=invitations"
        ))
        .await;
    let (_, rows) = parse(&res.text().await.unwrap());
    assert!(
        rows.iter()
            .all(|r| r[2].starts_with("'=") && !r[4].starts_with('=')),
        "{:?}",
        rows[0]
    );
}

#[tokio::test]
async fn an_export_with_no_matching_events_is_a_header_only_csv() {
    let (app, org, _) = owner_and_bob().await;
    let res = app
        .client
        .get(&format!(
            "/orgs/{org}/settings/audit/export.csv?group=contacts"
        ))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (header, rows) = parse(&res.text().await.unwrap());
    assert_eq!(header.len(), 11);
    assert!(rows.is_empty());
}
