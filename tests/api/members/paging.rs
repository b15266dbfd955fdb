//! The members list's pages: by number, from the page typed, and Next and
//! Previous from the member they name (the anchor).

use reqwest::StatusCode;

use super::*;

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
async fn next_and_previous_start_beside_the_members_they_came_from() {
    let (app, org) = owner_with(120, 3).await;
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
    let globex = globex(&app).await;
    let foreign = join(
        &app,
        globex,
        "outsider@example.com",
        "Aaron Outsider",
        "member",
    )
    .await;
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

#[tokio::test]
async fn a_page_typed_deep_into_a_long_list_holds_the_members_of_that_page() {
    let (app, org) = owner_with(1_300, 2).await;
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
