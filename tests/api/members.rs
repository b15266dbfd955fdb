use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::StatusCode;

use crate::helpers::{location, spawn_app, TestApp, PASSWORD};

/// `members` generated members (`seed-N@example.test`) and `teams` teams in `org`.
pub async fn seed(app: &TestApp, org: i64, members: i64, teams: i64) {
    app.query(move |conn| {
        roster::services::demo::seed_org_sql(
            conn,
            roster::domain::OrgId(org),
            members,
            teams,
            "seed",
        )
        .unwrap();
    })
    .await;
}

pub async fn membership_id(app: &TestApp, email: &str) -> i64 {
    app.count(&format!(
        "SELECT m.id FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email = '{email}'"
    ))
    .await
}

/// An organization with its Owner, Ann the Admin (signed in) and Bob, a
/// member: (app, org, Bob's membership, Ann's client).
async fn owner_admin_and_bob() -> (TestApp, i64, i64, crate::helpers::TestClient) {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "admin@example.com", "Ann", "admin")
        .await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_id(&app, "bob@example.com").await;
    let admin = app.signed_in_client("admin@example.com", PASSWORD).await;
    (app, org, bob, admin)
}

#[tokio::test]
async fn the_members_page_searches_filters_sorts_and_pages_with_the_state_in_the_url() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 120, 3).await;

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
    let team = app.count("SELECT min(id) FROM teams").await;
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

/// The membership ids of a page's rows, in order.
fn row_ids(body: &str) -> Vec<String> {
    body.split("<tr id=\"member-")
        .skip(1)
        .filter_map(|rest| {
            let (id, tail) = rest.split_once('"')?;
            tail.starts_with(" class=\"member-row\"")
                .then(|| id.to_owned())
        })
        .collect()
}

/// The query string of a page's Previous or Next link (`rel`).
fn pager_link(body: &str, rel: &str) -> String {
    let marker = format!("rel=\"{rel}\" href=\"");
    let start = body.find(&marker).expect("the pager link") + marker.len();
    let href = &body[start..start + body[start..].find('"').unwrap()];
    href.split_once('?').unwrap().1.replace("&#38;", "&")
}

#[tokio::test]
async fn next_and_previous_start_beside_the_members_they_came_from() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 120, 3).await;
    let list = format!("/orgs/{org}/members");
    let page = |query: String| {
        let path = format!("{list}?{query}");
        let client = &app.client;
        async move {
            let (status, body) = client.page(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            body
        }
    };
    for sort in ["", "sort=-name&"] {
        let by_number: Vec<Vec<String>> = vec![
            row_ids(&page(sort.to_owned()).await),
            row_ids(&page(format!("{sort}page=2")).await),
            row_ids(&page(format!("{sort}page=3")).await),
        ];
        assert_eq!(by_number.iter().map(Vec::len).sum::<usize>(), 121);

        // Next names the last member shown; the page it opens is page 2.
        let first = page(sort.to_owned()).await;
        let next = pager_link(&first, "next");
        let last_on_1 = by_number[0].last().unwrap();
        assert_eq!(next, format!("{sort}after={last_on_1}&page=2"));
        let second = page(next).await;
        assert_eq!(row_ids(&second), by_number[1], "{sort}");
        assert!(second.contains("page 2 of 3"));
        let third = page(pager_link(&second, "next")).await;
        assert_eq!(row_ids(&third), by_number[2], "{sort}");

        // Previous names the first member shown, and page 1 is plain page 1.
        let back = pager_link(&third, "prev");
        assert_eq!(back, format!("{sort}before={}&page=2", by_number[2][0]));
        let second_again = page(back).await;
        assert_eq!(row_ids(&second_again), by_number[1], "{sort}");
        assert_eq!(
            pager_link(&second_again, "prev"),
            sort.trim_end_matches('&')
        );
    }

    // A search or another sort goes by page number.
    let searched = page("q=seed".into()).await;
    assert_eq!(pager_link(&searched, "next"), "q=seed&page=2");
    let by_email = page("sort=email".into()).await;
    assert_eq!(pager_link(&by_email, "next"), "sort=email&page=2");

    // An anchor that finds nobody, or a member of another organization, is
    // ignored: the page number decides. On page 1 an anchor means nothing.
    let second = row_ids(&page("page=2".into()).await);
    let res = app.client.post_form("/orgs", &[("name", "Globex")]).await;
    let globex: i64 = location(&res).trim_start_matches("/orgs/").parse().unwrap();
    app.add_member(globex, "outsider@example.com", "Aaron Outsider", "member")
        .await;
    let foreign = membership_id(&app, "outsider@example.com").await;
    for anchor in [
        "after=999999999",
        "before=999999999",
        &format!("after={foreign}"),
        "after=abc",
    ] {
        assert_eq!(
            row_ids(&page(format!("{anchor}&page=2")).await),
            second,
            "{anchor}"
        );
    }
    let top = row_ids(&page(String::new()).await);
    let anchor = &second[10];
    assert_eq!(row_ids(&page(format!("after={anchor}")).await), top);

    // A member archived since still marks the place after them: Next goes on
    // where page 1 left off, though page 2 by number has moved up by one.
    let last_on_1 = top.last().unwrap().clone();
    crate::teams::exec(
        &app,
        &format!("UPDATE memberships SET status = 'archived' WHERE id = {last_on_1}"),
    )
    .await;
    assert_eq!(
        row_ids(&page(format!("after={last_on_1}&page=2")).await),
        second
    );
    assert_eq!(row_ids(&page("page=2".into()).await)[..49], second[1..]);
}

