//! A search's page, which each server keeps per team while the team's version
//! is unchanged and reads back by its contacts' ids
//! (`services::contacts::Menus`): every change to the team's contacts shows at
//! once, whichever way it was made.

use super::*;

/// The names on the page Tim's search `query` shows, in order.
async fn found(c: &Cast, query: &str) -> Vec<String> {
    let (status, page) = c.tim.page(&format!("{}?{query}", c.contacts())).await;
    assert_eq!(status, StatusCode::OK);
    let ids = row_ids(&page);
    let mut names = Vec::new();
    for id in ids {
        let name = c
            .app
            .query(move |conn| {
                use diesel::{sql_types::Text, QueryableByName, RunQueryDsl};
                #[derive(QueryableByName)]
                struct Name {
                    #[diesel(sql_type = Text)]
                    name: String,
                }
                diesel::sql_query(format!("SELECT name FROM contacts WHERE id = {id}"))
                    .get_result::<Name>(conn)
                    .unwrap()
                    .name
            })
            .await;
        names.push(name);
    }
    names
}

#[tokio::test]
async fn a_kept_search_page_follows_every_change_to_the_teams_contacts() {
    let c = Cast::new().await;
    c.insert_many(60, "Kim", None).await;
    c.create("Zed Zimmer").await;
    let first = found(&c, "q=kim").await;
    assert_eq!(first.len(), 50);
    assert_eq!(first[0], "Kim 001");
    assert_eq!(found(&c, "q=kim").await, first, "the kept page, read again");
    let set = |sql: String| exec(&c.app, sql);

    // A name that stops matching, and one that starts to.
    set(format!(
        "UPDATE contacts SET name = 'Lee 001' WHERE team_id = {} AND name = 'Kim 001'",
        c.team
    ))
    .await;
    assert_eq!(found(&c, "q=kim").await[0], "Kim 002");
    set(format!(
        "UPDATE contacts SET name = 'Kim 000' WHERE team_id = {} AND name = 'Zed Zimmer'",
        c.team
    ))
    .await;
    assert_eq!(found(&c, "q=kim").await[0], "Kim 000");

    // Deleted, and added.
    set(format!(
        "DELETE FROM contacts WHERE team_id = {} AND name = 'Kim 000'",
        c.team
    ))
    .await;
    set(format!(
        "DELETE FROM contacts WHERE team_id = {} AND name = 'Kim 002'",
        c.team
    ))
    .await;
    assert_eq!(found(&c, "q=kim").await[0], "Kim 003");
    c.insert_many(1, "Kim 00", None).await;
    assert_eq!(found(&c, "q=kim").await[0], "Kim 00 001");

    // An assignee's search: assigning and unassigning show at once.
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    let by_agnes = format!("q=kim&assignee={agnes}");
    assert!(found(&c, &by_agnes).await.is_empty());
    set(format!("UPDATE contacts SET assignee_membership_id = {agnes} WHERE team_id = {} AND name = 'Kim 010'", c.team)).await;
    assert_eq!(found(&c, &by_agnes).await, ["Kim 010"]);
    set(format!(
        "UPDATE contacts SET assignee_membership_id = NULL WHERE assignee_membership_id = {agnes}"
    ))
    .await;
    assert!(found(&c, &by_agnes).await.is_empty());

    // Moved to another team: gone from this team's search.
    let other = team(&c.app, c.org, "Sales").await;
    set(format!(
        "UPDATE contacts SET team_id = {other} WHERE team_id = {} AND name = 'Kim 00 001'",
        c.team
    ))
    .await;
    assert_eq!(found(&c, "q=kim").await[0], "Kim 003");

    // A page a Next link named: kept apart from the first.
    let (_, page) = c.tim.page(&format!("{}?q=kim", c.contacts())).await;
    let next = pager_link(&page, "next").expect("a Next link");
    let second = found(&c, &next).await;
    assert_eq!(second.first().map(String::as_str), Some("Kim 053"));
    assert_eq!(second.len(), 8);
    set(format!(
        "DELETE FROM contacts WHERE team_id = {} AND name = 'Kim 053'",
        c.team
    ))
    .await;
    assert_eq!(
        found(&c, &next).await.first().map(String::as_str),
        Some("Kim 054")
    );
}
