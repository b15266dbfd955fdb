//! The Contacts tab's pages: 50 a page, Next and Previous from the contact
//! they name, with the search and assignee filter kept in the URL.

use reqwest::StatusCode;

use super::*;

/// The ids of the team's contacts by name, the `offset`th and on (up to 50),
/// narrowed by `filter` (SQL), read straight from the table.
async fn ids_in_order(c: &Cast, filter: &str, offset: i64) -> Vec<String> {
    let ids = c
        .app
        .query({
            let sql = format!(
                "SELECT coalesce(string_agg(id::text, ',' ORDER BY sort_name, id), '') AS ids FROM \
                 (SELECT id, sort_name FROM contacts WHERE team_id = {} {filter} \
                 ORDER BY sort_name, id OFFSET {offset} LIMIT 50) page",
                c.team
            );
            move |conn| {
                use diesel::RunQueryDsl;
                diesel::sql_query(sql).get_result::<Ids>(conn).unwrap().ids
            }
        })
        .await;
    ids.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[derive(diesel::QueryableByName)]
struct Ids {
    #[diesel(sql_type = diesel::sql_types::Text)]
    ids: String,
}

#[tokio::test]
async fn fifty_contacts_a_page_with_next_and_previous_kept_in_the_url() {
    let c = Cast::new().await;
    c.insert_many(120, "Customer", None).await;
    let page = |query: String| {
        let (tim, path) = (&c.tim, format!("{}?{query}", c.contacts()));
        async move {
            let (status, body) = tim.page(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            body
        }
    };
    let first = page(String::new()).await;
    assert_eq!(row_ids(&first), ids_in_order(&c, "", 0).await);
    assert_eq!(pager_link(&first, "prev"), None, "page 1 has no Previous");
    let next = pager_link(&first, "next").unwrap();
    let last_on_1 = row_ids(&first).last().unwrap().clone();
    assert_eq!(next, format!("after={last_on_1}&page=2"));

    let second = page(next).await;
    assert_eq!(row_ids(&second), ids_in_order(&c, "", 50).await);
    assert!(second.contains("Page 2"));
    let third = page(pager_link(&second, "next").unwrap()).await;
    assert_eq!(row_ids(&third), ids_in_order(&c, "", 100).await);
    assert_eq!(row_ids(&third).len(), 20);
    assert_eq!(
        pager_link(&third, "next"),
        None,
        "the last page has no Next"
    );

    let back = pager_link(&third, "prev").unwrap();
    assert_eq!(back, format!("before={}&page=2", row_ids(&third)[0]));
    let second_again = page(back).await;
    assert_eq!(row_ids(&second_again), row_ids(&second));
    assert_eq!(
        pager_link(&second_again, "prev").unwrap(),
        "",
        "page 1 is plain"
    );

    // With htmx the pager swaps the list alone.
    let res = c
        .tim
        .htmx_get(&format!("{}?after={last_on_1}&page=2", c.contacts()))
        .await;
    let list = res.text().await.unwrap();
    assert!(list.starts_with("<section id=\"contacts\""));
    assert_eq!(row_ids(&list), row_ids(&second));
}

#[tokio::test]
async fn the_assignee_filter_and_the_search_narrow_the_list_and_its_pages() {
    let c = Cast::new().await;
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    c.insert_many(70, "Unclaimed", None).await;
    c.insert_many(60, "Assigned", Some(agnes)).await;

    let (_, none) = c.tim.page(&format!("{}?assignee=none", c.contacts())).await;
    let expected = ids_in_order(&c, "AND assignee_membership_id IS NULL", 0).await;
    assert_eq!(row_ids(&none), expected);
    let next = pager_link(&none, "next").unwrap();
    assert!(next.starts_with("assignee=none&after="), "{next}");
    let (_, rest) = c.tim.page(&format!("{}?{next}", c.contacts())).await;
    assert_eq!(
        row_ids(&rest),
        ids_in_order(&c, "AND assignee_membership_id IS NULL", 50).await
    );
    assert_eq!(row_ids(&rest).len(), 20);

    let (_, hers) = c
        .tim
        .page(&format!("{}?assignee={agnes}", c.contacts()))
        .await;
    assert_eq!(row_ids(&hers).len(), 50);
    assert!(hers.contains(&format!(
        "<option value=\"{agnes}\" selected>Agnes Agent</option>"
    )));
    assert!(pager_link(&hers, "next")
        .unwrap()
        .starts_with(&format!("assignee={agnes}&after=")));

    // Search: name, email or phone, any case, combined with the filter.
    let (_, found) = c
        .tim
        .page(&format!("{}?q=UNCLAIMED+00&assignee=none", c.contacts()))
        .await;
    assert_eq!(row_ids(&found).len(), 9, "Unclaimed 001 to 009");
    assert!(found.contains("value=\"UNCLAIMED 00\""));
    let (_, nothing) = c
        .tim
        .page(&format!("{}?q=Agnes&assignee=none", c.contacts()))
        .await;
    assert!(nothing.contains("No contacts match") && nothing.contains("Clear the search"));
    // A search with control characters is refused at its field.
    let (status, refused) = c.tim.page(&format!("{}?q=a%00b", c.contacts())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Search text cannot contain control characters."));
}

#[tokio::test]
async fn a_link_whose_contact_was_deleted_starts_the_list_again_from_the_top() {
    let c = Cast::new().await;
    c.insert_many(60, "Customer", None).await;
    let (_, first) = c.tim.page(&c.contacts()).await;
    let next = pager_link(&first, "next").unwrap();
    exec(
        &c.app,
        format!(
            "DELETE FROM contacts WHERE id = {}",
            row_ids(&first).last().unwrap()
        ),
    )
    .await;
    let (status, again) = c.tim.page(&format!("{}?{next}", c.contacts())).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(row_ids(&again), ids_in_order(&c, "", 0).await);
}