/// The ids of the organization's active and pending members in `order`, the
/// `offset`th and on (50 of them), read straight from the table.
async fn ids_in_order(app: &TestApp, org: i64, order: &'static str, offset: i64) -> Vec<String> {
    app.query(move |conn| {
        use diesel::prelude::*;
        diesel::sql_query(format!(
            "SELECT string_agg(id::text, ',') AS ids FROM (SELECT id FROM memberships
             WHERE organization_id = {org} AND status <> 'archived'
             ORDER BY {order} OFFSET {offset} LIMIT 50) page"
        ))
        .get_result::<Ids>(conn)
        .unwrap()
        .ids
        .map(|ids| ids.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
    })
    .await
}

#[derive(diesel::QueryableByName)]
struct Ids {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    ids: Option<String>,
}

#[tokio::test]
async fn a_page_typed_deep_into_a_long_list_holds_the_members_of_that_page() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 1_300, 2).await;
    // 1,301 members, 27 pages: pages past the 20th are read from the end.
    for (sort, order) in [
        ("", "sort_name, id"),
        ("sort=-name&", "sort_name DESC, id DESC"),
    ] {
        for page in [1, 20, 21, 22, 26, 27, 28] {
            let (status, body) = app
                .client
                .page(&format!("/orgs/{org}/members?{sort}page={page}"))
                .await;
            assert_eq!(status, StatusCode::OK);
            let expected = ids_in_order(&app, org, order, (page - 1) * 50).await;
            assert_eq!(row_ids(&body), expected, "{sort}page={page}");
            assert!(body.contains("1301 members"), "{sort}page={page}");
        }
    }
}

#[tokio::test]
async fn a_searchs_count_follows_every_change_to_whom_it_matches() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 120, 2).await;
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

