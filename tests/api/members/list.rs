//! The members list: what it shows, its search, filters and sort, and the totals it counts.

use reqwest::StatusCode;

use super::*;

#[tokio::test]
async fn the_members_page_searches_filters_sorts_and_pages_with_the_state_in_the_url() {
    let (app, org) = owner_with(120, 3).await;

    let (status, body) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.matches("class=\"member-row\"").count(), 50);
    assert!(
        body.contains("121 members"),
        "the owner and 120 seeded members; pending ones included"
    );
    assert!(body.contains("page 1 of 3"));
    assert!(body.contains("rel=\"next\" href=\"/orgs/"));

    let (_, page3) = app
        .client
        .page(&format!("/orgs/{org}/members?page=3"))
        .await;
    assert_eq!(page3.matches("class=\"member-row\"").count(), 21);

    // Search by part of a name or an email; case does not matter.
    let (_, found) = app
        .client
        .page(&format!("/orgs/{org}/members?q=ADA%20LOVE"))
        .await;
    assert!(found.contains("1 member matching"), "{found}");
    let (_, by_email) = app
        .client
        .page(&format!("/orgs/{org}/members?q=seed-7%40"))
        .await;
    assert!(by_email.contains("seed-7@example.test"));
    assert_eq!(by_email.matches("class=\"member-row\"").count(), 1);

    // Filters narrow the list and survive in page links.
    let (_, pending) = app
        .client
        .page(&format!("/orgs/{org}/members?status=pending"))
        .await;
    assert!(
        pending.contains("4 members"),
        "every 29th seeded member is pending"
    );
    assert!(!pending.contains("status-active"));
    let (_, admins) = app
        .client
        .page(&format!("/orgs/{org}/members?role=admin&sort=-name"))
        .await;
    assert!(admins.contains("1 member"));
    let team = first_team(&app, org).await;
    let (_, in_team) = app
        .client
        .page(&format!("/orgs/{org}/members?team={team}"))
        .await;
    let in_team_count = app
        .count(&format!(
            "SELECT count(*) FROM team_memberships WHERE team_id = {team}"
        ))
        .await;
    assert!(in_team.contains(&format!("{in_team_count} members")));

    // htmx asks for just the table.
    let res = app
        .client
        .htmx_get(&format!("/orgs/{org}/members?q=seed&page=2"))
        .await;
    let fragment = res.text().await.unwrap();
    assert!(fragment.starts_with("<div id=\"members-table\""));
    assert!(
        fragment.contains("q=seed&#38;page=3"),
        "the next link keeps the search"
    );

    // Past a search's last page the total still counts its matches.
    let (_, past) = app
        .client
        .page(&format!("/orgs/{org}/members?q=seed&page=9"))
        .await;
    assert_eq!(past.matches("class=\"member-row\"").count(), 0);
    assert!(past.contains("120 members matching"), "{past}");
    assert!(
        past.contains("Page 9 does not exist; there are 3 pages."),
        "{past}"
    );
}

#[tokio::test]
async fn a_searchs_count_follows_every_change_to_whom_it_matches() {
    let (app, org) = owner_with(120, 2).await;
    let searched = |query: &'static str| {
        let path = format!("/orgs/{org}/members?{query}");
        let client = &app.client;
        async move { client.page(&path).await.1 }
    };
    let seeded = |n: i64| format!("seed-{n}@example.test");

    // Counted once, then asked again (and for its second page) unchanged.
    for query in ["q=seed", "q=seed", "q=seed&page=2"] {
        assert!(
            searched(query).await.contains("120 members matching"),
            "{query}"
        );
    }
    // Someone new who matches.
    app.add_member(org, "seed-new@example.com", "New Person", "member")
        .await;
    assert!(searched("q=seed").await.contains("121 members matching"));
    let (archived, removed, promoted) = (
        membership_id(&app, &seeded(1)).await,
        membership_id(&app, &seeded(3)).await,
        membership_id(&app, &seeded(4)).await,
    );
    let changes = [
        (
            format!("UPDATE memberships SET status = 'archived' WHERE id = {archived}"),
            "120 members matching",
        ),
        (
            format!(
                "UPDATE accounts SET display_name = 'Renamed', email = 'renamed@example.com' \
                 WHERE email = '{}'",
                seeded(2)
            ),
            "119 members matching",
        ),
        (
            format!("DELETE FROM memberships WHERE id = {removed}"),
            "118 members matching",
        ),
        // A role change moves nobody in or out of a search by name.
        (
            format!("UPDATE memberships SET role = 'manager' WHERE id = {promoted}"),
            "118 members matching",
        ),
    ];
    for (change, expected) in changes {
        crate::teams::exec(&app, &change).await;
        for query in ["q=seed", "q=seed&page=3"] {
            assert!(
                searched(query).await.contains(expected),
                "{change}: {query}"
            );
        }
    }

    // Each status's count is its own, and as fresh.
    let pending = app
        .count(&format!(
            "SELECT count(*) FROM memberships WHERE organization_id = {org} \
             AND status = 'pending' AND search_text LIKE '%seed%'"
        ))
        .await;
    assert!(pending > 0);
    for _ in 0..2 {
        let body = searched("q=seed&status=pending").await;
        assert!(
            body.contains(&format!("{pending} members matching")),
            "{body}"
        );
    }
    let first_pending = app
        .count(&format!(
            "SELECT min(id) FROM memberships WHERE organization_id = {org} AND status = 'pending'"
        ))
        .await;
    crate::teams::exec(
        &app,
        &format!("UPDATE memberships SET status = 'active' WHERE id = {first_pending}"),
    )
    .await;
    let body = searched("q=seed&status=pending").await;
    let fewer = if pending == 2 {
        "1 member matching".to_owned()
    } else {
        format!("{} members matching", pending - 1)
    };
    assert!(body.contains(&fewer), "{body}");
    assert!(searched("q=seed").await.contains("118 members matching"));
}

