//! What a Contacts page costs: the statements one request runs, counted by
//! diesel's instrumentation, must not grow with the team's contacts.

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
async fn statements_for(client: &TestClient, path: &str) -> (usize, String) {
    client.page(path).await;
    STATEMENTS.store(0, Ordering::SeqCst);
    let (_, body) = client.page(path).await;
    (STATEMENTS.load(Ordering::SeqCst), body)
}

#[tokio::test]
async fn the_contacts_tab_runs_the_same_number_of_statements_for_5_or_5000_contacts() {
    diesel::connection::set_default_instrumentation(count_statements).unwrap();
    let c = Cast::new().await;
    let agnes = c.member("agnes@example.com", "Agnes Agent", "agent").await;
    c.insert_many(3, "Few", None).await;
    c.insert_many(2, "Hers", Some(agnes)).await;
    let list = c.contacts();
    let paths = |next: Option<String>| {
        let mut paths = vec![
            list.clone(),
            format!("{list}?assignee=none"),
            format!("{list}?assignee={agnes}"),
            format!("{list}?q=e"),
        ];
        paths.extend(next.map(|q| format!("{list}?{q}")));
        paths
    };
    let mut few = Vec::new();
    for path in paths(None) {
        few.push(statements_for(&c.tim, &path).await.0);
    }

    c.insert_many(2_500, "Many", None).await;
    c.insert_many(2_495, "More", Some(agnes)).await;
    let (_, first) = c.tim.page(&list).await;
    assert_eq!(row_ids(&first).len(), 50);
    let mut many = Vec::new();
    for path in paths(pager_link(&first, "next")) {
        many.push(statements_for(&c.tim, &path).await.0);
    }
    assert_eq!(
        &many[..4],
        &few[..],
        "statements per page must not grow with the rows"
    );
    // The session with the account and its membership; the team and the
    // actor's place in it; the organization's features; the page; the team's
    // members for the filter and the assign choices.
    assert_eq!(many[0], 6, "statements for one page");
    assert_eq!(
        many[4], many[0],
        "a page reached by Next costs what page 1 does"
    );

    // An agent's own list costs no more.
    let agnes = c.client("agnes@example.com").await;
    let (mine, body) = statements_for(&agnes, &list).await;
    assert_eq!(row_ids(&body).len(), 50);
    assert!(mine <= many[0], "{mine}");
}

/// The pages of entries a trigram index holds queued outside its tree
/// (which every search reads through in full).
async fn pending_pages(app: &crate::helpers::TestApp, index: &str) -> i64 {
    exec(app, "CREATE EXTENSION IF NOT EXISTS pgstattuple".into()).await;
    app.count(&format!(
        "SELECT pending_pages::bigint FROM pgstatginindex('{index}')"
    ))
    .await
}

#[tokio::test]
async fn a_search_reads_through_at_most_256_kb_of_queued_index_entries() {
    let c = Cast::new().await;
    // About 1.5 MB of trigram entries, in batches as a handover writes them.
    for batch in 0..6 {
        c.insert_many(500, &format!("Queued {batch}"), None).await;
        let pages = pending_pages(&c.app, "contacts_search_idx").await;
        assert!(pages <= 33, "{pages} pending pages after batch {batch}");
    }
    for n in 0..20 {
        c.app
            .add_member(
                c.org,
                &format!("m{n}@example.com"),
                &format!("Member {n}"),
                "member",
            )
            .await;
    }
    assert!(pending_pages(&c.app, "memberships_search_idx").await <= 33);

    let (_, page) = c
        .tim
        .page(&format!("{}?q=queued+5+042", c.contacts()))
        .await;
    assert!(page.contains("Queued 5 042"), "the search still finds them");
}