#[tokio::test]
async fn odd_search_strings_and_page_numbers_get_clear_answers() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
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
async fn an_owner_edits_a_row_inline_and_only_that_row_comes_back() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_id(&app, "bob@example.com").await;

    let res = app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{bob}/edit"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let form = res.text().await.unwrap();
    assert!(form.starts_with(&format!(
        "<tr id=\"member-{bob}\" class=\"member-row editing\">"
    )));
    assert!(form.contains("name=\"version\" value=\"1\""));

    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "manager"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = res.text().await.unwrap();
    assert!(row.starts_with(&format!("<tr id=\"member-{bob}\" class=\"member-row\">")));
    assert!(row.contains("<td class=\"role\">Manager</td>"));
    assert!(row.contains("hx-swap-oob") && row.contains("Saved Bob."));
    assert_eq!(app.count(&format!("SELECT count(*) FROM memberships WHERE id = {bob} AND role = 'manager' AND version = 2")).await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'member.updated'")
            .await,
        1
    );

    // Saving the row again unchanged changes nothing: same version, no event.
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "manager"), ("version", "2")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Saved Bob."));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND version = 2"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_events WHERE action = 'member.updated'")
            .await,
        1,
        "an unchanged save writes no audit event"
    );

    // Cancel restores the row as it is.
    let res = app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{bob}/row"))
        .await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("<td class=\"role\">Manager</td>"));
}

#[tokio::test]
async fn without_javascript_the_pencil_leads_to_a_full_edit_page() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_id(&app, "bob@example.com").await;
    let (_, list) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains(&format!("href=\"/orgs/{org}/members/{bob}/edit\"")));
    let (status, page) = app
        .client
        .page(&format!("/orgs/{org}/members/{bob}/edit"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<h1>Edit Bob</h1>") && page.contains("<html"));
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/members/{bob}"), &[("role", "admin")])
        .await;
    assert_eq!(location(&res), format!("/orgs/{org}/members"));
    let (_, list) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains("Saved Bob."));
}

#[tokio::test]
async fn nobody_edits_their_own_access_and_the_reason_is_shown() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let me = membership_id(&app, "ada@example.com").await;
    let (_, list) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains("You cannot change your own access; ask another Owner or Admin."));
    let res = app
        .client
        .htmx_post(&format!("/orgs/{org}/members/{me}"), &[("role", "member")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE role = 'owner'")
            .await,
        1,
        "the last Owner stays"
    );
    let res = app
        .client
        .get(&format!("/orgs/{org}/members/{me}/edit"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "bea@example.com", "Bea", "owner").await;
    let (ada, bea) = (
        membership_id(&app, "ada@example.com").await,
        membership_id(&app, "bea@example.com").await,
    );
    let bea_client = app.signed_in_client("bea@example.com", PASSWORD).await;
    for round in 0..5 {
        let (ada_demotes_bea, bea_demotes_ada) = (
            format!("/orgs/{org}/members/{bea}"),
            format!("/orgs/{org}/members/{ada}"),
        );
        let (by_ada, by_bea) = tokio::join!(
            app.client
                .htmx_post(&ada_demotes_bea, &[("role", "member")]),
            bea_client.htmx_post(&bea_demotes_ada, &[("role", "member")]),
        );
        // The later one is refused: as a demotion of the last Owner (403), or,
        // if it arrives after the first is saved, as a plain member's (404).
        let mut statuses = [by_ada.status(), by_bea.status()];
        statuses.sort();
        assert!(
            statuses[0] == StatusCode::OK && statuses[1].is_client_error(),
            "round {round}: one demotion is made and the other refused, got {statuses:?}"
        );
        assert_eq!(
            app.count(&format!(
                "SELECT count(*) FROM memberships WHERE organization_id = {org} AND role = 'owner'"
            ))
            .await,
            1,
            "round {round}: an Owner is left"
        );
        assert_eq!(
            app.count(&format!(
                "SELECT n FROM membership_counts WHERE organization_id = {org} AND status = 'active' AND owner"
            ))
            .await,
            1,
            "round {round}: the kept count agrees"
        );
        // Both Owners again for the next round.
        app.query(move |conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!(
                "UPDATE memberships SET role = 'owner' WHERE organization_id = {org}"
            ))
            .execute(conn)
            .unwrap();
        })
        .await;
    }
}

