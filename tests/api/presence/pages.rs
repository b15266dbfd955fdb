//! What the pages show: a dot with its word and last-seen time on the members
//! list and the team member list, none for pending members, the heartbeat on
//! every page of the organization.

use super::{ada_and_bob, beat};
use crate::helpers::spawn_app;

/// The members row of a membership, as rendered.
fn row_of(page: &str, member: i64) -> &str {
    let start = page
        .find(&format!("id=\"member-{member}\""))
        .unwrap_or_else(|| panic!("a row for member {member}"));
    let end = page[start..].find("</tr>").unwrap() + start;
    &page[start..end]
}

#[tokio::test]
async fn the_members_list_shows_each_active_members_presence_in_words_and_nothing_for_pending_ones()
{
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    app.query(move |conn| {
        use diesel::RunQueryDsl;
        // An invitee's account may be seen elsewhere: nothing of it shows here.
        diesel::sql_query(
            "INSERT INTO accounts (email, display_name, password_hash, last_seen_at) \
             VALUES ('pat@example.com', 'Pat', '', now())",
        )
        .execute(conn)
        .unwrap();
        diesel::sql_query(format!(
            "INSERT INTO memberships (organization_id, account_id, role, status) \
             SELECT {org}, id, 'member', 'pending' FROM accounts WHERE email = 'pat@example.com'"
        ))
        .execute(conn)
        .unwrap();
    })
    .await;
    let pat = super::member_id(&app, "pat@example.com").await;

    let (_, page) = app.client.page(&format!("/orgs/{org}/members")).await;
    assert!(page.contains(&format!("sse-connect=\"/orgs/{org}/presence/stream\"")));
    assert!(
        page.contains("name=\"roster-presence\""),
        "the page reports too"
    );
    let row = row_of(&page, bob);
    assert!(row.contains(">Offline<"), "{row}");
    assert!(
        row.contains(&format!("sse-swap=\"presence-{bob}\"")),
        "{row}"
    );
    assert!(
        !row_of(&page, pat).contains("class=\"presence"),
        "pending: no dot"
    );

    assert_eq!(
        beat(&bob_client, org, "tab-bob-0001", "active")
            .await
            .status(),
        204
    );
    let (_, page) = app.client.page(&format!("/orgs/{org}/members")).await;
    let row = row_of(&page, bob);
    assert!(row.contains(">Online<"), "{row}");
    assert!(row.contains("last seen just now"), "{row}");
    assert!(
        row.contains("title=\"Online, last seen 20"),
        "the absolute time: {row}"
    );

    // A row re-rendered alone (after an inline edit) keeps its dot.
    let res = app
        .client
        .htmx_get(&format!("/orgs/{org}/members/{bob}/row"))
        .await;
    assert!(res.text().await.unwrap().contains(">Online<"));
}

#[tokio::test]
async fn the_team_member_list_shows_presence_too() {
    let app = spawn_app().await;
    let (org, bob, bob_client) = ada_and_bob(&app).await;
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/teams"),
            &[("name", "Support"), ("description", "")],
        )
        .await;
    let team = crate::helpers::location(&res)
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post_form(
            &format!("/orgs/{org}/teams/{team}/members"),
            &[("member", &bob.to_string()), ("role", "agent")],
        )
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(
        beat(&bob_client, org, "tab-bob-0001", "hidden")
            .await
            .status(),
        204
    );

    let (_, page) = app.client.page(&format!("/orgs/{org}/teams/{team}")).await;
    assert!(page.contains(&format!("sse-connect=\"/orgs/{org}/presence/stream\"")));
    let start = page.find(&format!("id=\"team-member-{bob}\"")).unwrap();
    let row = &page[start..start + page[start..].find("</tr>").unwrap()];
    assert!(row.contains(">Away<"), "{row}");
}

#[tokio::test]
async fn heartbeats_do_not_keep_an_idle_session_alive() {
    let app = spawn_app().await;
    let (org, _, bob_client) = ada_and_bob(&app).await;
    bob_client.csrf().await;
    let expiry = "SELECT extract(epoch FROM max(expires_at))::bigint FROM sessions s \
                  JOIN accounts a ON a.id = s.account_id WHERE a.email = 'bob@example.com'";
    app.query(|conn| {
        use diesel::RunQueryDsl;
        // As if Bob's last page load was a while ago.
        diesel::sql_query(
            "UPDATE sessions SET last_used_at = now() - interval '10 minutes', \
               expires_at = now() + interval '20 minutes' \
             WHERE account_id = (SELECT id FROM accounts WHERE email = 'bob@example.com')",
        )
        .execute(conn)
        .unwrap();
    })
    .await;
    let before = app.count(expiry).await;
    assert_eq!(
        beat(&bob_client, org, "tab-bob-0001", "hidden")
            .await
            .status(),
        204
    );
    assert_eq!(app.count(expiry).await, before, "a heartbeat is not use");
    bob_client.page("/profile").await;
    assert!(app.count(expiry).await > before, "a page load is");
}
