//! Reading the log: newest first, 50 a page by keyset, every filter kept in
//! the URL, and bad filters answered with a message, never a 500.

use reqwest::StatusCode;

use super::{event_ids, exec, pager, seed_events};
use crate::helpers::PASSWORD;
use crate::members::{join, owner, owner_and_bob};

#[tokio::test]
async fn an_owner_pages_through_every_event_newest_first_and_back() {
    let (app, org, bob) = owner_and_bob().await;
    seed_events(&app, org, "ada@example.com", bob, "member.updated", 120).await;
    let total = app
        .count(&format!(
            "SELECT count(*) FROM audit_events WHERE organization_id = {org}"
        ))
        .await;
    let url = format!("/orgs/{org}/settings/audit");
    let (status, first) = app.client.page(&url).await;
    assert_eq!(status, StatusCode::OK);
    let mut seen = event_ids(&first);
    assert_eq!(seen.len(), 50);
    assert!(pager(&first, "prev").is_none(), "page 1 has no newer page");
    let mut body = first.clone();
    let mut pages = vec![first.clone()];
    while let Some(next) = pager(&body, "next") {
        body = app.client.page(&format!("{url}?{next}")).await.1;
        seen.extend(event_ids(&body));
        pages.push(body.clone());
    }
    assert_eq!(seen.len() as i64, total, "every event once");
    let newest_first: Vec<i64> = app
        .query(move |conn| {
            use diesel::prelude::*;
            use roster::db::schema::audit_events as e;
            e::table
                .filter(e::organization_id.eq(org))
                .order((e::created_at.desc(), e::id.desc()))
                .select(e::id)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(seen, newest_first);
    // Previous from the second page leads back to the first.
    let prev = pager(&pages[1], "prev").expect("page 2 links back");
    let back = app.client.page(&format!("{url}?{prev}")).await.1;
    assert_eq!(event_ids(&back), event_ids(&first));
}

#[tokio::test]
async fn each_filter_narrows_the_log_to_exactly_its_events() {
    let (app, org, bob) = owner_and_bob().await;
    let cy = join(&app, org, "cy@example.com", "Cy", "admin").await;
    seed_events(&app, org, "ada@example.com", bob, "member.updated", 30).await;
    seed_events(&app, org, "cy@example.com", cy, "team.member_added", 20).await;
    seed_events(&app, org, "cy@example.com", bob, "invitation.resent", 10).await;
    let q = |sql: &str| {
        format!("SELECT count(*) FROM audit_events WHERE organization_id = {org} AND {sql}")
    };
    let today = chrono::Utc::now().date_naive();
    let week_ago = today - chrono::Duration::days(6);
    let cases = [
        (format!("actor={cy}"), q("actor_account_id = (SELECT id FROM accounts WHERE email = 'cy@example.com')")),
        ("actor=cy%40example.com".to_owned(), q("actor_account_id = (SELECT id FROM accounts WHERE email = 'cy@example.com')")),
        (format!("member={bob}"), q(&format!("member_id = {bob}"))),
        ("group=invitations".to_owned(), q("action LIKE 'invitation.%'")),
        ("group=teams".to_owned(), q("action LIKE 'team.%'")),
        (
            format!("from={week_ago}&to={today}"),
            q(&format!("created_at >= '{week_ago}' AND created_at < '{today}'::date + 1")),
        ),
        ("q=resent".to_owned(), q("action = 'invitation.resent'")),
        (format!("q=Cy&member={bob}"), q(&format!("member_id = {bob} AND actor_account_id = (SELECT id FROM accounts WHERE email = 'cy@example.com')"))),
    ];
    for (filter, sql) in cases {
        let want = app.count(&sql).await;
        assert!(want > 0, "{filter} matches something");
        let mut got = 0;
        let mut url = format!("/orgs/{org}/settings/audit?{filter}");
        for _ in 0..10 {
            let (status, body) = app.client.page(&url).await;
            assert_eq!(status, StatusCode::OK, "{filter}");
            got += event_ids(&body).len() as i64;
            match pager(&body, "next") {
                Some(next) => url = format!("/orgs/{org}/settings/audit?{next}"),
                None => break,
            }
        }
        assert_eq!(got, want, "{filter}");
    }
}

#[tokio::test]
async fn a_role_change_reads_as_a_sentence_with_its_before_and_after() {
    let (app, org, bob) = owner_and_bob().await;
    app.client.page(&format!("/orgs/{org}/members")).await;
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "manager")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, body) = app
        .client
        .page(&format!("/orgs/{org}/settings/audit?group=membership"))
        .await;
    assert!(
        body.contains("Ada Lovelace changed Bob&#39;s role from Member to Manager")
            || body.contains("Ada Lovelace changed Bob&#x27;s role from Member to Manager"),
        "{body}"
    );
    assert!(body.contains("<details class=\"event-diff\">"));
    assert!(body.contains("<del>Member</del>") && body.contains("<ins>Manager</ins>"));
}