#[tokio::test]
async fn admins_cannot_grant_owner_or_permissions_they_lack() {
    let (app, org, bob, admin) = owner_admin_and_bob().await;

    let res = admin
        .htmx_post(&format!("/orgs/{org}/members/{bob}"), &[("role", "owner")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body = res.text().await.unwrap();
    assert!(body.contains("Only an Owner can grant Owner."));
    assert!(
        body.starts_with("<tr"),
        "the inline form comes back with the message"
    );

    let res = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                ("permissions_form", "1"),
                ("own_permissions", "1"),
                ("perm", "billing.manage"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("You cannot grant permissions you do not hold yourself."));

    let res = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "superuser")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Unknown role"));
    let res = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                ("permissions_form", "1"),
                ("own_permissions", "1"),
                ("perm", "rm.rf"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count(&format!("SELECT count(*) FROM memberships WHERE id = {bob} AND role = 'member' AND permissions IS NULL")).await, 1);

    // Within what she holds, she can give Bob his own set.
    let res = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                ("permissions_form", "1"),
                ("own_permissions", "1"),
                ("perm", "members.invite"),
                ("perm", "audit.view"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Member (custom permissions)"));
}

#[tokio::test]
async fn a_manager_cannot_touch_owners_or_admins() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "manager@example.com", "Mo", "manager")
        .await;
    app.add_member(org, "admin@example.com", "Ann", "admin")
        .await;
    let admin = membership_id(&app, "admin@example.com").await;
    let owner = membership_id(&app, "ada@example.com").await;
    let manager = app.signed_in_client("manager@example.com", PASSWORD).await;
    for target in [admin, owner] {
        let res = manager
            .htmx_post(
                &format!("/orgs/{org}/members/{target}"),
                &[("role", "member")],
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{target}");
    }
    let (_, list) = manager.page(&format!("/orgs/{org}/members")).await;
    assert!(list.contains("Only an Owner can change an Owner."));
    assert!(list.contains("You can only change members whose role is below yours."));
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE role IN ('owner', 'admin')")
            .await,
        2
    );
}

#[tokio::test]
async fn a_plain_member_sees_only_themselves() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "agent@example.com", "Agnes", "member")
        .await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_id(&app, "bob@example.com").await;
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
async fn two_managers_saving_the_same_row_get_a_clear_conflict() {
    let (app, org, bob, admin) = owner_admin_and_bob().await;
    // Both opened the form at version 1; the owner saves first.
    let first = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "manager"), ("version", "1")],
        )
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[("role", "admin"), ("version", "1")],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    assert!(second
        .text()
        .await
        .unwrap()
        .contains("Someone else changed this member"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM memberships WHERE id = {bob} AND role = 'manager'"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn two_managers_saving_the_same_row_many_times_at_once_leave_every_change_with_its_event() {
    let (app, org, bob, admin) = owner_admin_and_bob().await;
    let path = format!("/orgs/{org}/members/{bob}");
    // Each client reads its session's CSRF token once, before the saves.
    app.client.csrf().await;
    admin.csrf().await;
    // No version in the form: each save applies to the row as it then is; the
    // later one wins.
    let saves = (0..12).map(|i| {
        let (client, role) = match i % 4 {
            0 => (&app.client, "manager"),
            1 => (&admin, "member"),
            2 => (&admin, "manager"),
            _ => (&app.client, "member"),
        };
        let path = path.clone();
        async move {
            let res = client.htmx_post(&path, &[("role", role)]).await;
            (res.status(), res.text().await.unwrap())
        }
    });
    for (status, body) in futures_util::future::join_all(saves).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Every change bumped the version once and wrote exactly one event.
    let version = app
        .count(&format!(
            "SELECT version::bigint FROM memberships WHERE id = {bob}"
        ))
        .await;
    let events = app
        .count(&format!(
            "SELECT count(*) FROM audit_events WHERE action = 'member.updated' AND target_id = '{bob}'"
        ))
        .await;
    assert!(version > 1, "some saves changed the role");
    assert_eq!(events, version - 1);
    // The last event's after is the row as it is.
    let matches = app
        .count(&format!(
            "SELECT count(*) FROM memberships m, LATERAL (SELECT after FROM audit_events
               WHERE target_id = '{bob}' ORDER BY id DESC LIMIT 1) e
             WHERE m.id = {bob} AND e.after->>'role' = m.role"
        ))
        .await;
    assert_eq!(matches, 1);
}

