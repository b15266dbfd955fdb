//! What a members page costs: the statements one request runs, counted by
//! diesel's instrumentation, must not grow with the rows shown.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

fn count_statements() -> Option<Box<dyn diesel::connection::Instrumentation>> {
    Some(Box::new(
        |event: diesel::connection::InstrumentationEvent<'_>| {
            if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
                STATEMENTS.fetch_add(1, Ordering::SeqCst);
            }
        },
    ))
}

/// The statements one request for `path` runs, once the pool's connections
/// have seen it.
async fn statements_for(app: &TestApp, path: &str) -> (usize, String) {
    app.client.page(path).await;
    STATEMENTS.store(0, Ordering::SeqCst);
    let (_, body) = app.client.page(path).await;
    (STATEMENTS.load(Ordering::SeqCst), body)
}

/// Makes the first `n` seeded members (by name) pending, as if invited.
async fn make_pending(app: &TestApp, org: i64, n: i64) {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "UPDATE memberships SET status = 'pending' WHERE id IN (
               SELECT id FROM memberships WHERE organization_id = {org} AND role <> 'owner'
               ORDER BY sort_name, id LIMIT {n})"
        ))
        .unwrap();
    })
    .await;
}

/// Ada's "Acme", with every statement counted in [`STATEMENTS`].
async fn counted_owner() -> (TestApp, i64) {
    diesel::connection::set_default_instrumentation(count_statements).unwrap();
    // The outbox worker's polling would add its statements to the count.
    let app = crate::helpers::spawn_app_with(|s| {
        s.outbox_poll = std::time::Duration::from_secs(3600);
    })
    .await;
    let org = app.setup_owner().await;
    (app, org)
}

#[tokio::test]
async fn the_members_page_runs_the_same_number_of_statements_for_5_or_50_rows() {
    let (app, org) = counted_owner().await;
    seed(&app, org, 4, 2).await;
    make_pending(&app, org, 1).await;
    let path = format!("/orgs/{org}/members");
    let (few, small) = statements_for(&app, &path).await;
    assert_eq!(small.matches("class=\"member-row\"").count(), 5);

    app.query(move |conn| {
        roster::services::demo::seed_org_sql(conn, roster::domain::OrgId(org), 60, 0, "more")
            .unwrap();
    })
    .await;
    make_pending(&app, org, 12).await;
    let (many, large) = statements_for(&app, &path).await;
    assert_eq!(large.matches("class=\"member-row\"").count(), 50);
    assert_eq!(few, many, "statements per page must not grow with the rows");
    // The session with the account, its organizations and its membership here;
    // the page with its total, the Owner count and the pending rows'
    // invitations; its teams, groups and services; the teams and groups for
    // the filters.
    assert_eq!(many, 4, "statements for one page");

    // A page without pending rows costs the same.
    let (active_only, body) = statements_for(&app, &format!("{path}?status=active")).await;
    assert_eq!(body.matches("class=\"member-row\"").count(), 50);
    assert_eq!(active_only, 4, "statements for a page without pending rows");

    // A search counts its matches with its page; asked again, it takes that
    // count and that page's members while nobody's name, email or status has
    // changed (the second request here), and once something has, the page
    // read by them says so and the search is made again with its count.
    let search = format!("{path}?q=more");
    let (searched, found) = statements_for(&app, &search).await;
    assert!(found.contains("60 members matching"), "{found}");
    assert_eq!(searched, 4, "statements for a search asked again");
    app.add_member(org, "more-new@example.com", "More New", "member")
        .await;
    STATEMENTS.store(0, Ordering::SeqCst);
    let (_, found) = app.client.page(&search).await;
    assert!(found.contains("61 members matching"), "{found}");
    assert_eq!(
        STATEMENTS.load(Ordering::SeqCst),
        5,
        "a search after a change"
    );

    // The Next page, read from the member it names, costs the same.
    // (From the plain list: pending rows sort by their address, so the active
    // ones alone fill just one page here.)
    let next = pager_link(&large, "next");
    assert!(next.contains("after="), "{next}");
    let (anchored, second) = statements_for(&app, &format!("{path}?{next}")).await;
    assert!(second.contains("page 2 of 2"), "{second}");
    assert_eq!(anchored, 4, "statements for a page read from its anchor");
}