/// The ids of page `page` of the search "seed" as SQL finds it now: the
/// matches by name, 50 to a page.
async fn seed_search_page(app: &TestApp, org: i64, page: i64) -> Vec<String> {
    let offset = (page - 1) * 50;
    let ids = app
        .query(move |conn| {
            use diesel::RunQueryDsl;
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(&format!(
                "(SELECT COALESCE(string_agg(id::text, ',' ORDER BY sort_name, id), '') FROM \
                 (SELECT id, sort_name FROM memberships WHERE organization_id = {org} \
                  AND status <> 'archived' AND strpos(search_text, 'seed') > 0 \
                  ORDER BY sort_name, id LIMIT 50 OFFSET {offset}) p)"
            )))
            .get_result::<String>(conn)
            .unwrap()
        })
        .await;
    ids.split(',')
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A search asked again reads its page's members as this server kept them.
/// After each change to whom a page holds or to their order by name, the next
/// ask shows the page as SQL finds it then, as a new search would.
#[tokio::test]
async fn a_kept_search_page_follows_every_change_to_whom_it_shows() {
    let (app, org) = owner_with(120, 2).await;
    let shown = |page: i64| {
        let path = format!("/orgs/{org}/members?q=seed&page={page}");
        let client = &app.client;
        async move { row_ids(&client.page(&path).await.1) }
    };
    let check = |what: String| {
        let app = &app;
        let shown = &shown;
        async move {
            for page in [1, 2] {
                let expected = seed_search_page(app, org, page).await;
                assert_eq!(expected.len(), 50, "{what}: a full page {page}");
                // Asked twice: the first may walk, the second reads what was kept.
                for _ in 0..2 {
                    assert_eq!(shown(page).await, expected, "{what}: page {page}");
                }
            }
        }
    };
    check("unchanged".into()).await;

    let first = |page: i64| {
        let app = &app;
        async move { seed_search_page(app, org, page).await[0].clone() }
    };
    app.add_member(org, "seed-new@example.com", "Aaron First", "member")
        .await;
    check("someone new who matches, first by name".into()).await;

    let renamed = first(1).await;
    let change = format!(
        "UPDATE accounts SET display_name = 'Zed Last' WHERE id = \
         (SELECT account_id FROM memberships WHERE id = {renamed})"
    );
    crate::teams::exec(&app, &change).await;
    check(change).await;

    let page_two = first(2).await;
    let changes = [
        format!(
            "UPDATE accounts SET display_name = 'Aardvark', email = 'out@example.com' WHERE id = \
             (SELECT account_id FROM memberships WHERE id = {page_two})"
        ),
        format!(
            "UPDATE memberships SET status = 'archived' WHERE id = {}",
            first(1).await
        ),
        format!("DELETE FROM memberships WHERE id = {}", first(2).await),
        format!(
            "UPDATE memberships SET status = 'active' WHERE id = (SELECT min(id) FROM memberships \
             WHERE organization_id = {org} AND status = 'pending')"
        ),
        // A role change moves nobody in, out or along.
        format!(
            "UPDATE memberships SET role = 'manager' WHERE id = {}",
            first(1).await
        ),
    ];
    for change in changes {
        crate::teams::exec(&app, &change).await;
        check(change).await;
    }

    // It is read by the kept ids: an edit of the name order that no trigger
    // sees (none the app makes) is not noticed, which is why every column a
    // page depends on must move the counts' `changes`.
    let kept = first(1).await;
    crate::teams::exec(
        &app,
        &format!("UPDATE memberships SET sort_name = 'zzz' WHERE id = {kept}"),
    )
    .await;
    assert!(!seed_search_page(&app, org, 1).await.contains(&kept));
    assert!(shown(1).await.contains(&kept), "page 1 as kept");
}