/// Creates the organization's org-scope custom role "Auditor"; its id.
pub async fn auditor_role(app: &TestApp, org: i64) -> i64 {
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "INSERT INTO custom_roles (organization_id, scope, name, permissions)
             VALUES ({org}, 'org', 'Auditor', '{{audit.view}}')"
        ))
        .unwrap();
    })
    .await;
    app.count(&format!(
        "SELECT id FROM custom_roles WHERE organization_id = {org} AND name = 'Auditor'"
    ))
    .await
}

#[tokio::test]
async fn the_row_a_save_returns_is_the_row_as_stored() {
    let (app, org, bob, admin) = owner_admin_and_bob().await;
    seed(&app, org, 0, 2).await;
    let team = app
        .count(&format!(
            "SELECT min(id) FROM teams WHERE organization_id = {org}"
        ))
        .await;
    admin
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[(&format!("team_{team}"), "agent")],
        )
        .await;
    let auditor = auditor_role(&app, org).await.to_string();
    let row = format!("/orgs/{org}/members/{bob}/row");
    // A role, a custom role, custom permissions, back to a role, and a save
    // that changes nothing: each answer is the row a fresh read shows.
    let custom = format!("custom:{auditor}");
    let changes: [&[(&str, &str)]; 5] = [
        &[("role", "manager")],
        &[("role", &custom)],
        &[
            ("role", "member"),
            ("permissions_form", "1"),
            ("own_permissions", "1"),
            ("perm", "members.view"),
        ],
        &[("role", "member"), ("permissions_form", "1")],
        &[("role", "member")],
    ];
    for fields in changes {
        let res = admin
            .htmx_post(&format!("/orgs/{org}/members/{bob}"), fields)
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{fields:?}");
        let saved = res.text().await.unwrap();
        let saved = saved.split("<div id=\"toasts\"").next().unwrap().trim();
        let (status, stored) = admin.page(&row).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(saved, stored.trim(), "after {fields:?}");
    }
    assert!(
        admin.page(&row).await.1.contains("Agent"),
        "the team stays on the row"
    );
}

