//! Sorting by the table's column headings: `aria-sort` says how the list is
//! sorted, each heading links to the list sorted by it, the sort in the URL.

use reqwest::StatusCode;

use super::*;

/// The `aria-sort` of the heading whose sort link is `id`.
fn aria_sort_of(body: &str, id: &str) -> String {
    let link = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no heading link {id}"));
    let th = body[..link].rfind("<th ").unwrap();
    let tag = &body[th..body[th..].find('>').unwrap() + th];
    let value = tag
        .split("aria-sort=\"")
        .nth(1)
        .unwrap_or_else(|| panic!("{tag}"));
    value[..value.find('"').unwrap()].to_owned()
}

/// The `href` of the heading link `id`.
fn href_of(body: &str, id: &str) -> String {
    let at = body.find(&format!("id=\"{id}\"")).unwrap();
    let rest = &body[at..];
    let href = rest.split("href=\"").nth(1).unwrap();
    href[..href.find('"').unwrap()].replace("&#38;", "&")
}

/// The members' emails in the order the page lists them.
fn emails_in_order(body: &str) -> Vec<String> {
    body.split("class=\"member-row\"")
        .skip(1)
        .filter_map(|row| {
            let at = row.find("@example.")?;
            let start = row[..at].rfind('>')? + 1;
            let end = at + row[at..].find('<')?;
            Some(row[start..end].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn the_headings_say_how_the_list_is_sorted_for_each_sort_in_the_url() {
    let (app, org) = owner_with(5, 1).await;
    let cases = [
        ("", "ascending", "none"),
        ("sort=-name", "descending", "none"),
        ("sort=email", "ascending", "none"),
        ("sort=-email", "descending", "none"),
        ("sort=last_seen", "none", "descending"),
        ("sort=-last_seen", "none", "ascending"),
        // An unknown sort is the default one.
        ("sort=shoe_size", "ascending", "none"),
    ];
    for (query, name, seen) in cases {
        let (status, body) = app
            .client
            .page(&format!("/orgs/{org}/members?{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(aria_sort_of(&body, "sort-name"), name, "{query}");
        assert_eq!(aria_sort_of(&body, "sort-last-seen"), seen, "{query}");
        // Columns that do not sort carry no aria-sort at all.
        assert_eq!(body.matches("aria-sort=").count(), 2, "{query}");
    }
}

#[tokio::test]
async fn a_heading_link_reverses_the_sort_keeps_the_filters_and_starts_at_page_one() {
    let (app, org) = owner_with(120, 1).await;
    let base = format!("/orgs/{org}/members");

    let (_, body) = app.client.page(&format!("{base}?q=seed&page=2")).await;
    assert_eq!(
        href_of(&body, "sort-name"),
        format!("{base}?q=seed&sort=-name")
    );
    assert_eq!(
        href_of(&body, "sort-email"),
        format!("{base}?q=seed&sort=email")
    );
    assert_eq!(
        href_of(&body, "sort-last-seen"),
        format!("{base}?q=seed&sort=last_seen")
    );
    // The link swaps the table and puts its address in the history.
    assert!(body.contains(&format!(
        "hx-get=\"{base}?q=seed&#38;sort=-name\" hx-target=\"#members-table\" hx-swap=\"outerHTML\" hx-push-url=\"true\""
    )));

    // Sorted one way, the same heading offers the other.
    let (_, desc) = app.client.page(&format!("{base}?sort=-name")).await;
    assert_eq!(href_of(&desc, "sort-name"), format!("{base}?"));
    let (_, by_email) = app.client.page(&format!("{base}?sort=email")).await;
    assert_eq!(
        href_of(&by_email, "sort-email"),
        format!("{base}?sort=-email")
    );
    assert_eq!(href_of(&by_email, "sort-name"), format!("{base}?"));
    let (_, seen) = app.client.page(&format!("{base}?sort=last_seen")).await;
    assert_eq!(
        href_of(&seen, "sort-last-seen"),
        format!("{base}?sort=-last_seen")
    );

    // The table fragment htmx asks for carries the headings and its sort.
    let fragment = app
        .client
        .htmx_get(&format!("{base}?sort=-email"))
        .await
        .text()
        .await
        .unwrap();
    assert!(fragment.contains("data-sort=\"-email\""));
    assert_eq!(aria_sort_of(&fragment, "sort-name"), "descending");
}

#[tokio::test]
async fn the_reversed_sorts_list_the_members_in_reverse() {
    let (app, org) = owner_with(8, 1).await;
    // Distinct last-seen times: seed-N seen N hours ago.
    app.query(move |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(
            "UPDATE accounts SET last_seen_at = now() - (substring(email from 'seed-([0-9]+)@')::int || ' hours')::interval
             WHERE email LIKE 'seed-%'",
        )
        .unwrap();
    })
    .await;
    let list = |query: &'static str| {
        let app = &app;
        async move {
            let (_, body) = app
                .client
                .page(&format!("/orgs/{org}/members?status=active&q=seed&{query}"))
                .await;
            emails_in_order(&body)
        }
    };
    let by_email = list("sort=email").await;
    assert_eq!(by_email.len(), 8, "{by_email:?}");
    let mut reversed = list("sort=-email").await;
    reversed.reverse();
    assert_eq!(reversed, by_email);

    let recent = list("sort=last_seen").await;
    assert_eq!(
        recent.first().map(String::as_str),
        Some("seed-1@example.test")
    );
    let mut oldest = list("sort=-last_seen").await;
    oldest.reverse();
    assert_eq!(oldest, recent);
}