#[tokio::test]
async fn odd_search_strings_and_page_numbers_get_clear_answers() {
    let (app, org) = owner().await;
    for q in ["%25", "_", "%27%22", "%5C"] {
        let (status, body) = app.client.page(&format!("/orgs/{org}/members?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert!(
            body.contains("No members match"),
            "{q} matches literally, so nothing"
        );
    }
    // Whoever has those characters in their name is found by them, and only they.
    app.add_member(org, "sale@example.com", "Ann 50%_Off O'Neil", "member")
        .await;
    app.add_member(org, "plain@example.com", "Ann 500 Off", "member")
        .await;
    for q in ["%25_", "_", "0%25", "o%27n"] {
        let (status, body) = app.client.page(&format!("/orgs/{org}/members?q={q}")).await;
        assert_eq!(status, StatusCode::OK, "{q}");
        assert_eq!(body.matches("class=\"member-row\"").count(), 1, "{q}");
        assert!(body.contains("sale@example.com"), "{q}");
    }
    let long = "x".repeat(10_000);
    let (status, body) = app
        .client
        .page(&format!("/orgs/{org}/members?q={long}"))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Search for at most 200 characters."));
    let (status, body) = app
        .client
        .page(&format!("/orgs/{org}/members?page=-1"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("page 1 of 1"));
    let (status, body) = app
        .client
        .page(&format!("/orgs/{org}/members?page=999999"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Page 999999 does not exist; there is 1 page."));
    let (status, _) = app
        .client
        .page(&format!(
            "/orgs/{org}/members?page=abc&role=superuser&status=gone&team=x&sort=nope"
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_plain_member_sees_only_themselves() {
    let (app, org) = owner().await;
    app.add_member(org, "agent@example.com", "Agnes", "member")
        .await;
    let bob = join(&app, org, "bob@example.com", "Bob", "member").await;
    let agent = app.signed_in_client("agent@example.com", PASSWORD).await;
    let (status, body) = agent.page(&format!("/orgs/{org}/members")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.matches("class=\"member-row\"").count(), 1);
    assert!(body.contains("Agnes") && !body.contains("Bob") && !body.contains("Ada Lovelace"));
    assert_eq!(
        agent
            .get(&format!("/orgs/{org}/members/{bob}/edit"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // Members they cannot see are as good as absent.
    let res = agent
        .post_form(&format!("/orgs/{org}/members/{bob}"), &[("role", "admin")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE role = 'admin'")
            .await,
        0
    );
}

#[tokio::test]
async fn the_total_follows_every_change_of_membership() {
    let (app, org) = owner_with(30, 1).await;
    let totals = |body: &str| {
        let summary = body
            .split("class=\"muted table-summary\">")
            .nth(1)
            .unwrap_or_default();
        summary
            .split(" member")
            .next()
            .unwrap_or_default()
            .rsplit('>')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let (_, body) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert_eq!(totals(&body), "31");
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "UPDATE memberships SET status = 'archived' WHERE organization_id = {org} AND id IN (SELECT id FROM memberships WHERE organization_id = {org} AND role = 'member' ORDER BY id LIMIT 3);
             DELETE FROM memberships WHERE organization_id = {org} AND id IN (SELECT id FROM memberships WHERE organization_id = {org} AND status = 'active' AND role = 'member' ORDER BY id LIMIT 2);"
        ))
        .unwrap();
    })
    .await;
    let (_, body) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert_eq!(totals(&body), "26");
    let (_, archived) = app
        .client
        .page(&format!("/orgs/{org}/members?status=archived"))
        .await;
    assert_eq!(totals(&archived), "3");
    let real = app.count(&format!("SELECT count(*) FROM memberships WHERE organization_id = {org} AND status <> 'archived'")).await;
    assert_eq!(real, 26);
}