/// Archives the first `n` seeded members (by name) as a revoke would leave
/// them: archived, with an archive row.
async fn make_archived(app: &TestApp, org: i64, n: i64) {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "WITH picked AS (SELECT id FROM memberships WHERE organization_id = {org}
                               AND role <> 'owner' AND status <> 'archived' ORDER BY sort_name, id LIMIT {n}),
                  done AS (UPDATE memberships SET status = 'archived' WHERE id IN (SELECT id FROM picked))
             INSERT INTO membership_archives (membership_id, organization_id, archived_by_name, held)
             SELECT id, {org}, 'Ada Lovelace', '{{\"teams\": [{{\"team\": 1, \"name\": \"Gone\", \"role\": \"agent\", \"custom_role_id\": null, \"custom_role_name\": null, \"permissions\": null, \"groups\": []}}]}}'
             FROM picked"
        ))
        .unwrap();
    })
    .await;
}

#[tokio::test]
async fn the_archived_tab_runs_the_same_number_of_statements_for_5_or_50_rows() {
    let (app, org) = counted_owner().await;
    seed(&app, org, 10, 0).await;
    make_archived(&app, org, 5).await;
    let path = format!("/orgs/{org}/members/archived");
    let (few, small) = statements_for(&app, &path).await;
    assert_eq!(small.matches("class=\"archived-row\"").count(), 5);

    app.query(move |conn| {
        roster::services::demo::seed_org_sql(conn, roster::domain::OrgId(org), 60, 0, "more")
            .unwrap();
    })
    .await;
    make_archived(&app, org, 60).await;
    let (many, large) = statements_for(&app, &path).await;
    assert_eq!(large.matches("class=\"archived-row\"").count(), 50);
    assert!(large.contains("Gone · Agent"));
    assert_eq!(few, many, "statements per page must not grow with the rows");
    // The session with the account and membership; the page with its total;
    // its teams, groups and services (none, they left them); its archives.
    assert_eq!(many, 4, "statements for one page of the Archived tab");
}

#[tokio::test]
async fn a_members_own_page_runs_the_same_few_statements_for_3_or_30_events() {
    let (app, org) = counted_owner().await;
    seed(&app, org, 2, 2).await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    let events = |n: i64| {
        format!(
            "INSERT INTO audit_events (organization_id, actor_account_id, action, target_type, target_id, before, after, created_at)
             SELECT {org}, (SELECT id FROM accounts WHERE email = 'ada@example.com'), 'member.updated', 'membership', '{bob}',
                    '{{\"role\": \"member\"}}', '{{\"role\": \"manager\"}}', now() - g * interval '1 minute'
             FROM generate_series(1, {n}) g"
        )
    };
    let run = |sql: String| {
        app.query(move |conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute(&sql).unwrap();
        })
    };
    run(events(3)).await;
    let path = format!("/orgs/{org}/members/{bob}");
    let (few, small) = statements_for(&app, &path).await;
    assert_eq!(Page::parse(&small).count("tr.audit-event"), 3, "{small}");
    run(events(27)).await;
    let (many, large) = statements_for(&app, &path).await;
    assert_eq!(Page::parse(&large).count("tr.audit-event"), 20);
    assert_eq!(few, many, "statements must not grow with the events");
    // The session with the account and membership; the member's row; what
    // is around it (custom roles, teams' sets, contacts, milestones, an
    // invitation, the organization's names); the timeline's page.
    assert_eq!(many, 4, "statements for a member's page");
}

/// The statements one bulk change of `ids` to `role` runs.
async fn statements_for_bulk(app: &TestApp, org: i64, ids: &[String], role: &str) -> usize {
    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", id.as_str())).collect();
    fields.extend([("action", "set_role"), ("role", role)]);
    app.client.csrf().await;
    STATEMENTS.store(0, Ordering::SeqCst);
    let res = app
        .client
        .htmx_post(&format!("/orgs/{org}/members/bulk"), &fields)
        .await;
    let statements = STATEMENTS.load(Ordering::SeqCst);
    let body = res.text().await.unwrap();
    let n = ids.len();
    assert!(body.contains(&format!("{n} of {n} changed.")), "{body}");
    statements
}

#[tokio::test]
async fn a_bulk_role_change_reads_each_member_once() {
    let (app, org) = counted_owner().await;
    seed(&app, org, 12, 0).await;
    let emails: Vec<String> = (1..=12).map(|n| format!("seed-{n}@example.test")).collect();
    let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
    let ids = membership_ids(&app, &emails).await;

    let few = statements_for_bulk(&app, org, &ids[..2], "admin").await;
    let many = statements_for_bulk(&app, org, &ids[2..], "admin").await;

    // Each member: their row read once and the change written with its audit
    // event in one statement.
    assert_eq!(many - few, 2 * (10 - 2), "statements per member");
    // The session, then the names, teams and custom roles the results use.
    assert_eq!(
        few,
        4 + 2 * 2,
        "statements for a bulk change of two members"
    );
}