#[tokio::test]
async fn teams_and_groups_are_edited_inline_but_pending_members_cannot_join_groups() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 0, 2).await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    app.add_member(org, "pat@example.com", "Pat", "member")
        .await;
    app.query(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE memberships SET status = 'pending' FROM accounts a WHERE a.id = account_id AND a.email = 'pat@example.com'")
            .execute(conn)
            .unwrap();
    })
    .await;
    let (bob, pat) = (
        membership_id(&app, "bob@example.com").await,
        membership_id(&app, "pat@example.com").await,
    );
    let team = app.count("SELECT min(id) FROM teams").await;
    let group = app
        .count(&format!(
            "SELECT min(id) FROM groups WHERE team_id = {team}"
        ))
        .await;
    let team_field = format!("team_{team}");
    let group_value = group.to_string();

    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                (team_field.as_str(), "supervisor"),
                ("groups_form", "1"),
                ("group", group_value.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = res.text().await.unwrap();
    assert!(row.contains("· Supervisor"));
    assert!(row.contains("Tier 1"), "{row}");
    assert!(row.contains("Provides Chat, Phone"));

    // A pending member may be put in a team, but not in its groups.
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{pat}"),
            &[
                (team_field.as_str(), "agent"),
                ("groups_form", "1"),
                ("group", group_value.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("once they are active"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM team_memberships WHERE membership_id = {pat}"
        ))
        .await,
        0,
        "nothing half-saved"
    );
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{pat}"),
            &[(team_field.as_str(), "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);

    // Leaving the team leaves its groups.
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[(team_field.as_str(), "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.count(&format!("SELECT count(*) FROM group_members gm JOIN team_memberships tm ON tm.id = gm.team_membership_id WHERE tm.membership_id = {bob}")).await, 0);
}

#[tokio::test]
async fn another_organizations_ids_are_404() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    let res = app.client.post_form("/orgs", &[("name", "Globex")]).await;
    let globex: i64 = location(&res).trim_start_matches("/orgs/").parse().unwrap();
    app.add_member(globex, "gus@example.com", "Gus", "member")
        .await;
    let gus = membership_id(&app, "gus@example.com").await;
    // Ada owns both, but Gus's membership is not Acme's.
    assert_eq!(
        app.client
            .get(&format!("/orgs/{org}/members/{gus}/edit"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client
            .get(&format!("/orgs/{org}/members/{gus}/row"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let res = app
        .client
        .post_form(&format!("/orgs/{org}/members/{gus}"), &[("role", "admin")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    app.query(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "INSERT INTO teams (organization_id, name, workflow_id) VALUES ({globex}, 'G', 'wf_x')"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    let team = app
        .count(&format!(
            "SELECT id FROM teams WHERE organization_id = {globex}"
        ))
        .await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_id(&app, "bob@example.com").await;
    let field = format!("team_{team}");
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[(field.as_str(), "agent")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 0);
}

#[tokio::test]
async fn bulk_actions_apply_row_by_row_and_report_each() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 0, 1).await;
    app.add_member(org, "manager@example.com", "Mo", "manager")
        .await;
    app.add_member(org, "admin@example.com", "Ann", "admin")
        .await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    app.add_member(org, "cy@example.com", "Cy", "member").await;
    let ids: Vec<String> = futures_ids(
        &app,
        &["admin@example.com", "bob@example.com", "cy@example.com"],
    )
    .await;
    let manager = app.signed_in_client("manager@example.com", PASSWORD).await;
    let team = app.count("SELECT min(id) FROM teams").await.to_string();
    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", id.as_str())).collect();
    fields.extend([
        ("action", "add_team"),
        ("team", team.as_str()),
        ("team_role", "agent"),
    ]);
    let res = manager
        .htmx_post(&format!("/orgs/{org}/members/bulk"), &fields)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["hx-trigger"], "members-changed");
    let body = res.text().await.unwrap();
    assert!(body.contains("2 of 3 changed."), "{body}");
    assert!(body.contains(
        "<strong>Ann</strong>: Refused — You can only change members whose role is below yours."
    ));
    assert!(body.contains("<strong>Bob</strong>: Done."));
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 2);

    let mut fields: Vec<(&str, &str)> = ids.iter().map(|id| ("ids", id.as_str())).collect();
    fields.push(("action", "explode"));
    let res = manager
        .htmx_post(&format!("/orgs/{org}/members/bulk"), &fields)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = manager
        .htmx_post(
            &format!("/orgs/{org}/members/bulk"),
            &[("action", "set_role"), ("role", "member")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn futures_ids(app: &TestApp, emails: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for email in emails {
        out.push(membership_id(app, email).await.to_string());
    }
    out
}

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

#[tokio::test]
async fn the_members_page_runs_the_same_number_of_statements_for_5_or_50_rows() {
    diesel::connection::set_default_instrumentation(count_statements).unwrap();
    // The outbox worker's polling would add its statements to the count.
    let app = crate::helpers::spawn_app_with(|s| {
        s.outbox_poll = std::time::Duration::from_secs(3600);
    })
    .await;
    let org = app.setup_owner().await;
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
    // count while nobody's name, email or status has changed (the second
    // request here), and counts apart once something has.
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

#[tokio::test]
async fn a_team_manager_cannot_touch_an_admin_in_their_team() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    app.add_member(org, "tm@example.com", "Tia", "member").await;
    app.add_member(org, "admin@example.com", "Ann", "admin")
        .await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "INSERT INTO teams (id, organization_id, name, workflow_id) VALUES (7, {org}, 'Support', 'wf_t');
             INSERT INTO team_memberships (organization_id, team_id, membership_id, role)
             SELECT {org}, 7, m.id, CASE a.email WHEN 'tm@example.com' THEN 'team_manager' ELSE 'agent' END
             FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.email <> 'ada@example.com'"
        ))
        .unwrap();
    })
    .await;
    let (admin, bob) = (
        membership_id(&app, "admin@example.com").await,
        membership_id(&app, "bob@example.com").await,
    );
    let tm = app.signed_in_client("tm@example.com", PASSWORD).await;
    let res = tm
        .post_form(&format!("/orgs/{org}/teams/7/members/{admin}/remove"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Only Owners and Admins can change an Admin"));
    let res = tm
        .post_form(&format!("/orgs/{org}/teams/7/members/{bob}/remove"), &[])
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "an agent of the team is theirs to manage"
    );
    assert_eq!(app.count("SELECT count(*) FROM team_memberships").await, 2);
}

#[tokio::test]
async fn the_total_follows_every_change_of_membership() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 30, 1).await;
    let totals = |body: &str| {
        body.split(" member")
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

#[tokio::test]
async fn custom_roles_are_offered_and_granted_inline_but_only_the_organizations_own() {
    let app = spawn_app().await;
    let org = app.setup_owner().await;
    seed(&app, org, 0, 1).await;
    app.add_member(org, "bob@example.com", "Bob", "member")
        .await;
    let bob = membership_id(&app, "bob@example.com").await;
    let (org_role, team_role, foreign) = app
        .query(move |conn| {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Id {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                id: i64,
            }
            let insert = |conn: &mut diesel::PgConnection, org: i64, scope: &str, name: &str, perms: &str| {
                diesel::sql_query(format!(
                    "INSERT INTO custom_roles (organization_id, scope, name, permissions) VALUES ({org}, '{scope}', '{name}', '{perms}') RETURNING id"
                ))
                .get_result::<Id>(conn)
                .unwrap()
                .id
            };
            let other = roster::db::organizations::insert(conn, "Elsewhere").unwrap().id.0;
            (
                insert(conn, org, "org", "Auditor", "{audit.view}"),
                insert(conn, org, "team", "Coach", "{team.view_all}"),
                insert(conn, other, "org", "Foreign", "{}"),
            )
        })
        .await;
    let (_, form) = app
        .client
        .page(&format!("/orgs/{org}/members/{bob}/edit"))
        .await;
    assert!(
        form.contains(&format!("value=\"custom:{org_role}\"")) && form.contains("Auditor (custom)")
    );
    assert!(
        form.contains(&format!("value=\"custom:{team_role}\"")) && form.contains("Coach (custom)")
    );
    assert!(!form.contains("Foreign"));

    let team = app.count("SELECT min(id) FROM teams").await;
    let (role_value, team_value) = (format!("custom:{org_role}"), format!("custom:{team_role}"));
    let team_field = format!("team_{team}");
    let res = app
        .client
        .htmx_post(
            &format!("/orgs/{org}/members/{bob}"),
            &[
                ("role", role_value.as_str()),
                (team_field.as_str(), team_value.as_str()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let row = res.text().await.unwrap();
    assert!(row.contains("<td class=\"role\">Auditor</td>"), "{row}");
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM team_memberships WHERE membership_id = {bob} AND role = 'custom' AND custom_role_id = {team_role}")).await,
        1
    );

    // Another organization's role, or a team role offered as an org role, is not found.
    for bad in [format!("custom:{foreign}"), format!("custom:{team_role}")] {
        let res = app
            .client
            .htmx_post(
                &format!("/orgs/{org}/members/{bob}"),
                &[("role", bad.as_str())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT custom_role_id FROM memberships WHERE id = {bob}"
        ))
        .await,
        org_role
    );
}