#[tokio::test]
async fn bad_filters_get_a_clear_message_and_a_422_never_a_500() {
    let (app, org, bob) = owner_and_bob().await;
    let (_, stranger) = super::elsewhere(&app).await;
    let long = "x".repeat(10_000);
    let cases = [
        (
            "actor=999999".to_owned(),
            "No member of this organization has the ID or email",
        ),
        (
            format!("member={stranger}"),
            "No member of this organization has the ID or email",
        ),
        (
            "actor=nobody%40example.com".to_owned(),
            "No member of this organization has the ID or email",
        ),
        (
            "from=2026-03-01&to=2026-02-01".to_owned(),
            "The range ends (2026-02-01) before it starts (2026-03-01).",
        ),
        (
            "from=2026-02-30".to_owned(),
            "is not a date; use YYYY-MM-DD",
        ),
        (format!("q={long}"), "Search for at most 200 characters."),
        (
            "group=everything".to_owned(),
            "Choose an action group from the list.",
        ),
        (
            "q=%00".to_owned(),
            "Search text cannot contain control characters.",
        ),
    ];
    for (filter, message) in cases {
        for path in ["settings/audit", "settings/audit/export.csv"] {
            let (status, body) = app
                .client
                .page(&format!("/orgs/{org}/{path}?{filter}"))
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}?{}",
                &filter[..filter.len().min(40)]
            );
            assert!(body.contains(message), "{path}: {message}");
            assert!(!body.contains(&long), "the long text is not echoed whole");
        }
    }
    // A garbled cursor starts at the top rather than failing.
    let (status, _) = app
        .client
        .page(&format!(
            "/orgs/{org}/settings/audit?after=x.y&member={bob}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn only_those_with_audit_view_open_the_log() {
    let (app, org) = owner().await;
    app.add_member(org, "mo@example.com", "Mo", "manager").await;
    let manager = app.signed_in_client("mo@example.com", PASSWORD).await;
    let res = manager.get(&format!("/orgs/{org}/settings/audit")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = manager
        .get(&format!("/orgs/{org}/settings/audit/export.csv"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // A custom role with audit.view is enough to read it.
    let role = crate::members::auditor_role(&app, org).await;
    exec(&app, format!("UPDATE memberships SET custom_role_id = {role}, role = 'member' WHERE account_id = (SELECT id FROM accounts WHERE email = 'mo@example.com')")).await;
    let res = manager.get(&format!("/orgs/{org}/settings/audit")).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_action_lands_in_the_group_the_database_gives_it() {
    let (app, org) = owner().await;
    let values: Vec<String> = roster::domain::audit::ACTIONS
        .iter()
        .map(|(a, _)| format!("({org}, '{a}', 'organization')"))
        .collect();
    exec(
        &app,
        format!(
            "INSERT INTO audit_events (organization_id, action, target_type) VALUES {}",
            values.join(", ")
        ),
    )
    .await;
    let rows: Vec<(String, String)> = app
        .query(move |conn| {
            use diesel::prelude::*;
            use roster::db::schema::audit_events as e;
            e::table
                .filter(e::organization_id.eq(org))
                .select((e::action, e::action_group))
                .load(conn)
                .unwrap()
        })
        .await;
    for (action, group) in rows {
        let ours = roster::domain::audit::ActionGroup::of(&action)
            .map(|g| g.key())
            .unwrap_or("account");
        assert_eq!(group, ours, "{action}");
    }
}
