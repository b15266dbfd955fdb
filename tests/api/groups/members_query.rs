//! The members page's lookup of each member's groups and services.

use diesel::{sql_query, RunQueryDsl};
use roster::domain::{MembershipId, OrgId};

use super::scene::*;

#[tokio::test]
async fn the_members_page_query_lists_each_members_groups_and_services_in_one_call() {
    let s = Scene::new().await;
    let (alice_account, alice) = s.agent("alice@example.com", "Alice Active").await;
    let (bob_account, bob) = s.agent("bob@example.com", "Bob Busy").await;
    let (carol_account, _) = s.agent("carol@example.com", "Carol Nogroup").await;
    let nights = s.create_group("Nights").await;
    let days = s.create_group("Days").await;
    let billing = s.create_service("Billing").await;
    let advice = s.create_service("Advice").await;
    let retired = s.create_service("Retired").await;
    // Alice in both groups (and a second team's group), Bob in Days only.
    let sales = team(&s.app, s.org, "Sales").await;
    let alice_sales = join_team(&s.app, s.org, sales, alice_account, "agent").await;
    let leads = returning_id(&s.app, format!("INSERT INTO groups (organization_id, team_id, name) VALUES ({}, {sales}, 'Leads') RETURNING id", s.org)).await;
    exec(&s.app, format!("INSERT INTO group_members (group_id, team_membership_id) VALUES ({nights}, {alice}), ({days}, {alice}), ({days}, {bob}), ({leads}, {alice_sales})")).await;
    exec(&s.app, format!("INSERT INTO group_services (group_id, service_id) VALUES ({days}, {billing}), ({days}, {advice}), ({days}, {retired})")).await;
    exec(
        &s.app,
        format!("UPDATE services SET active = false WHERE id = {retired}"),
    )
    .await;

    let org = OrgId(s.org);
    let ids: Vec<MembershipId> = s
        .app
        .query(move |conn| {
            [alice_account, bob_account, carol_account]
                .iter()
                .map(|a| {
                    sql_query(format!("SELECT id FROM memberships WHERE account_id = {a}"))
                        .get_result::<Id>(conn)
                        .map(|r| MembershipId(r.id))
                        .unwrap()
                })
                .collect()
        })
        .await;
    let query_ids = ids.clone();
    let rows = s
        .app
        .query(move |conn| {
            roster::db::groups::groups_and_services_by_membership(conn, org, &query_ids).unwrap()
        })
        .await;
    let got: Vec<(MembershipId, &str, &str, Vec<&str>)> = rows
        .iter()
        .map(|r| {
            (
                r.membership_id,
                r.team_name.as_str(),
                r.group_name.as_str(),
                r.services.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let (alice_m, bob_m) = (ids[0], ids[1]);
    let mut expected = vec![
        (alice_m, "Sales", "Leads", vec![]),
        (alice_m, "Support", "Days", vec!["Advice", "Billing"]),
        (alice_m, "Support", "Nights", vec![]),
        (bob_m, "Support", "Days", vec!["Advice", "Billing"]),
    ];
    expected.sort_by_key(|e| e.0);
    assert_eq!(
        got, expected,
        "Carol has no rows; inactive services are left out"
    );

    // Another organization's view of the same ids is empty; no ids, no rows.
    let other = OrgId(s.org + 1000);
    let rows = s
        .app
        .query(move |conn| {
            roster::db::groups::groups_and_services_by_membership(conn, other, &ids).unwrap()
        })
        .await;
    assert!(rows.is_empty());
    let rows = s
        .app
        .query(move |conn| {
            roster::db::groups::groups_and_services_by_membership(conn, org, &[]).unwrap()
        })
        .await;
    assert!(rows.is_empty());
}
